"""Which capitalised words can be a misspelled name: not common English, not a demonym, not a patronymic.

The names pass guesses at misspellings (NM002) and pairs spellings within an article (NM003). A guess
is only worth a reviewer's time when the word could be a name nobody knows: a word that is frequent
in English (`Main`, `Leading`, `River`, `Three`, `Michael`, `Marin`, `Germany`), whether as a common
word or as a well-known name of someone or something else, is not a misspelling of a Ukrainian place.

Word frequencies come from wordfreq (Robyn Speer et al.; code Apache-2.0, data CC BY-SA 4.0): its
English list merges Wikipedia, subtitles, news, books, web text and social media, so a word's Zipf
value (log10 of occurrences per billion words) says how ordinary it is in any register; a
transliteration slip such as `Clitsko` or `Beerbach` is not in it at all.

Loading wordfreq costs about 0.3 s (its import and the list), more than the rest of a one-file scan.
The words the passes ask about are nearly all plain ASCII letters, so their values are read from a
table of every such word at or above FLOOR, built from wordfreq once and kept in the user's cache
folder (about 1 MB, loaded in milliseconds); any other word is asked of wordfreq itself.
"""

from __future__ import annotations

import marshal
import re
from functools import cache, lru_cache

from cleaner import usercache

# Zipf >= 2.5 is about one occurrence in 3 million words: ordinary words and widely known names.
COMMON_ZIPF = 2.5

# Finnish, Romanian, Slovak(s), Slavic, Belarussian, Ukranian, Congolese: adjectives and demonyms of
# nations and languages, never a misspelled place or person
DEMONYM = re.compile(r"(?:ians?|eans?|ans|ish|ese|ic|ics|ns|ness)$")
# Mykolayovych, Petrovich, Ivanivna: the patronymic in a Ukrainian or Russian full name
PATRONYMIC = re.compile(r"(?:ovych|evych|ovich|evich|yich|ivna|ovna|yivna|ievna|ichna|ychna)$")


# The lowest Zipf value told apart: below it zipf() says 0.0. Every threshold here and in the passes
# (COMMON_ZIPF, PERSON_ZIPF, SENTENCE_WORD_ZIPF, HEAD_ZIPF) is at or above it.
FLOOR = 2.0
PLAIN = re.compile(r"[A-Za-z]+")


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """How frequent the word is in English (wordfreq's Zipf scale; 0.0 when below FLOOR or unknown)."""
    if PLAIN.fullmatch(word):  # wordfreq reads it as the one token word.lower()
        return _plain_words().get(word.lower(), 0.0)
    from wordfreq import zipf_frequency

    value = zipf_frequency(word, "en")
    return value if value >= FLOOR else 0.0


@cache
def _plain_words() -> dict[str, float]:
    """{word: Zipf value} of wordfreq's English words of plain ASCII letters at or above FLOOR."""
    from importlib.metadata import version

    name = f"zipf-en-{version('wordfreq')}-{FLOOR}.marshal"  # (importing wordfreq is what is slow)
    return usercache.remembered(name, _wordfreq_table, dumps=marshal.dumps, loads=marshal.loads)


def _wordfreq_table() -> dict[str, float]:
    import wordfreq

    table = {}
    for word in wordfreq.iter_wordlist("en"):  # most frequent first
        if PLAIN.fullmatch(word):
            value = wordfreq.zipf_frequency(word, "en")
            if value < FLOOR:
                break
            table[word] = value
    return table


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
