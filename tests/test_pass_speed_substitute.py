"""The substitution pass's shortcuts find exactly what the plain regexes find."""

from __future__ import annotations

import re
from string import ascii_letters

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cleaner.passes.substitute import (
    _UNSAFE,
    DOUBLED_WORD,
    DoubledWords,
    LedBy,
    _Needles,
    _shared_starts,
    first_characters,
    matcher,
)

REGEX = re.compile(DOUBLED_WORD, re.IGNORECASE | re.MULTILINE)
FAST = DoubledWords(REGEX)

# words that repeat, in several cases and scripts, with the characters the image treats specially
WORDS = ["the", "The", "THE", "in", "In", "a", "é", "café", "Café", "naïve", "ßa", "x²", "ab1", "a_b",
         "ıi", "İi", "ſs", "Kk", "kk", "σς", "Σσ", "on", "ON", "by"]
SEPARATORS = [" ", "  ", "\n", "\t", "\xa0", "\u2009", "\u3000", "\x85", "’", "“", "-", "?", ".", ", ",
              "(", "_", "1", "é", "—", " ’", "? "]


def spans(matches) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(1)) for m in matches]


texts = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=12).map(
    lambda pairs: "".join(w + s for w, s in pairs)
)


@settings(max_examples=3000, deadline=None)
@given(texts)
@example("in the the capital")
@example("The the minister")
@example("x the the the y")
@example("“the the” café café naïve naïve")
@example("the\xa0the, a\u2009a")
@example("İi ii")
def test_doubled_words_match_the_regex(text):
    assert spans(FAST.finditer(text)) == spans(REGEX.finditer(text))


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.sampled_from("aAbé ß\n\t\xa0’?_1-.İıK"), max_size=40))
def test_doubled_words_on_any_text(text):
    assert spans(FAST.finditer(text)) == spans(REGEX.finditer(text))


def test_unsafe_characters_are_every_wide_space_and_the_ascii_lower_casings():
    """_UNSAFE must list every \\s past U+00FF and every non-ASCII character that lower-cases to ASCII."""
    everything = "".join(map(chr, range(0x110000)))
    wide = {c for c in re.findall(r"\s", everything) if ord(c) > 0xFF}
    # a backreference compares simple lower cases; a full one holds the simple one's first letter
    related = [c for c in everything if not c.isascii() and any(x.isascii() for x in c.lower() + c.upper())]
    to_ascii = {c for c in related for x in ascii_letters if re.fullmatch(r"(?i)(.)\1", x + c)}
    assert set(_UNSAFE) == wide | to_ascii


def test_default_doubled_word_rule_uses_the_shortcut(ruleset):
    """If TY006's pattern changes, the shortcut no longer applies: update DOUBLED_WORD (and its proof)."""
    finditer = matcher(ruleset.by_code["TY006"].regex(ignore_case_default=False))
    assert isinstance(finditer.__self__, DoubledWords)


def test_other_patterns_keep_their_finditer():
    regex = re.compile(r"\bfoo\b")
    assert matcher(regex) == regex.finditer
    assert matcher(re.compile(DOUBLED_WORD)) == re.compile(DOUBLED_WORD).finditer  # case-sensitive: not it


# ---------------------------------------------------------------- shared prefilter needles

NEEDLES = [" ,", " .", " ;", " :", " !", " ?", "  ", "\xa0,", "\xa0.", "\xa0;", "“", "$", ". ", "ab"]


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.sampled_from(" ,.;:!?\xa0“$ab"), max_size=30))
@example("  ,")  # a needle right after another one's first character
def test_shared_needles_answer_like_in(text):
    holds = _Needles(text, _shared_starts(NEEDLES)).holds
    assert [holds(n) for n in NEEDLES] == [n in text for n in NEEDLES]


def test_only_first_characters_of_three_needles_are_shared():
    assert set(_shared_starts(NEEDLES)) == {" ", "\xa0"}


# ---------------------------------------------------------------- patterns led by a set of characters

@pytest.mark.parametrize(
    "pattern, flags, firsts",
    [
        (r"([$€£¥])[ \u00a0]+(\d)", 0, "$£¥€"),
        (r"(?:a|b)c|d", 0, "abd"),
        (r"[.,]x|(y)", 0, ",.y"),
        (r"a|B", re.IGNORECASE, None),  # cased: other cases match too
        (r"[$€]|\d", 0, None),
        (r"(?i:[$€])x", 0, None),  # scoped flags
        (r"x*y", 0, None),
        (r"[ab]+c", 0, "ab"),
        (r"(?:x|yz)*?w", 0, None),
        (r"(?<=a)b", 0, None),
        (r"[^ab]", 0, None),
        (r"[a-c]", 0, None),
    ],
)
def test_first_characters(pattern, flags, firsts):
    assert first_characters(re.compile(pattern, flags)) == firsts


LED = [re.compile(p) for p in (r"([$€£¥])[ \u00a0]+(\d)", r"[ab]+", r"(?:ab|ba)a?|c")]


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=st.sampled_from("$€£¥ \xa012abc"), max_size=80))
@example("$" * 40 + " 1")  # past the limit: the plain scan
def test_led_by_matches_the_regex(text):
    for regex in LED:
        fast = LedBy(regex, first_characters(regex)).finditer(text)
        assert [m.span() for m in fast] == [m.span() for m in regex.finditer(text)]


def test_default_currency_rule_is_led_by_its_signs(ruleset):
    finditer = matcher(ruleset.by_code["TY001"].regex(ignore_case_default=False))
    assert isinstance(finditer.__self__, LedBy)
