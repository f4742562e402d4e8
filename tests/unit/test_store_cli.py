"""One setting moves an institution to the shared PostgreSQL store (``store:``), ``omc store migrate`` creates and
upgrades its schema (versioned, once, refusing a changed migration), and every issuing command then works on
it: ``omc issue``, ``omc status revoke`` and ``omc status publish`` against a throwaway cluster on loopback."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from omc_vc.cli.main import cli

from omc_vc.bitstring import decode_bitstring, get_status
from omc_vc.errors import ConfigError, IssuanceError
from omc_vc.issue.config import load_config
from omc_vc.issue.pg_migrate import latest_version, migrations
from omc_vc.issue.store_setting import StoreSetting, parse_store
from omc_vc.issue.stores import migrate_store, open_store
from tests.fixtures.omc.sample import make_institution

URL_ENV = "OMC_TEST_STORE_URL"


def _cli(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    return result


def test_the_store_setting_names_postgresql_by_url_or_by_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    setting = parse_store("postgresql://omc:s3cret@db.internal:5433/omc?sslmode=verify-full")
    assert setting is not None and setting.schema == "omc"
    # the password is never in a message or a repr
    assert "s3cret" not in setting.describe() and "s3cret" not in repr(setting)
    assert setting.describe() == "postgresql://db.internal:5433/omc schema omc"
    # a port that is not a number is a configuration error, not a crash
    for bad in ("postgresql://u:pw@db:abc/omc", "postgresql://db:70000/omc"):
        with pytest.raises(ConfigError, match="port"):
            parse_store(bad)
    by_env = parse_store({"url_env": URL_ENV, "schema": "college_a", "pool_size": 3})
    assert by_env == StoreSetting(url_env=URL_ENV, schema="college_a", pool_size=3)
    monkeypatch.delenv(URL_ENV, raising=False)
    with pytest.raises(ConfigError, match=URL_ENV):
        by_env.connection_url()
    monkeypatch.setenv(URL_ENV, "postgresql://omc@db/omc")
    assert by_env.connection_url() == "postgresql://omc@db/omc"
    assert parse_store(None) is None


@pytest.mark.parametrize(("value", "why"), [
    ("mysql://db/omc", "postgresql://"),
    ({"url": "postgresql://db/omc", "url_env": URL_ENV}, "exactly one"),
    ({"schema": "omc"}, "exactly one"),
    ({"url": "postgresql://db/omc", "schema": "Robert'); DROP TABLE lists;--"}, "lower-case SQL name"),
    ({"url": "postgresql://db/omc", "pool_size": 1}, "pool_size"),
    ({"url": "postgresql://db/omc", "host": "x"}, "unknown key store.host"),
])
def test_a_wrong_store_setting_is_a_config_error_naming_it(value: Any, why: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(why)):
        parse_store(value)


def _pg_institution(folder: Path, cluster: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sample institution with ``store:`` naming a fresh schema of the test cluster (its URL in a variable)."""
    make_institution(folder)
    monkeypatch.setenv(URL_ENV, cluster.url())
    path = folder / "institution.yaml"
    text = re.sub(r"(?m)^state: .*\n", "", path.read_text(encoding="utf-8"))
    path.write_text(text + f"store: {{url_env: {URL_ENV}, schema: {cluster.new_schema()}}}\n", encoding="utf-8")
    return path


def test_store_and_state_together_are_refused(tmp_path: Path) -> None:
    make_institution(tmp_path)
    path = tmp_path / "institution.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "store: postgresql://db/omc\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not both"):
        load_config(path)


