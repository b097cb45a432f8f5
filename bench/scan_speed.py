"""Scan throughput: `cleaner scan` in MB/s beside `ftfy.fix_text` alone on the same ~10 MB of news text.

Data: the sample corpus (corpus/) and the naive page texts of ../shared/data/zyte-dev (Zyte
article-extraction benchmark, MIT License, © 2020 Scrapinghub; see its LICENSE file), repeated until
the target size is reached. Every copy is told apart by a numbered first line, and a fixed share of
paragraphs gets mojibake injected (UTF-8 read as Windows-1252: "’" -> "â€™", "é" -> "Ã©"), HTML
entities or a control character, so the unicode pass has real work. Everything is deterministic
(seeded), so runs compare.

In one run it measures, best of --repeat:
  scan (in-process)  Scanner over the documents in this process, one core, with the default packs
                     (corpus-wide passes observe the corpus first; that time is counted);
  ftfy.fix_text      ftfy's default fix_text on every document, one core;
  cleaner scan (CLI) the command's wall time on the same documents written as .txt files
                     (`--format jsonl -o /dev/null -q --no-cache`, default jobs), once.
and the cold start (`cleaner scan` on one sample article in a fresh process, median; and the first
run, which builds the user's caches), and prints MB/s for each and the ratio scan/ftfy (target: at
least 10x), each pass's share of the
scan, and the reading limits, on the same text:
  first stage        the compiled multi-pattern scan every pass reads (cleaner/matching.py), alone;
  re2, per pattern   the same translated line patterns run by google-re2 one pattern at a time (the
                     alternative engine; re2.Set only says which patterns match a whole text);
  one regex          one compiled Python regex over the text (bench/scale.py's ONE_REGEX);
  C4 line filter     datatrove's C4QualityFilter (the field's reference), when datatrove is installed;
then the press releases (../shared/data/press-releases, CC BY 4.0: clean article text) scanned in
process against ftfy on the same texts.

    python bench/scan_speed.py [--mb 10] [--repeat 3] [--rules DIR] [--profile]

--profile prints the top of a cProfile of one in-process scan instead of the timings.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ftfy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cleaner.model import Document  # noqa: E402
from cleaner.rules import load_rules  # noqa: E402
from cleaner.scan import Scanner  # noqa: E402

SOURCES = [ROOT / "corpus", ROOT.parent / "shared" / "data" / "zyte-dev" / "naive"]
SEED = 20221118


def mojibake(paragraph: str) -> str:
    """The paragraph's UTF-8 bytes read as Windows-1252 (what a wrong decoder does)."""
    return paragraph.encode("utf-8").decode("cp1252", errors="replace")


def corrupt(text: str, rng: random.Random) -> str:
    """Inject broken unicode into a few paragraphs of a text."""
    paragraphs = text.split("\n")
    for k, p in enumerate(paragraphs):
        roll = rng.random()
        if roll < 0.03 and not p.isascii():
            paragraphs[k] = mojibake(p)
        elif roll < 0.05:
            paragraphs[k] = p.replace("’", "â€™", 2).replace(" and ", " &amp; ", 1)
        elif roll < 0.06:
            paragraphs[k] = p.replace(" ", " \x07", 1)
    return "\n".join(paragraphs)


def build(target_bytes: int) -> list[tuple[str, str]]:
    """(name, text) of documents until their UTF-8 size reaches target_bytes."""
    base = []
    for folder in SOURCES:
        for path in sorted(folder.glob("*.txt")):
            base.append((path.stem, path.read_text(encoding="utf-8")))
    if not base:
        raise SystemExit(f"no .txt files in {', '.join(map(str, SOURCES))}")
    rng = random.Random(SEED)
    docs, size, copy = [], 0, 0
    while size < target_bytes:
        for stem, text in base:
            text = corrupt(text, rng) if copy else text
            name = f"{copy:03d}_{stem[:40]}"
            docs.append((name, text))
            size += len(text.encode("utf-8"))
            if size >= target_bytes:
                break
        copy += 1
    return docs


