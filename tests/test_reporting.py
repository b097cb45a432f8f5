"""ruff-like reporting: scan --statistics, apply --diff, and summaries that count in good English."""

from __future__ import annotations

import json
from pathlib import Path

from clirun import run

from cleaner.cli import plural
from cleaner.decisions import DecisionStore
from cleaner.model import Decision, Verdict, sha256_text

ROOT = Path(__file__).resolve().parent.parent
RULES = str(ROOT / "rules")
SAMPLE = ROOT / "corpus"


def test_plural():
    assert [plural(n, "finding") for n in (0, 1, 2)] == ["0 findings", "1 finding", "2 findings"]
    assert plural(1, "fix", "fixes") == "1 fix" and plural(3, "fix", "fixes") == "3 fixes"


def test_statistics_counts_per_code_and_per_source(work, capsys):
    (work / "corpus" / "site").mkdir()
    (work / "corpus" / "site" / "x.txt").write_text("Title\n\nIt cost $ 5 in Kiev.\n\nSource link\n")
    status, out, err = run(capsys, "scan", "--rules", RULES, "--statistics", "-j", "1", "--no-cache")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split() == ["30", "NM001", "name-alias", "safe"]  # most frequent first
    assert any(line.split() == ["3", "BP001", "source-link", "safe"] for line in lines)
    assert any(line.split() == ["1", "TR001", "pronoun-gender", "display"] for line in lines)
    per_source = lines[lines.index("by source:") + 1 :]
    assert per_source[0].split()[:2] == ["52", "(none)"]
    assert per_source[1].split()[:3] == ["3", "site", "BP001"]
    assert err.strip() == "55 findings in 6 files"
    assert sum(int(line.split()[0]) for line in lines[: lines.index("")]) == 55


def test_statistics_shows_the_stores_verdicts(work, capsys):
    status, out, _ = run(capsys, "scan", "--rules", RULES, "--format", "jsonl", "-q", "--select", "NM001")
    f = json.loads(out.splitlines()[0])
    sha = sha256_text((work / "corpus" / f["doc"]).read_text(encoding="utf-8"))
    with DecisionStore(".cleaner/decisions.sqlite") as store:
        store.put(Decision(f["id"], f["doc"], sha, Verdict.REJECTED, reviewer="r"))
    status, out, _ = run(capsys, "scan", "--rules", RULES, "--statistics", "--select", "NM001", "-q")
    assert out.splitlines()[0].split() == ["29", "NM001", "name-alias", "safe", "0", "accepted", "1", "rejected"]


def test_one_finding_in_one_file_is_singular(work, capsys):
    status, _, err = run(capsys, "scan", "--rules", RULES, "--select", "TR001", "corpus/000_6b32ff4da4a937aa.txt")
    assert err.strip() == "1 finding in 1 file"
    status, out, _ = run(capsys, "apply", "--rules", RULES, "--auto", "--select", "TY001", "-q")
    assert "applied 1 fix in 1 document: TY001 1" in out


def test_apply_diff_shows_what_apply_writes_and_writes_nothing(work, capsys):
    status, out, err = run(capsys, "apply", "--rules", RULES, "--auto", "--select", "BP001,TY001", "--diff", "-j", "1")
    assert status == 1  # there is something to change
    assert not (work / "reviewed").exists() and not (work / ".cleaner").exists()
    assert "--- corpus/000_6b32ff4da4a937aa.txt\n+++ reviewed/000_6b32ff4da4a937aa.txt\n" in out
    assert "-Blinken reminded the mayor that the United States had provided $ 650 million" in out
    assert "+Blinken reminded the mayor that the United States had provided $650 million" in out
    assert out.count("\n--- corpus/") + out.startswith("--- corpus/") == 3  # 3 documents change
    assert err.strip() == "would apply 3 fixes in 3 documents: BP001 2, TY001 1 (--diff: nothing written)"
    # the diff is exactly the difference between input and what apply writes
    run(capsys, "apply", "--rules", RULES, "--auto", "--select", "BP001,TY001", "-j", "1")
    import difflib

    name = "000_6b32ff4da4a937aa.txt"
    a = (work / "corpus" / name).read_text(encoding="utf-8").splitlines(keepends=True)
    b = (work / "reviewed" / name).read_text(encoding="utf-8").splitlines(keepends=True)
    expected = "".join(difflib.unified_diff(a, b, f"corpus/{name}", f"reviewed/{name}", n=2))
    assert expected in out


def test_apply_diff_without_changes_exits_0(work, capsys):
    status, out, err = run(capsys, "apply", "--rules", RULES, "--select", "BP001", "--diff")
    assert status == 0 and out == ""
    assert "would apply 0 fixes in 0 documents" in err


def test_apply_diff_reads_an_existing_cache_and_writes_nothing_into_it(work, capsys):
    status, _, err = run(capsys, "apply", "--rules", RULES, "--select", "BP001", "-q", "-j", "1")
    assert status == 0, err
    cache = work / "reviewed" / ".cache"
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in cache.iterdir()}
    assert "findings.sqlite" in before
    # other rules and another step: a scan that would add entries to the cache
    status, out, err = run(capsys, "apply", "--rules", RULES, "--auto", "--select", "BP001,TY001", "--diff", "-j", "1")
    assert status == 1 and "+Blinken reminded the mayor that the United States had provided $650 million" in out
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in cache.iterdir()} == before
    status, out2, _ = run(capsys, "apply", "--rules", RULES, "--auto", "--select", "BP001,TY001", "--diff", "-j", "1",
                          "--no-cache")
    assert out2 == out  # what the cache gave is what a scan gives


def test_min_confidence_is_in_the_manifest_and_the_summary(work, capsys):
    status, out, _ = run(capsys, "apply", "--rules", RULES, "--auto", "--unsafe", "--min-confidence", "0.95", "-j", "1",
                         "-q")
    assert status == 0
    assert "into reviewed/ (accepted + safe + unsafe (confidence >= 0.95) fixes)" in out
    manifest = json.loads((work / "reviewed" / "manifest.json").read_text())
    assert manifest["mode"] == {"auto": True, "unsafe": True, "min_confidence": 0.95}
    status, out, _ = run(capsys, "apply", "--rules", RULES, "--unsafe", "-j", "1", "-q")
    assert "into reviewed/ (accepted + unsafe fixes)" in out
    manifest = json.loads((work / "reviewed" / "manifest.json").read_text())
    assert manifest["mode"] == {"auto": False, "unsafe": True, "min_confidence": 0.0}


def test_statistics_count_a_demoted_structural_finding_as_unsafe(work, capsys):
    menu = ["Home", "World", "Business", "Sport", "Culture", "Opinion"]
    body = ["The mayor of the Ukrainian capital urged the United States and Germany to act now, he said on Friday.",
            "He spoke at the end of the Munich Security Conference, in front of the press and several ministers.",
            "The German foreign minister took a different approach and expressed sympathy for the plea."]
    (work / "corpus" / "page.txt").write_text("\n".join(menu + ["Kyiv mayor pleads with US"] + body) + "\n")
    status, out, _ = run(capsys, "scan", "--rules", RULES, "--statistics", "--select", "BP017", "-q", "--no-cache")
    rows = sorted(line.split() for line in out.split("by source:")[0].splitlines() if "BP017" in line)
    # the menu's first line is 6 lines above the article (safe); the 5 next to it are one unsafe block
    assert rows == [["1", "BP017", "menu-run-outside-text", "safe"], ["1", "BP017", "menu-run-outside-text", "unsafe"]]
