"""The review store: every accept/reject is written to SQLite at once, so a killed session loses nothing.

The store belongs to the corpus, not to an output folder: `.cleaner/decisions.sqlite` in the folder
you run from (or `decisions = "path"` in ./cleaner.toml), shared by review, apply and scan whatever
`--out` is. `export_jsonl` / `import_jsonl` move decisions between stores (reviewers working on parts
of a corpus combine their work).
"""

from __future__ import annotations

import getpass
import json
import math
import os
import re
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from cleaner.model import Decision, Verdict

APPLICATION_ID = 0x636C6E72  # "clnr": marks a file as ours, so a foreign database is never touched
SCHEMA_VERSION = 2  # 2: the finding's code, original and proposed replacement kept with its verdict
SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    finding_id  TEXT PRIMARY KEY,
    doc         TEXT NOT NULL,
    doc_sha256  TEXT NOT NULL,
    verdict     TEXT NOT NULL CHECK (verdict IN ('accepted', 'rejected')),
    replacement TEXT,
    reviewer    TEXT NOT NULL,
    time        REAL NOT NULL,
    code        TEXT,
    original    TEXT,
    proposed    TEXT
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

    def __init__(self, path: Path | str, *, create: bool = True, read_only: bool | None = None):
        """Open (or make, with create) the store at path. A store opened only to be read (read_only,
        which create=False implies) is opened read-only: no write-ahead-log switch, no upgrade of a
        version 1 store (its missing columns read as empty), so the file is left exactly as it was."""
        self.path = Path(path)
        self.note = ""  # one line for the user about where the store was found (see locate_store)
        self.read_only = (not create) if read_only is None else read_only
        self._columns = _COLUMNS
        existed = self.path.exists()
        if not existed and not create:
            self.conn = None
            return
        if existed:
            _check_ours(self.path)
        elif self.read_only:
            raise StoreError(f"{self.path}: no decision store here")
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.read_only:
            try:
                self.conn = sqlite3.connect(_uri(self.path), uri=True, isolation_level=None, timeout=10)
                present = {r[1] for r in self.conn.execute("PRAGMA table_info(decisions)")}
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"{self.path}: not a readable SQLite decision store ({exc}); left untouched") from None
            self._columns = ", ".join(c if c in present else f"NULL AS {c}" for c in _COLUMNS.split(", "))
            return
        self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=10)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        if not existed:
            self.conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
            self.conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            self.conn.executescript(SCHEMA)
        elif self.conn.execute("PRAGMA user_version").fetchone()[0] < 2:  # a version 1 store: add the columns
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                columns = {r[1] for r in self.conn.execute("PRAGMA table_info(decisions)")}
                for column in ("code", "original", "proposed"):
                    if column not in columns:
                        self.conn.execute(f"ALTER TABLE decisions ADD COLUMN {column} TEXT")
                self.conn.execute("PRAGMA user_version=2")

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
        rows = self.conn.execute(f"SELECT {self._columns} FROM decisions")
        return {r[0]: _decision(r) for r in rows.fetchall()}

    def get(self, finding_id: str) -> Decision | None:
        if self.conn is None:
            return None
        r = self.conn.execute(f"SELECT {self._columns} FROM decisions WHERE finding_id = ?", (finding_id,)).fetchone()
        return _decision(r) if r else None

    def describe(self, rows: list[tuple[str, str, str, str]]) -> None:
        """Fill in (finding id, code, original, proposed) of decisions stored without them (a version 1 store)."""
        if self.conn is None or self.read_only or not rows:  # a store only read is left as it was
            return
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.executemany(
                "UPDATE decisions SET code = ?, original = ?, proposed = ? WHERE finding_id = ? AND code IS NULL",
                [(code, original, proposed, fid) for fid, code, original, proposed in rows],
            )

    def put(self, decision: Decision) -> None:
        """Record a verdict (replacing an earlier one for the same finding); durable on return."""
        self._require()
        stamp = decision.time or time.time()
        reviewer = decision.reviewer or default_reviewer()
        with self.conn:  # one transaction: both rows or neither
            self.conn.execute("BEGIN")
            self._insert(decision, reviewer, stamp)

    def put_many(self, decisions: list[Decision]) -> None:
        self._require()
        with self.conn:
            self.conn.execute("BEGIN")
            for d in decisions:
                self._insert(d, d.reviewer or default_reviewer(), d.time or time.time())

    def _insert(self, d: Decision, reviewer: str, stamp: float) -> None:
        self.conn.execute(
            f"INSERT OR REPLACE INTO decisions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (d.finding_id, d.doc, d.doc_sha256, d.verdict.value, d.replacement, reviewer, stamp,
             d.code or None, d.original, d.proposed),
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
        if self.read_only:
            raise StoreError(f"{self.path}: opened read-only")


