"""A tiny corpus and rules folder with a known set of findings, and a review app built on them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cleaner.corpus import Options, discover, plan
from cleaner.decisions import DecisionStore
from cleaner.review import Setup
from cleaner.rules import load_rules
from cleaner.scan import Scanner

RULES = """\
pack: test
rules:
  - code: BP001
    name: source-link
    kind: exact-line
    lines: ["Source link"]
    message: link-back line left by the scraper
    fix: delete line
    applicability: safe
    examples: {bad: ["Source link"]}
  - code: BP010
    name: follow-us
    kind: line-pattern
    pattern: 'follow us on \\w+'
    message: social media prompt
    fix: delete line
    applicability: unsafe
    confidence: 0.8
    examples: {bad: ["Follow us on Mastodon"]}
  - code: TY001
    name: currency-space
    kind: substitution
    pattern: '\\$ (\\d)'
    replacement: '$\\1'
    message: space between a currency sign and its amount
    fix: remove space
    applicability: safe
    examples: {bad: ["$ 5"], good: ["$5"]}
"""

# a.txt: BP001; b.txt: TY001 "$ 5", BP010, BP001; c.txt: TY001 "$ 7"
CORPUS = {
    "a.txt": "Title one\n\nBody text here.\n\nSource link\n",
    "b.txt": "Title two\n\nIt cost $ 5 today.\n\nFollow us on Twitter\n\nMore body text.\n\nSource link\n",
    "c.txt": "Title three\n\nNo junk, but $ 7.\n",
}


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """tmp_path with corpus/ and rules/ in it, and the current folder (paths on screen are relative)."""
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "test.yaml").write_text(RULES, encoding="utf-8")
    (tmp_path / "corpus").mkdir()
    for name, text in CORPUS.items():
        (tmp_path / "corpus" / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def make_setup(workdir: Path, **kw) -> Setup:
    ruleset = load_rules(workdir / "rules")
    store = DecisionStore(Path(".cleaner") / "decisions.sqlite")
    return Setup(
        inputs=["corpus"],
        units=plan(discover(["corpus"])),
        scanner=Scanner(ruleset),
        ruleset=ruleset,
        options=Options(),
        store=store,
        reviewer="tester",
        **{"out_dir": Path("reviewed"), **kw},
    )


@pytest.fixture
def setup(workdir):
    s = make_setup(workdir)
    yield s
    s.store.close()


def decisions(workdir: Path) -> dict:
    with DecisionStore(workdir / ".cleaner" / "decisions.sqlite") as store:
        return store.all()


def dedent(s: str) -> str:
    return textwrap.dedent(s)
