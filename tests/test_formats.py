"""Compressed JSONL and text (gzip, zstd) and Parquet corpora: read and written back in their own
format, every record handled as the plain JSONL of the same records would be."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import sys
from pathlib import Path

import pytest
from clirun import run_lines as run

from cleaner.corpus import Options, discover, load, plan, value_span

zstandard = pytest.importorskip("zstandard")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "corpus"


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def sample_records() -> list[dict]:
    """The sample corpus as records with findings of every kind, and fields of their own."""
    records = []
    for k, path in enumerate(sorted(SAMPLE.glob("*.txt"))):
        records.append({"id": path.stem[:3], "text": path.read_text(encoding="utf-8"),
                        "source": "site-a" if k % 2 else "site-b", "n": k * 1.5, "tags": ["x", str(k)]})
    return records


def jsonl_bytes(records: list[dict], extra: bytes = b"") -> bytes:
    """JSONL whose other bytes are not json.dumps's own: key order, spacing, escapes, a malformed line."""
    lines = []
    for k, r in enumerate(records):
        rest = json.dumps({key: v for key, v in r.items() if key != "text"})[1:-1]
        text = json.dumps(r["text"], ensure_ascii=bool(k % 2))
        lines.append(f'{{ {rest},   "text" :{text}, "note": "caf\\u00e9 1.50"}}\n'.encode())
    lines.insert(2, b"{not json\n")
    return b"".join(lines) + extra


def zstd(data: bytes) -> bytes:
    return zstandard.ZstdCompressor().compress(data)


def unzstd(data: bytes) -> bytes:
    with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data), read_across_frames=True) as r:
        return r.read()


COMPRESSORS = {"gz": (gzip.compress, gzip.decompress), "zst": (zstd, unzstd)}


def scan_jsonl(capsys, folder: str, *flags: str) -> tuple[int, list[dict], list[str]]:
    status, out, err = run(capsys, "scan", folder, "--format", "jsonl", "--no-cache", "-q", *flags)
    return status, [json.loads(line) for line in out.splitlines()], err


def renamed(findings: list[dict], name: str, as_name: str) -> list[dict]:
    """The findings with the file's name replaced (and the id, which hashes the name, left out)."""
    out = []
    for f in findings:
        f = dict(f)
        f.pop("id")
        assert f["doc"].startswith(name + "#")
        f["doc"] = as_name + f["doc"][len(name):]
        out.append(f)
    return out


# ---------------------------------------------------------------- .jsonl.gz, .jsonl.zst


@pytest.mark.parametrize("ext", ["gz", "zst"])
def test_compressed_jsonl_scans_as_the_plain_jsonl(work, capsys, ext):
    data = jsonl_bytes(sample_records())
    (work / "plain").mkdir()
    (work / "plain" / "news.jsonl").write_bytes(data)
    (work / "packed").mkdir()
    (work / "packed" / f"news.jsonl.{ext}").write_bytes(COMPRESSORS[ext][0](data))
    status_a, plain, err_a = scan_jsonl(capsys, "plain")
    status_b, packed, err_b = scan_jsonl(capsys, "packed")
    assert len(plain) > 40 and {f["doc"] for f in plain} == {f"news.jsonl#{k:03d}" for k in range(5)}
    assert {f["doc"].split("#")[0] for f in packed} == {f"news.jsonl.{ext}"}
    assert renamed(packed, f"news.jsonl.{ext}", "news.jsonl") == renamed(plain, "news.jsonl", "news.jsonl")
    # the malformed line: same line number, same message, exit 2 for both
    assert status_a == status_b == 2
    assert err_a == ["cleaner: plain/news.jsonl:3: malformed JSON (Expecting property name enclosed in "
                     "double quotes); copied unchanged"]
    assert err_b == [line.replace("plain/news.jsonl", f"packed/news.jsonl.{ext}") for line in err_a]


