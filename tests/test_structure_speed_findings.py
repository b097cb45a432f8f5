"""The fast ways of making findings (model.py) and of finishing them (scan.py: most_trusted, blocks,
placed; text.positions) give exactly what the slow ones gave: the dataclass constructor, and the
finishing as it was written before, a copy of every finding at each step (kept here as the reference)."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.model import Applicability, Document, Finding, findings_of
from cleaner.scan import blocks, calibrated, most_trusted, placed
from cleaner.text import LineIndex, line_starts, positions

FIELDS = [f.name for f in dataclasses.fields(Finding)]


def slow_finding(*values) -> Finding:
    """A Finding built the way a frozen dataclass's own __init__ builds it."""
    f = object.__new__(Finding)
    for name, value in zip(FIELDS, values, strict=True):
        object.__setattr__(f, name, value)
    return f


def reference_locate(doc: Document, findings: list[Finding]) -> list[Finding]:
    """One finding per edit, at its line and column, sorted (scan.locate before it was made fast)."""
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


def reference_calibrated(findings: list[Finding], table: dict) -> list[Finding]:
    """Copies of the findings with their calibrated confidence (scan.calibrated as it was)."""
    out = []
    for f in findings:
        bands = table.get((f.code, str(f.applicability)))
        if bands is not None:
            value = next((p for low, p in reversed(bands) if f.confidence >= low - 1e-9), None)
            if value is not None and value != f.confidence:
                f = dataclasses.replace(f, confidence=value)
        out.append(f)
    return out


def reference_blocks(findings: list[Finding], codes: frozenset[str]) -> list[Finding]:
    """The located findings with the line deletions right after each other merged (scan.blocks as it was)."""
    out: list[Finding] = []
    run: list[Finding] = []

    def flush() -> None:
        if len(run) == 1:
            out.append(run[0])
        elif run:
            first, last = run[0], run[-1]
            out.append(dataclasses.replace(
                first, end=last.end, original="".join(f.original for f in run),
                message=f"{first.message}, a block of {len(run)} lines", confidence=min(f.confidence for f in run),
            ))
        run.clear()

    others = {f.start for f in findings if f.code not in codes or f.replacement != ""}
    for f in findings:
        if f.code in codes and f.replacement == "" and f.start < f.end:
            if run and (f.start != run[-1].end or f.code != run[-1].code
                        or f.applicability != run[-1].applicability or f.start in others):
                flush()
            run.append(f)
        else:
            flush()
            out.append(f)
    flush()
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


@given(values)
def test_findings_of(v):
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
def test_most_trusted_and_placed_give_what_locate_gave(case):
    doc, found = case
    runs = [[kept] for kept in most_trusted(found, [f.confidence for f in found])]
    assert same(placed(doc, runs), reference_locate(doc, list(found)))


@st.composite
def pages_with_line_deletions(draw):
    """Lines, most of them deleted one by one (a menu, a footer): runs of them become blocks."""
    lines = draw(st.lists(st.text(st.sampled_from("ab é\r"), max_size=5), min_size=1, max_size=12))
    text = "\n".join(lines) + draw(st.sampled_from(["", "\n"]))
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    found = []
    for k in range(len(lines)):
        start, end = starts[k], min(starts[k + 1], len(text))
        if start < end and draw(st.integers(0, 3)):
            found.append(Finding(
                "doc", draw(st.sampled_from(["BP017", "BP024", "BP018"])), "rule", start, end, text[start:end],
                "", draw(st.sampled_from([Applicability.UNSAFE, Applicability.SAFE])),
                draw(st.sampled_from(["m1", "m2"])), "delete line", draw(st.sampled_from([0.5, 0.7, 0.9, 1.0])),
            ))
    if found and draw(st.booleans()):  # another edit inside the lines: a block ends where it starts
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, len(text)))
        found.append(Finding("doc", "UN002", "rule", start, end, text[start:end], draw(st.sampled_from(["", "x"])),
                             Applicability.SAFE, "m", "fix", 1.0))
    return Document("doc", text, "doc.txt"), draw(st.permutations(found))


TABLE = {("BP017", "unsafe"): [(0.6, 0.9), (0.8, 0.95)], ("BP024", "safe"): [(0.0, 0.7)], ("UN002", "display"): [(2, 1)]}


@settings(max_examples=400)
@given(
    st.one_of(documents_with_findings(), pages_with_line_deletions()),
    st.sampled_from([frozenset(), frozenset({"BP017", "BP024"}), frozenset({"BP018"})]),
)
def test_finishing_gives_what_copies_at_each_step_gave(case, codes):
    """Calibrated, one per edit, blocks, placed: each output finding built once, from its first."""
    doc, found = case
    kept = most_trusted(found, calibrated(found, TABLE))
    expected = reference_blocks(reference_locate(doc, reference_calibrated(found, TABLE)), codes)
    assert same(placed(doc, blocks(kept, codes)), expected)


@given(st.text(st.sampled_from("ab\r\n😀"), max_size=30), st.lists(st.integers(-3, 35), max_size=12))
def test_positions_are_line_index_positions(text, offsets):
    index = LineIndex(text)
    lines, cols = positions(text, offsets)
    assert list(zip(lines, cols, strict=True)) == [index.position(o) for o in offsets]
    assert line_starts(text) == [0] + [k + 1 for k, c in enumerate(text) if c == "\n"]
