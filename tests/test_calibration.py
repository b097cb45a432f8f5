"""Calibrated confidence (rules/calibration.yaml, bench/calibrate.py) and apply --min-confidence."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cleaner.cli import main
from cleaner.model import Applicability, Finding
from cleaner.scan import calibrated

ROOT = Path(__file__).resolve().parent.parent
CORPUS, RULES = ROOT / "corpus", ROOT / "rules"
ZYTE = ROOT.parent / "shared" / "data" / "zyte-dev"


def finding(code: str, confidence: float, applicability=Applicability.UNSAFE) -> Finding:
    return Finding("d.txt", code, "x", 0, 5, "Menu\n", "", applicability, "m", "delete line", confidence)


def test_a_listed_signal_gets_the_precision_of_its_band():
    table = {("BP018", "unsafe"): [(0.7, 0.987), (0.8, 0.952)]}
    got = calibrated(
        [
            finding("BP018", 0.75),
            finding("BP018", 0.9),
            finding("BP018", 0.5),
            finding("BP019", 0.75),
            finding("BP018", 0.75, Applicability.SAFE),
        ],
        table,
    )
    assert got == [0.987, 0.952, 0.5, 0.75, 0.75]


def test_a_bad_calibration_entry_is_refused_with_file_and_line(tmp_path, capsys):
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    (rules / "calibration.yaml").write_text(
        "pack: calibration\ncalibration:\n  - {code: BP018, applicability: sure, from: 0.7, precision: 2}\n",
        encoding="utf-8",
    )
    assert main(["rules", "check", str(rules)]) == 2
    err = capsys.readouterr().err
    assert "calibration.yaml:3: calibration entry needs code, applicability" in err


def test_min_confidence_leaves_the_less_trusted_unsafe_fixes(tmp_path, capsys):
    # the sample's pasted headlines (BP016, unsafe) have confidence 0.6
    def applied(*flags: str) -> dict:
        out = tmp_path / "out"
        shutil.rmtree(out, ignore_errors=True)
        assert (
            main(["apply", str(CORPUS), "--rules", str(RULES), "--out", str(out), "--no-cache", "-q", *flags])
            == 0
        )
        capsys.readouterr()
        return json.loads((out / "manifest.json").read_text(encoding="utf-8"))["totals"]["applied"]

    assert applied("--auto", "--unsafe").get("BP016") == 2
    assert applied("--auto", "--unsafe", "--min-confidence", "0.5").get("BP016") == 2
    cut = applied("--auto", "--unsafe", "--min-confidence", "0.7")
    assert "BP016" not in cut and cut["NM001"] == 29  # safe fixes are not cut


@pytest.mark.parametrize("value", ["2", "-0.1", "high"])
def test_min_confidence_must_be_a_number_from_0_to_1(value, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["apply", str(CORPUS), "--unsafe", "--min-confidence", value])
    assert exit_.value.code == 2
    assert "not a number from 0 to 1" in capsys.readouterr().err


@pytest.mark.skipif(not (ZYTE / "naive").is_dir(), reason="zyte-dev data absent")
def test_the_calibration_table_is_up_to_date():
    done = subprocess.run(
        [sys.executable, "bench/calibrate.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
