"""The substitution pass: regex replacements with templates, transforms and exceptions."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cleaner.apply import splice
from cleaner.model import Applicability

DATA = Path(__file__).resolve().parent.parent / "data"
CASES = yaml.safe_load((DATA / "substitute.yaml").read_text(encoding="utf-8"))
NEGATIVES = yaml.safe_load((DATA / "substitute_negatives.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c["select"] for c in CASES])
def test_findings_and_spans(case, scan, spans):
    findings = scan(case["text"], case["select"])
    assert spans(findings) == case["findings"]


@pytest.mark.parametrize("case", NEGATIVES, ids=[f"{c['select']}-{n}" for n, c in enumerate(NEGATIVES)])
def test_text_that_must_stay(case, scan):
    assert scan(case["text"], case["select"]) == [], case["why"]


@pytest.mark.parametrize(
    "code, applicability",
    [("TY001", "safe"), ("TY002", "safe"), ("TY005", "unsafe"), ("TY006", "unsafe"), ("TY007", "display")],
)
def test_applicability(code, applicability, ruleset):
    assert ruleset.by_code[code].applicability is Applicability.parse(applicability)


def test_typography_fixes_applied_together(scan):
    text = "“He paid $ 650 million , she said. “\nin the the capital"
    fixed = splice(text, [f for f in scan(text, "TY") if f.applicability is Applicability.SAFE]).text
    assert fixed == "“He paid $650 million, she said.”\nin the the capital"


def test_sample_corpus_001_quote_and_lowercase_start(scan):
    text = (Path(__file__).resolve().parents[2] / "corpus" / "001_607f136d281cee2b.txt").read_text(
        encoding="utf-8"
    )
    quotes = scan(text, "TY002")
    assert [(f.original, f.replacement) for f in quotes] == [(". “", ".”")] * 2
    starts = scan(text, "TY007")
    assert any(text[f.start - 14 : f.end] == "headquarters. f" for f in starts)
    assert all(f.applicability is Applicability.DISPLAY for f in starts)


def test_a_match_whose_replacement_changes_nothing_is_no_finding(tmp_path):
    from cleaner.model import Document
    from cleaner.rules import load_rules
    from cleaner.scan import Scanner

    (tmp_path / "p.yaml").write_text(
        "rules:\n  - {code: TY901, name: noop, kind: substitution, pattern: 'a+', replacement: '\\g<0>',"
        " message: m, applicability: safe}\n",
        encoding="utf-8",
    )
    scanner = Scanner(load_rules(tmp_path))
    assert scanner.scan_document(Document("d", "aaa b", "d")) == []


KNOWN_FAILURES = yaml.safe_load((DATA / "substitute_known_failures.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=c["why"])) for c in KNOWN_FAILURES],
    ids=[c["select"] for c in KNOWN_FAILURES],
)
def test_known_false_positives(case, scan):
    assert scan(case["text"], case["select"]) == []
