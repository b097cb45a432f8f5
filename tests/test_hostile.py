"""Hostile input (issue 12): the input corpus is never modified, outputs are written atomically, and
bad input (paths, bytes, records, packs) gets one clear line on stderr and exit 2, the rest processed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cleaner.cli import main
from cleaner.corpus import STAGING
from cleaner.rules import RuleError, backtracking_risk, load_rules

ROOT = Path(__file__).resolve().parent.parent
RULES = str(ROOT / "rules")
SAMPLE = ROOT / "corpus"


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every entry under folder: kind, content (or link target) and mtime."""
    out = {}
    for p in sorted(folder.rglob("*")):
        st = p.lstat()
        if p.is_symlink():
            out[str(p)] = ("link", os.readlink(p), st.st_mtime_ns)
        elif p.is_file():
            out[str(p)] = ("file", p.read_bytes(), st.st_mtime_ns)
        else:
            out[str(p)] = ("other", st.st_mode, st.st_mtime_ns)
    return out


@pytest.fixture
def work(tmp_path, monkeypatch):
    """A copy of the sample corpus in corpus/news/, made the current directory."""
    shutil.copytree(SAMPLE, tmp_path / "corpus" / "news")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(autouse=True)
def alarm():
    """A hang (a FIFO opened for reading, a catastrophic regex) fails the test instead of blocking."""

    def hung(*_):
        raise TimeoutError("hung")

    signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    yield
    signal.alarm(0)


def run(capsys, *argv: str) -> tuple[int, str, list[str]]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err.splitlines()


def apply_big(out: str) -> list[str]:
    """The command that applies the safe fixes to big/ into out, in one process, without a cache."""
    return [sys.executable, "-m", "cleaner", "apply", "big", "--rules", RULES, "--auto", "--out", out,
            "-q", "-j", "1", "--no-cache"]


def one_line(err: list[str], *words: str) -> str:
    """The stderr lines holding every word: exactly one, and no traceback anywhere."""
    assert not any("Traceback" in line for line in err), err
    hits = [line for line in err if all(w in line for w in words)]
    assert len(hits) == 1, err
    return hits[0]


# ---------------------------------------------------------------- input touched or escaped


def test_scan_output_inside_the_input_is_refused_also_through_a_symlink(work, capsys):
    before = snapshot(work / "corpus")
    target = next((work / "corpus" / "news").glob("*.txt"))
    status, _, err = run(capsys, "scan", "corpus", "--rules", RULES, "-o", str(target.relative_to(work)))
    assert status == 2 and one_line(err, "-o", "inside the input")
    (work / "elsewhere").symlink_to(work / "corpus" / "news")
    status, _, err = run(capsys, "scan", "corpus", "--rules", RULES, "-o", f"elsewhere/{target.name}")
    assert status == 2 and one_line(err, "inside the input")
    assert snapshot(work / "corpus") == before


def test_apply_never_writes_through_a_symlink_in_out_into_the_corpus(work, capsys):
    (work / "out").mkdir()
    (work / "out" / "news").symlink_to(work / "corpus" / "news")
    before = snapshot(work / "corpus")
    status, _, err = run(capsys, "apply", "corpus", "--rules", RULES, "--auto", "--out", "out", "-q")
    assert status == 2
    assert len([line for line in err if "symlink inside the output folder" in line]) == 5
    assert snapshot(work / "corpus") == before


def test_a_cache_inside_the_input_is_refused(work, capsys):
    before = snapshot(work / "corpus")
    for verb in (["scan"], ["apply", "--out", "out"]):
        status, _, err = run(capsys, *verb, "corpus", "--rules", RULES, "--cache", "corpus/.cache", "-q")
        assert status == 2 and one_line(err, "--cache", "inside the input")
    assert snapshot(work / "corpus") == before and not (work / "corpus" / ".cache").exists()


