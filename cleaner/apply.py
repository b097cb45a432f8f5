"""Choose which findings to apply, splice them into the text, and write the cleaned corpus with its manifest."""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cleaner import __version__
from cleaner.corpus import (
    STAGING,
    CorpusError,
    Options,
    atomic_write,
    clear_staging,
    output_file,
    output_path,
    render,
)
from cleaner.model import Applicability, Decision, Finding, Verdict, sha256_text
from cleaner.scan import ScanResult
from cleaner.text import snippet


@dataclass
class Spliced:
    text: str
    applied: list[Finding]
    skipped: list[tuple[Finding, Finding]]  # (skipped finding, the applied one it overlapped)


def splice(text: str, fixes: list[Finding]) -> Spliced:
    """Apply fixes in offset order in one pass; a fix overlapping one already applied is skipped.

    Two insertions at the same offset overlap; an insertion at the start or the end of a replaced
    span does not (at one offset the insertion goes first, then the longest replacement).
    """
    ordered = sorted(
        fixes, key=lambda f: (f.start, f.end > f.start, -(f.end - f.start), f.code, f.replacement)
    )
    out: list[str] = []
    applied: list[Finding] = []
    skipped: list[tuple[Finding, Finding]] = []
    pos = 0
    last: Finding | None = None
    for fix in ordered:
        if text[fix.start : fix.end] != fix.original:
            raise ValueError(f"{fix.doc}: finding {fix.id} ({fix.code}) does not match the text at {fix.start}")
        if last is not None and (
            fix.start < pos or (fix.start == last.start and fix.start == fix.end == last.end)
        ):
            skipped.append((fix, last))
            continue
        out.append(text[pos : fix.start])
        out.append(fix.replacement)
        pos = fix.end
        applied.append(fix)
        last = fix
    out.append(text[pos:])
    return Spliced("".join(out), applied, skipped)


@dataclass
class Choice:
    """Which findings of a document go in, and why the others stay out."""

    fixes: list[Finding] = field(default_factory=list)
    rejected: int = 0
    stale: int = 0
    pending: int = 0  # neither decided nor chosen by --auto/--unsafe


def choose(
    findings: list[Finding],
    decisions: dict[str, Decision],
    doc_sha256: str,
    *,
    auto: bool,
    unsafe: bool,
    stale_ids: set[str] | None = None,
    min_confidence: float = 0.0,
) -> Choice:
    """Accepted findings always; with auto the safe ones nobody rejected; with unsafe the unsafe ones
    too (those of confidence min_confidence or more).

    A decision made on another version of the document (sha256 differs) is stale: never applied, and
    the finding is not applied automatically either, so a reviewer's word is never overruled.
    """
    choice = Choice()
    for f in findings:
        d = decisions.get(f.id)
        if d is not None:
            if d.doc_sha256 != doc_sha256:
                choice.stale += 1
                if stale_ids is not None:
                    stale_ids.add(f.id)
                continue
            if d.verdict is Verdict.REJECTED:
                choice.rejected += 1
                continue
            choice.fixes.append(replace(f, replacement=d.replacement) if d.replacement is not None else f)
            continue
        if (auto and f.applicability is Applicability.SAFE) or (
            unsafe and f.applicability is Applicability.UNSAFE and f.confidence >= min_confidence
        ):
            choice.fixes.append(f)
        else:
            choice.pending += 1
    return choice


def spliced_documents(result: ScanResult, decisions: dict[str, Decision], *, auto: bool, unsafe: bool,
                      min_confidence: float = 0.0):
    """(document, choice, spliced) for each document of a scanned unit: its fixes chosen and applied."""
    for document in result.loaded.documents:
        choice = choose(
            result.findings.get(document.doc, []), decisions, document.sha256, auto=auto, unsafe=unsafe,
            min_confidence=min_confidence,
        )
        yield document, choice, splice(document.text, choice.fixes)


@dataclass
class Summary:
    """Counters that add up across units and workers."""

    documents: int = 0
    files: int = 0
    changed: int = 0
    applied: Counter = field(default_factory=Counter)
    skipped: int = 0
    rejected: int = 0
    stale: int = 0
    pending: int = 0

    def add(self, other: Summary) -> None:
        self.documents += other.documents
        self.files += other.files
        self.changed += other.changed
        self.applied.update(other.applied)
        self.skipped += other.skipped
        self.rejected += other.rejected
        self.stale += other.stale
        self.pending += other.pending


@dataclass
class Applied:
    """One unit after applying its fixes: the output text and what to record about it."""

    output: Any  # corpus.render's: str, bytes (compressed), a Table (Parquet); None: skipped, not written
    manifest: list[dict]
    log: list[str]
    summary: Summary
    problems: list[str]


