"""The unicode pass's shortcuts around ftfy give exactly what the plain path gives.

Each shortcut is compared with what it stands for: the windowed is_bad with ftfy's own, the no-change
check with ftfy.fix_and_explain, and the whole pass with the pass that has its shortcuts turned off.
"""

from __future__ import annotations

import difflib
import html
import itertools
import json
import os
import random
import re
from pathlib import Path

import ftfy
import ftfy.badness
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaner.model import Document
from cleaner.passes import unicode as un_mod
from cleaner.passes.unicode import (
    GuardedFtfy,
    UnicodePass,
    is_bad,
    match_reach,
    required_chars,
    windowed_search,
)
from cleaner.scan import Scanner

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "unicode"
BADNESS_RE = ftfy.badness.BADNESS_RE
# every character the mojibake detector names, and the ASCII it reads around them
MOJIBAKE_CHARS = sorted(set(re.sub(r"\\.|[-\[\]^|(){}?.*+ \n]", "", BADNESS_RE.pattern)))
AROUND = list("aZ .,!?\t\n1")


def sample_texts() -> list[str]:
    """The repository's sample corpus and the unicode test cases, as one list of texts."""
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus").glob("*.txt"))]
    for name in ("repairs.json", "known_failures.json"):
        texts += [c["text"] for c in json.loads((DATA / name).read_text(encoding="utf-8"))]
    texts += json.loads((DATA / "negatives.json").read_text(encoding="utf-8"))
    return texts


def corrupted(text: str, rng: random.Random) -> str:
    """Text with mojibake, entities and controls put into some lines (as bench/scan_speed.py does)."""
    lines = text.split("\n")
    for k, line in enumerate(lines):
        roll = rng.random()
        if roll < 0.2:
            lines[k] = line.encode("utf-8").decode("cp1252", errors="replace")
        elif roll < 0.3:
            lines[k] = line.replace("’", "â€™", 2).replace(" and ", " &amp; ", 1).replace("é", "&eacute;")
        elif roll < 0.4:
            lines[k] = line.replace(" ", " \x07", 2)
    return "\n".join(lines)


def pass_of(scanner: Scanner) -> UnicodePass:
    (found,) = [p for p in scanner.passes if isinstance(p, UnicodePass)]
    return found


@pytest.fixture(scope="module")
def passes(ruleset) -> list[UnicodePass]:
    """The pass with the default UN rules and with every UN rule."""
    every = [r.code for r in ruleset.rules if r.prefix == "UN"]
    return [pass_of(Scanner(ruleset, select=["UN"])), pass_of(Scanner(ruleset, select=every))]


def plain_findings(p: UnicodePass, doc: Document) -> list:
    """The pass's findings with its shortcuts around ftfy turned off (every flagged segment to ftfy)."""
    guarded, p.fix_and_explain = p.fix_and_explain, ftfy.fix_and_explain
    try:
        return list(p.scan(doc))
    finally:
        p.fix_and_explain = guarded


# ---------------------------------------------------------------- is_bad, searched in windows


def test_is_bad_is_windowed_for_this_ftfy():
    assert un_mod.IS_BAD is not None, "the windowed search no longer applies to ftfy's BADNESS_RE"
    reach = match_reach(BADNESS_RE)
    assert max(left + right + 1 for left, right in reach.values()) == 7  # ГўВЂВ.[A-Za-z ]
    assert reach["–"] == (1, 0)  # only as the second of two characters


def test_every_pair_of_mojibake_characters_is_bad_exactly_when_ftfy_says_so():
    chars = MOJIBAKE_CHARS + AROUND
    pairs = ["".join(p) for p in itertools.product(chars, repeat=2)]
    assert [p for p in pairs if is_bad(p) != ftfy.badness.is_bad(p)] == []
    assert [p for p in pairs if is_bad(f"ab {p} cd") != ftfy.badness.is_bad(f"ab {p} cd")] == []


MOJIBAKE_TEXT = st.text(alphabet=st.sampled_from(MOJIBAKE_CHARS + AROUND * 8), max_size=40)


@settings(max_examples=2000, deadline=None)
@given(MOJIBAKE_TEXT)
def test_is_bad_equals_ftfy(text):
    assert is_bad(text) == ftfy.badness.is_bad(text)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=60))
def test_is_bad_equals_ftfy_on_any_text(text):
    assert is_bad(text) == ftfy.badness.is_bad(text)


def test_is_bad_equals_ftfy_on_every_line_of_the_samples():
    rng = random.Random(7)
    lines = [line for t in sample_texts() for line in corrupted(t, rng).split("\n")]
    assert any(ftfy.badness.is_bad(line) for line in lines)
    assert [line for line in lines if is_bad(line) != ftfy.badness.is_bad(line)] == []