_COLUMNS = "finding_id, doc, doc_sha256, verdict, replacement, reviewer, time, code, original, proposed"


def _decision(r) -> Decision:
    return Decision(r[0], r[1], r[2], Verdict(r[3]), r[4], r[5], r[6], code=r[7] or "", original=r[8], proposed=r[9])


def _uri(path: Path) -> str:
    """A read-only file: URI for path (a name holding ? or # is not cut short). Without a write-ahead
    log beside it (nobody has it open, every write is in the file) it is also immutable, so SQLite
    does not leave a -wal and a -shm file beside a store it only read."""
    from urllib.parse import quote

    quiet = not any(path.with_name(path.name + s).exists() for s in ("-wal", "-journal"))
    return "file:" + quote(os.fsencode(path.absolute()), safe="/") + "?mode=ro" + ("&immutable=1" if quiet else "")


def _check_ours(path: Path) -> None:
    """Refuse a file that is not a cleaner decision store, without writing to it."""
    try:
        conn = sqlite3.connect(_uri(path), uri=True)
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


# ---------------------------------------------------------------- where the store lives

DEFAULT_STORE = Path(".cleaner") / "decisions.sqlite"
OLD_NAME = "decisions.sqlite"  # before: OUT/decisions.sqlite, inside the output folder
CONFIG = Path("cleaner.toml")


@dataclass
class Location:
    """Where the decision store is, and one line to tell the user when it was found somewhere else."""

    path: Path
    note: str = ""


def configured_store() -> Path:
    """`decisions = "path"` in ./cleaner.toml (relative to the folder you run from), else .cleaner/decisions.sqlite."""
    import tomllib

    if not CONFIG.is_file():
        return DEFAULT_STORE
    try:
        value = tomllib.loads(CONFIG.read_text(encoding="utf-8")).get("decisions")
    except tomllib.TOMLDecodeError as exc:
        raise StoreError(f"{CONFIG}: {exc}") from None
    if value is None:
        return DEFAULT_STORE
    if not isinstance(value, str) or not value.strip():
        raise StoreError(f'{CONFIG}: decisions must be a file name such as ".cleaner/decisions.sqlite"')
    return Path(value)


def locate_store(db: str | None, out_dir: Path, inputs: list[str], *, migrate: bool, create: bool = True) -> Location:
    """The decision store of this corpus: --db, else cleaner.toml's `decisions`, else .cleaner/decisions.sqlite.

    A store at the old default (OUT/decisions.sqlite or reviewed/decisions.sqlite) when the new one does
    not exist yet is copied to the new place (migrate) or read where it is, with a note saying so; the
    old file is left as it was. A store inside an input corpus is refused (the input is never touched:
    SQLite would write its journal there), unless there is none and none is to be made.
    """
    path = Path(db) if db else configured_store()
    inside = inside_input(path, inputs)
    if inside is not None and (create or path.exists()):
        raise StoreError(
            f"{'--db' if db else 'the decision store'} {path} would be inside the input {inside}; run cleaner "
            "from the folder above it, or give --db FILE outside it"
        )
    if db or path.exists() or inside is not None:
        return Location(path)
    for old in dict.fromkeys((out_dir / OLD_NAME, Path("reviewed") / OLD_NAME)):
        if not old.is_file():
            continue
        _check_ours(old)
        if not migrate:
            return Location(old, f"using the decisions in {old} (cleaner review or apply moves them to {path})")
        copy_store(old, path)
        return Location(path, f"moved the decisions in {old} to {path}, shared by every --out ({old} left as it was)")
    return Location(path)


