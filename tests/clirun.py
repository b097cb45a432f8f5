"""Running the command line in-process for tests: exit status, stdout and stderr."""

from __future__ import annotations

from pathlib import Path

from cleaner.cli import main

RULES = str(Path(__file__).resolve().parent.parent / "rules")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def run_lines(capsys, *argv: str) -> tuple[int, str, list[str]]:
    """run with the repository's rules, stderr as its lines (for tests run in an empty folder)."""
    status, out, err = run(capsys, *argv, "--rules", RULES)
    return status, out, err.splitlines()
