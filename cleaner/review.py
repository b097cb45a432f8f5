"""The review session: a queue of findings, their statuses from the decision store, undo, filters and bulk verdicts.

Nothing here imports textual: the TUI (cleaner.tui) draws a Session, the tests and the benchmark drive it directly.
"""

from __future__ import annotations

import bisect
import functools
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cleaner.apply import ApplyStep, Summary, choose, splice, write_corpus
from cleaner.cache import FindingCache
from cleaner.corpus import Options, Unit
from cleaner.decisions import DecisionStore
from cleaner.model import Decision, Document, Finding, Verdict
from cleaner.rules import RuleSet
from cleaner.scan import Scanner, ScanResult, keep, run

PENDING, ACCEPTED, REJECTED, STALE = "pending", "accepted", "rejected", "stale"
STATUSES = (PENDING, ACCEPTED, REJECTED, STALE)
CODE_TOKEN = re.compile(r"^(BP|UN|TY|NM|TR)\d{0,3}$")
WORDS_AROUND = 120  # a filter word matches in the span's line, at most this far from the span

Change = tuple[str, str, str]  # (code, original, replacement): what "the same change" means


def change_of(f: Finding) -> Change:
    return (f.code, f.original, f.replacement)


@dataclass(frozen=True)
class Filter:
    """Which findings the queue shows. Parsed from what the reviewer types after `/`:

    `code:BP0` (or a bare `BP0`) code prefixes, `status:pending` (or a bare status word),
    `doc:004` part of the document name; any other word must occur, where a word starts, in the
    finding's text: the original, the replacement or the document around it (its line, at most
    WORDS_AROUND characters each side; case ignored), not the rule's message. Terms combine with AND.
    """

    codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    docs: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    text: str = ""

    @classmethod
    def parse(cls, text: str) -> Filter:
        codes, statuses, docs, words = [], [], [], []
        for token in text.split():
            key, sep, value = token.partition(":")
            key = key.lower() if sep else ""
            if key == "code":
                codes.extend(v.upper() for v in value.split(",") if v)
            elif key == "status":
                statuses.extend(v.lower() for v in value.split(",") if v)
            elif key == "doc":
                docs.append(value.lower())
            elif CODE_TOKEN.match(token):
                codes.append(token)
            elif token.lower() in STATUSES:
                statuses.append(token.lower())
            else:
                words.append(token.lower())
        bad = [s for s in statuses if s not in STATUSES]
        if bad:
            raise ValueError(f"unknown status {bad[0]!r} (allowed: {', '.join(STATUSES)})")
        return cls(tuple(codes), tuple(statuses), tuple(docs), tuple(words), text.strip())

    def __bool__(self) -> bool:
        return bool(self.codes or self.statuses or self.docs or self.words)

    @property
    def word_patterns(self) -> list[re.Pattern[str]]:
        """Each word where a word starts (`main` finds "Main" and "mainland", not "remains")."""
        return _word_patterns(self.words)


@functools.lru_cache(maxsize=64)
def _word_patterns(words: tuple[str, ...]) -> list[re.Pattern[str]]:
    return [re.compile(r"(?<!\w)" + re.escape(w)) for w in words]


@dataclass
class Step:
    """One undoable action: the findings it decided and what each had before."""

    label: str
    before: list[tuple[int, Decision | None]] = field(default_factory=list)


