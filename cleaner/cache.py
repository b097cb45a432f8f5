"""A findings cache keyed by document content, rules version and scan settings, kept in the output folder."""

from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
from pathlib import Path
from urllib.parse import quote

from cleaner.model import Applicability, Document, Finding

CACHE_FILE = "findings.sqlite"


def cache_key(config_digest: str, doc: Document) -> str:
    """Same text, source and encoding + same rules and settings -> same key, whatever the name."""
    key = f"{config_digest}\0{doc.source}\0{doc.encoding}\0{doc.sha256}"
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


APPLICABILITY = tuple(Applicability)  # index -> member, faster than calling the enum


def dump(findings: list[Finding]) -> bytes:
    """Findings without their document (a copy of the text elsewhere reuses them), positions included.

    A pickle of plain tuples: several times faster to write and read than JSON, and smaller (the
    codes, names and messages repeated in a document are stored once)."""
    return pickle.dumps(
        [
            (f.code, f.name, f.start, f.end, f.replacement, int(f.applicability), f.message, f.fix,
             f.confidence, f.line, f.col)
            for f in findings
        ],
        protocol=pickle.HIGHEST_PROTOCOL,
    )


def load(payload: bytes, doc: Document) -> list[Finding]:
    text, name, apps = doc.text, doc.doc, APPLICABILITY
    return [
        Finding(name, code, rule, start, end, text[start:end], repl, apps[app], msg, fix, conf, line, col)
        for code, rule, start, end, repl, app, msg, fix, conf, line, col in pickle.loads(payload)
    ]


SCHEMA = 2  # PRAGMA user_version: 2 = pickled findings (1 was JSON text)


def _migrate(conn: sqlite3.Connection) -> None:
    """Create the tables; a cache written in another format is emptied (it only costs a rescan)."""
    if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA:
        return
    with conn:
        conn.execute("BEGIN IMMEDIATE")  # one process migrates; the others wait, then see it done
        if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:
            conn.execute("DROP TABLE IF EXISTS findings")
            conn.execute("DROP TABLE IF EXISTS stats")
            conn.execute("CREATE TABLE findings (key TEXT PRIMARY KEY, payload BLOB NOT NULL)")
            conn.execute("CREATE TABLE stats (key TEXT PRIMARY KEY, payload BLOB NOT NULL)")
            conn.execute(f"PRAGMA user_version = {SCHEMA}")


class FindingCache:
    """SQLite file of key -> findings. Workers read; only the main process writes.

    A read-only cache (`apply --diff`, which writes nothing) is opened with SQLite's mode=ro, only
    when it exists and has this format: it is never created, migrated or added to (and, when no
    write-ahead log is beside it, immutable: SQLite leaves no -wal or -shm file either)."""

    def __init__(self, folder: Path, *, read_only: bool = False):
        self.path = folder / CACHE_FILE
        self._conn: sqlite3.Connection | None = None
        self.usable = True
        self.read_only = read_only

    def _connect(self) -> sqlite3.Connection | None:
        if self._conn is None and self.usable and self.read_only:
            try:
                if not self.path.is_file():
                    raise OSError("no cache")
                uri = "file:" + quote(os.fsencode(self.path.absolute()), safe="/") + "?mode=ro"
                if not any(self.path.with_name(self.path.name + s).exists() for s in ("-wal", "-journal")):
                    uri += "&immutable=1"  # nobody writes it now: no -wal, -shm left beside it
                conn = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
                if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:
                    conn.close()
                    raise OSError("another format")
                self._conn = conn
            except (sqlite3.Error, OSError):
                self.usable = False
        if self._conn is None and self.usable:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=OFF")
                _migrate(conn)
                self._conn = conn
            except (sqlite3.Error, OSError):
                self.usable = False  # a read-only or broken cache only costs speed
        return self._conn

    def get_many(self, keys: list[str], table: str = "findings") -> dict[str, str]:
        """Cached payloads of the keys found; `table` is "findings" or "stats" (pickles, or link keys)."""
        conn = self._connect()
        if conn is None or not keys:
            return {}
        found: dict[str, str] = {}
        try:
            for i in range(0, len(keys), 500):
                batch = keys[i : i + 500]
                marks = ",".join("?" * len(batch))
                found.update(conn.execute(f"SELECT key, payload FROM {table} WHERE key IN ({marks})", batch))
        except sqlite3.Error:
            return {}
        return found

    def existing(self, keys: list[str], table: str = "findings") -> set[str]:
        """Which of the keys are cached (without reading their payloads)."""
        conn = self._connect()
        if conn is None or not keys:
            return set()
        found: set[str] = set()
        try:
            for i in range(0, len(keys), 500):
                batch = keys[i : i + 500]
                marks = ",".join("?" * len(batch))
                found.update(k for (k,) in conn.execute(f"SELECT key FROM {table} WHERE key IN ({marks})", batch))
        except sqlite3.Error:
            return set()
        return found

    def keys(self, prefix: str, table: str = "findings") -> set[str]:
        """Every key of the table that starts with `prefix` (for a remote engine's workers, which
        cannot open this file: which unit statistics they need not compute)."""
        conn = self._connect()
        if conn is None or not prefix:
            return set()
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)  # keys sort as strings: [prefix, end) is the prefix
        try:
            return {k for (k,) in conn.execute(f"SELECT key FROM {table} WHERE key >= ? AND key < ?", (prefix, end))}
        except sqlite3.Error:
            return set()

    def put_many(self, items: list[tuple[str, str]], table: str = "findings") -> None:
        if self.read_only:
            return
        conn = self._connect()
        if conn is None or not items:
            return
        try:
            with conn:
                conn.execute("BEGIN")
                conn.executemany(f"INSERT OR REPLACE INTO {table} VALUES (?, ?)", items)
        except sqlite3.Error:
            self.usable = False

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __getstate__(self):
        # a connection does not cross into worker processes: each opens its own
        return {"path": self.path, "_conn": None, "usable": self.usable, "read_only": self.read_only}


def dump_stats(stats: object) -> bytes:
    return pickle.dumps(stats, protocol=pickle.HIGHEST_PROTOCOL)


def load_stats(payload: bytes) -> object:
    return pickle.loads(payload)
