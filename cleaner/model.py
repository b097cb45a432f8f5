"""The records every step passes along: Document, Finding, Decision, Applicability."""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass, field
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


@dataclass(frozen=True, slots=True)
class Finding:
    """A proposed edit: replace text[start:end] (== original) with replacement."""

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
        return (
            f'{{"id": {q(self.id)}, "doc": {q(self.doc)}, "code": {q(self.code)}, "name": {q(self.name)}, '
            f'"line": {self.line!r}, "col": {self.col!r}, "start": {self.start!r}, "end": {self.end!r}, '
            f'"original": {q(self.original)}, "replacement": {q(self.replacement)}, '
            f'"applicability": {q(str(self.applicability))}, "confidence": {round(self.confidence, 3)!r}, '
            f'"message": {q(self.message)}, "fix": {q(self.fix)}}}'
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


_quote = json.encoder.encode_basestring  # the JSON string literal of a str (C implementation), as json.dumps writes it


class Verdict(str, enum.Enum):
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