def test_a_symlink_out_of_the_corpus_is_not_followed(work, capsys):
    (work / "secret").mkdir()
    (work / "secret" / "s.txt").write_text("Kiev secret Source link\n", encoding="utf-8")
    (work / "corpus" / "news" / "leak.txt").symlink_to(work / "secret" / "s.txt")
    (work / "corpus" / "news" / "dir").symlink_to(work / "secret")
    status, out, err = run(capsys, "apply", "corpus", "--rules", RULES, "--auto", "--out", "out", "-q")
    assert status == 2
    assert one_line(err, "leak.txt", "outside the corpus") and one_line(err, "dir", "outside the corpus")
    assert not (work / "out" / "news" / "leak.txt").exists() and not (work / "out" / "news" / "dir").exists()
    assert len(list((work / "out" / "news").glob("*.txt"))) == 5  # the rest is processed


def test_a_symlink_inside_the_corpus_is_read(work, capsys):
    first = sorted((work / "corpus" / "news").glob("*.txt"))[0]
    (work / "corpus" / "alias.txt").symlink_to(first)
    status, out, err = run(capsys, "scan", "corpus", "--rules", RULES, "-q")
    assert status == 0 and "corpus/alias.txt:" in out and err == []


def test_a_fifo_is_refused_without_being_opened(work, capsys):
    os.mkfifo(work / "corpus" / "news" / "pipe.txt")
    os.mkfifo(work / "given.txt")
    status, out, err = run(capsys, "scan", "corpus", "--rules", RULES, "-q")
    assert status == 2 and one_line(err, "pipe.txt", "FIFO")
    assert "news/000_" in out  # the rest is processed
    status, out, err = run(capsys, "scan", "given.txt", "--rules", RULES, "-q")
    assert status == 2 and one_line(err, "given.txt", "FIFO")


# ---------------------------------------------------------------- records, packs


HUGE = "9" * 5000


