"""The page passes read the first stage: marker lines and comment furniture from its candidates, and
their other numpy shortcuts (capitalised words, the most trusted finding per line) agree with the
line-by-line code they replace. Sentences written for these tests."""

from __future__ import annotations

import random
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import cleaner.passes.structure as structure
from cleaner.matching import LINE, FirstStage, Probe
from cleaner.model import Applicability, Document, findings_of
from cleaner.passes.structure import (
    _CAPS_WORD,
    LAYOUT_DEFAULTS,
    Features,
    _most_trusted_per_line,
    layout,
    marker_probes,
)
from cleaner.rules import load_rules
from cleaner.scan import Scanner

RULES = Path(__file__).resolve().parent.parent.parent / "rules"
RULESET = load_rules(RULES)
MARKER_RULES = [r for r in RULESET.rules if r.kind == "block-from-marker" and r.prefix == "BP" and r.enabled]
MARKERS = [(r.regex(), 0.0, True) for r in MARKER_RULES]  # every line may be a marker
STAGE = FirstStage(marker_probes(MARKERS, [r.code for r in MARKER_RULES]))

LINES = ["Home", "World", "Related articles:", "You may also like", "  leave a comment  ", "Most read",
         "3 comments\r", "\u00a0Most read ", "Reply", "Report", "Rating: 36 Votes", "2 days ago",
         "The council approved the budget on Tuesday after eleven hours of debate, members said.",
         "Kyiv mayor pleads with US and Germany", "", " ", "\t", "\u2028", "Related\narticles:"]


@settings(max_examples=300)
@given(st.lists(st.sampled_from(LINES), max_size=30), st.booleans())
def test_marker_lines_come_from_the_stage_and_find_what_the_text_search_finds(lines, final_break):
    text = "\n".join(lines) + ("\n" if final_break else "")
    staged = layout(text, dict(LAYOUT_DEFAULTS), MARKERS, STAGE)
    if not staged.content:
        return
    assert staged._staged_lines(0) is not None  # the stage answered: the text search was not run
    searched = layout(text, dict(LAYOUT_DEFAULTS), MARKERS)
    assert staged._markers() == searched._markers()
    assert staged.region() == searched.region()


def test_a_marker_the_stage_does_not_scan_falls_back_to_the_text_search():
    lone = FirstStage([])  # holds no marker probe
    text = "A line of text\nRelated articles:\nMore\n"
    lay = layout(text, dict(LAYOUT_DEFAULTS), MARKERS, lone)
    assert lay._staged_lines(0) is None
    assert lay._markers() == layout(text, dict(LAYOUT_DEFAULTS), MARKERS)._markers()


def test_probes_asking_the_same_are_compiled_once_and_answer_every_key():
    stage = FirstStage([Probe("a", r"read\s+more", re.IGNORECASE, LINE),
                        Probe("b", r"read\s+more", re.IGNORECASE, LINE),
                        Probe("c", r"home", 0, LINE)])
    assert len(stage.probes) == 2
    found = stage.candidates("Home\nRead more\nhome\n")
    assert found.lines("a") == found.lines("b") == [1]
    assert found.lines("c") == [2]
    assert stage.scanned == {"a", "b", "c"}


# ---- comment furniture: fewer than two candidate lines, no thread ------------------------------

MENU = ["Home", "World", "Business", "Sport", "Culture", "Opinion"]
BODY = [
    "The city council approved the budget on Tuesday after eleven hours of debate, members said.",
    "The opposition had asked for more money for schools and for the repair of the old bridge.",
    "The mayor said the compromise was the best the city could afford in a difficult year.",
    "The budget now goes to the regional authority, which has a month to raise objections.",
]
THREAD = ["Comments", "mike77", "2 days ago at 07:52 am", "Great piece, thanks.", "Reply\n| Share",
          "jen_k", "2 days ago at 08:10 am", "I disagree with most of it.", "Report abuse", "Reply"]


def _page(*blocks: list[str]) -> str:
    return "\n".join(line for block in blocks for line in block) + "\n"


def test_a_page_without_furniture_is_not_searched_for_a_thread(monkeypatch):
    scanner = Scanner(RULESET, select=["BP035"])
    calls = []
    original = structure._whole_lines
    monkeypatch.setattr(structure, "_whole_lines", lambda *a: calls.append(a) or original(*a))
    assert scanner.scan_document(Document("d.txt", _page(MENU, BODY, ["Reply"], BODY), "d.txt")) == []
    assert calls == []  # one candidate line: the stage said no thread
    found = scanner.scan_document(Document("t.txt", _page(MENU, BODY, THREAD), "t.txt"))
    assert calls and [f.code for f in found] == ["BP035"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(THREAD + BODY + MENU + ["Reply", "Report", "Rating: 5 Votes", "", "Reply\n"]),
                max_size=25))
def test_comment_threads_are_the_same_with_and_without_the_stage(lines):
    text = _page(MENU, BODY, lines)
    scanner = Scanner(RULESET, select=["BP035"])
    (structural,) = [p for p in scanner.passes if isinstance(p, structure.StructurePass)]
    with_stage = list(structural.scan(Document("d.txt", text, "d.txt")))
    structure._LAST[0] = None
    structural.stage = FirstStage([])  # no candidates: the Python search decides alone
    assert list(structural.scan(Document("d.txt", text, "d.txt"))) == with_stage


# ---- numpy shortcuts --------------------------------------------------------------------------

@settings(max_examples=300)
@given(st.text(st.sampled_from("abcdWXYZ ÉéßǅΣσ1_\n-’😀𝐀"), max_size=60))
def test_caps_words_are_the_regex_words(text):
    f = Features(text)
    words, caps = f.caps_words()
    lines = [text[s:e] for s, e in zip(f.starts, f.ends, strict=True)]
    assert words.tolist() == [len(_CAPS_WORD.findall(line)) for line in lines]
    assert caps.tolist() == [sum(w[0].isupper() for w in _CAPS_WORD.findall(line)) for line in lines]


def _most_trusted_by_dict(columns):
    """The line-by-line code _most_trusted_per_line replaced (one column is taken as it is)."""
    if len(columns) == 1:
        return findings_of(*columns[0])
    best = {}
    for k, (shared, begin, _, _, _, confidences) in enumerate(columns):
        for row, (start, confidence) in enumerate(zip(begin, confidences, strict=True)):
            rank = (-shared[4], -confidence, shared[1])
            if start not in best or rank < best[start][0]:
                best[start] = (rank, k, row)
    rows = [[] for _ in columns]
    for _, k, row in best.values():
        rows[k].append(row)
    found = []
    for (shared, *cols), picked in zip(columns, rows, strict=True):
        if picked:
            found += findings_of(shared, *(map(col.__getitem__, picked) for col in cols))
    return found


@settings(max_examples=300)
@given(st.integers(0, 2**32))
def test_most_trusted_per_line_is_the_line_by_line_choice(seed):
    rng = random.Random(seed)
    columns = []
    for _ in range(rng.randint(1, 5)):
        shared = ("d.txt", rng.choice(["BP017", "BP018", "BP020"]), "name", "",
                  rng.choice(list(Applicability)), "delete line")
        begin = [rng.randrange(12) * 10 for _ in range(rng.randint(0, 8))]
        confidences = [rng.choice([0.5, 0.8, 0.8, 1.0]) for _ in begin]
        columns.append((shared, begin, [b + 5 for b in begin], [str(b) for b in begin],
                        [f"m{b}" for b in begin], confidences))
    assert _most_trusted_per_line(columns) == _most_trusted_by_dict(columns)
