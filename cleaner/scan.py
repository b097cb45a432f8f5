"""Run the passes over a corpus (on an engine: worker processes or a Ray cluster; with a findings cache) in a fixed order."""

from __future__ import annotations

import copy
import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from cleaner.cache import FindingCache, cache_key, dump_stats, load_stats
from cleaner.cache import dump as dump_findings
from cleaner.cache import load as load_findings
from cleaner.corpus import Loaded, Options, Unit, load, record_names
from cleaner.engines import Engine, Failed
from cleaner.engines.local import LocalEngine
from cleaner.model import Applicability, Document, Finding
from cleaner.passes import Pass, Settings, build_passes, validate
from cleaner.rules import RuleSet, calibration, ignored_changes
from cleaner.text import positions

PARALLEL_MIN_BYTES = 2_000_000  # below this, worker start-up costs more than it saves


@dataclass
class ScanResult:
    """One unit (a file, or a chunk of a large JSONL file) after scanning."""

    loaded: Loaded
    findings: dict[str, list[Finding]] = field(default_factory=dict)  # doc -> findings
    problems: list[str] = field(default_factory=list)

    def all_findings(self) -> Iterator[Finding]:
        for document in self.loaded.documents:
            yield from self.findings.get(document.doc, [])


class Scanner:
    """The passes chosen for one run, ready to scan documents."""

    def __init__(
        self,
        ruleset: RuleSet,
        select: list[str] | None = None,
        ignore: list[str] | None = None,
        settings: Settings | None = None,
    ):
        self.ruleset = ruleset
        self.settings = settings or Settings()
        self.rules = ruleset.active(select, ignore)
        validate(ruleset, self.rules, self.settings)
        self.ignored = ignored_changes(ruleset)  # findings reviewers rejected for good (`ignore:` in a pack)
        # measured precision of each signal at its strength, as the confidence (rules/calibration.yaml)
        self.calibration = calibration(ruleset)
        # codes whose line deletions next to each other are one finding (a menu, a footer, a comment list)
        self.block_codes = frozenset(r.code for r in self.rules if r.kind in BLOCK_KINDS)
        # what the cached findings of a document depend on besides its text
        self.config_digest = hashlib.sha256(
            repr((ruleset.version, sorted(r.code for r in self.rules), self.settings)).encode()
        ).hexdigest()[:16]

    @cached_property
    def passes(self) -> list[Pass]:
        """The passes, built on first use: a run served wholly from the cache needs none."""
        return build_passes(self.ruleset, self.rules, self.settings)

    @cached_property
    def local_passes(self) -> list[Pass]:
        return [p for p in self.passes if not p.corpus_wide]

    @cached_property
    def corpus_passes(self) -> list[Pass]:
        return [p for p in self.passes if p.corpus_wide]

    def scan_document(self, doc: Document) -> list[Finding]:
        found: list[Finding] = []
        for p in self.passes:
            found.extend(p.scan(doc))
        return self.finalize(doc, found)

    def prepare(self, merged: list) -> None:
        """Prepare each corpus-wide pass with its merged statistics (one item per pass)."""
        for p, stats in zip(self.corpus_passes, merged, strict=True):
            p.prepare(stats)

    def wide_key(self, stats: list, corpus_digest: str) -> str:
        """After prepare(): what the corpus-wide findings of a unit's documents depend on, given the
        unit's own statistics (a pass that cannot tell falls back to the whole corpus's digest)."""
        keys = [p.wide_key(stats[k]) for k, p in enumerate(self.corpus_passes)]
        return hashlib.sha256("\0".join(k if k is not None else corpus_digest for k in keys).encode()).hexdigest()[:32]

    def fingerprint(self, unit: Unit, loaded: Loaded, problems: list[str]) -> str:
        """Names a unit as read: its documents (names, sources, encodings, texts), what reading it
        reported and where it is shown. Cached output of a unit is keyed by this + rules + corpus."""
        digest = hashlib.sha256(
            "\0".join([self.config_digest, unit.source.display, str(unit.part), str(loaded.skipped), *problems])
            .encode("utf-8", "surrogatepass")
        )
        for doc in loaded.documents:
            digest.update(f"\0{doc.doc}\0{doc.source}\0{doc.encoding}\0{doc.sha256}".encode("utf-8", "surrogatepass"))
        return digest.hexdigest()[:32]

    def finalize(self, doc: Document, found: list[Finding]) -> list[Finding]:
        """Drop ignored findings and edits that change nothing, keep one finding per edit, sort,
        merge line deletions next to each other into blocks, and only then make the findings that
        are output, with their calibrated confidence and position."""
        # an edit that changes nothing (ftfy's steps can leave a piece as it was); notices have no span
        found = [f for f in found if f.original != f.replacement or f.start == f.end]
        if self.ignored:
            found = [f for f in found if not self._is_ignored(f)]
        if not found:
            return []
        if self.calibration:
            kept = most_trusted(found, calibrated(found, self.calibration))
        else:
            kept = most_trusted(found, [f.confidence for f in found])
        runs = blocks(kept, self.block_codes) if self.block_codes else [[item] for item in kept]
        out = placed(doc, runs)
        # a reviewer's `-` on a block ignores the block as it was proposed
        return [f for f in out if not self._is_ignored(f)] if self.ignored and self.block_codes else out

    def _is_ignored(self, f: Finding) -> bool:
        docs = self.ignored.get((f.code, f.original, f.replacement))
        return docs is not None and (None in docs or f.doc in docs)

    def scan_loaded(
        self, loaded: Loaded, cache: FindingCache | None, wide: str = ""
    ) -> tuple[dict[str, list[Finding]], list]:
        """Findings of every document of a unit, reusing cached ones; also the new cache entries.

        Per-document passes are cached by text + rules + settings; corpus-wide passes also by
        `wide`, the unit's wide key (what they read from the corpus statistics for this unit).
        """
        docs = loaded.documents
        new_entries: list[tuple[str, str]] = []
        if cache is None:
            return {d.doc: self.scan_document(d) for d in docs}, new_entries
        # finished findings of a document with the same name and text under the same corpus statistics
        final_digest = f"final:{self.config_digest}:{wide}"
        final_keys = [cache_key(f"{final_digest}:{d.doc}", d) for d in docs]
        final = cache.get_many(final_keys)
        results: dict[str, list[Finding]] = {}
        missing = [k for k, key in enumerate(final_keys) if key not in final]
        for k, doc in enumerate(docs):
            if final_keys[k] in final:
                results[doc.doc] = load_findings(final[final_keys[k]], doc)
        if missing:
            # each document through both groups of passes in turn, so that what the passes share
            # for a text (the first stage's candidates, the page features) is worked out once
            groups = [(passes, digest) for passes, digest in (
                (self.local_passes, self.config_digest), (self.corpus_passes, f"{self.config_digest}:{wide}"))
                if passes]
            keys = [[cache_key(digest, docs[k]) for _, digest in groups] for k in missing]
            cached = cache.get_many([key for row in keys for key in row])
            for k, row in zip(missing, keys, strict=True):
                doc = docs[k]
                found: list[Finding] = []
                for (passes, _), key in zip(groups, row, strict=True):
                    payload = cached.get(key)
                    if payload is not None:
                        found.extend(load_findings(payload, doc))
                        continue
                    part = [f for p in passes for f in p.scan(doc)]
                    new_entries.append((key, dump_findings(part)))
                    found.extend(part)
                results[doc.doc] = self.finalize(doc, found)
                new_entries.append((final_keys[k], dump_findings(results[doc.doc])))
        return {d.doc: results[d.doc] for d in docs}, new_entries