def test_odd_json_values_are_copied_byte_for_byte(work, capsys):
    lines = [
        '{"id": "a", "text": "Kiev  mayor", "big": ' + HUGE + ', "n": NaN, "inf": -Infinity, '
        '"f": 0.10000000000000000001, "dup": 1, "dup": 2, "sp" :  [1 ,2]}',
        '{"id":"b","text":"Kyiv is fine.","x":1.50}',
        '{"id": "c", "text": "Source link", "text": "Kiev  again", "e": 1E+2}\r',
    ]
    (work / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    status, _, err = run(capsys, "scan", "feed.jsonl", "--rules", RULES, "-q")
    assert status == 0 and err == []
    status, _, err = run(capsys, "apply", "feed.jsonl", "--rules", RULES, "--auto", "--out", "out", "-q")
    assert status == 0 and err == []
    out = (work / "out" / "feed.jsonl").read_bytes().decode("utf-8").split("\n")
    assert out[0] == lines[0].replace('"Kiev  mayor"', '"Kyiv mayor"')
    assert out[1] == lines[1]
    assert out[2] == lines[2].replace('"Kiev  again"', '"Kyiv again"')  # the last "text", as json reads it


def test_a_huge_integer_does_not_stop_the_run(work, capsys):
    (work / "feed.jsonl").write_text(
        '{"id": ' + HUGE + ', "text": "Kiev"}\n{"id": "b", "text": "Kiev"}\n', encoding="utf-8"
    )
    status, out, err = run(capsys, "scan", "feed.jsonl", "--rules", RULES, "-q")
    assert status == 0 and out.count("NM001") == 2 and err == []


def write_pack(folder: Path, body: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "p.yaml").write_text(body, encoding="utf-8")
    return str(folder)


RULE = """rules:
  - code: BP901
    name: hostile
    kind: {kind}
    message: m
    applicability: safe
{extra}
"""


@pytest.mark.parametrize("pattern", ["(a+)+$", "(a*)*b", "(a|a)*$", r"(\w+\s?)+$", "(x+x+)+y"])
def test_a_catastrophic_pattern_is_refused_at_check(tmp_path, capsys, pattern):
    folder = write_pack(
        tmp_path / "r",
        RULE.format(kind="substitution", extra=(f"    pattern: '{pattern}'\n    replacement: ''")),
    )
    status, _, err = run(capsys, "rules", "check", folder)
    line = one_line(err, "p.yaml:2: rule BP901: pattern", "exponential")
    assert status == 2 and "(?>" in line and "possessive" in line


def test_a_catastrophic_pattern_never_hangs_a_scan(tmp_path, capsys):
    folder = write_pack(tmp_path / "r", RULE.format(kind="line-pattern", extra="    pattern: '(a+)+$'"))
    (tmp_path / "a.txt").write_text("a" * 5000 + "!\n", encoding="utf-8")
    status, _, err = run(capsys, "scan", str(tmp_path / "a.txt"), "--rules", folder)
    assert status == 2 and one_line(err, "exponential")


@pytest.mark.parametrize(
    "pattern", ["(a++)+$", "(?>a+)+$", r"(\w+\s)+", r"(?:[A-Z][a-z]+\s?)+", r"(\s|&nbsp;)+"]
)
def test_safe_patterns_are_not_flagged(pattern):
    assert backtracking_risk(pattern) is None


def test_the_default_packs_hold_no_catastrophic_pattern():
    assert load_rules(RULES).rules


def test_a_yaml_alias_bomb_is_refused(tmp_path, capsys):
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    body = "description:\n" + "".join(f"  {line}\n" for line in lines) + "rules: []\n"
    folder = write_pack(tmp_path / "r", body)
    started = time.monotonic()
    status, _, err = run(capsys, "rules", "check", folder)
    assert status == 2 and one_line(err, "p.yaml:", "aliases") and time.monotonic() - started < 10


def test_duplicate_keys_are_refused(tmp_path):
    folder = write_pack(
        tmp_path / "r", RULE.format(kind="exact-line", extra="    lines: [x]\n    message: again")
    )
    with pytest.raises(RuleError) as exc:
        load_rules(folder)
    (problem,) = exc.value.problems
    assert problem.startswith(f"{folder}/p.yaml:8:") and "duplicate key 'message'" in problem


@pytest.mark.parametrize(
    "extra, words",
    [
        ("    pattern: '(a)b'\n    replacement: '\\3'", ("replacement", "group")),
    ],
)
def test_a_bad_replacement_template_is_one_line(tmp_path, capsys, extra, words):
    folder = write_pack(tmp_path / "r", RULE.format(kind="substitution", extra=extra))
    status, _, err = run(capsys, "rules", "check", folder)
    assert status == 2 and one_line(err, "p.yaml:2: rule BP901:", *words)


@pytest.mark.parametrize("value", ["many", "[1, 2]", "-3", "2.5"])
def test_a_wrong_number_is_one_line(tmp_path, capsys, value):
    folder = write_pack(
        tmp_path / "r", RULE.format(kind="learned-line", extra=f"    scope: corpus\n    min_docs: {value}")
    )
    status, _, err = run(capsys, "rules", "check", folder)
    assert status == 2 and one_line(err, "p.yaml:2: rule BP901: min_docs", "whole number")


# ---------------------------------------------------------------- output paths


def test_out_that_is_a_file_is_one_line(work, capsys):
    (work / "afile").write_text("x", encoding="utf-8")
    status, _, err = run(capsys, "apply", "corpus", "--rules", RULES, "--out", "afile", "-q")
    assert status == 2 and one_line(err, "--out afile", "is a file")
    status, _, err = run(capsys, "apply", "corpus", "--rules", RULES, "--out", "afile/sub", "-q")
    assert status == 2 and one_line(err, "afile/sub", "cannot write")


def test_an_unwritable_out_is_one_line(work, capsys, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)  # (the tests may run as root: chmod would not stop it)
    status, _, err = run(capsys, "apply", "corpus", "--rules", RULES, "--auto", "--out", "out", "-q")
    assert status == 2 and one_line(err, "cannot write", "Permission denied")
    status, _, err = run(capsys, "scan", "corpus", "--rules", RULES, "-q", "-o", "found.txt")
    assert status == 2 and one_line(err, "found.txt", "cannot write")


def test_scan_output_into_a_missing_folder_is_created(work, capsys):
    status, out, err = run(capsys, "scan", "corpus", "--rules", RULES, "-q", "-o", "new/deep/found.txt")
    assert status == 0 and out == "" and err == []
    assert (work / "new" / "deep" / "found.txt").read_text(encoding="utf-8").count("\n") > 10
    assert [p.name for p in (work / "new" / "deep").iterdir()] == ["found.txt"]


def test_scan_output_that_is_a_folder_is_one_line(work, capsys):
    (work / "adir").mkdir()
    status, _, err = run(capsys, "scan", "corpus", "--rules", RULES, "-q", "-o", "adir")
    assert status == 2 and one_line(err, "adir", "is a folder")


# ---------------------------------------------------------------- names and messages


def test_a_newline_in_a_file_name_keeps_one_finding_a_line(work, capsys):
    (work / "corpus" / "news" / "bad\nname.txt").write_text("Kiev and Kiev.\n", encoding="utf-8")
    status, out, err = run(capsys, "scan", "corpus", "--rules", RULES, "-q", "--select", "NM001")
    lines = [line for line in out.splitlines() if "bad" in line]
    assert len(lines) == 2 and all(line.startswith("corpus/news/bad\\nname.txt:1:") for line in lines)
    status, out, err = run(
        capsys, "scan", "corpus", "--rules", RULES, "-q", "--select", "NM001", "--format", "jsonl"
    )
    docs = [json.loads(line)["doc"] for line in out.splitlines()]
    assert docs.count("news/bad\nname.txt") == 2  # JSONL keeps the real name


def test_a_newline_in_a_record_id_keeps_one_finding_a_line(work, capsys):
    (work / "feed.jsonl").write_text('{"id": "a\\nb", "text": "Kiev"}\n', encoding="utf-8")
    status, out, err = run(capsys, "scan", "feed.jsonl", "--rules", RULES, "-q", "--select", "NM001")
    assert out.splitlines() == [
        line for line in out.splitlines() if line.startswith("feed.jsonl#a\\nb:1:1: NM001")
    ]
    assert len(out.splitlines()) == 1


def test_a_wrong_text_key_is_one_line_naming_the_fields(work, capsys):
    with open(work / "feed.jsonl", "w", encoding="utf-8") as fh:
        for n in range(2748):
            fh.write(json.dumps({"id": n, "text": "Some text " * 60, "source": "s"}) + "\n")
    assert (work / "feed.jsonl").stat().st_size > 1 << 20  # several chunks: still one line
    status, _, err = run(
        capsys, "scan", "feed.jsonl", "--rules", RULES, "-q", "--text-key", "body", "-j", "1"
    )
    assert status == 2 and err == [
        "cleaner: feed.jsonl: no string field 'body' in any of its 2,748 records (fields: id, text, source); "
        "copied unchanged, use --text-key"
    ]


def test_compressed_inputs_are_named_as_such(work, capsys):
    """bzip2, xz and zip are not read: one line each, exit 2 (gzip and zstd are: tests/test_formats.py)."""
    import bz2
    import gzip
    import lzma

    (work / "cz").mkdir()
    (work / "cz" / "a.jsonl.bz2").write_bytes(bz2.compress(b'{"text": "x"}\n'))
    (work / "cz" / "b.txt.xz").write_bytes(lzma.compress(b"x\n"))
    (work / "cz" / "c.zip").write_bytes(b"PK\x03\x04" + bytes(40))
    (work / "cz" / "d.jsonl.gz").write_bytes(gzip.compress(b'{"text": "x"}\n'))  # read
    status, _, err = run(capsys, "scan", "cz", "--rules", RULES)
    assert status == 2
    assert one_line(err, "cz/a.jsonl.bz2: compressed input (bzip2) is not read yet; decompress it first")
    assert one_line(err, "cz/b.txt.xz: compressed input (xz)")
    assert one_line(err, "cz/c.zip: compressed input (zip)")
    assert not any("d.jsonl.gz" in line for line in err)
    assert "0 findings in 1 file" in err
    status, _, err = run(capsys, "scan", "cz/a.jsonl.bz2", "--rules", RULES, "-q")
    assert status == 2 and err == [
        "cleaner: cz/a.jsonl.bz2: compressed input (bzip2) is not read yet; decompress it first"
    ]
    # gzip inside a file whose name does not say so is named too, not read as text
    (work / "cz" / "e.jsonl").write_bytes(gzip.compress(b'{"text": "x"}\n'))
    status, _, err = run(capsys, "scan", "cz/e.jsonl", "--rules", RULES, "-q")
    assert status == 2 and err == [
        "cleaner: cz/e.jsonl: compressed input (gzip) is not read yet; decompress it first"]


# ---------------------------------------------------------------- interrupted runs


def _visible_outputs(out: Path) -> dict[str, bytes]:
    """The output files as a user sees them (not the cache), the manifest without its time stamp."""
    files = {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in out.rglob("*")
        if p.is_file() and not {".cache", STAGING} & set(p.relative_to(out).parts)
    }
    if "manifest.json" in files:
        manifest = json.loads(files["manifest.json"])
        manifest.pop("created", None)
        files["manifest.json"] = json.dumps(manifest).encode()
    return files


SLOW_REPLACE = """
import os, sys, time
from pathlib import Path
real = os.replace
def slow(src, dst, *a, **k):
    if str(dst).endswith(".txt") and "changes" not in str(dst):
        Path(sys.argv[1]).write_text("renaming")
        time.sleep(60)
    return real(src, dst, *a, **k)
os.replace = slow
from cleaner.cli import main
sys.exit(main(sys.argv[2:]))
"""


def test_kill_9_while_a_file_is_being_written_leaves_no_temporary_file_among_outputs(work):
    marker = work / "marker"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SLOW_REPLACE,
            str(marker),
            "apply",
            "corpus",
            "--rules",
            RULES,
            "--auto",
            "--out",
            "out",
            "-q",
            "-j",
            "1",
        ],
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.01)
    finally:
        proc.kill()
        proc.wait()
    outputs = _visible_outputs(work / "out")
    assert not [name for name in outputs if name.endswith(".tmp")], outputs.keys()
    assert outputs == {}  # the first file had not been renamed into place: nothing half-done shows
    # the next run clears what the killed one left
    assert main(["apply", "corpus", "--rules", RULES, "--auto", "--out", "out", "-q"]) == 0
    assert not (work / "out" / STAGING).exists()


