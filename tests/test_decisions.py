"""The decision store belongs to the corpus: where it lives, the old location, export and import."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from clirun import run

from cleaner.cli import main
from cleaner.decisions import DecisionStore, export_jsonl, import_jsonl
from cleaner.model import Decision, Verdict

ROOT = Path(__file__).resolve().parent.parent
RULES = str(ROOT / "rules")
SAMPLE = ROOT / "corpus"
STORE = Path(".cleaner") / "decisions.sqlite"


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


# ---------------------------------------------------------------- the store is never an output


def store_bytes() -> bytes:
    return STORE.read_bytes()


@pytest.mark.parametrize("argv", [
    ("decisions", "export", "-o", ".cleaner/decisions.sqlite"),
    ("decisions", "export", "-o", "./.cleaner/../.cleaner/decisions.sqlite"),
    ("decisions", "export", "-o", "link"),  # a symlink to the store
    ("decisions", "export", "-o", ".cleaner/decisions.sqlite-wal"),
    ("decisions", "export", "-o", ".cleaner/decisions.sqlite-journal"),
    ("scan", "corpus", "-q", "-o", ".cleaner/decisions.sqlite"),
    ("scan", "corpus", "-q", "--statistics", "-o", ".cleaner/decisions.sqlite-shm"),
    ("scan", "corpus", "-q", "-o", "link"),
])
def test_an_output_file_is_never_the_decision_store(work, capsys, argv):
    (f, *_) = unsafe_findings(capsys)
    with DecisionStore(STORE) as store:
        store.put(decision(f))
    before = store_bytes()
    Path("link").symlink_to(STORE)
    status, out, err = run(capsys, *argv[:2], *(("--rules", RULES, "-j", "1") if argv[0] == "scan" else ()), *argv[2:])
    assert status == 2 and len(err.splitlines()) == 1, err
    assert "decision store .cleaner/decisions.sqlite; write it elsewhere" in err
    assert store_bytes() == before and not list(STORE.parent.glob(".decisions.sqlite*.tmp"))
    with DecisionStore(STORE) as store:
        assert list(store.all()) == [f["id"]]


def test_cleaner_toml_and_db_stores_are_protected_too(work, capsys):
    Path("cleaner.toml").write_text('decisions = "review/store.sqlite"\n')
    with DecisionStore("review/store.sqlite") as store:
        store.put(decision(unsafe_findings(capsys)[0]))
    status, _, err = run(capsys, "decisions", "export", "-o", "review/store.sqlite")
    assert status == 2 and "is the decision store review/store.sqlite" in err
    status, _, err = run(capsys, "scan", "--rules", RULES, "-q", "-o", "other.sqlite", "--db", "other.sqlite")
    assert status == 2 and "is the decision store other.sqlite" in err and not Path("other.sqlite").exists()


def test_apply_never_writes_its_manifest_or_cache_over_the_store(work, capsys):
    (f, *_) = unsafe_findings(capsys)
    for db in ("out/manifest.json", "out/changes.txt", "out/.cache/findings.sqlite"):
        with DecisionStore(db) as store:
            store.put(decision(f))
        before = Path(db).read_bytes()
        status, out, err = run(capsys, "apply", "--rules", RULES, "--out", "out", "--db", db, "-q", "-j", "1")
        assert status == 2 and f"would overwrite the decision store {db}" in err and len(err.splitlines()) == 1
        assert Path(db).read_bytes() == before
        Path(db).unlink()
    # an input file of the same name as the store, written into --out
    (work / "corpus" / "decisions.txt").write_text("Title\n\nSource link\n")
    with DecisionStore("out/decisions.txt") as store:
        store.put(decision(f))
    status, _, err = run(capsys, "apply", "--rules", RULES, "--out", "out", "--db", "out/decisions.txt", "-q", "-j", "1")
    assert status == 2 and "out/decisions.txt would overwrite the decision store" in err
    status, _, err = run(capsys, "apply", "--rules", RULES, "--out", "out", "--db", "out/decisions.txt", "-q", "-j", "1",
                         "--diff")  # writes nothing: nothing to refuse
    assert status == 1 and "overwrite" not in err
    status, _, err = run(capsys, "review", "--rules", RULES, "--out", "out", "--db", "out/decisions.txt")
    assert status == 2 and "out/decisions.txt would overwrite the decision store" in err  # before the screen opens


def test_export_o_is_written_in_full_or_not_at_all(work, capsys, monkeypatch):
    fs = unsafe_findings(capsys)
    with DecisionStore(STORE) as store:
        store.put(decision(fs[0]))
        store.put(decision(fs[1]))
    Path("d.jsonl").write_text("earlier export\n")
    import cleaner.decisions

    real, calls = cleaner.decisions.decision_json, []

    def failing(d):
        calls.append(d)
        if len(calls) == 2:
            raise RuntimeError("killed half-way")
        return real(d)

    monkeypatch.setattr(cleaner.decisions, "decision_json", failing)
    with pytest.raises(RuntimeError):
        main(["decisions", "export", "-o", "d.jsonl"])
    assert Path("d.jsonl").read_text() == "earlier export\n"
    assert [p.name for p in Path(".").iterdir() if p.name.startswith(".d.jsonl")] == []
    monkeypatch.setattr(cleaner.decisions, "decision_json", real)
    status, _, _ = run(capsys, "decisions", "export", "-o", "d.jsonl")
    assert status == 0 and len(Path("d.jsonl").read_text().splitlines()) == 2


# ---------------------------------------------------------------- hostile import lines


def good_line(f: dict, **extra) -> str:
    return json.dumps({"id": f["id"], "doc": f["doc"], "sha256": sha(f["doc"]), "verdict": "accepted",
                       "reviewer": "cy", "time": "2024-01-02T03:04:05Z", **extra})


HOSTILE = {  # how a line goes wrong -> (its text from a good line, what the report says)
    "huge integer time": (lambda s: s.replace('"2024-01-02T03:04:05Z"', "1" + "0" * 400), "'time' is out of range"),
    "NaN time": (lambda s: s.replace('"2024-01-02T03:04:05Z"', "NaN"), "'time' is not a finite number"),
    "infinite time": (lambda s: s.replace('"2024-01-02T03:04:05Z"', "1e999"), "'time' is not a finite number"),
    "time past year 9999": (lambda s: s.replace('"2024-01-02T03:04:05Z"', "1e20"), "'time' is out of range"),
    "ISO time before year 1": (lambda s: s.replace("2024-01-02T03:04:05Z", "0001-01-01T00:00:00+05:00"),
                               "'time' is out of range"),
    "lone surrogate": (lambda s: s.replace('"cy"', '"\\ud800"'), "'reviewer' holds a lone surrogate"),
    "nested too deeply": (lambda s: "[" * 100_000, "nested too deeply"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_import_line_is_one_stderr_line_and_the_rest_is_imported(work, capsys, case):
    fs = unsafe_findings(capsys)
    make, says = HOSTILE[case]
    Path("in.jsonl").write_text("\n".join([good_line(fs[0]), make(good_line(fs[1])), good_line(fs[2])]) + "\n")
    status, out, err = run(capsys, "decisions", "import", "in.jsonl")
    assert status == 2
    (line,) = err.splitlines()
    assert line.startswith("cleaner: in.jsonl:2: ") and says in line, line
    assert "imported 2 decisions" in out and "1 malformed line skipped" in out
    status, out, err = run(capsys, "decisions", "export")  # what was imported exports again
    assert status == 0 and len(out.splitlines()) == 2, err


def test_undecodable_bytes_in_an_import_line_are_reported_with_the_line(work, capsys):
    fs = unsafe_findings(capsys)
    bad = good_line(fs[1]).encode().replace(b'"cy"', b'"c\xffy"')
    Path("in.jsonl").write_bytes(b"\n".join([good_line(fs[0]).encode(), bad, good_line(fs[2]).encode()]) + b"\n")
    status, out, err = run(capsys, "decisions", "import", "in.jsonl")
    assert status == 2
    (line,) = err.splitlines()
    assert line.startswith("cleaner: in.jsonl:2: not UTF-8 (byte 0xff at column ")
    assert "imported 2 decisions" in out
    with DecisionStore(STORE) as store:
        assert set(store.all()) == {fs[0]["id"], fs[2]["id"]}


def test_import_from_stdin_with_undecodable_bytes(work, capsys, monkeypatch):
    import io

    fs = unsafe_findings(capsys)
    data = good_line(fs[0]).encode() + b"\n" + b'{"id": "\xff"}\n'

    class Stdin(io.TextIOWrapper):
        pass

    monkeypatch.setattr("sys.stdin", Stdin(io.BytesIO(data), encoding="utf-8"))
    status, out, err = run(capsys, "decisions", "import", "-")
    assert status == 2 and err.startswith("cleaner: -:2: not UTF-8") and "imported 1 decision" in out


# ---------------------------------------------------------------- import never overwrites


def test_import_never_overwrites_a_decision_made_on_another_version_of_the_document(work, capsys):
    (f, *_) = unsafe_findings(capsys)
    with DecisionStore(STORE) as store:  # ann's decision, on the document as it is (sha A)
        store.put(decision(f))
    other = "b" * 64  # the same finding id, on another version of the document (sha B), later
    line = json.dumps({"id": f["id"], "doc": f["doc"], "sha256": other, "verdict": "accepted",
                       "reviewer": "bob", "time": "2030-01-01T00:00:00Z"})
    Path("bob.jsonl").write_text(line + "\n")
    status, out, err = run(capsys, "decisions", "import", "bob.jsonl")
    assert status == 1, err
    assert "imported 0 decisions" in out and "1 conflict left as the store has it" in out
    (msg,) = err.splitlines()
    assert msg.startswith(f"cleaner: bob.jsonl:1: conflict on finding {f['id']}") and msg.endswith("kept the store's")
    assert f"accepted by ann on the document with sha256 {sha(f['doc'])[:12]}" in msg
    assert "this line accepted by bob on the document with sha256 bbbbbbbbbbbb" in msg
    with DecisionStore(STORE) as store:
        d = store.get(f["id"])
    assert (d.reviewer, d.doc_sha256) == ("ann", sha(f["doc"]))


# ---------------------------------------------------------------- a store that is only read is left as it was


def version_1_store(path: Path, rows: list[tuple]) -> None:
    """A store as cleaner made it before schema 2 (git show 993e821:cleaner/decisions.py)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA application_id=1668050546")
    conn.execute("PRAGMA user_version=1")
    conn.executescript(
        "CREATE TABLE IF NOT EXISTS decisions (finding_id TEXT PRIMARY KEY, doc TEXT NOT NULL, doc_sha256 TEXT NOT NULL,"
        " verdict TEXT NOT NULL CHECK (verdict IN ('accepted', 'rejected')), replacement TEXT,"
        " reviewer TEXT NOT NULL, time REAL NOT NULL);"
        "CREATE TABLE IF NOT EXISTS history (seq INTEGER PRIMARY KEY AUTOINCREMENT, finding_id TEXT NOT NULL,"
        " action TEXT NOT NULL, replacement TEXT, reviewer TEXT NOT NULL, time REAL NOT NULL);"
    )
    conn.executemany("INSERT INTO decisions VALUES (?, ?, ?, ?, NULL, 'old', 1.5e9)", rows)
    conn.close()


