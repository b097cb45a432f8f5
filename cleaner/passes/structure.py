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

Speed: a page has thousands of short lines per megabyte, so nothing is done line by line in Python
that numpy or a C-level str method can do for the whole text: `Features` classifies every character
once (word, joiner, space, digit, CJK, terminal mark, closer; each class defined by the same regex
as the line-by-line definitions) and derives every line's word count, digits and final punctuation
from it (a text of a few lines, a clean article's, has its lines cut and their final punctuation read
in Python: there a numpy call costs more). The main text and the end-of-article markers are only found
for whole pages (or when a learned line hits); features and layouts are shared by the two passes while
they scan one text.
"""

from __future__ import annotations

import bisect
import gc
import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable
from itertools import accumulate, compress, repeat
from operator import itemgetter
from typing import Any

import numpy as np

from cleaner.matching import LINE, FirstStage, Probe
from cleaner.model import Applicability, Document, Finding, findings_of
from cleaner.passes.base import Pass, Settings
from cleaner.passes.lines import DEFAULT_MAX_LENGTH, normalize_line, prose_in_block
from cleaner.passes.words import zipf
from cleaner.rules import Rule, RuleSet
from cleaner.text import word_count

TERMINAL = re.compile(r"[.!?…。！？、，:;][\"”’»)\]*]*\s*$")
DIGIT = re.compile(r"\d")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
LAYOUT_DEFAULTS = {"good_words": 10, "long_words": 25, "penalty": 2.0, "page_menu": 4}

# ---- per-character classes (numpy): the features of every line of a text in a few array operations.
# Each class is defined by the very regex the line-by-line definitions use, so they agree exactly:
# word_count counts matches of \w+(?:[’'-]\w+)* (runs of \w chars, chained by single joiners),
# TERMINAL is a terminal mark, then closers, then white space at the end (\s is what str.strip strips).
_WORD, _JOIN, _SPACE, _DIGIT, _CJK, _TERM, _CLOSE = 1, 2, 4, 8, 16, 32, 64
_MARKS = ".!?…。！？、，:;"  # TERMINAL's terminal marks
_CLOSERS = "\"”’»)]*"  # ... and its closers
_CLASS_REGEXES = (
    (_WORD, re.compile(r"\w")),
    (_JOIN, re.compile(r"[’'-]")),
    (_SPACE, re.compile(r"\s")),
    (_DIGIT, DIGIT),
    (_CJK, CJK),
    (_TERM, re.compile(f"[{re.escape(_MARKS)}]")),
    (_CLOSE, re.compile(f"[{re.escape(_CLOSERS)}]")),
)
_BMP: np.ndarray | None = None


def _classes(chars: str) -> np.ndarray:
    """The class bits of each character of chars."""
    out = np.zeros(len(chars), np.uint8)
    for bit, regex in _CLASS_REGEXES:
        hits = [m.start() for m in regex.finditer(chars)]
        if hits:
            out[hits] |= bit
    return out


def _char_classes(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(code points, class bits) of every character of text."""
    global _BMP
    if _BMP is None:
        _BMP = _classes("".join(map(chr, range(0x10000))))
    data = text.encode("utf-16-le", "surrogatepass")
    if len(data) == 2 * len(text):  # nothing beyond the BMP: one 16-bit unit a character (half the bytes)
        codes = np.frombuffer(data, np.uint16)
        return codes, np.take(_BMP, codes)
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
    if codes.size and int(codes.max()) > 0xFFFF:
        big = codes > 0xFFFF
        cls = np.empty(codes.size, np.uint8)
        cls[~big] = _BMP[codes[~big]]
        uniq, inverse = np.unique(codes[big], return_inverse=True)
        cls[big] = _classes("".join(map(chr, uniq.tolist())))[inverse]
        return codes, cls
    return codes, np.take(_BMP, codes)


_UPPER_BMP: np.ndarray | None = None


def _is_upper(codes: np.ndarray) -> np.ndarray:
    """str.isupper() of each code point."""
    global _UPPER_BMP
    if _UPPER_BMP is None:
        _UPPER_BMP = np.frombuffer(bytes(chr(c).isupper() for c in range(0x10000)), np.uint8).astype(bool)
    if codes.size and int(codes.max()) > 0xFFFF:
        return np.array([chr(c).isupper() for c in codes.tolist()], dtype=bool)
    return _UPPER_BMP[codes]


def _cumulative(mask: np.ndarray) -> np.ndarray:
    """total[i] = set positions of mask before i."""
    total = np.zeros(mask.size + 1, np.int32)
    np.cumsum(mask, dtype=np.int32, out=total[1:])
    return total


