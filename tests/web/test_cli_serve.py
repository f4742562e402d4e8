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
from typing import Any

import pytest
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


# --- TCP_NODELAY (docs/performance.md, levers) -----------------------------------------------------------
# With more than one worker uvicorn binds the listening socket itself with protocol 0, and asyncio only
# turns Nagle off on sockets accepted from an IPPROTO_TCP listener: every response (headers, then body)
# then waits ~40 ms for the client's delayed ACK. These tests check the socket option, not a latency.

def _nodelay_connections(server: Any) -> list[bool]:
    from omc_vc.web.server import nodelay_is_set

    return [nodelay_is_set(conn.transport) for conn in list(server.server_state.connections)]


def _served_on_protocol0_socket(protocol: Any, loop: str = "asyncio") -> list[bool]:
    """Serve a trivial ASGI app on a socket bound the way uvicorn's many-worker path binds it, make one
    keep-alive request, and report TCP_NODELAY of the server side of each open connection."""
    import http.client
    import threading

    import uvicorn

    from omc_vc.web.server import uvicorn_options

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})

    options = uvicorn_options("127.0.0.1", 0, "critical")
    options["http"] = protocol
    options["loop"] = loop
    listener = socket.socket(family=socket.AF_INET)  # protocol 0, as uvicorn.Config.bind_socket
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
            time.sleep(0.02)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", "/")
            response = connection.getresponse()
            assert response.status == 200 and response.read() == b"ok"
            return _nodelay_connections(server)  # the connection is still open (keep-alive)
        finally:
            connection.close()
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        listener.close()


def _protocols() -> list[Any]:
    from omc_vc.web import server

    found = [pytest.param(server.NoDelayH11, id="h11")]
    if server.HttpToolsProtocol is not None:
        found.append(pytest.param(server.NoDelayHttpTools, id="httptools"))
    return found


@pytest.mark.parametrize("protocol", _protocols())
def test_serve_protocol_sets_tcp_nodelay_on_a_uvicorn_bound_socket(protocol: Any) -> None:
    # on asyncio's loop, which does not set it on a protocol-0 listening socket's connections
    assert _served_on_protocol0_socket(protocol) == [True]


@pytest.mark.parametrize("protocol", ["h11", "httptools"])
def test_stock_protocols_on_that_socket_leave_nagle_on(protocol: str) -> None:
    # the control: what the test above guards against (if asyncio or uvicorn ever fix this themselves,
    # this test fails and the NoDelay* workaround can be reconsidered)
    if protocol == "httptools":
        pytest.importorskip("httptools", reason="httptools is not installed")
    assert _served_on_protocol0_socket(protocol) == [False]


def test_serve_options_use_the_c_parser_and_loop_when_installed() -> None:
    from omc_vc.web import server

    options = server.uvicorn_options("127.0.0.1", 8000, "info")
    assert options["http"] is server.http_protocol()
    if server.HttpToolsProtocol is not None:
        assert options["http"] is server.NoDelayHttpTools and options["loop"] == "uvloop"
        assert _served_on_protocol0_socket(options["http"], loop="uvloop") == [True]


def test_both_serve_paths_use_the_nodelay_protocol(monkeypatch: Any, tmp_path: Path) -> None:
    from omc_vc.web import server

    calls: list[tuple[Any, dict[str, Any], int]] = []

    def record(app: Any, sock: socket.socket, options: dict[str, Any], *, workers: int = 1) -> None:
        calls.append((app, options, workers))
        sock.close()

    monkeypatch.setattr(server, "run_uvicorn", record)
    monkeypatch.setenv("OMC_SERVE_CONFIG_JSON", "")  # serve_cmd sets it for the workers; undone afterwards
    config = tmp_path / "serve.json"
    config.write_text(json.dumps({"shares": {"dir": str(tmp_path / "shares")}}))
    for workers in ("1", "2"):
        result = CliRunner().invoke(cli, ["serve", "--config", str(config), "--workers", workers, "--offline",
                                          "--port", "0"])
        assert result.exit_code == 0, result.output
    assert [workers for _, _, workers in calls] == [1, 2]
    assert calls[1][0] == "omc_vc.web.app:app_from_env"  # each worker builds the app from the environment
    assert all(options["http"] is server.http_protocol() and options["access_log"] is False
               for _, options, _ in calls)


# --- failing cleanly: the socket is bound before anything says "listening" --------------------------------

def _occupied_port() -> socket.socket:
    """A loopback port another program holds (bound and listening), as when it takes the port first."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def _one_error_line(stderr: str, code: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"error: {code}: "), stderr
    assert "Traceback" not in stderr and "Errno" not in stderr and "listening" not in stderr
    return lines[0]


def test_port_in_use_is_one_line_and_exit_2_before_listening(tmp_path: Path) -> None:
    """The real process (not uvicorn's ``[Errno 98]`` and exit 3 after a "listening" line)."""
    with _occupied_port() as taken:
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "omc_vc.cli.main", "serve", "--port", str(port), "--offline"],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    line = _one_error_line(result.stderr, "SERVE_ADDRESS_IN_USE")
    assert f"127.0.0.1:{port}" in line


def test_port_in_use_with_workers_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "serve.json"
    config.write_text(json.dumps({"shares": {"dir": str(tmp_path / "shares")}}))
    with _occupied_port() as taken:
        result = CliRunner().invoke(cli, ["serve", "--config", str(config), "--workers", "2", "--offline",
                                          "--port", str(taken.getsockname()[1])])
    assert result.exit_code == 2
    _one_error_line(result.output, "SERVE_ADDRESS_IN_USE")