def test_migrate_applies_each_migration_once_and_the_store_refuses_to_work_before(
        pg_cluster: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _pg_institution(tmp_path, pg_cluster, monkeypatch)
    # before omc store migrate, every command refuses, naming the command to run
    refused = _cli("status", "revoke", "--config", str(path), "urn:uuid:nothing")
    assert refused.exit_code != 0 and "STORE_NOT_MIGRATED" in refused.output and "omc store migrate" in refused.output
    done = _cli("store", "migrate", "--config", str(path), "--json")
    assert done.exit_code == 0, done.output
    [report] = json.loads(done.stdout)["stores"]
    assert report["store"] == "postgresql" and report["version"] == latest_version()
    assert report["applied"] == [f"{m.version:04d}_{m.name}" for m in migrations()]
    again = _cli("store", "migrate", "--config", str(path))
    assert again.exit_code == 0 and "nothing to apply" in again.output
    with open_store(load_config(path)) as store:
        assert store.all() == []


def test_a_changed_migration_is_refused_not_run_again(pg_cluster: Any, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A schema whose applied migration differs from this release's file (an edited or foreign migration) is
    not touched: the migration runs in the schema once, as written when it ran."""
    import psycopg

    path = _pg_institution(tmp_path, pg_cluster, monkeypatch)
    config = load_config(path)
    assert config.store is not None
    migrate_store(config)
    with psycopg.connect(pg_cluster.url(), autocommit=True) as conn:
        conn.execute(f"UPDATE {config.store.schema}.schema_migrations SET checksum = 'x' WHERE version = 1")
    with pytest.raises(IssuanceError, match="differs from this release's file"):
        migrate_store(config)


def test_an_unreachable_store_is_one_line_without_the_password(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    make_institution(tmp_path)
    path = tmp_path / "institution.yaml"
    text = re.sub(r"(?m)^state: .*\n", "", path.read_text(encoding="utf-8"))
    monkeypatch.setenv(URL_ENV, "postgresql://omc:hunter2@127.0.0.1:1/omc?connect_timeout=2")
    path.write_text(text + f"store: {{url_env: {URL_ENV}}}\n", encoding="utf-8")
    for args in (("store", "migrate", "--config", str(path)), ("status", "revoke", "--config", str(path), "x")):
        result = _cli(*args)
        assert result.exit_code != 0 and "STORE_UNAVAILABLE" in result.output
        assert "hunter2" not in result.output and len(result.output.strip().splitlines()) == 1


def test_migrate_creates_the_embedded_store_too(tmp_path: Path) -> None:
    config, _ = make_institution(tmp_path)
    result = _cli("store", "migrate", "--config", str(tmp_path / "institution.yaml"), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["stores"][0]["store"] == "sqlite" and config.state_path.is_file()


def test_issue_revoke_and_publish_work_on_the_postgresql_store(pg_cluster: Any, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path = _pg_institution(tmp_path, pg_cluster, monkeypatch)
    assert _cli("store", "migrate", "--config", str(path)).exit_code == 0
    out = tmp_path / "ana.json"
    issued = _cli("issue", "--config", str(path), "--achievement", "weld-101", "--learner-name", "Ana Silva",
                  "--learner-email", "ana@example.ca", "--out", str(out), "--json", "--offline")
    assert issued.exit_code == 0, issued.output
    credential = json.loads(out.read_text(encoding="utf-8"))
    # the same learner and achievement again: refused, the store's exactly-once holds on PostgreSQL too
    twice = _cli("issue", "--config", str(path), "--achievement", "weld-101", "--learner-name", "Ana Silva",
                 "--learner-email", "ana@example.ca", "--out", str(tmp_path / "again.json"), "--offline")
    assert twice.exit_code != 0 and credential["id"] in twice.output
    assert _cli("status", "revoke", "--config", str(path), str(out)).exit_code == 0
    published = _cli("status", "publish", "--config", str(path), "--out", str(tmp_path / "public"), "--json")
    assert published.exit_code == 0, published.output
    entry = next(e for e in credential["credentialStatus"] if e["statusPurpose"] == "revocation")
    listed = json.loads((tmp_path / "public" / entry["statusListCredential"].rsplit("/", 1)[1]).read_text())
    bits = decode_bitstring(listed["credentialSubject"]["encodedList"])
    assert get_status(bits, int(entry["statusListIndex"])) == 1