@pytest.mark.parametrize("ext", ["gz", "zst"])
def test_compressed_jsonl_is_written_compressed_with_other_bytes_unchanged(work, capsys, ext):
    pack, unpack = COMPRESSORS[ext]
    data = jsonl_bytes(sample_records())
    for folder, name, content in (("plain", "news.jsonl", data), ("packed", f"news.jsonl.{ext}", pack(data))):
        (work / folder / "sub").mkdir(parents=True)
        (work / folder / "sub" / name).write_bytes(content)
        status, _, _ = run(capsys, "apply", folder, "--auto", "--out", f"out-{folder}", "--db", "d.db", "-q")
        assert status == 2  # the malformed line
    plain_out = (work / "out-plain" / "sub" / "news.jsonl").read_bytes()
    packed_out = (work / "out-packed" / "sub" / f"news.jsonl.{ext}").read_bytes()
    assert packed_out[:4] == pack(b"")[:4]  # compressed as the input
    assert unpack(packed_out) == plain_out != data
    before, after = data.decode().splitlines(True), unpack(packed_out).decode().splitlines(True)
    assert len(before) == len(after) and before[2] == after[2] == "{not json\n"
    changed = 0
    for a, b in zip(before, after, strict=True):
        if a == b:
            continue
        changed += 1
        sa, sb = value_span(a, "text"), value_span(b, "text")
        assert a[: sa[0]] == b[: sb[0]] and a[sa[1] :] == b[sb[1] :]  # every other byte as it was
        assert json.loads(a)["text"] != json.loads(b)["text"]
    assert changed == 5
    manifest = json.loads((work / "out-packed" / "manifest.json").read_text())
    assert [d["doc"] for d in manifest["documents"]] == [f"sub/news.jsonl.{ext}#{k:03d}" for k in range(5)]
    assert {d["output"] for d in manifest["documents"]} == {f"sub/news.jsonl.{ext}"}
    # the same bytes every run (no time stamp in the gzip header), nothing left in the staging folder
    run(capsys, "apply", "packed", "--auto", "--out", "again", "--db", "d.db", "-q")
    assert (work / "again" / "sub" / f"news.jsonl.{ext}").read_bytes() == packed_out
    assert not (work / "again" / ".cleaner-partial").exists()


def test_a_compressed_jsonl_file_is_one_unit(work):
    records = sample_records() * 20
    data = jsonl_bytes(records)
    (work / "big.jsonl").write_bytes(data)
    (work / "big.jsonl.gz").write_bytes(gzip.compress(data))
    (work / "big.jsonl.zst").write_bytes(zstd(data))
    assert (work / "big.jsonl.zst").stat().st_size > 3 * 2048
    units = plan(discover([str(work)]), chunk_bytes=2048)  # chunks far smaller than either file
    assert [(u.source.rel, u.parts) for u in units if u.part == 0] == [
        ("big.jsonl", len(units) - 2), ("big.jsonl.gz", 1), ("big.jsonl.zst", 1)]
    assert len(units) > 10
    assert units[-1].size == (work / "big.jsonl.zst").stat().st_size
    problems: list[str] = []
    gz = load(units[-2].source, Options(), problems, units[-2])
    plain = load(units[0].source, Options(), problems)  # the whole file at once
    assert len(gz.documents) == len(records)
    assert [(d.doc.replace(".gz", ""), d.text) for d in gz.documents] == [
        (d.doc, d.text) for d in plain.documents]


@pytest.mark.parametrize("ext", ["gz", "zst"])
def test_compressed_text_files_are_read_and_written_back(work, capsys, ext):
    pack, unpack = COMPRESSORS[ext]
    shutil.copytree(SAMPLE, "plain")
    (work / "packed").mkdir()
    for path in sorted(Path("plain").glob("*.txt")):
        (work / "packed" / f"{path.name}.{ext}").write_bytes(pack(path.read_bytes()))
    _, plain, _ = scan_jsonl(capsys, "plain")
    status, packed, err = scan_jsonl(capsys, "packed")
    assert status == 0 and err == []
    assert [dict(f, id=None, doc=f["doc"].replace(f".{ext}", "")) for f in packed] == [
        dict(f, id=None) for f in plain]
    run(capsys, "apply", "plain", "--auto", "--out", "out-plain", "--db", "d.db", "-q")
    run(capsys, "apply", "packed", "--auto", "--out", "out-packed", "--db", "d.db", "-q")
    for path in sorted(Path("out-plain").glob("0*.txt")):
        assert unpack((work / "out-packed" / f"{path.name}.{ext}").read_bytes()) == path.read_bytes()


