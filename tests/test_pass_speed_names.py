"""The names pass's shortcuts find exactly what the plain ways find."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cleaner.passes.base import Settings
from cleaner.passes.names import BOUNDARY, WORD, Mention, NamesPass, _has_context, _Lowered


@pytest.fixture(scope="module")
def names(ruleset):
    return NamesPass([r for r in ruleset.rules if r.kind in NamesPass.kinds], ruleset, Settings())


def plain_mentions(p: NamesPass, text: str) -> tuple[list[Mention], list[Mention]]:
    """_mentions without its look at the article's words: every match of the alias regex."""
    out, changed = [], []
    for m in p.regex.finditer(text):
        start, end = m.span()
        if start and BOUNDARY.match(text, start - 1):
            continue
        entity, replacement, ambiguous, changes, canon = p._found[m.group()]
        if entity is None or (ambiguous and not _has_context(text, start, end, entity.context)):
            continue
        out.append(Mention(start, end, entity, replacement, canon))
        if changes:
            changed.append(out[-1])
    return out, changed


def plain_candidates(p: NamesPass, text: str, distinct: set[str], named: set[str]):
    """_candidates with every context word looked for in text.lower()."""
    lowered = text.lower()
    lone, likely = set(), False
    for word in distinct & p._near.keys():
        entity = p._closest(word)[1]
        ok = entity.id in named or word in p._exact or any(c in lowered for c in p._lower_context[entity.id])
        likely |= ok
        if ok or entity.id in p._unsafe_context:
            lone.add(word)
    return lone, likely


PIECES = [
    "Kiev", "Kyiv", "Kharkov", "Kharkiv", "Zelensky", "Volodymyr Zelensky", "Vladimir Zelensky", "Odessa",
    "chicken Kiev", "Kievan Rus", "Маневичи", "Kyivan", "the city", "in Ukraine", "UKRAINE", "the mayor",
    "Kharkiv Oblast", "said", "Zelenska", "Olena Zelenska", "Lvov", "Lviv", "Makarov", "Bucha", "Irpin",
    "Boris Johnson", "Kiel", "Kira", "Zelenskiy", "oblast", "raion", "village", "he said", "she said",
]
GLUE = [" ", ". ", ", ", "\n", "-", "’s ", "“", "X", "a", " \u0130", " \u212a", "_", "1", " (", ""]

texts = st.lists(st.tuples(st.sampled_from(PIECES), st.sampled_from(GLUE)), max_size=20).map(
    lambda pairs: "".join(piece + glue for piece, glue in pairs)
)


@settings(max_examples=1000, deadline=None)
@given(texts)
@example("XKiev and Kyiv")
@example("Маневичи")
@example("the chicken Kiev")
def test_mentions_look_only_where_a_key_word_is(names, text):
    assert names._mentions(text, set(WORD.findall(text))) == plain_mentions(names, text)


@settings(max_examples=1000, deadline=None)
@given(texts)
def test_candidates_match_the_plain_context_look(names, text):
    distinct = set(WORD.findall(text))
    names._learn(distinct)
    named = {m.entity.id for m in names._mentions(text, distinct)[0]}
    lone, likely, _ = names._candidates(text, distinct, named)
    assert (set(lone), likely) == plain_candidates(names, text, distinct, named)


@settings(max_examples=2000, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("aAkKcCtTyY ?\u0130\u212a\u0131\u017f\xe9\xc9\u2019\u03a3"), max_size=9),
    st.sampled_from(["city", "kyiv", "k", "?", "c?t", "é", "aé", "ı", "σ"]),
)
@example("\u0130stanbul", "i")
def test_lowered_answers_like_text_lower(text, needle):
    assert (needle in _Lowered(text)) == (needle in text.lower())


def test_keyless_spellings_are_the_ones_without_a_word(names):
    """A spelling whose words are none a WORD (lower case, Cyrillic) is looked for as it is."""
    assert "Маневичи" in names.keyless and "chicken Kiev" not in names.keyless
    assert all(not any(WORD.fullmatch(w) for w in a.split(" ")) for a in names.keyless)
