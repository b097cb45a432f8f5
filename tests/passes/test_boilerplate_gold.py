"""Clean article text yields no BP finding: the hand-annotated zyte-dev bodies, scanned as one corpus.

Data: ../shared/data/zyte-dev/gold (Zyte article-extraction benchmark, MIT License, © 2020 Scrapinghub).
A gold line that is boilerplate by our definition is listed, with its reason, in
tests/data/boilerplate_gold_allow.tsv; everything else a BP rule flags there is a false positive.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cleaner.cli import main

ROOT = Path(__file__).resolve().parent.parent.parent
GOLD = ROOT.parent / "shared" / "data" / "zyte-dev" / "gold"
ALLOW = ROOT / "tests" / "data" / "boilerplate_gold_allow.tsv"

pytestmark = pytest.mark.skipif(
    not GOLD.is_dir(), reason=f"{GOLD} is absent (shared data beside the checkout)"
)


def allowed() -> set[tuple[str, str, str]]:
    """(gold id prefix, code, line) of every reviewed entry; each entry must carry a reason."""
    entries = set()
    for raw in ALLOW.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        doc, code, line, reason = raw.split("\t")
        assert reason.strip(), f"allow-list entry without a reason: {raw!r}"
        entries.add((doc, code, line))
    return entries


@pytest.fixture(scope="module")
def gold_findings(tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("gold") / "findings.jsonl"
    status = main(
        [
            "scan",
            str(GOLD),
            "--rules",
            str(ROOT / "rules"),
            "--select",
            "BP",
            "--format",
            "jsonl",
            "-o",
            str(out),
            "-q",
            "--no-cache",
        ]
    )
    assert status == 0
    return [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]


def test_gold_bodies_get_no_boilerplate_finding(gold_findings):
    allow = allowed()
    unexpected = [
        f"{f['doc']}:{f['line']}: {f['code']} {f['original'].strip()[:100]!r}"
        for f in gold_findings
        if (f["doc"][:8], f["code"], f["original"].strip()) not in allow
    ]
    assert unexpected == []


def test_allow_list_entries_are_still_needed(gold_findings):
    hit = {(f["doc"][:8], f["code"], f["original"].strip()) for f in gold_findings}
    assert allowed() - hit == set(), "stale entries: remove them from tests/data/boilerplate_gold_allow.tsv"
