"""The first run after a rule change compiles the first stage (seconds): on a terminal, cleaner says
so on stderr; in a pipe or a log only the summary appears, as with the progress bar."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

PACK = """\
rules:
  - code: BP901
    name: test-rule
    kind: line-pattern
    pattern: 'Read more about (\\w+) here'
    message: a test rule
    applicability: safe
"""


def setup(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "pack.yaml").write_text(textwrap.dedent(PACK), encoding="utf-8")
    (tmp_path / "a.txt").write_text("Title\nRead more about it here\n", encoding="utf-8")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "cleaner", "scan", "a.txt", "--rules", "rules", "--no-cache",
               "-o", "out.txt"]
    return command, env


def on_terminal(command, cwd, env) -> str:
    controller, terminal = os.openpty()
    try:
        done = subprocess.run(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=terminal, timeout=120)
    finally:
        os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal's other end is closed: all read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    assert done.returncode == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_compiling_the_first_stage_is_told_on_a_terminal(tmp_path):
    command, env = setup(tmp_path)
    said = on_terminal(command, tmp_path, env)
    assert "compiling the first stage" in said and "1 finding in 1 file" in said
    again = on_terminal(command, tmp_path, env)  # compiled: kept in the cache folder
    assert "compiling" not in again and "1 finding in 1 file" in again


def test_a_pipe_gets_only_the_summary(tmp_path):
    command, env = setup(tmp_path)
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    assert done.stderr == "1 finding in 1 file\n"
