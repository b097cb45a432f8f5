"""The `cleaner` command: scan, apply, rules (and review, names); the TUI is imported only by `review`."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cleaner import __version__
from cleaner.corpus import CorpusError, Options, check_output_dir, discover
from cleaner.decisions import DecisionStore, StoreError, locate_store
from cleaner.engines import ENGINES, EngineError
from cleaner.rules import PREFIXES, RuleError, RuleSet, load_rules
from cleaner.text import plural

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2
DEFAULT_CORPUS = "corpus"
DEFAULT_OUT = "reviewed"


class UserError(Exception):
    """Bad usage or input: one line on stderr, exit 2."""


def err(message: str) -> None:
    print(f"cleaner: {message}", file=sys.stderr)


def notices() -> None:
    """What the library says while it works (compiling the first stage) goes to stderr as `cleaner: ...`
    when stderr is a terminal, like the progress bar (a log or a pipe gets only the summary)."""
    if not sys.stderr.isatty():
        return
    import logging

    logger = logging.getLogger("cleaner")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("cleaner: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {value!r}")
    return number


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def codes(value: str) -> list[str]:
    """Comma-separated rule codes, prefixes or names; codes and prefixes in any case (bp001 = BP001)."""
    tokens = [c.strip() for c in value.split(",") if c.strip()]
    return [t.upper() if re.fullmatch(r"[A-Za-z]{2}\d{0,3}", t) else t for t in tokens]


def check_selectors(ruleset: RuleSet, args) -> None:
    """--select/--ignore must each name a rule code, a code prefix or a rule name."""
    for option in ("select", "ignore"):
        for selector in getattr(args, option, None) or []:
            if not any(r.code.startswith(selector) or r.name == selector for r in ruleset.rules):
                raise UserError(f"--{option}: no rule code, prefix or name {selector!r} (see `cleaner rules list`)")


# ---------------------------------------------------------------- shared options


def add_corpus_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help=f"files or folders to read (default: {DEFAULT_CORPUS}/)")
    p.add_argument("--rules", metavar="DIR", help="rule packs folder (default: ./rules if present, else the built-in packs)")
    p.add_argument("--select", type=codes, metavar="CODES", help="only these rule codes or prefixes, comma-separated (BP,UN001)")
    p.add_argument("--ignore", type=codes, metavar="CODES", help="skip these rule codes or prefixes, comma-separated")
    p.add_argument("--text-key", default="text", metavar="KEY", help="JSONL field holding the text (default: text)")
    p.add_argument("--id-key", default="id", metavar="KEY", help="JSONL field holding the record id (default: id)")
    p.add_argument("--source-key", default="source", metavar="KEY", help="JSONL field naming the site/source (default: source)")
    add_style_arg(p)
    p.add_argument("-j", "--jobs", type=positive_int, default=default_jobs(), metavar="N",
                   help=f"worker processes (default: all {default_jobs()} cores)")
    p.add_argument("--cache", metavar="DIR", help="findings cache folder (default: OUT/.cache, for scan reviewed/.cache)")
    p.add_argument("--no-cache", action="store_true", help="scan every document again, ignoring the cache")


def add_engine_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", choices=ENGINES, default="local",
                   help="where the work units run: local worker processes (-j), or tasks on a Ray cluster "
                   "(default: local)")
    p.add_argument("--ray-address", metavar="ADDR",
                   help="with --engine ray, the cluster to join (auto: the one running here; default: start a "
                   "local one with -j CPUs)")


def default_style() -> str:
    """The house style: `style = "..."` in ./cleaner.toml when present, else ap."""
    import tomllib

    config = Path("cleaner.toml")
    if not config.is_file():
        return "ap"
    try:
        style = tomllib.loads(config.read_text(encoding="utf-8")).get("style", "ap")
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{config}: {exc}") from None
    if not isinstance(style, str):
        raise UserError(f"{config}: style must be a string such as \"ap\", \"reuters\" or \"bbc\"")
    return style


def add_style_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--style", metavar="NAME",
                   help="house style for names: ap, reuters, bbc or a pack's own (default: cleaner.toml's style, else ap)")


def add_output_args(p: argparse.ArgumentParser, out_help: str, applies: str) -> None:
    """--out, --db, --auto, --unsafe: shared by apply and review (whose w key writes like apply)."""
    p.add_argument("--out", default=DEFAULT_OUT, metavar="DIR", help=f"{out_help} (default: {DEFAULT_OUT}/)")
    add_db_arg(p)
    p.add_argument("--auto", action="store_true", help=f"{applies} every safe fix nobody rejected")
    p.add_argument("--unsafe", action="store_true", help=f"{applies} the unsafe fixes nobody rejected")
    p.add_argument("--min-confidence", type=_confidence, default=0.0, metavar="X",
                   help="with --unsafe, only the unsafe fixes of confidence X (0..1) or more; the confidence of "
                   "page-structure findings is their measured precision (rules/calibration.yaml)")


def _confidence(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        x = -1.0
    if not 0.0 <= x <= 1.0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number from 0 to 1")
    return x


def add_db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="FILE",
                   help="decision store (default: .cleaner/decisions.sqlite here, or cleaner.toml's decisions)")


def open_store(args, out_dir: Path, inputs: list[str], *, create: bool, migrate: bool = True) -> DecisionStore:
    """The corpus's decision store, whatever --out is; says so in one line when an old one was found."""
    location = locate_store(args.db, out_dir, inputs, migrate=migrate, create=create)
    if location.note:
        err(location.note)
    store = DecisionStore(location.path, create=create)
    store.note = location.note
    return store


