"""Running the command line in-process for tests: exit status, stdout and stderr."""

from __future__ import annotations

from cleaner.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err
