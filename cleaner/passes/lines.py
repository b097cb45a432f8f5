"""Whole-line rules: exact lines, line patterns, blocks from a marker to the end, title affixes, line shapes."""

from __future__ import annotations

import bisect
import operator
import re
from itertools import compress, repeat
from operator import itemgetter
from collections.abc import Iterable

from cleaner.model import Document, Finding
from cleaner.passes.base import Pass, Settings
from cleaner.rules import Rule, RuleSet
from cleaner.text import Line, content_indices, deletion_end, split_lines, word_count

SPACES = re.compile(r"\s+")
DEFAULT_MAX_LENGTH = 200
OTHER_SPACE = re.compile(r"[^\S \n]")  # white space other than the space (and the line break)


def normalize_line(line: str) -> str:
    """The key exact-line rules compare: case-folded, inner runs of white space folded to one."""
    return " ".join(line.split()).casefold()  # str.split() and re's \s agree on what is white space


def _at_end(regex: re.Pattern[str]) -> re.Pattern[str]:
    return re.compile(f"(?:{regex.pattern})\\Z", regex.flags)


def _alternation(patterns: list[re.Pattern[str]]) -> re.Pattern[str] | None:
    """One case-insensitive regex matching whatever any of patterns matches (a pre-filter), or None."""
    if not patterns:
        return None
    try:
        return re.compile("|".join(f"(?:{p.pattern})" for p in patterns), re.IGNORECASE | re.MULTILINE)
    except re.error:  # e.g. inline global flags in a pattern: no pre-filter
        return None


