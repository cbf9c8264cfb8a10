"""A throwaway PostgreSQL server for tests: `initdb` in a temporary folder, a free loopback
port, stopped and removed at the end.

PostgreSQL refuses to run as root, so under root the server runs as the `postgres` user
(`runuser`), its folders owned by it. `AIAGENTICS_TEST_DATABASE_URL` points the tests at a
server of your own instead (each test still gets a database of its own on it).
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SERVER_ENV = "AIAGENTICS_TEST_DATABASE_URL"


class ServerUnavailable(Exception):
    """No PostgreSQL server could be had (the message says why)."""


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if candidates:
        return candidates[-1]
    raise ServerUnavailable(f"{name} not found: install PostgreSQL (its server binaries)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PgServer:
    """A running server; `database()` creates a fresh, empty database and returns its URL."""

    def __init__(self, url: str, folder: Path | None = None, prefix: list[str] | None = None):
        self.url = url  # of the `postgres` maintenance database
        self._folder = folder
        self._prefix = prefix or []
        self._names = itertools.count(1)

    @classmethod
    def start(cls) -> PgServer:
        """initdb + pg_ctl start on a free loopback port (as `postgres` when we are root)."""
        initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
        prefix: list[str] = []
        owner: tuple[int, int] | None = None
        if os.geteuid() == 0:
            try:
                entry = pwd.getpwnam("postgres")
            except KeyError:
                raise ServerUnavailable("running as root and there is no `postgres` user") from None
            runuser = shutil.which("runuser")
            if runuser is None:
                raise ServerUnavailable("running as root and `runuser` is missing")
            prefix = [runuser, "-u", "postgres", "--"]
            owner = (entry.pw_uid, entry.pw_gid)
        folder = Path(tempfile.mkdtemp(prefix="aiagentics-pg-"))
        data, sockets = folder / "data", folder / "sock"
        sockets.mkdir()
        if owner is not None:
            for path in (folder, sockets):
                os.chown(path, *owner)
        port = _free_port()
        server = cls(f"postgresql://postgres@127.0.0.1:{port}/postgres", folder, prefix)
        try:
            server._run([initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"])
            options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
            server._run(
                [pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"]
            )
        except ServerUnavailable:
            server.stop()
            raise
        return server

    def _run(self, argv: list[str]) -> None:
        done = subprocess.run(
            [*self._prefix, *argv], capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            log = ""
            if self._folder is not None and (self._folder / "log").exists():
                log = (self._folder / "log").read_text(errors="replace")[-2000:]
            raise ServerUnavailable(
                f"{Path(argv[0]).name} failed ({done.returncode}): {done.stderr.strip()} {log}"
            )

    def database(self) -> str:
        """A new empty database on the server; its URL."""
        import psycopg

        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"'.encode())
        return self.url.rsplit("/", 1)[0] + "/" + name

    def stop(self) -> None:
        """Stop the server and remove its folder (a server of one's own is left alone)."""
        if self._folder is None:
            return
        data = self._folder / "data"
        if (data / "postmaster.pid").exists():
            with contextlib.suppress(ServerUnavailable, subprocess.TimeoutExpired):
                self._run([_binary("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
        shutil.rmtree(self._folder, ignore_errors=True)
        self._folder = None


def server_from_env() -> PgServer | None:
    """The server named by AIAGENTICS_TEST_DATABASE_URL, if set."""
    url = os.environ.get(SERVER_ENV)
    return PgServer(url) if url else None
