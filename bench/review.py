"""How fast `cleaner review` opens 100,000 findings and moves between them (prints figures; not a timed test).

    .venv/bin/python bench/review.py [--findings 100000] [--per-doc 10]

Builds a synthetic scanned corpus in memory (documents with one currency-space finding a line), then
runs the real app headless: the time from the end of the scan to the queue on screen, and the time per
key for moving (j, PageDown, End) and deciding (a: includes the SQLite commit). A key pressed through
the Pilot includes its fixed wait for the screen to settle (about 0.1 s even with 100 findings, see
--findings 100), so the app's own work per move is measured separately.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from cleaner.corpus import Loaded, Options, SourceFile, Unit
from cleaner.decisions import DecisionStore
from cleaner.model import Applicability, Document, Finding
from cleaner.review import Session, Setup
from cleaner.rules import load_rules
from cleaner.scan import Scanner, ScanResult


def synthetic(n_findings: int, per_doc: int) -> list[tuple[Unit, ScanResult]]:
    results = []
    for d in range(n_findings // per_doc):
        name = f"doc{d:06d}.txt"
        lines = [f"Paragraph {k} of document {d} says it cost $ {k + 1} million." for k in range(per_doc)]
        text = f"Title {d}\n\n" + "\n\n".join(lines) + "\n"
        source = SourceFile(Path(name), name, name, "text")
        doc = Document(name, text, name)
        findings, pos = [], 0
        for k in range(per_doc):
            start = text.index("$ ", pos)
            original = text[start : start + 3]
            findings.append(
                Finding(
                    name,
                    "TY001",
                    "currency-space",
                    start,
                    start + 3,
                    original,
                    original.replace(" ", ""),
                    Applicability.SAFE,
                    "space between a currency sign and its amount",
                    "remove space",
                    line=3 + 2 * k,
                    col=40,
                )
            )
            pos = start + 3
        results.append((Unit(source, size=len(text)), ScanResult(Loaded(source, [doc]), {name: findings})))
    return results


async def measure(results, folder: Path) -> dict[str, float]:
    from cleaner.tui.app import ReviewApp
    from cleaner.tui.widgets.detail import FindingDetail

    ruleset = load_rules()
    store = DecisionStore(folder / "decisions.sqlite")
    setup = Setup(
        inputs=["synthetic"],
        units=[u for u, _ in results],
        scanner=Scanner(ruleset),
        ruleset=ruleset,
        options=Options(),
        store=store,
        reviewer="bench",
        out_dir=folder / "out",
        results=results,
    )
    figures: dict[str, float] = {}
    started = time.perf_counter()
    session = Session(results, store.all(), reviewer="bench", store=store)
    figures["session (ids, groups, counts)"] = time.perf_counter() - started
    app = ReviewApp(setup)
    started = time.perf_counter()
    async with app.run_test(size=(120, 40)) as pilot:
        while app.session is None:
            await pilot.pause(0.005)
        await pilot.pause()
        figures["app start -> queue on screen"] = time.perf_counter() - started
        marks = app.screen.timings
        while "queue shown" not in marks:
            await pilot.pause(0.005)
        figures["OPEN: end of scan -> queue on screen"] = marks["queue shown"] - marks["scan done"]
        assert len(app.session.findings) == len(session.findings)
        for key, label, count in (
            ("j", "move one (j)", 300),
            ("pagedown", "page down", 50),
            ("end", "jump to last (End)", 5),
            ("home", "jump to first (Home)", 5),
            ("a", "accept + advance (a, with SQLite commit)", 100),
            ("u", "undo (u)", 50),
        ):
            times = []
            for _ in range(count):
                t = time.perf_counter()
                await pilot.press(key)
                times.append(time.perf_counter() - t)
            figures[f"{label}: median per key"] = statistics.median(times)
            figures[f"{label}: worst"] = max(times)
        # the app's own work for one move, without the Pilot's fixed wait per key: the cursor moves,
        # the detail pane is rebuilt and every visible row of the queue is rendered again
        screen = app.screen
        queue, detail = screen.queue, screen.query_one(FindingDetail)
        times = []
        for _ in range(300):
            t = time.perf_counter()
            queue.action_move(1)
            detail.show(app.session, queue.current)
            for y in range(queue.size.height):
                queue.render_line(y)
            times.append(time.perf_counter() - t)
        figures["move one, app work only (cursor + detail + visible rows): median"] = statistics.median(times)
        figures["move one, app work only: worst"] = max(times)
        t = time.perf_counter()
        app.session.set_filter("doc:doc0999")
        figures["filter doc:doc0999 over all findings (session)"] = time.perf_counter() - t
    store.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--per-doc", type=int, default=10)
    args = parser.parse_args()
    t = time.perf_counter()
    results = synthetic(args.findings, args.per_doc)
    print(
        f"built {args.findings:,} findings in {len(results):,} documents in {time.perf_counter() - t:.2f} s"
    )
    with tempfile.TemporaryDirectory() as tmp:
        figures = asyncio.run(measure(results, Path(tmp)))
    for label, seconds in figures.items():
        print(f"  {label:<58} {seconds * 1000:9.1f} ms")


if __name__ == "__main__":
    main()