def refuse_store(option: str, target: Path, stores: list[Path]) -> None:
    """An output file that is the decision store, or a file SQLite keeps beside it (symlinks
    resolved): one line and exit 2, before anything is written."""
    from cleaner.decisions import store_hit

    hit = store_hit(target, stores)
    if hit is not None:
        raise UserError(f"{option} {target}: is {hit}; write it elsewhere")


def refuse_store_in_folder(out_dir: Path, files, cache_dir: Path | None, stores: list[Path]) -> None:
    """What apply (and review's w) writes into out_dir (the cleaned files, changes.txt, manifest.json)
    and the findings cache must not overwrite the decision store either."""
    from cleaner.cache import CACHE_FILE
    from cleaner.decisions import SIDECARS, store_hit

    fixed = [out_dir / "changes.txt", out_dir / "manifest.json"]
    if cache_dir is not None:
        fixed += [cache_dir / (CACHE_FILE + suffix) for suffix in SIDECARS]
    names = {base.name + suffix for store in stores for base in (store, store.resolve()) for suffix in SIDECARS}
    for target in fixed + [out_dir / f.rel for f in files if Path(f.rel).name in names]:
        hit = store_hit(target, stores)
        if hit is not None:
            raise UserError(f"--out {out_dir}: {target} would overwrite {hit}; choose another folder (or --db)")


def corpus_options(args) -> Options:
    return Options(text_key=args.text_key, id_key=args.id_key, source_key=args.source_key)


def input_paths(args) -> list[str]:
    return args.paths or [DEFAULT_CORPUS]


def ruleset_of(args) -> RuleSet:
    return load_rules(args.rules) if args.rules else load_rules()


def make_scanner(args, ruleset: RuleSet):
    from cleaner.passes.base import Settings
    from cleaner.scan import Scanner

    check_selectors(ruleset, args)
    settings = Settings(style=getattr(args, "style", None) or default_style())
    return Scanner(ruleset, select=args.select, ignore=args.ignore, settings=settings)


def report_problems(problems: list[str]) -> int:
    from cleaner.corpus import merge_problems

    problems = merge_problems(problems)  # a missing text field: one line a file, not one a record
    for p in problems:
        err(p)
    return EXIT_BAD_INPUT if problems else EXIT_OK


# ---------------------------------------------------------------- verbs


