"""Broken unicode, repaired by ftfy: one finding per repair, with its exact span; clean lines skip ftfy."""

from __future__ import annotations

import bisect
import difflib
import functools
import html
import re
import unicodedata
from collections.abc import Callable, Iterable
from re import _constants as sre  # to read ftfy's patterns: see required_chars
from re import _parser as sre_parse

import ftfy
import ftfy.badness
import ftfy.chardata
import ftfy.fixes

from cleaner.model import Document, Finding
from cleaner.passes.base import Pass, Settings
from cleaner.rules import Rule, RuleSet

# ftfy options a rule can stand for; "normalization" maps to NFC, "input_encoding" to our own decoder.
FTFY_OPTIONS = (
    "unescape_html",
    "remove_terminal_escapes",
    "fix_encoding",
    "fix_c1_controls",
    "fix_latin_ligatures",
    "fix_character_width",
    "uncurl_quotes",
    "fix_line_breaks",
    "fix_surrogates",
    "remove_control_chars",
    "normalization",
)
FIXERS = FTFY_OPTIONS + ("input_encoding",)

# A segment made only of these characters is left unchanged by every ftfy fixer, so it skips ftfy:
# printable ASCII, tab and newline, and the typographic punctuation news
# text is full of: dashes and quotes (U+2010-U+201F) and the ellipsis. Anything else (accents, other
# scripts, controls, Â/Ã and friends) goes to ftfy. Not † ‡ • ‣ ․ ‥ (U+2020-U+2025): in MacRoman
# "‡" or "“" is a UTF-8 lead byte and "†" or "•" a continuation byte, so "‡††" is mojibake ftfy
# decodes (to "ࠠ"); without them no safe character is a continuation byte in an encoding where
# another is a lead byte, so no mojibake can be made of safe characters alone.
# An '&' is safe unless it starts an HTML entity as ftfy's unescape_html reads one.
SAFE_CHARS = "\t\n\x20-\x7e\u2010-\u201f\u2026"
ENTITY = re.compile(r"&#?[0-9A-Za-z]{1,24};")  # ftfy.chardata.HTML_ENTITY_RE
# = [^SAFE_CHARS]|ENTITY, written to start with a character class (the regex engine then skips safe
# text in a tight loop): an '&' starts a match only when an entity follows it; the match start is used
NEEDS_FTFY = re.compile(f"[^{SAFE_CHARS.replace(chr(0x20) + '-', chr(0x20) + '-%' + chr(0x27) + '-')}]"
                        "(?:(?<=&)(?=#?[0-9A-Za-z]{1,24};)|(?<!&))")
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def needs_ftfy(segment: str, pattern: re.Pattern[str] = NEEDS_FTFY) -> bool:
    """False when no enabled ftfy fixer can change the segment (so it may skip ftfy)."""
    return pattern.search(segment) is not None


def needs_ftfy_pattern(uncurl_quotes: bool) -> re.Pattern[str]:
    if not uncurl_quotes:
        return NEEDS_FTFY
    # quotes go to ftfy
    return re.compile("[^\t\n\x20-\x25\x27-\x7e\u2010-\u2017\u2026](?:(?<=&)(?=#?[0-9A-Za-z]{1,24};)|(?<!&))")


