"""The unicode pass: one finding per ftfy repair with its exact span, and a fast path that changes nothing."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import ftfy
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cleaner.apply import splice
from cleaner.model import Applicability, Document
from cleaner.passes.unicode import ENTITY, SAFE_CHARS, UnicodePass, needs_ftfy
from cleaner.scan import Scanner

DATA = Path(__file__).resolve().parent.parent / "data" / "unicode"
REPAIRS = json.loads((DATA / "repairs.json").read_text(encoding="utf-8"))
NEGATIVES = json.loads((DATA / "negatives.json").read_text(encoding="utf-8"))
KNOWN_FAILURES = json.loads((DATA / "known_failures.json").read_text(encoding="utf-8"))

# the characters the fast path lets through without ftfy, as a list
SAFE_NON_ASCII = [chr(c) for c in range(0x80, 0x3000) if not needs_ftfy(chr(c))]
SAFE_ASCII = [c for c in map(chr, range(0x80)) if not needs_ftfy(c)]


def unicode_pass(scanner: Scanner) -> UnicodePass:
    (found,) = [p for p in scanner.passes if isinstance(p, UnicodePass)]
    return found


@pytest.fixture(scope="module")
def un(ruleset) -> Scanner:
    return Scanner(ruleset, select=["UN"])


@pytest.fixture(scope="module")
def un_all(ruleset) -> Scanner:
    """Every UN rule, including those off by default (quotes, width, ligatures, line breaks)."""
    return Scanner(ruleset, select=[r.code for r in ruleset.rules if r.prefix == "UN"])


def fix_text(scanner: Scanner, text: str) -> str:
    """What ftfy.fix_text gives with the pass's own configuration."""
    return ftfy.fix_text(text, unicode_pass(scanner).config._replace(explain=False))


def apply_all(scanner: Scanner, text: str) -> str:
    findings = scanner.scan_document(Document("doc", text, "doc"))
    assert all(text[f.start : f.end] == f.original for f in findings)
    spliced = splice(text, findings)
    assert not spliced.skipped, "repairs of one text never overlap"
    return spliced.text


@pytest.mark.parametrize("case", REPAIRS, ids=[c["text"][:24] for c in REPAIRS])
def test_each_repair_is_its_own_finding(case, un, spans):
    findings = un.scan_document(Document("doc", case["text"], "doc"))
    assert spans(findings) == case["findings"]
    assert all(f.applicability is Applicability.SAFE for f in findings)
    assert apply_all(un, case["text"]) == fix_text(un, case["text"])


@pytest.mark.parametrize("text", NEGATIVES)
def test_text_that_looks_odd_stays(text, un):
    assert un.scan_document(Document("doc", text, "doc")) == []


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=c["why"])) for c in KNOWN_FAILURES],
    ids=[c["text"] for c in KNOWN_FAILURES],
)
def test_known_failures(case, un):
    assert apply_all(un, case["text"]) == case["fixed"]


def test_surrogate_pair_is_joined(un, spans):
    text = "smile \ud83d\ude00 ok"
    assert spans(un.scan_document(Document("doc", text, "doc"))) == [["UN007", 6, 8, "\ud83d\ude00", "😀"]]


def test_invalid_utf8_is_one_display_finding_at_the_start(un, spans):
    findings = un.scan_document(Document("doc", "caf\xe9", "doc", encoding="cp1252"))
    assert spans(findings) == [["UN001", 0, 0, "", ""]]
    assert findings[0].applicability is Applicability.DISPLAY
    assert "cp1252" in findings[0].message


def test_off_by_default_fixers_are_off(un, un_all):
    text = "“Quoted” ＬＯＵＤ ﬁnance"
    assert un.scan_document(Document("doc", text, "doc")) == []
    codes = {f.code for f in un_all.scan_document(Document("doc", text, "doc"))}
    assert codes == {"UN010", "UN011", "UN012"}


def test_html_is_left_alone_after_the_first_line_with_a_tag(un):
    text = "&amp; one\n<p>two</p>\n&amp; three\n"
    assert apply_all(un, text) == "& one\n<p>two</p>\n&amp; three\n" == fix_text(un, text)