def test_kill_9_of_a_running_apply_leaves_only_complete_files(work):
    big = work / "big"
    texts = sorted(SAMPLE.glob("*.txt"))
    for n in range(400):
        folder = big / f"s{n % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{n:04d}.txt").write_bytes(
            texts[n % len(texts)].read_bytes() + f"\nNumber {n}.\n".encode()
        )
    ref = subprocess.run(
        apply_big("ref"),
        capture_output=True,
    )
    assert ref.returncode == 0, ref.stderr
    expected = _visible_outputs(work / "ref")
    proc = subprocess.Popen(
        apply_big("out"),
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    try:
        while len(list((work / "out").glob("s*/*.txt"))) < 100 and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.002)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    outputs = _visible_outputs(work / "out")
    assert 100 <= len(outputs)
    assert not [name for name in outputs if name.endswith(".tmp") or name.startswith(".")]
    for name, data in outputs.items():
        assert data == expected[name], name  # complete, and what a whole run writes


def test_output_to_a_fifo_or_device_is_written_to_not_replaced(work, capsys):
    """`-o /dev/null` renamed a temporary file over the device (as root, /dev/null became a regular
    file for the whole machine): a path that is no regular file is written to as it is. Shown with a
    FIFO, which the old code replaced the same way."""
    import stat
    import threading

    fifo = work / "findings.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    status, _, _ = run(capsys, "scan", "corpus", "--rules", RULES, "--no-cache", "-q", "--format", "jsonl",
                       "-o", str(fifo))
    reader.join(10)
    assert status == 0
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # still the FIFO
    assert got and len(got[0].splitlines()) > 10 and b'"code": "NM001"' in got[0]
