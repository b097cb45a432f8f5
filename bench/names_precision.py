"""How often the names pass (NM, TR) and the typography rules (TY) are right, on real text.

    python bench/names_precision.py [--press-releases FILE] [--judgements FILE] [--style ap] [--show]

Runs `cleaner scan --select NM,TR,TY` on the press releases in
../shared/data/press-releases/press_releases.jsonl (1,796 English press releases of en.kremlin.ru
and president.gov.ua, CC BY 4.0; see the NOTICE.md beside the file) and on the sample corpus in
corpus/, and judges every finding by bench/data/names_judgements.tsv: one line a distinct proposal
(code, original, replacement) with the verdict right, wrong or depends and a note; an optional sixth
column names the one document the verdict is for (a pronoun can be right in one article and wrong
in the next). Verdicts follow AP style as of 2022-23.

Prints, per corpus and source and per code and applicability: findings, how many the judgements
call right, wrong or depends, and precision = right / (right + wrong) with `depends` left out, and
strict precision with `depends` counted as wrong. Then the targets of issue 10, and every distinct
proposal no judgement covers (judge those: they count as neither right nor wrong until then).

Recall: every standalone occurrence, in the press releases, of a list of real variant spellings
(the forms the Kremlin's translators write, listed below by hand, not taken from the dictionary)
and how many of them get a finding with the house-style form.

The rules were not tuned on the president.gov.ua half; its figures are reported apart (by source)
so the held-out half can be read on its own.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRESS = ROOT.parent / "shared" / "data" / "press-releases" / "press_releases.jsonl"
JUDGEMENTS = ROOT / "bench" / "data" / "names_judgements.tsv"
VERDICTS = ("right", "wrong", "depends")

# real variants of names the AP style names, with the AP form: recall is measured on these
VARIANTS = {
    "Kiev": "Kyiv",
    "Kharkov": "Kharkiv",
    "Lugansk": "Luhansk",
    "Donbass": "Donbas",
    "Zaporozhye": "Zaporizhzhia",
    "Zaporizhia": "Zaporizhzhia",
    "Odessa": "Odesa",
    "Chernigov": "Chernihiv",
    "Nikolayev": "Mykolaiv",
    "Lvov": "Lviv",
    "Zelensky": "Zelenskyy",
    "Zelenskiy": "Zelenskyy",
    "Severodonetsk": "Sievierodonetsk",
    "Lisichansk": "Lysychansk",
    "Izyum": "Izium",
    "Irpen": "Irpin",
    "Slavyansk": "Sloviansk",
    "Kherson": "Kherson",
}
# fixed expressions that keep the old form (not misses)
KEPT = re.compile(r"Kievan Rus|Chicken Kiev|chicken Kiev|Dynamo Kiev")

TARGETS = [
    ("NM safe", lambda code, app: code.startswith("NM") and app == "safe", 0.995),
    ("NM+TR unsafe/display", lambda code, app: code[:2] in ("NM", "TR") and app != "safe", 0.80),
    ("TY", lambda code, app: code.startswith("TY"), 0.95),
]


def scan(path: Path, style: str) -> list[dict]:
    cmd = [
        sys.executable,
        "-m",
        "cleaner",
        "scan",
        str(path),
        "--select",
        "NM,TR,TY",
        "--format",
        "jsonl",
        "--no-cache",
        "-q",
        "--style",
        style,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if done.returncode not in (0, 1):
        sys.exit(f"scan failed ({done.returncode}): {done.stderr.strip()}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def load_judgements(path: Path) -> dict[tuple, tuple[str, str]]:
    """(code, original, replacement[, doc]) -> (verdict, note)."""
    out: dict[tuple, tuple[str, str]] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for n, row in enumerate(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE), 1):
            if not row or row[0].startswith("#") or row[0] == "code":
                continue
            if len(row) < 4 or row[3] not in VERDICTS:
                sys.exit(
                    f"{path}:{n}: want code, original, replacement, verdict (right|wrong|depends), note[, doc]"
                )
            key = (row[0], unescape(row[1]), unescape(row[2])) + (
                (row[5],) if len(row) > 5 and row[5] else ()
            )
            out[key] = (row[3], row[4] if len(row) > 4 else "")
    return out


def unescape(s: str) -> str:
    return s.replace("\\n", "\n").replace("\\t", "\t").replace("\\s", " ")


def escape(s: str) -> str:
    return s.replace("\t", "\\t").replace("\n", "\\n").replace(" ", "\\s") if s.strip() != s or not s else s


def verdict(f: dict, judgements: dict) -> str | None:
    key = (f["code"], f["original"], f["replacement"])
    hit = judgements.get(key + (f["doc"],)) or judgements.get(key)
    return hit[0] if hit else None


def source_of(doc: str) -> str:
    if "#" not in doc:
        return "sample"
    return {"kremlin": "en.kremlin.ru", "presua": "president.gov.ua"}.get(
        doc.split("#", 1)[1].split("_")[0], "?"
    )


def table(title: str, findings: list[dict], judgements: dict) -> None:
    rows: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for f in findings:
        rows[(f["code"], f["applicability"])][verdict(f, judgements) or "unjudged"] += 1
        rows[(f["code"], f["applicability"])]["findings"] += 1
    print(f"\n{title}")
    print(
        f"  {'code':6} {'applicability':13} {'findings':>8} {'right':>6} {'wrong':>6} {'depends':>7} "
        f"{'unjudged':>8} {'precision':>9} {'strict':>7}"
    )
    for (code, app), c in sorted(rows.items()):
        print(
            f"  {code:6} {app:13} {c['findings']:8} {c['right']:6} {c['wrong']:6} {c['depends']:7} "
            f"{c['unjudged']:8} {ratio(c['right'], c['right'] + c['wrong']):>9} "
            f"{ratio(c['right'], c['right'] + c['wrong'] + c['depends']):>7}"
        )


def ratio(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "-"


def targets(findings: list[dict], judgements: dict) -> bool:
    ok = True
    print("\ntargets (all corpora):")
    for name, test, goal in TARGETS:
        c = Counter(verdict(f, judgements) for f in findings if test(f["code"], f["applicability"]))
        judged = c["right"] + c["wrong"]
        p = c["right"] / judged if judged else 1.0
        strict = c["right"] / (judged + c["depends"]) if judged + c["depends"] else 1.0
        met = p >= goal
        ok &= met
        print(
            f"  {name:22} precision {p:.3f} (strict {strict:.3f}; {c['right']} right, {c['wrong']} wrong, "
            f"{c['depends']} depends, {c[None]} unjudged)  target >= {goal}  {'met' if met else 'NOT MET'}"
        )
    return ok


def recall(path: Path, findings: list[dict]) -> None:
    found = {(f["doc"], f["start"]): f["replacement"] for f in findings if f["code"].startswith("NM")}
    pattern = re.compile(r"(?<![\w\-’'])(" + "|".join(map(re.escape, VARIANTS)) + r")(?![\w\-])")
    hits: Counter = Counter()
    total: Counter = Counter()
    with path.open(encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            doc, text = f"{path.name}#{record['id']}", record["text"]
            kept = [m.span() for m in KEPT.finditer(text)]
            for m in pattern.finditer(text):
                word = m.group(1)
                if VARIANTS[word] == word or any(a <= m.start() < b for a, b in kept):
                    continue
                total[word] += 1
                # a full-name finding starts before the surname: look for any finding covering it
                got = found.get((doc, m.start()))
                if got is None:
                    got = next(
                        (
                            r
                            for (d, s), r in found.items()
                            if d == doc and s < m.start() <= s + 40 and r.endswith(VARIANTS[word])
                        ),
                        None,
                    )
                hits[word] += got is not None and got.endswith(VARIANTS[word])
    n, k = sum(total.values()), sum(hits.values())
    print(
        f"\nrecall of real variants in running text (press releases): {ratio(k, n)} ({k} of {n})  target >= 0.95"
        f"  {'met' if n and k / n >= 0.95 else 'NOT MET'}"
    )
    print("  " + ", ".join(f"{w} {hits[w]}/{total[w]}" for w in sorted(total, key=lambda w: -total[w])))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--press-releases", type=Path, default=PRESS)
    ap.add_argument("--judgements", type=Path, default=JUDGEMENTS)
    ap.add_argument("--style", default="ap")
    ap.add_argument("--show", action="store_true", help="print every judged proposal with its verdict")
    args = ap.parse_args(argv)
    if not args.press_releases.exists():
        sys.exit(
            f"{args.press_releases}: not found (the press releases live in ../shared/data/press-releases)"
        )
    judgements = load_judgements(args.judgements)
    press = scan(args.press_releases, args.style)
    sample = scan(ROOT / "corpus", args.style)
    print(
        f"press releases: {args.press_releases.name} (CC BY 4.0, en.kremlin.ru and president.gov.ua); "
        f"sample: corpus/; style {args.style}; judgements: {args.judgements.relative_to(ROOT)} "
        f"({len(judgements)} lines)"
    )
    by_source: dict[str, list[dict]] = defaultdict(list)
    for f in press:
        by_source[source_of(f["doc"])].append(f)
    for source in sorted(by_source):
        table(f"press releases, {source}", by_source[source], judgements)
    table("press releases, all", press, judgements)
    table("sample corpus", sample, judgements)
    ok = targets(press + sample, judgements)
    recall(args.press_releases, press)
    unjudged = Counter(
        (f["code"], f["applicability"], f["original"], f["replacement"])
        for f in press + sample
        if verdict(f, judgements) is None
    )
    if unjudged:
        print(f"\nunjudged proposals ({len(unjudged)} distinct): add them to {args.judgements.name}")
        for (code, app, original, replacement), n in sorted(unjudged.items()):
            print(f"  {code}\t{escape(original)}\t{escape(replacement)}\t{app}\t{n}x")
    if args.show:
        seen = Counter((f["code"], f["original"], f["replacement"]) for f in press + sample)
        print("\njudged proposals:")
        for key, n in sorted(seen.items()):
            v = judgements.get(key)
            print(
                f"  {key[0]}\t{escape(key[1])}\t{escape(key[2])}\t{n}x\t{v[0] if v else '-'}\t{v[1] if v else ''}"
            )
    return 0 if ok and not unjudged else 1


if __name__ == "__main__":
    sys.exit(main())
