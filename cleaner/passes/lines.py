"""Whole-line rules: exact lines, line patterns, blocks from a marker to the end, title affixes, line shapes.

Speed: a page has thousands of short lines per megabyte and nearly all of them match no rule, so the
lines are not tried one by one. The first stage (cleaner/matching.py) reports the lines each exact-line
rule, line pattern and marker may match, for the whole text at once; only these candidates are tried
with the rules, in order, exactly as before. A pattern the stage cannot take is tried on the lines
holding what it needs (read from the pattern with re's parser: words a matching line starts with or
holds, `Needles`), or on every line; texts with the few characters the shortcuts cannot see through
(ß for "ss" in an exact line, ı for i in a needle) are read one line at a time.
"""

from __future__ import annotations

import bisect
import operator
import re
from collections.abc import Iterable
from functools import cache, cached_property
from itertools import accumulate, compress, repeat
from operator import itemgetter
from re import _constants, _parser  # the pattern parser, to read what a pattern needs of a line

from cleaner import usercache
from cleaner.matching import LINE, Candidates, Probe
from cleaner.model import Applicability, Document, Finding
from cleaner.passes.base import Pass, Settings
from cleaner.passes.names_dict import trie_pattern
from cleaner.rules import Rule, RuleSet
from cleaner.text import Line, content_indices, deletion_end, split_lines, word_count

