"""apply: splice fixes in one pass (overlaps skipped and reported), choose fixes from decisions and flags."""

from __future__ import annotations

import pytest

from cleaner.apply import choose, splice
from cleaner.model import Applicability, Decision, Finding, Verdict, sha256_text

SAFE, UNSAFE, DISPLAY = Applicability.SAFE, Applicability.UNSAFE, Applicability.DISPLAY


def fix(text: str, start: int, end: int, replacement: str, code: str = "TY001", app=SAFE) -> Finding:
    return Finding("doc", code, "rule", start, end, text[start:end], replacement, app, "message")


# ---------------------------------------------------------------- splice


def test_empty_document_with_no_fixes():
    result = splice("", [])
    assert (result.text, result.applied, result.skipped) == ("", [], [])


def test_empty_document_with_an_insertion():
    f = fix("", 0, 0, "x")
    assert splice("", [f]).text == "x"


def test_insertion():
    text = "Kyiv mayor"
    assert splice(text, [fix(text, 4, 4, ",")]).text == "Kyiv, mayor"


def test_replacement():
    text = "costs $ 650 million"
    assert splice(text, [fix(text, 6, 8, "$")]).text == "costs $650 million"


def test_deletion():
    text = "Body.\nSource link\n"
    result = splice(text, [fix(text, 6, 18, "")])
    assert result.text == "Body.\n"
    assert [f.start for f in result.applied] == [6]


def test_two_deletions():
    text = "Search\nTitle\nBody.\nSource link\n"
    result = splice(text, [fix(text, 19, 31, ""), fix(text, 0, 7, "")])
    assert result.text == "Title\nBody.\n"
    assert [f.start for f in result.applied] == [0, 19]


def test_overlapping_fix_later_one_is_skipped_and_reported():
    text = "abcdefgh"
    first, later = fix(text, 1, 5, "X", "BP001"), fix(text, 3, 7, "Y", "TY003")
    result = splice(text, [later, first])
    assert result.text == "aXfgh"
    assert result.applied == [first]
    assert result.skipped == [(later, first)]


def test_a_fix_inside_another_is_skipped():
    text = "abcdefgh"
    outer, inner = fix(text, 0, 8, ""), fix(text, 2, 3, "C")
    result = splice(text, [inner, outer])
    assert result.text == ""
    assert result.skipped == [(inner, outer)]


def test_same_start_the_longer_fix_wins():
    text = "Leave a Reply\nName\n"
    line, block = fix(text, 0, 14, ""), fix(text, 0, len(text), "")
    result = splice(text, [line, block])
    assert result.text == ""
    assert result.applied == [block] and result.skipped == [(line, block)]


def test_adjacent_fixes_both_apply():
    text = "abcdef"
    result = splice(text, [fix(text, 2, 4, "X"), fix(text, 0, 2, "Y"), fix(text, 4, 6, "")])
    assert result.text == "YX"
    assert len(result.applied) == 3 and result.skipped == []


def test_insertion_at_the_end_of_a_replacement_is_not_an_overlap():
    text = "abc"
    result = splice(text, [fix(text, 0, 2, "X"), fix(text, 2, 2, "+")])
    assert result.text == "X+c" and result.skipped == []


def test_two_insertions_at_one_offset_overlap():
    text = "abc"
    a, b = fix(text, 1, 1, "1", "TY001"), fix(text, 1, 1, "2", "TY002")
    result = splice(text, [b, a])
    assert result.text == "a1bc"
    assert result.skipped == [(b, a)]


def test_a_fix_that_does_not_match_the_text_is_refused():
    f = Finding("doc", "TY001", "rule", 0, 3, "xyz", "", SAFE, "m")
    with pytest.raises(ValueError, match="does not match"):
        splice("abc", [f])


def test_fixes_are_applied_in_offset_order_whatever_the_input_order():
    text = "a b c d"
    fixes = [fix(text, k, k + 1, text[k].upper()) for k in (6, 0, 4, 2)]
    assert splice(text, fixes).text == "A B C D"


# ---------------------------------------------------------------- choose

TEXT = "The $ 5 price , said the the man. for talks"
SHA = sha256_text(TEXT)
SAFE_FIX = fix(TEXT, 4, 6, "$", "TY001", SAFE)
UNSAFE_FIX = fix(TEXT, 25, 29, "", "TY006", UNSAFE)
DISPLAY_FIX = fix(TEXT, 34, 35, "F", "TY007", DISPLAY)
ALL = [SAFE_FIX, UNSAFE_FIX, DISPLAY_FIX]


def decide(
    f: Finding, verdict: Verdict, sha: str = SHA, replacement: str | None = None
) -> dict[str, Decision]:
    return {f.id: Decision(f.id, f.doc, sha, verdict, replacement)}


def test_without_flags_nothing_undecided_is_applied():
    choice = choose(ALL, {}, SHA, auto=False, unsafe=False)
    assert choice.fixes == [] and choice.pending == 3


