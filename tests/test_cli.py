"""The `cleaner` command end to end on a copy of the sample corpus and on small corpora made here."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from clirun import run

ROOT = Path(__file__).resolve().parent.parent
RULES = str(ROOT / "rules")
SAMPLE = ROOT / "corpus"
REQUIRED_KEYS = {
    "id",
    "doc",
    "code",
    "start",
    "end",
    "original",
    "replacement",
    "applicability",
    "confidence",
    "message",
}


def tree_hash(folder: Path) -> dict[str, str]:
    """Every file under folder (but the findings cache, .cache/) by its sha256."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".cache" not in p.relative_to(folder).parts
    }


# ---------------------------------------------------------------- scan


def test_scan_text_format(work, capsys):
    status, out, err = run(capsys, "scan", "--rules", RULES, "--select", "BP001,TY001")
    assert status == 0
    assert out.splitlines() == [
        'corpus/000_6b32ff4da4a937aa.txt:17:64: TY001 space between a currency sign and its amount "$ 6" '
        '[safe: remove space → "$6"]',
        'corpus/002_9893f283f636da73.txt:21:1: BP001 link-back line left by the scraper "Source link" '
        "[safe: delete line]",
        'corpus/003_53272421b92e5f9f.txt:57:1: BP001 link-back line left by the scraper "Source link" '
        "[safe: delete line]",
    ]
    assert "3 findings in 5 files" in err


def test_scan_jsonl_format_is_the_findings_contract(work, capsys):
    status, out, _ = run(capsys, "scan", "--rules", RULES, "--format", "jsonl")
    assert status == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert records
    for r in records:
        assert REQUIRED_KEYS <= set(r)
        text = (work / "corpus" / r["doc"]).read_text(encoding="utf-8")
        assert text[r["start"] : r["end"]] == r["original"]
        assert r["applicability"] in ("safe", "unsafe", "display") and 0 <= r["confidence"] <= 1
    assert len({r["id"] for r in records}) == len(records)


def test_scan_ids_are_stable_across_runs(work, capsys):
    first = run(capsys, "scan", "--rules", RULES, "--format", "jsonl", "--no-cache")[1]
    second = run(capsys, "scan", "--rules", RULES, "--format", "jsonl", "-j", "1")[1]
    assert first == second


def test_select_and_ignore(work, capsys):
    _, out, _ = run(
        capsys, "scan", "--rules", RULES, "--format", "jsonl", "--select", "BP", "--ignore", "BP001,BP016"
    )
    codes = {json.loads(line)["code"] for line in out.splitlines()}
    assert codes and all(c.startswith("BP") for c in codes) and not codes & {"BP001", "BP016"}


def test_check_exits_1_when_something_is_found(work, capsys):
    assert run(capsys, "scan", "--rules", RULES, "--select", "BP001", "--check")[0] == 1
    assert run(capsys, "scan", "--rules", RULES, "--select", "UN005", "--check")[0] == 0


def test_output_file(work, capsys):
    status, out, _ = run(capsys, "scan", "--rules", RULES, "--select", "BP001", "-o", "found.txt")
    assert status == 0 and out == ""
    assert len((work / "found.txt").read_text(encoding="utf-8").splitlines()) == 2


def test_missing_path_exits_2(work, capsys):
    status, out, err = run(capsys, "scan", "--rules", RULES, "nowhere")
    assert status == 2 and out == ""
    assert err.strip() == "cleaner: nowhere: no such file or folder"


def test_python_dash_m_cleaner_works(work):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cleaner",
            "scan",
            "--rules",
            RULES,
            "--select",
            "BP001",
            "corpus/002_9893f283f636da73.txt",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("corpus/002_9893f283f636da73.txt:21:1: BP001 ")
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------- apply