def test_mojibake_cases_equal_ftfy_on_the_whole_text(un):
    text = "\n".join(c["text"] for c in REPAIRS + KNOWN_FAILURES) + "\n" + "\n".join(NEGATIVES)
    assert apply_all(un, text) == fix_text(un, text)


# ---------------------------------------------------------------- the fast path


def test_fast_path_characters_are_the_documented_ones():
    assert "".join(SAFE_ASCII) == "\t\n" + "".join(map(chr, range(0x20, 0x7F)))
    assert "".join(SAFE_NON_ASCII) == "".join(map(chr, range(0x2010, 0x2020))) + "…"
    assert SAFE_CHARS  # the pattern the list above was read from


def test_an_ampersand_needs_ftfy_only_when_it_starts_an_entity():
    assert not needs_ftfy("AT&T, R&D, Tom & Jerry &c")
    assert (
        needs_ftfy("Tom &amp; Jerry") and needs_ftfy("&#39;") and needs_ftfy("&#x27;") and needs_ftfy("&AMP;")
    )


@pytest.mark.parametrize(
    "needs", ["&amp;", "\x07", "\r", "é", "Ã", "\x92", "†", "‡", "•", "\u2028", "\ufeff"]
)
def test_fast_path_sends_suspect_text_to_ftfy(needs):
    assert needs_ftfy(f"plain {needs} text")


def test_macroman_mojibake_of_safe_looking_punctuation_goes_to_ftfy(un):
    # "‡††" is MacRoman for the bytes of U+0820; ftfy decodes it, so the fast path must not skip it
    assert ftfy.fix_text("‡††") != "‡††"
    assert needs_ftfy("‡††")
    assert apply_all(un, "x ‡†† y") == fix_text(un, "x ‡†† y")


def test_ftfy_leaves_every_triple_of_fast_path_characters_alone(un):
    chars = SAFE_NON_ASCII + [" ", "a"]
    texts = ["".join(t) for t in itertools.product(chars, repeat=3)]
    joined = "\n".join(texts)
    assert not needs_ftfy(joined)
    assert fix_text(un, joined) == joined
    assert [t for t in texts if fix_text(un, t) != t] == []


SAFE_TEXT = st.text(alphabet=st.sampled_from(SAFE_ASCII + SAFE_NON_ASCII + [" "] * 8), max_size=60)


@settings(max_examples=400, deadline=None)
@given(SAFE_TEXT)
def test_text_the_fast_path_skips_is_text_ftfy_leaves_alone(un, un_all, text):
    # '&' on its own is safe, but "&0;" is entity-shaped and is (rightly) sent to ftfy
    assume(not ENTITY.search(text))
    assert not needs_ftfy(text)
    assert fix_text(un, text) == text
    assert apply_all(un, text) == text


FRAGMENTS = [
    "â€™",
    "â€œ",
    "â€\x9d",
    "â€",
    "Ã©",
    "Ã",
    "Ã ",
    "Â ",
    "Â",
    "â‚¬",
    "Ã¢â‚¬â„¢",
    "ï»¿",
    "&amp;",
    "&lt;",
    "&#39;",
    "&eacute;",
    "&",
    "<",
    ">",
    "\x07",
    "\x92",
    "\x9d",
    "\x1b[31m",
    "\r\n",
    "\r",
    "\n",
    "\t",
    "\ufeff",
    "e\u0301",
    "’",
    "‘",
    "“",
    "”",
    "—",
    "–",
    "…",
    "†",
    "‡",
    "•",
    "‚",
    "„",
    "é",
    "ü",
    "ñ",
    "Київ",
    "\xa0",
    " ",
    "Kyiv ",
    "the ",
    ". ",
    ", ",
]
MIXED_TEXT = st.lists(
    st.one_of(
        st.sampled_from(FRAGMENTS),
        st.text(alphabet=st.characters(codec="utf-8", max_codepoint=0x2200), max_size=4),
    ),
    max_size=30,
).map("".join)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MIXED_TEXT)
def test_applying_every_repair_equals_ftfy(un, text):
    assert apply_all(un, text) == fix_text(un, text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MIXED_TEXT)
def test_applying_every_repair_equals_ftfy_with_every_fixer_on(un_all, text):
    assert apply_all(un_all, text) == fix_text(un_all, text)