@dataclass(frozen=True)
class FormatStep:
    """The `finish` step of a scan run, in the worker: the unit's output as one string (one object
    to send back, not one per finding), how many findings it holds, and what reading reported."""

    fmt: str

    @property
    def cache_tag(self) -> str:  # its output depends on nothing but the unit and the format
        return f"format:{self.fmt}:text"

    def __call__(self, result) -> tuple[str, int, list[str]]:
        from cleaner.report import display_doc, format_text

        source = result.loaded.source
        if self.fmt == "jsonl":
            lines = [f.to_json() for f in result.all_findings()]
        else:
            lines = [format_text(f, display_doc(source, f.doc)) for f in result.all_findings()]
        return "".join(line + "\n" for line in lines), len(lines), result.problems


def run_scan(args, ruleset: RuleSet, inputs: list[str], finish, cache_dir: Path, *, read_only: bool = False):
    """Plan, scan and finish every unit of the corpus with the run's jobs, cache and progress bar
    (read_only: the cache is read, never written)."""
    from cleaner.cache import FindingCache
    from cleaner.corpus import plan
    from cleaner.engines import open_engine
    from cleaner.progress import Progress
    from cleaner.scan import run

    units = plan(discover(inputs))
    scanner = make_scanner(args, ruleset)
    engine = open_engine(args.engine, args.jobs, args.ray_address)
    cache = None if args.no_cache else FindingCache(cache_dir, read_only=read_only)
    progress = Progress(sum(u.size for u in units), args.command, enabled=None if not args.quiet else False)
    try:
        yield from run(scanner, units, corpus_options(args), finish, jobs=args.jobs, cache=cache,
                       progress=progress, engine=engine)
    finally:
        progress.close()
        if cache is not None:
            cache.close()
        engine.close()


def cmd_scan(args) -> int:
    ruleset = ruleset_of(args)
    inputs = input_paths(args)
    problems: list[str] = []
    from contextlib import nullcontext

    from cleaner.corpus import AtomicOutput, check_cache_dir, check_output_file

    if args.output:  # never inside the input; written in full (a missing folder is created) or not at all
        missing = next((a for a in inputs if not Path(a).exists()), None)
        if missing is not None:  # refused before -o's folder is made
            raise CorpusError(f"{missing}: no such file or folder")
        check_output_file(Path(args.output), inputs)
        from cleaner.decisions import protected_stores

        refuse_store("-o", Path(args.output), protected_stores(args.db, Path(DEFAULT_OUT)))
    total = files = 0
    cache_dir = Path(args.cache) if args.cache else Path(DEFAULT_OUT) / ".cache"
    try:
        check_cache_dir(cache_dir, inputs)
    except CorpusError:
        if args.cache:
            raise
        args.no_cache = True  # the default cache would lie inside the input: scan without one
    with AtomicOutput(Path(args.output)) if args.output else nullcontext(sys.stdout) as out:
        if args.statistics:
            return scan_statistics(args, ruleset, inputs, cache_dir, out)
        for unit, (text, count, unit_problems), _ in run_scan(args, ruleset, inputs, FormatStep(args.format), cache_dir):
            problems.extend(unit_problems)
            files += counted(unit)
            total += count
            out.write(text)
    return scan_summary(args, total, files, problems)


def counted(unit) -> bool:
    """Whether a unit starts a file the summary counts (a FIFO, a .bz2: not read; a datasets folder's
    state.json: copied, no document file)."""
    return unit.part == 0 and unit.source.kind != "refused" and not unit.source.companion


def scan_summary(args, total: int, files: int, problems: list[str]) -> int:
    """The summary line on stderr, the problems, and the exit status of a scan."""
    if not args.quiet:
        print(f"{plural(total, 'finding')} in {plural(files, 'file')}", file=sys.stderr)
    status = report_problems(problems)
    if status:
        return status
    return EXIT_FINDINGS if args.check and total else EXIT_OK