SPACES = re.compile(r"\s+")
DEFAULT_MAX_LENGTH = 200
_UNSAFE = Applicability.UNSAFE
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
        # casefold never makes a string shorter: a line whose spaces-folded form is longer than every
        # exact line cannot match, and need not be case-folded
        self.max_exact = max(map(len, self.exact), default=-1)
        self.markers = [(r, r.regex()) for r in rules if r.kind == "block-from-marker"]
        self.min_marker_position = min(
            (r.params.get("min_position", 0.5) for r, _ in self.markers), default=1.0
        )
        self.prefixes = [(r, r.regex()) for r in rules if r.kind == "title-prefix"]
        # anchored at the end: the leftmost start whose match reaches the end of the title (a search
        # over non-overlapping matches would miss " | News" in "A | B | News")
        self.suffixes = [(r, _at_end(r.regex())) for r in rules if r.kind == "title-suffix"]
        self.shapes = [Shape(r) for r in rules if r.kind == "line-shape"]
        # the exact lines of each rule, for the first stage (a line folding to one of them matches it)
        self.exact_rules = [r for r in rules if r.kind == "exact-line"]
        self.exact_unsafe: str | None = None  # None: exact lines are looked for line by line
        if self.exact and "" not in self.exact:
            # but for characters whose case folding is longer (ß -> ss) and could make up part of one
            self.exact_unsafe = "".join(c for c in _multi_folds() if _in_any(c.casefold(), self.exact))

    def probes(self) -> list[Probe]:
        """Each exact-line rule, line pattern and marker: the lines whose stripped text it may fullmatch."""
        exact = [] if self.exact_unsafe is None else [
            Probe((EXACT, k), exact_pattern({normalize_line(line) for line in rule.params["lines"]}), 0, LINE,
                  code=rule.code)
            for k, rule in enumerate(self.exact_rules)]
        return exact + [Probe((owner, k), regex.pattern, regex.flags, LINE, code=rule.code)
                        for owner, found in ((PATTERN, self.patterns), (MARKER, self.markers))
                        for k, (rule, regex) in enumerate(found)]

    def _rule_lines(
        self, owner: str, count: int, found: Candidates | None
    ) -> tuple[dict[int, set[int]], set[int]]:
        """({line: the owner's patterns that may match it}, the patterns that may match any line: slow
        path, or every pattern when the text cannot be scanned)."""
        if found is None:
            return {}, set(range(count))
        by_line: dict[int, set[int]] = {}
        everywhere = set()
        scanned = self.stage.scanned
        for k in range(count):
            if (owner, k) not in scanned:
                everywhere.add(k)
                continue
            for i in found.lines((owner, k)):
                by_line.setdefault(i, set()).add(k)
        return by_line, everywhere

    def scan(self, doc: Document) -> Iterable[Finding]:
        text = doc.text
        lines = split_lines(text)
        content = content_indices(lines)
        if not content:
            return []
        total = len(content)

        def in_range(rule: Rule, i: int) -> bool:
            n = bisect.bisect_left(content, i)  # index among non-blank lines
            if rule.first_lines is not None and n >= rule.first_lines:
                return False
            if rule.last_lines is not None and n < total - rule.last_lines:
                return False
            return True

        view = TextView(text)
        found = self.stage.candidates(text) if self.exact or self.patterns or self.markers else None
        findings: list[Finding] = []
        block_start = self._block(doc, found, lines, content, in_range, findings)
        end = len(text) if block_start is None else block_start  # the lines before the block
        exact, patterns = self.exact, self.patterns
        for i, tried in self._line_candidates(view, found, lines, content, end):
            line = lines[i]
            if exact:
                for rule in exact.get(normalize_line(line.content), ()):
                    if in_range(rule, i):
                        findings.append(rule.finding(doc, line.start, deletion_end(lines, i, len(text)), ""))
            if tried:
                stripped = line.content.strip()
                for k in tried:
                    rule, regex = patterns[k]
                    limit = rule.params.get("max_length", DEFAULT_MAX_LENGTH)
                    if len(stripped) <= limit and in_range(rule, i) and regex.fullmatch(stripped):
                        findings.append(rule.finding(doc, line.start, deletion_end(lines, i, len(text)), ""))
        findings.extend(self._title(doc, lines[content[0]], in_range, content[0]))
        for shape in self.shapes:
            findings.extend(shape.findings(doc, view, lines, content, in_range, block_start))
        return findings

    def _line_candidates(
        self, view: TextView, found: Candidates | None, lines: list[Line], content: list[int], end: int
    ) -> list[tuple[int, list[int]]]:
        """(line, the line patterns to try on it) for the non-blank lines before `end` that an exact line
        or a line pattern may match, in order (a line only an exact line may match: no patterns)."""
        candidates = found
        found: dict[int, set[int]] = {}
        if self.exact:
            keys = [(EXACT, k) for k in range(len(self.exact_rules))]
            unseen = self.exact_unsafe is None or any(c in view.text for c in self.exact_unsafe)
            if candidates is None or unseen or not self.stage.scanned.issuperset(keys):
                for i in self._foldable(view.text, lines, content, end):
                    found.setdefault(i, set())
            else:
                for key in keys:
                    for i in candidates.lines(key):
                        found.setdefault(i, set())
        if self.patterns:
            by_line, everywhere = self._rule_lines(PATTERN, len(self.patterns), candidates)
            for i, ks in by_line.items():
                found.setdefault(i, set()).update(ks)
            if everywhere:
                scanned = content[: bisect.bisect_left(content, end, key=lambda i: lines[i].start)]
                unfiltered = [self.patterns[k] for k in sorted(everywhere)]
                limit = max(r.params.get("max_length", DEFAULT_MAX_LENGTH) for r, _ in unfiltered)
                for i in _matching(lines, scanned, unfiltered, limit):
                    found.setdefault(i, set()).update(everywhere)
        return [
            (i, sorted(found[i]))
            for i in sorted(found)
            if i < len(lines) and lines[i].start < end and lines[i].content.strip()
        ]

    def _foldable(self, text: str, lines: list[Line], content: list[int], end: int) -> list[int]:
        """The non-blank lines before `end` whose folded text is an exact line's, one line at a time."""
        scanned = content[: bisect.bisect_left(content, end, key=lambda i: lines[i].start)]
        contents = list(map(itemgetter(4), map(lines.__getitem__, scanned)))
        folding = range(len(contents))
        if OTHER_SPACE.search(text) is None:
            # folding removes only spaces: a line with more other characters than the longest
            # exact line cannot fold into one
            folding = compress(folding, map(self.max_exact.__ge__, map(
                operator.sub, map(len, contents), map(str.count, contents, repeat(" ")))))
        folding = list(folding)
        keys = map(str.casefold, map(" ".join, map(str.split, map(contents.__getitem__, folding))))
        return [scanned[k] for k, key in zip(folding, keys, strict=True) if key in self.exact]

    def _block(self, doc, found, lines: list[Line], content: list[int], in_range, findings) -> int | None:
        """The earliest marker line of any block rule; everything from it to the end is one finding."""
        if not self.markers:
            return None
        text = doc.text
        size = max(len(text), 1)
        # the content lines before every marker's position are skipped (start / size grows with the line)
        first = bisect.bisect_left(
            content, True, key=lambda i: not lines[i].start / size < self.min_marker_position
        )
        late = content[first:]
        if not late:
            return None
        by_line, everywhere = self._rule_lines(MARKER, len(self.markers), found)
        chosen = {i for i in by_line if i >= late[0]}
        if everywhere:
            unfiltered = [self.markers[k] for k in sorted(everywhere)]
            chosen.update(_matching(lines, late, unfiltered, DEFAULT_MAX_LENGTH))
        for i in sorted(chosen):
            stripped = lines[i].content.strip()
            if not stripped or len(stripped) > DEFAULT_MAX_LENGTH:
                continue
            tried = by_line.get(i, ())
            for k, (rule, regex) in enumerate(self.markers):
                if k not in tried and k not in everywhere:
                    continue
                before = lines[i].start / size
                if before < rule.params.get("min_position", 0.5):
                    continue
                if in_range(rule, i) and regex.fullmatch(stripped):
                    start = lines[i].start
                    findings.append(_marker_finding(rule, doc, lines, content, i))
                    return start
        return None

    @cached_property
    def _suffix_needles(self) -> list[Needles | None]:
        """Per title-suffix rule, the strings one of which every match holds, case aside (requirement),
        or None when its pattern names none."""
        found = [requirement(regex, anchored=False) for _, regex in self.suffixes]
        return [Needles({0: f[1]}) if f is not None and f[1] else None for f in found]

    def _title(self, doc: Document, title: Line, in_range, index: int) -> Iterable[Finding]:
        for rule, regex in self.prefixes:
            m = regex.match(title.content)
            if m and m.end() > 0 and title.content[m.end() :].strip() and in_range(rule, index):
                yield rule.finding(doc, title.start, title.start + m.end(), "")
        for (rule, regex), needles in zip(self.suffixes, self._suffix_needles, strict=True):
            body = title.content.rstrip()
            if needles is not None:
                by_line, everywhere = needles.find(TextView(body), 0)
                if not by_line and not everywhere:
                    continue  # every match holds one of them (a search tries the pattern at every character)
            m = regex.search(body)
            if m and m.start() > 0 and body[: m.start()].strip() and in_range(rule, index):
                yield rule.finding(doc, title.start + m.start(), title.start + len(title.content), "")


