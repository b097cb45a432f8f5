"""Regex substitutions over the whole text (typography and the like), with exception patterns."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from re import _constants, _parser  # the pattern parser, to read a pattern's first characters

from cleaner.model import Document, Finding
from cleaner.passes.base import Pass, Settings
from cleaner.rules import Rule, RuleSet

EXCEPTION_WINDOW = 40
_LITERAL, _IN, _SUBPATTERN, _BRANCH = (_constants.LITERAL, _constants.IN, _constants.SUBPATTERN,
                                       _constants.BRANCH)
_REPEATS = (_constants.MAX_REPEAT, _constants.MIN_REPEAT, _constants.POSSESSIVE_REPEAT)


class SubstitutionPass(Pass):
    kinds = frozenset({"substitution"})

    def __init__(self, rules: list[Rule], ruleset: RuleSet, settings: Settings):
        super().__init__(rules, ruleset, settings)
        self.compiled = []
        for rule in rules:
            prefilter = rule.params.get("prefilter")
            if isinstance(prefilter, str):
                prefilter = [prefilter]
            regex = rule.regex(ignore_case_default=False)
            self.compiled.append(
                (
                    rule,
                    regex,
                    [re.compile(e) for e in rule.params.get("exceptions", []) or []],
                    tuple(prefilter or ()),
                    rule.params.get("group", 0),
                    matcher(regex),
                )
            )
        self.shared = _shared_starts([needle for entry in self.compiled for needle in entry[3]])

    def scan(self, doc: Document) -> Iterable[Finding]:
        text = doc.text
        findings: list[Finding] = []
        holds = _Needles(text, self.shared).holds
        for rule, _, exceptions, prefilter, group, finditer in self.compiled:
            if prefilter and not any(map(holds, prefilter)):
                continue  # every match holds one of them
            template = rule.params["replacement"]
            literal = None if "\\" in template else template  # no group references: no expansion
            transform = rule.params.get("transform")
            for m in finditer(text):
                start, end = m.span(group)
                if start == end or (exceptions and _excepted(text, start, end, exceptions)):
                    continue
                replacement = literal if literal is not None else m.expand(template)
                if transform == "upper":
                    replacement = replacement.upper()
                elif transform == "lower":
                    replacement = replacement.lower()
                if replacement == text[start:end]:
                    continue
                findings.append(rule.finding(doc, start, end, replacement))
        return findings


class _Needles:
    """`needle in text` for the prefilter needles of one text.

    Each search for a two-character needle reads the whole text; the needles that share a first
    character with others (" ,", " .", " ;", ...) are answered together, from one scan for what follows
    that character (a regex led by it: the engine skips ahead to it).
    """

    __slots__ = ("text", "shared", "followers")

    def __init__(self, text: str, shared: dict[str, re.Pattern[str]]):
        self.text = text
        self.shared = shared
        self.followers: dict[str, set[str]] = {}

    def holds(self, needle: str) -> bool:
        regex = self.shared.get(needle[0]) if len(needle) == 2 else None
        if regex is None:
            return needle in self.text
        followers = self.followers.get(needle[0])
        if followers is None:
            followers = self.followers[needle[0]] = set(regex.findall(self.text))
        return needle[1] in followers


def _shared_starts(needles: list[str]) -> dict[str, re.Pattern[str]]:
    """first character -> a regex finding which second characters follow it, for the first characters
    of three or more distinct two-character needles."""
    seconds: dict[str, set[str]] = {}
    for needle in set(needles):
        if len(needle) == 2:
            seconds.setdefault(needle[0], set()).add(needle[1])
    return {
        first: re.compile(re.escape(first) + "(?=([" + "".join(map(re.escape, sorted(chars))) + "]))")
        for first, chars in seconds.items()
        if len(chars) >= 3
    }


def _excepted(text: str, start: int, end: int, exceptions: list[re.Pattern]) -> bool:
    """True when an exception pattern matches a stretch of text that covers start..end."""
    lo = max(0, start - EXCEPTION_WINDOW)
    hi = min(len(text), end + EXCEPTION_WINDOW)
    for exc in exceptions:
        for e in exc.finditer(text, lo, hi):
            if e.start() <= start and e.end() >= end:
                return True
    return False


# ---------------------------------------------------------------- a faster finditer for doubled words

def matcher(regex: re.Pattern[str]) -> Callable[[str], Iterator[re.Match[str]]]:
    """regex.finditer, or a function yielding the very same matches faster for a pattern known here."""
    flags = regex.flags & ~(re.MULTILINE | re.DOTALL)  # neither changes what the pattern matches
    if regex.pattern == DOUBLED_WORD and flags == re.IGNORECASE | re.UNICODE:
        return DoubledWords(regex).finditer
    firsts = first_characters(regex)
    if firsts is not None and len(firsts) > 1:  # one literal: the engine already skips ahead to it
        return LedBy(regex, firsts).finditer
    return regex.finditer


def first_characters(regex: re.Pattern[str]) -> str | None:
    """The characters every match starts with, when the pattern opens with a plain literal or set of
    them (in a group or an alternation); else None."""
    try:
        parsed = _parser.parse(regex.pattern, regex.flags)
    except re.error:
        return None
    chars = _firsts(list(parsed))
    cased = any(c.lower() != c or c.upper() != c for c in chars or ())
    if chars is None or (regex.flags & re.IGNORECASE and cased):
        return None  # a cased letter also matches its other cases
    return "".join(sorted(chars))


def _firsts(items: list) -> set[str] | None:
    if not items:
        return None
    op, av = items[0]
    if op is _LITERAL:
        return {chr(av)}
    if op is _IN and all(kind is _LITERAL for kind, _ in av):
        return {chr(code) for _, code in av}
    if op is _SUBPATTERN and not av[1] and not av[2]:  # (group, add_flags, del_flags, items)
        return _firsts(list(av[3]))
    if op in _REPEATS and av[0] >= 1:  # (min, max, items), at least once
        return _firsts(list(av[2]))
    if op is _BRANCH:
        found: set[str] = set()
        for branch in av[1]:
            chars = _firsts(list(branch))
            if chars is None:
                return None
            found |= chars
        return found
    return None


class LedBy:
    """A pattern's matches found from the offsets of its first characters (str.find skips ahead to each
    of them quickly), when there are few; the engine's own scan tests every character against the set.

    Every match starts at such an offset, so trying the pattern at each of them in order, past the end
    of the last match, finds exactly what finditer does.
    """

    LIMIT = 32  # more offsets than this in one text: the plain scan is as fast

    def __init__(self, regex: re.Pattern[str], firsts: str):
        self.regex = regex
        self.firsts = firsts

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        starts = self._starts(text)
        if starts is None:
            return self.regex.finditer(text)
        return _tried(self.regex, text, starts)

    def _starts(self, text: str) -> list[int] | None:
        starts: list[int] = []
        find = text.find
        for char in self.firsts:
            at = find(char)
            while at >= 0:
                starts.append(at)
                if len(starts) > self.LIMIT:
                    return None
                at = find(char, at + 1)
        starts.sort()
        return starts


def _tried(regex: re.Pattern[str], text: str, starts: list[int]) -> Iterator[re.Match[str]]:
    """The pattern's matches at those (ascending) offsets, skipping any inside the last match, as finditer
    does (none is empty: each starts with a character)."""
    match = regex.match
    end = 0
    for start in starts:
        if start >= end:
            m = match(text, start)
            if m is not None:
                end = m.end()
                yield m


# A word ([^\W\d_], 2 letters or more, starting at a word boundary), white space, and the same word again
# (case-insensitive) starting with a lower-case ASCII letter. The engine tries it at every position of the
# text, and at each word it reads the word with Unicode category look-ups: about 20 MB/s.
DOUBLED_WORD = r"\b([^\W\d_]{2,}+)(?=\s)\s++(?=(?-i:[a-z]))\1\b"


def _image_byte(code: int) -> int:
    """What character `code` (up to U+00FF) becomes in a text's image; "?" also stands for every
    character past U+00FF (the Latin-1 encoder's replacement)."""
    char = chr(code)
    if char == "?":
        return ord("#")
    if re.match(r"[^\W\d_]", char):  # a letter of the pattern's word
        return ord(char.lower()) if char.isascii() else ord("#")
    if re.match(r"\w", char):  # a digit or "_": ends a word, and is no boundary
        return ord("0")
    return ord(" ")  # white space and every other non-word character


_IMAGE = bytes(map(_image_byte, range(256)))
# \s past U+00FF (the image cannot tell them from letters), and the two characters outside ASCII that
# lower-case into it (U+0130 İ -> i, U+212A Kelvin sign -> k: the image cannot match them to i and k)
_WIDE_SPACES = "\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
_UNSAFE = _WIDE_SPACES + "\u0130\u212a"
# In the image (ASCII letters lower-cased, other letters "#", other word characters "0", the rest " "), a
# doubled word is a lead (" " or "#": what stands before the word) and the same bytes twice with spaces
# between. Literal-led, so the engine skips ahead to the leads, and compares bytes, not categories.
_DOUBLED_IMAGE = rb"(?=([a-z][a-z#]*+) ++\1(?![a-z0]))"
_AFTER_SPACE = re.compile(rb" " + _DOUBLED_IMAGE)
_AFTER_OTHER = re.compile(rb"#" + _DOUBLED_IMAGE)


class DoubledWords:
    """The matches of DOUBLED_WORD, in order, tried only where its image says a match may start.

    Every match's word starts the text or follows a non-word character, which the image writes as " "
    or "#"; the word's letters map to the same bytes as the repeat's (ASCII letters lower-cased, every
    other letter "#"), and its white space to spaces. So each match start is right after a lead the two
    image regexes find (or at 0), and the pattern itself, tried there in order, finds exactly what its
    finditer does. A text holding a character of _UNSAFE is searched with the pattern as it is.
    """

    def __init__(self, regex: re.Pattern[str]):
        self.regex = regex

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        for char in _UNSAFE:
            if char in text:
                return self.regex.finditer(text)
        return _tried(self.regex, text, self._starts(text))

    @staticmethod
    def _starts(text: str) -> list[int]:
        """Offsets where a match may start, ascending: 0 and the one after each lead."""
        image = text.encode("latin-1", "replace").translate(_IMAGE)
        starts = [m.end() for m in _AFTER_SPACE.finditer(image)]
        if b"#" in image:
            starts.extend(m.end() for m in _AFTER_OTHER.finditer(image))
            starts.sort()
        starts.insert(0, 0)
        return starts
