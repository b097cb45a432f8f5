"""The review store: every accept/reject is written to SQLite at once, so a killed session loses nothing."""

from __future__ import annotations

import getpass
import sqlite3
import time
from pathlib import Path

from cleaner.model import Decision, Verdict

APPLICATION_ID = 0x636C6E72  # "clnr": marks a file as ours, so a foreign database is never touched
SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    finding_id  TEXT PRIMARY KEY,
    doc         TEXT NOT NULL,
    doc_sha256  TEXT NOT NULL,
    verdict     TEXT NOT NULL CHECK (verdict IN ('accepted', 'rejected')),
    replacement TEXT,
    reviewer    TEXT NOT NULL,
    time        REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS history (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    finding_id  TEXT NOT NULL,
    action      TEXT NOT NULL,
    replacement TEXT,
    reviewer    TEXT NOT NULL,
    time        REAL NOT NULL
);
"""


class StoreError(Exception):
    """The file is not a usable decision store (corrupt, foreign, unreadable); it is left untouched."""


def default_reviewer() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "reviewer"


class DecisionStore:
    """Decisions by finding id; `put` and `clear` commit before they return."""

    def __init__(self, path: Path | str, *, create: bool = True):
        self.path = Path(path)
        existed = self.path.exists()
        if not existed and not create:
            self.conn = None
            return
        if existed:
            _check_ours(self.path)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=10)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        if not existed:
            self.conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
            self.conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            self.conn.executescript(SCHEMA)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def __enter__(self) -> DecisionStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def all(self) -> dict[str, Decision]:
        if self.conn is None:
            return {}
        rows = self.conn.execute(
            "SELECT finding_id, doc, doc_sha256, verdict, replacement, reviewer, time FROM decisions"
        )
        return {
            r[0]: Decision(r[0], r[1], r[2], Verdict(r[3]), r[4], r[5], r[6]) for r in rows.fetchall()
        }

    def get(self, finding_id: str) -> Decision | None:
        if self.conn is None:
            return None
        r = self.conn.execute(
            "SELECT finding_id, doc, doc_sha256, verdict, replacement, reviewer, time "
            "FROM decisions WHERE finding_id = ?",
            (finding_id,),
        ).fetchone()
        return Decision(r[0], r[1], r[2], Verdict(r[3]), r[4], r[5], r[6]) if r else None

    def put(self, decision: Decision) -> None:
        """Record a verdict (replacing an earlier one for the same finding); durable on return."""
        self._require()
        stamp = decision.time or time.time()
        reviewer = decision.reviewer or default_reviewer()
        with self.conn:  # one transaction: both rows or neither
            self.conn.execute("BEGIN")
            self.conn.execute(
                "INSERT OR REPLACE INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    decision.finding_id,
                    decision.doc,
                    decision.doc_sha256,
                    decision.verdict.value,
                    decision.replacement,
                    reviewer,
                    stamp,
                ),
            )
            self._log(decision.finding_id, decision.verdict.value, decision.replacement, reviewer, stamp)

    def put_many(self, decisions: list[Decision]) -> None:
        self._require()
        with self.conn:
            self.conn.execute("BEGIN")
            for d in decisions:
                stamp, reviewer = d.time or time.time(), d.reviewer or default_reviewer()
                self.conn.execute(
                    "INSERT OR REPLACE INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (d.finding_id, d.doc, d.doc_sha256, d.verdict.value, d.replacement, reviewer, stamp),
                )
                self._log(d.finding_id, d.verdict.value, d.replacement, reviewer, stamp)

    def clear(self, finding_id: str, reviewer: str = "") -> None:
        """Forget the verdict on a finding (undo): it is pending again."""
        self._require()
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.execute("DELETE FROM decisions WHERE finding_id = ?", (finding_id,))
            self._log(finding_id, "cleared", None, reviewer or default_reviewer(), time.time())

    def _log(self, finding_id, action, replacement, reviewer, stamp) -> None:
        self.conn.execute(
            "INSERT INTO history (finding_id, action, replacement, reviewer, time) VALUES (?, ?, ?, ?, ?)",
            (finding_id, action, replacement, reviewer, stamp),
        )

    def _require(self) -> None:
        if self.conn is None:
            raise StoreError(f"{self.path}: no decision store here")


def _check_ours(path: Path) -> None:
    """Refuse a file that is not a cleaner decision store, without writing to it."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: not a readable SQLite decision store ({exc}); left untouched") from None
    if app_id != APPLICATION_ID or "decisions" not in tables:
        raise StoreError(f"{path}: a database that is not cleaner's decision store; left untouched (use --db)")
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path}: made by a newer cleaner (schema {version}); upgrade cleaner to use it")