PROSE_END = re.compile(r"[.!?…。！？][\"”’»)\]]*\s*$")
PROSE_LEAD = 3  # a block whose first lines after its marker hold prose may be the article going on


CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")


def _is_prose(text: str) -> bool:
    """A sentence-like line: ten words and final punctuation, 25 words, 120 characters, or (scripts
    written without spaces: CJK, Thai) 20 such characters and final punctuation."""
    words = word_count(text)
    if (words >= 10 and PROSE_END.search(text) is not None) or words >= 25 or len(text.strip()) >= 120:
        return True
    return PROSE_END.search(text) is not None and len(CJK_CHAR.findall(text)) >= 20


ELLIPSIS_END = re.compile(r"(?:\.\.\.|…)[\"”’»)\]]*\s*$")
PROSE_WINDOW = 10  # lines after the marker where two sentences in a row say the article goes on


def _ends_sentence(text: str) -> bool:
    """A line that ends like a sentence: four words (or, without spaces, eight CJK or Thai characters)
    and final punctuation, not an ellipsis (a teaser cut short)."""
    return (PROSE_END.search(text) is not None and ELLIPSIS_END.search(text) is None
            and (word_count(text) >= 4 or len(CJK_CHAR.findall(text)) >= 8))


def prose_in_block(texts: Iterable[str], limit: int) -> str | None:
    """Why a block whose lines after its marker are `texts` may be the article going on after a box,
    or None: prose within its first PROSE_LEAD lines, two lines in a row that end like sentences
    within its first PROSE_WINDOW lines (a teaser is a headline and at most one line of summary; an
    article's paragraphs, quotes and closing lines follow each other), or anywhere more than `limit`
    prose lines in a row."""
    prose = sentences = 0
    for n, text in enumerate(texts):
        long = _is_prose(text)
        if n < PROSE_LEAD and long:
            return "prose right after the marker"
        prose = prose + 1 if long else 0
        if prose > limit:
            return f"{prose} lines of prose in a row"
        if n < PROSE_WINDOW:
            sentences = sentences + 1 if long or _ends_sentence(text) else 0
            if sentences >= 2:
                return "sentences in a row after the box"
    return None