def scan_statistics(args, ruleset: RuleSet, inputs: list[str], cache_dir: Path, out) -> int:
    """`scan --statistics`: findings per rule code (name, applicability, the store's verdicts) and per source."""
    from collections import Counter

    from cleaner.report import StatsStep, format_statistics

    codes: Counter = Counter()
    sources: Counter = Counter()
    ids: dict[str, tuple[str, str, str]] = {}  # finding id -> (code, applicability, document sha256)
    problems: list[str] = []
    total = files = 0
    for unit, (c, s, i, count, unit_problems), _ in run_scan(args, ruleset, inputs, StatsStep(), cache_dir):
        codes.update(c)
        sources.update(s)
        ids.update(i)
        problems.extend(unit_problems)
        files += counted(unit)
        total += count
    with open_store(args, Path(DEFAULT_OUT), inputs, create=False, migrate=False) as store:
        decided = store.all()
    verdicts = None
    if decided:
        verdicts = Counter(
            (ids[fid][0], ids[fid][1], d.verdict.value)
            for fid, d in decided.items()
            if fid in ids and ids[fid][2] == d.doc_sha256
        )
    for line in format_statistics(codes, sources, ruleset, verdicts):
        out.write(line + "\n")
    return scan_summary(args, total, files, problems)


def apply_diff(args, ruleset: RuleSet, inputs: list[str], decisions, out_dir: Path) -> int:
    """`apply --diff`: a unified diff of what apply would change; nothing is written (the findings
    cache is only read, when it exists). Exit 1 when there is something to change, like ruff --diff."""
    from collections import Counter

    from cleaner.corpus import check_cache_dir
    from cleaner.diff import DiffStep

    cache_dir = Path(args.cache) if args.cache else out_dir / ".cache"
    check_cache_dir(cache_dir, inputs)
    if not cache_dir.exists():
        args.no_cache = True
    step = DiffStep(decisions, args.auto, args.unsafe, str(out_dir), args.min_confidence)
    applied: Counter = Counter()
    problems: list[str] = []
    changed = 0
    for _unit, (text, counts, n, unit_problems), _ in run_scan(args, ruleset, inputs, step, cache_dir, read_only=True):
        sys.stdout.write(text)
        applied.update(counts)
        changed += n
        problems.extend(unit_problems)
    total = sum(applied.values())
    if not args.quiet:
        by_code = ", ".join(f"{c} {n}" for c, n in sorted(applied.items()))
        print(f"would apply {plural(total, 'fix', 'fixes')} in {plural(changed, 'document')}"
              + (f": {by_code}" if by_code else "") + " (--diff: nothing written)", file=sys.stderr)
    status = report_problems(problems)
    if status:
        return status
    return EXIT_FINDINGS if total else EXIT_OK


