"""The fast ways of making findings (model.py) and of placing them (scan.locate, text.positions)
give exactly what the slow ones gave: the dataclass constructor, and locate as it was written
before (kept here as the reference)."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.model import Applicability, Document, Finding, findings_of, placed
from cleaner.scan import locate
from cleaner.text import LineIndex, line_starts, positions

FIELDS = [f.name for f in dataclasses.fields(Finding)]


def slow_finding(*values) -> Finding:
    """A Finding built the way a frozen dataclass's own __init__ builds it."""
    f = object.__new__(Finding)
    for name, value in zip(FIELDS, values, strict=True):
        object.__setattr__(f, name, value)
    return f


def reference_locate(doc: Document, findings: list[Finding]) -> list[Finding]:
    """scan.locate before it was made fast."""
    if not findings:
        return findings
    best: dict[tuple[int, int, str], Finding] = {}
    for f in findings:
        key = (f.start, f.end, f.replacement)
        kept = best.get(key)
        if kept is None or (-f.applicability, -f.confidence, f.code) < (
            -kept.applicability, -kept.confidence, kept.code
        ):
            best[key] = f
    position = LineIndex(doc.text).position
    out = []
    for f in best.values():
        original = f.original
        if original and original[0] in "\r\n":
            lead = len(original) - len(original.lstrip("\r\n"))
            line, col = position(min(f.start + lead, max(f.end - 1, f.start)))
        else:
            line, col = position(f.start)
        out.append(dataclasses.replace(f, line=line, col=col))
    out.sort(key=lambda f: (f.start, f.end, f.code, f.replacement))
    return out


def same(a: list[Finding], b: list[Finding]) -> bool:
    """Equal, field by field, and all real Findings."""
    return all(type(f) is Finding for f in a + b) and [repr(f) for f in a] == [repr(f) for f in b]


texts = st.text(max_size=12)
values = st.tuples(
    texts, texts, texts, st.integers(0, 10**6), st.integers(0, 10**6), texts, texts,
    st.sampled_from(list(Applicability)), texts, texts,
    st.one_of(st.floats(0, 1), st.integers(0, 1)), st.integers(0, 10**4), st.integers(0, 10**4),
)


@given(values)
def test_constructor_builds_what_the_dataclass_built(v):
    f, slow = Finding(*v), slow_finding(*v)
    assert type(f) is Finding and not hasattr(f, "__dict__")
    assert f == slow and hash(f) == hash(slow) and repr(f) == repr(slow)
    assert f.to_json() == slow.to_json() and f.id == slow.id
    assert Finding(**dict(zip(FIELDS, v, strict=True))) == f
    assert pickle.loads(pickle.dumps(f)) == f and copy.copy(f) == f and copy.deepcopy(f) == f
    assert dataclasses.replace(f, line=v[11] + 1) == slow_finding(*v[:11], v[11] + 1, v[12])
    assert dataclasses.astuple(f) == v
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.start = 3  # type: ignore[misc]


def test_constructor_defaults_and_arguments():
    f = Finding("d", "BP001", "n", 1, 2, "x", "", Applicability.SAFE, "m")
    assert (f.fix, f.confidence, f.line, f.col) == ("", 1.0, 0, 0)
    with pytest.raises(TypeError):
        Finding("d", "BP001", "n", 1, 2)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Finding("d", "BP001", "n", 1, 2, "x", "", Applicability.SAFE, "m", nope=1)  # type: ignore[call-arg]


def test_a_subclass_is_built_the_slow_way():
    class Sub(Finding):
        __slots__ = ()

    s = Sub("d", "BP001", "n", 1, 2, "x", "", Applicability.SAFE, "m", "fix", 0.5, 3, 4)
    assert type(s) is Sub and s.col == 4 and copy.copy(s) == s and type(copy.copy(s)) is Sub


@given(values, st.integers(0, 10**4), st.integers(0, 10**4))
def test_placed_and_findings_of(v, line, col):
    f = Finding(*v)
    assert same(placed([f], [line], [col]), [slow_finding(*v[:11], line, col)])
    doc, code, name, start, end, original, replacement, applicability, message, fix, confidence = v[:11]
    built = findings_of((doc, code, name, replacement, applicability, fix), [start], [end], [original],
                        [message], [confidence])
    assert same(built, [slow_finding(*v[:11], 0, 0)])


@st.composite
def documents_with_findings(draw):
    text = draw(st.text(st.sampled_from("ab\r\n é😀"), max_size=40))
    n = len(text)
    found = []
    for _ in range(draw(st.integers(0, 25))):
        start = draw(st.integers(0, n))
        end = draw(st.integers(start, n))
        found.append(
            Finding(
                "doc", draw(st.sampled_from(["BP017", "BP018", "BP024", "UN002"])), "rule", start, end,
                text[start:end], draw(st.sampled_from(["", "x"])), draw(st.sampled_from(list(Applicability))),
                draw(st.sampled_from(["m1", "m2"])), "delete line", draw(st.sampled_from([0.5, 0.7, 1.0, 1])),
            )
        )
    if found and draw(st.booleans()):  # the very same edits again, from other rules or the same
        found += draw(st.lists(st.sampled_from(found), max_size=10))
    return Document("doc", text, "doc.txt"), found


@settings(max_examples=400)
@given(documents_with_findings())
def test_locate_gives_what_it_gave(case):
    doc, found = case
    assert same(locate(doc, list(found)), reference_locate(doc, list(found)))


@given(st.text(st.sampled_from("ab\r\n😀"), max_size=30), st.lists(st.integers(-3, 35), max_size=12))
def test_positions_are_line_index_positions(text, offsets):
    index = LineIndex(text)
    lines, cols = positions(text, offsets)
    assert list(zip(lines, cols, strict=True)) == [index.position(o) for o in offsets]
    assert line_starts(text) == [0] + [k + 1 for k, c in enumerate(text) if c == "\n"]
