"""Text helpers: line spans (with \\r\\n), offsets to line/column, word counts."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cleaner.text import LineIndex, deletion_end, split_lines, word_count


def reference_lines(text: str) -> list[tuple]:
    """split_lines as a specification: split at \\n; a \\r before a \\n belongs to the break."""
    out, pos = [], 0
    for number, piece in enumerate(_split_lf(text), 1):
        body = piece[:-1] if piece.endswith("\n") else piece
        if piece.endswith("\n") and body.endswith("\r"):
            body = body[:-1]
        out.append((number, pos, pos + len(body), pos + len(piece), body))
        pos += len(piece)
    return out


def _split_lf(text: str) -> list[str]:
    parts = text.split("\n")
    pieces = [p + "\n" for p in parts[:-1]]
    return pieces + ([parts[-1]] if parts[-1] else [])


@given(st.text(alphabet="ab \r\n", max_size=30))
def test_split_lines_matches_the_reference(text):
    assert [tuple(line) for line in split_lines(text)] == reference_lines(text)


def test_split_lines_examples():
    assert [tuple(x) for x in split_lines("a\r\nb\n\nc")] == [
        (1, 0, 1, 3, "a"),
        (2, 3, 4, 5, "b"),
        (3, 5, 5, 6, ""),
        (4, 6, 7, 7, "c"),
    ]
    assert split_lines("") == []
    assert [tuple(x) for x in split_lines("x\r")] == [(1, 0, 2, 2, "x\r")]


def test_deletion_end_takes_the_blank_lines_after():
    text = "a\nb\n\n \nc\n"
    lines = split_lines(text)
    assert deletion_end(lines, 1, len(text)) == text.index("c")
    assert deletion_end(lines, 4, len(text)) == len(text)


def test_line_index_positions():
    index = LineIndex("ab\ncd\n\ne")
    assert [index.position(k) for k in (0, 1, 3, 6, 7)] == [(1, 1), (1, 2), (2, 1), (3, 1), (4, 1)]


def test_word_count_keeps_apostrophes_and_hyphens_inside_words():
    assert word_count("Russia’s well-known 2022 plan, isn't it?") == 6
