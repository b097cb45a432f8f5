"""Regex substitutions over the whole text (typography and the like), with exception patterns."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from cleaner.model import Document, Finding
from cleaner.passes.base import Pass, Settings
from cleaner.rules import Rule, RuleSet

EXCEPTION_WINDOW = 40


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

    def scan(self, doc: Document) -> Iterable[Finding]:
        text = doc.text
        findings: list[Finding] = []
        for rule, _, exceptions, prefilter, group, finditer in self.compiled:
            if prefilter and not any(p in text for p in prefilter):
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
    return regex.finditer


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
        return self._tried(text, self._starts(text))

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

    def _tried(self, text: str, starts: list[int]) -> Iterator[re.Match[str]]:
        """The pattern's matches at those offsets, skipping any inside the last match (as finditer does)."""
        match = self.regex.match
        end = 0
        for start in starts:
            if start >= end:
                m = match(text, start)
                if m is not None:
                    end = m.end()
                    yield m