def _marker_finding(rule: Rule, doc: Document, lines: list[Line], content: list[int], i: int) -> Finding:
    """The block from marker line i to the end. A safe rule with `max_prose_run` is safe only by
    construction: where the block may be the article going on (prose_in_block), the same finding
    goes to a reviewer."""
    limit = rule.params.get("max_prose_run")
    if limit is not None and rule.applicability is Applicability.SAFE:
        after = content[bisect.bisect_right(content, i):]
        why = prose_in_block((lines[k].content for k in after), limit)
        if why is not None:
            return rule.finding(doc, lines[i].start, len(doc.text), "", applicability=_UNSAFE,
                                message=f"{rule.message} ({why}: for a reviewer)")
    return rule.finding(doc, lines[i].start, len(doc.text), "")


def _matching(lines: list[Line], indices: list[int], rules: list[tuple[Rule, re.Pattern]], limit: int):
    """The lines (of indices) that the rules may fullmatch, one line at a time: stripped, no longer than
    limit, matched by the rules' alternation (a pre-filter)."""
    strips = list(map(str.strip, map(itemgetter(4), map(lines.__getitem__, indices))))
    short = list(compress(range(len(strips)), map(limit.__ge__, map(len, strips))))
    alternation = _alternation([regex for _, regex in rules])
    if alternation is not None:
        short = list(compress(short, map(alternation.fullmatch, map(strips.__getitem__, short))))
    return [indices[k] for k in short]


class Shape:
    """A line-shape rule: a line of headline length without final punctuation between two paragraphs.

    When the rule's `contains` pattern needs a word (a needle), only the lines holding it are looked
    at; the checks are the same, in the same order."""

    def __init__(self, rule: Rule):
        self.rule = rule
        p = rule.params
        self.ending = re.compile(f"(?:{p.get('ends_without', r'[.!?]')})\\s*$")
        self.min_words, self.max_words = p.get("min_words", 1), p.get("max_words", 10_000)
        self.skip_first, self.between_body = p.get("skip_first", True), p.get("between_body", True)
        self.neighbor_words = p.get("neighbor_min_words", 8)
        self.contains = re.compile(p["contains"]) if p.get("contains") else None
        self.excludes = re.compile(p["excludes"]) if p.get("excludes") else None
        found = requirement(self.contains, anchored=False) if self.contains else None
        self.needles = Needles({0: found[1]}) if found is not None and found[1] else None

    def findings(self, doc, view, lines, content, in_range, block_start) -> Iterable[Finding]:
        rule = self.rule
        last = len(content) - 1
        for n in self._chosen(view, lines, content):
            i = content[n]
            line = lines[i]
            if (self.skip_first and n == 0) or (block_start is not None and line.start >= block_start):
                continue
            if not in_range(rule, i):
                continue
            words = word_count(line.content)
            if not self.min_words <= words <= self.max_words:
                continue
            if self.between_body:
                if n == 0 or n == last:
                    continue
                if not all(self._body(lines[content[m]].content) for m in (n - 1, n + 1)):
                    continue
            yield rule.finding(doc, line.start, deletion_end(lines, i, len(doc.text)), "")

    def _body(self, text: str) -> bool:
        """A paragraph the line may stand between: it ends like a sentence and is long enough."""
        return bool(self.ending.search(text)) and word_count(text) >= self.neighbor_words

    def _chosen(self, view: TextView, lines: list[Line], content: list[int]) -> list[int]:
        """The non-blank lines (indices into content) that pass the checks needing only the line itself:
        long enough (words are separated by at least one character: a line of min_words words is at
        least 2 * min_words - 1 long), without the ending, with `contains`, without `excludes`."""
        chosen: list[int] = list(range(len(content)))
        if self.needles is not None:
            by_line, everywhere = self.needles.find(view, 0)
            if not everywhere:
                places = map(bisect.bisect_left, repeat(content), sorted(by_line))
                chosen = [n for n in places if n < len(content) and content[n] in by_line]
        texts = list(map(itemgetter(4), map(lines.__getitem__, map(content.__getitem__, chosen))))
        chosen, texts = _kept(chosen, texts, map((2 * self.min_words - 1).__le__, map(len, texts)))
        chosen, texts = _kept(chosen, texts, map(operator.not_, map(self.ending.search, texts)))
        if self.contains:
            chosen, texts = _kept(chosen, texts, map(self.contains.search, texts))
        if self.excludes:
            chosen, texts = _kept(chosen, texts, map(operator.not_, map(self.excludes.search, texts)))
        return chosen


