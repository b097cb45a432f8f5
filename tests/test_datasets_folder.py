"""A `datasets` save_to_disk folder (Arrow stream files, state.json, dataset_info.json) as input:
read with pyarrow (no `datasets` install), handled as the plain JSONL of the same records, written
back in the same layout with only the text column's values changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clirun import run_lines as run

from cleaner import corpus
from cleaner.corpus import discover, plan

pa = pytest.importorskip("pyarrow")

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "corpus"
DATA = "data-00000-of-00001.arrow"


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def records(copies: int = 1) -> list[dict]:
    out = []
    for c in range(copies):
        for k, path in enumerate(sorted(SAMPLE.glob("*.txt"))):
            out.append({"id": f"{c}-{path.stem[:3]}", "text": path.read_text(encoding="utf-8"),
                        "source": "site-a" if k % 2 else "site-b", "n": k + c, "tags": ["x", str(k)]})
    return out


def table_of(rows: list[dict]):
    schema = pa.schema([pa.field("id", pa.string()), pa.field("text", pa.string()), pa.field("source", pa.string()),
                        pa.field("n", pa.int64()), pa.field("tags", pa.list_(pa.string()))],
                       metadata={"huggingface": json.dumps({"info": {"features": {"text": {"dtype": "string"}}}})})
    return pa.table({name: [r.get(name) for r in rows] for name in schema.names}, schema=schema)


def save_to_disk(folder: Path, table, batch_rows: int = 2, files: int = 1) -> None:
    """What datasets' save_to_disk writes: Arrow stream files of record batches, state.json naming
    them, dataset_info.json."""
    folder.mkdir(parents=True)
    names = [f"data-{k:05d}-of-{files:05d}.arrow" for k in range(files)]
    per = -(-table.num_rows // files)
    for k, name in enumerate(names):
        with pa.OSFile(str(folder / name), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
            for batch in table.slice(k * per, per).to_batches(max_chunksize=batch_rows):
                writer.write_batch(batch)
    state = {"_data_files": [{"filename": n} for n in names], "_fingerprint": "0123abcd", "_format_columns": None,
             "_format_kwargs": {}, "_format_type": None, "_output_all_columns": False, "_split": None}
    (folder / "state.json").write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    (folder / "dataset_info.json").write_text('{"citation": "", "description": "test"}', encoding="utf-8")


def read_stream(path: Path):
    with pa.memory_map(str(path)) as source:
        reader = pa.ipc.open_stream(source)
        batches = list(reader)
        return reader.schema, batches


def plain_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({k: r[k] for k in ("id", "text", "source")}) + "\n" for r in rows),
                    encoding="utf-8")


def scan_jsonl(capsys, folder: str, *flags: str) -> tuple[int, list[dict], list[str]]:
    status, out, err = run(capsys, "scan", folder, "--format", "jsonl", "--no-cache", "-q", *flags)
    return status, [json.loads(line) for line in out.splitlines()], err


def renamed(findings: list[dict], name: str) -> list[dict]:
    """The findings with the file part of their doc dropped (and the id, which hashes it)."""
    out = []
    for f in findings:
        f = dict(f)
        f.pop("id")
        assert f["doc"].startswith(name + "#"), f["doc"]
        f["doc"] = f["doc"][len(name):]
        out.append(f)
    return out


def test_a_datasets_folder_scans_as_the_plain_jsonl_of_its_rows(work, capsys):
    rows = records()
    plain_jsonl(work / "plain" / "news.jsonl", rows)
    save_to_disk(work / "ds", table_of(rows))
    _, plain, _ = scan_jsonl(capsys, "plain")
    status, found, err = scan_jsonl(capsys, "ds")
    assert status == 0 and err == []
    assert len(plain) > 40 and {f["doc"] for f in found} == {f"{DATA}#0-{k:03d}" for k in range(5)}
    assert renamed(found, DATA) == renamed(plain, "news.jsonl")
    status, out, err = run(capsys, "scan", "ds", "--no-cache")
    assert f"ds/{DATA}#0-000:5:37: NM001" in out
    assert err[-1] == f"{len(plain)} findings in 1 file"  # state.json and dataset_info.json are no document files


def test_apply_writes_the_same_layout_with_only_the_text_column_changed(work, capsys):
    rows = records()
    table = table_of(rows)
    plain_jsonl(work / "plain" / "news.jsonl", rows)
    save_to_disk(work / "ds", table)
    run(capsys, "apply", "plain", "--auto", "--out", "out-plain", "--db", "d.db", "-q")
    status, out, err = run(capsys, "apply", "ds", "--auto", "--out", "out-ds", "--db", "d.db")
    assert status == 0 and err == []
    assert out.startswith("cleaned 5 documents in 1 file into out-ds/")
    assert sorted(p.name for p in (work / "out-ds").iterdir() if not p.name.startswith(".")) == [
        "changes.txt", DATA, "dataset_info.json", "manifest.json", "state.json"]
    for name in ("state.json", "dataset_info.json"):  # copied byte for byte
        assert (work / "out-ds" / name).read_bytes() == (work / "ds" / name).read_bytes()
    schema_in, batches_in = read_stream(work / "ds" / DATA)
    schema_out, batches_out = read_stream(work / "out-ds" / DATA)
    assert schema_out.equals(schema_in, check_metadata=True) and b"huggingface" in schema_out.metadata
    assert [b.num_rows for b in batches_out] == [b.num_rows for b in batches_in] == [2, 2, 1]
    result = pa.Table.from_batches(batches_out)
    for name in table.column_names:
        if name != "text":
            assert result.column(name).equals(table.column(name)), name
    cleaned = [json.loads(line)["text"] for line in (work / "out-plain" / "news.jsonl").read_text().splitlines()]
    assert result.column("text").to_pylist() == cleaned != [r["text"] for r in rows]
    manifest = json.loads((work / "out-ds" / "manifest.json").read_text())
    assert [d["doc"] for d in manifest["documents"]] == [f"{DATA}#0-{k:03d}" for k in range(5)]


def test_record_batches_are_units_and_rows_are_numbered_across_the_file(work, capsys, monkeypatch):
    rows = records(copies=3)
    for k, r in enumerate(rows):
        r["id"] = None if k % 4 == 0 else f"{k:02d}"  # some rows named by their row number
    save_to_disk(work / "one" / "ds", table_of(rows), batch_rows=100)
    save_to_disk(work / "many" / "ds", table_of(rows), batch_rows=2)
    units = [u for u in plan(discover(["many"]), chunk_bytes=20_000) if u.source.kind == "arrow"]
    assert len(units) > 2 and [u.part for u in units] == list(range(len(units)))
    assert units[0].first_line == 1 and units[1].first_line == 1 + units[1].start * 2
    assert sum(u.end - u.start for u in units) == 8  # every batch in one unit
    monkeypatch.setattr(corpus, "plan", lambda files, chunk_bytes=20_000: plan(files, chunk_bytes=chunk_bytes))
    _, one, _ = scan_jsonl(capsys, "one")
    _, many, _ = scan_jsonl(capsys, "many", "-j", "2")
    assert len(one) > 100 and renamed(many, f"ds/{DATA}") == renamed(one, f"ds/{DATA}")
    assert {f"ds/{DATA}#1", f"ds/{DATA}#13"} <= {f["doc"] for f in many}
    run(capsys, "apply", "one", "--auto", "--out", "out-one", "--db", "d.db", "-q")
    run(capsys, "apply", "many", "--auto", "--out", "out-many", "--db", "d.db", "-q")
    _, a = read_stream(work / "out-one" / "ds" / DATA)
    _, b = read_stream(work / "out-many" / "ds" / DATA)
    assert [x.num_rows for x in b] == [2] * 7 + [1] and pa.Table.from_batches(a).equals(pa.Table.from_batches(b))


def test_a_dataset_dict_keeps_its_splits(work, capsys):
    rows = records(copies=2)
    (work / "dd").mkdir()
    save_to_disk(work / "dd" / "train", table_of(rows[:6]), files=2)
    save_to_disk(work / "dd" / "test", table_of(rows[6:]))
    (work / "dd" / "dataset_dict.json").write_text('{"splits": ["train", "test"]}', encoding="utf-8")
    status, out, err = run(capsys, "apply", "dd", "--auto", "--out", "out", "--db", "d.db")
    assert status == 0 and err == [] and " in 3 files into out/" in out.splitlines()[0]
    written = sorted(p.relative_to(work / "out").as_posix() for p in (work / "out").rglob("*") if p.is_file() and ".cache" not in p.parts)
    assert written == ["changes.txt", "dataset_dict.json", "manifest.json",
                       f"test/{DATA}", "test/dataset_info.json", "test/state.json",
                       "train/data-00000-of-00002.arrow", "train/data-00001-of-00002.arrow",
                       "train/dataset_info.json", "train/state.json"]
    manifest = json.loads((work / "out" / "manifest.json").read_text())
    assert manifest["documents"][0]["doc"] == "test/data-00000-of-00001.arrow#1-001"


def test_an_arrow_file_without_the_text_column_is_one_line_and_copied(work, capsys):
    rows = records()
    save_to_disk(work / "ds", table_of(rows).rename_columns(["id", "body", "source", "n", "tags"]))
    status, out, err = run(capsys, "apply", "ds", "--auto", "--out", "out", "--db", "d.db", "-q")
    assert status == 2 and err == [
        f"cleaner: ds/{DATA}: no column 'text' (columns: id (string), body (string), source (string), n (int64), "
        "tags (list<item: string>)); copied unchanged, use --text-key"]
    before, after = read_stream(work / "ds" / DATA), read_stream(work / "out" / DATA)
    assert after[0].equals(before[0], check_metadata=True)
    assert [b.num_rows for b in after[1]] == [b.num_rows for b in before[1]] == [2, 2, 1]
    assert pa.Table.from_batches(after[1]).equals(pa.Table.from_batches(before[1]))
    status, out, _ = run(capsys, "scan", "ds", "--text-key", "body", "--no-cache", "-q")
    assert status == 0 and f"ds/{DATA}#0-000:5:37: NM001" in out


def test_an_ipc_file_is_written_back_as_an_ipc_file_and_a_broken_one_is_one_line(work, capsys):
    rows = records()
    plain_jsonl(work / "plain" / "news.jsonl", rows)
    (work / "c").mkdir()
    with pa.OSFile(str(work / "c" / "x.arrow"), "wb") as sink, pa.ipc.new_file(sink, table_of(rows).schema) as w:
        w.write_table(table_of(rows), max_chunksize=3)
    (work / "c" / "bad.arrow").write_bytes(b"\xff\xff\xff\xffnot arrow at all")
    run(capsys, "apply", "plain", "--auto", "--out", "out-plain", "--db", "d.db", "-q")
    status, _, err = run(capsys, "apply", "c", "--auto", "--out", "out", "--db", "d.db", "-q")
    assert status == 2 and len(err) == 1 and err[0].startswith("cleaner: c/bad.arrow: cannot read Arrow (")
    assert not (work / "out" / "bad.arrow").exists()
    reader = pa.ipc.open_file(str(work / "out" / "x.arrow"))
    assert reader.num_record_batches == 2 and reader.schema.equals(table_of(rows).schema, check_metadata=True)
    cleaned = [json.loads(line)["text"] for line in (work / "out-plain" / "news.jsonl").read_text().splitlines()]
    assert reader.read_all().column("text").to_pylist() == cleaned
