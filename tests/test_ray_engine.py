"""`--engine ray`: the same findings and the same cleaned corpus as `--jobs 1`, on a Ray started once
for the module with 2 CPUs (cold cache, warm cache, after an edit; with tasks finishing out of
order; with a unit that fails and a worker that dies)."""

from __future__ import annotations

import gzip
import json
import logging
import operator
import os
import sys
from pathlib import Path

import pytest

import cleaner.engines
from cleaner import corpus
from cleaner.cli import main
from cleaner.corpus import plan
from cleaner.engines.ray import TEST_HOOK, RayEngine

ray = pytest.importorskip("ray")

ROOT = Path(__file__).resolve().parent.parent
RULES = str(ROOT / "rules")
SAMPLE = sorted((ROOT / "corpus").glob("*.txt"))
CHUNK = 16_000  # the JSONL file below is cut into several chunks of about this many bytes


@pytest.fixture(scope="module", autouse=True)
def cluster():
    """One local Ray for the module (the engine uses a Ray already started and leaves it running)."""
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    yield
    ray.shutdown()


@pytest.fixture
def engines(monkeypatch):
    """The engines the command line opened in a test, to look at what they did."""
    opened: list = []
    open_engine = cleaner.engines.open_engine

    def recording(*args, **kwargs):
        opened.append(open_engine(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(cleaner.engines, "open_engine", recording)
    return opened


@pytest.fixture
def news(tmp_path, monkeypatch):
    """A corpus of several sources: two folders of text files, a JSONL file of three sources cut into
    chunks, a gzipped JSONL file, a datasets folder (with pyarrow); a short line recurs within each
    source (learned boilerplate)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(corpus, "plan", lambda files, chunk_bytes=CHUNK: plan(files, chunk_bytes=chunk_bytes))
    for site, tail in (("site-a", "Filed from the harbour desk"), ("site-b", "Share this story")):
        folder = tmp_path / "news" / site
        folder.mkdir(parents=True)
        for k in range(6):
            text = SAMPLE[k % 5].read_text(encoding="utf-8").replace("Kyiv", "Kiev")
            (folder / f"{k:02d}.txt").write_text(f"{text}\nStory {site} {k}.\n\n{tail}\n", encoding="utf-8")
    lines = [json.dumps({"id": f"r{n}", "source": f"feed-{n % 3}",
                         "text": SAMPLE[n % 5].read_text(encoding="utf-8") + f"\nRecord {n}.\n\nFollow us\n"})
             for n in range(24)]
    (tmp_path / "news" / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "news" / "old.jsonl.gz").write_bytes(gzip.compress(("\n".join(lines[:4]) + "\n").encode()))
    try:
        import pyarrow as pa
    except ImportError:
        pa = None
    if pa is not None:  # the rows of a datasets folder come back from the tasks as pyarrow tables
        (tmp_path / "news" / "ds").mkdir()
        table = pa.table({"id": [f"d{n}" for n in range(6)], "n": list(range(6)),
                          "text": [json.loads(line)["text"] for line in lines[6:12]]})
        with pa.OSFile(str(tmp_path / "news" / "ds" / "data-00000-of-00001.arrow"), "wb") as sink:
            with pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table, max_chunksize=2)
        (tmp_path / "news" / "ds" / "state.json").write_text(
            '{"_data_files": [{"filename": "data-00000-of-00001.arrow"}]}', encoding="utf-8")
        import pyarrow.parquet as pq

        pq.write_table(table, tmp_path / "news" / "rows.parquet", row_group_size=3)
    units = corpus.plan(corpus.discover(["news"]))
    assert sum(u.source.rel == "feed.jsonl" for u in units) > 3  # chunked
    return tmp_path / "news"


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    status = main([*argv, "--rules", RULES])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def scan(capsys, *flags: str) -> str:
    status, out, err = cli(capsys, "scan", "news", "--format", "jsonl", "-q", *flags)
    assert status == 0 and err == "", err
    return out


def both(capsys, engines, n: int) -> tuple[str, str]:
    """The scan with --jobs 1 and with --engine ray, each with its own cache; the Ray engine's stats."""
    local = scan(capsys, "--jobs", "1", "--cache", "cache-local")
    remote = scan(capsys, "--engine", "ray", "--cache", "cache-ray")
    assert len(engines) == 2 * n and isinstance(engines[-1], RayEngine)
    return local, remote


def test_ray_findings_are_byte_identical_cold_warm_and_after_edits(news, capsys, engines):
    local, remote = both(capsys, engines, 1)
    assert len(local.splitlines()) > 300 and remote == local
    assert '"BP022"' in local or '"BP023"' in local  # the corpus-wide statistics matter here
    cold_tasks = engines[-1].tasks
    local, remote = both(capsys, engines, 2)  # warm: every unit's output from the driver's cache
    assert remote == local and engines[-1].tasks < cold_tasks
    before = local.count('"doc": "site-a/03.txt"')
    path = news / "site-a" / "03.txt"  # one document
    path.write_text(path.read_text(encoding="utf-8").replace("Story", "Kiev story"), encoding="utf-8")
    local, remote = both(capsys, engines, 3)
    assert remote == local and local.count('"doc": "site-a/03.txt"') == before + 1
    feed = news / "feed.jsonl"  # one record of a chunk of the JSONL file: 1 of 36 documents here
    lines = feed.read_text(encoding="utf-8").splitlines(True)
    lines[13] = lines[13].replace("Record 13.", "Record 13 from Kiev.")
    feed.write_text("".join(lines), encoding="utf-8")
    local, remote = both(capsys, engines, 4)
    assert remote == local and '"doc": "feed.jsonl#r13"' in local
    assert local == scan(capsys, "--jobs", "1", "--no-cache")


def test_ray_apply_writes_what_jobs_1_writes(news, capsys, engines):
    status, out_local, _ = cli(capsys, "apply", "news", "--auto", "--out", "out-local", "--db", "d.db", "-j", "1")
    status_ray, out_ray, err = cli(capsys, "apply", "news", "--auto", "--out", "out-ray", "--db", "d.db",
                                   "--engine", "ray")
    assert status == status_ray == 0 and err == ""
    assert out_ray == out_local.replace("out-local", "out-ray") and "applied" in out_ray
    assert_same_folders(Path("out-local"), Path("out-ray"))


def assert_same_folders(a: Path, b: Path) -> None:
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file() and ".cache" not in p.parts)
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file() and ".cache" not in p.parts)
    assert Path("feed.jsonl") in files and len(files) > 10
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        pass
    else:
        assert {Path("ds/data-00000-of-00001.arrow"), Path("ds/state.json"), Path("rows.parquet")} <= set(files)
    for rel in files:
        if rel.name == "manifest.json":
            left, right = (json.loads((root / rel).read_text(encoding="utf-8")) for root in (a, b))
            assert left.pop("created") and right.pop("created")
            assert left == right
        else:
            assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_tasks_finishing_out_of_order_change_nothing(news, capsys, engines, monkeypatch):
    local = scan(capsys, "--jobs", "1", "--no-cache")
    cli(capsys, "apply", "news", "--auto", "--out", "out-local", "--db", "d.db", "-j", "1", "-q")
    monkeypatch.setenv(TEST_HOOK, "delay=0.08")
    assert scan(capsys, "--engine", "ray", "--no-cache") == local
    assert engines[-1].out_of_order > 0  # some tasks did finish before earlier ones
    status, _, err = cli(capsys, "apply", "news", "--auto", "--out", "out-ray", "--db", "d.db", "--engine", "ray",
                         "-q")
    assert status == 0 and err == "" and engines[-1].out_of_order > 0
    assert_same_folders(Path("out-local"), Path("out-ray"))