def _count_in(positions: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """How many of the sorted positions fall in each line [starts, ends)."""
    return np.searchsorted(positions, ends) - np.searchsorted(positions, starts)


FEW_LINES = 16  # a text with fewer line breaks has its lines found in Python (_few_lines)


def _few_lines(text: str) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """(starts, ends, line indexes) of the non-blank lines of a text, found line by line: what Features
    finds with numpy (a line with a character that is not white space; str.isspace and \\s agree)."""
    parts = text.split("\n")
    if parts[-1] == "":
        parts.pop()  # no line after a final break (split_lines)
    offsets = list(accumulate(map((1).__add__, map(len, parts)), initial=0))
    content = [k for k, part in enumerate(parts) if part and not part.isspace()]
    starts = [offsets[k] for k in content]
    ends = [offsets[k] + len(parts[k]) for k in content]
    return np.array(starts, np.intp), np.array(ends, np.intp), content


def _ends_with_mark(line: str) -> bool:
    """TERMINAL.search(line) is not None: before the closers and white space at its end, a terminal mark."""
    core = line.rstrip().rstrip(_CLOSERS)
    return core != "" and core[-1] in _MARKS


class Features:
    """Per non-blank line of a text: offsets, words, size, digits, final punctuation (numpy, once a text)."""

    __slots__ = (
        "text",
        "content",
        "starts",
        "ends",
        "words",
        "size",
        "size_arr",
        "digit",
        "digit_arr",
        "term",
        "term_arr",
        "starts_arr",
        "ends_arr",
        "words_arr",
        "_short",
        "_pending",
        "_chars",
        "_caps",
    )

    def __init__(self, text: str):
        self.text = text
        n = len(text)
        codes, cls = _char_classes(text)
        if text.count("\n") < FEW_LINES:  # a few lines: found line by line, as split_lines does
            starts, ends, content = _few_lines(text)
            visible = None
        else:
            breaks = np.flatnonzero(codes == 10)
            starts = np.concatenate(([0], breaks + 1))
            ends = np.concatenate((breaks, [n]))
            if n == 0 or text[-1] == "\n":  # no line after a final break (split_lines)
                starts, ends = starts[:-1], ends[:-1]
            visible = _cumulative((cls & _SPACE) == 0)
            keep = np.flatnonzero(visible[ends] - visible[starts])
            starts, ends = starts[keep], ends[keep]
            content = keep.tolist()
        self.content = content
        self.starts = starts.tolist()
        self.ends = ends.tolist()
        self.starts_arr, self.ends_arr = starts, ends
        self._short: dict[Any, Any] = {}
        self._pending = None
        self._chars = (codes, cls)
        self._caps: tuple[np.ndarray, np.ndarray] | None = None
        if not content:
            self.words = self.size = self.digit = self.term = []
            self.size_arr = self.digit_arr = self.term_arr = self.words_arr = np.zeros(0, bool)
            return
        # words: runs of \w characters, a single joiner between two of them chaining them
        word = (cls & _WORD) != 0
        chained = word.copy()
        if n >= 3:
            chained[1:-1] |= ((cls[1:-1] & _JOIN) != 0) & word[:-2] & word[2:]
        first = chained
        first[1:] &= ~chained[:-1]
        words = _count_in(np.flatnonzero(first), starts, ends)
        self.words = words.tolist()
        self.words_arr = words
        self._pending = (codes, cls, visible)  # sizes, digits and punctuation: on first use (shape)

    def shape(self) -> Features:
        """Compute size, digit and term (learned-line statistics need only the word counts)."""
        if self._pending is None:
            return self
        codes, cls, visible = self._pending
        self._pending = None
        starts, ends, words = self.starts_arr, self.ends_arr, self.words_arr
        if int(codes.max()) >= 0x3040 and (cjk := (cls & _CJK) != 0).any():
            total = _cumulative(cjk)
            halves = (total[ends] - total[starts]) / 2
            self.size = [max(w, h) for w, h in zip(self.words, halves.tolist(), strict=True)]
            self.size_arr = np.array(self.size, dtype=float)
        else:
            self.size, self.size_arr = self.words, words
        self.digit_arr = _count_in(np.flatnonzero((cls & _DIGIT) != 0), starts, ends) > 0
        self.digit = self.digit_arr.tolist()
        if visible is None:  # a few lines: each line's own last characters
            lines = map(self.text.__getitem__, map(slice, self.starts, self.ends))
            self.term = list(map(_ends_with_mark, lines))
            self.term_arr = np.array(self.term, bool)
            return self
        # final punctuation: the last visible character, then back over closers, is a terminal mark
        last = np.searchsorted(visible, visible[ends], side="left") - 1
        mark = last
        back = np.flatnonzero(cls[mark] & _CLOSE)
        while back.size:  # step back over closers ("”’»)]*), within the line
            mark = mark.copy() if mark is last else mark
            mark[back] -= 1
            back = back[(mark[back] >= starts[back]) & ((cls[mark[back]] & _CLOSE) != 0)]
        self.term_arr = (mark >= starts) & ((cls[np.maximum(mark, 0)] & _TERM) != 0)
        self.term = self.term_arr.tolist()
        return self

    def caps_words(self) -> tuple[np.ndarray, np.ndarray]:
        """Per content line: how many words of 4+ letters it has (_CAPS_WORD), and how many of them
        start with a capital (str.isupper). A run of letters never spans lines, and findall takes
        each maximal run of 4 or more whole."""
        if self._caps is None:
            codes, cls = self._chars
            letter = ((cls & _WORD) != 0) & ((cls & _DIGIT) == 0) & (codes != 95)  # [^\W\d_]
            edges = np.flatnonzero(np.diff(np.concatenate(([0], letter.view(np.int8), [0]))))
            firsts, lasts = edges[0::2], edges[1::2]
            firsts = firsts[lasts - firsts >= 4]
            upper = _is_upper(codes[firsts])
            starts, ends = self.starts_arr, self.ends_arr
            self._caps = (_count_in(firsts, starts, ends), _count_in(firsts[upper], starts, ends))
        return self._caps

    def short_lines(self, limit: float, by_words: bool) -> tuple[list[int], list[str]]:
        """Content lines of at most limit words (or of size, CJK counted): their indexes and texts."""
        key = (limit, by_words)
        found = self._short.get(key)
        if found is None:
            sel = np.flatnonzero((self.words_arr if by_words else self.shape().size_arr) <= limit)
            cut = self.text.__getitem__
            texts = list(map(cut, map(slice, self.starts_arr[sel].tolist(), self.ends_arr[sel].tolist())))
            found = self._short[key] = (sel.tolist(), texts)
        return found


_KEYS: dict[str, str] = {}  # normalised line -> key (boilerplate lines recur: hash each once)


_RAW_KEYS: dict[str, str] = {}  # line as it stands -> key (the same lines recur verbatim)


def _keys(texts: list[str]) -> list[str]:
    """line_key of each text."""
    keys = list(map(_RAW_KEYS.get, texts))
    if None in keys:
        if len(_RAW_KEYS) > 500_000:
            _RAW_KEYS.clear()
        for k, key in enumerate(keys):
            if key is None:
                text = texts[k]
                keys[k] = _RAW_KEYS[text] = _key(normalize_line(text))
    return keys


def line_key(text: str) -> str:
    """A short stable hash of a normalised line (what learned boilerplate counts)."""
    return _key(normalize_line(text))


def _key(norm: str) -> str:
    key = _KEYS.get(norm)
    if key is None:
        if len(_KEYS) > 500_000:
            _KEYS.clear()
        key = _KEYS[norm] = hashlib.blake2b(norm.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
    return key


def line_size(text: str) -> float:
    """Words in a line; CJK text (no spaces) counts half a word per character."""
    return max(word_count(text), len(CJK.findall(text)) / 2)


def is_sentence(text: str, size: float, good_words: float, long_words: float) -> bool:
    """A line that reads like a paragraph of prose."""
    return (size >= good_words and TERMINAL.search(text) is not None) or size >= long_words


MARKER_KEY = "page-marker"  # the first-stage probes of the markers: (MARKER_KEY, index in markers)
Marker = tuple[re.Pattern[str], float, bool | int]  # safe: True, False, or safe unless prose (limit)
ShortKeys = tuple[np.ndarray, list[str], list[str], np.ndarray]  # indexes, texts, keys, counted


def marker_probes(markers: list[Marker], codes: list[str]) -> list[Probe]:
    """The first-stage probes of the markers (Layout reads their candidate lines); codes: their rules'."""
    return [
        Probe((MARKER_KEY, k), regex.pattern, regex.flags, LINE, code=code)
        for k, ((regex, _, _), code) in enumerate(zip(markers, codes, strict=True))
    ]


def marker_filter(markers: list[Marker]) -> re.Pattern[str] | None:
    """One regex that fullmatches whatever any marker fullmatches (a pre-check per line), or None."""
    if not markers or len({regex.flags for regex, _, _ in markers}) != 1:
        return None
    patterns = [regex.pattern for regex, _, _ in markers]
    if any(re.search(r"\\[1-9]|\(\?P=|\(\?\(", p) for p in patterns):
        return None  # back references would be renumbered
    try:
        return re.compile("|".join(f"(?:{p})" for p in patterns), markers[0][0].flags)
    except re.error:
        return None


# what a marker pattern may hold for marker_finder: no anchors, look-arounds, atomic groups or
# possessive quantifiers (anything whose match could depend on the text around the line)
_CONTEXT_FREE = re.compile(r"[\^$]|\\[AZ]|\(\?[=!<>]|[*+?}]\+")


def marker_finder(prefilter: re.Pattern[str] | None) -> re.Pattern[str] | None:
    r"""A regex that finds, searching the whole text, the line break before every line whose
    stripped text the prefilter can fullmatch (and maybe a few more), or None.

    One search of the text replaces cutting, stripping and matching every line in turn. `\s` is
    exactly what str.strip strips (without re.ASCII); a pattern whose match could depend on what
    surrounds the line (anchors, look-arounds, possessive or atomic groups) is not searched so.
    """
    if prefilter is None or prefilter.flags & re.ASCII or _CONTEXT_FREE.search(prefilter.pattern):
        return None
    try:
        return re.compile(rf"\n(?=[^\S\n]*(?:{prefilter.pattern})[^\S\n]*$)", prefilter.flags | re.MULTILINE)
    except re.error:
        return None


class Layout:
    """The structure of one document: its non-blank lines, their sizes, and the main-text region.

    `content` holds the line indexes of the non-blank lines; everything else is per content line.
    The main text (start..end inclusive; start > end when there is none) and the end-of-article
    markers (stop: where a safe block starts; marker: the first marker, safe or not) are found on
    first use: a document that is not a whole page never needs them for structural rules.
    """

    def __init__(self, features: Features, params: dict[str, Any], markers: list[Marker], prefilter=None,
                 finder=None, stage: FirstStage | None = None):
        self.features = f = features.shape()
        self.params = params
        self.markers = markers
        self.prefilter = prefilter
        self.finder = finder
        self.stage = stage  # the first stage, with a line probe for every marker (marker_probes)
        self.content = f.content
        self.size = f.size
        good, long = params["good_words"], params["long_words"]
        self.sentence_arr = ((f.size_arr >= good) & f.term_arr) | (f.size_arr >= long)
        self.sentence = self.sentence_arr.tolist()
        k = math.ceil(params["page_menu"])
        if k <= 0:
            self.page = True
        elif k > len(self.content):  # fewer lines than a menu has
            self.page = False
        else:
            menu = (f.size_arr <= 3) & ~f.digit_arr & ~f.term_arr
            self.page = b"\x01" * k in menu.view(np.uint8).tobytes()
        self._region: tuple[int, int, int, int] | None = None
        self.memo: dict[Any, Any] = {}

    def region(self) -> tuple[int, int, int, int]:
        """(start, end, stop, marker)."""
        if self._region is None:
            stop, marker = self._markers()
            penalty = self.params["penalty"]
            found = main_region_exact(self.features.size_arr, self.sentence_arr, penalty, marker)
            if found is None:
                found = main_region(self.size, self.sentence, penalty, marker)
            start, end = found
            self._region = (start, end, stop, marker)
        return self._region

    def _markers(self) -> tuple[int, int]:
        f, markers = self.features, self.markers
        count = len(f.content)
        stop = region_stop = count
        if not markers:
            return stop, region_stop
        length = max(len(f.text), 1)
        lowest = min(at for _, at, _ in markers)
        starts, prefilter, text = f.starts, self.prefilter, f.text
        # lines before every marker's min_position are never markers (the position only grows)
        first = bisect.bisect_left(range(count), True, key=lambda n: starts[n] / length >= lowest)
        staged = self._staged_lines(first) if first < count else None
        if staged is not None:  # the lines the first stage says some marker may fullmatch
            lines = staged
            texts = {n: text[starts[n] : f.ends[n]].strip() for n in lines}
            first = 0
        elif self.finder is not None and first < count:  # the lines found by one search of the text
            lines = self._found_lines(first)
            texts = {n: text[starts[n] : f.ends[n]].strip() for n in lines}
            first = 0
        else:
            lines = range(first, count)
            texts = list(map(str.strip, map(text.__getitem__, map(slice, starts[first:], f.ends[first:]))))
            if prefilter is not None:  # only the lines some marker can fullmatch
                lines = compress(lines, map(prefilter.fullmatch, texts))
        for n in lines:
            before = starts[n] / length
            stripped = texts[n - first]
            if len(stripped) > DEFAULT_MAX_LENGTH:
                continue
            for regex, at, safe in markers:
                if before >= at and regex.fullmatch(stripped):
                    if safe is not True and safe is not False:  # safe unless prose follows (lines.py)
                        after = map(text.__getitem__, map(slice, starts[n + 1:], f.ends[n + 1:]))
                        if prose_in_block(after, safe) is not None:
                            break  # the article may go on after the box: no end of the main text
                        safe = True
                    region_stop = min(region_stop, n)
                    if safe:
                        stop = n
                    break
            if stop < count:
                break
        return stop, region_stop

    def _staged_lines(self, first: int) -> list[int] | None:
        """Content lines from `first` on that the first stage says some marker may fullmatch (stripped),
        in order; None when it cannot say (no stage, a marker on the slow path, an unscannable text)."""
        stage = self.stage
        if stage is None:
            return None
        keys = [(MARKER_KEY, k) for k in range(len(self.markers))]
        if not stage.scanned.issuperset(keys):
            return None
        found = stage.candidates(self.features.text)
        if found is None:
            return None
        rows = sorted(set().union(*map(found.lines, keys)))  # line indexes, blank lines counted
        content = self.features.content
        at = np.searchsorted(content, rows).tolist()  # each candidate's index among the content lines
        count = len(content)
        return [n for n, row in zip(at, rows, strict=True) if first <= n < count and content[n] == row]

    def _found_lines(self, first: int) -> list[int]:
        """Content lines from `first` on that the marker finder finds (a superset of those the
        prefilter fullmatches), in order."""
        starts, text = self.features.starts, self.features.text
        lines = [first] if starts[first] == 0 else []  # no line break before it: tried as it is
        for m in self.finder.finditer(text, max(starts[first] - 1, 0)):
            n = bisect.bisect_left(starts, m.start() + 1)
            if n < len(starts) and starts[n] == m.start() + 1:  # not a blank line
                lines.append(n)
        return lines

    @property
    def start(self) -> int:
        return self.region()[0]

    @property
    def end(self) -> int:
        return self.region()[1]

    @property
    def stop(self) -> int:
        return self.region()[2]

    @property
    def marker(self) -> int:
        return self.region()[3]

    @property
    def has_main(self) -> bool:
        start, end, _, _ = self.region()
        return start <= end


def main_region(size: list[float], sentence: list[bool], penalty: float, stop: int) -> tuple[int, int]:
    """The stretch maximising words in sentence lines minus penalty per other line (max subarray)."""
    best, best_start, best_end = 0.0, 0, -1
    current, start = 0.0, 0
    for i, s, good in zip(range(stop), size, sentence, strict=False):
        if current <= 0:
            current, start = 0.0, i
        current += s if good else -penalty if s else 0.0  # a line of no words is neutral
        if current > best:
            best, best_start, best_end = current, start, i
    return best_start, best_end


def main_region_exact(
    size: np.ndarray, sentence: np.ndarray, penalty: float, stop: int
) -> tuple[int, int] | None:
    """main_region with numpy, or None when its sums could round (then they could differ).

    The running sum restarts wherever the prefix sum P reaches a new low (or ties it), so the
    sum ending at line i is P[i+1] - min(P[0..i]); the best stretch ends at the first i where that
    is largest and starts at the last low before it. Sizes are halves (words, CJK characters / 2):
    with a penalty in halves too, every sum is exact in a float, in any order.
    """
    n = min(stop, len(size), len(sentence))
    if n <= 0:
        return 0, -1
    size = size[:n]
    values = np.where(sentence[:n], size, np.where(size != 0, -penalty, 0.0)).astype(np.float64)
    doubled = values * 2
    if not (np.isfinite(doubled).all() and (doubled == np.round(doubled)).all()):
        return None
    if float(np.abs(values).sum()) >= 2.0**50:
        return None
    prefix = np.zeros(n + 1)
    np.cumsum(values, out=prefix[1:])
    low = np.minimum.accumulate(prefix[:-1])
    current = prefix[1:] - low
    end = int(np.argmax(current))
    if current[end] <= 0:
        return 0, -1
    start = end - int(np.argmax(prefix[end::-1] == low[end]))  # the last low at or before end
    return start, end


def layout(
    text: str, params: dict[str, Any], markers: list[Marker], stage: FirstStage | None = None
) -> Layout:
    """Sizes, sentence flags, the end-of-article marker (as the block rules find it) and the main text;
    with a first stage holding marker_probes(markers), the marker lines are its candidates."""
    prefilter = marker_filter(markers)
    return Layout(Features(text), params, markers, prefilter, marker_finder(prefilter), stage)


def short_runs(lay: Layout, max_words: float) -> list[tuple[int, int]]:
    """(first line, length) of every maximal run of consecutive short, unpunctuated content lines."""
    key = ("runs", max_words)
    runs = lay.memo.get(key)
    if runs is None:
        f = lay.features
        short = (f.size_arr <= max_words) & ~f.term_arr
        edges = np.flatnonzero(np.diff(np.concatenate(([0], short.view(np.int8), [0]))))
        firsts, lasts = edges[0::2].tolist(), edges[1::2].tolist()
        runs = lay.memo[key] = [(a, b - a) for a, b in zip(firsts, lasts, strict=True)]
    return runs


_CAPS_WORD = re.compile(r"[^\W\d_]{4,}")


def headline_runs(lay: Layout, max_words: float, min_words: float, min_caps: float) -> list[tuple[int, int]]:
    """(first line, length) of every maximal run of lines shaped like headlines of other stories: min_words
    to max_words words, no final punctuation, at least min_caps of the words of 4+ letters capitalised."""
    key = ("headlines", max_words, min_words, min_caps)
    runs = lay.memo.get(key)
    if runs is None:
        f = lay.features
        ok = (f.size_arr <= max_words) & (f.size_arr >= min_words) & ~f.term_arr
        words, caps = f.caps_words()  # of _CAPS_WORD's words: too few capitalised, or none
        ok &= (words > 0) & ~(caps < min_caps * words)
        edges = np.flatnonzero(np.diff(np.concatenate(([0], ok.view(np.int8), [0]))))
        firsts, lasts = edges[0::2].tolist(), edges[1::2].tolist()
        runs = lay.memo[key] = [(a, b - a) for a, b in zip(firsts, lasts, strict=True)]
    return runs


def digit_share(lay: Layout, first: int, length: int) -> float:
    """Share of the lines content[first:first+length] that hold a digit."""
    return sum(lay.features.digit[first : first + length]) / max(length, 1)


def attached_table(lay: Layout, max_words: float = 6, min_run: int = 4) -> set[int]:
    """Content lines of a table (a run of short lines, half of them with digits) touching the main text.

    A poll's results or a fixtures table that follows the last paragraph belongs to the article.
    """
    key = ("table", max_words, min_run)
    if key in lay.memo:
        return lay.memo[key]
    kept: set[int] = set()
    if lay.has_main:
        start, end, _, _ = lay.region()
        runs = short_runs(lay, max_words)
        firsts = lay.memo.get(("firsts", max_words))
        if firsts is None:
            firsts = lay.memo[("firsts", max_words)] = [first for first, _ in runs]
        for edge in (start - 1, end + 1, end + 2):
            if 0 <= edge < len(lay.content):
                k = bisect.bisect_right(firsts, edge) - 1  # the run starting at or before edge
                first, length = runs[k] if k >= 0 and edge < runs[k][0] + runs[k][1] else (edge, 0)
                if length >= min_run and digit_share(lay, first, length) >= 0.5:
                    kept.update(range(first, first + length))
    lay.memo[key] = kept
    return kept


def title_line(lay: Layout, reach: int = 3) -> int | None:
    """The headline just above the main text (kept): a 3-25 word line without final punctuation."""
    key = ("title", reach)
    if key in lay.memo:
        return lay.memo[key]
    found = None
    start = lay.start
    size, term = lay.size, lay.features.term
    for n in range(start - 1, max(start - 1 - reach, -1), -1):
        if 3 <= size[n] <= 25 and not term[n]:
            found = n
            break
    lay.memo[key] = found
    return found


# the text last laid out, with its features and layouts: the structure and learned-line passes scan
# the same document one after the other (one tuple, replaced whole, so threads never mix two texts)
_LAST: list[tuple[str, dict[Any, Any]] | None] = [None]


def _memo(text: str) -> dict[Any, Any]:
    """What was computed for text (its features, its layouts), while it is the text being scanned."""
    entry = _LAST[0]
    if entry is None or entry[0] is not text:
        entry = _LAST[0] = (text, {})
    return entry[1]


class StructurePass(Pass):
    """outside-main-text, short-line-run and dense-region: judged on each document alone (cacheable)."""

    kinds = frozenset({"outside-main-text", "short-line-run", "dense-region", "comment-thread"})

    def __init__(self, rules: list[Rule], ruleset: RuleSet, settings: Settings):
        super().__init__(rules, ruleset, settings)
        marker_rules = [
            r for r in ruleset.rules if r.kind == "block-from-marker" and r.enabled and r.prefix == "BP"
        ]
        self.markers = [
            (r.regex(), r.params.get("min_position", 0.5),
             r.params.get("max_prose_run", True) if r.applicability is Applicability.SAFE else False)
            for r in marker_rules
        ]
        self.marker_codes = [r.code for r in marker_rules]
        self.marker_key = tuple((regex.pattern, regex.flags, at, safe) for regex, at, safe in self.markers)
        self.prefilter = marker_filter(self.markers)
        self.finder = marker_finder(self.prefilter)
        self.learned_rules = [r for r in rules if r.kind == "learned-line"]
        self.max_learn_words = max((r.params.get("max_words", 12) for r in self.learned_rules), default=0)
        self.frequent: dict[str, tuple[dict[str, int], int]] = {}  # source -> (key -> docs, docs in source)
        self.corpus_docs = 0
        self.corpus_counts: dict[str, int] = {}
        self.floor, self.learnable = 1, {}  # set by prepare, read by wide_key
        self.prepared = False
        self.plans = []
        for rule in self.rules:
            params = {k: rule.params.get(k, v) for k, v in LAYOUT_DEFAULTS.items()}
            self.plans.append((rule, params, (tuple(sorted(params.items())), self.marker_key)))
        self.structural = any(r.kind != "learned-line" for r in self.rules)

    def probes(self) -> list[Probe]:
        """Each end-of-article marker and each comment-thread rule's furniture (`meta`): the lines whose
        stripped text it may fullmatch."""
        threads = [
            Probe((THREAD_KEY, r.code), r.regex("meta").pattern, r.regex("meta").flags, LINE, code=r.code)
            for r in self.rules
            if r.kind == "comment-thread"
        ]
        return marker_probes(self.markers, self.marker_codes) + threads

    # ---- corpus-wide statistics for learned-line rules (LearnedLinePass) -----------------------

    def observe(self, doc: Document) -> dict[str, Any]:
        """Hashes of this document's distinct short lines, under its source: {source: [1, {key: 1}]}."""
        _, texts = _features_of(doc.text).short_lines(self.max_learn_words, by_words=True)
        fits = map(DEFAULT_MAX_LENGTH.__ge__, map(len, map(str.strip, texts)))
        return {doc.source: [1, dict.fromkeys(_keys(list(compress(texts, fits))), 1)]}

    def merge(self, a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        """Add two statistics (associative, commutative; plain JSON-able dicts)."""
        out = {s: [n, dict(c)] for s, (n, c) in a.items()}
        for source, (n, counts) in b.items():
            mine = out.get(source)
            if mine is None:
                out[source] = [n, dict(counts)]
                continue
            mine[0] += n
            mine_counts = mine[1]
            if len(counts) > len(mine_counts):
                mine_counts, counts = dict(counts), mine_counts
                mine[1] = mine_counts
            get = mine_counts.get
            for key, value in counts.items():
                mine_counts[key] = get(key, 0) + value
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
        self.floor = min((r.params.get("min_docs", 5) for r in self.learned_rules), default=1)
        self.learnable = {k: v for k, v in self.corpus_counts.items() if v >= self.floor}  # for wide_key

    def wide_key(self, stats: dict[str, Any] | None) -> str:
        """What the learned-line findings of the documents behind `stats` (their observe output,
        merged) read from the prepared corpus statistics, as a digest.

        A document's learned findings depend on the corpus only through the document counts of its
        source and of the corpus and the counts of its own short lines (scan looks up no line that
        observe did not count). Counts below every rule's min_docs can never make a finding, so
        they are written as 0: an edit elsewhere in the corpus leaves this key, and so the cached
        findings, unchanged unless it changes what these documents' lines are counted.
        """
        floor, learnable = self.floor, self.learnable  # a line's count in its source <= in the corpus
        parts = [str(self.corpus_docs)]
        recurring = False
        for source in sorted(stats or {}):
            frequent, docs = self.frequent.get(source, ({}, 0))
            parts.append(f"\x1e{source}\x1f{docs}")
            for key in sorted(stats[source][1].keys() & learnable.keys()):  # the set operation runs in C
                here = frequent.get(key, 0)
                parts.append(f"{key}:{here if here >= floor else 0}:{learnable[key]}")
                recurring = True
        if not recurring:  # no line recurs enough to be learned, whatever the document counts
            return "none"
        digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8", "surrogatepass"), digest_size=16)
        return digest.hexdigest()

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

    def _layout(self, text: str, params: dict[str, Any], key: Any) -> Layout:
        layouts = _memo(text)
        lay = layouts.get(key)
        if lay is None:
            lay = layouts[key] = Layout(
                _features_of(text), params, self.markers, self.prefilter, self.finder, self.stage
            )
        return lay

    def _scan(self, doc: Document) -> list[Finding]:
        collecting = gc.isenabled()
        if collecting:  # findings hold no cycles: no collection while thousands of them are built
            gc.disable()
        try:
            return self._findings(doc)
        finally:
            if collecting:
                gc.enable()

    def _findings(self, doc: Document) -> list[Finding]:
        columns: list[tuple] = []
        threads: list[Finding] = []  # one finding a block, not one a line
        text = doc.text
        if not text.strip():
            return []
        for rule, params, key in self.plans:
            lay = self._layout(text, params, key)
            if not lay.content:
                return []
            if not lay.page and rule.kind != "learned-line":
                continue  # structure is judged on whole pages only; a clean article has no menu
            if rule.kind == "comment-thread":
                threads.extend(_comment_threads(rule, lay, doc))
                continue
            handler = getattr(self, "_" + rule.kind.replace("-", "_"))
            groups = list(handler(rule, lay, doc))
            if not groups:
                continue
            if rule.applicability is Applicability.SAFE and rule.kind in SAFE_BY_CONSTRUCTION:
                groups, demoted = _split_article_like(rule, lay, groups)
                if demoted:  # might be article text: a reviewer decides
                    columns.append(_line_columns(rule, lay, doc, demoted, Applicability.UNSAFE))
                if not groups:
                    continue
            columns.append(_line_columns(rule, lay, doc, groups))
        return (_most_trusted_per_line(columns) if columns else []) + threads

    def _outside_main_text(
        self, rule: Rule, lay: Layout, doc: Document
    ) -> Iterable[tuple[Iterable[int], float, str]]:
        """Lines above (region: top), below (bottom) or around (both) the main text."""
        start, end, stop, _ = lay.region()
        if start > end:
            return
        p = rule.params
        region = p.get("region", "top")
        min_distance, max_words = p.get("min_distance", 1), p.get("max_words", 10_000)
        sentences, skip_digits = p.get("sentences", True), p.get("skip_digits", False)
        near = p.get("keep_near_prose", 3)
        keep = title_line(lay) if p.get("keep_title", True) else None
        attached = attached_table(lay) if p.get("keep_tables", True) else set()
        f, sentence = lay.features, lay.sentence
        spans = []
        if region in ("top", "both"):
            spans.append(("above", range(0, start)))
        if region in ("bottom", "both"):
            spans.append(("below", range(end + 1, stop)))
        min_region = p.get("min_region", 3)
        usable_key = ("usable", max_words, sentences, skip_digits)
        usable = lay.memo.get(usable_key)
        if usable is None:  # lines the rule may flag wherever they are
            usable = f.size_arr <= max_words
            if not sentences:
                usable &= ~lay.sentence_arr
            if skip_digits:
                usable &= ~f.digit_arr
            lay.memo[usable_key] = usable
        near_prose = lay.memo.get("near_prose")
        if near_prose is None:
            near_prose = lay.memo["near_prose"] = (f.size_arr >= 5) & f.term_arr
        for where, span in spans:
            if len(span) < min_region:
                continue
            density = 1 - sum(sentence[span.start : span.stop]) / len(span)  # share of non-sentence lines
            confidence = rule.confidence * (0.5 + 0.5 * density)
            tail = f" the main text; region of {len(span)} lines, {density:.0%} non-sentence"
            each = min_distance > 1  # the distance is in the message
            # distance >= min_distance and distance <= near as ranges of line indexes
            if where == "above":  # distance = start - n
                lo, hi = span.start, min(span.stop, math.floor(start - min_distance) + 1)
                near_lo, near_hi = max(lo, math.ceil(start - near)), hi
            else:  # distance = n - end
                lo, hi = max(span.start, math.ceil(end + min_distance)), span.stop
                near_lo, near_hi = lo, min(hi, math.floor(end + near) + 1)
            if lo >= hi:
                continue
            ok = usable[lo:hi].copy()
            if (
                near_lo < near_hi
            ):  # prose next to the article (jusText's near-good): a closing line, a standfirst
                ok[near_lo - lo : near_hi - lo] &= ~near_prose[near_lo:near_hi]
            lines = (np.flatnonzero(ok) + lo).tolist()
            drop = {n for n in attached if lo <= n < hi}
            if keep is not None and lo <= keep < hi:
                drop.add(keep)
            if drop:
                lines = [n for n in lines if n not in drop]
            if not lines:
                continue
            if each:  # the distance is in the message
                distances = map(start.__sub__, lines) if where == "above" else map(end.__rsub__, lines)
                details = list(map(str.__add__, map(str, distances), repeat(f" lines {where}{tail}")))
                yield lines, confidence, details
            else:
                yield lines, confidence, where + tail

    def _short_line_run(
        self, rule: Rule, lay: Layout, doc: Document
    ) -> Iterable[tuple[Iterable[int], float, str]]:
        """Runs of >= min_run short lines without final punctuation (menus, link lists)."""
        p = rule.params
        max_words = p.get("max_words", 6)
        min_run, region = p.get("min_run", 4), p.get("region", "outside")
        max_digits = p.get("max_digit_share", 1.0)
        min_words, min_caps = p.get("min_words", 0), p.get("min_caps", 0)
        if min_words or min_caps:
            runs = headline_runs(lay, max_words, min_words, min_caps)
        else:
            runs = short_runs(lay, max_words)
        if min_run <= 0:  # lines outside any run count as runs of length 0
            runs = _every_line(runs, len(lay.content))
        runs = [(first, length) for first, length in runs if length >= min_run]
        if not runs:
            return
        start, end, stop, _ = lay.region()
        keep = title_line(lay) if start <= end else None
        for first, length in runs:
            if first >= stop:
                break
            if max_digits < 1.0 and digit_share(lay, first, length) >= max_digits:
                continue  # a table, a poll or scores: data, not a menu
            lo, hi = first, min(first + max(length, 1), stop)
            if start <= end:
                pieces = (
                    (lo, min(hi, start), False),
                    (max(lo, start), min(hi, end + 1), True),
                    (max(lo, end + 1), hi, False),
                )
            else:
                pieces = ((lo, hi, False),)
            for a, b, inside in pieces:
                if a >= b or (region == "outside" and inside) or (region == "inside" and not inside):
                    continue
                lines = (
                    range(a, b)
                    if keep is None or not a <= keep < b
                    else [n for n in range(a, b) if n != keep]
                )
                if lines:
                    where = "inside" if inside else "outside"
                    yield lines, rule.confidence, f"run of {length} short lines {where} the main text"

    def _dense_region(
        self, rule: Rule, lay: Layout, doc: Document
    ) -> Iterable[tuple[Iterable[int], float, str]]:
        """Non-sentence lines whose neighbourhood (window lines each side) is nearly all non-sentence."""
        p = rule.params
        window, threshold = p.get("window", 3), p.get("min_density", 0.85)
        max_words = p.get("max_words", 12)
        inside_only = p.get("region", "inside") == "inside"
        start, end, stop, _ = lay.region()
        size, sentence = lay.size, lay.sentence
        for n in range(stop):
            if sentence[n] or size[n] > max_words:
                continue
            if inside_only and not start <= n <= end:
                continue
            lo, hi = max(0, n - window), min(stop, n + window + 1)
            if hi - lo < 2 * window + 1:
                continue  # too near an edge to judge by neighbours
            density = 1 - sum(sentence[lo:hi]) / (hi - lo)
            if density >= threshold:
                yield (
                    (n,),
                    rule.confidence * density,
                    f"{density:.0%} of the {hi - lo} lines around it are not sentences",
                )

    def _learned_line(
        self, rule: Rule, lay: Layout, doc: Document
    ) -> Iterable[tuple[Iterable[int], float, str]]:
        """Short lines that recur in many documents (of the same source, or of the whole corpus)."""
        p = rule.params
        same_source = p.get("scope", "source") == "source"
        if same_source:
            counts, docs = self.frequent.get(doc.source, ({}, 0))
        else:
            counts, docs = self.corpus_counts, self.corpus_docs
        min_docs, min_share = p.get("min_docs", 5), p.get("min_share", 0.2)
        outside_only = p.get("where", "any") == "outside"
        max_words = p.get("max_words", 12)
        if docs < min_docs or not counts:
            return
        sel, texts, keys, fits = self._short_keys(lay, max_words)
        if not keys:  # no short line
            return
        frequency = np.fromiter(map(counts.get, keys, repeat(0)), np.int64, len(keys))
        # a line too long to be counted (observe) is never learned, even if a shorter spelling was
        hit = fits & (frequency >= min_docs) & (frequency / docs >= min_share)
        if not hit.any():
            return
        start, end, stop, _ = lay.region()
        hit &= sel < stop
        if outside_only:
            hit &= (sel < start) | (sel > end)
        hits = np.flatnonzero(hit).tolist()
        allow = {normalize_line(x) for x in p.get("allow", [])}
        if allow:
            hits = [k for k in hits if normalize_line(texts[k]) not in allow]
        lines, frequencies = sel[hits].tolist(), frequency[hits].tolist()
        scope = f"source '{doc.source}'" if same_source and doc.source else "the corpus"
        if lines:  # a page repeats a few frequencies: each one's confidence and detail made once
            confidence = {f: rule.confidence * min(1.0, 0.5 + f / docs) for f in set(frequencies)}
            detail = {f: f"in {f} of {docs} documents of {scope}" for f in confidence}
            confidences = list(map(confidence.__getitem__, frequencies))
            yield lines, confidences, list(map(detail.__getitem__, frequencies))

    def _short_keys(self, lay: Layout, max_words: float) -> ShortKeys:
        """Content lines of at most max_words (size, CJK counted): indexes, texts, line keys, and
        whether each is short enough to have been counted (observe).

        Found once for the largest max_words of the learned rules; a rule with fewer words
        keeps those of its size (the texts are not cut and hashed again).
        """
        key = ("learned", max_words)
        found = lay.memo.get(key)
        if found is None:
            top = self.max_learn_words
            if max_words >= top:
                sel, texts = lay.features.short_lines(max_words, by_words=False)
                stripped = np.fromiter(map(len, map(str.strip, texts)), np.int64, len(texts))
                found = (np.array(sel, np.int64), texts, _keys(texts), stripped <= DEFAULT_MAX_LENGTH)
            else:
                sel, texts, keys, fits = self._short_keys(lay, top)
                mine = lay.features.shape().size_arr[sel] <= max_words
                keep = mine.tolist()
                found = (sel[mine], list(compress(texts, keep)), list(compress(keys, keep)), fits[mine])
            lay.memo[key] = found
        return found


def _line_columns(
    rule: Rule,
    lay: Layout,
    doc: Document,
    groups: list[tuple[Iterable[int], Any, Any]],
    applicability: Applicability | None = None,
) -> tuple[tuple, list[int], list[int], list[str], list[str], list[float]]:
    """The findings of one rule: each group's lines (content line indexes), deleted each with the
    blank lines after it, with a confidence and a detail (one for the group, or one per line).

    Built column by column for all the groups at once (findings_of): a page's menus give
    thousands of findings. Lines from the first end-of-article marker on are left out of an
    unsafe rule's findings: the unsafe block from the marker covers them already.
    """
    text, starts = lay.features.text, lay.features.starts
    nexts = lay.memo.get("nexts")
    if nexts is None:  # a line is deleted with the blank lines after it (deletion_end)
        nexts = lay.memo["nexts"] = starts[1:] + [len(text)]
        lay.memo["spans"] = list(map(text.__getitem__, map(slice, starts, nexts)))
    spans = lay.memo["spans"]
    applicability = rule.applicability if applicability is None else applicability
    marker = lay.marker if applicability is not Applicability.SAFE else len(lay.content)
    begin: list[int] = []
    finish: list[int] = []
    originals: list[str] = []
    messages: list[str] = []
    confidences: list[float] = []
    for lines, confidence, detail in groups:
        if lines[-1] >= marker:
            if type(detail) is list:
                detail = [d for n, d in zip(lines, detail, strict=True) if n < marker]
            if type(confidence) is list:
                confidence = [c for n, c in zip(lines, confidence, strict=True) if n < marker]
            lines = [n for n in lines if n < marker]
            if not lines:
                continue
        if type(lines) is range:
            a, b = lines.start, lines.stop
            begin += starts[a:b]
            finish += nexts[a:b]
            originals += spans[a:b]
        elif len(lines) > 1:  # one C call picks them all
            pick = itemgetter(*lines)
            begin += pick(starts)
            finish += pick(nexts)
            originals += pick(spans)
        else:
            begin.append(starts[lines[0]])
            finish.append(nexts[lines[0]])
            originals.append(spans[lines[0]])
        if type(detail) is list:  # a message per line
            messages += map(f"{rule.message} (".__add__, map(str.__add__, detail, repeat(")")))
        else:
            messages += repeat(f"{rule.message} ({detail})", len(lines))
        if type(confidence) is list:  # and a confidence
            confidences += map(round, confidence, repeat(3))
        else:
            confidences += repeat(round(confidence, 3), len(lines))
    shared = (doc.doc, rule.code, rule.name, "", applicability, rule.fix)
    return shared, begin, finish, originals, messages, confidences


# structural rules whose safe findings are checked line run by line run: safe only where the run
# cannot be article text (_article_like); otherwise the same finding goes to a reviewer
SAFE_BY_CONSTRUCTION = frozenset({"short-line-run", "outside-main-text"})
SAFE_DISTANCE = 5  # content lines between a run and the main text for a safe deletion
HEADLINE_REACH = 15  # a run this near the main text that shares a headline word may be article text
HEAD_ZIPF = 4.5  # a headline word more frequent in English than this says nothing about the topic
LIST_MARKER = re.compile(r"\s*(?:\d{1,3}[.)]|[-–—•*·▪●◦►]|\(?[a-z]\))\s")
# words that say nothing about a headline's topic
_PLAIN = frozenset(
    """this that with from have will what when where which their there about after before more most
    over into your said says than them they been were news home page read only also just like""".split()
)
_HEAD_WORD = re.compile(r"[^\W\d_]{5,}")


def _article_like(lay: Layout, first: int, last: int) -> str | None:
    """Why the run of content lines first..last might belong to the article (None when it cannot):
    no main text found, a table shape (digits on a third of its lines, two at least), a list marker,
    or a word of the headline. (Lines near the main text: _near_main.)"""
    start, end, _, _ = lay.region()
    if start > end:
        return "no main text found"
    f = lay.features
    text, starts, ends = f.text, f.starts, f.ends
    lines = [text[starts[n] : ends[n]] for n in range(first, last + 1)]
    if sum(1 for line in lines if LIST_MARKER.match(line)) >= 2:
        return "a list"
    digit = f.digit[first : last + 1]
    if sum(digit) >= 2:  # half the lines of some stretch of 4 (scores, prices, a timeline)
        window = min(4, len(digit))
        if any(sum(digit[k : k + window]) * 2 >= window for k in range(len(digit) - window + 1)):
            return "digits on several lines: a table?"
    distance = start - last if last < start else first - end if first > end else 0
    if distance > HEADLINE_REACH:
        return None  # a far menu may well share a word with the headline (Sports, Politics)
    head = lay.memo.get("head_words")
    if head is None:
        title = title_line(lay)
        words = _HEAD_WORD.findall(text[starts[title] : ends[title]].lower()) if title is not None else []
        # the headline's own words: not the ordinary ones a menu shares with it (World, Video, Health)
        head = lay.memo["head_words"] = frozenset(w for w in words if w not in _PLAIN and zipf(w) < HEAD_ZIPF)
    if head:
        for line in lines:
            shared = head.intersection(_HEAD_WORD.findall(line.lower()))
            if shared:
                return f"shares '{min(shared)}' with the headline"
    return None


def _split_article_like(
    rule: Rule, lay: Layout, groups: list[tuple[Any, Any, Any]]
) -> tuple[list[tuple[Any, Any, Any]], list[tuple[Any, Any, Any]]]:
    """The groups' runs of consecutive lines, as (safe, might be article text: for a reviewer)."""
    safe: list[tuple[Any, Any, Any]] = []
    demoted: list[tuple[Any, Any, Any]] = []
    for lines, confidence, detail in groups:
        lines = list(lines)
        k = 0
        while k < len(lines):
            j = k + 1
            while j < len(lines) and lines[j] == lines[j - 1] + 1:
                j += 1
            why = _article_like(lay, lines[k], lines[j - 1])
            for a, b, near in _near_main(lay, lines, k, j, rule.params.get("safe_distance", SAFE_DISTANCE)):
                part = lines[a:b]
                conf = confidence[a:b] if type(confidence) is list else confidence
                reason = why or near
                if reason is None:
                    safe.append((part, conf, detail[a:b] if type(detail) is list else detail))
                elif type(detail) is list:
                    demoted.append((part, conf, [f"{d}; {reason}: for a reviewer" for d in detail[a:b]]))
                else:
                    demoted.append((part, conf, f"{detail}; {reason}: for a reviewer"))
            k = j
    return safe, demoted


def _near_main(lay: Layout, lines: list[int], k: int, j: int, reach: int) -> list[tuple[int, int, str | None]]:
    """lines[k:j] (consecutive) cut into the part within `reach` lines of the main text (with the
    reason) and the part beyond it (None)."""
    start, end, _, _ = lay.region()
    if start > end:
        return [(k, j, None)]
    if lines[j - 1] < start:  # above: the last lines are the near ones
        cut = k + sum(1 for n in lines[k:j] if n < start - reach)
        pieces = [(k, cut, None), (cut, j, f"within {reach} lines of the main text")]
    elif lines[k] > end:  # below: the first ones
        cut = k + sum(1 for n in lines[k:j] if n <= end + reach)
        pieces = [(k, cut, f"within {reach} lines of the main text"), (cut, j, None)]
    else:
        pieces = [(k, j, "inside the main text")]
    return [(a, b, why) for a, b, why in pieces if a < b]


THREAD_AFTER = 3  # sentences of the main text a comment thread comes after
MIN_FURNITURE = 2  # lines of a thread that are not a time (Reply, Report, votes)
_DIGITS = re.compile(r"\d+")
THREAD_KEY = "comment-furniture"  # the first-stage probe of a comment-thread rule's meta: (THREAD_KEY, code)


def _whole_lines(regex: re.Pattern[str], text: str, starts: list[int], after: int) -> set[int]:
    """The content lines after line `after` that regex matches whole (white space around aside)."""
    found = re.finditer(rf"^[^\S\n]*(?:{regex.pattern})[^\S\n]*$", text, regex.flags)
    return {n for n in (bisect.bisect_right(starts, m.start()) - 1 for m in found) if n > after}


def _too_little_furniture(rule: Rule, lay: Layout) -> bool:
    """Whether the first stage says fewer than MIN_FURNITURE lines can hold the rule's furniture (then
    it finds no thread). Each line _whole_lines finds starts a match of the furniture pattern, and
    these matches (whole lines, never overlapping) end on distinct lines, each a candidate line of
    the probe: there are at least as many candidate lines as furniture lines."""
    stage, key = lay.stage, (THREAD_KEY, rule.code)
    if stage is None or key not in stage.scanned:
        return False
    found = stage.candidates(lay.features.text)
    return found is not None and len(found.lines(key)) < MIN_FURNITURE


def _comment_threads(rule: Rule, lay: Layout, doc: Document) -> list[Finding]:
    """Reader-comment sections found from their shape: at least `min_meta` lines of comment furniture
    (the rule's `meta`: "Reply", "Report", "Rating: 36 Votes", "Posted by …") or comment times
    (`times`: "2 days ago at 07:52 am"), MIN_FURNITURE of them furniture, no more than `max_gap` lines apart, after THREAD_AFTER sentences of the main text. The block runs from a
    comments heading (`heading`, up to `heading_reach` lines above the first such line; else the
    short author line just above it) to the last one: one finding for the whole thread."""
    p = rule.params
    if _too_little_furniture(rule, lay):
        return []
    start, end, _, _ = lay.region()
    if start > end:
        return []
    f = lay.features
    text, starts, ends = f.text, f.starts, f.ends
    furniture = _whole_lines(rule.regex("meta"), text, starts, start)
    times = _whole_lines(rule.regex("times"), text, starts, start) if p.get("times") else set()
    lines = sorted(furniture | times)
    min_meta, max_gap = p.get("min_meta", 3), p.get("max_gap", 10)
    heading = rule.regex("heading") if p.get("heading") else None
    reach = p.get("heading_reach", 5)
    out: list[Finding] = []
    taken = start
    k = 0
    while k < len(lines):
        group = [lines[k]]
        k += 1
        while k < len(lines) and lines[k] - group[-1] <= max_gap:
            group.append(lines[k])
            k += 1
        if len(group) < min_meta or sum(n in furniture for n in group) < MIN_FURNITURE:
            continue  # times alone: a timeline or a live blog
        first, last = group[0], group[-1]
        head = None
        if heading is not None:
            for n in range(max(taken + 1, first - reach), first):
                if heading.fullmatch(text[starts[n]:ends[n]].strip()):
                    head = n
                    break
        shapes = {_DIGITS.sub("#", text[starts[n]:ends[n]].strip().casefold()) if n in furniture else ""
                  for n in group}
        if len(shapes) < 2 and head is None:
            taken = last
            continue  # one shape repeated (a Q&A's Reply lines) and no comments heading
        if head is None and first - 1 > taken and lay.size[first - 1] <= 4 and not f.term[first - 1]:
            head = first - 1  # the author's name above the first comment's time or votes
        begin = first if head is None else head
        if sum(lay.sentence[start:begin]) < THREAD_AFTER:
            taken = last
            continue  # comments follow an article: furniture above it is the header's
        finish = starts[last + 1] if last + 1 < len(starts) else len(text)
        detail = f"{len(group)} lines of comment furniture over {last - begin + 1} lines"
        out.append(rule.finding(doc, starts[begin], finish, "", message=f"{rule.message} ({detail})"))
        taken = last
    return out


def _most_trusted_per_line(columns: list[tuple]) -> list[Finding]:
    """The findings of every rule, but for a line several rules delete only the most trusted one
    (highest applicability, then confidence, then lowest code: the finding scan.most_trusted would keep).

    Every finding here deletes one whole line (span: the line and the blank lines after it, no
    replacement), so the line's start names the edit. On a page the menu, header and far-from-text
    rules flag the same lines: more than half of the findings would be built only to be dropped.
    """
    if len(columns) == 1:
        return findings_of(*columns[0])
    # every row of every column, in order; each line start keeps its best-ranked row (the first
    # among equals), and the kept rows come in the order their line starts were first seen
    sizes = [len(begin) for _, begin, *_ in columns]
    codes = sorted({shared[1] for shared, *_ in columns})
    column = np.repeat(np.arange(len(columns)), sizes)
    starts = np.concatenate([np.asarray(begin, np.int64) for _, begin, *_ in columns])
    confidence = np.concatenate([np.asarray(c, np.float64) for *_, c in columns])
    applicability = np.array([-int(shared[4]) for shared, *_ in columns])[column]
    code = np.array([codes.index(shared[1]) for shared, *_ in columns])[column]
    order = np.arange(starts.size)
    ranked = np.lexsort((order, code, -confidence, applicability, starts))  # by start, then rank
    lead = np.ones(ranked.size, bool)
    lead[1:] = starts[ranked[1:]] != starts[ranked[:-1]]
    winners = ranked[lead]  # the best row of each start, by start
    _, seen = np.unique(starts, return_index=True)  # where each start first appears (by start too)
    winners = winners[np.argsort(seen, kind="stable")]
    picked_column = column[winners]
    found: list[Finding] = []
    offset = 0
    for k, (shared, *cols) in enumerate(columns):
        picked = (winners[picked_column == k] - offset).tolist()
        offset += sizes[k]
        if picked:
            found += findings_of(shared, *(map(col.__getitem__, picked) for col in cols))
    return found


def _every_line(runs: list[tuple[int, int]], count: int) -> list[tuple[int, int]]:
    """Per content line: (first, length) of its run, (n, 0) when it is in none."""
    out = [(n, 0) for n in range(count)]
    for first, length in runs:
        for k in range(first, first + length):
            out[k] = (first, length)
    return out


def _features_of(text: str) -> Features:
    """The features of text, reused while the same text is scanned by several passes."""
    memo = _memo(text)
    f = memo.get("features")
    if f is None:
        f = memo["features"] = Features(text)
    return f


class LearnedLinePass(StructurePass):
    """learned-line: lines recurring across the corpus; observes every document first (corpus-wide)."""

    kinds = frozenset({"learned-line"})
    corpus_wide = True
