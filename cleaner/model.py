"""The records every step passes along: Document, Finding, Decision, Applicability."""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from itertools import repeat
from typing import Any


class Applicability(enum.IntEnum):
    """How far a fix may be trusted; ordered like ruff's: display < unsafe < safe."""

    DISPLAY = 0  # shown to a reviewer, never applied automatically (and only by hand with an edit)
    UNSAFE = 1  # applied when accepted by a reviewer or with --unsafe
    SAFE = 2  # applied with --auto unless a reviewer rejected it

    @classmethod
    def parse(cls, value: str) -> Applicability:
        return cls[value.upper()]

    def __str__(self) -> str:
        return self.name.lower()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class Document:
    """One article: its text and where it came from.

    `doc` is the identity used everywhere (findings, decisions, manifest): the file
    path relative to the corpus root, or "<file>#<id>" / "<file>#<line>" for a JSONL record.
    """

    doc: str
    text: str
    path: str  # file path relative to the corpus root (the output mirrors it)
    source: str = ""  # grouping key for corpus-wide statistics (site, feed); "" when unknown
    encoding: str = "utf-8"  # how the bytes were decoded; anything else is reported by the unicode pass

    @property
    def sha256(self) -> str:
        return sha256_text(self.text)


@dataclass(frozen=True, slots=True, init=False)
class Finding:
    """A proposed edit: replace text[start:end] (== original) with replacement.

    Immutable like any frozen dataclass, but built without its __init__ (see __new__): a scan
    makes hundreds of thousands of findings, most of them in a few hot loops.
    """

    doc: str
    code: str
    name: str
    start: int
    end: int
    original: str
    replacement: str
    applicability: Applicability
    message: str
    fix: str = ""  # what the fix does, e.g. "delete line"; separate from the message (what is wrong)
    confidence: float = 1.0
    line: int = 0  # 1-based position of `start`, filled in by the scanner
    col: int = 0

    def __new__(
        cls,
        doc: str,
        code: str,
        name: str,
        start: int,
        end: int,
        original: str,
        replacement: str,
        applicability: Applicability,
        message: str,
        fix: str = "",
        confidence: float = 1.0,
        line: int = 0,
        col: int = 0,
    ) -> Finding:
        """The dataclass __init__ of a frozen class sets each field through object.__setattr__
        (about 2 µs a finding); this fills a _Draft, which has the same slots and plain attribute
        stores, and turns it into a Finding (about 4x faster). A subclass gets the slow way."""
        if cls is not Finding:
            self = object.__new__(cls)
            values = (doc, code, name, start, end, original, replacement, applicability, message, fix,
                      confidence, line, col)
            for field_name, value in zip(_FIELDS, values, strict=True):
                object.__setattr__(self, field_name, value)
            return self
        self = _new_object(_Draft)
        self.doc = doc
        self.code = code
        self.name = name
        self.start = start
        self.end = end
        self.original = original
        self.replacement = replacement
        self.applicability = applicability
        self.message = message
        self.fix = fix
        self.confidence = confidence
        self.line = line
        self.col = col
        self.__class__ = Finding
        return self

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle and copy through the constructor (a class with __new__ arguments needs it)."""
        return type(self), tuple(map(self.__getattribute__, _FIELDS))

    @property
    def id(self) -> str:
        key = "\x1f".join(
            [self.doc, self.code, str(self.start), str(self.end), self.original, self.replacement]
        )
        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]

    @property
    def is_deletion(self) -> bool:
        return self.replacement == "" and self.original != ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "doc": self.doc,
            "code": self.code,
            "name": self.name,
            "line": self.line,
            "col": self.col,
            "start": self.start,
            "end": self.end,
            "original": self.original,
            "replacement": self.replacement,
            "applicability": str(self.applicability),
            "confidence": round(self.confidence, 3),
            "message": self.message,
            "fix": self.fix,
        }

    def to_json(self) -> str:
        """json.dumps(self.to_dict(), ensure_ascii=False), built directly (the scan's hottest output)."""
        q = _quote
        return (  # the id is hex digits and the numbers are ints: neither needs quoting
            f'{{"id": "{self.id}", "doc": {q(self.doc)}, "code": {q(self.code)}, "name": {q(self.name)}, '
            f'"line": {self.line:d}, "col": {self.col:d}, "start": {self.start:d}, "end": {self.end:d}, '
            f'"original": {q(self.original)}, "replacement": {q(self.replacement)}, '
            f'"applicability": {_APPLICABILITY_JSON[self.applicability]}, '
            f'"confidence": {round(self.confidence, 3)!r}, "message": {q(self.message)}, "fix": {q(self.fix)}}}'
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            doc=data["doc"],
            code=data["code"],
            name=data.get("name", ""),
            start=int(data["start"]),
            end=int(data["end"]),
            original=data["original"],
            replacement=data["replacement"],
            applicability=Applicability.parse(data["applicability"]),
            message=data.get("message", ""),
            fix=data.get("fix", ""),
            confidence=float(data.get("confidence", 1.0)),
            line=int(data.get("line", 0)),
            col=int(data.get("col", 0)),
        )


_FIELDS = tuple(f.name for f in fields(Finding))
_new_object = object.__new__


class _Draft:
    """A Finding under construction: the very slots of Finding (so the object can become one by
    __class__ assignment) without the frozen __setattr__. Never seen outside this module."""

    __slots__ = _FIELDS


class _Spanned:
    """A finding that shares doc, code, name, replacement, applicability and fix (`shared`) with others."""

    __slots__ = _FIELDS

    def __init__(self, start: int, end: int, original: str, message: str, confidence: float,
                 shared: tuple[str, str, str, str, Applicability, str]):
        self.doc, self.code, self.name, self.replacement, self.applicability, self.fix = shared
        self.start = start
        self.end = end
        self.original = original
        self.message = message
        self.confidence = confidence
        self.line = 0
        self.col = 0
        self.__class__ = Finding


def findings_of(
    shared: tuple[str, str, str, str, Applicability, str],
    starts: Iterable[int],
    ends: Iterable[int],
    originals: Iterable[str],
    messages: Iterable[str],
    confidences: Iterable[float],
) -> list[Finding]:
    """Findings that differ only in span, message and confidence, built in one go (a page's menus
    give thousands): shared is (doc, code, name, replacement, applicability, fix)."""
    return list(map(_Spanned, starts, ends, originals, messages, confidences, repeat(shared)))


# the JSON string literal of a str (C implementation), as json.dumps writes it
_quote = json.encoder.encode_basestring
_APPLICABILITY_JSON = {a: _quote(str(a)) for a in Applicability}


class Verdict(str, enum.Enum):  # noqa: UP042 (a StrEnum's str() and format() differ)
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Decision:
    """A reviewer's verdict on one finding, tied to the exact text it was made on."""

    finding_id: str
    doc: str
    doc_sha256: str
    verdict: Verdict
    replacement: str | None = None  # an edited replacement; None keeps the finding's own
    reviewer: str = ""
    time: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    # what the finding proposed (kept so `cleaner decisions export` needs no scan); "" / None when unknown
    code: str = ""
    original: str | None = None
    proposed: str | None = None  # the finding's own replacement (`replacement` is the edit, if any)