def keep(result: ScanResult) -> ScanResult:
    """A `finish` step that returns the scan result itself (in-process use only: it holds the text)."""
    return result


# ---------------------------------------------------------------- map, merge, scan
#
# Phase 1 (observe, in workers): read every unit once, name it (fingerprint) and compute the
# statistics of the corpus-wide passes unless the cache has them. The main process then names the
# corpus (the digest of every unit's fingerprint) and looks up each unit's finished output under
# that name: an unchanged corpus ends here, without merging anything. Otherwise the statistics are
# merged and prepared once, each unit gets its wide key (what its corpus-wide findings read from the
# merged statistics), outputs cached under that key are reused, and only the remaining units are
# scanned (phase 2, in workers, which inherit the prepared passes, or, on a remote engine, get the
# merged statistics with the state and prepare the passes themselves).
#
# The workers are an engine's (cleaner/engines): an ordered, bounded map over the units.

_WORKER: dict[str, Any] = {}
_RUN: dict[str, Any] = {}  # in a remote engine's worker process: the run it last worked for, and its scanner


def _init_worker(state: dict[str, Any]) -> None:
    _WORKER.clear()
    _WORKER.update(state)
    run = state.get("run")
    if run is None:
        return
    # sent to a remote engine: the passes phase 1 built in this process serve phase 2 of the same
    # run, and they are prepared where they run
    scanner = state["scanner"]
    if _RUN.get("run") == run:
        for name in _built(scanner):
            if name in _RUN["scanner"].__dict__:
                scanner.__dict__[name] = _RUN["scanner"].__dict__[name]
    _RUN.update(run=run, scanner=scanner)
    if "merged" in state:
        scanner.prepare(state["merged"])