class LinePass(Pass):
    kinds = frozenset(
        {"exact-line", "line-pattern", "block-from-marker", "title-prefix", "title-suffix", "line-shape"}
    )

    def __init__(self, rules: list[Rule], ruleset: RuleSet, settings: Settings):
        super().__init__(rules, ruleset, settings)
        self.exact: dict[str, list[Rule]] = {}
        for rule in rules:
            if rule.kind == "exact-line":
                for line in rule.params["lines"]:
                    self.exact.setdefault(normalize_line(line), []).append(rule)
        self.patterns = [(r, r.regex()) for r in rules if r.kind == "line-pattern"]
        self.max_length = max(
            (r.params.get("max_length", DEFAULT_MAX_LENGTH) for r, _ in self.patterns), default=0
        )
        # one alternation as a cheap pre-filter: most lines match no pattern at all
        self.any_pattern = _alternation([p for _, p in self.patterns])
        # casefold never makes a string shorter: a line whose spaces-folded form is longer than every
        # exact line cannot match, and need not be case-folded
        self.max_exact = max(map(len, self.exact), default=-1)
        self.markers = [(r, r.regex()) for r in rules if r.kind == "block-from-marker"]
        self.min_marker_position = min(
            (r.params.get("min_position", 0.5) for r, _ in self.markers), default=1.0
        )
        self.any_marker = _alternation([regex for _, regex in self.markers])
        self.prefixes = [(r, r.regex()) for r in rules if r.kind == "title-prefix"]
        # anchored at the end: the leftmost start whose match reaches the end of the title (a search
        # over non-overlapping matches would miss " | News" in "A | B | News")
        self.suffixes = [(r, _at_end(r.regex())) for r in rules if r.kind == "title-suffix"]
        self.shapes = [r for r in rules if r.kind == "line-shape"]

    def scan(self, doc: Document) -> Iterable[Finding]:
        text = doc.text
        lines = split_lines(text)
        content = content_indices(lines)
        if not content:
            return []
        rank = dict(zip(content, range(len(content))))  # index among non-blank lines
        total = len(content)

        def in_range(rule: Rule, i: int) -> bool:
            n = rank[i]
            if rule.first_lines is not None and n >= rule.first_lines:
                return False
            if rule.last_lines is not None and n < total - rule.last_lines:
                return False
            return True

        def delete(rule: Rule, i: int, **kw) -> Finding:
            return rule.finding(doc, lines[i].start, deletion_end(lines, i, len(text)), "", **kw)

        findings: list[Finding] = []
        block_start = self._block(doc, lines, content, in_range, findings)
        scanned = content
        if block_start is not None:  # the lines before the block
            scanned = content[: bisect.bisect_left(content, block_start, key=lambda i: lines[i].start)]
        # whole-list steps first (map runs them without a Python-level call per line), then the few
        # candidate lines one at a time, in order
        contents = list(map(itemgetter(4), map(lines.__getitem__, scanned)))
        candidates: set[int] = set()
        exact = self.exact
        keys: dict[int, str] = {}
        if exact:  # casefold never shortens: a key found is no longer than the longest exact line
            folding = range(len(contents))
            if OTHER_SPACE.search(text) is None:
                # folding removes only spaces: a line with more other characters than the longest
                # exact line cannot fold into one
                folding = compress(folding, map(self.max_exact.__ge__, map(
                    operator.sub, map(len, contents), map(str.count, contents, repeat(" ")))))
            folding = list(folding)
            keys = dict(zip(folding, map(str.casefold, map(" ".join, map(str.split, map(contents.__getitem__, folding))))))
            candidates.update(k for k, key in keys.items() if key in exact)
        patterns, any_pattern, max_length = self.patterns, self.any_pattern, self.max_length
        if patterns:
            strips = list(map(str.strip, contents))
            if any_pattern is None:
                candidates.update(range(len(strips)))
            else:
                short = list(compress(range(len(strips)), map(max_length.__ge__, map(len, strips))))
                candidates.update(compress(short, map(any_pattern.fullmatch, map(strips.__getitem__, short))))
        for k in sorted(candidates):
            i = scanned[k]
            if exact:
                for rule in exact.get(keys.get(k), ()):
                    if in_range(rule, i):
                        findings.append(delete(rule, i))
            if patterns:
                stripped = strips[k]
                if len(stripped) <= max_length and (any_pattern is None or any_pattern.fullmatch(stripped)):
                    for rule, regex in patterns:
                        limit = rule.params.get("max_length", DEFAULT_MAX_LENGTH)
                        if len(stripped) <= limit and in_range(rule, i) and regex.fullmatch(stripped):
                            findings.append(delete(rule, i))
        findings.extend(self._title(doc, lines[content[0]], in_range, content[0]))
        for rule in self.shapes:
            findings.extend(self._shape(rule, doc, lines, content, rank, in_range, block_start))
        return findings

    def _block(self, doc, lines: list[Line], content: list[int], in_range, findings) -> int | None:
        """The earliest marker line of any block rule; everything from it to the end is one finding."""
        if not self.markers:
            return None
        size = max(len(doc.text), 1)
        # the content lines before every marker's position are skipped (start / size grows with the line)
        first = bisect.bisect_left(
            content, True, key=lambda i: not lines[i].start / size < self.min_marker_position
        )
        late = content[first:]
        strips = list(map(str.strip, map(itemgetter(4), map(lines.__getitem__, late))))
        chosen = list(compress(range(len(late)), map(DEFAULT_MAX_LENGTH.__ge__, map(len, strips))))
        if self.any_marker is not None:
            chosen = compress(chosen, map(self.any_marker.fullmatch, map(strips.__getitem__, chosen)))
        for k in chosen:
            i, stripped = late[k], strips[k]
            for rule, regex in self.markers:
                before = lines[i].start / max(len(doc.text), 1)
                if before < rule.params.get("min_position", 0.5):
                    continue
                if in_range(rule, i) and regex.fullmatch(stripped):
                    start = lines[i].start
                    findings.append(rule.finding(doc, start, len(doc.text), ""))
                    return start
        return None

    def _title(self, doc: Document, title: Line, in_range, index: int) -> Iterable[Finding]:
        for rule, regex in self.prefixes:
            m = regex.match(title.content)
            if m and m.end() > 0 and title.content[m.end() :].strip() and in_range(rule, index):
                yield rule.finding(doc, title.start, title.start + m.end(), "")
        for rule, regex in self.suffixes:
            body = title.content.rstrip()
            m = regex.search(body)
            if m and m.start() > 0 and body[: m.start()].strip() and in_range(rule, index):
                yield rule.finding(doc, title.start + m.start(), title.start + len(title.content), "")

    def _shape(self, rule: Rule, doc, lines, content, rank, in_range, block_start) -> Iterable[Finding]:
        p = rule.params
        ending = re.compile(f"(?:{p.get('ends_without', r'[.!?]')})\\s*$")
        min_words, max_words = p.get("min_words", 1), p.get("max_words", 10_000)
        skip_first, between_body = p.get("skip_first", True), p.get("between_body", True)
        neighbor_words = p.get("neighbor_min_words", 8)
        contains = re.compile(p["contains"]) if p.get("contains") else None
        excludes = re.compile(p["excludes"]) if p.get("excludes") else None
        contents = list(map(itemgetter(4), map(lines.__getitem__, content)))
        last = len(content) - 1
        # the checks that need only the line itself over the whole list first. Words are separated by at
        # least one character, so a line of min_words words is at least 2 * min_words - 1 long.
        chosen = list(compress(range(len(content)), map((2 * min_words - 1).__le__, map(len, contents))))
        chosen = list(compress(chosen, map(operator.not_, map(ending.search, map(contents.__getitem__, chosen)))))
        if contains:
            chosen = list(compress(chosen, map(contains.search, map(contents.__getitem__, chosen))))
        if excludes:
            chosen = list(compress(chosen, map(operator.not_, map(excludes.search, map(contents.__getitem__, chosen)))))
        for n in chosen:
            i = content[n]
            line = lines[i]
            if (skip_first and n == 0) or (block_start is not None and line.start >= block_start):
                continue
            if not in_range(rule, i):
                continue
            words = word_count(line.content)
            if not min_words <= words <= max_words:
                continue
            if between_body:
                if n == 0 or n == last:
                    continue
                if not all(
                    ending.search(contents[m]) and word_count(contents[m]) >= neighbor_words for m in (n - 1, n + 1)
                ):
                    continue
            yield rule.finding(doc, line.start, deletion_end(lines, i, len(doc.text)), "")
