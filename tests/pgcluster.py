"""A throwaway PostgreSQL cluster for the tests: ``initdb`` + ``pg_ctl`` on a free loopback port.

One cluster per test session (``pg_cluster`` in tests/conftest.py), a fresh schema per test
(:meth:`Cluster.new_schema`): the stores under test create their tables there with the real migrations.
The server binaries come from the PATH, else from Debian's ``/usr/lib/postgresql/<version>/bin`` (the
``postgresql`` package does not put them on the PATH). PostgreSQL refuses to run as root: as root the
cluster runs as the ``postgres`` user (made by Debian's package), else as ``nobody``.

Nothing is mocked: the tests talk to a real server over TCP on 127.0.0.1. It only listens there, with
``trust`` authentication for the loopback, and is stopped (and its folder removed) when the session ends.
"""

from __future__ import annotations

import atexit
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REQUIRE_ENV = "OMC_REQUIRE_POSTGRES"
SUPERUSER = "omc"


def server_binaries() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres (PATH first, then the newest Debian version)."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl") and shutil.which("postgres"):
        return Path(os.path.realpath(found)).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                      key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    for folder in reversed(versions):
        if all((folder / tool).exists() for tool in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def problem() -> str | None:
    """Why a cluster cannot be started here (None: it can)."""
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install -e '.[dev]')"
    if server_binaries() is None:
        return "no PostgreSQL server binaries (initdb, pg_ctl) on the PATH or in /usr/lib/postgresql/*/bin " \
               "(apt-get install postgresql)"
    if os.geteuid() == 0 and _unprivileged_user() is None:
        return "running as root and neither a postgres nor a nobody user exists to run the server as"
    return None


def _unprivileged_user() -> pwd.struct_passwd | None:
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    """A running throwaway cluster: its folder, port and the user it runs as."""

    folder: Path
    port: int
    bin: Path
    run_as: dict[str, Any] = field(default_factory=dict)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def new_schema(self) -> str:
        """A schema name no test used yet (the store's migration creates it)."""
        return f"t_{secrets.token_hex(6)}"

    def stop(self) -> None:
        if not self.folder.exists():
            return
        subprocess.run([str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w",
                        "stop"], capture_output=True, timeout=60, check=False, **self.run_as)
        shutil.rmtree(self.folder, ignore_errors=True)


def start_cluster() -> Cluster:
    """initdb a new cluster in a private folder and start it on a free loopback port."""
    binaries = server_binaries()
    assert binaries is not None
    folder = Path(tempfile.mkdtemp(prefix="omc-pg-"))
    run_as: dict[str, Any] = {}
    if os.geteuid() == 0:  # initdb and postgres refuse root: run them as an unprivileged user
        user = _unprivileged_user()
        assert user is not None
        os.chown(folder, user.pw_uid, user.pw_gid)
        run_as = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    data = folder / "data"
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    subprocess.run([str(binaries / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
                    "--no-locale", "--no-sync"], capture_output=True, timeout=120, check=True, cwd=folder, env=env,
                   **run_as)
    cluster = Cluster(folder, 0, binaries, run_as)
    for _ in range(5):  # another program may take the free port between the check and the start
        cluster.port = _free_port()
        options = (f"-c listen_addresses=127.0.0.1 -p {cluster.port} -c unix_socket_directories='' "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
                   "-c shared_buffers=32MB")
        started = subprocess.run([str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                                  str(folder / "server.log"), "-w", "-t", "60", "start"],
                                 capture_output=True, timeout=90, check=False, cwd=folder, env=env, **run_as)
        if started.returncode == 0 and _accepts(cluster):
            atexit.register(cluster.stop)
            _watch(cluster)
            return cluster
        time.sleep(0.2)
    log = (folder / "server.log").read_text(errors="replace") if (folder / "server.log").exists() else ""
    cluster.stop()
    raise RuntimeError(f"the PostgreSQL test cluster did not start: {log[-2000:]}")


#: Stops the cluster when the test process is gone without stopping it (killed, or a timeout's SIGTERM, which
#: runs no atexit handler): argv = test pid, pg_ctl, data folder, cluster folder, uid, gid.
_WATCHDOG = """
import os, shutil, subprocess, sys, time
parent, pg_ctl, data, folder, uid, gid = sys.argv[1:]
while os.path.exists(data):
    try:
        os.kill(int(parent), 0)
    except ProcessLookupError:
        run_as = {"user": int(uid), "group": int(gid), "extra_groups": []} if int(uid) >= 0 else {}
        subprocess.run([pg_ctl, "-D", data, "-m", "immediate", "stop"], capture_output=True, timeout=60, **run_as)
        shutil.rmtree(folder, ignore_errors=True)
        break
    time.sleep(1)
"""


def _watch(cluster: Cluster) -> None:
    import sys

    uid, gid = cluster.run_as.get("user", -1), cluster.run_as.get("group", -1)
    subprocess.Popen([sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(cluster.bin / "pg_ctl"),
                      str(cluster.folder / "data"), str(cluster.folder), str(uid), str(gid)],
                     start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL)


def _accepts(cluster: Cluster) -> bool:
    import psycopg

    for _ in range(50):
        try:
            with psycopg.connect(cluster.url(), connect_timeout=2) as conn:
                conn.execute("SELECT 1")
                return True
        except psycopg.OperationalError:
            time.sleep(0.1)
    return False