def test_zstd_frames_without_sizes_and_concatenated_gzip_members_are_read_whole(work):
    data = jsonl_bytes(sample_records())
    buf = io.BytesIO()
    with zstandard.ZstdCompressor().stream_writer(buf, closefd=False) as w:  # no content size in the header
        w.write(data[:1000])
        w.flush(zstandard.FLUSH_FRAME)
        w.write(data[1000:])
    (work / "a.jsonl.zst").write_bytes(buf.getvalue())
    (work / "b.jsonl.gz").write_bytes(gzip.compress(data[:500]) + gzip.compress(data[500:]))
    for name in ("a.jsonl.zst", "b.jsonl.gz"):
        problems: list[str] = []
        (source,) = discover([name])
        loaded = load(source, Options(), problems)
        assert len(loaded.documents) == 5 and len(problems) == 1, problems  # (the malformed line)


def test_a_broken_compressed_file_is_one_line_and_the_rest_is_processed(work, capsys):
    (work / "c").mkdir()
    (work / "c" / "a.txt").write_text("Kiev is a city.\n", encoding="utf-8")
    (work / "c" / "cut.jsonl.gz").write_bytes(gzip.compress(jsonl_bytes(sample_records()))[:300])
    (work / "c" / "fake.jsonl.zst").write_bytes(b'{"text": "plain, not zstd"}\n')
    status, out, err = run(capsys, "scan", "c", "--no-cache", "-q")
    assert status == 2
    assert "c/a.txt:1:1: NM001" in out and "cut.jsonl.gz" not in out
    assert len(err) == 2 and not any("Traceback" in line for line in err)
    assert err[0].startswith("cleaner: c/cut.jsonl.gz: cannot decompress (gzip: ")
    assert err[0].endswith("; skipped")
    assert err[1].startswith("cleaner: c/fake.jsonl.zst: cannot decompress (zstd: ")
    status, _, _ = run(capsys, "apply", "c", "--auto", "--out", "out", "--db", "d.db", "-q")
    assert status == 2 and sorted(p.name for p in (work / "out").iterdir() if not p.name.startswith(".")) == [
        "a.txt", "changes.txt", "manifest.json"]


# ---------------------------------------------------------------- Parquet


def parquet_table(records: list[dict], id_nullable: bool = False):
    """The records as a table with columns of many types and metadata of its own."""
    schema = pa.schema(
        [pa.field("id", pa.string(), nullable=id_nullable),
         pa.field("text", pa.large_string(), metadata={"k": "v"}),
         pa.field("source", pa.string()), pa.field("n", pa.float32()),
         pa.field("tags", pa.list_(pa.string())),
         pa.field("meta", pa.struct([("a", pa.int64()), ("b", pa.string())])),
         pa.field("when", pa.timestamp("ns", tz="UTC"))],
        metadata={"origin": "test"},
    )
    columns = {name: [r[name] for r in records] for name in ("id", "text", "source", "n", "tags")}
    columns["meta"] = [{"a": k, "b": None} for k in range(len(records))]
    columns["when"] = [1_700_000_000_000_000_001 + k for k in range(len(records))]
    return pa.table(columns, schema=schema)


def write_parquet(path: Path, table, row_group_size: int | None = None, compression: str = "zstd") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, row_group_size=row_group_size, compression=compression)


def plain_jsonl(path: Path, records: list[dict], keys=("id", "text", "source")) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({k: r[k] for k in keys if k in r}) + "\n" for r in records]
    path.write_text("".join(lines), encoding="utf-8")