def test_address_not_of_this_machine_is_one_line() -> None:
    # 192.0.2.7 is TEST-NET-1 (RFC 5737): never an address of this machine
    result = CliRunner().invoke(cli, ["serve", "--host", "192.0.2.7", "--port", "0", "--offline"])
    assert result.exit_code == 2
    _one_error_line(result.output, "SERVE_ADDRESS_UNAVAILABLE")


def test_port_not_permitted_is_one_line(monkeypatch: Any) -> None:
    # what bind says to an unprivileged user on a port below 1024 (the tests may run as root)
    def refuse(self: socket.socket, address: Any) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(socket.socket, "bind", refuse)
    result = CliRunner().invoke(cli, ["serve", "--port", "80", "--offline"])
    assert result.exit_code == 2
    _one_error_line(result.output, "SERVE_PERMISSION_DENIED")


def test_port_0_listens_on_the_port_it_names(monkeypatch: Any) -> None:
    from omc_vc.web import server

    bound: list[int] = []

    def record(app: Any, sock: socket.socket, options: dict[str, Any], *, workers: int = 1) -> None:
        bound.append(sock.getsockname()[1])
        with socket.create_connection(("127.0.0.1", bound[0]), timeout=5):  # listening already
            pass
        sock.close()

    monkeypatch.setattr(server, "run_uvicorn", record)
    result = CliRunner().invoke(cli, ["serve", "--port", "0", "--offline"])
    assert result.exit_code == 0, result.output
    assert bound and bound[0] != 0
    assert f"listening on http://127.0.0.1:{bound[0]} " in result.output


_PROBE = '''
import os
import socket


def _patch(cls):
    original = cls.connection_made

    def connection_made(self, transport):
        sock = transport.get_extra_info("socket")
        value = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        with open(os.environ["OMC_TEST_NODELAY_LOG"], "a") as log:
            log.write(f"{os.getpid()} {value}\\n")
        original(self, transport)

    cls.connection_made = connection_made


def _install():
    try:
        from uvicorn.protocols.http import h11_impl
    except ImportError:
        return
    _patch(h11_impl.H11Protocol)
    try:
        from uvicorn.protocols.http import httptools_impl
    except ImportError:
        return
    _patch(httptools_impl.HttpToolsProtocol)


_install()
'''


def test_serve_with_two_workers_turns_nagle_off(tmp_path: Path) -> None:
    """``omc serve --workers 2`` on loopback: the socket a worker accepted has TCP_NODELAY set when the
    request is served. A ``sitecustomize`` probe (test only) records the option in every process."""
    probe = tmp_path / "probe"
    probe.mkdir()
    (probe / "sitecustomize.py").write_text(_PROBE)
    log = tmp_path / "nodelay.log"
    config = tmp_path / "serve.json"
    config.write_text(json.dumps({"shares": {"dir": str(tmp_path / "shares")}}))
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMC_TEST_NODELAY_LOG": str(log),
           "PYTHONPATH": os.pathsep.join([str(probe), *filter(None, [os.environ.get("PYTHONPATH")])])}
    process = subprocess.Popen([sys.executable, "-m", "omc_vc.cli.main", "serve", "--config", str(config),
                                "--port", str(port), "--workers", "2", "--offline"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True)
    try:
        import http.client

        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/healthz")
                response = connection.getresponse()
                assert response.status == 200 and response.read() == b"ok"
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        for _ in range(3):  # keep-alive: same connection, more responses
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            assert response.status == 200 and response.read() == b"ok"
        connection.close()
        records = [line.split() for line in log.read_text().splitlines()]
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate(timeout=10)
    assert records, "no connection reached a worker"
    assert all(pid != str(process.pid) for pid, _ in records)  # served by the worker processes
    assert all(value != "0" for _, value in records), records


def test_workers_need_shares_every_process_sees(monkeypatch: Any, tmp_path: Path, pg_cluster: Any) -> None:
    """Worker processes do not share memory: in-memory shares are refused with --workers > 1 (a share made
    through one worker would be unknown to the next), a folder or a PostgreSQL share store is accepted."""
    from omc_vc.web import server

    started: list[int] = []

    def record(app: Any, sock: socket.socket, options: dict[str, Any], *, workers: int = 1) -> None:
        started.append(workers)
        sock.close()

    monkeypatch.setattr(server, "run_uvicorn", record)
    monkeypatch.setenv("OMC_SERVE_CONFIG_JSON", "")
    memory = tmp_path / "memory.json"
    memory.write_text(json.dumps({}))
    refused = CliRunner().invoke(cli, ["serve", "--config", str(memory), "--workers", "2", "--offline", "--port", "0"])
    assert refused.exit_code == 2
    assert "shares.dir (a folder) or shares.store (PostgreSQL)" in _one_error_line(refused.output, "CONFIG_ERROR")
    monkeypatch.setenv("OMC_TEST_SHARES_URL", pg_cluster.url())
    shared = tmp_path / "shared.json"
    shared.write_text(json.dumps({"shares": {"store": {"url_env": "OMC_TEST_SHARES_URL",
                                                       "schema": pg_cluster.new_schema()}}}))
    accepted = CliRunner().invoke(cli, ["serve", "--config", str(shared), "--workers", "2", "--offline", "--port", "0"])
    assert accepted.exit_code == 0, accepted.output
    assert started == [2]