def test_reading_an_old_store_where_it_is_leaves_its_bytes_as_they_were(work, capsys):
    fs = findings(capsys, "--select", "NM001")
    old = Path("reviewed") / "decisions.sqlite"
    version_1_store(old, [(fs[0]["id"], fs[0]["doc"], sha(fs[0]["doc"]), "rejected")])
    before, files = old.read_bytes(), sorted(p.name for p in old.parent.iterdir())
    status, out, err = run(capsys, "scan", "corpus", "--rules", RULES, "--statistics", "--select", "NM001", "-j", "1",
                           "--no-cache")
    assert status == 0 and "using the decisions in reviewed/decisions.sqlite" in err
    assert out.splitlines()[0].split()[-2:] == ["1", "rejected"]  # read, with the columns it lacks
    status, _, err = run(capsys, "apply", "--rules", RULES, "--diff", "--select", "NM001", "-j", "1", "--no-cache")
    assert status == 0, err
    status, out, _ = run(capsys, "decisions", "export")
    assert json.loads(out)["code"] is None
    assert old.read_bytes() == before and sorted(p.name for p in old.parent.iterdir()) == files
    conn = sqlite3.connect(f"file:{old}?mode=ro", uri=True)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()
    assert not STORE.exists()


def test_a_store_opened_only_to_be_read_refuses_writes(work):
    version_1_store(STORE, [("f1", "a.txt", "1" * 64, "accepted")])
    before = STORE.read_bytes()
    from cleaner.decisions import StoreError

    with DecisionStore(STORE, create=False) as store:
        assert store.get("f1").code == ""
        with pytest.raises(StoreError):
            store.clear("f1")
    assert STORE.read_bytes() == before