def _kept(chosen: list[int], texts: list[str], flags: Iterable) -> tuple[list[int], list[str]]:
    """The items of the two parallel lists whose flag is true."""
    flags = list(flags)
    return list(compress(chosen, flags)), list(compress(texts, flags))


# ---------------------------------------------------------------- the lines a rule may match

EXACT, PATTERN, MARKER = "exact", "pattern", "marker"  # owners of line starts: EXACT, (PATTERN, k), ...


class TextView:
    """One text, with what the line finders work out about it once: the line starts found, the image."""

    __slots__ = ("text", "_image")

    def __init__(self, text: str):
        self.text = text
        self._image: str | None = None

    def image(self) -> str:
        """The text in Latin-1 with ASCII letters lower-cased ("?" for every character past U+00FF):
        a case-insensitive search for an ASCII needle, at the text's offsets."""
        if self._image is None:
            self._image = self.text.encode("latin-1", "replace").lower().decode("latin-1")
        return self._image


def exact_pattern(keys: Iterable[str]) -> str:
    """A pattern that a line's stripped text fullmatches when it may fold (normalize_line) to one of
    keys: a trie of the keys, each character as _atom, each space a run of white space. A line folding
    to a key matches it: white space stays white space under case folding, and a character folding to a
    single one matches that one's _atom; characters folding to several (ß -> ss) are not matched
    (LinePass.exact_unsafe)."""
    return trie_pattern(sorted(keys), atom=lambda c: r"[^\S\n]+" if c == " " else _atom(c))


# non-ASCII characters that match an ASCII letter case-insensitively (İ, ı; K Kelvin sign; ſ long s)
_CASE_EXTRA = {"i": "\u0130\u0131", "k": "\u212a", "s": "\u017f"}


def _canonical(s: str) -> str:
    """s with ASCII letters lower-cased: strings that match alike share the trie's branches."""
    return "".join(c.lower() if c.isascii() else c for c in s)


def _atom(c: str) -> str:
    """The regex for one character of a trie, matching whatever matches it case-insensitively: for an
    ASCII letter a class of its cases, else the character (no case) or itself case-insensitively."""
    if c.isascii() and c.isalpha():
        return "[" + c + c.upper() + _CASE_EXTRA.get(c, "") + "]"
    if _uncased(c):
        return re.escape(c)
    return "(?i:" + re.escape(c) + ")"


class Needles:
    """The lines holding one of each owner's needles: str.find in the text for a needle without case,
    else in the text's image (TextView.image); a needle holding a shorter one is found through it.
    An owner whose needles the image cannot show (the text holds İ, ı, ſ or K) may match any line."""

    IMAGE_UNSAFE = "".join(_CASE_EXTRA.values())  # they match i, k, s ignoring case; the image shows "?"

    def __init__(self, needles: dict):
        self.text_needles: dict[str, list] = {}
        self.image_needles: dict[str, list] = {}
        for owner, strings in needles.items():
            for needle in strings:
                if _uncased(needle):
                    self.text_needles.setdefault(needle, []).append(owner)
                else:
                    self.image_needles.setdefault(needle.lower(), []).append(owner)
        for table in (self.text_needles, self.image_needles):
            for needle in sorted(table, key=len, reverse=True):
                shorter = [other for other in table if other != needle and other in needle]
                if shorter:  # every line holding the needle holds the shorter one: found with it
                    table[min(shorter, key=len)].extend(table.pop(needle))
        self.image_owners = {owner for owners in self.image_needles.values() for owner in owners}

    def find(self, view: TextView, start: int) -> tuple[dict[int, set], set]:
        """({line: owners with a needle in it}, owners that may match any line), for the needles at
        offset `start` or later."""
        everywhere: set = set()
        hits: list[tuple[int, list]] = []
        for needle, owners in self.text_needles.items():
            hits.extend((at, owners) for at in _finds(view.text, needle, start))
        if self.image_needles:
            if any(char in view.text for char in self.IMAGE_UNSAFE):
                everywhere |= self.image_owners
            else:
                image = view.image()
                for needle, owners in self.image_needles.items():
                    hits.extend((at, owners) for at in _finds(image, needle, start))
        hits.sort(key=itemgetter(0))
        by_line: dict[int, set] = {}
        for line, (_, owners) in zip(line_indices(view.text, [at for at, _ in hits]), hits, strict=True):
            by_line.setdefault(line, set()).update(owners)
        return by_line, everywhere