class Session:
    """Findings of a scanned corpus in queue order, with verdicts kept in a DecisionStore as they are made."""

    def __init__(
        self,
        results: list[tuple[Unit, ScanResult]],
        decisions: dict[str, Decision],
        *,
        reviewer: str,
        store: DecisionStore | None = None,
    ):
        self.results = results
        self.store = store
        self.reviewer = reviewer
        self.docs: dict[str, Document] = {}
        self.findings: list[Finding] = []
        for _unit, result in results:
            for document in result.loaded.documents:
                self.docs[document.doc] = document
            self.findings.extend(result.all_findings())
        self.ids = [f.id for f in self.findings]
        self.position = {fid: i for i, fid in enumerate(self.ids)}
        self.decisions = decisions
        self._sha: dict[str, str] = {}
        self.groups: dict[Change, list[int]] = {}
        for i, f in enumerate(self.findings):
            self.groups.setdefault(change_of(f), []).append(i)
        self.counts = Counter(self.status(i) for i in range(len(self.findings)))
        self.undo_stack: list[Step] = []
        self.filter = Filter()
        self.by_confidence = False  # the view sorted by confidence, lowest first (else queue order)
        self.view: list[int] = list(range(len(self.findings)))
        self._view_pos: dict[int, int] | None = None  # finding -> view position, when not in queue order
        self.written_at: float | None = None  # when the output folder was last written (its manifest's time)

    # ------------------------------------------------------------ state

    def doc_sha(self, doc: str) -> str:
        sha = self._sha.get(doc)
        if sha is None:
            sha = self._sha[doc] = self.docs[doc].sha256
        return sha

    def status(self, i: int) -> str:
        d = self.decisions.get(self.ids[i])
        if d is None:
            return PENDING
        if d.doc_sha256 != self.doc_sha(self.findings[i].doc):
            return STALE
        return ACCEPTED if d.verdict is Verdict.ACCEPTED else REJECTED

    def open(self, i: int) -> bool:
        """Still needs a verdict: pending, or decided on another version of its document."""
        return self.status(i) in (PENDING, STALE)

    def decision(self, i: int) -> Decision | None:
        return self.decisions.get(self.ids[i])

    def same_change(self, i: int) -> list[int]:
        return self.groups[change_of(self.findings[i])]

    def open_same_change(self, i: int) -> list[int]:
        return [j for j in self.same_change(i) if self.open(j)]

    # ------------------------------------------------------------ verdicts

    def decide(self, indices: Iterable[int], verdict: Verdict, replacement: str | None = None) -> Step:
        """Record a verdict on each finding (written to the store before this returns); undoable."""
        indices = list(indices)
        step = Step(f"{verdict.value} {len(indices)}")
        now = time.time()
        made = []
        for i in indices:
            f = self.findings[i]
            step.before.append((i, self.decisions.get(self.ids[i])))
            made.append(
                Decision(
                    self.ids[i], f.doc, self.doc_sha(f.doc), verdict, replacement, self.reviewer, now,
                    code=f.code, original=f.original, proposed=f.replacement,
                )
            )
        if self.store is not None:
            if len(made) == 1:
                self.store.put(made[0])
            else:
                self.store.put_many(made)
        for i, d in zip(indices, made):
            self._set(i, d)
        self.undo_stack.append(step)
        return step

    def undo(self) -> Step | None:
        """Take back the last step: each finding gets the verdict it had before (or none)."""
        if not self.undo_stack:
            return None
        step = self.undo_stack.pop()
        for i, previous in reversed(step.before):
            if self.store is not None:
                if previous is None:
                    self.store.clear(self.ids[i], self.reviewer)
                else:
                    self.store.put(previous)
            self._set(i, previous)
        return step

    def _set(self, i: int, decision: Decision | None) -> None:
        self.counts[self.status(i)] -= 1
        if decision is None:
            self.decisions.pop(self.ids[i], None)
        else:
            self.decisions[self.ids[i]] = decision
        self.counts[self.status(i)] += 1

    # ------------------------------------------------------------ queue

    def set_filter(self, text: str) -> None:
        """Show only the findings the filter matches (ValueError on an unknown status)."""
        self.filter = Filter.parse(text)
        self._rebuild()

    def set_sort(self, by_confidence: bool) -> None:
        """Order the view by confidence (lowest first, then queue order), or in queue order."""
        self.by_confidence = by_confidence
        self._rebuild()

    def _rebuild(self) -> None:
        flt = self.filter
        if not flt:
            view = list(range(len(self.findings)))
        else:
            view = [i for i in range(len(self.findings)) if self._matches(flt, i)]
        if self.by_confidence:
            view.sort(key=lambda i: self.findings[i].confidence)  # stable: queue order within a confidence
            self._view_pos = {i: pos for pos, i in enumerate(view)}
        else:
            self._view_pos = None
        self.view = view

    def _matches(self, flt: Filter, i: int) -> bool:
        f = self.findings[i]
        if flt.codes and not any(f.code.startswith(c) for c in flt.codes):
            return False
        if flt.docs and not any(d in f.doc.lower() for d in flt.docs):
            return False
        if flt.statuses and self.status(i) not in flt.statuses:
            return False
        if flt.words:
            text = self.docs[f.doc].text if f.doc in self.docs else ""
            begin = max(text.rfind("\n", max(0, f.start - WORDS_AROUND), f.start) + 1, f.start - WORDS_AROUND, 0)
            if f.end > f.start and f.original.endswith("\n"):  # a deleted line: its own text is enough
                end = f.end
            else:
                end = text.find("\n", f.end, f.end + WORDS_AROUND)
            around = text[begin : end if end >= 0 else f.end + WORDS_AROUND]
            hay = f"{f.original}\x00{f.replacement}\x00{around}".lower()
            if not all(p.search(hay) for p in flt.word_patterns):
                return False
        return True

    def view_targets(self, verdict: Verdict) -> list[int]:
        """Findings the view shows that do not have this verdict yet (for accept/reject all shown)."""
        want = ACCEPTED if verdict is Verdict.ACCEPTED else REJECTED
        return [i for i in self.view if self.status(i) != want]

    def next_open(self, after: int) -> int | None:
        """View position of the next finding needing a verdict after `after` (wrapping), or None."""
        n = len(self.view)
        for k in range(1, n + 1):
            pos = (after + k) % n
            if self.open(self.view[pos]):
                return pos
        return None

    def first_open(self) -> int | None:
        return self.next_open(len(self.view) - 1) if self.view else None

    def view_position(self, i: int) -> int | None:
        """Where finding i is in the current view (binary search when the view is in queue order)."""
        if self._view_pos is not None:
            return self._view_pos.get(i)
        pos = bisect.bisect_left(self.view, i)
        return pos if pos < len(self.view) and self.view[pos] == i else None

    def unwritten(self) -> int:
        """Accepted findings decided after the output folder was last written: not in it yet."""
        since = self.written_at or 0.0
        count = 0
        for fid, d in self.decisions.items():
            if d.verdict is Verdict.ACCEPTED and d.time > since:
                i = self.position.get(fid)
                if i is not None and self.status(i) == ACCEPTED:
                    count += 1
        return count

    def undescribed(self) -> list[tuple[str, str, str, str]]:
        """(id, code, original, proposed) of stored decisions that lack them (made by an older cleaner)."""
        rows = []
        for fid, d in self.decisions.items():
            i = self.position.get(fid)
            if not d.code and i is not None:
                f = self.findings[i]
                rows.append((fid, f.code, f.original, f.replacement))
        return rows

    # ------------------------------------------------------------ output

    def plan(self, *, auto: bool, unsafe: bool, min_confidence: float = 0.0) -> Summary:
        """What `write` would apply (fixes per code, changed documents), without rendering or writing."""
        summary = Summary()
        for _unit, result in self.results:
            for document in result.loaded.documents:
                findings = result.findings.get(document.doc, [])
                choice = choose(
                    findings, self.decisions, document.sha256, auto=auto, unsafe=unsafe,
                    min_confidence=min_confidence,
                )
                spliced = splice(document.text, choice.fixes)
                summary.documents += 1
                summary.applied.update(f.code for f in spliced.applied)
                summary.changed += spliced.text != document.text
                summary.rejected += choice.rejected
                summary.stale += choice.stale
                summary.pending += choice.pending
        return summary

    def write(
        self,
        out_dir: Path,
        options: Options,
        *,
        inputs: list[str],
        rules_version: str,
        auto: bool,
        unsafe: bool,
        min_confidence: float = 0.0,
    ) -> Summary:
        """Write the cleaned corpus exactly as `cleaner apply` would with the same decisions."""
        step = ApplyStep(dict(self.decisions), options, auto, unsafe, min_confidence)
        applied = ((unit, step(result), len(result.loaded.documents)) for unit, result in self.results)
        return write_corpus(
            applied,
            out_dir,
            auto=auto,
            unsafe=unsafe,
            min_confidence=min_confidence,
            inputs=inputs,
            rules_version=rules_version,
            problems=[],
        )


