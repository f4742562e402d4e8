"""``omc serve``: help, refusals as one line on stderr, and a real uvicorn process on loopback."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from click.testing import CliRunner
from omc_vc.cli.main import cli

from omc_vc.keys import KeyPair, save_key


def test_serve_help_has_an_example() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output and "omc serve" in result.output


def test_demo_key_is_refused_without_demo_flag(tmp_path: Path) -> None:
    key = save_key(tmp_path / "demo-college.key", KeyPair.generate("ed25519"), None, insecure_plaintext=True)
    inst = tmp_path / "institution.yaml"
    inst.write_text(f"keys: [{key}]\nstate_dir: state\n")
    result = CliRunner().invoke(cli, ["serve", "--institution-config", str(inst), "--port", "0"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("error: ") and "DEMO" in lines[-1]
    assert "Traceback" not in result.output


def test_bad_config_file_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "serve.yaml"
    config.write_text("port: [1, 2]\n")
    result = CliRunner().invoke(cli, ["serve", "--config", str(config)])
    assert result.exit_code == 2 and "port" in result.output and "Traceback" not in result.output


def test_token_env_needs_an_institution() -> None:
    result = CliRunner().invoke(cli, ["serve", "--token-env", "X"])
    assert result.exit_code == 2 and "institution" in result.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_process_hosts_documents_and_stops_cleanly(tmp_path: Path) -> None:
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps({"hosted": True}))
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "omc_vc.cli.main", "serve", "--port", str(port),
                                "--host-registry", str(registry), "--offline"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                    assert response.read() == b"ok"
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        with urllib.request.urlopen(base + "/registry.json", timeout=5) as response:
            assert json.loads(response.read()) == {"hosted": True}
        body = json.dumps({"verifiableCredential": {"secret": "MARKER-b81c"}}).encode()
        request = urllib.request.Request(base + "/credentials/verify", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(request, timeout=10)
        except urllib.error.HTTPError as exc:
            assert exc.code == 400
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0
    logged = (out + err).decode()
    assert "MARKER-b81c" not in logged and "/credentials/verify" not in logged  # no access log, no bodies