def _built(scanner: Scanner) -> list[str]:
    """What a scanner builds on first use (its cached properties: the passes)."""
    return [name for name, value in vars(type(scanner)).items() if isinstance(value, cached_property)]


def _portable(scanner: Scanner) -> Scanner:
    """A copy of the scanner to send to another machine: without what it built (the passes, which
    hold compiled functions and are built again there on first use)."""
    twin = copy.copy(scanner)
    for name in _built(scanner):
        twin.__dict__.pop(name, None)
    return twin


class _DriverCache:
    """The findings cache as a task of a remote engine sees it (the SQLite file stays with the
    driver): which unit statistics it held when the run began, and no findings; what the task
    computes goes back to the driver as new entries, which stores them."""

    usable = True

    def __init__(self, stats_keys: set[str]):
        self.stats_keys = frozenset(stats_keys)

    def existing(self, keys: list[str], table: str = "findings") -> set[str]:
        return {k for k in keys if k in self.stats_keys} if table == "stats" else set()

    def get_many(self, keys: list[str], table: str = "findings") -> dict[str, str]:
        return {}

    def close(self) -> None:
        pass


def _failed(finish: Callable[[ScanResult], Any], unit: Unit, reason: str) -> Any:
    """The finished result of a unit whose task failed for good: no document, one problem line
    (a unit that cannot be read, in effect: apply writes nothing of its file)."""
    part = f" (part {unit.part + 1} of {unit.parts})" if unit.parts > 1 else ""
    problem = f"{unit.source.display}{part}: {reason}; skipped"
    return finish(ScanResult(Loaded(unit.source, skipped=True), {}, [problem]))


@dataclass
class Observed:
    """What phase 1 learnt of one unit."""

    fingerprint: str
    documents: int
    content: str = ""  # the documents' texts (see _content): phase 2 checks it read the same
    stats: bytes | None = None  # pickled per-pass statistics, when computed in this run (until stored)
    merged: bool = False  # already merged (as phase 1 went)
    names: list[tuple[str, int]] | None = None  # (document, line) in a chunk of a larger JSONL file
    stats_key: str = ""  # its statistics in the cache: by the fingerprint as read (renames aside)


def _observe_unit(unit: Unit) -> Observed:
    scanner: Scanner = _WORKER["scanner"]
    cache: FindingCache | None = _WORKER["cache"]
    problems: list[str] = []
    loaded = load(unit.source, _WORKER["options"], problems, unit)
    fingerprint = scanner.fingerprint(unit, loaded, problems)
    seen = Observed(fingerprint, len(loaded.documents), _content(loaded), stats_key="observe:" + fingerprint)
    if unit.parts > 1:
        seen.names = record_names(loaded, unit)
    if cache is None or not cache.existing([seen.stats_key], "stats"):  # (the passes are built only then)
        seen.stats = dump_stats(_statistics(scanner, loaded))
    return seen


def _content(loaded: Loaded) -> str:
    """The texts a unit held when read (their SHA-256s), to tell a file edited during the run."""
    return hashlib.sha256(f"{loaded.skipped}{[d.sha256 for d in loaded.documents]}".encode()).hexdigest()[:32]


def _statistics(scanner: Scanner, loaded: Loaded) -> list:
    """The corpus-wide passes' statistics of a unit's documents, merged per pass."""
    return [reduce_tree([p.observe(d) for d in loaded.documents], p.merge) for p in scanner.corpus_passes]


