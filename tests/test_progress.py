"""The progress line: documents, MB and ETA, per stage, only when enabled."""

from __future__ import annotations

import io

from cleaner.progress import Progress


def test_the_line_shows_documents_megabytes_and_eta():
    out = io.StringIO()
    progress = Progress(4_000_000, "scan", enabled=True, stream=out)
    progress.advance(1_000_000, 10)
    line = out.getvalue()
    assert "10 docs" in line and "1.0/4.0 MB" in line and "ETA " in line and "25%" in line


def test_a_stage_starts_counting_again_under_its_own_label():
    out = io.StringIO()
    progress = Progress(2_000_000, "scan", enabled=True, stream=out)
    progress.stage("1/2 read")
    progress.advance(2_000_000, 3)
    progress.stage("2/2 scan")
    progress.advance(1_000_000, 1)
    last = out.getvalue().split("\r")[-1]
    assert last.startswith("scan 2/2 scan") and "1 docs" in last and "50%" in last


def test_disabled_progress_writes_nothing():
    out = io.StringIO()
    progress = Progress(10, "scan", enabled=False, stream=out)
    progress.advance(10, 1)
    progress.close()
    assert out.getvalue() == ""