@cache
def _multi_folds() -> str:
    """Every character whose case folding is more than one character (ß, ẞ, ﬁ, ŉ, ...): found once per
    Unicode version (looking through every code point is a tenth of a one-file scan)."""
    import unicodedata

    return usercache.remembered(f"multi-folds-{unicodedata.unidata_version}.txt", _scan_code_points,
                                dumps=str.encode, loads=bytes.decode)


def _scan_code_points() -> str:
    from array import array

    everything = array("I", range(0x110000)).tobytes().decode("utf-32-le", "surrogatepass")
    found = []
    for start in range(0, len(everything), 4096):
        block = everything[start : start + 4096]
        if len(block.casefold()) != len(block):
            found.extend(c for c in block if len(c.casefold()) > 1)
    return "".join(found)


def line_indices(text: str, offsets: list[int]) -> list[int]:
    """The 0-based line of each of the ascending offsets (the line breaks before it)."""
    return list(accumulate(map(text.count, repeat("\n"), [0, *offsets[:-1]], offsets)))


def _in_any(part: str, strings: Iterable[str]) -> bool:
    return any(part in s for s in strings)


def _finds(text: str, needle: str, start: int) -> Iterable[int]:
    at = text.find(needle, start)
    while at >= 0:
        yield at
        at = text.find(needle, at + 1)


def _uncased(s: str) -> bool:
    """No character of s has another case: ignoring case, it matches only itself."""
    return s.lower() == s == s.upper()


# ---------------------------------------------------------------- what a pattern needs of a line

_LITERAL, _IN, _SUBPATTERN, _BRANCH = (_constants.LITERAL, _constants.IN, _constants.SUBPATTERN,
                                       _constants.BRANCH)
_REPEATS = (_constants.MAX_REPEAT, _constants.MIN_REPEAT, _constants.POSSESSIVE_REPEAT)
SHORT_WORD = 3  # lines often start with a word this short ("The", "We", "By"): a poor prefix
LONG_NEEDLE = 6  # a needle this long is seldom in a line that does not match


def requirement(regex: re.Pattern[str], anchored: bool) -> tuple[frozenset[str], frozenset[str]] | None:
    """(prefixes, needles): every string the regex fullmatches (anchored) or finds a match in starts
    with one of the prefixes or holds one of the needles, case aside; None when the pattern does not
    say so plainly. Needles are strings the image or the text can show (`_searchable`)."""
    try:
        items = list(_parser.parse(regex.pattern, regex.flags))
    except re.error:
        return None
    return _requirement(items, anchored)


def _requirement(items: list, anchored: bool) -> tuple[frozenset[str], frozenset[str]] | None:
    """The cheapest requirement of a sequence (`_cost`): its prefixes, its needles, or, when it opens
    with alternatives, theirs together (every match starts with a match of one of them)."""
    if len(items) == 1 and items[0][0] is _SUBPATTERN:  # a group around everything
        return _requirement(list(items[0][1][3]), anchored)
    if len(items) == 1 and items[0][0] is _BRANCH:  # each alternative its own kind
        return _each(list(map(list, items[0][1][1])), anchored)
    options = []
    prefixes = _prefixes(items) if anchored else None
    if prefixes:
        options.append((frozenset(prefixes), frozenset()))
    needles = _needles(items)
    if needles:
        options.append((frozenset(), frozenset(needles)))
    first = items[0] if anchored and items else (None, None)
    if first[0] is _SUBPATTERN and len(first[1][3]) == 1 and first[1][3][0][0] is _BRANCH:
        first = first[1][3][0]
    if first[0] is _BRANCH:
        each = _each(list(map(list, first[1][1])), anchored)
        if each is not None:
            options.append(each)
    return min(options, key=_cost, default=None)