def test_apply_auto_mirrors_the_input_and_never_touches_it(work, capsys):
    before = tree_hash(work / "corpus")
    status, out, err = run(capsys, "apply", "--rules", RULES, "--auto", "--select", "BP001,BP003,TY001")
    assert status == 0, err
    assert tree_hash(work / "corpus") == before
    out_dir = work / "reviewed"
    written = sorted(p.name for p in out_dir.glob("*.txt") if p.name != "changes.txt")
    assert written == sorted(before)
    assert out.startswith("cleaned 5 documents in 5 files into reviewed/")
    assert "applied 4 fixes in 3 documents: BP001 2, BP003 1, TY001 1" in out

    cleaned = (out_dir / "002_9893f283f636da73.txt").read_text(encoding="utf-8")
    assert "Source link" not in cleaned
    title = (out_dir / "000_6b32ff4da4a937aa.txt").read_text(encoding="utf-8").splitlines()[0]
    assert not title.startswith(" date") and title.strip()
    assert (out_dir / "004_d51eabd51f3bc1f0.txt").read_bytes() == (
        work / "corpus" / "004_d51eabd51f3bc1f0.txt"
    ).read_bytes()

    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    docs = {d["doc"]: d for d in manifest["documents"]}
    assert set(docs) == set(before)
    for name, d in docs.items():
        assert d["sha256_in"] == hashlib.sha256((work / "corpus" / name).read_bytes()).hexdigest()
        assert d["sha256_out"] == hashlib.sha256((out_dir / name).read_bytes()).hexdigest()
    assert docs["002_9893f283f636da73.txt"]["applied"] == {"BP001": 1}
    assert docs["000_6b32ff4da4a937aa.txt"]["applied"] == {"BP003": 1, "TY001": 1}
    assert manifest["totals"]["applied"] == {"BP001": 2, "BP003": 1, "TY001": 1}

    changes = (out_dir / "changes.txt").read_text(encoding="utf-8")
    assert "== 002_9893f283f636da73.txt" in changes
    assert 'BP001 source-link: removed "Source link' in changes
    assert 'TY001 space-after-currency: replaced "$ 6" with "$6"' in changes
    assert not [p for p in out_dir.rglob("*") if p.name.endswith(".tmp")]


def test_apply_without_auto_changes_nothing(work, capsys):
    status, out, _ = run(capsys, "apply", "--rules", RULES, "--select", "BP001")
    assert status == 0
    assert "applied 0 fixes" in out and "left 2 findings for review" in out
    assert all(
        (work / "reviewed" / n).read_bytes() == (work / "corpus" / n).read_bytes()
        for n in tree_hash(work / "corpus")
    )


def test_apply_unsafe_adds_unsafe_fixes(work, capsys):
    status, out, _ = run(capsys, "apply", "--rules", RULES, "--auto", "--unsafe", "--select", "TY005,TY006")
    text = "Why ? Nobody in the the capital knows.\n"
    (work / "corpus" / "x.txt").write_text(text, encoding="utf-8")
    status, out, _ = run(
        capsys,
        "apply",
        "--rules",
        RULES,
        "--unsafe",
        "--select",
        "TY005,TY006",
        "corpus/x.txt",
        "--out",
        "out",
    )
    assert status == 0
    assert (work / "out" / "x.txt").read_text(encoding="utf-8") == "Why? Nobody in the capital knows.\n"


def test_apply_out_inside_input_is_refused(work, capsys):
    before = tree_hash(work / "corpus")
    status, out, err = run(capsys, "apply", "--rules", RULES, "--auto", "--out", "corpus/reviewed")
    assert status == 2
    assert "inside the input" in err and len(err.strip().splitlines()) == 1
    assert tree_hash(work / "corpus") == before


def test_apply_reports_overlaps_in_the_log(work, capsys):
    body = "A paragraph of the article that is long enough to count as body text.\n" * 3
    (work / "in").mkdir()
    (work / "in" / "a.txt").write_text(body + "Leave a Comment\n\nSource link\n", encoding="utf-8")
    status, out, _ = run(
        capsys, "apply", "in", "--out", "out", "--rules", RULES, "--auto", "--select", "BP001,BP008"
    )
    assert status == 0
    assert (work / "out" / "a.txt").read_text(encoding="utf-8") == body


# ---------------------------------------------------------------- bad input


