"""The page without a registry says that no OMC verdict was given, and ``omc serve`` takes the default registry
(``$OMC_REGISTRY``, the user config file) when neither --registry nor the service's config names one."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from omc_vc.cli.main import cli  # type: ignore[import-not-found,unused-ignore]

from omc_vc.web import app as web_app
from omc_vc.web.app import create_app
from omc_vc.web.config import WebConfig

from .conftest import TestClient
from .world import WebWorld


def test_unregistered_issuer_reads_as_no_omc_verdict_without_a_registry(world: WebWorld) -> None:
    # an OMC signed by a key no ministry authorized, on a page with no registry: never an OMC, and the
    # reason says plainly that no OMC verdict was given because the issuer was not checked
    config = replace(world.config(), registry=None, anchors=None)
    vc, _ = world.credential("nowhere")
    with TestClient(create_app(config)) as client:
        out = client.post("/verify/text", content=json.dumps(vc)).json()
    assert out["verdict"]["status"] == "valid-not-omc"
    assert out["verdict"]["reason"].startswith("No OMC verdict was given: the issuer was not checked against "
                                               "the ministry's registry")
    profile = [c for c in out["checks"] if c["name"] == "omc-profile"]
    assert profile and profile[0]["detail"].startswith("has the OMC fields")


def _served_config(monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str | None]) -> WebConfig:
    """The configuration ``omc serve`` would start the app with (the app is not started)."""
    seen: list[WebConfig] = []

    def capture(config: WebConfig, *_: Any, **__: Any) -> None:
        seen.append(config)
        raise click.exceptions.Exit(0)

    monkeypatch.setattr(web_app, "create_app", capture)
    result = CliRunner().invoke(cli, ["serve", "--port", "0", "--offline", *args], env=env)
    assert result.exit_code == 0 and len(seen) == 1, result.output
    return seen[0]


def test_serve_takes_the_default_registry(world: WebWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry, anchors = str(world.registry_file), str(world.anchors_file)
    env: dict[str, str | None] = {"OMC_REGISTRY": registry, "OMC_ANCHORS": anchors}
    config = _served_config(monkeypatch, [], env)
    assert config.registry == registry and config.anchors == Path(anchors)
    # the flag wins over the environment
    other = str(tmp_path / "other-registry.json")
    assert _served_config(monkeypatch, ["--registry", other], env).registry == other
    # and so does the service's own configuration file
    serve_yaml = tmp_path / "serve.yaml"
    serve_yaml.write_text(f"registry: {other}\n", encoding="utf-8")
    assert _served_config(monkeypatch, ["--config", str(serve_yaml)], env).registry == other
    # the user config file, when the environment names none
    folder = tmp_path / "xdg" / "omc-vc"
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text(f"registry: {registry}\nanchors: {anchors}\n", encoding="utf-8")
    config = _served_config(monkeypatch, [], {"XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    assert config.registry == registry and config.anchors == Path(anchors)
    # none configured: none used (the page then says no OMC verdict was given)
    assert _served_config(monkeypatch, [], {}).registry is None
