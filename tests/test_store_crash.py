"""SIGKILL in the middle of reviews: the store loses nothing and doubles nothing."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from actlab.practice import CardState, Scheduler
from actlab.store import Store

CARDS = ["sigmoid-formula", "relu-slope", "linear-formula"]
ACTIONS = 120
LOOPBACK = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def _start_server(url: str, port: int, log: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "actlab",
        "serve",
        "--port",
        str(port),
        "--database-url",
        url,
    ]
    env = {**os.environ, "ACTLAB_LOG_LEVEL": "warning"}
    with log.open("ab") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, env=env
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://{LOOPBACK}:{port}/healthz", timeout=1):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the server did not start:\n{log.read_text()}")


def _review(port: int, index: int) -> bool:
    """Send review ``index``; return True if the server said it was stored."""
    card = CARDS[index % len(CARDS)]
    body = json.dumps(
        {"rating": 1 + index % 4, "practice": index % 5 == 0, "action_id": f"a{index}"}
    ).encode()
    request = urllib.request.Request(
        f"http://{LOOPBACK}:{port}/api/cards/{card}/review",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status == 200
    except (OSError, urllib.error.HTTPError):
        return False


def _replayed(store: Store, card_id: str) -> CardState | None:
    """Replay the card's stored, scheduled reviews from new, with FSRS."""
    scheduler = Scheduler()
    log = [entry for entry in store.reviews(card_id) if not entry["practice"]]
    if not log:
        return None
    from datetime import datetime

    card = CardState.new(0, datetime.fromisoformat(log[0]["reviewed_at"]))
    for entry in log:
        moment = datetime.fromisoformat(entry["reviewed_at"])
        card, _ = scheduler.review(card, entry["rating"], moment)
    return card


@pytest.mark.slow
def test_sigkill_mid_review_loses_and_doubles_nothing(any_database_url, tmp_path):
    url = any_database_url
    log = tmp_path / "server.log"
    port = _free_port()
    server = _start_server(url, port, log)
    acknowledged: set[int] = set()
    lock = threading.Lock()
    started = threading.Event()

    def send(first: int) -> None:
        for index in range(first, ACTIONS, 4):
            if _review(port, index):
                with lock:
                    acknowledged.add(index)
                    if len(acknowledged) >= 20:
                        started.set()

    workers = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for worker in workers:
        worker.start()
    assert started.wait(60), log.read_text()
    server.send_signal(signal.SIGKILL)
    server.wait(10)
    for worker in workers:
        worker.join()
    assert len(acknowledged) < ACTIONS, "the kill came after every review"

    with Store.open(url) as store:
        stored = {int(entry["action_id"][1:]) for entry in store.reviews()}
    # Every review the server acknowledged is in the store.
    assert acknowledged <= stored

    # The learner's page sends every action again; nothing counts twice.
    server = _start_server(url, port, log)
    try:
        for index in range(ACTIONS):
            assert _review(port, index), log.read_text()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)

    with Store.open(url) as store:
        ids = [entry["action_id"] for entry in store.reviews()]
        assert sorted(ids) == sorted(f"a{index}" for index in range(ACTIONS))
        for card_id in CARDS:
            assert store.card(card_id).state == _replayed(store, card_id)