def examples_of(branch) -> list[str]:
    """Strings made item by item from one parsed alternative of BADNESS_RE (not all of them match it)."""
    choices = []
    for op, av in branch:
        chars = un_mod._plain_chars(op, av)
        if chars is not None:
            ordered = sorted(chars)
            choices.append(sorted({ordered[0], ordered[-1], ordered[len(ordered) // 2]}))
        elif str(op) == "AT":
            choices.append([""])
        elif str(op) == "MAX_REPEAT":
            choices.append(["", " "])
        else:  # ANY, or a negated or \w class
            choices.append([" ", "x", "é", "1"])
    return ["".join(p) for p in itertools.product(*choices)]


def test_every_alternative_of_badness_is_found_wherever_it_sits():
    # the longest alternatives need the whole window on either side of the character found
    branches = un_mod._branches(BADNESS_RE)[1]
    matching = [e for b in branches for e in examples_of(b) if BADNESS_RE.fullmatch(e)]
    assert len(matching) > len(branches)
    for example in matching:
        for text in (example, f"ab {example}", f"{example} cd", f"ab {example} cd"):
            assert is_bad(text) == ftfy.badness.is_bad(text), text


def test_every_match_holds_a_required_character():
    required = required_chars(BADNESS_RE)
    rng = random.Random(3)
    chars = MOJIBAKE_CHARS + AROUND * 8
    for _ in range(20000):
        text = "".join(rng.choice(chars) for _ in range(12))
        for m in BADNESS_RE.finditer(text):
            assert set(m.group()) & required, m.group()


@pytest.mark.parametrize(
    "pattern, text",
    [
        (r"^[ÃÂ] ", "Ã x"),  # '^' at the real start, where the window starts at 0
        (r"^[ÃÂ] ", "xÃ x"),  # ... and nowhere else, though the window starts after it
        (r"[a-z]\s?Ã ", "xyz Ã q"),
        (r"é[^a-z]", "abcé"),  # a match would run past the text's end: none
        (r"é.é", "é\né é.é"),
        (r"éa|xé|[ab]\s?[éx]{2}q", "a éxq xéa"),  # é starts, ends or sits inside a match
        (r"\Aé ", "é é "),  # like '^', only at the real start
    ],
)
def test_windowed_search_equals_search(pattern, text):
    compiled = re.compile(pattern)
    found = windowed_search(compiled)
    assert found is not None
    for k in range(len(text) + 1):
        for piece in (text[:k], text[k:], "x" * k + text, text + "é" * k):
            assert found(piece) == (compiled.search(piece) is not None), piece


@pytest.mark.parametrize("pattern", [r"é$", r"é\b", r"é(?=x)", r"(?<=x)é", r"é+", r"(?i)é", r"(?m)^é", r"\w"])
def test_windowed_search_refuses_patterns_that_look_beyond_a_window(pattern):
    assert windowed_search(re.compile(pattern)) is None


# ---------------------------------------------------------------- segments ftfy leaves alone


def check_unchanged(p: UnicodePass, text: str) -> None:
    """Where the pass's check says ftfy changes nothing, ftfy changes nothing (HTML on and off)."""
    for config in (p.config, p.config._replace(unescape_html=False)):
        if p.fix_and_explain.unchanged(text, config):
            assert ftfy.fix_and_explain(text, config) == (text, []), (text, config)


def test_the_shortcuts_are_on(passes):
    assert un_mod.SAME_LOOP, "ftfy.fix_and_explain no longer runs the fixers GuardedFtfy knows, in its order"
    assert all(isinstance(p.fix_and_explain, GuardedFtfy) for p in passes)
    assert un_mod.ONE_STEP is not None, "ftfy's fix_encoding_and_explain no longer repeats its one step"


@pytest.mark.parametrize("name", sorted(set(un_mod.FIXER_PATTERNS) | set(un_mod.FIXER_TABLES)))
def test_a_fixer_changes_nothing_without_its_characters(name):
    chars = un_mod.fixer_chars(name)
    assert chars
    fixer = ftfy.FIXERS[name]
    for c in map(chr, range(0x10000)):
        if c not in chars:
            assert fixer(f"ab{c}cd{c}") == f"ab{c}cd{c}", repr(c)


def test_every_bmp_character_in_context(passes):
    for p in passes:
        for c in map(chr, range(0x10000)):
            check_unchanged(p, f"ab{c}cd")


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MOJIBAKE_TEXT)
def test_unchanged_means_ftfy_leaves_it_alone(passes, text):
    for p in passes:
        check_unchanged(p, text)


MIXED = st.lists(
    st.one_of(
        st.sampled_from(["Ã©", "â€™", "&amp;", "&lt;", "<", "\x07", "\x92", "\x1b[31m", "e\u0301", "ﬁ"]),
        st.sampled_from(["Ｌ", "ＬＯ", "&Atilde;", "&copy;", "&eacute;", "&#x92;", "&#128;"]),
        st.sampled_from(["\r\n", "\u2028", "\ud83d", "\ude00", "“", "’", "é", "Київ", " the "]),
        st.text(alphabet=st.characters(codec="utf-8", max_codepoint=0x2200), max_size=4),
    ),
    max_size=20,
).map("".join)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MIXED)
def test_unchanged_means_ftfy_leaves_it_alone_on_mixed_text(passes, text):
    for p in passes:
        check_unchanged(p, text)


def test_clean_text_with_accents_and_cyrillic_skips_ftfy(passes):
    for text in ["Café in Kyiv", "Зеленський заявив, що «це» так.", "naïve façade – “quoted”", "Ünïcödé"]:
        assert passes[0].fix_and_explain.unchanged(text, passes[0].config), text


# ---------------------------------------------------------------- ftfy's loop, each fixer run only if needed


@pytest.fixture(scope="module")
def guarded(passes) -> list[tuple[ftfy.TextFixerConfig, GuardedFtfy]]:
    """The passes' configs, their HTML-off twins and ftfy's defaults (every fixer on), each guarded."""
    found = [p.config for p in passes] + [ftfy.TextFixerConfig()]
    found += [c._replace(unescape_html=False) for c in found] + [found[1]._replace(unescape_html=True)]
    return [(config, GuardedFtfy.or_ftfy(config)) for config in found]


def check_guarded(guarded, text: str) -> None:
    for config, ftfy_guarded in guarded:
        assert isinstance(ftfy_guarded, GuardedFtfy)
        fixed, steps = ftfy_guarded._fix_and_explain(text, config)
        assert (fixed, steps) == ftfy.fix_and_explain(text, config), (text, config)
        assert ftfy_guarded(text, config) == (fixed, steps)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MIXED)
def test_guarded_ftfy_equals_ftfy(guarded, text):
    check_guarded(guarded, text)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MOJIBAKE_TEXT)
