"""Regressions found in review of the scan engine, the cache and corpus I/O (each test failed before its fix)."""

from __future__ import annotations

import json
import os
import stat

from cleaner.apply import ApplyStep, write_corpus
from cleaner.cache import cache_key
from cleaner.cli import main
from cleaner.corpus import Options, discover, plan
from cleaner.model import Document
from cleaner.rules import load_rules
from cleaner.scan import Scanner, run


def test_out_that_contains_the_input_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x" / "d" / "d").mkdir(parents=True)
    (tmp_path / "x" / "d" / "f.txt").write_text("outer\n", encoding="utf-8")
    (tmp_path / "x" / "d" / "d" / "f.txt").write_text("Source link\n", encoding="utf-8")
    assert main(["apply", "x/d", "--out", "x", "--auto", "--no-cache"]) == 2
    assert "contains the input" in capsys.readouterr().err
    assert (tmp_path / "x" / "d" / "f.txt").read_text(encoding="utf-8") == "outer\n"


def test_a_lone_carriage_return_inside_a_jsonl_record_is_no_line_break(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl").write_bytes(b'{"n": 1,\r"text": "x"}\n{"text": "Source link"}\n')
    assert main(["scan", "in", "--select", "BP001", "--format", "jsonl", "--no-cache", "-q"]) == 0
    out = capsys.readouterr()
    assert "malformed" not in out.err
    assert [json.loads(line)["doc"] for line in out.out.splitlines()] == ["a.jsonl#2"]


def test_a_malformed_line_that_is_not_utf8_is_copied_byte_for_byte(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    raw = b'{"text": caf\xe9 broken\n{"text": "Source link"}\n'
    (tmp_path / "in" / "a.jsonl").write_bytes(raw)
    assert main(["apply", "in", "--out", "out", "--auto", "--no-cache", "-q"]) == 2
    assert (tmp_path / "out" / "a.jsonl").read_bytes() == b'{"text": caf\xe9 broken\n{"text": ""}\n'


def test_output_files_get_the_usual_permissions(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("Body.\n", encoding="utf-8")
    old = os.umask(0o022)
    try:
        assert main(["apply", "in", "--out", "out", "--auto", "--no-cache", "-q"]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out" / "a.txt").stat().st_mode) == 0o644


def test_a_binary_jsonl_file_is_never_written_in_part(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    lines = [b'{"id": %d, "text": "Line %d."}\n' % (n, n) for n in range(60)]
    lines[0] = b'{"id": 0, "text": "\x00"}\n'
    (folder / "b.jsonl").write_bytes(b"".join(lines))
    units = plan(discover([str(folder)]), chunk_bytes=200)
    assert len(units) == 1  # a binary file is not cut into chunks
    problems: list[str] = []
    scanner = Scanner(load_rules(), select=["BP001"])
    step = ApplyStep({}, Options(), True, False)
    write_corpus(run(scanner, units, Options(), step), tmp_path / "out", auto=True, unsafe=False,
                 inputs=[str(folder)], rules_version="", problems=problems)
    assert not (tmp_path / "out" / "b.jsonl").exists()
    assert any("binary" in p for p in problems)


def test_cache_keys_depend_on_source_and_encoding():
    base = Document("a.txt", "same text", "a.txt", "site1", "utf-8")
    assert cache_key("c", base) != cache_key("c", Document("a.txt", "same text", "a.txt", "site2", "utf-8"))
    assert cache_key("c", base) != cache_key("c", Document("a.txt", "same text", "a.txt", "site1", "cp1252"))
    assert cache_key("c", base) == cache_key("c", Document("b.txt", "same text", "b.txt", "site1", "utf-8"))


def test_a_record_id_with_a_lone_surrogate_does_not_crash(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl").write_text('{"id": "\\ud800x", "text": "Source link"}\n', encoding="utf-8")
    assert main(["apply", "in", "--out", "out", "--auto", "--no-cache", "-q"]) == 0
    assert json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))["totals"]["documents"] == 1
    assert main(["scan", "in", "--no-cache", "-q"]) == 0
    assert "BP001" in capsys.readouterr().out


def test_a_duplicate_id_in_another_chunk_of_a_large_jsonl_file_is_renamed(tmp_path, monkeypatch, capsys):
    from cleaner import corpus

    monkeypatch.chdir(tmp_path)
    lines = [json.dumps({"id": f"r{n}", "text": f"Record {n} says hello.\n"}) for n in range(40)]
    lines[30] = json.dumps({"id": "r3", "text": "A second record with the id r3.\n"})
    lines[38] = json.dumps({"id": "31", "text": "A record whose id is the line the renamed one took.\n"})
    (tmp_path / "big.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(corpus, "plan", lambda files, chunk_bytes=200: plan(files, chunk_bytes=200))
    assert len(corpus.plan(corpus.discover(["big.jsonl"]))) > 3  # the two r3 records are in different chunks
    for cache in (["--no-cache"], ["--cache", "c"], ["--cache", "c"]):
        status = main(["apply", "big.jsonl", "--out", "out", "--auto", "-q", *cache])
        err = capsys.readouterr().err
        assert status == 2 and "big.jsonl:31: duplicate id 'r3' (also on line 4); this record is named big.jsonl#31" in err
        assert "big.jsonl:39: duplicate id '31' (also on line 31); this record is named big.jsonl#39" in err
    out = [json.loads(line) for line in (tmp_path / "out" / "big.jsonl").read_text(encoding="utf-8").splitlines()]
    assert out[30]["text"] == "A second record with the id r3.\n" and out[3]["text"] == "Record 3 says hello.\n"


def test_an_edit_that_changes_nothing_is_no_finding():
    # ftfy decodes "&amp;" and keeps the unknown "&nTILDE;" beside it: only the first is a change
    scanner = Scanner(load_rules(), select=["UN"])
    found = scanner.scan_document(Document("a.txt", "Fish &amp;&nTILDE; chips.\n", "a.txt"))
    assert [(f.original, f.replacement) for f in found] == [("&amp;", "&")]
