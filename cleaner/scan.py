"""Run the passes over a corpus (in parallel worker processes, with a findings cache) in a fixed order."""

from __future__ import annotations

import hashlib
import multiprocessing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from cleaner.cache import FindingCache, cache_key, dump_stats, load_stats
from cleaner.cache import dump as dump_findings
from cleaner.cache import load as load_findings
from cleaner.corpus import Loaded, Options, Unit, load
from cleaner.model import Document, Finding
from cleaner.passes import Pass, Settings, build_passes
from cleaner.rules import RuleSet, ignored_changes
from cleaner.text import LineIndex

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
        self.passes: list[Pass] = build_passes(ruleset, self.rules, self.settings)
        self.local_passes = [p for p in self.passes if not p.corpus_wide]
        self.corpus_passes = [p for p in self.passes if p.corpus_wide]
        self.ignored = ignored_changes(ruleset)  # findings reviewers rejected for good (`ignore:` in a pack)
        # what the cached findings of a document depend on besides its text
        self.config_digest = hashlib.sha256(
            repr((ruleset.version, sorted(r.code for r in self.rules), self.settings)).encode()
        ).hexdigest()[:16]
        self.wide_digest = ""  # names the corpus-wide statistics; set by run() after observing the corpus
        self.pending_stats: list[list] | None = None  # per-unit statistics not merged and prepared yet

    def scan_document(self, doc: Document) -> list[Finding]:
        found: list[Finding] = []
        for p in self.passes:
            found.extend(p.scan(doc))
        return self.finalize(doc, found)

    def ensure_prepared(self) -> None:
        """Merge the observed statistics and prepare the corpus-wide passes, once, when first needed
        (in each worker process: a run whose units all come from the cache never merges at all)."""
        if self.pending_stats is not None:
            stats, self.pending_stats = self.pending_stats, None
            _prepare(self, stats)

    def unit_key(self, unit: Unit, loaded: Loaded, problems: list[str], tag: str) -> str:
        """Key of a unit's finished output: its documents (names, sources, encodings, texts), what
        reading it reported, where it is shown, the rules, settings and corpus statistics."""
        digest = hashlib.sha256(
            "\0".join([tag, self.config_digest, self.wide_digest, unit.source.display, str(unit.part),
                       str(loaded.skipped), *problems]).encode("utf-8", "surrogatepass")
        )
        for doc in loaded.documents:
            digest.update(f"\0{doc.doc}\0{doc.source}\0{doc.encoding}\0{doc.sha256}".encode("utf-8", "surrogatepass"))
        return "unit:" + digest.hexdigest()[:32]

    def finalize(self, doc: Document, found: list[Finding]) -> list[Finding]:
        """Drop ignored findings, fill in positions, keep one finding per edit, sort."""
        if self.ignored:
            found = [f for f in found if not self._is_ignored(f)]
        return locate(doc, found)

    def _is_ignored(self, f: Finding) -> bool:
        docs = self.ignored.get((f.code, f.original, f.replacement))
        return docs is not None and (None in docs or f.doc in docs)

    def scan_loaded(self, loaded: Loaded, cache: FindingCache | None) -> tuple[dict[str, list[Finding]], list]:
        """Findings of every document of a unit, reusing cached ones; also the new cache entries.

        Per-document passes are cached by text + rules + settings; corpus-wide passes also by the
        digest of the merged statistics, so they are reused while the corpus as a whole is unchanged.
        """
        docs = loaded.documents
        new_entries: list[tuple[str, str]] = []
        if cache is None:
            self.ensure_prepared()
            return {d.doc: self.scan_document(d) for d in docs}, new_entries
        # finished findings of a document with the same name and text under the same corpus statistics
        final_digest = f"final:{self.config_digest}:{self.wide_digest}"
        final_keys = [cache_key(f"{final_digest}:{d.doc}", d) for d in docs]
        final = cache.get_many(final_keys)
        results: dict[str, list[Finding]] = {}
        missing = [k for k, key in enumerate(final_keys) if key not in final]
        for k, doc in enumerate(docs):
            if final_keys[k] in final:
                results[doc.doc] = load_findings(final[final_keys[k]], doc)
        if missing:
            self.ensure_prepared()
            todo = [docs[k] for k in missing]
            local = self._cached(todo, self.local_passes, self.config_digest, cache, new_entries)
            wide = self._cached(todo, self.corpus_passes, f"{self.config_digest}:{self.wide_digest}", cache, new_entries)
            for n, k in enumerate(missing):
                doc = docs[k]
                results[doc.doc] = self.finalize(doc, local[n] + wide[n])
                new_entries.append((final_keys[k], dump_findings(results[doc.doc])))
        return {d.doc: results[d.doc] for d in docs}, new_entries

    def _cached(self, docs, passes, digest, cache, new_entries) -> list[list[Finding]]:
        if not passes:
            return [[] for _ in docs]
        keys = [cache_key(digest, d) for d in docs]
        cached = cache.get_many(keys)
        out = []
        for key, doc in zip(keys, docs):
            payload = cached.get(key)
            if payload is not None:
                out.append(load_findings(payload, doc))
                continue
            found = [f for p in passes for f in p.scan(doc)]
            new_entries.append((key, dump_findings(found)))
            out.append(found)
        return out