SIDECARS = {"": "", "-wal": "write-ahead log", "-shm": "shared-memory index", "-journal": "rollback journal"}


def protected_stores(db: str | None, out_dir: Path) -> list[Path]:
    """The decision stores an output file must never be: --db, else cleaner.toml's (or the default)
    and a store at an old default that would be read in its stead."""
    if db:
        return [Path(db)]
    path = configured_store()
    return [path, *(old for old in dict.fromkeys((out_dir / OLD_NAME, Path("reviewed") / OLD_NAME)) if old.is_file())]


def store_hit(target: Path, stores: list[Path]) -> str | None:
    """How target is one of the stores, or a file SQLite keeps beside one (its -wal, -shm or
    -journal, beside the name or beside the file a symlink leads to); None when it is neither.
    Symlinks are resolved and hard links compared, so no path to the store slips through."""
    resolved = target.resolve()
    for store in stores:
        for base in dict.fromkeys((Path(os.path.abspath(store)), store.resolve())):
            for suffix, what in SIDECARS.items():
                candidate = base.with_name(base.name + suffix)
                same = resolved == candidate.resolve()
                if not same and target.exists() and candidate.exists():
                    try:
                        same = os.path.samefile(target, candidate)
                    except OSError:
                        pass
                if same:
                    return f"the decision store {store}" if not suffix else f"the {what} of the decision store {store}"
    return None


def inside_input(path: Path, inputs: list[str]) -> str | None:
    """The input path (as given) that path is, or lies inside; None when it is outside every input."""
    resolved = path.resolve()
    for arg in inputs:
        root = Path(arg).resolve()
        if resolved == root or (root.is_dir() and root in resolved.parents):
            return arg
    return None


def copy_store(source: Path, target: Path) -> None:
    """A consistent copy (its write-ahead log included) through SQLite's backup; the source is only read."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(_uri(source), uri=True)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    partial.replace(target)


# ---------------------------------------------------------------- export and import (JSONL)


def _iso(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def decision_json(d: Decision) -> dict:
    """One exported decision; `replacement` is what apply writes in place of `original` (None: not known)."""
    edited = d.replacement is not None
    return {
        "id": d.finding_id,
        "doc": d.doc,
        "sha256": d.doc_sha256,
        "code": d.code or None,
        "original": d.original,
        "replacement": d.replacement if edited else d.proposed,
        "edited": edited,
        "proposed": d.proposed,  # the finding's own replacement
        "verdict": d.verdict.value,
        "reviewer": d.reviewer,
        "time": _iso(d.time),
    }


def export_jsonl(store: DecisionStore, out) -> int:
    """Write every decision of the store, one JSON object a line, in document order; how many."""
    decisions = sorted(store.all().values(), key=lambda d: (d.doc, d.finding_id))
    for d in decisions:
        out.write(json.dumps(decision_json(d), ensure_ascii=False) + "\n")
    return len(decisions)


SHA256 = re.compile(r"^[0-9a-f]{64}$")


def parse_decision(line: str) -> Decision:
    """A Decision from one exported line (ValueError says what is wrong).

    The line may hold bytes that were not UTF-8 (read with surrogateescape: they are refused here,
    with their column); every string must be encodable (no lone surrogate such as "\\ud800"), and
    the time must be an ISO 8601 time or a finite number of seconds that datetime can show, so what
    is imported can be stored and exported again."""
    bad = next((i for i, ch in enumerate(line) if "\udc80" <= ch <= "\udcff"), None)
    if bad is not None:
        raise ValueError(f"not UTF-8 (byte 0x{ord(line[bad]) - 0xDC00:02x} at column {bad + 1})")
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise ValueError("not JSON that can be read (nested too deeply)") from None
    except ValueError:  # an integer of thousands of digits
        raise ValueError("not JSON that can be read (a number too long to convert)") from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    for key in ("id", "doc", "sha256", "verdict"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise ValueError(f"{key!r} missing or not a string")
    if not SHA256.match(data["sha256"]):
        raise ValueError(f"'sha256' is not 64 hex digits: {data['sha256']!r}")
    try:
        verdict = Verdict(data["verdict"])
    except ValueError:
        raise ValueError(f"'verdict' must be accepted or rejected, not {data['verdict']!r}") from None
    for key in ("code", "original", "replacement", "proposed", "reviewer"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise ValueError(f"{key!r} is not a string")
    for key in ("id", "doc", "code", "original", "replacement", "proposed", "reviewer"):
        if isinstance(data.get(key), str):
            try:
                data[key].encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ValueError(f"{key!r} holds a lone surrogate ({data[key][exc.start]!r})") from None
    stamp = _stamp(data.get("time"))
    edited = bool(data.get("edited", False))
    replacement = data.get("replacement")
    return Decision(
        data["id"], data["doc"], data["sha256"], verdict,
        replacement if edited else None, data.get("reviewer") or "unknown", stamp,
        code=data.get("code") or "", original=data.get("original"),
        proposed=data["proposed"] if "proposed" in data else (None if edited else replacement),
    )


def _stamp(value) -> float:
    """Seconds since the epoch from an exported `time` (ISO 8601, or a number); now when missing.
    ValueError unless it is a finite time within datetime's years 1 to 9999 (what export writes)."""
    if value is None:
        return time.time()
    if isinstance(value, str):
        try:
            stamp = datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except (ValueError, OverflowError, OSError):
            raise ValueError(f"'time' is not an ISO 8601 time: {value[:60]!r}") from None
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            stamp = float(value)
        except OverflowError:  # an integer beyond any float
            raise ValueError(f"'time' is out of range (years 1 to 9999): a number of {len(str(abs(value)))} "
                             "digits") from None
    else:
        raise ValueError("'time' is neither an ISO 8601 time nor a number")
    if not math.isfinite(stamp):
        raise ValueError(f"'time' is not a finite number: {value}")
    try:
        _iso(stamp)
    except (ValueError, OverflowError, OSError):
        shown = repr(value[:60]) if isinstance(value, str) else f"{stamp:.6g}"
        raise ValueError(f"'time' is out of range (years 1 to 9999): {shown}") from None
    return stamp