@dataclass(frozen=True)
class ApplyStep:
    """The `finish` step of an apply run; it runs in the scan workers, next to the text."""

    decisions: dict[str, Decision]
    options: Options
    auto: bool
    unsafe: bool
    min_confidence: float = 0.0  # with unsafe: only the unsafe fixes of at least this confidence

    def __call__(self, result: ScanResult) -> Applied:
        loaded = result.loaded
        summary = Summary()
        if loaded.skipped:
            return Applied(None, [], [], summary, result.problems)
        cleaned: dict[str, str] = {}
        manifest: list[dict] = []
        log: list[str] = []
        for document, choice, spliced in spliced_documents(
            result, self.decisions, auto=self.auto, unsafe=self.unsafe, min_confidence=self.min_confidence
        ):
            cleaned[document.doc] = spliced.text
            counts = Counter(f.code for f in spliced.applied)
            summary.documents += 1
            summary.applied.update(counts)
            summary.skipped += len(spliced.skipped)
            summary.rejected += choice.rejected
            summary.stale += choice.stale
            summary.pending += choice.pending
            summary.changed += spliced.text != document.text
            manifest.append(
                {
                    "doc": document.doc,
                    "source": loaded.source.display,
                    "output": loaded.source.rel,
                    "sha256_in": document.sha256,
                    "sha256_out": sha256_text(spliced.text),
                    "applied": dict(sorted(counts.items())),
                    "skipped_overlaps": len(spliced.skipped),
                    "rejected": choice.rejected,
                    "stale": choice.stale,
                    "pending": choice.pending,
                }
            )
            log.extend(_change_log(document.doc, spliced))
        return Applied(render(loaded, cleaned, self.options), manifest, log, summary, result.problems)


def write_corpus(
    applied_units,
    out_dir: Path,
    *,
    auto: bool,
    unsafe: bool,
    inputs: list[str],
    rules_version: str,
    problems: list[str],
    min_confidence: float = 0.0,
) -> Summary:
    """Write each unit's output under out_dir (chunks of one file joined, each file atomically),
    then changes.txt, then manifest.json last, so an interrupted run leaves no half-written file."""
    summary = Summary()
    manifest_docs: list[dict] = []
    log: list[str] = []
    parts: dict[str, list[str]] = {}
    broken: set[str] = set()  # files a part of which could not be read: not written at all
    clear_staging(out_dir / STAGING)  # what a killed run left
    for unit, applied, _ndocs in applied_units:
        applied: Applied
        problems.extend(applied.problems)
        summary.add(applied.summary)
        manifest_docs.extend(applied.manifest)
        log.extend(applied.log)
        rel = unit.source.rel
        if applied.output is None:
            broken.add(rel)
            parts.pop(rel, None)
            continue
        if rel in broken:
            continue
        if unit.parts == 1:
            written = _write_output(out_dir, rel, output_file(unit.source, [applied.output]), problems)
            summary.files += written and not unit.source.companion  # (a datasets folder's state.json)
            continue
        parts.setdefault(rel, []).append(applied.output)
        if unit.part == unit.parts - 1:
            summary.files += _write_output(out_dir, rel, output_file(unit.source, parts.pop(rel)), problems)
    atomic_write(out_dir / "changes.txt", "".join(log) or "no changes\n", errors="backslashreplace",
                 staging=out_dir / STAGING)
    manifest = {
        "tool": f"cleaner {__version__}",
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "inputs": inputs,
        "rules_version": rules_version,
        # min_confidence: the threshold the unsafe fixes met (0 without --unsafe; older manifests lack it: 0)
        "mode": {"auto": auto, "unsafe": unsafe, "min_confidence": min_confidence if unsafe else 0.0},
        "totals": {
            "documents": summary.documents,
            "changed": summary.changed,
            "applied": dict(sorted(summary.applied.items())),
            "skipped_overlaps": summary.skipped,
            "rejected": summary.rejected,
            "stale": summary.stale,
            "pending": summary.pending,
        },
        "documents": manifest_docs,
    }
    atomic_write(
        out_dir / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", errors="backslashreplace",
        staging=out_dir / STAGING,
    )
    clear_staging(out_dir / STAGING)
    return summary


def _write_output(out_dir: Path, rel: str, text, problems: list[str]) -> int:
    """Write one output file (its temporary copy in out_dir's staging folder); 0 when refused
    (a symlinked folder on the way: it could lead into the input), with one line in problems."""
    try:
        target = output_path(out_dir, rel)
    except CorpusError as exc:
        problems.append(str(exc))
        return 0
    atomic_write(target, text, staging=out_dir / STAGING)
    return 1


def _change_log(doc: str, spliced: Spliced) -> list[str]:
    """A human-readable account of one document's edits."""
    if not spliced.applied and not spliced.skipped:
        return []
    lines = [f"== {doc}\n"]
    for f in spliced.applied:
        where = f"{f.line}:{f.col}"
        if f.replacement == "":
            what = f'removed "{snippet(f.original, 70)}"'
        elif f.original == "":
            what = f'inserted "{snippet(f.replacement, 70)}"'
        else:
            what = f'replaced "{snippet(f.original, 40)}" with "{snippet(f.replacement, 40)}"'
        lines.append(f"  {where:>8}  {f.code} {f.name}: {what}\n")
    for f, other in spliced.skipped:
        lines.append(f"  {f.line}:{f.col}  {f.code} {f.name}: skipped, overlaps {other.code} at {other.line}:{other.col}\n")
    lines.append("\n")
    return lines