def cmd_apply(args) -> int:
    from cleaner.apply import ApplyStep, write_corpus

    inputs = input_paths(args)
    ruleset = ruleset_of(args)
    files = discover(inputs)  # a wrong path is refused before anything is written
    out_dir = Path(args.out)
    check_output_dir(out_dir, inputs)
    if not args.diff:
        from cleaner.decisions import protected_stores

        refuse_store_in_folder(out_dir, files, None if args.no_cache else Path(args.cache) if args.cache
                               else out_dir / ".cache", protected_stores(args.db, out_dir))
    with open_store(args, out_dir, inputs, create=False, migrate=not args.diff) as store:
        decisions, store_path = store.all(), store.path
    if args.diff:
        return apply_diff(args, ruleset, inputs, decisions, out_dir)
    problems: list[str] = []
    step = ApplyStep(decisions, corpus_options(args), args.auto, args.unsafe, args.min_confidence)
    cache_dir = Path(args.cache) if args.cache else out_dir / ".cache"
    from cleaner.corpus import check_cache_dir

    check_cache_dir(cache_dir, inputs)  # the cache never goes into the input (symlinks resolved)
    summary = write_corpus(
        run_scan(args, ruleset, inputs, step, cache_dir),
        out_dir,
        auto=args.auto,
        unsafe=args.unsafe,
        min_confidence=args.min_confidence,
        inputs=inputs,
        rules_version=ruleset.version,
        problems=problems,
    )
    applied = sum(summary.applied.values())
    by_code = ", ".join(f"{c} {n}" for c, n in sorted(summary.applied.items()))
    mode = "accepted" + (" + safe" if args.auto else "") + (" + unsafe" if args.unsafe else "")
    if args.unsafe and args.min_confidence:
        mode += f" (confidence >= {args.min_confidence:g})"
    print(f"cleaned {plural(summary.documents, 'document')} in {plural(summary.files, 'file')} into {out_dir}/ ({mode} fixes)")
    print(f"  applied {plural(applied, 'fix', 'fixes')} in {plural(summary.changed, 'document')}" + (f": {by_code}" if by_code else ""))
    if summary.pending:
        print(f"  left {plural(summary.pending, 'finding')} for review (cleaner review, or apply --unsafe)")
    if summary.skipped:
        print(f"  skipped {plural(summary.skipped, 'fix', 'fixes')} that overlap one applied (see changes.txt)")
    if summary.rejected:
        print(f"  kept out {plural(summary.rejected, 'rejected finding')}")
    if summary.stale:
        print(f"  ignored {plural(summary.stale, 'stale decision')} (the document changed since)")
    print(f"  log: {out_dir / 'changes.txt'}   manifest: {out_dir / 'manifest.json'}"
          + (f"   decisions: {store_path} ({len(decisions)})" if decisions else ""))
    return report_problems(problems)


def cmd_review(args) -> int:
    from cleaner.corpus import plan
    from cleaner.decisions import default_reviewer
    from cleaner.review import ACCEPTED, PENDING, REJECTED, STALE, Setup

    inputs = input_paths(args)
    ruleset = ruleset_of(args)
    units = plan(discover(inputs))
    out_dir = Path(args.out)
    check_output_dir(out_dir, inputs)
    from cleaner.corpus import check_cache_dir

    check_cache_dir(Path(args.cache) if args.cache else out_dir / ".cache", inputs)
    from cleaner.decisions import protected_stores

    refuse_store_in_folder(out_dir, [u.source for u in units if u.part == 0], None if args.no_cache else
                           Path(args.cache) if args.cache else out_dir / ".cache", protected_stores(args.db, out_dir))
    store = open_store(args, out_dir, inputs, create=True)
    setup = Setup(
        inputs=inputs, units=units, scanner=make_scanner(args, ruleset), ruleset=ruleset,
        options=corpus_options(args), store=store, reviewer=args.reviewer or default_reviewer(),
        out_dir=out_dir, auto=args.auto, unsafe=args.unsafe, min_confidence=args.min_confidence, jobs=args.jobs,
        note=store.note,
        cache_dir=None if args.no_cache else (Path(args.cache) if args.cache else out_dir / ".cache"),
    )
    from cleaner.tui.app import ReviewApp  # textual is imported only here

    app = ReviewApp(setup)
    try:
        app.run()
    finally:
        store.close()
    session = app.session
    if session is not None:
        c = session.counts
        print(f"{c[ACCEPTED]} accepted, {c[REJECTED]} rejected, {c[PENDING]} pending"
              + (f", {c[STALE]} stale" if c[STALE] else "") + f" in {store.path}")
        unwritten = session.unwritten()
        if unwritten:
            print(f"  {plural(unwritten, 'accepted fix', 'accepted fixes')} not in {out_dir}/ yet: "
                  f"cleaner apply{' --auto' if args.auto else ''}{' --unsafe' if args.unsafe else ''}"
                  f"{f' --min-confidence {args.min_confidence:g}' if args.unsafe and args.min_confidence else ''}"
                  f"{'' if args.out == DEFAULT_OUT else ' --out ' + args.out} writes them")
    return EXIT_OK


