"""Which capitalised words can be a misspelled name: not common English, not a demonym, not a patronymic.

The names pass guesses at misspellings (NM002) and pairs spellings within an article (NM003). A guess
is only worth a reviewer's time when the word could be a name nobody knows: a word that is frequent
in English (`Main`, `Leading`, `River`, `Three`, `Michael`, `Marin`, `Germany`), whether as a common
word or as a well-known name of someone or something else, is not a misspelling of a Ukrainian place.

Word frequencies come from wordfreq (Robyn Speer et al.; code Apache-2.0, data CC BY-SA 4.0): its
English list merges Wikipedia, subtitles, news, books, web text and social media, so a word's Zipf
value (log10 of occurrences per billion words) says how ordinary it is in any register; a
transliteration slip such as `Clitsko` or `Beerbach` is not in it at all. The list is loaded on the
first question (about 0.3 s), so a scan that never asks does not pay for it.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Zipf >= 2.5 is about one occurrence in 3 million words: ordinary words and widely known names.
COMMON_ZIPF = 2.5

# Finnish, Romanian, Slovak(s), Slavic, Belarussian, Ukranian, Congolese: adjectives and demonyms of
# nations and languages, never a misspelled place or person
DEMONYM = re.compile(r"(?:ians?|eans?|ans|ish|ese|ic|ics|ns|ness)$")
# Mykolayovych, Petrovich, Ivanivna: the patronymic in a Ukrainian or Russian full name
PATRONYMIC = re.compile(r"(?:ovych|evych|ovich|evich|yich|ivna|ovna|yivna|ievna|ichna|ychna)$")


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """How frequent the word is in English (wordfreq's Zipf scale, 0 when unknown)."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en")


def is_common(word: str) -> bool:
    """A word ordinary in English in any case (`Main`, `Going`) or a widely known name (`Marin`)."""
    return zipf(word) >= COMMON_ZIPF


def not_a_name(word: str, target: str = "") -> str | None:
    """Why `word` cannot be a misspelling of a name (of `target` when given), or None when it can."""
    lower = word.lower()
    shape = DEMONYM.search(lower)
    if shape is not None and not target.lower().endswith(shape.group()):
        return "a nationality or language word"
    if PATRONYMIC.search(lower) is not None:
        return "a patronymic"
    if is_common(word):
        return "a common English word or a known name"
    return None
