"""Calibrate the confidence of boilerplate findings: the measured precision of each signal at its strength.

    python bench/calibrate.py [--data DIR] [--check]

Scans the zyte-dev pages (../shared/data/zyte-dev, MIT License, © 2020 Scrapinghub) with every BP
rule, the calibration table itself left out, so each finding carries its rule's own confidence
(for page structure: the rule's base times the strength of the signal, e.g. the share of
non-sentence lines around it). Each finding deletes some labelled lines: its precision is the share
of them that are boilerplate (strict labels). Findings are grouped by code, applicability and
strength (the raw confidence, in bands from BANDS); a group's calibrated confidence is its
precision with one pseudo-line of each kind added ((N + 1) / (N + B + 2)), so a signal seen on a
handful of lines is not called certain. Bands with fewer than MIN_LINES lines fall back to the
code's figure over all bands; a code and applicability with fewer than MIN_LINES lines in all is
left out (its rule keeps its own confidence).

Calibrated: the page-structure and learned-line rules (their confidence is a signal's strength)
and every unsafe rule (so --min-confidence can choose among them); a safe line rule (an exact line,
a pattern) keeps its own.

Precision is also measured fold by fold (page i in fold i mod 5); a group whose folds disagree by
more than 0.1 is printed with a warning. The table is written to rules/calibration.yaml, which
`cleaner` reads with the other packs: a finding of a listed code gets the confidence of its band,
and `cleaner apply --unsafe --min-confidence X` applies only the unsafe fixes at X or more.
--check prints the table and whether the file is up to date, and writes nothing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "zyte-dev"
TABLE = ROOT / "rules" / "calibration.yaml"
BANDS = (0.0, 0.6, 0.7, 0.8, 0.9, 0.95)
MIN_LINES = 20
FOLDS = 5


def band(confidence: float) -> float:
    return max(b for b in BANDS if confidence >= b - 1e-9)


def labelled_lines(data: Path, name: str) -> tuple[str, list[tuple[int, int, str]]]:
    """The page's text and (start, end, label) of each non-blank line."""
    text = (data / "naive" / name).read_text(encoding="utf-8")
    labels = [
        row.split("\t", 2)[1]
        for row in (data / "labels" / (Path(name).stem + ".tsv")).read_text(encoding="utf-8").split("\n")
        if row
    ]
    spans, pos = [], 0
    for line in text.split("\n"):
        if line.strip():
            spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    if len(spans) != len(labels):
        sys.exit(f"{name}: {len(spans)} lines but {len(labels)} labels")
    return text, [(a, b, label) for (a, b), label in zip(spans, labels, strict=True)]


