"""Shared fixtures: the default rule packs, a scanner for a code selection, and the repository paths."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cleaner.model import Document, Finding
from cleaner.rules import RuleSet, load_rules
from cleaner.scan import Scanner

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
CORPUS = ROOT / "corpus"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def ruleset() -> RuleSet:
    return load_rules(RULES)


@pytest.fixture(scope="session")
def scan(ruleset):
    """scan(text, select) -> the findings of one document, for the given codes or prefixes."""
    cache: dict[str, Scanner] = {}

    def run(text: str, select: str, doc: str = "doc.txt", encoding: str = "utf-8") -> list[Finding]:
        if select not in cache:
            cache[select] = Scanner(ruleset, select=select.split(","))
        return cache[select].scan_document(Document(doc, text, doc, "", encoding))

    return run


def spans_of(findings: list[Finding]) -> list[list]:
    """The part of findings tests assert on: [code, start, end, original, replacement]."""
    return [[f.code, f.start, f.end, f.original, f.replacement] for f in findings]


@pytest.fixture(scope="session")
def spans():
    return spans_of


@pytest.fixture
def work(tmp_path, monkeypatch):
    """A folder holding a copy of the sample corpus in corpus/, made the current directory."""
    shutil.copytree(CORPUS, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    return tmp_path
