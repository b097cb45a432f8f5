"""A real `cleaner review` in a pseudo-terminal, killed with SIGKILL: every decision it made is in the store."""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import struct
import sys
import termios
import threading
import time
from pathlib import Path

import pytest
from conftest import make_setup

from cleaner.decisions import DecisionStore
from cleaner.model import Verdict
from cleaner.tui.app import ReviewApp

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")


class Terminal:
    """A child process on a pty, its output collected by a thread so it never blocks writing."""

    def __init__(self, argv: list[str], cwd: Path, size=(30, 100)):
        env = dict(os.environ, TERM="xterm-256color", TEXTUAL_ANIMATIONS="none")
        env.pop("COLUMNS", None)
        env.pop("LINES", None)
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child
            os.chdir(cwd)
            os.execvpe(argv[0], argv, env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))
        self.output = bytearray()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                return
            if not data:
                return
            self.output.extend(data)

    def wait_for(self, predicate, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        raise AssertionError(f"timed out; screen output ends with {bytes(self.output[-400:])!r}")

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def kill(self) -> int:
        os.kill(self.pid, signal.SIGKILL)
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return status


def stored(db: Path) -> dict:
    if not db.exists():
        return {}
    with DecisionStore(db, create=False) as store:
        return store.all()


async def test_kill_9_loses_no_decision_and_reopening_resumes(workdir):
    db = workdir / ".cleaner" / "decisions.sqlite"
    term = Terminal(
        [
            sys.executable,
            "-m",
            "cleaner",
            "review",
            "corpus",
            "--rules",
            "rules",
            "--reviewer",
            "killed",
            "--no-cache",
            "-j",
            "1",
        ],
        workdir,
    )
    try:
        term.wait_for(lambda: b"5 pending" in term.output)  # the scan is done, the queue is on screen
        for n, key in enumerate("axa", 1):
            term.send(key)
            term.wait_for(lambda n=n: len(stored(db)) == n)
        term.wait_for(lambda: b"2 pending" in term.output)  # ... and shown as made
    finally:
        status = term.kill()
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    decisions = stored(db)
    setup = make_setup(workdir)
    findings = [f for _u, r in setup.scan()[0] for f in r.all_findings()]
    assert [decisions[f.id].verdict for f in findings[:3]] == [
        Verdict.ACCEPTED,
        Verdict.REJECTED,
        Verdict.ACCEPTED,
    ]
    assert {d.reviewer for d in decisions.values()} == {"killed"}
    assert all(f.id not in decisions for f in findings[3:])
    app = ReviewApp(setup)
    async with app.run_test(size=(100, 30)) as pilot:
        while app.session is None:
            await pilot.pause(0.02)
        await pilot.pause()
        screen = app.screen
        assert screen.queue.current == 3  # the first finding without a verdict
        assert "resumed at the first undecided finding" in screen.last_message
    setup.store.close()
