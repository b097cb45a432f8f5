"""Throughput of the names pass (NM, TR) against ftfy.fix_text, on the sample corpus repeated.

    python bench/names.py [--repeat 200] [--rules DIR]

Prints MB/s of one-process scans: the names pass alone, every rule, and ftfy.fix_text on the same
text. The issue asks for the scan to stay at least 10x faster than ftfy.fix_text. Each document is
made unique (a numbered first line) so no cache or memo can hide the work.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import ftfy

from cleaner.model import Document
from cleaner.rules import load_rules
from cleaner.scan import Scanner

ROOT = Path(__file__).resolve().parent.parent


def documents(repeat: int) -> list[Document]:
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus").glob("*.txt"))]
    return [
        Document(f"{n}-{i}", f"Report {n}\n\n{t}", f"{n}-{i}")
        for n in range(repeat)
        for i, t in enumerate(texts)
    ]


def rate(docs: list[Document], work) -> float:
    size = sum(len(d.text.encode()) for d in docs) / 1e6
    start = time.perf_counter()
    for d in docs:
        work(d)
    return size / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--rules", default=str(ROOT / "rules"))
    args = parser.parse_args()
    ruleset = load_rules(args.rules)
    docs = documents(args.repeat)
    names = Scanner(ruleset, select=["NM", "TR"])
    everything = Scanner(ruleset)
    ftfy_rate = rate(docs, lambda d: ftfy.fix_text(d.text))
    names_rate = rate(docs, names.scan_document)
    all_rate = rate(docs, everything.scan_document)
    mb = sum(len(d.text.encode()) for d in docs) / 1e6
    print(f"{len(docs)} documents, {mb:.1f} MB")
    print(f"ftfy.fix_text     {ftfy_rate:8.2f} MB/s")
    print(f"names pass NM,TR  {names_rate:8.2f} MB/s  ({names_rate / ftfy_rate:.1f}x ftfy)")
    print(f"every rule        {all_rate:8.2f} MB/s  ({all_rate / ftfy_rate:.1f}x ftfy)")


if __name__ == "__main__":
    main()
