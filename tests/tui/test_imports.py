"""`cleaner scan` must start fast: only cleaner.tui may import textual."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE = [
    "cleaner.cli",
    "cleaner.scan",
    "cleaner.apply",
    "cleaner.rules",
    "cleaner.decisions",
    "cleaner.review",
    "cleaner.learn",
    "cleaner.corpus",
    "cleaner.model",
    "cleaner.report",
]


@pytest.mark.parametrize("module", CORE)
def test_core_modules_do_not_import_textual(module):
    code = f"import sys, {module}; sys.exit('textual' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0, f"{module} imports textual"


def test_the_tui_does_import_textual():  # the guard above can fail
    code = "import sys, cleaner.tui.app; sys.exit('textual' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 1