def keep(result: ScanResult) -> ScanResult:
    """A `finish` step that returns the scan result itself (in-process use only: it holds the text)."""
    return result


# ---------------------------------------------------------------- the parallel engine

_WORKER: dict[str, Any] = {}


def _init_worker(state: dict[str, Any]) -> None:
    _WORKER.clear()
    _WORKER.update(state)


def _observe_unit(unit: Unit) -> tuple[int, list, list, str]:
    """Per-document statistics of the corpus-wide passes, merged over the unit (cached per text),
    and a digest of what they were computed from (the documents' observe keys)."""
    scanner: Scanner = _WORKER["scanner"]
    cache: FindingCache | None = _WORKER["cache"]
    loaded = load(unit.source, _WORKER["options"], [], unit)
    docs = loaded.documents
    keys = [cache_key("observe:" + scanner.config_digest, d) for d in docs]
    cached = cache.get_many(keys, "stats") if cache is not None else {}
    new_entries: list[tuple[str, bytes]] = []
    per_doc: list[list] = []
    for n, document in enumerate(docs):
        payload = cached.get(keys[n]) if cache is not None else None
        if payload is not None:
            per_doc.append(load_stats(payload))
        else:
            per_doc.append([p.observe(document) for p in scanner.corpus_passes])
            if cache is not None:
                new_entries.append((keys[n], dump_stats(per_doc[-1])))
    merged = [reduce_tree([d[k] for d in per_doc], p.merge) for k, p in enumerate(scanner.corpus_passes)]
    return unit.size, merged, new_entries, hashlib.sha256("\0".join(keys).encode()).hexdigest()


def reduce_tree(items: list, merge: Callable[[Any, Any], Any]) -> Any:
    """Merge statistics pairwise, in order (merge is associative): n log n work where a left fold
    that copies its accumulator would be quadratic in the number of documents."""
    items = [x for x in items if x is not None]
    if not items:
        return None
    while len(items) > 1:
        items = [merge(items[i], items[i + 1]) if i + 1 < len(items) else items[i] for i in range(0, len(items), 2)]
    return items[0]


def _scan_unit(unit: Unit) -> tuple[Unit, Any, list, list, int]:
    """Load, scan and finish one unit in a worker; only the finished (compact) result goes back.

    A `finish` step with a `cache_tag` (the scan command's formatting) has its result cached for
    the whole unit: an unchanged file then costs a read, a hash and one look-up.
    """
    scanner: Scanner = _WORKER["scanner"]
    cache: FindingCache | None = _WORKER["cache"]
    finish = _WORKER["finish"]
    problems: list[str] = []
    loaded = load(unit.source, _WORKER["options"], problems, unit)
    tag = getattr(finish, "cache_tag", None)
    unit_key = scanner.unit_key(unit, loaded, problems, tag) if cache is not None and tag else None
    if unit_key is not None:
        hit = cache.get_many([unit_key], "stats").get(unit_key)
        if hit is not None:
            return unit, load_stats(hit), [], [], len(loaded.documents)
    findings, new_entries = scanner.scan_loaded(loaded, cache)
    finished = finish(ScanResult(loaded, findings, problems))
    new_stats = [(unit_key, dump_stats(finished))] if unit_key is not None else []
    return unit, finished, new_entries, new_stats, len(loaded.documents)