def reduce_tree(items: list, merge: Callable[[Any, Any], Any]) -> Any:
    """Merge statistics pairwise, in order (merge is associative): n log n work where a left fold
    that copies its accumulator would be quadratic in the number of documents."""
    items = [x for x in items if x is not None]
    if not items:
        return None
    while len(items) > 1:
        items = [merge(items[i], items[i + 1]) if i + 1 < len(items) else items[i] for i in range(0, len(items), 2)]
    return items[0]


def _scan_unit(task: tuple[Unit, str, dict[str, int] | None]) -> tuple[Any, list, int, str]:
    """Load, scan and finish one unit in a worker; only the finished (compact) result goes back,
    with what the unit's texts were this time (the file may have changed since phase 1)."""
    unit, wide, taken = task
    problems: list[str] = []
    loaded = load(unit.source, _WORKER["options"], problems, unit, taken)
    findings, new_entries = _WORKER["scanner"].scan_loaded(loaded, _WORKER["cache"], wide)
    finished = _WORKER["finish"](ScanResult(loaded, findings, problems))
    return finished, new_entries, len(loaded.documents), _content(loaded)


def _output_key(tag: str, fingerprint: str, corpus: str) -> str:
    """Key of a unit's finished output: the finish step, the unit as read and the corpus statistics
    it read (the whole corpus's digest, or the unit's wide key)."""
    return "unit:" + hashlib.sha256(f"{tag}\0{fingerprint}\0{corpus}".encode()).hexdigest()[:32]


def run(
    scanner: Scanner,
    units: list[Unit],
    options: Options,
    finish: Callable[[ScanResult], Any],
    *,
    jobs: int = 1,
    cache: FindingCache | None = None,
    progress=None,
    engine: Engine | None = None,
) -> Iterator[tuple[Unit, Any, int]]:
    """Scan every unit and yield (unit, finish(result), documents) in input order.

    `finish` runs in the worker, so what crosses back is only what the caller needs (formatted
    lines, cleaned text...). A `finish` with a `cache_tag` (the scan command's formatting) has its
    result cached per unit. The workers are the engine's (without one, `jobs` local processes).
    A unit whose task failed for good on the engine is one problem line in its result.
    """
    own = engine is None
    if engine is None:
        engine = LocalEngine(jobs)
    engine.begin(small=len(units) < 2 or sum(u.size for u in units) < PARALLEL_MIN_BYTES)
    state = {"scanner": scanner, "options": options, "finish": finish, "cache": cache}

    # merged while phase 1 runs when the statistics will surely be needed (nothing is cached yet)
    cold = cache is None or not cache.path.exists()
    if cold:
        scanner.passes  # built once here, before workers fork, when they will surely be needed
    merging = Merging([p.merge for p in scanner.corpus_passes]) if cold else None
    sent = state  # what the engine's workers get: on a remote engine, no built passes and no SQLite
    if engine.remote:
        known = cache.keys("observe:", "stats") if cache is not None else set()
        sent = {**state, "scanner": _portable(scanner), "cache": _DriverCache(known) if cache is not None else None,
                "run": os.urandom(8).hex()}
    try:
        seen, taken, failed = _observe_all(engine, sent, units, progress, merging, cache)
    except BaseException:
        if own:
            engine.close()
        raise
    if progress is not None:
        progress.stage("2/2 scan")
    corpus = hashlib.sha256("".join(s.fingerprint for s in seen).encode()).hexdigest()[:32]
    tag = getattr(finish, "cache_tag", None) if cache is not None else None
    named = [_output_key(tag, s.fingerprint, corpus) for s in seen] if tag is not None else []
    # unit index -> key of its cached output, first under the whole corpus's name (an unchanged
    # corpus stops here); the outputs themselves are read one unit at a time as they are yielded
    stored = _linked(cache, named) if tag is not None else {}
    todo = [i for i in range(len(units)) if i not in stored and i not in failed]
    wide = [""] * len(units)
    if todo and scanner.corpus_passes:
        wide, merged = _prepare(scanner, units, seen, options, cache, todo, corpus, merging)
        if engine.remote:  # the merged statistics go to the workers once, with the state
            sent = {**sent, "merged": merged}
    new_links: list[tuple[str, str]] = []  # corpus-named key -> wide-key-named key, for the next run
    if tag is not None and todo:  # then under the unit's wide key (the corpus changed elsewhere)
        keyed = {i: _output_key(tag, seen[i].fingerprint, wide[i]) for i in todo}
        present = cache.existing(sorted(set(keyed.values())), "stats")
        for i, key in keyed.items():
            if key in present:
                stored[i] = key
                new_links.append((named[i], key))
        todo = [i for i in todo if i not in stored]

    results = _mapped(engine, _scan_unit, [(units[i], wide[i], taken.get(i)) for i in todo], sent, cache)
    try:
        for i, unit in enumerate(units):
            payload = cache.get_many([stored[i]], "stats").get(stored[i]) if i in stored else None
            if i in failed:
                finished, ndocs = _failed(finish, unit, failed[i]), 0
            elif payload is not None:
                finished, ndocs = load_stats(payload), seen[i].documents
            else:
                if i in stored:  # gone since it was looked up (another run cleared the cache)
                    if "scanner" not in _WORKER or _WORKER["scanner"] is not scanner:
                        _init_worker(state)
                    done = _scan_unit((unit, wide[i], taken.get(i)))
                else:
                    done = next(results)
                if isinstance(done, Failed):
                    if progress is not None:
                        progress.advance(unit.size, 0)
                    yield unit, _failed(finish, unit, done.reason), 0
                    continue
                finished, new_entries, ndocs, content = done
                if cache is not None and new_entries:
                    cache.put_many(new_entries)  # per document, keyed by text: right whatever happened
                if tag is not None and content == seen[i].content:  # not if the file changed meanwhile
                    key = _output_key(tag, seen[i].fingerprint, wide[i])
                    cache.put_many([(key, dump_stats(finished))], "stats")
                    new_links.append((named[i], key))
            if progress is not None:
                progress.advance(unit.size, ndocs)
            yield unit, finished, ndocs
        if new_links:
            cache.put_many(new_links, "stats")
    finally:
        results.close()
        _WORKER.clear()
        if own:
            engine.close()