def test_the_ordered_map_keeps_input_order_with_a_bounded_window(monkeypatch):
    monkeypatch.setenv(TEST_HOOK, "delay=0.02")
    engine = RayEngine(2)
    assert not engine.started  # the module's Ray: used, left running
    items = list(range(200))
    assert list(engine.map(operator.neg, items, [], len)) == [-x for x in items]
    assert engine.tasks == 200 // 6 + 1 and engine.out_of_order > 0  # batches of 200 // (2 CPUs * 16)
    results = engine.map(operator.neg, items, [], len)
    assert next(results) == 0
    results.close()  # (Ctrl-C) the outstanding tasks are cancelled: nothing more is submitted
    assert engine.tasks == 200 // 6 + 1 + 6  # the window: 3 tasks per CPU


def test_a_unit_that_fails_twice_is_reported_and_the_rest_finishes(news, capsys, engines, monkeypatch):
    local = scan(capsys, "--jobs", "1", "--no-cache")
    monkeypatch.setenv(TEST_HOOK, "fail=observe:site-b/02.txt")
    status, out, err = cli(capsys, "scan", "news", "--format", "jsonl", "-q", "--engine", "ray", "--no-cache")
    assert status == 2 and err == (
        "cleaner: news/site-b/02.txt: failed twice on the Ray cluster (RuntimeError: test hook: observe fails on "
        "site-b/02.txt); skipped\n")
    docs = {json.loads(line)["doc"] for line in out.splitlines()}
    assert "site-b/02.txt" not in docs and docs == {json.loads(line)["doc"] for line in local.splitlines()} - {
        "site-b/02.txt"}
    # in the scan phase, in a chunk of the JSONL file: the file is not written, the rest is
    monkeypatch.setenv(TEST_HOOK, "fail=scan:feed.jsonl")
    status, out, err = cli(capsys, "apply", "news", "--auto", "--out", "out", "--db", "d.db", "--engine", "ray", "-q")
    assert status == 2 and err.startswith("cleaner: news/feed.jsonl (part 1 of ")
    assert "failed twice on the Ray cluster (RuntimeError: test hook: scan fails on feed.jsonl); skipped" in err
    assert not Path("out/feed.jsonl").exists() and Path("out/site-b/02.txt").exists()
    assert Path("out/manifest.json").exists() and Path("out/old.jsonl.gz").exists()


