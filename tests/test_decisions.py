"""The decision store belongs to the corpus: where it lives, the old location, export and import."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from cleaner.cli import main
from cleaner.decisions import DecisionStore, export_jsonl, import_jsonl
from cleaner.model import Decision, Verdict

ROOT = Path(__file__).resolve().parent.parent
RULES = str(ROOT / "rules")
SAMPLE = ROOT / "corpus"
STORE = Path(".cleaner") / "decisions.sqlite"


@pytest.fixture
def work(tmp_path, monkeypatch):
    shutil.copytree(SAMPLE, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def findings(capsys, *extra: str) -> list[dict]:
    status, out, _ = run(capsys, "scan", "--rules", RULES, "--format", "jsonl", "-q", "-j", "1", *extra)
    return [json.loads(line) for line in out.splitlines()]


def sha(doc: str) -> str:
    from cleaner.model import sha256_text

    return sha256_text((Path("corpus") / doc).read_text(encoding="utf-8"))


def decision(f: dict, verdict=Verdict.ACCEPTED, reviewer="ann", replacement=None, when=1.7e9) -> Decision:
    return Decision(f["id"], f["doc"], sha(f["doc"]), verdict, replacement, reviewer, when,
                    code=f["code"], original=f["original"], proposed=f["replacement"])


def unsafe_findings(capsys) -> list[dict]:
    return [f for f in findings(capsys) if f["applicability"] == "unsafe"]


def test_apply_elsewhere_applies_what_was_reviewed(work, capsys):
    (f, *_) = unsafe_findings(capsys)
    with DecisionStore(STORE) as store:  # where `cleaner review` keeps them
        store.put(decision(f))
    status, out, err = run(capsys, "apply", "--rules", RULES, "--out", "../elsewhere", "-q", "-j", "1")
    assert status == 0, err
    assert "applied 1 fix in 1 document" in out and "decisions: .cleaner/decisions.sqlite (1)" in out
    manifest = json.loads((work.parent / "elsewhere" / "manifest.json").read_text())
    assert manifest["totals"]["applied"] == {f["code"]: 1}
    assert not (work / "reviewed" / "decisions.sqlite").exists()
    assert not (work.parent / "elsewhere" / "decisions.sqlite").exists()


def test_an_old_store_in_reviewed_is_moved_with_one_line(work, capsys):
    (f, g, *_) = unsafe_findings(capsys)
    old = Path("reviewed") / "decisions.sqlite"
    with DecisionStore(old) as store:
        store.put(decision(f))
        store.put(decision(g, Verdict.REJECTED))
    before = old.read_bytes()
    status, out, err = run(capsys, "apply", "--rules", RULES, "--out", "other", "-q", "-j", "1")
    assert status == 0
    assert err.strip().splitlines() == [
        "cleaner: moved the decisions in reviewed/decisions.sqlite to .cleaner/decisions.sqlite, "
        "shared by every --out (reviewed/decisions.sqlite left as it was)"
    ]
    assert "applied 1 fix" in out and "kept out 1 rejected finding\n" in out
    assert old.read_bytes() == before
    with DecisionStore(STORE) as store:
        assert {d.verdict for d in store.all().values()} == {Verdict.ACCEPTED, Verdict.REJECTED}
    status, out, err = run(capsys, "apply", "--rules", RULES, "--out", "other", "-q", "-j", "1")
    assert err == "" and "applied 1 fix" in out  # moved once, said once


def test_scan_reads_an_old_store_where_it_is(work, capsys):
    (f, *_) = unsafe_findings(capsys)
    with DecisionStore(Path("reviewed") / "decisions.sqlite") as store:
        store.put(decision(f))
    status, out, err = run(capsys, "scan", "--rules", RULES, "--statistics", "-j", "1")
    assert "using the decisions in reviewed/decisions.sqlite" in err
    assert not STORE.exists()


def test_cleaner_toml_names_the_store_and_db_overrides_it(work, capsys):
    (f, *_) = unsafe_findings(capsys)
    Path("cleaner.toml").write_text('style = "ap"\ndecisions = "review/store.sqlite"\n')
    with DecisionStore("review/store.sqlite") as store:
        store.put(decision(f))
    status, out, _ = run(capsys, "apply", "--rules", RULES, "-q", "-j", "1")
    assert "applied 1 fix" in out
    status, out, _ = run(capsys, "apply", "--rules", RULES, "-q", "-j", "1", "--db", "none.sqlite")
    assert "applied 0 fixes" in out and not Path("none.sqlite").exists()


def test_the_store_is_never_made_inside_the_input(work, capsys, monkeypatch):
    Path("cleaner.toml").write_text('decisions = "corpus/decisions.sqlite"\n')
    status, _, err = run(capsys, "review", "--rules", RULES)
    assert status == 2 and "inside the input corpus" in err and len(err.splitlines()) == 1
    assert not (work / "corpus" / "decisions.sqlite").exists()
    Path("cleaner.toml").unlink()
    monkeypatch.chdir(work / "corpus")  # run from inside the corpus: .cleaner/ would be in it
    status, _, err = run(capsys, "review", ".", "--rules", RULES, "--out", "../out")
    assert status == 2 and "inside the input ." in err
    assert not (work / "corpus" / ".cleaner").exists()


def test_export_then_import_into_an_empty_store_round_trips(work, capsys):
    fs = unsafe_findings(capsys)
    with DecisionStore(STORE) as store:
        store.put(decision(fs[0]))
        store.put(decision(fs[1], Verdict.REJECTED, reviewer="bob"))
        store.put(decision(fs[2], replacement="edited"))
    status, out, err = run(capsys, "decisions", "export")
    assert status == 0 and "exported 3 decisions from .cleaner/decisions.sqlite" in err
    lines = [json.loads(line) for line in out.splitlines()]
    assert set(lines[0]) == {"id", "doc", "sha256", "code", "original", "replacement", "edited", "proposed",
                             "verdict", "reviewer", "time"}
    by_id = {x["id"]: x for x in lines}
    assert by_id[fs[2]["id"]]["replacement"] == "edited" and by_id[fs[2]["id"]]["edited"] is True
    assert by_id[fs[0]["id"]]["replacement"] == fs[0]["replacement"] and by_id[fs[0]["id"]]["code"] == fs[0]["code"]
    assert by_id[fs[1]["id"]]["time"] == "2023-11-14T22:13:20.000000Z"
    status, _, _ = run(capsys, "decisions", "export", "-o", "d.jsonl")
    assert Path("d.jsonl").read_text() == out
    status, out, err = run(capsys, "decisions", "import", "d.jsonl", "--db", "copy.sqlite")
    assert status == 0 and err == ""
    assert "imported 3 decisions into copy.sqlite (0 already there)" in out
    with DecisionStore(STORE) as a, DecisionStore("copy.sqlite") as b:
        assert a.all() == b.all()


def test_import_merges_parts_and_reports_conflicts_without_overwriting(work, capsys):
    fs = unsafe_findings(capsys)
    with DecisionStore(STORE) as store:  # ann reviewed the first two
        store.put(decision(fs[0]))
        store.put(decision(fs[1]))
    with DecisionStore("bob.sqlite") as store:  # bob: the same first, another verdict on the second, a third
        store.put(decision(fs[0], reviewer="bob"))
        store.put(decision(fs[1], Verdict.REJECTED, reviewer="bob"))
        store.put(decision(fs[2], reviewer="bob"))
    run(capsys, "decisions", "export", "--db", "bob.sqlite", "-o", "bob.jsonl")
    status, out, err = run(capsys, "decisions", "import", "bob.jsonl")
    assert status == 1
    assert "imported 1 decision into .cleaner/decisions.sqlite (1 already there, 1 conflict left as the store has it)" in out
    (line,) = err.splitlines()
    assert line.startswith("cleaner: bob.jsonl:") and f"conflict on finding {fs[1]['id']}" in line
    assert "the store has accepted by ann, this line rejected by bob" in line
    with DecisionStore(STORE) as store:
        got = store.all()
    assert got[fs[1]["id"]].verdict is Verdict.ACCEPTED and got[fs[2]["id"]].reviewer == "bob"


def test_malformed_import_lines_are_reported_and_the_rest_imported(work, capsys):
    fs = unsafe_findings(capsys)
    good = [json.dumps({"id": f["id"], "doc": f["doc"], "sha256": sha(f["doc"]), "verdict": "accepted",
                        "reviewer": "cy", "time": "2024-01-02T03:04:05Z"}) for f in fs[:2]]
    Path("in.jsonl").write_text("\n".join([
        good[0], "{not json", json.dumps({"id": "x", "doc": "d", "sha256": "abc", "verdict": "accepted"}),
        "", json.dumps({"id": "x", "doc": "d", "sha256": "0" * 64, "verdict": "maybe"}), good[1],
    ]) + "\n")
    status, out, err = run(capsys, "decisions", "import", "in.jsonl")
    assert status == 2
    assert [line.split(": ")[1] for line in err.splitlines()] == ["in.jsonl:2", "in.jsonl:3", "in.jsonl:5"]
    assert "'verdict' must be accepted or rejected" in err and "not 64 hex digits" in err
    assert "imported 2 decisions" in out and "3 malformed lines skipped" in out
    with DecisionStore(STORE) as store:
        assert len(store.all()) == 2


def test_export_without_a_store_says_so(work, capsys):
    status, _, err = run(capsys, "decisions", "export")
    assert status == 2 and "no decision store here" in err and not STORE.exists()


def test_a_version_1_store_is_upgraded_and_exports(tmp_path):
    path = tmp_path / "v1.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id=1668050546")
    conn.execute("PRAGMA user_version=1")
    conn.executescript(
        "CREATE TABLE decisions (finding_id TEXT PRIMARY KEY, doc TEXT NOT NULL, doc_sha256 TEXT NOT NULL, "
        "verdict TEXT NOT NULL, replacement TEXT, reviewer TEXT NOT NULL, time REAL NOT NULL);"
        "CREATE TABLE history (seq INTEGER PRIMARY KEY AUTOINCREMENT, finding_id TEXT NOT NULL, action TEXT NOT NULL,"
        " replacement TEXT, reviewer TEXT NOT NULL, time REAL NOT NULL);"
    )
    conn.execute("INSERT INTO decisions VALUES ('f1', 'a.txt', ?, 'accepted', NULL, 'old', 1.5e9)", ("1" * 64,))
    conn.commit()
    conn.close()
    import io

    with DecisionStore(path) as store:
        (d,) = store.all().values()
        assert d.code == "" and d.original is None
        store.describe([("f1", "BP001", "Source link\n", "")])
        buf = io.StringIO()
        assert export_jsonl(store, buf) == 1
    line = json.loads(buf.getvalue())
    assert (line["code"], line["original"], line["replacement"], line["edited"]) == ("BP001", "Source link\n", "", False)
    with DecisionStore(tmp_path / "new.sqlite") as other:
        merge = import_jsonl(other, io.StringIO(buf.getvalue()), "x")
        assert merge.added == 1 and other.all()["f1"].proposed == ""


def test_apply_from_inside_the_corpus_needs_no_store(work, capsys, monkeypatch):
    monkeypatch.chdir(work / "corpus")
    status, out, err = run(capsys, "apply", ".", "--rules", RULES, "--auto", "--out", "../out", "-q", "-j", "1")
    assert status == 0, err
    assert "applied 42 fixes" in out and not (work / "corpus" / ".cleaner").exists()
