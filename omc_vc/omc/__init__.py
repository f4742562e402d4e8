"""Ontario Micro-Credentials: the OMC vocabulary, the policy, the ``omc-profile`` check, OMC+ stacking.

An OMC is an Open Badges 3.0 ``OpenBadgeCredential`` whose achievement has ``achievementType``
``MicroCredential`` and carries the OMC terms of ``contexts/omc-v1.jsonld`` (see docs/vocabulary.md). A
credential claims to be one when it lists the OMC context (:func:`claims_omc`).
"""

from __future__ import annotations

from omc_vc.omc.model import (
    OB_CONTEXT,
    OMC_CONTEXT,
    VC_CONTEXT,
    achievement_of,
    claims_omc,
    is_omc_plus,
    is_omc_shaped,
    stacking_targets,
)

__all__ = [
    "OB_CONTEXT",
    "OMC_CONTEXT",
    "VC_CONTEXT",
    "achievement_of",
    "claims_omc",
    "is_omc_plus",
    "is_omc_shaped",
    "stacking_targets",
]