class _ChunkNames:
    """Names the records of a large JSONL file's chunks got in phase 1, one file at a time: for each
    chunk, the names an earlier chunk of the file already gave (name -> line there), which the chunk
    renames when it is scanned, as one chunk would (corpus.load: `rel#line`, or `name#line` when
    that is taken too)."""

    def __init__(self) -> None:
        self.earlier: dict[str, int] = {}

    def clashes(self, unit: Unit, names: list[tuple[str, int]] | None) -> dict[str, int]:
        if unit.part == 0:
            self.earlier = {}
        if not names:
            return {}
        clash: dict[str, int] = {}
        here: dict[str, int] = {}
        for name, line in names:
            if name in self.earlier:
                clash[name] = self.earlier[name]
                renamed = f"{unit.source.rel}#{line}"
                if renamed in self.earlier:
                    clash[renamed] = self.earlier[renamed]
                if renamed in self.earlier or renamed in here:
                    renamed = f"{name}#{line}"
                name = renamed
            here.setdefault(name, line)
        for name, line in here.items():
            self.earlier.setdefault(name, line)
        return clash


def _linked(cache: FindingCache, named: list[str]) -> dict[int, str]:
    """Unit index -> key of the output cached for it under its corpus-named key (a link to it)."""
    links = cache.get_many(named, "stats")
    present = cache.existing(sorted({v for v in links.values() if isinstance(v, str)}), "stats")
    return {i: links[key] for i, key in enumerate(named) if links.get(key) in present}


def _prepare(scanner: Scanner, units: list[Unit], seen: list[Observed], options: Options,
             cache: FindingCache | None, todo: list[int], corpus: str,
             merging: Merging | None) -> tuple[list[str], list]:
    """Merge every unit's statistics, prepare the corpus-wide passes, and (with a cache, whose keys
    need them) give each unit to scan its wide key; also the merged statistics.

    Statistics computed in this run were merged as they arrived (`merging`, while the workers still
    read) and stored; the others are read back from the cache a batch at a time, so only merged
    statistics are held, not every unit's. One that went missing (a cache cleared meanwhile, or one
    that cannot be written) is computed again from the file.
    """
    if merging is None:
        merging = Merging([p.merge for p in scanner.corpus_passes])
    for i, values in _unit_statistics(scanner, units, seen, options, cache, [i for i, s in enumerate(seen)
                                                                            if not s.merged]):
        merging.add(values)
    merged = merging.result()
    scanner.prepare(merged)
    wide = [""] * len(units)
    if cache is not None:
        for i, values in _unit_statistics(scanner, units, seen, options, cache, todo):
            wide[i] = scanner.wide_key(values, corpus)
    return wide, merged