def cmd_rules_list(args) -> int:
    ruleset = ruleset_of(args)
    for rule in sorted(ruleset.rules, key=lambda r: r.code):
        state = "" if rule.enabled else " (off by default)"
        print(f"{rule.code}  {rule.name:<32} {str(rule.applicability):<7} {rule.message}{state}")
    return EXIT_OK


def cmd_rules_show(args) -> int:
    ruleset = ruleset_of(args)
    rule = ruleset.by_code.get(args.code.upper()) or next((r for r in ruleset.rules if r.name == args.code), None)
    if rule is None:
        raise UserError(f"no rule {args.code!r} (see `cleaner rules list`)")
    print(f"{rule.code} {rule.name}  [{PREFIXES[rule.prefix]}, kind {rule.kind}]")
    print(f"  message:       {rule.message}")
    print(f"  fix:           {rule.fix or ('delete' if rule.kind != 'substitution' else 'replace')}")
    print(f"  applicability: {rule.applicability}" + ("" if rule.enabled else " (off by default; --select it)"))
    if rule.first_lines or rule.last_lines:
        print(f"  position:      " + ", ".join(
            x for x in (rule.first_lines and f"first {rule.first_lines} lines", rule.last_lines and f"last {rule.last_lines} lines") if x))
    for key, value in rule.params.items():
        print(f"  {key + ':':<15}{json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value}")
    print(f"  defined at:    {rule.origin}")
    if rule.why:
        print("\n" + "\n".join("  " + line for line in rule.why.splitlines()))
    for label, examples in (("flags", rule.examples_bad), ("leaves alone", rule.examples_good)):
        if examples:
            print(f"\n  {label}:")
            for e in examples:
                print(f"    {e!r}")
    return EXIT_OK


def cmd_rules_check(args) -> int:
    from cleaner.lint import lint, slow_paths

    folder = args.dir or args.rules
    ruleset = load_rules(folder) if folder else load_rules()
    problems = lint(ruleset)
    for p in problems:
        print(p)
    for note in slow_paths(ruleset):  # not a problem: a note on speed
        print(note, file=sys.stderr)
    where = ruleset.folder
    if problems:
        print(f"{plural(len(problems), 'problem')} in {where}", file=sys.stderr)
        return EXIT_FINDINGS
    print(f"{len(ruleset.rules)} rules in {where}: all examples behave", file=sys.stderr)
    return EXIT_OK


def cmd_names(args) -> int:
    from cleaner.clusters import cluster_dict, cluster_names, count_names, format_cluster, write_cluster
    from cleaner.corpus import iter_loaded
    from cleaner.passes.names_dict import load_dictionary

    ruleset = ruleset_of(args)
    style = args.style or default_style()
    dictionary = load_dictionary(ruleset)
    dictionary.check_style(style)
    problems: list[str] = []
    loaded = iter_loaded(discover(input_paths(args)), corpus_options(args), problems)
    counts = count_names(d.text for item in loaded for d in item.documents)
    clusters = [c for c in cluster_names(counts, dictionary, style) if c.total >= args.min_count]
    if args.write is not None:
        if not 1 <= args.write <= len(clusters):
            raise UserError(f"no cluster {args.write} (there are {len(clusters)}; run `cleaner names` to see them)")
        target = Path(args.to) if args.to else Path(args.rules or "rules") / "learned-names.yaml"
        entry = write_cluster(
            clusters[args.write - 1], target, canonical=args.canonical, entity_id=args.id, kind=args.kind, style=style
        )
        form = entry["canonical"][style]
        print(f"wrote entity {entry['id']} ({form} in the {style} style: {', '.join(entry['variants'])}) to {target}")
        return report_problems(problems)
    for n, cluster in enumerate(clusters, 1):
        print(json.dumps(cluster_dict(n, cluster), ensure_ascii=False) if args.format == "jsonl" else format_cluster(n, cluster))
    print(f"{len(clusters)} cluster{'s' if len(clusters) != 1 else ''} of {len(counts)} name spellings", file=sys.stderr)
    return report_problems(problems)


