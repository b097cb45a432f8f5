"""Corpus-scale benchmark: parallel, streaming and incremental scans against ftfy and the one-regex limit.

Builds a corpus of --mb MB (default 50) from corpus/ and ../shared/data/zyte-dev/naive/ (Zyte
article-extraction benchmark, MIT License, © 2020 Scrapinghub) with copies that carry injected
mojibake (bench/scan_speed.py's corruptions), names to fix (Kyiv -> Kiev, Zelenskyy -> Zelensky)
and boilerplate lines, all seeded and deterministic, written both as a folder of .txt files (in
20 source folders) and as .jsonl files. Then, in one run on the same text, it prints:

  - `cleaner scan` throughput (all passes, default rules, --no-cache) with --jobs 1 and all cores,
    on the folder and on the JSONL files, and with --engine ray (a local Ray started with all
    cores) when ray is installed, with Ray's start-up (ray.init and a no-op task, in a fresh
    process) measured on its own;
  - ftfy.fix_text alone and one compiled regex over the text (reading included), each as a ratio;
  - peak memory (RSS, --jobs 1) of the scan at 1/10 of the size and at the full size;
  - `cleaner apply --auto` throughput;
  - a second scan of the unchanged corpus (cache warm), and one after editing 1% of the documents.

    python bench/scale.py [--mb 50] [--keep DIR]

Each command is a fresh `python -m cleaner` process, so start-up is included. The machine is shared,
so compare ratios measured in the same run rather than absolute figures across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ftfy

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from scan_speed import build  # noqa: E402

SEED = 6
BOILERPLATE = ["Source link", "Share this:", "Advertisement", "Leave a Comment", "Follow us on Twitter"]
ONE_REGEX = re.compile(r"[^\x00-\x7f]+|&\w+;|\bSource link\b")


def inject(text: str, rng: random.Random) -> str:
    """Names spelled the old way and a boilerplate line or two, on some copies."""
    if rng.random() < 0.5:
        text = text.replace("Kyiv", "Kiev").replace("Zelenskyy", "Zelensky")
    if rng.random() < 0.5:
        text = text.rstrip("\n") + "\n\n" + rng.choice(BOILERPLATE) + "\n"
    return text


def write_corpus(docs: list[tuple[str, str]], folder: Path, sources: int = 20) -> None:
    """The documents as .txt files in `sources` folders, and the same texts as JSONL (4 files)."""
    txt, jsonl = folder / "txt", folder / "jsonl"
    txt.mkdir(parents=True)
    jsonl.mkdir(parents=True)
    handles = [open(jsonl / f"part-{k}.jsonl", "w", encoding="utf-8") for k in range(4)]
    for n, (name, text) in enumerate(docs):
        site = f"site{n % sources:02d}"
        (txt / site).mkdir(exist_ok=True)
        (txt / site / f"{name}.txt").write_text(text, encoding="utf-8")
        record = {"id": f"{n}", "source": site, "text": text}
        handles[n % 4].write(json.dumps(record, ensure_ascii=False) + "\n")
    for h in handles:
        h.close()


def cleaner(args: list[str], cwd: Path) -> tuple[float, int]:
    """Wall time and peak RSS (KiB, this process tree's largest) of one cleaner command."""
    command = [sys.executable, "-m", "cleaner", *args]
    t0 = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{err}")
    return elapsed, usage.ru_maxrss


RAY_STARTUP = """
import logging, time
t0 = time.perf_counter()
import ray
ray.init(address="local", num_cpus={cores}, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
ray.get(ray.remote(lambda: None).remote())
print(time.perf_counter() - t0)
ray.shutdown()
"""


def ray_startup(cores: int) -> float | None:
    """Seconds from a fresh process's `import ray` to the result of a no-op task on a local Ray
    started as `--engine ray` starts it; None without ray."""
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
    proc = subprocess.run([sys.executable, "-c", RAY_STARTUP.format(cores=cores)], capture_output=True, text=True,
                          env=env)
    return float(proc.stdout.split()[-1]) if proc.returncode == 0 and proc.stdout.strip() else None


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=50.0)
    parser.add_argument("--keep", help="build the corpus here and keep it")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    rules = str(ROOT.parent / "rules")

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="cleaner-scale-"))
    try:
        rng = random.Random(SEED)
        docs = [(name, inject(text, rng)) for name, text in build(int(args.mb * 1e6))]
        small = docs[: max(1, len(docs) // 10)]
        write_corpus(docs, work / "big")
        write_corpus(small, work / "small")
        texts = [t for _, t in docs]
        mb = size_mb(work / "big" / "txt")
        print(f"corpus: {mb:.1f} MB in {len(docs):,} documents (txt) and {size_mb(work / 'big' / 'jsonl'):.1f} MB JSONL; "
              f"{cores} cores; python {sys.version.split()[0]}", flush=True)

        common = ["--rules", rules, "-q", "--format", "jsonl", "-o", os.devnull]
        scan_txt = ["scan", str(work / "big" / "txt"), *common]
        t1, _ = cleaner([*scan_txt, "--jobs", "1", "--no-cache"], work)
        tn, _ = cleaner([*scan_txt, "--jobs", str(cores), "--no-cache"], work)
        tj, _ = cleaner(["scan", str(work / "big" / "jsonl"), *common, "--no-cache"], work)
        t_ray_start = ray_startup(cores)
        t_ray = None
        if t_ray_start is not None:
            t_ray, _ = cleaner([*scan_txt, "--engine", "ray", "--jobs", str(cores), "--no-cache"], work)

        t0 = time.perf_counter()
        for t in texts:
            ftfy.fix_text(t)
        t_ftfy = time.perf_counter() - t0
        t0 = time.perf_counter()
        hits = 0
        for p in sorted((work / "big" / "txt").rglob("*.txt")):
            hits += sum(1 for _ in ONE_REGEX.finditer(p.read_text(encoding="utf-8")))
        t_regex = time.perf_counter() - t0

        _, rss_small = cleaner(["scan", str(work / "small" / "txt"), *common, "--jobs", "1", "--no-cache"], work)
        _, rss_big = cleaner([*scan_txt, "--jobs", "1", "--no-cache"], work)

        out = work / "out"
        ta, _ = cleaner(["apply", str(work / "big" / "txt"), "--rules", rules, "--out", str(out), "--auto", "-q",
                         "--no-cache"], work)

        cache = ["--cache", str(work / "cache")]
        tc1, _ = cleaner([*scan_txt, *cache], work)
        tc2, _ = cleaner([*scan_txt, *cache], work)
        files = sorted((work / "big" / "txt").rglob("*.txt"))
        for p in random.Random(SEED).sample(files, max(1, len(files) // 100)):
            p.write_text(p.read_text(encoding="utf-8") + "\nEdited paragraph with Kiev in it.\n", encoding="utf-8")
        tc3, _ = cleaner([*scan_txt, *cache], work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    def rate(t: float) -> str:
        return f"{mb / t:7.2f} MB/s ({t:6.2f} s)"

    print(f"cleaner scan --jobs 1            {rate(t1)}")
    print(f"cleaner scan --jobs {cores}            {rate(tn)}   speed-up {t1 / tn:.2f}x (target >= 1.7x)")
    print(f"cleaner scan JSONL (all cores)   {rate(tj)}")
    if t_ray is None:
        print("cleaner scan --engine ray        (ray is not installed: pip install 'cleaner[ray]')")
    else:
        print(f"cleaner scan --engine ray        {rate(t_ray)}   {t_ray / tn:.2f}x the time of --jobs {cores}; of it "
              f"Ray's start-up {t_ray_start:.2f} s (ray.init + a no-op task), without it {mb / (t_ray - t_ray_start):.2f} MB/s")
    print(f"ftfy.fix_text alone (1 core)     {rate(t_ftfy)}   scan (all cores) is {t_ftfy / tn:.1f}x ftfy (target >= 20x)")
    print(f"one regex pass, reading included {rate(t_regex)}   scan is {tn / t_regex:.1f}x slower (target <= 8x)")
    print(f"peak RSS --jobs 1: {rss_small / 1024:.0f} MiB at {mb / 10:.0f} MB, {rss_big / 1024:.0f} MiB at {mb:.0f} MB"
          f"   ratio {rss_big / rss_small:.2f} (target <= 1.5)")
    print(f"cleaner apply --auto (all cores) {rate(ta)}")
    print(f"scan with cache, first           {rate(tc1)}")
    print(f"scan with cache, unchanged       {rate(tc2)}   {tc1 / tc2:.1f}x faster than first (target >= 10x)")
    print(f"scan with cache, 1% edited       {rate(tc3)}   {tc3 / tc1:.1%} of the first scan")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