class UnicodePass(Pass):
    kinds = frozenset({"ftfy"})

    def __init__(self, rules: list[Rule], ruleset: RuleSet, settings: Settings):
        super().__init__(rules, ruleset, settings)
        self.by_fixer = {r.params["fixer"]: r for r in rules}
        unknown = set(self.by_fixer) - set(FIXERS)
        if unknown:
            raise ValueError(f"unknown ftfy fixer(s) {sorted(unknown)}; allowed: {', '.join(FIXERS)}")
        options = {name: name in self.by_fixer for name in FTFY_OPTIONS}
        options["normalization"] = "NFC" if "normalization" in self.by_fixer else None
        options["unescape_html"] = "auto" if "unescape_html" in self.by_fixer else False
        self.config = ftfy.TextFixerConfig(**options, explain=True)
        self.needs = needs_ftfy_pattern(options["uncurl_quotes"])
        self.active = any(name in self.by_fixer for name in FTFY_OPTIONS)
        self.fix_and_explain = GuardedFtfy.or_ftfy(self.config)
        self.html_off = self.config._replace(unescape_html=False)

    def scan(self, doc: Document) -> Iterable[Finding]:
        findings: list[Finding] = []
        encoding_rule = self.by_fixer.get("input_encoding")
        if encoding_rule is not None and doc.encoding != "utf-8":
            findings.append(
                encoding_rule.finding(
                    doc, 0, 0, "", message=f"{encoding_rule.message} (decoded as {doc.encoding})"
                )
            )
        if self.active:
            findings.extend(self._repairs(doc))
        return findings

    def _repairs(self, doc: Document) -> Iterable[Finding]:
        """Walk the text in ftfy.fix_text's own segments so the result is exactly what it would give.

        Only the lines holding a character the fast check flags go to ftfy: the search jumps from one
        to the next. ftfy turns HTML unescaping off from the first segment holding a '<' on.
        """
        text, config = doc.text, self.config
        limit = config.max_decode_length
        lt = text.find("<") if config.unescape_html == "auto" else -1
        html_off = self.html_off
        needs = self.needs.search
        if limit < len(text) and any(len(line) >= limit for line in text.split("\n")):
            yield from self._repairs_by_segment(doc)
            return
        m = needs(text)
        while m is not None:
            pos = text.rfind("\n", 0, m.start()) + 1
            brk = text.find("\n", m.start()) + 1 or len(text)
            segment = text[pos:brk]
            fixed, steps = self.fix_and_explain(segment, html_off if 0 <= lt < brk else config)
            if fixed != segment:
                yield from self._diff(doc, pos, segment, fixed, steps or [])
            m = needs(text, brk)

    def _repairs_by_segment(self, doc: Document) -> Iterable[Finding]:
        """The plain walk over every segment, for texts with lines longer than ftfy's max_decode_length."""
        text, config = doc.text, self.config
        pos = 0
        while pos < len(text):
            brk = text.find("\n", pos) + 1 or len(text)
            if brk - pos > config.max_decode_length:
                brk = pos + config.max_decode_length
            segment = text[pos:brk]
            if config.unescape_html == "auto" and "<" in segment:
                config = self.html_off
            if needs_ftfy(segment, self.needs):
                fixed, steps = self.fix_and_explain(segment, config)
                if fixed != segment:
                    yield from self._diff(doc, pos, segment, fixed, steps or [])
            pos = brk

    def _diff(self, doc: Document, offset: int, segment: str, fixed: str, steps) -> Iterable[Finding]:
        used = _fixers_of(steps)
        for i1, i2, j1, j2 in _edits(segment, fixed):
            rule = self._rule_for(segment[i1:i2], used)
            yield rule.finding(doc, offset + i1, offset + i2, fixed[j1:j2])

    def _rule_for(self, original: str, used: list[str]) -> Rule:
        if len(used) > 1:
            # the fixers that change this piece on their own, when that narrows it down
            alone = [u for u in used if u in ALONE and ALONE[u](original) != original]
            if len(alone) == 1:
                used = alone
            elif "&" in original and "unescape_html" in used:
                used = ["unescape_html"]
            elif CONTROL.search(original):
                used = [u for u in used if u in ("remove_control_chars", "fix_c1_controls")] or used
            elif "fix_encoding" in used:
                used = ["fix_encoding"]
        for name in used:
            if name in self.by_fixer:
                return self.by_fixer[name]
        return next(r for n, r in self.by_fixer.items() if n != "input_encoding")


# ---------------------------------------------------------------- text ftfy leaves alone
#
# ftfy.fix_and_explain runs its fixers in turn until the text stops changing; when no enabled fixer
# changes the segment, it returns the segment itself with no steps. Most segments the fast path sends
# to ftfy (a name with an accent, a Cyrillic paragraph) are such segments, and proving that each fixer
# leaves them alone is much cheaper than running ftfy: mostly ftfy's own mojibake detector, is_bad,
# which is a slow regex when searched over a whole segment.

