"""Real-process fixtures: the gateway as `aia serve` on a free loopback port.

    def test_x(gateway):                       # a fresh gateway with defaults
        httpx.get(gateway.url("/agents"), headers=gateway.headers)

    def test_y(gateway_factory):               # custom [gateway] settings / environment
        gw = gateway_factory(settings={"allow_private_network": True, "rate_limit_burst": 5})

`Gateway.base_url` ends with /v1 (as `[api] base_url` does); `origin` has no path.
The admin key (`api_key`) is passed as AIAGENTICS_API_KEY, so it is an admin key of
the `test` environment of the `default` project. Each gateway has its own project
directory (`root`, with an aiagentics.toml) and its own SQLite file under tmp_path.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

AIA = str(Path(sys.executable).with_name("aia"))
START_TIMEOUT = 60.0


@dataclass
class Gateway:
    """A running `aia serve` process."""

    origin: str
    api_key: str
    root: Path
    database: Path
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return self.origin + "/v1"

    @property
    def port(self) -> int:
        return int(self.origin.rsplit(":", 1)[1])

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def url(self, path: str) -> str:
        """`/agents` -> http://127.0.0.1:PORT/v1/agents (paths starting with /v1 or /schema kept)."""
        if path.startswith(("/v1/", "/schema")) or path == "/v1":
            return self.origin + path
        return self.base_url + "/" + path.lstrip("/")

    def client(self, **kw: Any) -> httpx.Client:
        """An httpx client with the admin key and base_url set."""
        return httpx.Client(base_url=self.base_url + "/", headers=self.headers, timeout=30, **kw)

    def output(self) -> str:
        """What the server printed so far (stdout and stderr)."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self, timeout: float = 15.0) -> int:
        """SIGINT (graceful), then SIGKILL after `timeout`; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode


# A suite started as a shell's background job inherits SIGINT ignored, and so would every
# process it starts (an ignored signal stays ignored across exec): the Ctrl-C tests would
# signal processes that never hear it. A handler of our own is reset to the default at
# exec, so the gateway and `aia` take Ctrl-C as they do in a terminal.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def free_port() -> int:
    """A port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as fh:
            for line in fh.readlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])  # state 0A: LISTEN
    return inodes


def listens_on(pid: int, port: int) -> bool:
    """Whether process `pid` holds the listening socket of `port` (true where /proc is absent).

    A health answer alone is not proof: under load, another test's server can hold the port
    that ours failed to bind, and would answer until it stops.
    """
    if not os.path.isdir("/proc/net"):
        return True
    inodes = _listening_inodes(port)
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    return True
    return False


def is_up(origin: str, process: subprocess.Popen[bytes]) -> bool:
    """`process` serves `origin`: it holds the port and answers the health check."""
    port = int(origin.rsplit(":", 1)[1])
    return (
        listens_on(process.pid, port)
        and httpx.get(origin + "/v1/health", timeout=1).status_code == 200
    )


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


# A gateway whose database file tests also write into directly (keys of other scopes).
SHARED = {"shared_database": True}


def start_gateway(
    directory: Path,
    *,
    settings: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    api_key: str | None = None,
    args: list[str] | None = None,
    config_extra: str = "",
) -> Gateway:
    """Write a project into `directory`, start `aia serve` there, wait for /v1/health."""
    directory.mkdir(parents=True, exist_ok=True)
    gw_settings = {"host": "127.0.0.1", **(settings or {})}
    database = directory / ".aiagentics" / "gateway.db"
    lines = ["[project]", 'name = "e2e"', "", "[gateway]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in gw_settings.items()]
    (directory / "aiagentics.toml").write_text("\n".join(lines) + "\n" + config_extra)
    api_key = api_key or f"sk_test_{secrets.token_hex(20)}"
    last_error = ""
    for _ in range(3):  # a free port can be taken between the probe and the bind
        port = free_port()
        log = directory / f"serve-{port}.log"
        proc_env = {**os.environ, "AIAGENTICS_API_KEY": api_key, **(env or {})}
        proc_env.pop("AIAGENTICS_GATEWAY_SETTINGS", None)
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [AIA, "-C", str(directory), "serve", "--port", str(port), *(args or [])],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=proc_env,
                cwd=directory,
            )
        gateway = Gateway(
            f"http://127.0.0.1:{port}", api_key, directory, database, process, log, proc_env
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if is_up(gateway.origin, process):
                    return gateway
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        last_error = gateway.output()
        gateway.stop()
    raise RuntimeError(f"aia serve did not become healthy:\n{last_error}")


@pytest.fixture
def gateway_factory(tmp_path: Path) -> Iterator[Callable[..., Gateway]]:
    """Start gateways with custom settings; every one is stopped at the end of the test.

    Keywords: settings ([gateway] values), env, api_key, args (extra `aia serve` flags),
    config_extra (more aiagentics.toml text), directory (reuse a project, e.g. to restart).
    """
    started: list[Gateway] = []

    def factory(**kw: Any) -> Gateway:
        directory = kw.pop("directory", None) or tmp_path / f"gw{len(started)}"
        gw = start_gateway(directory, **kw)
        started.append(gw)
        return gw

    yield factory
    for gw in started:
        gw.stop()


@pytest.fixture
def gateway(gateway_factory: Callable[..., Gateway]) -> Gateway:
    """A fresh gateway with default settings (admin key: `gateway.api_key`)."""
    return gateway_factory()


@pytest.fixture(scope="module")
def module_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """One gateway shared by the tests of a module (faster; tests must not assume an empty store)."""
    gw = start_gateway(tmp_path_factory.mktemp("gateway"), settings=SHARED)
    yield gw
    gw.stop()
