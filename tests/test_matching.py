"""The first stage (cleaner/matching.py): its candidates hold every line Python's `re` matches, for
the rule packs' own patterns; slow paths are named; no pattern can make a scan hang."""

from __future__ import annotations

import pickle
import re
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaner.lint import slow_paths
from cleaner.matching import IN_LINE, IN_TEXT, LINE, FirstStage, Probe, Untranslatable, translate
from cleaner.model import Document
from cleaner.passes import build_passes
from cleaner.passes.lines import LinePass
from cleaner.rules import RuleError, load_rules

RULES = load_rules(Path(__file__).resolve().parent.parent / "rules")
LINE_RULES = [r for r in RULES.rules if r.kind in ("line-pattern", "block-from-marker")]
PROBES = [Probe(r.code, r.regex().pattern, r.regex().flags, LINE, code=r.code) for r in LINE_RULES]
STAGE = FirstStage(PROBES)
# characters that tell engines apart: cases re.IGNORECASE joins (K Kelvin, ſ, İ, ı), white space only
# Python calls white space (\x1c-\x1f, U+0085, U+2028), line separators, letters past ASCII
TRICKY = ("Kk\u212aSs\u017fIi\u0130\u0131 \t\x0b\x0c\r\x1c\x1f\x85\xa0\u2028\u3000"
          "’'-|»/:©×–.,!?0123456789éÉßЖж中")
WORDS = sorted({w for r in LINE_RULES for e in r.examples_bad + r.examples_good
                for w in re.split(r"(\s+)", e)})


def reference(text: str, probe: Probe) -> list[int]:
    """The lines whose stripped text the probe's Python regex fullmatches."""
    regex = re.compile(probe.pattern, probe.flags)
    return [i for i, line in enumerate(text.split("\n")) if regex.fullmatch(line.strip())]


def missed(text: str) -> list[tuple[str, int]]:
    found = STAGE.candidates(text)
    assert found is not None
    return [(p.code, i) for p in PROBES if p.key in STAGE.scanned
            for i in reference(text, p) if i not in found.lines(p.key)]


def test_every_line_pattern_of_the_packs_is_compiled():
    assert STAGE.scanned, "no line pattern reached the compiled engine"
    assert all(p.key in STAGE.scanned for p in PROBES), STAGE.slow


def test_the_examples_bad_lines_are_candidates_of_their_rule():
    for rule in LINE_RULES:
        for example in rule.examples_bad:
            found = STAGE.candidates(example)
            matching = reference(example, next(p for p in PROBES if p.code == rule.code))
            assert set(matching) <= set(found.lines(rule.code)), (rule.code, example)


@pytest.mark.parametrize("rule", LINE_RULES, ids=lambda r: r.code)
def test_the_examples_with_tricky_characters_stay_candidates(rule):
    """Each bad example with its letters in another case (and i as İ/ı, k as K, s as ſ) and its
    spaces as other white space: wherever Python still matches, the stage must report the line."""
    swaps = [str.swapcase, lambda t: t.replace("k", "\u212a").replace("s", "\u017f"),
             lambda t: t.replace("i", "\u0131").replace("I", "\u0130"),
             lambda t: t.replace(" ", "\x1c"), lambda t: t.replace(" ", "\u3000"),
             lambda t: "\x85 " + t + " \u2028"]
    for example in rule.examples_bad:
        for swap in swaps:
            assert missed(swap(example)) == [], (rule.code, swap(example))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(WORDS), st.text(alphabet=TRICKY, max_size=6)), max_size=40))
def test_candidates_hold_every_line_re_matches(parts):
    text = "".join(parts)
    assert missed(text) == []


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab&#;x\u00e9\u2019\u0007\n ", max_size=60))
def test_in_line_and_in_text_probes_hold_every_match(text):
    probes = [Probe("entity", r"&#?[0-9A-Za-z]{1,24};", 0, IN_LINE), Probe("e", "\u00e9|\u0007", 0, IN_TEXT),
              Probe("lit", "a&", 0, IN_TEXT, literal=True)]
    stage = FirstStage(probes)
    found = stage.candidates(text)
    for i, line in enumerate(text.split("\n")):
        if re.search(probes[0].pattern, line):
            assert i in found.lines("entity")
    assert found.has("e") == bool(re.search(probes[1].pattern, text))
    assert found.has("lit") == ("a&" in text)


def test_the_line_pass_finds_what_re_finds_line_by_line():
    """Confirmed candidates are the reference: the pass with the stage equals the pass reading a text
    the stage cannot scan (a lone surrogate makes it read every line in Python)."""
    line_pass = next(p for p in build_passes(RULES, RULES.active()) if isinstance(p, LinePass))
    text = "\n\n".join(e for r in LINE_RULES for e in r.examples_bad + r.examples_good)
    with_stage = [(f.code, f.start, f.end) for f in line_pass.scan(Document("d", text, "d"))]
    plain = [(f.code, f.start, f.end - 1 if f.end == len(text) + 1 else f.end)
             for f in line_pass.scan(Document("d", text + "\ud800", "d"))]
    assert with_stage and line_pass.stage.candidates(text + "\ud800") is None
    assert sorted(with_stage) == sorted(plain)