# the ftfy options fix_and_explain reads; a newer ftfy with another option gets no shortcut
KNOWN_CONFIG = frozenset(FTFY_OPTIONS) | {
    "restore_byte_a0", "replace_lossy_sequences", "decode_inconsistent_utf8",  # inside fix_encoding
    "max_decode_length", "explain",
}
# the patterns and tables the fixers change text with: no match (no key) means no change
FIXER_PATTERNS = {
    "fix_c1_controls": [ftfy.chardata.C1_CONTROL_RE],
    "fix_surrogates": [ftfy.fixes.SURROGATE_RE],  # it changes nothing unless this one matches
    "remove_terminal_escapes": [ftfy.fixes.ANSI_RE],
    "uncurl_quotes": [ftfy.chardata.SINGLE_QUOTE_RE, ftfy.chardata.DOUBLE_QUOTE_RE],
}
FIXER_TABLES = {
    "remove_control_chars": ftfy.chardata.CONTROL_CHARS,
    "fix_latin_ligatures": ftfy.chardata.LIGATURES,
    "fix_character_width": ftfy.chardata.WIDTH_MAP,
}
# the letters of the scripts news text is written in, and its punctuation: the characters required_chars
# avoids when it can (only a matter of speed, so rough weights do)
COMMON_LETTERS = frozenset(
    chr(c) for c in [*range(0xC0, 0x100), *range(0x391, 0x3CA), *range(0x410, 0x450)] if chr(c).isalpha()
)
COMMON_PUNCTUATION = frozenset([chr(c) for c in range(0x2000, 0x2070)] + ["\xa0", "\xab", "\xbb", "\xa9"])


def _plain_chars(op, av) -> frozenset[str] | None:
    """The characters a LITERAL or IN item of a parsed pattern matches, or None if not a plain list."""
    if op is sre.LITERAL:
        return frozenset(chr(av))
    if op is not sre.IN:
        return None
    chars: set[str] = set()
    for kind, value in av:
        if kind is sre.LITERAL:
            chars.add(chr(value))
        elif kind is sre.RANGE:
            chars.update(map(chr, range(value[0], value[1] + 1)))
        else:  # NEGATE, CATEGORY (\s, \w): too wide to look for
            return None
    return frozenset(chars)


def _local(items) -> bool:
    """True when the parsed items only match characters, with nothing that looks outside the match.

    So a match found in text[lo:hi] (search with pos and endpos) is a match in the whole text, and a
    match of the whole text that lies in [lo, hi) is found there. '^' is allowed: without MULTILINE it
    matches only at the real start of the string, whatever pos is.
    """
    for op, av in items:
        if op in (sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN):
            continue
        if op is sre.AT and av in (sre.AT_BEGINNING, sre.AT_BEGINNING_STRING):
            continue
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and _local(av[2]):
            continue
        if op is sre.SUBPATTERN and av[1] == av[2] == 0 and _local(av[3]):
            continue
        if op is sre.BRANCH and all(_local(b) for b in av[1]):
            continue
        return False
    return True


def _rarity(chars: frozenset[str]) -> tuple[int, int]:
    """How often text holds one of chars, roughly: ASCII by far the most, then common letters, punctuation."""
    weight = 100 * sum(c.isascii() for c in chars)
    weight += 10 * len(chars & COMMON_LETTERS) + 2 * len(chars & COMMON_PUNCTUATION)
    return (weight, len(chars))


def _branches(pattern: re.Pattern[str]):
    """The parsed pattern and its alternatives (one, if it has no top-level '|'); None if case-folding."""
    if pattern.flags & (re.IGNORECASE | re.LOCALE):
        return None
    tree = sre_parse.parse(pattern.pattern, pattern.flags)
    items = list(tree)
    return tree, (items[0][1][1] if len(items) == 1 and items[0][0] is sre.BRANCH else [items])


def _anchors(pattern: re.Pattern[str]) -> list[tuple[frozenset[str], object, object]] | None:
    """Per alternative of pattern: the characters of one item it must match, the parsed items before
    it, and the alternative; None if an alternative has no such item (or the pattern folds case).

    The item is a top-level character or class, of the rarest kind in text, so text rarely holds one.
    Read from the parsed pattern, so a newer ftfy's patterns are read as they are.
    """
    parsed = _branches(pattern)
    if parsed is None:
        return None
    state, found = parsed[0].state, []
    for branch in parsed[1]:
        items = list(branch)
        sets = [(k, chars) for k, chars in enumerate(_plain_chars(op, av) for op, av in items) if chars]
        if not sets:
            return None
        k, chars = min(sets, key=lambda kc: _rarity(kc[1]))
        found.append((chars, sre_parse.SubPattern(state, items[:k]), sre_parse.SubPattern(state, items)))
    return found