def best_of(repeat: int, fn) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def scan_in_process(scanner: Scanner, documents: list[Document]) -> int:
    """Observe (corpus-wide passes), then scan every document; the number of findings."""
    if scanner.corpus_passes:
        for p in scanner.corpus_passes:
            merged = None
            for d in documents:
                stats = p.observe(d)
                merged = stats if merged is None else p.merge(merged, stats)
            p.prepare(merged)
    return sum(len(scanner.scan_document(d)) for d in documents)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=10.0, help="size of the text in MB (default 10)")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs (default 3)")
    parser.add_argument("--rules", default=str(ROOT / "rules"), help="rules folder (default: rules/)")
    parser.add_argument("--profile", action="store_true", help="profile one in-process scan instead")
    parser.add_argument("--sort", default="cumulative", help="cProfile sort key for --profile (cumulative, tottime)")
    args = parser.parse_args()

    docs = build(int(args.mb * 1_000_000))
    documents = [Document(f"{name}.txt", text, f"{name}.txt") for name, text in docs]
    mb = sum(len(t.encode("utf-8")) for _, t in docs) / 1_000_000
    scanner = Scanner(load_rules(args.rules))
    print(f"text: {mb:.2f} MB in {len(docs)} documents; {len(scanner.rules)} rules", flush=True)

    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(scan_in_process, scanner, documents)
        pstats.Stats(profile).sort_stats(args.sort).print_stats(30)
        return 0

    findings = scan_in_process(scanner, documents)
    t_scan = best_of(args.repeat, lambda: scan_in_process(scanner, documents))
    t_ftfy = best_of(args.repeat, lambda: [ftfy.fix_text(t) for _, t in docs])

    with tempfile.TemporaryDirectory(prefix="scan-speed-") as tmp:
        folder = Path(tmp) / "corpus"
        folder.mkdir()
        for name, text in docs:
            (folder / f"{name}.txt").write_text(text, encoding="utf-8")
        command = [
            sys.executable,
            "-m",
            "cleaner",
            "scan",
            str(folder),
            "--rules",
            args.rules,
            "--format",
            "jsonl",
            "-o",
            "/dev/null",
            "-q",
            "--no-cache",
        ]
        t0 = time.perf_counter()
        done = subprocess.run(command, cwd=tmp, capture_output=True, text=True)
        t_cli = time.perf_counter() - t0
        if done.returncode not in (0, 1):
            print(done.stderr, file=sys.stderr)
            return done.returncode

    t_cold, t_first = cold_start(args.rules, args.repeat)
    per_pass = pass_times(scanner, documents)
    limits = reading_limits(scanner, documents, args.repeat)
    scan_rate, ftfy_rate, cli_rate = mb / t_scan, mb / t_ftfy, mb / t_cli
    print(f"scan (in-process, 1 core): {scan_rate:8.2f} MB/s  ({t_scan:.2f} s, {findings} findings)")
    print(f"ftfy.fix_text (1 core):    {ftfy_rate:8.2f} MB/s  ({t_ftfy:.2f} s)")
    print(f"cleaner scan (CLI wall):   {cli_rate:8.2f} MB/s  ({t_cli:.2f} s, incl. start-up, default jobs)")
    print(f"cold start, one sample article: {t_cold:.2f} s median of {max(args.repeat, 5)} fresh processes "
          f"(target < 0.5 s){'' if t_cold < 0.5 else '  ABOVE TARGET'}; "
          f"the first run, building the caches: {t_first:.2f} s")
    ratio = scan_rate / ftfy_rate
    print(f"ratio scan/ftfy: {ratio:.1f}x (target >= 10x){'' if ratio >= 10 else '  BELOW TARGET'}")
    print("by pass (one run; scan() of every document, observe() included for corpus-wide passes;"
          " the first stage and the page features are counted in the first pass that asks for them):")
    total = sum(per_pass.values())
    for name, seconds in per_pass.items():
        print(
            f"  {name:<20} {mb / seconds:8.2f} MB/s  "
            f"({seconds:.2f} s, {seconds / total * 100:5.1f}% of the passes' time, {seconds / t_ftfy * 100:5.1f}% of ftfy's)"
        )
    print("reading limits (1 core, same text):")
    for name, seconds in limits.items():
        shown = f"{mb / seconds:8.2f} MB/s  ({seconds:.2f} s)" if seconds else "   not measured (datatrove missing)"
        print(f"  {name:<34} {shown}")
    press_releases(scanner, args.repeat)
    return 0