def test_bad_input_is_reported_and_the_rest_processed(work, capsys):
    src = work / "in"
    (src / "sub").mkdir(parents=True)
    (src / "good.txt").write_text("Body.\n\nSource link\n", encoding="utf-8")
    (src / "latin.txt").write_bytes("Caf\xe9 au lait.\n\nSource link\n".encode("cp1252"))
    (src / "sub" / "image.txt").write_bytes(b"\x89PNG\x00\x00binary")
    records = [
        json.dumps({"id": "r1", "text": "Kyiv.\n\nSource link\n", "url": "http://a", "tags": ["x"]}),
        '{"id": "r2", "text": oops',
        json.dumps({"text": "No id.\n\nSource link\n", "n": 1}),
        json.dumps({"id": "r4", "text": "Clean text.", "extra": {"k": 1}}),
    ]
    (src / "feed.jsonl").write_text("\n".join(records) + "\n", encoding="utf-8")
    before = tree_hash(src)

    status, out, err = run(
        capsys, "scan", "in", "--rules", RULES, "--select", "BP001,UN001", "--format", "jsonl"
    )
    assert status == 2
    found = [json.loads(line) for line in out.splitlines()]
    assert sorted((f["doc"], f["code"]) for f in found) == [
        ("feed.jsonl#3", "BP001"),
        ("feed.jsonl#r1", "BP001"),
        ("good.txt", "BP001"),
        ("latin.txt", "BP001"),
        ("latin.txt", "UN001"),
    ]
    problems = [line for line in err.splitlines() if line.startswith("cleaner: ")]
    assert "cleaner: in/feed.jsonl:2: malformed JSON" in "\n".join(problems)
    assert "cleaner: in/latin.txt: not valid UTF-8; decoded as cp1252" in problems
    assert "cleaner: in/sub/image.txt: binary file (NUL bytes); skipped" in problems
    assert "Traceback" not in err

    status, out, err = run(
        capsys, "apply", "in", "--out", "out", "--rules", RULES, "--select", "BP001", "--auto"
    )
    assert status == 2 and "Traceback" not in err
    assert tree_hash(src) == before
    assert sorted(tree_hash(work / "out")) == [
        "changes.txt",
        "feed.jsonl",
        "good.txt",
        "latin.txt",
        "manifest.json",
    ]
    assert (work / "out" / "latin.txt").read_text(encoding="utf-8") == "Café au lait.\n\n"
    lines = (work / "out" / "feed.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0]) == {"id": "r1", "text": "Kyiv.\n\n", "url": "http://a", "tags": ["x"]}
    assert lines[1] == records[1]
    assert json.loads(lines[2]) == {"text": "No id.\n\n", "n": 1}
    assert lines[3] == records[3]
    manifest = json.loads((work / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert {d["doc"] for d in manifest["documents"]} == {
        "feed.jsonl#r1",
        "feed.jsonl#3",
        "feed.jsonl#r4",
        "good.txt",
        "latin.txt",
    }


# ---------------------------------------------------------------- rules


def test_rules_list(capsys):
    status, out, _ = run(capsys, "rules", "list", "--rules", RULES)
    assert status == 0
    lines = out.splitlines()
    assert any(line.startswith("BP001  source-link") for line in lines)
    assert any(line.startswith("UN010") and "off by default" in line for line in lines)


def test_rules_show(capsys):
    status, out, _ = run(capsys, "rules", "show", "BP007", "--rules", RULES)
    assert status == 0
    assert out.startswith("BP007 ") and "applicability: safe" in out and "flags:" in out
    assert run(capsys, "rules", "show", "source-link", "--rules", RULES)[1].startswith("BP001 source-link")
    status, out, err = run(capsys, "rules", "show", "XX999", "--rules", RULES)
    assert status == 2 and "no rule 'XX999'" in err


def test_rules_check_default_packs(capsys):
    status, out, err = run(capsys, "rules", "check", RULES)
    assert status == 0, out
    assert "all examples behave" in err


def test_apply_mirrors_nested_paths_and_formats(work, capsys):
    src = work / "in"
    (src / "site-a" / "2022").mkdir(parents=True)
    (src / "site-a" / "2022" / "a.md").write_text("# Title\n\nBody.\n\nSource link\n", encoding="utf-8")
    (src / "b.txt").write_text("Clean body.\n", encoding="utf-8")
    (src / "notes.html").write_text("<p>not read</p>", encoding="utf-8")
    status, out, _ = run(
        capsys, "apply", "in", "--out", "out", "--rules", RULES, "--auto", "--select", "BP001"
    )
    assert status == 0
    assert sorted(tree_hash(work / "out")) == ["b.txt", "changes.txt", "manifest.json", "site-a/2022/a.md"]
    assert (work / "out" / "site-a" / "2022" / "a.md").read_text(encoding="utf-8") == "# Title\n\nBody.\n\n"
    manifest = json.loads((work / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert [d["output"] for d in manifest["documents"]] == ["b.txt", "site-a/2022/a.md"]


def test_select_is_case_insensitive_for_codes_and_refuses_unknown_rules(work, capsys):
    upper = run(capsys, "scan", "--rules", RULES, "--select", "BP001")[1]
    assert run(capsys, "scan", "--rules", RULES, "--select", "bp001")[1] == upper != ""
    assert run(capsys, "scan", "--rules", RULES, "--select", "source-link")[1] == upper
    status, out, err = run(capsys, "scan", "--rules", RULES, "--select", "BP001,XX9")
    assert status == 2 and out == ""
    assert "cleaner: --select: no rule code, prefix or name 'XX9'" in err
    assert run(capsys, "scan", "--rules", RULES, "--ignore", "nonsense-name")[0] == 2