def required_chars(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Characters every match of pattern holds one of; None if that cannot be read off the pattern."""
    anchors = _anchors(pattern)
    return None if anchors is None else frozenset().union(*(chars for chars, _, _ in anchors))


def match_reach(pattern: re.Pattern[str]) -> dict[str, tuple[int, int]] | None:
    """Per required character: how far before it a match holding it there may start, and after it end.

    None unless every match of pattern is found in any window holding it (see _local) and is bounded.
    """
    anchors = _anchors(pattern)
    if anchors is None or pattern.flags & re.MULTILINE or not _local(list(_branches(pattern)[0])):
        return None
    reach: dict[str, tuple[int, int]] = {}
    for chars, before, branch in anchors:
        (first, last), width = before.getwidth(), branch.getwidth()[1]
        if width >= sre.MAXREPEAT:
            return None
        left, right = last, width - first - 1  # the item sits first..last characters into a match
        for c in chars:
            old = reach.get(c, (0, 0))
            reach[c] = (max(old[0], left), max(old[1], right))
    return reach


def char_class(chars: Iterable[str]) -> str:
    """A regex character class of exactly these characters."""
    return "[" + "".join(f"\\U{ord(c):08x}" for c in sorted(chars)) + "]"


def windowed_search(pattern: re.Pattern[str]) -> Callable[[str], bool] | None:
    """A function equal to `pattern.search(text) is not None`, fast on text that rarely holds its chars.

    It looks for the characters every match must hold and searches only the window around each one
    where a match holding it can lie (a big regex like ftfy's costs per position tried). None if the
    pattern's shape does not allow this.
    """
    reach = match_reach(pattern)
    if reach is None:
        return None
    anchor = re.compile(char_class(reach)).search
    search = pattern.search

    def matches(text: str) -> bool:
        m = anchor(text)
        while m is not None:
            a = m.start()
            left, right = reach[text[a]]
            lo, hi = a - left, a + right + 1
            m = anchor(text, a + 1)
            while m is not None and hi - lo < 32:  # windows that overlap or touch: search them as one
                a = m.start()
                left, right = reach[text[a]]
                if a - left > hi:
                    break
                if a - left < lo:
                    lo = a - left
                if a + right >= hi:
                    hi = a + right + 1
                m = anchor(text, a + 1)
            if search(text, lo if lo > 0 else 0, hi):
                return True
        return False

    return matches


IS_BAD = windowed_search(ftfy.badness.BADNESS_RE)


def is_bad(text: str) -> bool:
    """ftfy.badness.is_bad(text), searched only around the characters mojibake is made of."""
    if IS_BAD is None:
        return ftfy.badness.is_bad(text)
    return IS_BAD(text)


def fixer_chars(name: str) -> frozenset[str] | None:
    """Characters without which ftfy's fixer `name` changes nothing; None if not known."""
    if name in FIXER_TABLES:
        return frozenset(map(chr, FIXER_TABLES[name]))
    if name not in FIXER_PATTERNS:
        return None
    found = [required_chars(pattern) for pattern in FIXER_PATTERNS[name]]
    return None if None in found else frozenset().union(*found)


def suspect_chars(config: ftfy.TextFixerConfig) -> frozenset[str] | None:
    """Characters without which the enabled regex- and table-based fixers change nothing (None: unknown)."""
    found = [fixer_chars(name) for name in [*FIXER_PATTERNS, *FIXER_TABLES] if getattr(config, name)]
    return None if None in found else frozenset().union(*found)


def unchanged_check(config: ftfy.TextFixerConfig) -> Callable[[str, ftfy.TextFixerConfig], bool] | None:
    """A check that is true only when ftfy.fix_and_explain(segment, config) returns segment unchanged.

    Built for the pass's config; called with it or with its HTML-off twin. None when this ftfy has an
    option it does not know (then every segment goes to ftfy).
    """
    chars = suspect_chars(config)
    if chars is None or set(config._fields) - KNOWN_CONFIG:
        return None
    suspect = re.compile(char_class(chars)).search if chars else None
    entity = ftfy.chardata.HTML_ENTITY_RE.search
    form = config.normalization
    fix_encoding, fix_line_breaks = config.fix_encoding, config.fix_line_breaks

    def unchanged(segment: str, config: ftfy.TextFixerConfig) -> bool:
        html = config.unescape_html
        if html and not (html == "auto" and "<" in segment) and entity(segment):
            return False
        if suspect is not None and suspect(segment):
            return False
        if fix_line_breaks and ftfy.fixes.fix_line_breaks(segment) != segment:
            return False
        if form is not None and not unicodedata.is_normalized(form, segment):
            return False
        return not (fix_encoding and is_bad(segment))

    return unchanged


# the fixers fix_and_explain runs after fix_encoding, in its order; GuardedFtfy is used only when
# ftfy's own fix_and_explain names this very list (as the constant its loop runs over)
FIXER_ORDER = (
    "fix_c1_controls", "fix_latin_ligatures", "fix_character_width", "uncurl_quotes",
    "fix_line_breaks", "fix_surrogates", "remove_terminal_escapes", "remove_control_chars",
)
SAME_LOOP = FIXER_ORDER in ftfy.fix_and_explain.__code__.co_consts
# fix_encoding_and_explain repeats this step until the text stops changing; each step starts by
# returning bad-free text unchanged (see _fix_encoding)
ONE_STEP = getattr(ftfy, "_fix_encoding_one_step_and_explain", None)
if ONE_STEP is not None and ONE_STEP.__name__ not in ftfy.fix_encoding_and_explain.__code__.co_names:
    ONE_STEP = None


def change_checks(config: ftfy.TextFixerConfig) -> dict[str, Callable[[str], object]]:
    """Per enabled fixer of FIXER_ORDER, in that order, a check that is falsy only when it changes nothing.

    A fixer with no known pattern or table (fix_line_breaks) is always run.
    """
    checks: dict[str, Callable[[str], object]] = {}
    for name in FIXER_ORDER:
        if getattr(config, name):
            chars = fixer_chars(name)
            checks[name] = bool if chars is None else re.compile(char_class(chars)).search
    return checks


class GuardedFtfy:
    """ftfy.fix_and_explain for one configuration, with each fixer skipped where a check proves it a no-op.

    ftfy runs every enabled fixer on every round, including a second round that only confirms that
    nothing changes any more, and its mojibake detector is a slow regex over the whole segment. The
    same loop with those checks gives the same text and the same explanation steps.
    """

    def __init__(self, config: ftfy.TextFixerConfig, checks, unchanged):
        self.config, self.checks, self.unchanged = config, checks, unchanged
        self.html_off = config._replace(unescape_html=False)

    @classmethod
    def or_ftfy(cls, config: ftfy.TextFixerConfig):
        """A GuardedFtfy for config (or its HTML-off twin), or ftfy.fix_and_explain if one cannot be built."""
        checks, unchanged = change_checks(config), unchanged_check(config)
        if not SAME_LOOP or unchanged is None or not config.explain:
            return ftfy.fix_and_explain
        return cls(config, checks, unchanged)

    def __call__(self, text: str, config: ftfy.TextFixerConfig) -> tuple[str, list]:
        if config is not self.config and config != self.html_off:  # built for another config
            return ftfy.fix_and_explain(text, config)
        if self.unchanged(text, config):
            return text, []
        return self._fix_and_explain(text, config)

    def _fix_and_explain(self, text: str, config: ftfy.TextFixerConfig) -> tuple[str, list]:
        """ftfy.fix_and_explain's loop (ftfy 6.3), asking each check before running its fixer."""
        if config.unescape_html == "auto" and "<" in text:
            config = config._replace(unescape_html=False)
        entity, form = ftfy.chardata.HTML_ENTITY_RE.search, config.normalization
        steps: list = []
        while True:
            origtext = text
            if config.unescape_html and entity(text):
                text = _apply("unescape_html", text, steps)
            if config.fix_encoding and is_bad(text):  # else fix_encoding_and_explain returns text, []
                text = _fix_encoding(text, config, steps)
            for name, may_change in self.checks.items():
                if may_change(text):
                    text = _apply(name, text, steps)
            if form is not None and not unicodedata.is_normalized(form, text):
                fixed = unicodedata.normalize(form, text)
                if fixed != text:
                    steps.append(ftfy.ExplanationStep("normalize", form))
                text = fixed
            if text == origtext:
                return ftfy.ExplainedText(text, steps)


def _fix_encoding(text: str, config: ftfy.TextFixerConfig, steps: list) -> str:
    """ftfy.fix_encoding_and_explain, noting its steps: its loop, without its last step on clean text.

    Each of its steps returns text that is not bad unchanged, and the loop ends when a step changes
    nothing; so a step is needed only while is_bad(text), and asking the fast is_bad spares ftfy's
    slow one over the whole repaired segment.
    """
    if ONE_STEP is None:
        text, encoding_steps = ftfy.fix_encoding_and_explain(text, config)
        steps.extend(encoding_steps or [])
        return text
    while is_bad(text):
        before = text
        text, plan = ONE_STEP(text, config)
        steps.extend(plan or [])
        if text == before:
            break
    return text


def _apply(name: str, text: str, steps: list) -> str:
    """Run one of ftfy's fixers the way fix_and_explain does, noting it in steps if it changed the text."""
    fixed = ftfy.FIXERS[name](text)
    if fixed != text:
        steps.append(ftfy.ExplanationStep("apply", name))
    return fixed


# fixers whose effect on a piece of text can be checked on that piece alone
ALONE = {
    "uncurl_quotes": ftfy.fixes.uncurl_quotes,
    "fix_character_width": ftfy.fixes.fix_character_width,
    "fix_latin_ligatures": ftfy.fixes.fix_latin_ligatures,
    "fix_line_breaks": ftfy.fixes.fix_line_breaks,
    "remove_terminal_escapes": ftfy.fixes.remove_terminal_escapes,
    "remove_control_chars": ftfy.fixes.remove_control_chars,
    "fix_c1_controls": ftfy.fixes.fix_c1_controls,
    "fix_surrogates": ftfy.fixes.fix_surrogates,
    "unescape_html": ftfy.fixes.unescape_html,
}


def _common_head(a: str, b: str) -> int:
    """Length of the longest common prefix of a and b."""
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    lo, hi = 0, n  # a[:lo] == b[:lo], a[:hi] != b[:hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid
    return lo


class _StrMatcher(difflib.SequenceMatcher):
    """difflib's matcher on two strings without junk, with the same longest matches found by str.find.

    difflib's find_longest_match (no junk, no autojunk) returns, among the longest common blocks of
    a[alo:ahi] and b[blo:bhi], the one starting first in a, then first in b, or (alo, blo, 0). Walking a
    and asking b only for a block one longer than the best so far gives the same block. Only starts
    whose block would lie in a run of characters b holds are asked about: the others cannot match.
    """

    def set_seq1(self, a):
        super().set_seq1(a)
        self._runs = None

    def _SequenceMatcher__chain_b(self):  # the element index of b that only difflib's own search reads
        self.b2j, self.bjunk, self.bpopular = {}, set(), set()
        self._runs = None

    def _run_index(self) -> tuple[list[int], list[int], bytes]:
        """The maximal runs of a made of characters b holds: starts, ends, lengths (capped at 255)."""
        if self._runs is None:
            held = bytes(map(set(self.b).__contains__, self.a))
            spans = [m.span() for m in _ONES.finditer(held)]
            lengths = bytes(min(e - s, 255) for s, e in spans)
            self._runs = ([s for s, _ in spans], [e for _, e in spans], lengths)
        return self._runs

    def find_longest_match(self, alo=0, ahi=None, blo=0, bhi=None):
        a, b = self.a, self.b
        if ahi is None:
            ahi = len(a)
        if bhi is None:
            bhi = len(b)
        starts, ends, lengths = self._run_index()
        besti, bestj, best = alo, blo, 0
        find = b.find
        i = alo
        r = bisect.bisect_right(ends, i)  # the first run that ends after i
        while i + best < ahi:
            long_run = _run_at_least(best + 1)(lengths, r)  # a block one longer needs a run that long
            if long_run is None:
                break
            r = long_run.start()
            i = max(i, starts[r])
            end = min(ends[r], ahi)
            while i + best < end:
                j = find(a[i : i + best + 1], blo, bhi)
                if j < 0:
                    i += 1
                    continue
                # a[i:i+best+1] occurs in b, first at j: the longest block from i, and where it first occurs
                best = _longest_occurring(a, i, ahi, find, j, bhi, best + 1)
                besti, bestj = i, find(a[i : i + best], j, bhi)
                i += 1
                break  # look for a longer block from i on, in this run if it is long enough
            else:
                r += 1
        return difflib.Match(besti, bestj, best)


_ONES = re.compile(b"\x01+")


@functools.cache
def _run_at_least(n: int):
    """search(lengths, r) for the first run from the r-th on that is at least n long (runs of 255 or more
    match every n above 255; the caller's bounds then reject those too short)."""
    return re.compile(b"[\\x%02x-\\xff]" % min(n, 255)).search


def _longest_occurring(a: str, i: int, ahi: int, find, j: int, bhi: int, k: int) -> int:
    """The largest n <= ahi - i such that a[i:i+n] occurs in b[j:bhi], given that a[i:i+k] does.

    Every prefix of a piece that occurs in b occurs too (no later than the piece), so the answer is found
    by doubling the step and then halving it: a few str.find calls instead of one per character.
    """
    ok, step, top = k, 1, ahi - i
    while ok < top:
        n = min(ok + step, top)
        if find(a[i : i + n], j, bhi) < 0:
            bad = n
            break
        ok, step = n, step * 2
    else:
        return ok
    while bad - ok > 1:
        mid = (ok + bad) // 2
        if find(a[i : i + mid], j, bhi) < 0:
            bad = mid
        else:
            ok = mid
    return ok


def _edits(segment: str, fixed: str) -> list[tuple[int, int, int, int]]:
    """The differing stretches (i1, i2, j1, j2) of segment and fixed, each one repair.

    An HTML entity is compared as one token, so "&amp;" -> "&" is one edit (a character diff would
    keep the '&' and delete "amp;", or match the 't' of "&eacute;" with a later 't'), and adjacent
    entities that each decode to their part of the replacement are separate edits.
    """
    if "&" not in segment:
        # the common head and tail are equal text: diff only what lies between (difflib is quadratic)
        head = _common_head(segment, fixed)
        tail = _common_head(segment[head:][::-1], fixed[head:][::-1])
        a, b = segment[head : len(segment) - tail], fixed[head : len(fixed) - tail]
        if not a or not b or set(a).isdisjoint(b):  # no common block: difflib's one opcode, if any
            return [(head, head + len(a), head, head + len(b))] if a or b else []
        matcher = _StrMatcher(None, a, b, autojunk=False)
        return [(head + i1, head + i2, head + j1, head + j2)
                for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal"]
    # an entity is one token; the others are the characters between
    spans = [m.span() for m in ENTITY.finditer(segment)]
    firsts, extra = [], [0]  # each entity's token index; the characters entities so far add beyond one
    for start, end in spans:
        firsts.append(start - extra[-1])
        extra.append(extra[-1] + end - start - 1)

    def offset(t: int) -> int:
        """Where token t starts in segment."""
        return t + extra[bisect.bisect_left(firsts, t)]

    # the tokens as one string for the fast matcher: an entity (never equal to one character of fixed)
    # becomes a character that occurs in neither text
    stand_in = next(c for c in map(chr, range(0xE000, 0x110000)) if c not in segment and c not in fixed)
    matcher = _StrMatcher(None, ENTITY.sub(stand_in, segment), fixed, autojunk=False)
    edits = []
    for op, t1, t2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        tokens = [segment[offset(t) : offset(t + 1)] for t in range(t1, t2)]
        parts = [html.unescape(t) if len(t) > 1 else None for t in tokens]
        if len(parts) > 1 and None not in parts and "".join(parts) == fixed[j1:j2]:
            for k, part in enumerate(parts):  # one edit per entity
                edits.append((offset(t1 + k), offset(t1 + k + 1), j1, j1 + len(part)))
                j1 += len(part)
            continue
        edits.append((offset(t1), offset(t2), j1, j2))
    return edits


def _fixers_of(steps) -> list[str]:
    names: list[str] = []
    for step in steps:
        action, parameter = step.action, step.parameter
        if action in ("encode", "decode", "transcode"):
            name = "fix_encoding"
        elif action == "normalize":
            name = "normalization"
        else:
            name = parameter if parameter in FIXERS else "fix_encoding"  # restore_byte_a0 and kin
        if name not in names:
            names.append(name)
    return names