def test_parquet_scans_as_the_plain_jsonl_of_its_rows(work, capsys):
    records = sample_records()
    plain_jsonl(work / "plain" / "news.jsonl", records)
    write_parquet(work / "pq" / "news.parquet", parquet_table(records))
    _, plain, _ = scan_jsonl(capsys, "plain")
    status, found, err = scan_jsonl(capsys, "pq")
    assert status == 0 and err == []
    assert {f["doc"] for f in found} == {f"news.parquet#{k:03d}" for k in range(5)}
    assert len(plain) > 40
    assert renamed(found, "news.parquet", "news.jsonl") == renamed(plain, "news.jsonl", "news.jsonl")
    status, out, _ = run(capsys, "scan", "pq", "--no-cache", "-q")
    assert "pq/news.parquet#000:5:37: NM001" in out


@pytest.mark.parametrize("codec", ["zstd", "snappy", "none"])
def test_parquet_apply_changes_only_the_text_column(work, capsys, codec):
    records = sample_records()
    table = parquet_table(records)
    plain_jsonl(work / "plain" / "news.jsonl", records)
    write_parquet(work / "pq" / "news.parquet", table, row_group_size=2, compression=codec)
    run(capsys, "apply", "plain", "--auto", "--out", "out-plain", "--db", "d.db", "-q")
    status, _, err = run(capsys, "apply", "pq", "--auto", "--out", "out-pq", "--db", "d.db", "-q")
    assert status == 0 and err == []
    lines = (work / "out-plain" / "news.jsonl").read_text().splitlines()
    cleaned = [json.loads(line)["text"] for line in lines]
    source = pq.ParquetFile(work / "pq" / "news.parquet")
    out = pq.ParquetFile(work / "out-pq" / "news.parquet")
    assert out.schema_arrow.equals(source.schema_arrow, check_metadata=True)
    assert out.schema_arrow.field("text").metadata == {b"k": b"v"}
    assert out.metadata.num_row_groups == source.metadata.num_row_groups == 3
    assert [out.metadata.row_group(k).num_rows for k in range(3)] == [2, 2, 1]
    assert out.metadata.row_group(0).column(1).compression == codec.upper().replace("NONE", "UNCOMPRESSED")
    result = out.read()
    for name in table.column_names:
        if name != "text":
            assert result.column(name).equals(table.column(name)), name
    assert result.column("text").to_pylist() == cleaned
    assert cleaned != [r["text"] for r in records]
    manifest = json.loads((work / "out-pq" / "manifest.json").read_text())
    assert [d["doc"] for d in manifest["documents"]] == [f"news.parquet#{k:03d}" for k in range(5)]


def test_parquet_row_groups_are_units_with_the_findings_of_one(work, capsys):
    records = [dict(r) for r in sample_records() * 3]
    for k, r in enumerate(records):
        r["id"] = None if k % 4 == 0 else f"{k:02d}"  # some rows named by their row number
    table = parquet_table(records, id_nullable=True)
    write_parquet(work / "one" / "news.parquet", table)
    write_parquet(work / "many" / "news.parquet", table, row_group_size=4)
    units = plan(discover(["many"]))
    assert [(u.part, u.parts, u.first_line) for u in units] == [(0, 4, 1), (1, 4, 5), (2, 4, 9), (3, 4, 13)]
    assert sum(u.size for u in units) > 0
    assert len(plan(discover(["one"]))) == 1
    _, one, _ = scan_jsonl(capsys, "one")
    _, many, _ = scan_jsonl(capsys, "many", "-j", "2")
    assert len(one) > 100 and many == one
    assert {"news.parquet#1", "news.parquet#13"} <= {f["doc"] for f in many}
    run(capsys, "apply", "one", "--auto", "--out", "out-one", "--db", "d.db", "-q")
    run(capsys, "apply", "many", "--auto", "--out", "out-many", "--db", "d.db", "-q")
    a = pq.ParquetFile(work / "out-one" / "news.parquet")
    b = pq.ParquetFile(work / "out-many" / "news.parquet")
    assert b.metadata.num_row_groups == 4 and a.metadata.num_row_groups == 1
    assert a.read().equals(b.read())


