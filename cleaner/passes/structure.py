"""Boilerplate found from page structure (main text, short-line runs, density) and learned across a corpus.

Whole-page scrapes put one block of the page on each line: menus and link lists (runs of short
lines), the header above the article, the footer and teasers below it. This pass finds them without
keywords, from line shape and position:

- every line gets a *size* (words; CJK characters count half a word each) and a *sentence* flag
  (size >= good_words and ending with terminal punctuation, or size >= long_words);
- the **main text** is the stretch of lines that maximises (words in sentence lines) minus
  (penalty x other lines): the body-text-extraction idea of Finn et al., on lines instead of tags.
  Short lines between paragraphs (subheadings, list items) cost little and are kept inside it;
- only a whole page is judged: a document holding a menu (page_menu lines in a row of at most
  three words); a clean article has none and gets no structural finding;
- kinds: `outside-main-text` (lines above or below it), `short-line-run` (menus, link lists),
  `dense-region` (a line whose neighbourhood is nearly all non-sentence lines: jusText-style
  smoothing by neighbours), and `learned-line` (normalised lines that recur in many documents of
  the corpus, counted in a first corpus-wide pass).

Every finding's message says which signal fired and with what figures.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cleaner.model import Applicability, Document, Finding
from cleaner.passes.base import Pass, Settings
from cleaner.passes.lines import DEFAULT_MAX_LENGTH, normalize_line
from cleaner.rules import Rule, RuleSet
from cleaner.text import Line, deletion_end, split_lines, word_count

TERMINAL = re.compile(r"[.!?…。！？、，:;][\"”’»)\]*]*\s*$")
DIGIT = re.compile(r"\d")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
LAYOUT_DEFAULTS = {"good_words": 10, "long_words": 25, "penalty": 2.0, "page_menu": 4}


def line_size(text: str) -> float:
    """Words in a line; CJK text (no spaces) counts half a word per character."""
    return max(word_count(text), len(CJK.findall(text)) / 2)


def is_sentence(text: str, size: float, good_words: float, long_words: float) -> bool:
    """A line that reads like a paragraph of prose."""
    return (size >= good_words and TERMINAL.search(text) is not None) or size >= long_words


@dataclass
class Layout:
    """The structure of one document: its non-blank lines, their sizes, and the main-text region."""

    lines: list[Line]  # all lines of the text, blank included
    content: list[int]  # indexes into `lines` of the non-blank ones
    size: list[float]  # per content line
    sentence: list[bool]  # per content line
    start: int  # main text: content[start..end] (inclusive); start > end when there is none
    end: int
    stop: int  # content index where a safe end-of-article block starts (len(content) if none)
    marker: int  # content index of the first end-of-article marker, safe or not (len(content) if none)
    page: bool  # holds a menu: the document is a whole page, not just an article

    @property
    def has_main(self) -> bool:
        return self.start <= self.end


def main_region(size: list[float], sentence: list[bool], penalty: float, stop: int) -> tuple[int, int]:
    """The stretch maximising words in sentence lines minus penalty per other line (max subarray)."""
    best, best_start, best_end = 0.0, 0, -1
    current, start = 0.0, 0
    for i in range(stop):
        if current <= 0:
            current, start = 0.0, i
        current += size[i] if sentence[i] else -penalty if size[i] else 0.0  # a line of no words is neutral
        if current > best:
            best, best_start, best_end = current, start, i
    return best_start, best_end


def layout(text: str, params: dict[str, Any], markers: list[tuple[re.Pattern[str], float, bool]]) -> Layout:
    """Sizes, sentence flags, the end-of-article marker (as the block rules find it) and the main text."""
    lines = split_lines(text)
    content = [i for i, line in enumerate(lines) if not line.blank]
    size = [line_size(lines[i].content) for i in content]
    good, long = params["good_words"], params["long_words"]
    sentence = [is_sentence(lines[i].content, s, good, long) for i, s in zip(content, size, strict=True)]
    # end-of-article markers (comment sections, related lists): the main text ends at the first one;
    # findings stop only at a safe one (after an unsafe one, --auto still needs them)
    stop = region_stop = len(content)
    for n, i in enumerate(content):
        line = lines[i]
        if len(line.stripped) > DEFAULT_MAX_LENGTH:
            continue
        before = line.start / max(len(text), 1)
        for regex, at, safe in markers:
            if before >= at and regex.fullmatch(line.stripped):
                region_stop = min(region_stop, n)
                if safe:
                    stop = n
                break
        if stop < len(content):
            break
    start, end = main_region(size, sentence, params["penalty"], region_stop)
    page = longest_menu(lines, content, size) >= params["page_menu"]
    return Layout(lines, content, size, sentence, start, end, stop, region_stop, page)


def longest_menu(lines: list[Line], content: list[int], size: list[float]) -> int:
    """The longest run of menu-like lines: at most 3 words, no digits, no final punctuation."""
    best = current = 0
    for i, s in zip(content, size, strict=True):
        text = lines[i].content
        menu = s <= 3 and not DIGIT.search(text) and not TERMINAL.search(text)
        current = current + 1 if menu else 0
        best = max(best, current)
    return best


def short_runs(lay: Layout, max_words: float) -> list[tuple[int, int]]:
    """Per content line: (first line, length) of the run of consecutive short, unpunctuated lines it is in."""
    runs = [(n, 0) for n in range(len(lay.content))]
    n = 0
    while n < len(lay.content):
        m = n
        while m < len(lay.content) and _is_short(lay, m, max_words):
            m += 1
        for k in range(n, m):
            runs[k] = (n, m - n)
        n = max(m, n + 1)
    return runs


def _is_short(lay: Layout, n: int, max_words: float) -> bool:
    return lay.size[n] <= max_words and not TERMINAL.search(lay.lines[lay.content[n]].content)


def digit_share(lay: Layout, first: int, length: int) -> float:
    """Share of the lines content[first:first+length] that hold a digit."""
    lines = [lay.lines[lay.content[k]].content for k in range(first, first + length)]
    return sum(DIGIT.search(x) is not None for x in lines) / max(len(lines), 1)


def attached_table(lay: Layout, max_words: float = 6, min_run: int = 4) -> set[int]:
    """Content lines of a table (a run of short lines, half of them with digits) touching the main text.

    A poll's results or a fixtures table that follows the last paragraph belongs to the article.
    """
    if not lay.has_main:
        return set()
    runs = short_runs(lay, max_words)
    kept: set[int] = set()
    for edge in (lay.start - 1, lay.end + 1, lay.end + 2):
        if 0 <= edge < len(lay.content):
            first, length = runs[edge]
            if length >= min_run and digit_share(lay, first, length) >= 0.5:
                kept.update(range(first, first + length))
    return kept


def title_line(lay: Layout, reach: int = 3) -> int | None:
    """The headline just above the main text (kept): a 3-25 word line without final punctuation."""
    for n in range(lay.start - 1, max(lay.start - 1 - reach, -1), -1):
        content = lay.lines[lay.content[n]].content
        if 3 <= lay.size[n] <= 25 and not TERMINAL.search(content):
            return n
    return None


def line_key(text: str) -> str:
    """A short stable hash of a normalised line (what learned boilerplate counts)."""
    return hashlib.blake2b(normalize_line(text).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


class StructurePass(Pass):
    """outside-main-text, short-line-run and dense-region: judged on each document alone (cacheable)."""

    kinds = frozenset({"outside-main-text", "short-line-run", "dense-region"})

    def __init__(self, rules: list[Rule], ruleset: RuleSet, settings: Settings):
        super().__init__(rules, ruleset, settings)
        self.markers = [
            (r.regex(), r.params.get("min_position", 0.5), r.applicability is Applicability.SAFE)
            for r in ruleset.rules
            if r.kind == "block-from-marker" and r.enabled and r.prefix == "BP"
        ]
        self.learned_rules = [r for r in rules if r.kind == "learned-line"]
        self.max_learn_words = max((r.params.get("max_words", 12) for r in self.learned_rules), default=0)
        self.frequent: dict[str, tuple[dict[str, int], int]] = {}  # source -> (key -> docs, docs in source)
        self.corpus_docs = 0
        self.corpus_counts: dict[str, int] = {}
        self.prepared = False

    # ---- corpus-wide statistics for learned-line rules (LearnedLinePass) -----------------------

    def observe(self, doc: Document) -> dict[str, Any]:
        """Hashes of this document's distinct short lines, under its source: {source: [1, {key: 1}]}."""
        keys = {
            line_key(line.content)
            for line in split_lines(doc.text)
            if not line.blank
            and word_count(line.content) <= self.max_learn_words
            and len(line.stripped) <= DEFAULT_MAX_LENGTH
        }
        return {doc.source: [1, {k: 1 for k in keys}]}

    def merge(self, a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        """Add two statistics (associative, commutative; plain JSON-able dicts)."""
        out = {s: [n, dict(c)] for s, (n, c) in a.items()}
        for source, (n, counts) in b.items():
            mine = out.setdefault(source, [0, {}])
            mine[0] += n
            mine_counts = mine[1]
            for key, value in counts.items():
                mine_counts[key] = mine_counts.get(key, 0) + value
        return out

    def prepare(self, stats: dict[str, Any] | None) -> None:
        stats = stats or {}
        self.prepared = True
        self.frequent, self.corpus_docs = {}, 0
        total: Counter[str] = Counter()
        for source, (n, counts) in stats.items():
            self.frequent[source] = ({k: v for k, v in counts.items() if v >= 2}, n)
            total.update(counts)
            self.corpus_docs += n
        self.corpus_counts = {k: v for k, v in total.items() if v >= 2}

    # ---- findings -----------------------------------------------------------------------------

    def scan(self, doc: Document) -> Iterable[Finding]:
        if self.learned_rules and not self.prepared:
            # scanned on its own (`cleaner rules check` on an example): the text is its own corpus,
            # its documents separated by form feeds
            parts = [Document(doc.doc, part, doc.path, doc.source) for part in doc.text.split("\f")]
            stats = [self.observe(part) for part in parts]
            merged = stats[0]
            for more in stats[1:]:
                merged = self.merge(merged, more)
            self.prepare(merged)
            try:
                return self._scan(doc)
            finally:
                self.prepared, self.frequent, self.corpus_counts, self.corpus_docs = False, {}, {}, 0
        return self._scan(doc)

    def _scan(self, doc: Document) -> list[Finding]:
        cache: dict[tuple, Layout] = {}
        findings: list[Finding] = []
        for rule in self.rules:
            params = {k: rule.params.get(k, v) for k, v in LAYOUT_DEFAULTS.items()}
            key = tuple(sorted(params.items()))
            if key not in cache:
                cache[key] = layout(doc.text, params, self.markers)
            lay = cache[key]
            if not lay.content:
                return []
            if not lay.page and rule.kind != "learned-line":
                continue  # structure is judged on whole pages only; a clean article has no menu
            handler = getattr(self, "_" + rule.kind.replace("-", "_"))
            for n, confidence, detail in handler(rule, lay, doc):
                if n >= lay.marker and rule.applicability is not Applicability.SAFE:
                    continue  # the unsafe block from the marker covers it already
                i = lay.content[n]
                findings.append(
                    rule.finding(
                        doc,
                        lay.lines[i].start,
                        deletion_end(lay.lines, i, len(doc.text)),
                        "",
                        confidence=round(confidence, 3),
                        message=f"{rule.message} ({detail})",
                    )
                )
        return findings

    def _outside_main_text(self, rule: Rule, lay: Layout, doc: Document) -> Iterable[tuple[int, float, str]]:
        """Lines above (region: top), below (bottom) or around (both) the main text."""
        if not lay.has_main:
            return
        p = rule.params
        region = p.get("region", "top")
        min_distance, max_words = p.get("min_distance", 1), p.get("max_words", 10_000)
        sentences, skip_digits = p.get("sentences", True), p.get("skip_digits", False)
        near = p.get("keep_near_prose", 3)
        keep = title_line(lay) if p.get("keep_title", True) else None
        attached = attached_table(lay) if p.get("keep_tables", True) else set()
        spans = []
        if region in ("top", "both"):
            spans.append(("above", range(0, lay.start)))
        if region in ("bottom", "both"):
            spans.append(("below", range(lay.end + 1, lay.stop)))
        for where, span in spans:
            if len(span) < p.get("min_region", 3):
                continue
            density = 1 - sum(lay.sentence[n] for n in span) / len(span)  # share of non-sentence lines
            confidence = rule.confidence * (0.5 + 0.5 * density)
            for n in span:
                distance = lay.start - n if n < lay.start else n - lay.end
                if n == keep or n in attached or distance < min_distance or lay.size[n] > max_words:
                    continue
                if (
                    distance <= near
                    and lay.size[n] >= 5
                    and TERMINAL.search(lay.lines[lay.content[n]].content)
                ):
                    continue  # prose next to the article (jusText's near-good): a closing line, a standfirst
                if (lay.sentence[n] and not sentences) or (
                    skip_digits and DIGIT.search(lay.lines[lay.content[n]].content)
                ):
                    continue
                far = f"{distance} lines {where}" if min_distance > 1 else where
                yield (
                    n,
                    confidence,
                    f"{far} the main text; region of {len(span)} lines, {density:.0%} non-sentence",
                )

    def _short_line_run(self, rule: Rule, lay: Layout, doc: Document) -> Iterable[tuple[int, float, str]]:
        """Runs of >= min_run short lines without final punctuation (menus, link lists)."""
        p = rule.params
        runs = short_runs(lay, p.get("max_words", 6))
        min_run, region = p.get("min_run", 4), p.get("region", "outside")
        max_digits = p.get("max_digit_share", 1.0)
        keep = title_line(lay) if lay.has_main else None
        for n in range(lay.stop):
            first, length = runs[n]
            if length < min_run or n == keep:
                continue
            if max_digits < 1.0 and digit_share(lay, first, length) >= max_digits:
                continue  # a table, a poll or scores: data, not a menu
            inside = lay.start <= n <= lay.end
            if (region == "outside" and inside) or (region == "inside" and not inside):
                continue
            where = "inside" if inside else "outside"
            yield n, rule.confidence, f"run of {length} short lines {where} the main text"

    def _dense_region(self, rule: Rule, lay: Layout, doc: Document) -> Iterable[tuple[int, float, str]]:
        """Non-sentence lines whose neighbourhood (window lines each side) is nearly all non-sentence."""
        p = rule.params
        window, threshold = p.get("window", 3), p.get("min_density", 0.85)
        max_words = p.get("max_words", 12)
        inside_only = p.get("region", "inside") == "inside"
        for n in range(lay.stop):
            if lay.sentence[n] or lay.size[n] > max_words:
                continue
            if inside_only and not lay.start <= n <= lay.end:
                continue
            lo, hi = max(0, n - window), min(lay.stop, n + window + 1)
            if hi - lo < 2 * window + 1:
                continue  # too near an edge to judge by neighbours
            density = 1 - sum(lay.sentence[lo:hi]) / (hi - lo)
            if density >= threshold:
                yield (
                    n,
                    rule.confidence * density,
                    f"{density:.0%} of the {hi - lo} lines around it are not sentences",
                )

    def _learned_line(self, rule: Rule, lay: Layout, doc: Document) -> Iterable[tuple[int, float, str]]:
        """Short lines that recur in many documents (of the same source, or of the whole corpus)."""
        p = rule.params
        same_source = p.get("scope", "source") == "source"
        if same_source:
            counts, docs = self.frequent.get(doc.source, ({}, 0))
        else:
            counts, docs = self.corpus_counts, self.corpus_docs
        min_docs, min_share = p.get("min_docs", 5), p.get("min_share", 0.2)
        allow = {normalize_line(x) for x in p.get("allow", [])}
        outside_only = p.get("where", "any") == "outside"
        max_words = p.get("max_words", 12)
        if docs < min_docs:
            return
        for n, i in enumerate(lay.content):
            if n >= lay.stop or lay.size[n] > max_words:
                continue
            if outside_only and lay.start <= n <= lay.end:
                continue
            content = lay.lines[i].content
            frequency = counts.get(line_key(content), 0)
            if frequency < min_docs or frequency / docs < min_share or normalize_line(content) in allow:
                continue
            scope = f"source '{doc.source}'" if same_source and doc.source else "the corpus"
            share = frequency / docs
            yield n, rule.confidence * min(1.0, 0.5 + share), f"in {frequency} of {docs} documents of {scope}"


class LearnedLinePass(StructurePass):
    """learned-line: lines recurring across the corpus; observes every document first (corpus-wide)."""

    kinds = frozenset({"learned-line"})
    corpus_wide = True