def run(
    scanner: Scanner,
    units: list[Unit],
    options: Options,
    finish: Callable[[ScanResult], Any],
    *,
    jobs: int = 1,
    cache: FindingCache | None = None,
    progress=None,
) -> Iterator[tuple[Unit, Any, int]]:
    """Scan every unit and yield (unit, finish(result), documents) in input order.

    Corpus-wide passes first observe every document (map), their statistics are merged (reduce)
    and prepared; then each unit is loaded, scanned and finished by a worker. `finish` runs in the
    worker, so what crosses back is only what the caller needs (formatted lines, cleaned text...).
    """
    jobs = max(1, jobs)
    if jobs > 1 and (len(units) < 2 or sum(u.size for u in units) < PARALLEL_MIN_BYTES):
        jobs = 1
    state = {"scanner": scanner, "options": options, "finish": finish, "cache": cache}
    # units per task: many small files go to a worker in batches (fewer round trips), while about
    # 16 tasks per worker keep the load even; results still come back in input order
    batch = max(1, len(units) // (jobs * 16))
    pool = None
    if jobs > 1:
        ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    try:
        if scanner.corpus_passes:
            _init_worker(state)
            if jobs > 1:
                if cache is not None:
                    cache.close()  # a SQLite connection must not cross a fork; each side reopens its own
                with ctx.Pool(jobs, _init_worker, (state,)) as observe_pool:
                    observed = list(observe_pool.imap(_observe_unit, units, chunksize=batch))
            else:
                observed = [_observe_unit(u) for u in units]
            if cache is not None:
                cache.put_many([e for _, _, entries, _ in observed for e in entries], "stats")
            # the merged statistics are a function of every document's observe key, in order: their
            # digest names them, and merging + prepare wait until a unit is not in the cache
            scanner.wide_digest = hashlib.sha256("".join(d for *_, d in observed).encode()).hexdigest()[:16]
            scanner.pending_stats = [stats for _, stats, _, _ in observed]
        if jobs > 1:
            if cache is not None:
                cache.close()
            pool = ctx.Pool(jobs, _init_worker, (state,))
            results = pool.imap(_scan_unit, units, chunksize=batch)
        else:
            _init_worker(state)
            results = map(_scan_unit, units)
        for unit, finished, new_entries, new_stats, ndocs in results:
            if cache is not None and new_entries:
                cache.put_many(new_entries)
            if cache is not None and new_stats:
                cache.put_many(new_stats, "stats")
            if progress is not None:
                progress.advance(unit.size, ndocs)
            yield unit, finished, ndocs
    finally:
        if pool is not None:
            pool.terminate()
        _WORKER.clear()


def _prepare(scanner: Scanner, per_unit: list[list]) -> None:
    """Merge the units' statistics (pairwise, in order) and prepare each corpus-wide pass."""
    for k, p in enumerate(scanner.corpus_passes):
        p.prepare(reduce_tree([stats[k] for stats in per_unit], p.merge))


def locate(doc: Document, findings: list[Finding]) -> list[Finding]:
    """Fill in line/column (of the first non-newline character of the span) and sort by position.

    When several rules propose the very same edit, only the most trusted one is kept
    (highest applicability, then confidence, then lowest code), so a reviewer decides once.
    """
    if not findings:
        return findings
    best: dict[tuple[int, int, str], Finding] = {}
    for f in findings:
        key = (f.start, f.end, f.replacement)
        kept = best.get(key)
        if kept is None or (-f.applicability, -f.confidence, f.code) < (-kept.applicability, -kept.confidence, kept.code):
            best[key] = f
    position = LineIndex(doc.text).position
    placed = []
    for f in best.values():
        original = f.original
        if original and original[0] in "\r\n":  # a span that starts with line breaks: the line after them
            lead = len(original) - len(original.lstrip("\r\n"))
            line, col = position(min(f.start + lead, max(f.end - 1, f.start)))
        else:
            line, col = position(f.start)
        # the positional constructor: several times cheaper than dataclasses.replace on a hot path
        placed.append(
            Finding(f.doc, f.code, f.name, f.start, f.end, original, f.replacement, f.applicability,
                    f.message, f.fix, f.confidence, line, col)
        )
    placed.sort(key=lambda f: (f.start, f.end, f.code, f.replacement))
    return placed
