"""A findings cache keyed by document content, rules version and scan settings, kept in the output folder."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from cleaner.model import Applicability, Document, Finding

CACHE_FILE = "findings.sqlite"


def cache_key(config_digest: str, doc: Document) -> str:
    """Same text + same rules + same settings -> same key, whatever the document is called."""
    return hashlib.sha256(f"{config_digest}\0{doc.sha256}".encode()).hexdigest()[:32]


def dump(findings: list[Finding]) -> str:
    """Findings without their document (a copy of the text elsewhere reuses them)."""
    return json.dumps(
        [
            [f.code, f.name, f.start, f.end, f.replacement, int(f.applicability), f.message, f.fix, f.confidence]
            for f in findings
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def load(payload: str, doc: Document) -> list[Finding]:
    return [
        Finding(doc.doc, code, name, start, end, doc.text[start:end], repl, Applicability(app), msg, fix, conf)
        for code, name, start, end, repl, app, msg, fix, conf in json.loads(payload)
    ]


class FindingCache:
    """SQLite file of key -> findings. Workers read; only the main process writes."""

    def __init__(self, folder: Path):
        self.path = folder / CACHE_FILE
        self._conn: sqlite3.Connection | None = None
        self.usable = True

    def _connect(self) -> sqlite3.Connection | None:
        if self._conn is None and self.usable:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=OFF")
                conn.execute("CREATE TABLE IF NOT EXISTS findings (key TEXT PRIMARY KEY, payload TEXT NOT NULL)")
                self._conn = conn
            except (sqlite3.Error, OSError):
                self.usable = False  # a read-only or broken cache only costs speed
        return self._conn

    def get_many(self, keys: list[str]) -> dict[str, str]:
        conn = self._connect()
        if conn is None or not keys:
            return {}
        found: dict[str, str] = {}
        try:
            for i in range(0, len(keys), 500):
                batch = keys[i : i + 500]
                marks = ",".join("?" * len(batch))
                found.update(conn.execute(f"SELECT key, payload FROM findings WHERE key IN ({marks})", batch))
        except sqlite3.Error:
            return {}
        return found

    def put_many(self, items: list[tuple[str, str]]) -> None:
        conn = self._connect()
        if conn is None or not items:
            return
        try:
            with conn:
                conn.execute("BEGIN")
                conn.executemany("INSERT OR REPLACE INTO findings VALUES (?, ?)", items)
        except sqlite3.Error:
            self.usable = False

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __getstate__(self):
        # a connection does not cross into worker processes: each opens its own
        return {"path": self.path, "_conn": None, "usable": self.usable}
