"""Event-loop stall benchmark: `GET /v1/agents` latency with and without a 20 MB upload.

Starts `aia serve` (uvicorn, one worker) on loopback with one memory store that indexes
every file of the project, then measures back-to-back `GET /v1/agents` requests on one
keep-alive connection: first with nothing else going on, then while one large text file
is uploaded with `POST /v1/files` (and so extracted, chunked and indexed), in the same
run. The upload comes from a child process, so that it does not compete with the sampler
for this process's GIL. Prints the median, p99 and worst latency of both phases and their
ratios. Any work the gateway does on its event-loop thread (SQLite calls, chunking,
hashing, file writes) shows up as a worst-case latency far above the median.

    .venv/bin/python bench/stall/run.py [--megabytes 20] [--requests 400]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.servers import free_port, wait_healthy

AIA = str(Path(sys.executable).with_name("aia"))
WORDS = [
    "refund",
    "policy",
    "transfer",
    "account",
    "balance",
    "card",
    "payment",
    "invoice",
    "customer",
    "support",
    "delivery",
    "order",
    "status",
    "shipping",
    "return",
    "window",
    "days",
    "business",
    "fee",
    "international",
    "currency",
    "exchange",
    "limit",
    "verification",
    "identity",
    "document",
    "statement",
    "monthly",
    "annual",
]


def text_of(size: int) -> bytes:
    """`size` bytes of word-like text in paragraphs (so the chunker has real work)."""
    rng = random.Random(11)
    block = []
    while sum(len(w) + 1 for w in block) < 64_000:
        block.append(rng.choice(WORDS))
        if rng.random() < 0.02:
            block.append("\n\n")
    chunk = " ".join(block).encode()
    return (chunk * (size // len(chunk) + 1))[:size]


async def sample(port: int, key: str, stop: threading.Event | None, count: int) -> list[float]:
    """Latencies (ms) of back-to-back GET /v1/agents: `count` of them, or until `stop` is set."""
    request = (
        f"GET /v1/agents?limit=10 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {key}\r\n\r\n"
    ).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    latencies: list[float] = []
    try:
        while (stop is None and len(latencies) < count) or (stop is not None and not stop.is_set()):
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            if head[9:12] != b"200":
                raise RuntimeError(f"GET /v1/agents answered {head[9:12].decode()}")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.002)  # a steady trickle, not a load test
    finally:
        writer.close()
    return latencies


def summary(latencies: list[float]) -> dict[str, float]:
    """Median, p99 and worst of a list of latencies."""
    ordered = sorted(latencies)
    return {
        "n": float(len(ordered)),
        "median": statistics.median(ordered),
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "worst": ordered[-1],
    }


def upload_file(base: str, path: str) -> None:
    """The child process of the busy phase: upload `path`, print the status and the body."""
    key = os.environ["AIAGENTICS_API_KEY"]
    r = httpx.post(
        f"{base}/files",
        files={"file": ("big.txt", Path(path).read_bytes(), "text/plain")},
        data={"purpose": "retrieval"},
        headers={"Authorization": f"Bearer {key}"},
        timeout=600,
    )
    print(f"{r.status_code}\n{r.text[:200]}")


def main() -> None:
    if sys.argv[1:2] == ["--upload"]:
        upload_file(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=20.0, help="size of the upload")
    parser.add_argument(
        "--requests", type=int, default=400, help="GET /v1/agents requests of the quiet phase"
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="aia-bench-"))
    key = f"sk_test_{secrets.token_hex(20)}"
    (work / "aiagentics.toml").write_text(
        '[project]\nname = "bench"\n[gateway]\nrate_limit_per_second = 1000000\n'
        "rate_limit_burst = 1000000\n"
    )
    port = free_port()
    env = {**os.environ, "AIAGENTICS_API_KEY": key}
    env.pop("AIAGENTICS_GATEWAY_SETTINGS", None)
    proc = subprocess.Popen(
        [AIA, "-C", str(work), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}/v1/health", proc)
        base = f"http://127.0.0.1:{port}/v1"
        h = {"Authorization": f"Bearer {key}"}
        for i in range(10):
            r = httpx.post(
                f"{base}/agents",
                json={"name": f"agent-{i}", "model": "scripted", "instructions": "Be brief."},
                headers=h,
            )
            r.raise_for_status()
        # An empty file list: the store searches (and so indexes) every file of the project.
        mem = httpx.post(
            f"{base}/memory_stores", json={"name": "docs", "vector": {"files": []}}, headers=h
        )
        mem.raise_for_status()
        data = text_of(int(args.megabytes * 1_000_000) - 4096)  # room for the multipart framing
        payload = work / "big.txt"
        payload.write_bytes(data)

        asyncio.run(sample(port, key, None, 50))  # warm up
        quiet = asyncio.run(sample(port, key, None, args.requests))

        stop = threading.Event()
        outcome: dict[str, object] = {}

        def upload() -> None:
            # In a child process: an upload thread here would compete with the sampler for
            # this process's GIL and show up as latency that is the client's, not the gateway's.
            started = time.perf_counter()
            try:
                done = subprocess.run(
                    [sys.executable, __file__, "--upload", base, str(payload)],
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
                status, _, body = done.stdout.partition("\n")
                outcome["status"] = int(status) if status.isdigit() else done.stderr[-300:]
                outcome["body"] = body[:200]
            finally:
                outcome["seconds"] = time.perf_counter() - started
                stop.set()

        uploader = threading.Thread(target=upload)

        async def busy_phase() -> list[float]:
            task = asyncio.create_task(sample(port, key, stop, 0))
            await asyncio.sleep(0.05)
            uploader.start()
            return await task

        busy = asyncio.run(busy_phase())
        uploader.join()
        if outcome.get("status") != 200:
            raise RuntimeError(f"upload failed: {outcome}")
        # The upload answers once its file is indexed; a search (after the phase) proves it.
        hits = httpx.post(
            f"{base}/memory_stores/{mem.json()['id']}/search",
            json={"query": "refund policy"},
            headers=h,
            timeout=60,
        ).json()["data"]

        q, b = summary(quiet), summary(busy)
        print(
            f"GET /v1/agents?limit=10, one keep-alive connection, back to back (2 ms apart),"
            f" aia serve (uvicorn, 1 worker), loopback; a {len(data) / 1e6:.1f} MB upload"
            f" answered and indexed in {outcome['seconds']:.1f} s{'' if hits else ' (NOT indexed)'}"
        )
        print(f"{'phase':14} {'requests':>8} {'median ms':>10} {'p99 ms':>9} {'worst ms':>9}")
        for label, s in (("quiet", q), ("during upload", b)):
            print(f"{label:14} {s['n']:8.0f} {s['median']:10.2f} {s['p99']:9.2f} {s['worst']:9.2f}")
        print(
            f"ratio (upload / quiet): median x{b['median'] / q['median']:.1f},"
            f" p99 x{b['p99'] / q['p99']:.1f}, worst x{b['worst'] / q['worst']:.1f};"
            f" goal: worst during upload under 50 ms"
        )
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