def cmd_decisions_export(args) -> int:
    from contextlib import nullcontext

    from cleaner.corpus import AtomicOutput
    from cleaner.decisions import export_jsonl, protected_stores

    if args.output:  # refused before the store is opened
        refuse_store("-o", Path(args.output), protected_stores(args.db, Path(DEFAULT_OUT)))
        if Path(args.output).is_dir():
            raise UserError(f"-o {args.output}: is a folder; give a file name")
    with open_store(args, Path(DEFAULT_OUT), [], create=False, migrate=False) as store:
        if store.conn is None:
            raise UserError(f"{store.path}: no decision store here (cleaner review makes one; --db names another)")
        if args.output:
            refuse_store("-o", Path(args.output), [store.path])
        with AtomicOutput(Path(args.output)) if args.output else nullcontext(sys.stdout) as out:
            count = export_jsonl(store, out)  # to -o: written in full, or not at all
    print(f"exported {plural(count, 'decision')} from {store.path}" + (f" to {args.output}" if args.output else ""),
          file=sys.stderr)
    return EXIT_OK


def stdin_text():
    """Standard input as text whose undecodable bytes are kept (surrogateescape), to be reported."""
    import io

    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # replaced by a text stream (tests)
        return sys.stdin
    return io.TextIOWrapper(buffer, encoding="utf-8", errors="surrogateescape")


def cmd_decisions_import(args) -> int:
    from cleaner.decisions import import_jsonl

    try:
        handle = (stdin_text() if args.file == "-"
                  else open(args.file, encoding="utf-8", errors="surrogateescape"))  # bad bytes: reported per line
    except OSError as exc:
        raise UserError(f"{args.file}: {exc.strerror}") from None
    with open_store(args, Path(DEFAULT_OUT), [], create=True) as store:
        try:
            merge = import_jsonl(store, handle, args.file)
        finally:
            if args.file != "-":
                handle.close()
            elif handle is not sys.stdin:
                handle.detach()  # sys.stdin stays open
    for line in merge.malformed + merge.conflicts:
        err(line)
    parts = [f"{merge.same} already there"]
    if merge.conflicts:
        parts.append(f"{plural(len(merge.conflicts), 'conflict')} left as the store has it")
    if merge.malformed:
        parts.append(f"{plural(len(merge.malformed), 'malformed line')} skipped")
    print(f"imported {plural(merge.added, 'decision')} into {store.path} ({', '.join(parts)})")
    if merge.malformed:
        return EXIT_BAD_INPUT
    return EXIT_FINDINGS if merge.conflicts else EXIT_OK