@dataclass
class Merge:
    """What an import did: added, already there (same verdict), conflicts kept as they were, bad lines."""

    added: int = 0
    same: int = 0
    conflicts: list[str] = field(default_factory=list)
    malformed: list[str] = field(default_factory=list)


def _effective(d: Decision) -> tuple[str, str | None]:
    return d.verdict.value, d.replacement


def import_jsonl(store: DecisionStore, lines, name: str) -> Merge:
    """Merge exported decisions into the store: new ones are added, identical ones counted, and a
    different verdict (or edit) on a finding the store already decided, or one made on another
    version of the document (another sha256), is a conflict, reported and left as the store has it.
    Malformed lines are reported with name:line; the rest is imported."""
    merge = Merge()
    existing = store.all()
    new: dict[str, Decision] = {}
    where: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            d = parse_decision(line)
        except ValueError as exc:
            merge.malformed.append(f"{name}:{number}: {exc}")
            continue
        have = new.get(d.finding_id) or existing.get(d.finding_id)
        if have is None:
            new[d.finding_id], where[d.finding_id] = d, number
            continue
        other_doc = have.doc_sha256 != d.doc_sha256  # made on another version of the document
        if _effective(have) == _effective(d) and not other_doc:
            merge.same += 1
            continue
        what = f"{d.doc} {d.code or have.code or '?'} {(d.original or have.original or '')[:40]!r}".rstrip()
        here = "the store" if d.finding_id not in new else f"line {where[d.finding_id]}"
        merge.conflicts.append(
            f"{name}:{number}: conflict on finding {d.finding_id} ({what}): {here} has {_said(have, other_doc)}, "
            f"this line {_said(d, other_doc)}; kept {here}'s"
        )
    if new:
        store.put_many(list(new.values()))
    merge.added = len(new)
    return merge


def _said(d: Decision, version: bool = False) -> str:
    edit = f" as {d.replacement!r}" if d.replacement is not None else ""
    on = f" on the document with sha256 {d.doc_sha256[:12]}…" if version else ""
    return f"{d.verdict.value}{edit} by {d.reviewer}{on}"