def test_a_worker_that_dies_is_retried(news, capsys, engines, monkeypatch, tmp_path):
    local = scan(capsys, "--jobs", "1", "--no-cache")
    marker = tmp_path / "died"
    monkeypatch.setenv(TEST_HOOK, f"exit=scan:site-a/04.txt:{marker}")
    assert scan(capsys, "--engine", "ray", "--no-cache") == local
    assert marker.exists()  # the worker did exit once, and Ray ran the task again


def test_without_ray_one_line_names_the_extra(news, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    status, out, err = cli(capsys, "scan", "news", "--engine", "ray")
    assert status == 2 and out == "" and err == (
        "cleaner: --engine ray needs ray, which is not installed: pip install 'cleaner[ray]'\n")
    status, _, err = cli(capsys, "scan", "news", "--ray-address", "auto")
    assert status == 2 and err == "cleaner: --ray-address needs --engine ray\n"


def test_an_address_where_no_ray_cluster_answers_is_refused_at_once():
    """Found in review: a port that accepts TCP but is no Ray head made ray.init retry for minutes."""
    import socket
    import threading

    from cleaner.engines.ray import _reachable

    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def answer() -> None:  # an HTTP/1 server: it answers the preface with a 400, not SETTINGS
        conn, _ = server.accept()
        with conn:
            conn.recv(1024)
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    threading.Thread(target=answer, daemon=True).start()
    with pytest.raises(ConnectionError, match="is no Ray cluster"):
        _reachable(f"127.0.0.1:{port}")
    server.close()
    with pytest.raises(ConnectionError, match="nothing answers"):
        _reachable(f"127.0.0.1:{port}")