# ---------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cleaner",
        description="Find and fix boilerplate, broken unicode, typography and name spellings in news corpora.",
        epilog="Typical run: `cleaner scan` to see what it finds, `cleaner review` to decide, "
        "`cleaner apply --auto` to write the cleaned corpus into reviewed/.",
    )
    parser.add_argument("--version", action="version", version=f"cleaner {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("scan", help="list what the rules find (one finding a line, or JSONL)")
    add_corpus_args(p)
    p.add_argument("--format", choices=("text", "jsonl"), default="text", help="output format (default: text)")
    p.add_argument("-o", "--output", metavar="FILE", help="write findings here instead of stdout")
    p.add_argument("--check", action="store_true", help="exit 1 when anything is found (for CI gates)")
    p.add_argument("--statistics", action="store_true",
                   help="count findings per rule code (name, applicability, verdicts in the store) and per source")
    add_db_arg(p)
    p.add_argument("-q", "--quiet", action="store_true", help="no summary or progress bar on stderr")
    add_engine_args(p)
    p.set_defaults(func=cmd_scan)

    p = sub.add_parser("apply", help="write the cleaned corpus (accepted fixes; --auto adds the safe ones)")
    add_corpus_args(p)
    add_output_args(p, "output folder", "also apply")
    p.add_argument("--diff", action="store_true",
                   help="print a unified diff of what apply would change and write nothing (exit 1 if any)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar on stderr")
    add_engine_args(p)
    p.set_defaults(func=cmd_apply)

    p = sub.add_parser("review", help="decide on each finding in a terminal UI; decisions go to .cleaner/decisions.sqlite")
    add_corpus_args(p)
    add_output_args(p, "where w writes the cleaned corpus", "w also applies")
    p.add_argument("--reviewer", metavar="NAME", help="name recorded with each decision (default: your login name)")
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("names", help="clusters of name spellings across the corpus; --write N adds one to the dictionary")
    p.add_argument("paths", nargs="*", metavar="PATH", help=f"files or folders to read (default: {DEFAULT_CORPUS}/)")
    p.add_argument("--rules", metavar="DIR", help="rule packs folder (default: ./rules if present, else the built-in packs)")
    p.add_argument("--text-key", default="text", metavar="KEY", help="JSONL field holding the text (default: text)")
    p.add_argument("--id-key", default="id", metavar="KEY", help="JSONL field holding the record id (default: id)")
    p.add_argument("--source-key", default="source", metavar="KEY", help="JSONL field naming the site/source (default: source)")
    add_style_arg(p)
    p.add_argument("--min-count", type=positive_int, default=1, metavar="N", help="only clusters with at least N mentions")
    p.add_argument("--format", choices=("text", "jsonl"), default="text", help="output format (default: text)")
    p.add_argument("--write", type=positive_int, metavar="N", help="add cluster N to the dictionary as a new entity")
    p.add_argument("--to", metavar="FILE", help="dictionary file to write (default: RULES/learned-names.yaml)")
    p.add_argument("--canonical", metavar="FORM", help="the entity's canonical form (default: the proposed one)")
    p.add_argument("--id", metavar="ID", help="the entity's id (default: from the canonical form)")
    p.add_argument("--kind", default="person", choices=("person", "place", "organisation", "term"),
                   help="the entity's kind (default: person)")
    p.set_defaults(func=cmd_names)

    p = sub.add_parser("decisions", help="export the review decisions as JSONL, or import (merge) such a file")
    dsub = p.add_subparsers(dest="decisions_command", metavar="ACTION", required=True)
    q = dsub.add_parser("export", help="every decision, one JSON object a line (stdout, or -o FILE)")
    q.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    add_db_arg(q)
    q.set_defaults(func=cmd_decisions_export)
    q = dsub.add_parser("import", help="merge an exported file; exit 1 on conflicts, 2 on malformed lines")
    q.add_argument("file", metavar="FILE", help="JSONL from `cleaner decisions export` (- for stdin)")
    add_db_arg(q)
    q.set_defaults(func=cmd_decisions_import)

    p = sub.add_parser("rules", help="list, explain or lint the rules")
    rsub = p.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    q = rsub.add_parser("list", help="every rule: code, name, applicability, message")
    q.add_argument("--rules", metavar="DIR")
    q.set_defaults(func=cmd_rules_list)
    q = rsub.add_parser("show", help="what a rule catches, why, examples, applicability")
    q.add_argument("code", metavar="CODE")
    q.add_argument("--rules", metavar="DIR")
    q.set_defaults(func=cmd_rules_show)
    q = rsub.add_parser("check", help="lint a rules folder (exit 1 on problems, 2 when it does not load)")
    q.add_argument("dir", nargs="?", metavar="DIR")
    q.add_argument("--rules", metavar="DIR")
    q.set_defaults(func=cmd_rules_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # a lone surrogate in a record id must not crash a report
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    handler: Callable[[argparse.Namespace], int] = args.func
    if not getattr(args, "quiet", False):
        notices()
    try:
        return handler(args)
    except RuleError as exc:
        for problem in exc.problems:
            err(problem)
        return EXIT_BAD_INPUT
    except (CorpusError, StoreError, UserError, EngineError) as exc:
        err(str(exc))
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        sys.stderr.close()
        return EXIT_OK
    except OSError as exc:  # a file that cannot be read or written: one line, not a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        err(f"{where}{exc.strerror or exc}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        err("interrupted")
        return 130
