"""Golden test: the exact findings of the default packs on the sample corpus (corpus/).

The golden file was reviewed line by line against issues 2, 3 and 5 before it was committed.
After an intended change, regenerate it from the repository root with
    cleaner scan --no-cache -q > tests/golden/sample_findings.txt
and read the diff before committing it.
"""

from __future__ import annotations

from pathlib import Path

from cleaner.cli import main

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden" / "sample_findings.txt"


def test_sample_corpus_findings_match_golden(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert main(["scan", "corpus", "--no-cache", "-q", "--jobs", "1"]) == 0
    got = capsys.readouterr().out.splitlines()
    want = GOLDEN.read_text(encoding="utf-8").splitlines()
    missing = [line for line in want if line not in got]
    extra = [line for line in got if line not in want]
    assert not missing and not extra, f"missing: {missing}\nextra: {extra}"
    assert got == want  # same order too


def test_parallel_scan_matches_golden(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr("cleaner.scan.PARALLEL_MIN_BYTES", 0)  # force worker processes on the small corpus
    assert main(["scan", "corpus", "--no-cache", "-q", "--jobs", "2"]) == 0
    assert capsys.readouterr().out == GOLDEN.read_text(encoding="utf-8")


def test_cached_rescan_matches_golden(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(ROOT)
    for _ in range(2):  # the second run reads every document's findings from the cache
        assert main(["scan", "corpus", "-q", "--jobs", "1", "--cache", str(tmp_path)]) == 0
        assert capsys.readouterr().out == GOLDEN.read_text(encoding="utf-8")
    assert (tmp_path / "findings.sqlite").stat().st_size > 0
