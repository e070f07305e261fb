"""Live sessions by id, with a cap on their number and expiry when idle.

The manager also shares the compute among the sessions that play. Each one
gets a training slice per frame that shrinks as more of them play, at most
``max_parallel`` slices run at once, and with several sessions the frames
come less often, so that the server's event loop stays free to serve other
requests.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ._session import Session
from ._state import PlaygroundState


class SessionLimitReached(RuntimeError):
    """Raised when a new session would pass the cap on live sessions."""


@dataclass
class Budget:
    """How much compute a playing session may use per frame.

    Frames go out at ``frame_rate`` per second. A training slice lasts at
    most ``max_slice`` seconds. One playing session may train for ``share``
    of each frame interval. Several share ``crowd_share`` of the interval on
    each of ``max_parallel`` workers, which leaves the event loop more time,
    because every slice competes with it for Python's GIL.
    """

    frame_rate: float = 25.0
    max_slice: float = 0.032
    # About two epochs of a 2-8-8-1 network on 250 points, so that a crowded
    # server still trains each session between two of its frames.
    min_slice: float = 0.002
    share: float = 0.8
    crowd_share: float = 0.5
    max_parallel: int = 1

    @property
    def frame_interval(self) -> float:
        return 1.0 / self.frame_rate

    def share_for(self, n_playing: int) -> float:
        """Return the share of the workers' time that ``n_playing`` sessions get."""
        return self.share if n_playing <= 1 else self.crowd_share

    def slice(self, n_playing: int) -> float:
        """Return the per-frame training time of one of ``n_playing`` sessions."""
        n = max(n_playing, 1)
        total = self.share_for(n) * self.frame_interval * self.max_parallel
        return max(self.min_slice, min(self.max_slice, total / n))


@dataclass
class _Entry:
    session: Session
    last_active: float


@dataclass
class SessionManager:
    """Sessions keyed by an unguessable id, capped and expired when idle.

    ``clock`` is ``time.monotonic`` unless a test passes its own. A session is
    idle when no message has arrived for ``idle_timeout`` seconds and it is not
    playing on a visible page.
    """

    max_sessions: int = 64
    idle_timeout: float = 300.0
    budget: Budget = field(default_factory=Budget)
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self.slice_cost = 0.0

    def note_slice(self, seconds: float) -> None:
        """Record the wall time of one slice (training and frame) just run.

        The cost is kept as a moving average over about the last 10 slices.
        """
        if self.slice_cost == 0.0:
            self.slice_cost = seconds
        else:
            self.slice_cost += 0.1 * (seconds - self.slice_cost)

    def frame_interval(self) -> float:
        """Return the time between two frames of one playing session now.

        It is the budget's frame interval while the workers keep up, and
        longer when several playing sessions' slices together would take
        more than ``crowd_share`` of the workers' time, so the event loop
        keeps time to serve other requests.
        """
        budget = self.budget
        n = self.n_playing
        if n <= 1:
            return budget.frame_interval
        needed = n * self.slice_cost / (budget.share_for(n) * budget.max_parallel)
        return max(budget.frame_interval, needed)

    def create(self, state: PlaygroundState | None = None) -> Session:
        """Create a session with a new id; raise ``SessionLimitReached`` at the cap."""
        with self._lock:
            if len(self._entries) >= self.max_sessions:
                raise SessionLimitReached(
                    f"the server already runs {len(self._entries)} playground "
                    f"sessions, its limit; close another playground tab or try "
                    "again in a few minutes"
                )
            session_id = secrets.token_urlsafe(18)
            session = Session(state, session_id)
            self._entries[session_id] = _Entry(session, self.clock())
            return session

    def get(self, session_id: str) -> Session | None:
        """Return the live session ``session_id``, or ``None``."""
        entry = self._entries.get(session_id)
        return entry.session if entry else None

    def touch(self, session_id: str) -> None:
        """Mark the session as active now (a message arrived)."""
        entry = self._entries.get(session_id)
        if entry is not None:
            entry.last_active = self.clock()

    def close(self, session_id: str) -> bool:
        """Free the session; return whether it was live."""
        with self._lock:
            entry = self._entries.pop(session_id, None)
        if entry is not None:
            entry.session.playing = False
        return entry is not None

    def expire_idle(self) -> list[str]:
        """Free every idle session and return their ids."""
        now = self.clock()
        expired = [
            session_id
            for session_id, entry in list(self._entries.items())
            if now - entry.last_active > self.idle_timeout
            and not (entry.session.playing and entry.session.visible)
        ]
        for session_id in expired:
            self.close(session_id)
        return expired

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, session_id: object) -> bool:
        return session_id in self._entries

    @property
    def n_playing(self) -> int:
        """The number of sessions that play on a visible page."""
        return sum(
            1
            for entry in list(self._entries.values())
            if entry.session.playing and entry.session.visible
        )

    def slice(self) -> float:
        """Return the per-frame training time of a playing session now."""
        return self.budget.slice(self.n_playing)
