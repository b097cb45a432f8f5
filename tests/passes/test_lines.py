"""The line pass: exact lines, line patterns, blocks to the end, title affixes, line shapes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cleaner.apply import splice
from cleaner.model import Applicability

DATA = Path(__file__).resolve().parent.parent / "data"
CASES = yaml.safe_load((DATA / "lines.yaml").read_text(encoding="utf-8"))
NEGATIVES = yaml.safe_load((DATA / "line_negatives.yaml").read_text(encoding="utf-8"))
CORPUS = Path(__file__).resolve().parent.parent.parent / "corpus"


@pytest.mark.parametrize("case", CASES, ids=[f"{c['select']}-{n}" for n, c in enumerate(CASES)])
def test_findings_and_spans(case, scan, spans):
    findings = scan(case["text"], case["select"])
    assert spans(findings) == case["findings"]
    for f in findings:
        assert case["text"][f.start : f.end] == f.original


@pytest.mark.parametrize("case", NEGATIVES, ids=[f"{c['select']}-{n}" for n, c in enumerate(NEGATIVES)])
def test_text_that_must_stay(case, scan):
    assert scan(case["text"], case["select"]) == [], case["why"]


def test_deleting_a_line_leaves_no_hole(scan):
    text = "First paragraph.\n\nSource link\n\nSecond paragraph.\n"
    assert splice(text, scan(text, "BP001")).text == "First paragraph.\n\nSecond paragraph.\n"


def test_position_limits_count_non_blank_lines(ruleset, scan):
    assert ruleset.by_code["BP002"].first_lines == 15
    header = "".join(f"Line {k} of the header\n\n" for k in range(14))
    assert [f.code for f in scan(header + "Search\n", "BP002")] == ["BP002"]  # the 15th non-blank line
    assert scan(header + "Filler\nSearch\n", "BP002") == []  # the 16th


def test_a_block_swallows_the_line_findings_inside_it(scan, spans):
    body = "A paragraph of the article that is long enough to count as body text.\n" * 3
    text = body + "Leave a Comment\n\nSource link\n"
    assert spans(scan(text, "BP001,BP008")) == [["BP008", len(body), len(text), text[len(body) :], ""]]


def test_only_short_lines_match_patterns(scan):
    long_line = "Sketch video on youtube " + "and a lot more words " * 10
    assert scan(f"Body.\n\n{long_line}\n\nMore.", "BP005") == []


def test_sample_corpus_headlines_pasted_into_000_are_unsafe(scan):
    text = (CORPUS / "000_6b32ff4da4a937aa.txt").read_text(encoding="utf-8")
    findings = scan(text, "BP016")
    assert [f.original.split(" ")[0] for f in findings] == ["Blinken", "State"]
    assert all(f.applicability is Applicability.UNSAFE and f.original.endswith("\n") for f in findings)


def test_line_and_column_point_at_the_first_character(scan):
    text = "Title\n\nBody.\n\nSource link\n"
    (f,) = scan(text, "BP001")
    assert (f.line, f.col) == (5, 1)