def test_auto_applies_safe_fixes_only():
    choice = choose(ALL, {}, SHA, auto=True, unsafe=False)
    assert choice.fixes == [SAFE_FIX] and choice.pending == 2


def test_unsafe_adds_the_unsafe_fixes_but_never_display():
    choice = choose(ALL, {}, SHA, auto=True, unsafe=True)
    assert choice.fixes == [SAFE_FIX, UNSAFE_FIX] and choice.pending == 1
    only_unsafe = choose(ALL, {}, SHA, auto=False, unsafe=True)
    assert only_unsafe.fixes == [UNSAFE_FIX]


def test_accepted_findings_are_applied_whatever_their_applicability():
    decisions = decide(UNSAFE_FIX, Verdict.ACCEPTED) | decide(DISPLAY_FIX, Verdict.ACCEPTED)
    choice = choose(ALL, decisions, SHA, auto=False, unsafe=False)
    assert choice.fixes == [UNSAFE_FIX, DISPLAY_FIX] and choice.pending == 1


def test_an_edited_replacement_is_used():
    choice = choose(ALL, decide(DISPLAY_FIX, Verdict.ACCEPTED, replacement=""), SHA, auto=False, unsafe=False)
    (chosen,) = choice.fixes
    assert (chosen.start, chosen.end, chosen.replacement) == (34, 35, "")
    assert splice(TEXT, choice.fixes).text.endswith("man. or talks")


def test_rejected_safe_finding_is_not_applied_by_auto():
    choice = choose(ALL, decide(SAFE_FIX, Verdict.REJECTED), SHA, auto=True, unsafe=True)
    assert choice.fixes == [UNSAFE_FIX] and choice.rejected == 1


def test_stale_decision_is_ignored_and_the_finding_not_applied_automatically():
    stale_ids: set[str] = set()
    decisions = decide(SAFE_FIX, Verdict.REJECTED, sha="0" * 64) | decide(
        UNSAFE_FIX, Verdict.ACCEPTED, sha="1" * 64
    )
    choice = choose(ALL, decisions, SHA, auto=True, unsafe=False, stale_ids=stale_ids)
    assert choice.fixes == [] and choice.stale == 2
    assert stale_ids == {SAFE_FIX.id, UNSAFE_FIX.id}


def test_decisions_about_other_findings_do_not_matter():
    other = fix("x" * 50, 0, 1, "y")
    choice = choose(ALL, decide(other, Verdict.REJECTED), SHA, auto=True, unsafe=False)
    assert choice.fixes == [SAFE_FIX] and choice.rejected == 0


def test_finding_ids_are_stable_and_depend_on_the_edit():
    again = fix(TEXT, 4, 6, "$", "TY001", SAFE)
    assert again.id == SAFE_FIX.id
    assert fix(TEXT, 4, 6, "", "TY001", SAFE).id != SAFE_FIX.id
    assert fix(TEXT, 4, 7, "$5", "TY001", SAFE).id != SAFE_FIX.id


# ---------------------------------------------------------------- splice, any fixes

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def text_and_fixes(draw):
    text = draw(st.text(alphabet="ab \n", max_size=20))
    spans = draw(
        st.lists(
            st.tuples(st.integers(0, len(text)), st.integers(0, len(text)), st.sampled_from(["", "X", "YY"])),
            max_size=6,
        )
    )
    fixes = [fix(text, min(a, b), max(a, b), r, f"TY00{k}") for k, (a, b, r) in enumerate(spans)]
    return text, fixes


def overlaps(a: Finding, b: Finding) -> bool:
    if a.start == a.end == b.start == b.end:
        return True  # two insertions at one offset
    return a.start < b.end and b.start < a.end


@given(text_and_fixes())
def test_splice_applies_a_non_overlapping_subset_and_reports_the_rest(case):
    text, fixes = case
    result = splice(text, fixes)
    assert sorted(map(id, result.applied + [s for s, _ in result.skipped])) == sorted(map(id, fixes))
    for k, a in enumerate(result.applied):
        for b in result.applied[k + 1 :]:
            assert not overlaps(a, b) and a.start <= b.start
    for _, kept in result.skipped:
        assert kept in result.applied
    expected, pos = [], 0
    for f in result.applied:
        expected += [text[pos : f.start], f.replacement]
        pos = f.end
    assert result.text == "".join(expected) + text[pos:]
    if not any(overlaps(a, b) for k, a in enumerate(fixes) for b in fixes[k + 1 :]):
        assert result.skipped == []


def test_insertion_at_the_start_of_a_deletion_is_not_an_overlap():
    text = "ab"
    insertion, deletion = fix(text, 0, 0, "X"), fix(text, 0, 1, "")
    result = splice(text, [deletion, insertion])
    assert result.text == "Xb" and result.applied == [insertion, deletion] and result.skipped == []
