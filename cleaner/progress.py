"""A progress line on stderr for long runs: documents, MB and ETA; silent when not a terminal or with -q."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total_bytes: int, label: str, enabled: bool | None = None, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.total = max(total_bytes, 1)
        self.base = self.label = label
        self.done_bytes = 0
        self.docs = 0
        self.start = time.monotonic()
        self._last = 0.0

    def stage(self, name: str) -> None:
        """Start a new stage over the same bytes (a run reads everything, then scans what it must)."""
        self.label = f"{self.base} {name}"
        self.done_bytes = self.docs = 0
        self.start = time.monotonic()
        self._last = 0.0

    def advance(self, nbytes: int, docs: int) -> None:
        self.done_bytes += nbytes
        self.docs += docs
        now = time.monotonic()
        if self.enabled and (now - self._last > 0.1 or self.done_bytes >= self.total):
            self._last = now
            self.stream.write("\r" + self.line(now) + "\x1b[K")  # erase what a longer line left
            self.stream.flush()

    def line(self, now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        frac = min(self.done_bytes / self.total, 1.0)
        width = 24
        bar = "█" * int(frac * width) + "░" * (width - int(frac * width))
        elapsed = now - self.start
        eta = (elapsed / frac - elapsed) if frac > 0 else 0
        mb, total_mb = self.done_bytes / 1e6, self.total / 1e6
        return (
            f"{self.label} {bar} {frac:4.0%}  {self.docs:,} docs  {mb:,.1f}/{total_mb:,.1f} MB"
            f"  {mb / elapsed if elapsed > 0 else 0:,.1f} MB/s  ETA {_clock(eta)} "
        )

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 100 + "\r")
            self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"