def _unit_statistics(scanner: Scanner, units: list[Unit], seen: list[Observed], options: Options,
                     cache: FindingCache | None, indexes: list[int]) -> Iterator[tuple[int, list]]:
    """(index, statistics) of the units, read from the cache 256 at a time (or computed again)."""
    for b in range(0, len(indexes), 256):
        part = indexes[b : b + 256]
        found = cache.get_many([seen[i].stats_key for i in part], "stats") if cache is not None else {}
        for i in part:
            payload = found.get(seen[i].stats_key)
            if payload is None:
                payload = seen[i].stats or dump_stats(_statistics(scanner, load(units[i].source, options, [], units[i])))
            yield i, load_stats(payload)


class Merging:
    """Statistics merged pairwise as they arrive, in order (a binary counter of partial results):
    the n log n work of reduce_tree, done while the workers still observe rather than after."""

    def __init__(self, merges: list[Callable[[Any, Any], Any]]):
        self.merges = merges
        self.stacks: list[list[tuple[int, Any]]] = [[] for _ in merges]

    def add(self, stats: list) -> None:
        for merge, stack, value in zip(self.merges, self.stacks, stats, strict=True):
            if value is None:
                continue
            size = 1
            while stack and stack[-1][0] == size:
                earlier = stack.pop()[1]
                value, size = merge(earlier, value), size * 2
            stack.append((size, value))

    def result(self) -> list:
        out = []
        for merge, stack in zip(self.merges, self.stacks, strict=True):
            merged = None
            for _, value in reversed(stack):  # the latest first: each earlier one goes in front
                merged = value if merged is None else merge(value, merged)
            out.append(merged)
        return out


def _observe_all(engine: Engine, state: dict[str, Any], units: list[Unit], progress, merging: Merging | None,
                 cache: FindingCache | None) -> tuple[list[Observed], dict[int, dict], dict[int, str]]:
    """Phase 1 over every unit, in order, on the engine's workers (or in this process).

    Statistics computed now are merged as they come back (with `merging`) and written to the cache
    in batches, then let go; the record names of JSONL chunks are checked against the earlier chunks
    of their file as they come (the second value: unit index -> names to rename in it). The third:
    unit index -> why its task failed for good (it has no statistics and is not scanned)."""
    if progress is not None:
        progress.stage("1/2 read")
    seen: list[Observed] = []
    taken: dict[int, dict] = {}
    failed: dict[int, str] = {}
    chunks = _ChunkNames()
    pending: list[Observed] = []
    gen = _mapped(engine, _observe_unit, units, state, cache)
    try:
        for i, (unit, observed) in enumerate(zip(units, gen, strict=True)):
            if isinstance(observed, Failed):
                failed[i] = observed.reason
                name = f"failed\0{unit.source.display}\0{unit.part}".encode("utf-8", "surrogatepass")
                observed = Observed(hashlib.sha256(name).hexdigest()[:32], 0, merged=True)  # nothing to merge
            seen.append(observed)
            if observed.stats is not None:
                if merging is not None:
                    merging.add(load_stats(observed.stats))
                    observed.merged = True
                pending.append(observed)
            clash = chunks.clashes(unit, observed.names)
            observed.names = None
            if clash:  # the chunk renames these records when scanned: its name says so
                taken[i] = clash
                observed.fingerprint = hashlib.sha256(
                    f"{observed.fingerprint}\0{sorted(clash.items())}".encode()).hexdigest()[:32]
            if len(pending) >= 256 or i == len(units) - 1:
                _store_statistics(cache, pending)
                pending = []
            if progress is not None:
                progress.advance(unit.size, observed.documents)
    finally:
        gen.close()
    return seen, taken, failed


def _mapped(engine: Engine, fn: Callable, items: list, state: dict[str, Any], cache: FindingCache | None) -> Iterator:
    """engine.map(fn, items), started when its first result is asked for: the cache's SQLite
    connection is closed right before, as a connection must not cross a fork (each side opens its own)."""
    if cache is not None:
        cache.close()
    yield from engine.map(fn, items, state, _init_worker)


def _store_statistics(cache: FindingCache | None, observed: list[Observed]) -> None:
    """Write computed statistics to the cache and let go of them (kept only if it cannot be used)."""
    if cache is None:
        for o in observed:
            o.stats = None if o.merged else o.stats
        return
    cache.put_many([(o.stats_key, o.stats) for o in observed], "stats")
    if cache.usable:
        for o in observed:
            o.stats = None