def test_parquet_rows_without_id_are_named_by_row_and_duplicates_renamed_as_in_jsonl(work, capsys):
    records = [{"text": "Kiev is a city.\n"}, {"id": "a", "text": "Kiev is a city.\n"}, {"text": None},
               {"id": "a", "text": "Kiev again.\n"}, {"id": "", "text": "Kiev.\n"}]
    plain_jsonl(work / "plain" / "x.jsonl", records, keys=("id", "text"))
    table = pa.table({"id": [r.get("id") for r in records], "text": [r["text"] for r in records]})
    write_parquet(work / "pq" / "x.parquet", table, row_group_size=2)
    status_a, plain, err_a = scan_jsonl(capsys, "plain", "--select", "NM001")
    status_b, found, err_b = scan_jsonl(capsys, "pq", "--select", "NM001")
    assert [f["doc"] for f in found] == ["x.parquet#1", "x.parquet#a", "x.parquet#4", "x.parquet#5"]
    assert renamed(found, "x.parquet", "x") == renamed(plain, "x.jsonl", "x")
    assert status_b == 2 and err_b == [
        "cleaner: pq/x.parquet: row 4: duplicate id 'a' (also row 2); this record is named x.parquet#4"]
    assert status_a == 2 and any("duplicate id 'a' (also on line 2)" in line for line in err_a)


def test_parquet_without_a_string_text_column_is_one_line_and_copied(work, capsys):
    (work / "c").mkdir()
    (work / "c" / "a.txt").write_text("Kiev is a city.\n", encoding="utf-8")
    write_parquet(work / "c" / "body.parquet", pa.table({"id": [1, 2, 3], "body": ["Kiev", "x", "y"]}),
                  row_group_size=1)
    write_parquet(work / "c" / "ints.parquet", pa.table({"id": [1], "text": [7]}))
    status, out, err = run(capsys, "scan", "c", "--no-cache", "-q")
    assert status == 2 and "c/a.txt:1:1: NM001" in out and "parquet" not in out
    assert err == [
        "cleaner: c/body.parquet: no column 'text' (columns: id (int64), body (string)); copied unchanged, "
        "use --text-key",
        "cleaner: c/ints.parquet: column 'text' is int64, not a string column (columns: id (int64), "
        "text (int64)); copied unchanged, use --text-key",
    ]
    status, out, err = run(capsys, "scan", "c/body.parquet", "--text-key", "body", "--no-cache", "-q")
    assert status == 0 and "c/body.parquet#1:1:1: NM001" in out
    status, _, err = run(capsys, "apply", "c", "--auto", "--out", "out", "--db", "d.db", "-q")
    assert status == 2 and len(err) == 2
    for name in ("body.parquet", "ints.parquet"):
        a, b = pq.ParquetFile(work / "c" / name), pq.ParquetFile(work / "out" / name)
        assert b.read().equals(a.read()) and b.metadata.num_row_groups == a.metadata.num_row_groups


def test_a_file_that_is_no_parquet_is_one_line(work, capsys):
    (work / "c").mkdir()
    (work / "c" / "a.txt").write_text("Kiev is a city.\n", encoding="utf-8")
    (work / "c" / "bad.parquet").write_bytes(b"PAR1 not really")
    status, out, err = run(capsys, "scan", "c", "--no-cache", "-q")
    assert status == 2 and "c/a.txt:1:1: NM001" in out
    assert len(err) == 1 and err[0].startswith("cleaner: c/bad.parquet: cannot read Parquet (")
    assert err[0].endswith("); skipped")