def test_guarded_ftfy_equals_ftfy_on_mojibake_characters(guarded, text):
    check_guarded(guarded, text)


def test_guarded_ftfy_equals_ftfy_on_the_samples(guarded):
    rng = random.Random(13)
    lines = [line for t in sample_texts() for line in corrupted(t, rng).split("\n")]
    for line in lines:
        check_guarded(guarded, line)


def test_guarded_ftfy_steps_name_every_fixer(guarded):
    # one case per fixer, and cases where one fixer's output is the next one's input
    for text in [
        "Ã©", "&amp;", "\x92", "ﬁ", "Ｌ", "“q”", "a\r\nb", "\ud83d\ude00", "\x1b[31mred", "a\x07b", "e\u0301",
        "&Atilde;&copy;", "Ã\x07©", "&amp;amp;", "ÃƒÂ©", "&eacute\u0301", "Ã©\x07 <b>&amp;</b>",
        "&Atilde;&copy;\x07", "&Atilde;&copy;\x92 &amp;",  # the order of steps within one round
    ]:
        check_guarded(guarded, text)


# ---------------------------------------------------------------- the pass, with and without shortcuts


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MIXED)
def test_findings_equal_the_plain_path(passes, text):
    doc = Document("doc", text, "doc")
    for p in passes:
        assert list(p.scan(doc)) == plain_findings(p, doc)


def test_findings_equal_the_plain_path_on_the_samples(passes):
    rng = random.Random(11)
    docs = [Document(f"d{k}", corrupted(t, rng), f"d{k}") for k, t in enumerate(sample_texts() * 3)]
    total = 0
    for p in passes:
        for doc in docs:
            found = list(p.scan(doc))
            assert found == plain_findings(p, doc), doc.doc
            total += len(found)
    assert total > 100


# ---------------------------------------------------------------- locating repairs: difflib, found faster


def difflib_blocks(a: str, b: str) -> list:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()


REPEATS = st.text(alphabet="ab é", max_size=40)


@settings(max_examples=1500, deadline=None)
@given(REPEATS, REPEATS)
def test_matcher_finds_difflibs_blocks(a, b):
    assert un_mod._StrMatcher(None, a, b, autojunk=False).get_matching_blocks() == difflib_blocks(a, b)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["the ", "Kyiv ", "Ã©", "é", "â€™", "’", ". ", "a"]), max_size=60), st.data())