# structural and learned-line kinds flag whole lines, one finding a line; next to each other they are
# one block (one span, one decision)
BLOCK_KINDS = frozenset({"short-line-run", "outside-main-text", "dense-region", "learned-line"})


def calibrated(
    findings: list[Finding], table: dict[tuple[str, str], list[tuple[float, float]]]
) -> list[float]:
    """The confidence of each finding: for a code and applicability the table lists, the measured
    precision of its band (the last one whose `from` its own confidence reaches), else its own."""
    memo: dict[tuple[str, Applicability, float], float | None] = {}  # a page repeats a few signals
    out = []
    for f in findings:
        key = (f.code, f.applicability, f.confidence)
        if key in memo:
            value = memo[key]
        else:
            listed = table.get((f.code, str(f.applicability)))
            if listed is not None:
                value = next((p for low, p in reversed(listed) if f.confidence >= low - 1e-9), None)
            else:
                value = None
            memo[key] = value
        out.append(f.confidence if value is None or value == f.confidence else value)
    return out


def most_trusted(findings: list[Finding], confidences: list[float]) -> list[tuple[Finding, float]]:
    """(finding, confidence) of one finding per edit, sorted by position: when several rules propose
    the very same edit, the most trusted (highest applicability, then confidence, then lowest code),
    so a reviewer decides once."""
    best: dict[tuple[int, int, str], tuple[Finding, float]] = {}
    for f, c in zip(findings, confidences, strict=True):
        key = (f.start, f.end, f.replacement)
        kept = best.get(key)
        if kept is None or (-f.applicability, -c, f.code) < (-kept[0].applicability, -kept[1], kept[0].code):
            best[key] = (f, c)
    return sorted(best.values(), key=_position)


def _position(item: tuple[Finding, float]) -> tuple[int, int, str, str]:
    f = item[0]
    return f.start, f.end, f.code, f.replacement


def blocks(kept: list[tuple[Finding, float]], codes: frozenset[str]) -> list[list[tuple[Finding, float]]]:
    """The sorted findings in runs: the findings of `codes` that delete lines right after each other
    (the next one starts where the last ends) with the same code and applicability are one run, to
    become one finding; any other finding is a run of its own."""
    # a block never runs over where another edit starts (an end-of-article block from its marker line,
    # a line rule's deletion): the blocks end there, so neither swallows the other in apply
    others = {f.start for f, _ in kept if f.code not in codes or f.replacement != ""}
    out: list[list[tuple[Finding, float]]] = []
    last: Finding | None = None  # the last finding of the open run, if it is a block's
    for item in kept:
        f = item[0]
        if f.code in codes and f.replacement == "" and f.start < f.end:
            if (last is not None and f.start == last.end and f.code == last.code
                    and f.applicability == last.applicability and f.start not in others):
                out[-1].append(item)
            else:
                out.append([item])
            last = f
        else:
            out.append([item])
            last = None
    return out


def placed(doc: Document, runs: list[list[tuple[Finding, float]]]) -> list[Finding]:
    """One finding per run, at the line and column of the first non-newline character of its first
    finding's span: a run of several is the span of the run with the first finding's message and the
    block's size, and the lowest confidence."""
    offsets = []
    for run in runs:
        f = run[0][0]
        if f.original.startswith(("\r", "\n")):  # a span that starts with line breaks: the line after them
            lead = len(f.original) - len(f.original.lstrip("\r\n"))
            offsets.append(min(f.start + lead, max(f.end - 1, f.start)))
        else:
            offsets.append(f.start)
    out = []
    for run, line, col in zip(runs, *positions(doc.text, offsets), strict=True):
        first, confidence = run[0]
        if len(run) == 1:
            out.append(Finding(first.doc, first.code, first.name, first.start, first.end, first.original,
                               first.replacement, first.applicability, first.message, first.fix, confidence,
                               line, col))
        else:
            out.append(Finding(first.doc, first.code, first.name, first.start, run[-1][0].end,
                               "".join(f.original for f, _ in run), "", first.applicability,
                               f"{first.message}, a block of {len(run)} lines", first.fix,
                               min(c for _, c in run), line, col))
    return out
