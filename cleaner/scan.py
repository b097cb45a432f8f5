"""Run the passes over a corpus and yield each file's documents with their findings, in a fixed order."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from cleaner.corpus import Loaded, Options, SourceFile, iter_loaded
from cleaner.model import Document, Finding
from cleaner.passes import Pass, Settings, build_passes
from cleaner.rules import RuleSet, ignored_changes
from cleaner.text import LineIndex


@dataclass
class ScanResult:
    """One input file after scanning: what was loaded and the findings of each of its documents."""

    loaded: Loaded
    findings: dict[str, list[Finding]] = field(default_factory=dict)  # doc -> findings

    def all_findings(self) -> Iterator[Finding]:
        for document in self.loaded.documents:
            yield from self.findings.get(document.doc, [])


class Scanner:
    """The passes chosen for one run, ready to scan documents."""

    def __init__(
        self,
        ruleset: RuleSet,
        select: list[str] | None = None,
        ignore: list[str] | None = None,
        settings: Settings | None = None,
    ):
        self.ruleset = ruleset
        self.rules = ruleset.active(select, ignore)
        self.passes: list[Pass] = build_passes(ruleset, self.rules, settings)
        self.ignored = ignored_changes(ruleset)  # findings reviewers rejected for good (`ignore:` in a pack)

    def scan_document(self, doc: Document) -> list[Finding]:
        found: list[Finding] = []
        for p in self.passes:
            found.extend(p.scan(doc))
        if self.ignored:
            found = [f for f in found if not self._is_ignored(f)]
        return locate(doc, found)

    def _is_ignored(self, f: Finding) -> bool:
        docs = self.ignored.get((f.code, f.original, f.replacement))
        return docs is not None and (None in docs or f.doc in docs)

    def scan_files(self, files: list[SourceFile], options: Options, problems: list[str]) -> Iterator[ScanResult]:
        corpus_passes = [p for p in self.passes if p.corpus_wide]
        if corpus_passes:
            self._observe(files, options, corpus_passes)
        for loaded in iter_loaded(files, options, problems):
            result = ScanResult(loaded)
            for document in loaded.documents:
                result.findings[document.doc] = self.scan_document(document)
            yield result

    def _observe(self, files: list[SourceFile], options: Options, passes: list[Pass]) -> None:
        """First read of the corpus for corpus-wide passes: per-document statistics, merged."""
        merged: list = [None] * len(passes)
        for loaded in iter_loaded(files, options, []):
            for document in loaded.documents:
                for k, p in enumerate(passes):
                    stats = p.observe(document)
                    merged[k] = stats if merged[k] is None else p.merge(merged[k], stats)
        for p, stats in zip(passes, merged):
            p.prepare(stats)


def locate(doc: Document, findings: list[Finding]) -> list[Finding]:
    """Fill in line/column (of the first non-newline character of the span) and sort by position.

    When several rules propose the very same edit, only the most trusted one is kept
    (highest applicability, then confidence, then lowest code), so a reviewer decides once.
    """
    if not findings:
        return findings
    best: dict[tuple[int, int, str], Finding] = {}
    for f in findings:
        key = (f.start, f.end, f.replacement)
        kept = best.get(key)
        if kept is None or (-f.applicability, -f.confidence, f.code) < (-kept.applicability, -kept.confidence, kept.code):
            best[key] = f
    index = LineIndex(doc.text)
    placed = []
    for f in best.values():
        lead = len(f.original) - len(f.original.lstrip("\r\n"))
        line, col = index.position(min(f.start + lead, max(f.end - 1, f.start)) if f.original else f.start)
        placed.append(replace(f, line=line, col=col))
    placed.sort(key=lambda f: (f.start, f.end, f.code, f.replacement))
    return placed
