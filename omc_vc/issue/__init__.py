"""The institution's side: one configuration, one Issuer over one Store, roster runners, status lists."""

from __future__ import annotations

from omc_vc.issue.batch import BatchReport, RosterRow, issue_roster, read_roster
from omc_vc.issue.config import InstitutionConfig, load_config, parse_config
from omc_vc.issue.issuer import Issued, Issuer
from omc_vc.issue.sqlite_store import SqliteStore
from omc_vc.issue.status_ops import hosted_status_lists, publish_status_lists, revoke, suspend, unsuspend
from omc_vc.issue.store import CredentialRecord, Store

__all__ = [
    "BatchReport",
    "CredentialRecord",
    "InstitutionConfig",
    "Issued",
    "Issuer",
    "RosterRow",
    "SqliteStore",
    "Store",
    "hosted_status_lists",
    "issue_roster",
    "load_config",
    "parse_config",
    "publish_status_lists",
    "read_roster",
    "revoke",
    "suspend",
    "unsuspend",
]
