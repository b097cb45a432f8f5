"""Small text helpers shared by passes: line spans, line/column lookup, word counts."""

from __future__ import annotations

import bisect
import re
from itertools import accumulate, compress, count, repeat
from operator import add, itemgetter, sub
from typing import NamedTuple

WORD_RE = re.compile(r"\w+(?:[’'-]\w+)*")


class Line(NamedTuple):
    """One line of a text (a tuple: split_lines makes tens of thousands per megabyte)."""

    number: int  # 1-based
    start: int  # offset of the first character
    end: int  # offset just past the content (before the line break)
    next: int  # offset of the next line (after the line break)
    content: str  # without the line break

    @property
    def stripped(self) -> str:
        return self.content.strip()

    @property
    def blank(self) -> bool:
        return not self.content.strip()


def split_lines(text: str) -> list[Line]:
    """Every line of text with its offsets; a final line without a break is included."""
    parts = text.split("\n")
    if parts[-1] == "":
        parts.pop()  # the text ends with a break (or is empty): no line after it
    if not parts:
        return []
    lengths = list(map(len, parts))
    starts = list(accumulate(map((1).__add__, lengths), initial=0))  # start of each line, then past the end
    ends = list(map(add, starts, lengths))
    nexts = starts[1:]
    nexts[-1] = min(nexts[-1], len(text))  # the last line has a break only when the text ends with one
    if "\r" in text:  # a "\r\n" break: the "\r" is not content
        for k, part in enumerate(parts):
            if part.endswith("\r") and nexts[k] > ends[k]:
                ends[k] -= 1
                parts[k] = part[:-1]
    # tuple.__new__ is what Line._make calls: the tuples are built without a Python-level call each
    return list(map(tuple.__new__, repeat(Line), zip(count(1), starts, ends, nexts, parts)))


def content_indices(lines: list[Line]) -> list[int]:
    """Indices of the lines that are not blank."""
    return list(compress(range(len(lines)), map(str.strip, map(itemgetter(4), lines))))


def deletion_end(lines: list[Line], index: int, text_length: int) -> int:
    """Where deleting line `index` should stop: after its break and any blank lines that follow."""
    for following in lines[index + 1 :]:
        if not following.blank:
            return following.start
    return text_length


class LineIndex:
    """Map offsets to 1-based (line, column) quickly."""

    def __init__(self, text: str):
        self.starts = line_starts(text)

    def position(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1

    def positions(self, offsets: list[int]) -> tuple[list[int], list[int]]:
        """(lines, columns) of many offsets: position() of each, in C-level passes."""
        starts = self.starts
        lines = list(map(bisect.bisect_right, repeat(starts), offsets))
        line_start = map(starts.__getitem__, map((-1).__add__, lines))
        return lines, list(map((1).__add__, map(sub, offsets, line_start)))


def positions(text: str, offsets: list[int]) -> tuple[list[int], list[int]]:
    """(lines, columns) of many offsets, as LineIndex.position gives them, found with numpy:
    several times faster for the thousands of findings of a page (a negative offset, which
    LineIndex maps oddly, goes through it)."""
    if not offsets or min(offsets) < 0:
        return LineIndex(text).positions(offsets)
    import numpy as np  # here, not at the top: a run served from the cache never needs it

    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)  # one item a character
    starts = np.flatnonzero(codes == 10)
    starts += 1  # where each line after the first starts
    at = np.array(offsets)
    index = np.searchsorted(starts, at, side="right")  # the line of each offset, 0 for the first
    columns = at - np.concatenate(([0], starts))[index] + 1
    index += 1
    return index.tolist(), columns.tolist()


def line_starts(text: str) -> list[int]:
    """Offset of the start of every line: 0, then just after each "\n" (also after a final one)."""
    lengths = map((1).__add__, map(len, text.split("\n")))
    starts = list(accumulate(lengths, initial=0))
    starts.pop()  # the offset past the last line
    return starts


def word_count(text: str) -> int:
    return len(WORD_RE.findall(text))


def snippet(text: str, limit: int = 60) -> str:
    """A one-line preview for messages: line breaks shown as ⏎, long text cut with …"""
    flat = text.replace("\r", "").replace("\n", "⏎")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 finding', '2 findings', '0 findings' (many: an irregular plural, 'fixes')."""
    return f"{n} {word if n == 1 else (many or word + 's')}"
