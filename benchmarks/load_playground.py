"""Latency of other pages while 30 playground sessions train at once.

Run by hand, not in the tests:

    .venv/bin/python benchmarks/load_playground.py [--sessions 30] [--seconds 20]

It starts uvicorn with the web lab on a free port of 127.0.0.1 in a
subprocess, opens ``--sessions`` WebSocket sessions in a second subprocess
(each configures a 2-8-8-1 network and plays), and from this process requests
``GET /healthz`` and ``GET /explorer`` in turn every 50 ms for ``--seconds``.
It prints the latency percentiles of those requests, the frames per second
that the sessions received, and the epochs they trained, then stops both
subprocesses. Traffic goes to 127.0.0.1 only, and every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import socket
import statistics
import subprocess
import sys
import time

import httpx

HOST = "127.0.0.1"
PATHS = ("/healthz", "/explorer")
STATE = {"dataset": "circle", "hidden": "8,8", "points": "500", "batch": "10"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "actlab.web.app:create_app",
        "--host",
        HOST,
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(command)


def wait_until_up(base: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server at {base} did not respond within {timeout} s")


async def _one_session(url: str, seconds: float, counts: list) -> None:
    import websockets

    async with websockets.connect(url, max_size=2**24) as ws:
        await ws.send(json.dumps({"type": "configure", "state": STATE}))
        await ws.send(json.dumps({"type": "play"}))
        frames = 0
        last = ""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                text = await asyncio.wait_for(ws.recv(), deadline - time.monotonic())
            except TimeoutError:
                break
            if text.startswith('{"type":"frame"') and '"playing":true' in text[:300]:
                frames += 1
                last = text
        epoch = json.loads(last)["epoch"] if last else 0
        counts.append((frames, epoch))


async def _sessions(url: str, n: int, seconds: float) -> list:
    counts: list = []
    await asyncio.gather(*(_one_session(url, seconds, counts) for _ in range(n)))
    return counts


def run_sessions(url: str, n: int, seconds: float, results) -> None:
    """Play ``n`` sessions for ``seconds``; put (frames, last epoch) pairs."""
    results.put(asyncio.run(_sessions(url, n, seconds)))


def sample_latency(base: str, seconds: float) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {path: [] for path in PATHS}
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=base, timeout=10.0) as client:
        index = 0
        while time.monotonic() < deadline:
            path = PATHS[index % len(PATHS)]
            start = time.perf_counter()
            client.get(path).raise_for_status()
            samples[path].append((time.perf_counter() - start) * 1000)
            index += 1
            time.sleep(0.05)
    return samples


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(samples: dict[str, list[float]], counts: list, seconds: float) -> None:
    for path, values in samples.items():
        print(
            f"{path:>10}: n={len(values):4d}  p50 {percentile(values, 0.5):6.1f} ms  "
            f"p90 {percentile(values, 0.9):6.1f}  p99 {percentile(values, 0.99):6.1f}  "
            f"max {max(values):6.1f}"
        )
    rates = [frames / seconds for frames, _ in counts]
    epochs = sum(epoch for _, epoch in counts)
    print(
        f"sessions: {len(counts)}  frames/s per session: mean "
        f"{statistics.mean(rates):.1f}, min {min(rates):.1f}  "
        f"epochs trained in all: {epochs} ({epochs / seconds:.0f} epochs/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, cpus {os.cpu_count()}")

    port = free_port()
    base = f"http://{HOST}:{port}"
    server = start_server(port)
    players = None
    try:
        wait_until_up(base)
        baseline = sample_latency(base, 3.0)
        print("idle server:")
        report_idle = {path: values for path, values in baseline.items()}
        for path, values in report_idle.items():
            print(f"{path:>10}: p50 {percentile(values, 0.5):6.1f} ms")
        results = multiprocessing.get_context("spawn").Queue()
        players = multiprocessing.get_context("spawn").Process(
            target=run_sessions,
            args=(
                base.replace("http", "ws") + "/ws/playground",
                args.sessions,
                args.seconds + 3.0,
                results,
            ),
        )
        players.start()
        time.sleep(2.0)  # let every session connect and start playing
        samples = sample_latency(base, args.seconds)
        counts = results.get(timeout=args.seconds + 60)
        print(f"with {args.sessions} playing sessions:")
        report(samples, counts, args.seconds + 3.0)
    finally:
        if players is not None:
            players.join(timeout=30)
            if players.is_alive():
                players.terminate()
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
