"""Settings of the web lab, read once when the app is built."""

from __future__ import annotations

import os
from dataclasses import dataclass

from . import curves

LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


# As a Host header names them, an IPv6 address in brackets.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


@dataclass(frozen=True)
class Settings:
    """Listening address, log level and page defaults of the web lab.

    ``from_env`` reads ``ACTLAB_HOST``, ``ACTLAB_PORT`` and ``ACTLAB_LOG_LEVEL``.
    The host defaults to loopback because the lab has no authentication.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"
    # Samples per curve that the explorer page requests.
    explorer_points: int = 481
    # Cap on live playground sessions, and seconds after which a session with
    # no message that is paused or hidden is closed.
    playground_max_sessions: int = 64
    playground_idle_seconds: float = 300.0
    # The store's SQLAlchemy URL; None means ACTLAB_DATABASE_URL or the SQLite
    # file in the user's data directory. New flash cards shown per day.
    database_url: str | None = None
    new_cards_per_day: int = 20
    # Host names that requests may carry in their Host header, besides
    # loopback; see ``trusted_hosts``.
    extra_hosts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"invalid port {self.port}: expected 0 to 65535")
        if self.log_level not in LOG_LEVELS:
            raise ValueError(
                f"invalid log level {self.log_level!r}: "
                f"choose one of {', '.join(LOG_LEVELS)}"
            )
        if not 0 <= self.new_cards_per_day <= 1000:
            raise ValueError(
                f"invalid new_cards_per_day {self.new_cards_per_day}: "
                "expected 0 to 1000"
            )
        if not curves.MIN_POINTS <= self.explorer_points <= curves.MAX_POINTS:
            raise ValueError(
                f"invalid explorer_points {self.explorer_points}: "
                f"expected {curves.POINTS_TEXT}"
            )

    def trusted_hosts(self) -> list[str]:
        """Return the host names that the lab answers to, ``["*"]`` for any.

        A page of another site can make its own name resolve to 127.0.0.1
        (DNS rebinding) and then read and write the lab as if it were the
        lab's own page, so requests whose Host header names anything else
        are rejected. Bound to all interfaces (``0.0.0.0`` or ``::``), the
        lab cannot know the names it is reached by, so any is accepted.
        """
        if self.host in ("0.0.0.0", "::", "") or "*" in self.extra_hosts:
            return ["*"]
        host = f"[{self.host}]" if ":" in self.host else self.host
        return list(dict.fromkeys([*LOOPBACK_HOSTS, host, *self.extra_hosts]))

    @classmethod
    def from_env(cls) -> Settings:
        """Build settings from ``ACTLAB_*`` environment variables and defaults.

        ``ACTLAB_DATABASE_URL`` is read by the store itself when
        ``database_url`` is None.
        """
        defaults = cls()
        port_text = os.environ.get("ACTLAB_PORT", str(defaults.port))
        try:
            port = int(port_text)
        except ValueError:
            raise ValueError(
                f"invalid ACTLAB_PORT={port_text!r}: expected an integer port"
            ) from None
        log_level = os.environ.get("ACTLAB_LOG_LEVEL", defaults.log_level).lower()
        if log_level not in LOG_LEVELS:
            raise ValueError(
                f"invalid ACTLAB_LOG_LEVEL={log_level!r}: choose one of "
                f"{', '.join(LOG_LEVELS)}"
            )
        return cls(
            host=os.environ.get("ACTLAB_HOST", defaults.host),
            port=port,
            log_level=log_level,
        )
