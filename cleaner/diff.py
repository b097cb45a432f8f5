"""`cleaner apply --diff`: what apply would change, as a unified diff per document; nothing is written."""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass

from cleaner.apply import spliced_documents
from cleaner.model import Decision
from cleaner.report import display_doc


@dataclass(frozen=True)
class DiffStep:
    """The `finish` step of `apply --diff`, in the worker: the same choice and splice as ApplyStep,
    returned as diff text with the number of fixes per code and of changed documents."""

    decisions: dict[str, Decision]
    auto: bool
    unsafe: bool
    out_label: str  # how the output folder is named in the +++ lines
    min_confidence: float = 0.0  # with unsafe: only the unsafe fixes of at least this confidence

    def __call__(self, result) -> tuple[str, Counter, int, list[str]]:
        loaded = result.loaded
        applied: Counter = Counter()
        changed = 0
        chunks: list[str] = []
        if loaded.skipped:
            return "", applied, 0, result.problems
        for document, _, spliced in spliced_documents(
            result, self.decisions, auto=self.auto, unsafe=self.unsafe, min_confidence=self.min_confidence
        ):
            if spliced.text == document.text:
                continue
            changed += 1
            applied.update(f.code for f in spliced.applied)
            before = display_doc(loaded.source, document.doc)
            after = f"{self.out_label.rstrip('/')}/{document.doc}"
            chunks.append(unified(document.text, spliced.text, before, after))
        return "".join(chunks), applied, changed, result.problems


def unified(a: str, b: str, before: str, after: str) -> str:
    lines = difflib.unified_diff(
        a.splitlines(keepends=True), b.splitlines(keepends=True), fromfile=before, tofile=after, n=2
    )
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)
