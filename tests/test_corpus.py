"""Reading a corpus (folders, files, JSONL) and writing the cleaned copy: bad input never stops a run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cleaner.corpus import CorpusError, Options, atomic_write, check_output_dir, discover, load, render

OPTIONS = Options()


def load_one(path: Path, options: Options = OPTIONS):
    problems: list[str] = []
    (source,) = discover([str(path)])
    return load(source, options, problems), problems


def test_discover_reads_folders_recursively_sorted_and_skips_hidden_and_other_files(tmp_path):
    for name in ["b.txt", "a.md", "sub/c.jsonl", "sub/d.txt", ".hidden/e.txt", ".f.txt", "g.html", "h.json"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x\n", encoding="utf-8")
    files = discover([str(tmp_path)])
    assert [(f.rel, f.kind) for f in files] == [
        ("a.md", "text"),
        ("b.txt", "text"),
        ("sub/c.jsonl", "jsonl"),
        ("sub/d.txt", "text"),
    ]
    assert files[0].display == f"{tmp_path}/a.md"


def test_discover_a_single_file(tmp_path):
    (tmp_path / "one.txt").write_text("x", encoding="utf-8")
    (source,) = discover([str(tmp_path / "one.txt")])
    assert (source.rel, source.display, source.kind) == ("one.txt", str(tmp_path / "one.txt"), "text")


def test_missing_path_is_refused(tmp_path):
    with pytest.raises(CorpusError, match="nowhere: no such file or folder"):
        discover([str(tmp_path / "nowhere")])


def test_text_file_is_one_document(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "a.txt").write_text("Title\n\nBody.\n", encoding="utf-8")
    problems: list[str] = []
    (source,) = discover([str(tmp_path)])
    loaded = load(source, OPTIONS, problems)
    (doc,) = loaded.documents
    assert (doc.doc, doc.path, doc.text, doc.source, doc.encoding) == (
        "site/a.txt",
        "site/a.txt",
        "Title\n\nBody.\n",
        "site",
        "utf-8",
    )
    assert problems == []


def test_invalid_utf8_is_decoded_as_cp1252_and_reported(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("Café “quoted”\n".encode("cp1252"))
    loaded, problems = load_one(path)
    (doc,) = loaded.documents
    assert doc.text == "Café “quoted”\n" and doc.encoding == "cp1252"
    assert problems == [f"{path}: not valid UTF-8; decoded as cp1252"]


def test_bytes_cp1252_cannot_decode_fall_back_to_latin1(tmp_path):
    path = tmp_path / "odd.txt"
    path.write_bytes(b"caf\xe9 \x81")
    loaded, problems = load_one(path)
    assert loaded.documents[0].text == "café \x81" and loaded.documents[0].encoding == "latin-1"


def test_binary_file_is_skipped_with_a_warning(tmp_path):
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    loaded, problems = load_one(path)
    assert loaded.skipped and loaded.documents == []
    assert problems == [f"{path}: binary file (NUL bytes); skipped"]


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_jsonl_records_with_and_without_id(tmp_path):
    path = write_jsonl(
        tmp_path / "feed.jsonl",
        [
            json.dumps({"id": "a1", "text": "First.", "url": "http://x", "source": "site-a"}),
            "",
            json.dumps({"text": "Second.", "n": 2}),
            json.dumps({"id": 7, "text": "Third."}),
        ],
    )
    loaded, problems = load_one(path)
    assert problems == []
    assert [(d.doc, d.text, d.source) for d in loaded.documents] == [
        ("feed.jsonl#a1", "First.", "site-a"),
        ("feed.jsonl#3", "Second.", ""),
        ("feed.jsonl#7", "Third.", ""),
    ]


def test_jsonl_other_keys(tmp_path):
    path = write_jsonl(tmp_path / "feed.jsonl", [json.dumps({"uid": "u", "body": "Text.", "text": 1})])
    loaded, problems = load_one(path, Options(text_key="body", id_key="uid"))
    assert [d.doc for d in loaded.documents] == ["feed.jsonl#u"] and problems == []


def test_malformed_jsonl_lines_are_reported_and_copied_unchanged(tmp_path):
    lines = [
        '{"id": "a", "text": "Kyiv  mayor"}',
        '{"id": "b", "text": broken',
        "[1, 2]",
        '{"id": "c", "title": "no text"}',
        '{"id": "d", "text": "Fine."}',
    ]
    path = write_jsonl(tmp_path / "feed.jsonl", lines)
    loaded, problems = load_one(path)
    assert [d.doc for d in loaded.documents] == ["feed.jsonl#a", "feed.jsonl#d"]
    assert [p.split(": ")[0] for p in problems] == [f"{path}:2", f"{path}:3", f"{path}:4"]
    assert "malformed JSON" in problems[0] and "copied unchanged" in problems[0]
    out = render(loaded, {"feed.jsonl#a": "Kyiv mayor"}, OPTIONS)
    out_lines = out.splitlines()
    assert out_lines[1:] == lines[1:]
    assert json.loads(out_lines[0]) == {"id": "a", "text": "Kyiv mayor"}


def test_jsonl_render_keeps_every_other_field_and_line_endings(tmp_path):
    record = {"meta": {"a": [1, 2.5, None, True]}, "text": "Old  text", "id": "x", "ünï": "ß"}
    path = tmp_path / "feed.jsonl"
    path.write_bytes(
        (json.dumps(record) + "\r\n" + json.dumps({"id": "y", "text": "same"}) + "\r\n").encode()
    )
    loaded, _ = load_one(path)
    out = render(loaded, {"feed.jsonl#x": "Old text", "feed.jsonl#y": "same"}, OPTIONS)
    first, second, rest = out.split("\r\n")
    assert json.loads(first) == {**record, "text": "Old text"}
    assert list(json.loads(first)) == list(record)  # key order kept
    assert second == json.dumps({"id": "y", "text": "same"}) and rest == ""


def test_jsonl_records_with_the_same_id_keep_their_own_text(tmp_path):
    path = write_jsonl(
        tmp_path / "feed.jsonl",
        [json.dumps({"id": "a", "text": "One."}), json.dumps({"id": "a", "text": "Two."})],
    )
    loaded, problems = load_one(path)
    docs = [d.doc for d in loaded.documents]
    assert len(set(docs)) == 2, docs
    assert len(problems) == 1 and "duplicate id 'a'" in problems[0] and f"{path}:2" in problems[0]
    out = render(loaded, {docs[0]: "One!", docs[1]: "Two!"}, OPTIONS)
    assert [json.loads(line)["text"] for line in out.splitlines()] == ["One!", "Two!"]


def test_a_lone_surrogate_in_jsonl_survives_the_write(tmp_path):
    path = write_jsonl(tmp_path / "feed.jsonl", ['{"id": "a", "text": "bad \\ud800 half  pair"}'])
    loaded, _ = load_one(path)
    out = render(loaded, {"feed.jsonl#a": "bad \ud800 half pair"}, OPTIONS)
    atomic_write(tmp_path / "out" / "feed.jsonl", out)
    written = (tmp_path / "out" / "feed.jsonl").read_text(encoding="utf-8")
    assert json.loads(written)["text"] == "bad \ud800 half pair"


def test_atomic_write_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "deep" / "er" / "a.txt"
    atomic_write(target, "one")
    atomic_write(target, "two")
    assert target.read_text(encoding="utf-8") == "two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.txt"]


def test_a_failed_atomic_write_keeps_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "a.txt"
    atomic_write(target, "old")
    with pytest.raises(UnicodeEncodeError):
        atomic_write(target, "new \ud800")  # a lone high surrogate cannot be encoded, even with surrogateescape
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


@pytest.mark.parametrize("out", ["corpus", "corpus/reviewed", "corpus/a/b"])
def test_out_inside_the_input_is_refused(tmp_path, monkeypatch, out):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "corpus").mkdir()
    with pytest.raises(CorpusError, match="inside the input"):
        check_output_dir(Path(out), ["corpus"])


def test_out_next_to_a_single_input_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    with pytest.raises(CorpusError, match="overwrite the input"):
        check_output_dir(Path("."), ["a.txt"])


def test_out_beside_the_input_is_fine(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "corpus").mkdir()
    assert check_output_dir(Path("reviewed"), ["corpus"]) is None


def test_jsonl_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_text("\ufeff" + json.dumps({"id": "a", "text": "One."}) + "\n", encoding="utf-8")
    loaded, problems = load_one(path)
    assert [d.doc for d in loaded.documents] == ["feed.jsonl#a"] and problems == []


def test_large_jsonl_chunks_end_after_a_line_break_and_know_their_first_line(tmp_path):
    import random

    from cleaner.corpus import discover, plan

    def reference(data: bytes, chunk: int) -> list[tuple[int, int, int]]:  # the whole file in memory
        bounds, pos = [0], 0
        while (cut := data.find(b"\n", pos + chunk)) != -1 and cut + 1 < len(data):
            bounds.append(cut + 1)
            pos = cut + 1
        bounds.append(len(data))
        return [(a, b, 1 + data.count(b"\n", 0, a)) for a, b in zip(bounds, bounds[1:])]

    rng = random.Random(3)
    path = tmp_path / "a.jsonl"
    for _ in range(200):
        data = b"".join(b"x" * rng.randint(0, 30) + b"\n" * (rng.random() < 0.9) for _ in range(rng.randint(1, 300)))
        chunk = rng.randint(1, 60)
        if len(data) <= chunk:
            continue
        path.write_bytes(data)
        units = plan(discover([str(path)]), chunk_bytes=chunk)
        assert [(u.start, u.end, u.first_line) for u in units] == reference(data, chunk)