def cold_start(rules: str, repeat: int) -> tuple[float, float]:
    """(median, first) wall time of `cleaner scan` on one sample article in a fresh process, as a
    user runs it: Python writes its bytecode (PYTHONDONTWRITEBYTECODE is dropped), and the user's cache
    folder holds the compiled first stage and the checked rules after the first run (which is timed
    alone, in an empty cache folder)."""
    article = sorted((ROOT / "corpus").glob("*.txt"))[0]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory(prefix="cold-start-") as tmp:
        command = [sys.executable, "-m", "cleaner", "scan", str(article), "--rules", str(Path(rules).resolve()),
                   "-q", "--no-cache", "-o", str(Path(tmp) / "out.txt")]

        def run(cache_home: str) -> float:
            t0 = time.perf_counter()
            done = subprocess.run(command, cwd=tmp, capture_output=True, text=True,
                                  env={**env, "XDG_CACHE_HOME": cache_home})
            elapsed = time.perf_counter() - t0
            if done.returncode not in (0, 1):
                raise SystemExit(f"cold start: {' '.join(command)} failed:\n{done.stderr}")
            return elapsed

        first = run(str(Path(tmp) / "empty-cache"))
        home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        run(home)  # the user's caches and the bytecode in place
        times = sorted(run(home) for _ in range(max(repeat, 5)))
    return times[len(times) // 2], first


ONE_REGEX = re.compile(r"[^\x00-\x7f]+|&\w+;|\bSource link\b")
PRESS = ROOT.parent / "shared" / "data" / "press-releases" / "press_releases.jsonl"


def reading_limits(scanner: Scanner, documents: list[Document], repeat: int) -> dict[str, float | None]:
    """Seconds for the first stage alone, the same line patterns in re2 one at a time, one regex
    pass, and datatrove's C4 line filter, over the same documents."""
    stage = scanner.passes[0].stage
    texts = [d.text for d in documents]

    def first_stage():
        for text in texts:
            stage._last = None
            stage.candidates(text)

    times: dict[str, float | None] = {"first stage (Hyperscan, all probes)": best_of(repeat, first_stage)}
    times["re2, line patterns one at a time"] = re2_lines(stage, texts, repeat)
    times["one compiled regex (Python re)"] = best_of(repeat, lambda: [sum(1 for _ in ONE_REGEX.finditer(t)) for t in texts])
    times["datatrove C4QualityFilter"] = c4_filter(texts, repeat)
    return times


def re2_lines(stage, texts: list[str], repeat: int) -> float | None:
    """The stage's line probes, translated the same way, run by google-re2 (one findall per pattern)."""
    try:
        import re2
    except ImportError:
        return None
    from cleaner.matching import LINE, Untranslatable, _space_class, translate

    options = re2.Options()
    options.never_nl = False
    compiled = []
    for probe in stage.probes:
        if probe.scope != LINE:
            continue
        try:
            body = translate(probe.pattern, probe.flags).expression
            compiled.append(re2.compile(f"(?m)^{_space_class()}*(?:{body}){_space_class()}*$"))
        except (Untranslatable, re2.error, ValueError):
            continue
    return best_of(repeat, lambda: [[r.findall(t) for r in compiled] for t in texts])


def c4_filter(texts: list[str], repeat: int) -> float | None:
    try:
        from datatrove.data import Document as DatatroveDocument
        from datatrove.pipeline.filters import C4QualityFilter
    except ImportError:
        return None
    c4 = C4QualityFilter()
    try:
        c4.filter(DatatroveDocument(text="A first sentence here. And a second one.\nclick here", id="0"))
    except ImportError as exc:  # its sentence splitter needs spacy
        print(f"  (datatrove's C4 filter cannot run: {exc})")
        return None
    return best_of(repeat, lambda: [c4.filter(DatatroveDocument(text=t, id=str(k))) for k, t in enumerate(texts)])


def press_releases(scanner: Scanner, repeat: int) -> None:
    """The clean-article row: the press releases scanned in process, against ftfy on the same texts."""
    if not PRESS.exists():
        print(f"press releases: {PRESS} not found")
        return
    import json

    records = [json.loads(line) for line in PRESS.read_text(encoding="utf-8").splitlines() if line.strip()]
    documents = [Document(f"press.jsonl#{r['id']}", r["text"], r.get("source", "")) for r in records]
    mb = sum(len(d.text.encode("utf-8")) for d in documents) / 1_000_000
    t_scan = best_of(repeat, lambda: scan_in_process(scanner, documents))
    t_ftfy = best_of(repeat, lambda: [ftfy.fix_text(d.text) for d in documents])
    print(f"press releases ({mb:.1f} MB, {len(documents)} clean articles): scan {mb / t_scan:.2f} MB/s, "
          f"ftfy {mb / t_ftfy:.2f} MB/s: {t_ftfy / t_scan:.1f}x ftfy on 1 core (target >= 20x on all cores)")


def pass_times(scanner: Scanner, documents: list[Document]) -> dict[str, float]:
    """Seconds each pass takes over all documents (corpus-wide ones: observe + prepare + scan).

    Documents are scanned one after the other by every pass in turn, as the scanner does, so what
    passes share for a text (the first stage's candidates, the page features and layouts) is counted
    once, in the first pass that asks for it."""
    times = dict.fromkeys((type(p).__name__ for p in scanner.passes), 0.0)
    for p in scanner.corpus_passes:
        t0 = time.perf_counter()
        merged = None
        for d in documents:
            stats = p.observe(d)
            merged = stats if merged is None else p.merge(merged, stats)
        p.prepare(merged)
        times[type(p).__name__] += time.perf_counter() - t0
    clock = time.perf_counter
    for d in documents:
        for p in scanner.passes:
            t0 = clock()
            list(p.scan(d))
            times[type(p).__name__] += clock() - t0
    return times


if __name__ == "__main__":
    raise SystemExit(main())