def _each(branches: list[list], anchored: bool) -> tuple[frozenset[str], frozenset[str]] | None:
    """The requirements of alternatives, together."""
    prefixes: set[str] = set()
    needles: set[str] = set()
    for branch in branches:
        found = _requirement(branch, anchored)
        if found is None:
            return None
        prefixes |= found[0]
        needles |= found[1]
    return frozenset(prefixes), frozenset(needles)


def _cost(found: tuple[frozenset[str], frozenset[str]]) -> int:
    """A guess at what a requirement costs. A prefix costs next to nothing (one regex finds every
    rule's), but too many lines start with a short word ("The", "We") or a single letter; a needle
    costs a search of the text, and a short one is in too many lines."""
    prefixes, needles = found
    return sum(map(_prefix_cost, prefixes)) + sum(map(_needle_cost, needles))


def _prefix_cost(prefix: str) -> int:
    if len(prefix) > SHORT_WORD or not prefix[:1].isalnum():
        return 1
    return 100 if len(prefix) == 1 else 10


def _needle_cost(needle: str) -> int:
    if len(needle) >= LONG_NEEDLE:
        return 5
    return 100 if len(needle) == 1 and needle.isalnum() else 15


def _prefixes(items: list) -> set[str] | None:
    """Strings every match of the sequence starts with one of (case aside), or None."""
    if not items:
        return None
    op, av = items[0]
    if op is _LITERAL:
        run = []
        for op, av in items:
            if op is not _LITERAL:
                break
            run.append(chr(av))
        return {"".join(run)}
    if op is _IN:
        return _chars(av)
    if op is _SUBPATTERN:
        return _prefixes(list(av[3]))
    if op is _BRANCH:
        return _union(_prefixes(list(branch)) for branch in av[1])
    if op in _REPEATS:
        inner = _prefixes(list(av[2]))
        if av[0] >= 1 or inner is None:  # (min, max, items)
            return inner if av[0] >= 1 else None
        return _union([inner, _prefixes(items[1:])])  # once or more, or not at all: what follows
    return None


def _needles(items: list) -> set[str] | None:
    """Strings every match of the sequence holds one of (case aside) and the text or its image can
    show, or None; of the sequence's elements, the one whose shortest string is longest."""
    options: list[set[str]] = []
    run: list[str] = []
    for op, av in [*items, (None, None)]:
        if op is _LITERAL:
            run.append(chr(av))
            continue
        if run:
            options.extend({part} for part in _searchable("".join(run)))
            run = []
        if op is _SUBPATTERN:
            found = _needles(list(av[3]))
        elif op is _BRANCH:
            found = _union(_needles(list(branch)) for branch in av[1])
        elif op in _REPEATS and av[0] >= 1:
            found = _needles(list(av[2]))
        elif op is _IN:
            found = _chars(av)
            if found is not None and not all(_searchable(c) == [c] for c in found):
                found = None
        else:
            found = None
        if found:
            options.append(found)
    return max(options, key=lambda strings: (min(map(len, strings)), -len(strings)), default=None)


def _searchable(s: str) -> list[str]:
    """The longest parts of s that the text (characters without case) or its image (ASCII, or Latin-1
    without case) can show; every string holding s holds each of them."""
    parts: list[str] = []
    for fits in (_uncased, _in_image):
        run = ""
        for c in s:
            if fits(c):
                run += c
            elif run:
                parts.append(run)
                run = ""
        if run:
            parts.append(run)
    longest = max(map(len, parts), default=0)
    return [p for p in dict.fromkeys(parts) if len(p) == longest]


def _in_image(c: str) -> bool:
    return c.isascii() or (c <= "\xff" and _uncased(c))


def _chars(av: list) -> set[str] | None:
    """The characters of a set made only of literals, else None."""
    if all(kind is _LITERAL for kind, _ in av):
        return {chr(code) for _, code in av}
    return None


def _union(found: Iterable[set[str] | None]) -> set[str] | None:
    out: set[str] = set()
    for strings in found:
        if strings is None:
            return None
        out |= strings
    return out