def test_missing_extras_are_one_line_naming_the_install_command(work, capsys, monkeypatch):
    (work / "c").mkdir()
    (work / "c" / "a.txt").write_text("Kiev is a city.\n", encoding="utf-8")
    write_parquet(work / "c" / "news.parquet", parquet_table(sample_records()))
    (work / "c" / "news.jsonl.zst").write_bytes(zstd(b'{"text": "Kiev."}\n'))
    (work / "c" / "news.jsonl.gz").write_bytes(gzip.compress(b'{"text": "Kiev."}\n'))
    for name in ("pyarrow", "pyarrow.parquet", "zstandard"):
        monkeypatch.setitem(sys.modules, name, None)  # import raises ImportError
    status, out, err = run(capsys, "scan", "c", "--no-cache", "-q")
    assert status == 2
    assert "c/a.txt:1:1: NM001" in out and "c/news.jsonl.gz#1:1:1: NM001" in out
    assert err == [
        "cleaner: c/news.jsonl.zst: reading zstd needs the zstandard package, which is not installed: "
        "pip install zstandard; skipped",
        "cleaner: c/news.parquet: reading Parquet needs pyarrow, which is not installed: "
        "pip install 'cleaner[parquet]' (or pip install pyarrow); skipped",
    ]
    status, _, err = run(capsys, "apply", "c", "--auto", "--out", "out", "--db", "d.db", "-q")
    assert status == 2 and len(err) == 2
    assert sorted(p.name for p in (work / "out").iterdir() if not p.name.startswith(".")) == [
        "a.txt", "changes.txt", "manifest.json", "news.jsonl.gz"]


def test_formats_through_worker_processes(work, capsys, monkeypatch):
    """With -j 2 the rows (a pyarrow Table) and the compressed bytes come back from the workers."""
    monkeypatch.setattr("cleaner.scan.PARALLEL_MIN_BYTES", 0)
    records = sample_records()
    data = jsonl_bytes(records)
    for folder in ("a", "b"):
        write_parquet(work / folder / "news.parquet", parquet_table(records), row_group_size=2)
        (work / folder / "news.jsonl.zst").write_bytes(zstd(data))
        (work / folder / "news.jsonl.gz").write_bytes(gzip.compress(data))
    run(capsys, "apply", "a", "--auto", "--out", "out-1", "--db", "d.db", "-q", "-j", "1", "--no-cache")
    run(capsys, "apply", "b", "--auto", "--out", "out-2", "--db", "d.db", "-q", "-j", "2", "--no-cache")
    for name in ("news.jsonl.zst", "news.jsonl.gz"):
        assert (work / "out-1" / name).read_bytes() == (work / "out-2" / name).read_bytes()
    one, two = pq.read_table(work / "out-1" / "news.parquet"), pq.read_table(work / "out-2" / "news.parquet")
    assert one.equals(two) and one.column("text").to_pylist() != [r["text"] for r in records]


@pytest.mark.parametrize("kind", ["string", "dictionary", "string_view"])
def test_parquet_text_column_of_each_string_type_keeps_its_type(work, capsys, kind):
    types = {"string": pa.string(), "dictionary": pa.dictionary(pa.int32(), pa.string()),
             "string_view": pa.string_view()}
    texts = ["Kiev is a city.\n", None, "Kiev is a city.\n", "Nothing here.\n"]
    table = pa.table({"text": pa.array(texts, type=types[kind]), "k": [1, 2, 3, 4]})
    write_parquet(work / "c" / "x.parquet", table, compression="gzip")
    status, out, err = run(capsys, "scan", "c", "--select", "NM001", "--no-cache", "-q")
    assert status == 0 and err == [] and [line.split(":")[0] for line in out.splitlines()] == [
        "c/x.parquet#1", "c/x.parquet#3"]
    run(capsys, "apply", "c", "--auto", "--out", "out", "--db", "d.db", "-q")
    result = pq.ParquetFile(work / "out" / "x.parquet")
    assert result.schema_arrow.equals(pq.read_schema(work / "c" / "x.parquet"), check_metadata=True)
    assert result.read().column("text").to_pylist() == [
        "Kyiv is a city.\n", None, "Kyiv is a city.\n", "Nothing here.\n"]
    assert result.metadata.row_group(0).column(0).compression == "GZIP"
