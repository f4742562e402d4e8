"""The institution's side: configuration, resumable issuance state, single and batch issuance, status lists."""

from __future__ import annotations

from omc_vc.issue.batch import BatchReport, RosterRow, issue_batch, issue_one, read_roster
from omc_vc.issue.config import InstitutionConfig, load_config
from omc_vc.issue.state import IssuanceState
from omc_vc.issue.status_ops import publish_status_lists, revoke, suspend, unsuspend

__all__ = [
    "BatchReport",
    "InstitutionConfig",
    "IssuanceState",
    "RosterRow",
    "issue_batch",
    "issue_one",
    "load_config",
    "publish_status_lists",
    "read_roster",
    "revoke",
    "suspend",
    "unsuspend",
]