@dataclass
class Setup:
    """Everything `cleaner review` decided before the TUI starts (so bad input fails with one line, not a screen)."""

    inputs: list[str]
    units: list[Unit]
    scanner: Scanner
    ruleset: RuleSet
    options: Options
    store: DecisionStore
    reviewer: str
    out_dir: Path
    auto: bool = False
    unsafe: bool = False
    min_confidence: float = 0.0  # with unsafe: w writes only the unsafe fixes of at least this confidence
    jobs: int = 1
    cache_dir: Path | None = None  # findings cache: unchanged documents are not scanned again
    results: list[tuple[Unit, ScanResult]] | None = None  # already scanned (benchmark): no scan
    note: str = ""  # one line about the store (found at its old place and moved) shown when the queue opens

    def scan(
        self, progress: Callable[[int, int], None] | None = None
    ) -> tuple[list[tuple[Unit, ScanResult]], list[str]]:
        """Scan every unit (in input order); progress(bytes done, bytes total) as units finish."""
        cache = FindingCache(self.cache_dir) if self.cache_dir is not None else None
        meter = _Meter(sum(u.size for u in self.units), progress)
        problems: list[str] = []
        results = []
        try:
            for unit, result, _ndocs in run(
                self.scanner, self.units, self.options, keep, jobs=self.jobs, cache=cache, progress=meter
            ):
                problems.extend(result.problems)
                results.append((unit, result))
        finally:
            if cache is not None:
                cache.close()
        return results, problems


@dataclass
class _Meter:
    """The progress object scan.run expects, reporting bytes to a callback."""

    total: int
    callback: Callable[[int, int], None] | None
    done: int = 0
    stages: int = 0

    def stage(self, _name: str) -> None:
        """run() reads everything (stage 1), then scans (stage 2): each is half of the bar."""
        self.stages += 1
        self.done = self.total * (self.stages - 1)

    def advance(self, size: int, _docs: int) -> None:
        self.done += size
        if self.callback is not None:
            self.callback(self.done, self.total * 2)