def test_translation_reads_pythons_classes_not_the_engines():
    assert "\\x1c" in translate(r"\s").expression  # str.isspace: \x1c-\x1f are white space to re
    with pytest.raises(Untranslatable, match="conditional"):
        translate(r"(a)?(?(1)b|c)")
    assert "lookaround dropped" in translate(r"(?<=x)y").relaxed


def test_a_catastrophic_pattern_cannot_hang_a_scan():
    """(a+)+$ is refused when a pack is loaded; the compiled engine runs it in linear time anyway."""
    stage = FirstStage([Probe("bad", r"(a+)+$", 0, IN_LINE), Probe("bad2", r"(\w+\s?)+$", 0, LINE)])
    text = "a" * 50_000 + "!"
    start = time.perf_counter()
    found = stage.candidates(text)
    assert time.perf_counter() - start < 2
    assert not found.has("bad2")


def test_a_catastrophic_pattern_is_refused_at_load(tmp_path):
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "p.yaml").write_text(textwrap.dedent("""\
        rules:
          - code: BP901
            name: hang
            kind: line-pattern
            pattern: '(a+)+$'
            message: m
            applicability: safe
        """), encoding="utf-8")
    with pytest.raises(RuleError, match="exponential"):
        load_rules(folder)


def test_rules_check_names_the_slow_path(tmp_path):
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "p.yaml").write_text(textwrap.dedent("""\
        rules:
          - code: BP901
            name: conditional
            kind: line-pattern
            pattern: '(<)?\\w+(?(1)>)'
            message: m
            applicability: safe
            examples: {bad: ["<tag>"], good: ["<tag"]}
          - code: BP902
            name: plain
            kind: line-pattern
            pattern: 'source link'
            message: m
            applicability: safe
            examples: {bad: ["Source link"]}
        """), encoding="utf-8")
    ruleset = load_rules(folder)
    notes = slow_paths(ruleset)
    assert len(notes) == 1 and "rule BP901: slow path: a conditional group" in notes[0]
    line_pass = build_passes(ruleset, ruleset.rules)[0]
    found = [f.code for f in line_pass.scan(Document("d", "x\n<tag>\n\nSource link\n", "d"))]
    assert found == ["BP901", "BP901", "BP902"]  # "x" and "<tag>": the slow rule still runs, in Python re


def test_the_stage_travels_to_worker_processes():
    again = pickle.loads(pickle.dumps(STAGE))
    text = "Home > News > World\n7 hours ago\n"
    assert again.candidates(text)._by_key == STAGE.candidates(text)._by_key


@pytest.mark.parametrize("pattern, line", [
    ("schließen", "SCHLIEẞEN"),  # ß: its upper case is two characters, its capital one
    ("r[àâçéèêëîïôûù]agir", "RÉAGIR"),  # a class of more than four ranges, all in Latin-1
    ("ﬁn du direct", "ﬁn du direct"),  # a ligature whose case forms are two characters
])
def test_patterns_with_unusual_case_forms_are_candidates_not_crashes(pattern, line):
    probe = Probe(("user", 0), pattern, re.IGNORECASE | re.MULTILINE, LINE, code="BP901")
    stage = FirstStage([probe])
    text = f"Ein Absatz, der lang genug ist.\n{line}\nNoch ein Satz.\n"
    assert reference(text, probe) == [1]
    found = stage.candidates(text)
    assert probe.key not in stage.scanned or 1 in found.lines(probe.key)


def test_the_cache_folder_keeps_only_the_latest_compiled_stages(tmp_path, monkeypatch):
    import os

    from cleaner import matching

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = tmp_path / "cleaner"
    folder.mkdir()
    for n in range(12):  # stages of older rule sets
        old = folder / f"stage-old{n:02d}.hsdb"
        old.write_bytes(b"x")
        os.utime(old, (1_000_000 + n, 1_000_000 + n))
    FirstStage([Probe(("p", 0), r"fresh\s+line", re.IGNORECASE, LINE, code="BP999")])
    left = sorted(f.name for f in folder.glob("stage-*.hsdb"))
    assert len(left) == matching.KEEP_DATABASES
    assert "stage-old11.hsdb" in left and "stage-old00.hsdb" not in left
    assert any(not name.startswith("stage-old") for name in left)  # the new one


def test_a_stage_in_use_is_kept_when_others_are_written(tmp_path, monkeypatch):
    from cleaner import matching

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    compiled: list[str] = []
    real = matching._compile
    monkeypatch.setattr(matching, "_compile", lambda e, f: compiled.extend(e) or real(e, f))
    probe = Probe(("p", 0), r"kept\s+line", re.IGNORECASE, LINE, code="BP998")
    for n in range(matching.KEEP_DATABASES + 2):
        FirstStage([probe])  # loaded from the cache after the first: used again
        FirstStage([Probe(("p", 0), rf"other{n}\s+line", re.IGNORECASE, LINE, code="BP998")])
    assert sum("kept" in e for e in compiled) == 1  # never let go and compiled again
