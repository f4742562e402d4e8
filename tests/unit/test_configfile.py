"""The one configuration-file reader: caps, clear errors, and YAML that never turns ON into true."""

from __future__ import annotations

from pathlib import Path

import pytest

from omc_vc._internal.configfile import read_config_file
from omc_vc.errors import ConfigError


def test_yaml_keeps_province_code_on_and_dates_as_strings(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("addressRegion: ON\nenabled: true\nanswer: Yes\nissued: 2026-06-12\n")
    data = read_config_file(path, what="configuration", max_bytes=1000)
    assert data == {"addressRegion": "ON", "enabled": True, "answer": "Yes", "issued": "2026-06-12"}


def test_web_config_reads_yaml_with_the_same_rules(tmp_path: Path) -> None:
    from omc_vc.web.config import _read_mapping

    path = tmp_path / "serve.yaml"
    path.write_text("region: ON\n")
    assert _read_mapping(path) == {"region": "ON"}  # yaml.safe_load would give True


def test_yaml_python_objects_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text("x: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        read_config_file(path, what="configuration", max_bytes=1000)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("big.yaml", "a: " + "x" * 2000, "larger than"),
    ("bad.json", "{nope", "not valid JSON"),
    ("latin.yaml", b"a: \xff\xfe", "not valid YAML"),
])
def test_bad_files_give_one_clear_error(tmp_path: Path, name: str, content: str | bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ConfigError, match=message):
        read_config_file(path, what="configuration", max_bytes=1000)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        read_config_file(tmp_path / "none.yaml", what="configuration", max_bytes=1000)


def test_json_only_policy_files(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("a: 1\n")
    with pytest.raises(ConfigError, match="not valid JSON"):
        read_config_file(path, what="policy file", max_bytes=1000, json_only=True)