def scan(data: Path, rules: Path) -> list[dict]:
    cmd = [
        sys.executable,
        "-m",
        "cleaner",
        "scan",
        str(data / "naive"),
        "--rules",
        str(rules),
        "--select",
        "BP",
        "--format",
        "jsonl",
        "--no-cache",
        "-q",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if done.returncode not in (0, 1):
        sys.exit(f"scan failed: {done.stderr}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def structural_codes() -> set[str]:
    """Codes of the page-structure and learned-line rules: their confidence is a signal's strength."""
    sys.path.insert(0, str(ROOT))
    from cleaner.rules import load_rules
    from cleaner.scan import BLOCK_KINDS

    return {r.code for r in load_rules(ROOT / "rules").rules if r.kind in BLOCK_KINDS}


def measure(data: Path) -> tuple[dict, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules"
        shutil.copytree(ROOT / "rules", rules)
        (rules / "calibration.yaml").unlink(missing_ok=True)  # the rules' own confidences
        findings = scan(data, rules)
    pages = sorted(p.name for p in (data / "naive").glob("*.txt"))
    fold_of = {name: i % FOLDS for i, name in enumerate(pages)}
    cache: dict[str, list] = {}
    groups: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])  # (code, app, band) -> [N, B]
    folds: dict[tuple, list[list[int]]] = defaultdict(lambda: [[0, 0] for _ in range(FOLDS)])
    structural = structural_codes()
    for f in findings:
        if f["replacement"] != "" or f["start"] == f["end"]:
            continue  # only deletions are judged by the line labels
        if f["code"] not in structural and f["applicability"] != "unsafe":
            continue  # a safe line rule keeps its own confidence (an exact line, a pattern: no strength)
        if f["doc"] not in cache:
            cache[f["doc"]] = labelled_lines(data, f["doc"])[1]
        covered = [label for a, b, label in cache[f["doc"]] if a >= f["start"] and b <= f["end"]]
        if not covered:
            continue
        n, b = covered.count("N"), len(covered) - covered.count("N")
        for key in (
            (f["code"], f["applicability"], band(f["confidence"])),
            (f["code"], f["applicability"], None),
        ):
            groups[key][0] += n
            groups[key][1] += b
            folds[key][fold_of[f["doc"]]][0] += n
            folds[key][fold_of[f["doc"]]][1] += b
    return groups, folds


def table(groups: dict, folds: dict) -> list[dict]:
    rows = []
    for (code, app, low), (n, b) in sorted(
        groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or -1)
    ):
        if low is None:
            continue
        whole_n, whole_b = groups[(code, app, None)]
        if whole_n + whole_b < MIN_LINES:
            continue  # too few labelled lines to say: the rule keeps its own confidence
        use_n, use_b = (n, b) if n + b >= MIN_LINES else (whole_n, whole_b)
        precision = (use_n + 1) / (use_n + use_b + 2)
        per_fold = [fn / (fn + fb) for fn, fb in folds[(code, app, low)] if fn + fb >= MIN_LINES]
        spread = max(per_fold) - min(per_fold) if len(per_fold) > 1 else 0.0
        rows.append(
            {
                "code": code,
                "applicability": app,
                "from": low,
                "precision": round(precision, 3),
                "lines": n + b,
                "spread": round(spread, 3),
            }
        )
    return rows


def render(rows: list[dict], data: Path) -> str:
    head = [
        "# Generated by bench/calibrate.py from the zyte-dev pages (Zyte article-extraction benchmark, MIT",
        "# License, © 2020 Scrapinghub); do not edit by hand, run the script again after changing a BP rule.",
        "# Each entry: findings of `code` with `applicability` whose own confidence is at least `from` (up to",
        "# the next entry's) get confidence `precision`: the share of the lines they delete that are",
        "# boilerplate, (N + 1) / (N + B + 2), over `lines` labelled lines.",
        "pack: calibration",
        "description: measured precision of the boilerplate signals, used as their confidence",
        "calibration:",
    ]
    body = [
        f"  - {{code: {r['code']}, applicability: {r['applicability']}, from: {r['from']}, "
        f"precision: {r['precision']}, lines: {r['lines']}}}"
        for r in rows
    ]
    return "\n".join(head + body) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--check", action="store_true", help="print the table; do not write it")
    args = ap.parse_args(argv)
    if not (args.data / "naive").is_dir():
        sys.exit(f"{args.data}: no naive/ folder (the zyte-dev data is expected beside the checkout)")
    rows = table(*measure(args.data))
    print(f"{'code':6} {'applicability':13} {'from':>5} {'precision':>9} {'lines':>6} {'fold spread':>11}")
    for r in rows:
        warn = "  folds disagree" if r["spread"] > 0.1 else ""
        print(
            f"{r['code']:6} {r['applicability']:13} {r['from']:5.2f} {r['precision']:9.3f} {r['lines']:6} "
            f"{r['spread']:11.3f}{warn}"
        )
    text = render(rows, args.data)
    if args.check:
        current = TABLE.read_text(encoding="utf-8") if TABLE.exists() else ""
        print(f"{TABLE.relative_to(ROOT)}: {'up to date' if current == text else 'out of date'}")
        return 0 if current == text else 1
    TABLE.write_text(text, encoding="utf-8")
    print(f"wrote {TABLE.relative_to(ROOT)} ({len(rows)} entries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