def test_matcher_finds_difflibs_blocks_on_long_near_copies(words, data):
    a = "".join(words)
    where = st.integers(0, max(len(words) - 1, 0))
    edits = data.draw(st.lists(st.tuples(where, st.sampled_from(["", "x", "é"]))))
    for k, replacement in edits:
        if k < len(words):
            words[k] = replacement
    b = "".join(words)
    assert un_mod._StrMatcher(None, a, b, autojunk=False).get_matching_blocks() == difflib_blocks(a, b)


def test_matcher_finds_difflibs_blocks_on_the_samples(passes):
    rng = random.Random(5)
    pairs = []
    for text in sample_texts():
        for line in corrupted(text, rng).split("\n"):
            fixed = ftfy.fix_text(line, passes[1].config._replace(explain=False))
            if fixed != line:
                pairs.append((line, fixed))
    assert len(pairs) > 50
    for a, b in pairs:
        assert un_mod._StrMatcher(None, a, b, autojunk=False).get_matching_blocks() == difflib_blocks(a, b)


def test_matcher_finds_difflibs_blocks_around_runs_longer_than_255():
    rng = random.Random(17)
    for _ in range(60):
        a = "".join(rng.choice("ab" * 20 + "é") for _ in range(rng.randrange(200, 900)))
        b = list(a)
        for _ in range(rng.randrange(0, 6)):
            k = rng.randrange(len(b))
            b[k : k + rng.randrange(0, 4)] = rng.choice(["", "x", "xé", "ab"])
        b = "".join(b)
        assert un_mod._StrMatcher(None, a, b, autojunk=False).get_matching_blocks() == difflib_blocks(a, b)


def reference_edits(segment: str, fixed: str) -> list[tuple[int, int, int, int]]:
    """The pass's edits as first written, on difflib's own matcher: what _edits must keep giving."""
    if "&" not in segment:
        head = len(os.path.commonprefix([segment, fixed]))
        tail = len(os.path.commonprefix([segment[head:][::-1], fixed[head:][::-1]]))
        a, b = segment[head : len(segment) - tail], fixed[head : len(fixed) - tail]
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        return [(head + i1, head + i2, head + j1, head + j2)
                for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal"]
    tokens: list[str] = []
    pos = 0
    for m in un_mod.ENTITY.finditer(segment):
        tokens.extend(segment[pos : m.start()])
        tokens.append(m.group())
        pos = m.end()
    tokens.extend(segment[pos:])
    offsets = list(itertools.accumulate(map(len, tokens), initial=0))
    edits = []
    for op, t1, t2, j1, j2 in difflib.SequenceMatcher(None, tokens, fixed, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        parts = [html.unescape(t) if len(t) > 1 else None for t in tokens[t1:t2]]
        if len(parts) > 1 and None not in parts and "".join(parts) == fixed[j1:j2]:
            for k, part in enumerate(parts):
                edits.append((offsets[t1 + k], offsets[t1 + k + 1], j1, j1 + len(part)))
                j1 += len(part)
            continue
        edits.append((offsets[t1], offsets[t2], j1, j2))
    return edits


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MIXED)
def test_edits_equal_the_reference(passes, text):
    for p in passes:
        fixed, _ = ftfy.fix_and_explain(text, p.config)
        assert un_mod._edits(text, fixed) == reference_edits(text, fixed)


def test_edits_equal_the_reference_on_the_samples(passes):
    rng = random.Random(19)
    for text in sample_texts():
        for line in corrupted(text, rng).split("\n"):
            for p in passes:
                fixed, _ = ftfy.fix_and_explain(line, p.config)
                if fixed != line:
                    assert un_mod._edits(line, fixed) == reference_edits(line, fixed), line


def test_findings_equal_the_plain_path_when_lines_are_cut(ruleset):
    # lines longer than ftfy's max_decode_length go segment by segment (_repairs_by_segment)
    p = pass_of(Scanner(ruleset, select=["UN"]))
    p.config = p.config._replace(max_decode_length=40)
    p.html_off = p.config._replace(unescape_html=False)
    p.fix_and_explain = GuardedFtfy.or_ftfy(p.config)
    assert isinstance(p.fix_and_explain, GuardedFtfy)
    rng = random.Random(23)
    bits = ["The governmentâ€™s ", "café ", "&amp; ", "Київ ", "\x07", "ok. ", "Ã©", "\n", "<b>", "x" * 30]
    for _ in range(100):
        text = "".join(rng.choice(bits) for _ in range(rng.randrange(5, 60)))
        doc = Document("doc", text, "doc")
        assert list(p.scan(doc)) == plain_findings(p, doc), text
