"""Load and validate YAML rule packs; the code -> rule registry every pass and the CLI read."""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from re import _constants, _parser  # the pattern parser, for patterns that can backtrack exponentially

from cleaner import __version__, usercache
from cleaner.model import Applicability, Document, Finding

CODE_RE = re.compile(r"^(BP|UN|TY|NM|TR)\d{3}$")
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
PREFIXES = {
    "BP": "boilerplate",
    "UN": "unicode",
    "TY": "typography",
    "NM": "names",
    "TR": "translation and terminology",
}

COMMON_KEYS = {
    "code": "rule code: prefix + 3 digits (BP, UN, TY, NM, TR); never reused",
    "name": "kebab-case name, unique",
    "kind": "what the rule matches (see KINDS)",
    "message": "what is wrong, shown with every finding",
    "fix": "what the fix does, e.g. 'delete line'",
    "applicability": "safe | unsafe | display",
    "confidence": "0..1, how sure a finding is (default 1.0)",
    "why": "longer explanation printed by `cleaner rules show`",
    "examples": "{bad: [...], good: [...]}: texts that must / must not trigger the rule",
    "enabled": "false turns the rule off by default (--select turns it on)",
    "first_lines": "only in the first N non-blank lines",
    "last_lines": "only in the last N non-blank lines",
}

# keys every structural kind accepts: how the main text of a page is found (cleaner/passes/structure.py)
LAYOUT_KEYS = {
    "good_words": "a line of this many words ending like a sentence is body text (default 10)",
    "long_words": "a line of this many words is body text whatever its ending (default 25)",
    "penalty": "cost of a non-sentence line when the main text region is chosen (default 2.0)",
    "page_menu": "a document counts as a whole page (and is judged) only with this many menu-like lines "
    "in a row: at most 3 words, no digits, no final punctuation (default 4)",
}

# kind -> {key: meaning}; the closed vocabulary of rule kinds and their own keys.
KINDS: dict[str, dict[str, str]] = {
    "exact-line": {
        "lines": "list of lines; a line matches when equal ignoring case and surrounding/inner runs of spaces",
    },
    "line-pattern": {
        "pattern": "regex that must match the whole line (stripped)",
        "ignore_case": "default true",
        "max_length": "longer lines are never matched (default 200)",
    },
    "block-from-marker": {
        "pattern": "regex matching a whole marker line; that line and everything after it is removed",
        "ignore_case": "default true",
        "min_position": "fraction of the text (by characters) that must come before the marker; default 0.5",
        "max_prose_run": "a safe rule's block holding more prose lines in a row than this, or prose in its "
        "first 3 lines, goes to a reviewer (the article may go on after a box); default: no check",
    },
    "title-prefix": {
        "pattern": "regex; the part of the first non-blank line it matches at the start is removed",
        "ignore_case": "default true",
    },
    "title-suffix": {
        "pattern": "regex; the part of the first non-blank line it matches at the end is removed",
        "ignore_case": "default true",
    },
    "substitution": {
        "pattern": "regex searched over the whole text",
        "replacement": "template with \\1 / \\g<name> groups",
        "transform": "upper | lower: applied to the replacement (for display-only case fixes)",
        "ignore_case": "default false",
        "exceptions": "regexes; a match that any of them also matches around it is left alone",
        "prefilter": "a string or list of strings, one of which every match (lookarounds included) holds:"
        " texts holding none skip the rule (a speed hint)",
        "group": "report only this group of the match (the pattern may match context before it, e.g. to"
        " start with a literal, which is faster); the replacement template replaces that group",
    },
    "line-shape": {
        "min_words": "a line with fewer words is not matched",
        "max_words": "a line with more words is not matched",
        "ends_without": "regex for a line ending that excludes the line (e.g. terminal punctuation)",
        "skip_first": "leave the first non-blank line (the title) alone; default true",
        "between_body": "only lines with a sentence-like paragraph before and after; default true",
        "neighbor_min_words": "how many words those paragraphs need at least; default 8",
        "contains": "regex the line must contain somewhere (a style mark, e.g. headline quotes)",
        "excludes": "regex that, found anywhere in the line, excludes it",
    },
    "ftfy": {
        "fixer": "the ftfy option this rule reports (fix_encoding, unescape_html, ...)",
    },
    # structural signals (cleaner/passes/structure.py)
    "outside-main-text": {
        "region": "top | bottom | both: the lines above, below or around the main text",
        "min_distance": "only lines at least this many lines away from the main text (default 1)",
        "max_words": "longer lines are never matched (default: no limit)",
        "skip_digits": "leave lines holding a digit alone (dates, scores, tables); default false",
        "keep_tables": "keep a table (short lines, half with digits) touching the main text; default true",
        "keep_near_prose": "keep prose lines (5+ words, final punctuation) this close to the main text (default 3)",
        "min_region": "fewer lines than this above/below the main text are left alone (default 3)",
        "keep_title": "keep the headline just above the main text; default true",
        "sentences": "also flag sentence-like lines in the region; default true",
        "safe_distance": "a safe rule's lines nearer the main text than this go to a reviewer (default 5)",
        **LAYOUT_KEYS,
    },
    "short-line-run": {
        "max_words": "a line of at most this many words without final punctuation is short (default 6)",
        "min_run": "how many short lines in a row make a menu or link list (default 4)",
        "region": "outside | inside | any: where the run lies relative to the main text (default outside)",
        "max_digit_share": "a run where at least this share of lines hold digits is data (a table), not matched (default 1.0: off)",
        "min_words": "shorter lines end a run (default 0)",
        "safe_distance": "a safe rule's lines nearer the main text than this go to a reviewer (default 5)",
        "min_caps": "share of a line's words of 4+ letters that start with a capital, for the line to count "
        "(headlines of other stories: default 0, off)",
        **LAYOUT_KEYS,
    },
    "dense-region": {
        "window": "lines on each side that are looked at (default 3)",
        "min_density": "share of non-sentence lines in the window needed (default 0.85)",
        "max_words": "longer lines are never flagged (default 12)",
        "region": "inside | any: only inside the main text, or anywhere (default inside)",
        **LAYOUT_KEYS,
    },
    "comment-thread": {
        "meta": "regex matching a whole line of comment furniture (Reply, Report, votes, Posted by)",
        "times": "regex matching a whole line that is a comment's time (2 days ago at 07:52 am); times alone make no thread",
        "heading": "regex matching a whole comments heading line, where the block starts (optional)",
        "min_meta": "how many such lines make a comment section (default 3)",
        "max_gap": "most lines between two of them (default 10)",
        "heading_reach": "how far above the first one a heading is looked for (default 5)",
        "ignore_case": "default true",
        **LAYOUT_KEYS,
    },
    "learned-line": {
        "scope": "source | corpus: count documents of the same source, or of the whole corpus",
        "min_docs": "a line must occur in at least this many documents (default 5)",
        "min_share": "... and in at least this share of the documents counted (default 0.2)",
        "max_words": "longer lines are never learned (default 12)",
        "where": "any | outside: anywhere, or only outside the main text (default any)",
        "allow": "lines never flagged however often they recur (real short content)",
        **LAYOUT_KEYS,
    },
    # names pass (cleaner/passes/names.py): the spellings come from the packs' `entities`
    "name-alias": {},
    "name-official": {},
    "name-fuzzy": {"min_score": "0..100 rapidfuzz score a misspelling needs (default 85)"},
    "name-consistency": {
        "min_score": "0..100 rapidfuzz score of two spellings with one transliteration form (default 80)"
    },
    "pronoun-gender": {},
}

TOP_LEVEL_KEYS = {
    "pack": "the pack's name",
    "description": "what the pack is for",
    "notice": "licence or provenance notice of data the pack was seeded from",
    "rules": "the list of rules",
    "entities": "name/term dictionary (names pass)",
    "styles": "house-style profiles (names pass)",
    "ignore": "findings a reviewer rejected for good: [{code, original, replacement, doc (optional)}]",
    "calibration": "measured precision per code, applicability and strength, used as the confidence: "
    "[{code, applicability, from, precision, lines}] (bench/calibrate.py writes it)",
}

IGNORE_KEYS = ("code", "original", "replacement", "doc")


class RuleError(Exception):
    """Rule packs that cannot be used; each entry of `problems` is one 'file:line: ...' line."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser when present: ~5x faster
    """A SafeLoader that remembers the line of every mapping as key '__line__', and refuses
    aliases (`*name`: an alias bomb expands to gigabytes) and duplicate keys, naming the line."""

    def get_single_data(self):
        node = self.get_single_node()
        if node is None:
            return None
        _refuse_aliases(node)
        return self.construct_document(node)


def _refuse_aliases(root: yaml.Node) -> None:
    """A node reached twice in the composed graph is an alias of an anchor: refused."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise yaml.constructor.ConstructorError(
                None, None, "anchors and aliases (&name, *name, <<: *name) are not allowed in rule packs; "
                "write the value out", node.start_mark)
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((value, key))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    keys: dict = {}
    for key_node, _ in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            key = key_node.value
            if key in keys:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}' (also on line {keys[key]})", key_node.start_mark)
            keys[key] = key_node.start_mark.line + 1
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def strip_lines(value: Any) -> Any:
    """Drop the '__line__' bookkeeping from a loaded structure."""
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    kind: str
    message: str
    applicability: Applicability
    fix: str = ""
    confidence: float = 1.0
    why: str = ""
    enabled: bool = True
    first_lines: int | None = None
    last_lines: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    examples_bad: tuple[str, ...] = ()
    examples_good: tuple[str, ...] = ()
    origin: str = ""  # "file:line"

    @property
    def prefix(self) -> str:
        return self.code[:2]

    def regex(self, key: str = "pattern", ignore_case_default: bool = True) -> re.Pattern[str]:
        flags = re.IGNORECASE if self.params.get("ignore_case", ignore_case_default) else 0
        return re.compile(self.params[key], flags | re.MULTILINE)

    def finding(
        self,
        doc: Document,
        start: int,
        end: int,
        replacement: str,
        *,
        confidence: float | None = None,
        message: str | None = None,
        applicability: Applicability | None = None,
    ) -> Finding:
        return Finding(
            doc=doc.doc,
            code=self.code,
            name=self.name,
            start=start,
            end=end,
            original=doc.text[start:end],
            replacement=replacement,
            applicability=self.applicability if applicability is None else applicability,
            message=self.message if message is None else message,
            fix=self.fix,
            confidence=self.confidence if confidence is None else confidence,
        )


@dataclass
class RuleSet:
    """Every rule of the loaded packs, by code, plus the packs' other sections (entities, styles)."""

    rules: list[Rule]
    sections: dict[str, list[tuple[str, Any]]]  # section -> [(file, loaded value with __line__)]
    version: str  # changes whenever a pack's text or the program changes (cache key)
    folder: Path | None = None

    @property
    def by_code(self) -> dict[str, Rule]:
        return {r.code: r for r in self.rules}

    def active(self, select: list[str] | None = None, ignore: list[str] | None = None) -> list[Rule]:
        """Rules that run: enabled ones (or those --select names, enabled or not) minus --ignore."""
        chosen = []
        for rule in self.rules:
            if select:
                if not _matches(rule, select):
                    continue
                # an explicitly named code turns a disabled rule on; a prefix keeps the defaults
                if not rule.enabled and rule.code not in select and rule.name not in select:
                    continue
            elif not rule.enabled:
                continue
            if ignore and _matches(rule, ignore):
                continue
            chosen.append(rule)
        return chosen


def _matches(rule: Rule, selectors: list[str]) -> bool:
    return any(rule.code.startswith(s) or rule.name == s for s in selectors)


def default_rules_dir() -> Path:
    """./rules when it exists, else the packs installed with the package."""
    local = Path("rules")
    if local.is_dir() and any(local.glob("*.yaml")):
        return local
    return installed_rules_dir()


def installed_rules_dir() -> Path:
    return Path(str(resources.files("cleaner._rules")))


def load_rules(folder: Path | str | None = None) -> RuleSet:
    """Load every *.yaml pack in `folder` (sorted); raise RuleError naming file, line and rule."""
    folder = Path(folder) if folder is not None else default_rules_dir()
    if not folder.is_dir():
        raise RuleError([f"{folder}: no such rules folder"])
    files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
    if not files:
        raise RuleError([f"{folder}: no *.yaml rule packs in it"])
    problems: list[str] = []
    texts: dict[Path, str] = {}
    digest = hashlib.sha256(__version__.encode())
    for path in files:
        try:
            texts[path] = text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = "not valid UTF-8" if isinstance(exc, UnicodeDecodeError) else exc.strerror
            problems.append(f"{path}: cannot read the pack ({reason})")
            continue
        digest.update(path.name.encode() + b"\0" + text.encode() + b"\0")
    version = digest.hexdigest()[:16]
    # packs read and checked before (the same texts at the same paths, the same checks) are not
    # parsed and checked again: that is a fifth of a one-file scan
    entry = hashlib.sha256(repr((version, sys.version, Path(__file__).read_bytes(), [str(p) for p in texts]))
                           .encode()).hexdigest()[:24]
    if problems:  # a pack that cannot be read: the others' mistakes are reported with it
        _checked_packs(texts, problems)
    rules, sections = usercache.remembered(f"rules-{entry}.pickle", lambda: _checked_packs(texts, problems),
                                           keep=("rules-*.pickle", KEEP_RULE_SETS))
    return RuleSet(rules, sections, version, folder)


def _checked_packs(texts: dict[Path, str], problems: list[str]) -> tuple[list[Rule], dict]:
    """The rules and sections of the packs; RuleError naming every problem (with those in `problems`)."""
    rules: list[Rule] = []
    sections: dict[str, list[tuple[str, Any]]] = {}
    for path, text in texts.items():
        rules.extend(_load_pack(path, text, problems, sections))
    _check_unique(rules, problems)
    if problems:
        raise RuleError(problems)
    return rules, sections


KEEP_RULE_SETS = 16  # checked rule sets kept in the user's cache folder


def _load_pack(path: Path, text: str, problems: list[str], sections: dict) -> list[Rule]:
    try:
        data = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        problems.append(f"{path}{line}: malformed YAML ({getattr(exc, 'problem', None) or exc})")
        return []
    if data is None:
        return []
    if not isinstance(data, dict):
        problems.append(f"{path}:1: a rule pack is a mapping with keys {', '.join(TOP_LEVEL_KEYS)}")
        return []
    unknown = [k for k in data if k != "__line__" and k not in TOP_LEVEL_KEYS]
    for key in unknown:
        problems.append(f"{path}:1: unknown top-level key '{key}' (allowed: {', '.join(TOP_LEVEL_KEYS)})")
    if "ignore" in data:
        _check_ignore(path, data["ignore"], problems)
    if "calibration" in data:
        _check_calibration(path, data["calibration"], problems)
    for key in TOP_LEVEL_KEYS:
        if key in ("rules", "pack", "description", "notice") or key not in data:
            continue
        sections.setdefault(key, []).append((str(path), data[key]))
    raw_rules = data.get("rules") or []
    if not isinstance(raw_rules, list):
        problems.append(f"{path}:{data['__line__']}: 'rules' must be a list")
        return []
    rules = []
    item_lines = _item_lines(text) if not all(isinstance(raw, dict) for raw in raw_rules) else []
    for k, raw in enumerate(raw_rules):
        if not isinstance(raw, dict):
            line = item_lines[k] if k < len(item_lines) else data["__line__"]
            problems.append(f"{path}:{line}: rule {k + 1} of the pack is not a mapping (code, name, kind, ...): {raw!r}")
            continue
        rule = _parse_rule(path, raw, problems)
        if rule is not None:
            rules.append(rule)
    return rules


def _check_ignore(path: Path, entries: Any, problems: list[str]) -> None:
    if not isinstance(entries, list):
        problems.append(f"{path}:1: 'ignore' must be a list of {{code, original, replacement, doc}}")
        return
    for entry in entries:
        line = entry.get("__line__", 0) if isinstance(entry, dict) else 0
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in IGNORE_KEYS[:3]):
            problems.append(f"{path}:{line}: ignore entry needs string code, original and replacement")
            continue
        for key in entry:
            if key != "__line__" and key not in IGNORE_KEYS:
                problems.append(f"{path}:{line}: ignore entry: unknown key '{key}' (allowed: {', '.join(IGNORE_KEYS)})")


def _check_calibration(path: Path, entries: Any, problems: list[str]) -> None:
    if not isinstance(entries, list):
        problems.append(f"{path}: 'calibration' must be a list of {{code, applicability, from, precision}}")
        return
    for e in entries:
        line = e.get("__line__", 0) if isinstance(e, dict) else 0
        ok = (
            isinstance(e, dict)
            and isinstance(e.get("code"), str)
            and e.get("applicability") in ("safe", "unsafe", "display")
            and all(isinstance(e.get(k), (int, float)) and not isinstance(e.get(k), bool) and 0 <= e.get(k) <= 1
                    for k in ("from", "precision"))
        )
        if not ok:
            problems.append(
                f"{path}:{line}: calibration entry needs code, applicability (safe|unsafe|display), "
                f"from and precision (numbers from 0 to 1), got {e!r}"
            )


def calibration(ruleset: RuleSet) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """(code, applicability) -> [(from, precision)] sorted by from: a finding's calibrated confidence
    is the precision of the last band whose `from` its own confidence reaches."""
    table: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for _file, entries in ruleset.sections.get("calibration", []):
        for e in entries or []:
            table.setdefault((e["code"], e["applicability"]), []).append((float(e["from"]), float(e["precision"])))
    return {key: sorted(bands) for key, bands in table.items()}


def ignored_changes(ruleset: RuleSet) -> dict[tuple[str, str, str], set[str | None]]:
    """(code, original, replacement) -> documents where it is ignored (None: everywhere)."""
    ignored: dict[tuple[str, str, str], set[str | None]] = {}
    for _file, entries in ruleset.sections.get("ignore", []):
        for e in entries or []:
            ignored.setdefault((e["code"], e["original"], e["replacement"]), set()).add(e.get("doc"))
    return ignored


def _item_lines(text: str) -> list[int]:
    """The line of each entry of the pack's `rules` list (read again as YAML nodes, for messages)."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    for key, value in getattr(root, "value", []):
        if getattr(key, "value", None) == "rules" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _parse_rule(path: Path, raw: Any, problems: list[str]) -> Rule | None:
    if not isinstance(raw, dict):
        problems.append(f"{path}: each rule is a mapping, got {raw!r}")
        return None
    line = raw.get("__line__", 0)
    label = raw.get("code") or raw.get("name") or "?"
    where = f"{path}:{line}: rule {label}"
    before = len(problems)

    def bad(msg: str) -> None:
        problems.append(f"{where}: {msg}")

    code, kind = raw.get("code"), raw.get("kind")
    if not isinstance(code, str) or not CODE_RE.match(code):
        bad(f"code {code!r} must be a prefix ({', '.join(PREFIXES)}) and three digits, e.g. BP012")
    name = raw.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        bad(f"name {name!r} must be kebab-case, e.g. source-link")
    if kind not in KINDS:
        bad(f"unknown kind {kind!r} (allowed: {', '.join(KINDS)})")
        return None
    allowed = set(COMMON_KEYS) | set(KINDS[kind])
    for key in raw:
        if key != "__line__" and key not in allowed:
            bad(f"unknown key '{key}' (allowed for kind {kind}: {', '.join(sorted(allowed))})")
    if not isinstance(raw.get("message"), str) or not raw.get("message"):
        bad("'message' is required")
    try:
        applicability = Applicability.parse(str(raw.get("applicability", "")))
    except KeyError:
        bad(f"applicability {raw.get('applicability')!r} must be safe, unsafe or display")
        applicability = Applicability.DISPLAY
    confidence = raw.get("confidence", 1.0)
    if not isinstance(confidence, (int, float)) or not 0 <= confidence <= 1:
        bad(f"confidence {confidence!r} must be a number from 0 to 1")
        confidence = 1.0
    for key in ("first_lines", "last_lines"):
        value = raw.get(key)
        if value is not None and (not isinstance(value, int) or value < 1):
            bad(f"{key} must be a positive whole number")
    params = {k: strip_lines(v) for k, v in raw.items() if k in KINDS[kind]}
    _check_params(kind, params, bad)
    examples = strip_lines(raw.get("examples") or {})
    if not isinstance(examples, dict) or set(examples) - {"bad", "good"}:
        bad("examples must be {bad: [...], good: [...]}")
        examples = {}
    for key in ("bad", "good"):
        value = examples.get(key)
        if value is not None and (not isinstance(value, list) or not all(isinstance(x, str) for x in value)):
            bad(f"examples: {key} must be a list of strings")
    if not isinstance(raw.get("enabled", True), bool):
        bad(f"enabled {raw.get('enabled')!r} must be true or false")
    if len(problems) > before:
        return None
    return Rule(
        code=code,
        name=name,
        kind=kind,
        message=raw["message"],
        applicability=applicability,
        fix=str(raw.get("fix", "")),
        confidence=float(confidence),
        why=str(raw.get("why", "")).strip(),
        enabled=bool(raw.get("enabled", True)),
        first_lines=raw.get("first_lines"),
        last_lines=raw.get("last_lines"),
        params=params,
        examples_bad=tuple(examples.get("bad") or ()),
        examples_good=tuple(examples.get("good") or ()),
        origin=f"{path}:{line}",
    )


REQUIRED = {
    "exact-line": ("lines",),
    "line-pattern": ("pattern",),
    "block-from-marker": ("pattern",),
    "title-prefix": ("pattern",),
    "title-suffix": ("pattern",),
    "substitution": ("pattern", "replacement"),
    "line-shape": (),
    "ftfy": ("fixer",),
    "outside-main-text": ("region",),
    "short-line-run": (),
    "dense-region": (),
    "comment-thread": ("meta",),
    "learned-line": ("scope",),
    "name-alias": (),
    "name-official": (),
    "name-fuzzy": (),
    "name-consistency": (),
    "pronoun-gender": (),
}


def _check_params(kind: str, params: dict, bad) -> None:
    for key in REQUIRED[kind]:
        if key not in params:
            bad(f"kind {kind} needs '{key}'")
    for key in ("pattern", "ends_without", "contains", "excludes", "meta", "times", "heading"):
        if key in params:
            try:
                re.compile(params[key])
            except (re.error, TypeError, OverflowError, RecursionError) as exc:
                bad(f"{key} does not compile: {exc}")
            else:
                risk = backtracking_risk(params[key])
                if risk:
                    bad(f"{key} {params[key]!r} {risk}")
    for pattern in params.get("exceptions") if isinstance(params.get("exceptions"), list) else []:
        try:
            re.compile(pattern)
        except (re.error, TypeError, OverflowError, RecursionError) as exc:
            bad(f"exception {pattern!r} does not compile: {exc}")
        else:
            risk = backtracking_risk(pattern)
            if risk:
                bad(f"exception {pattern!r} {risk}")
    if kind == "substitution" and isinstance(params.get("replacement"), str) and isinstance(params.get("pattern"), str):
        try:
            compiled = re.compile(params["pattern"])
            _parser.parse_template(params["replacement"], compiled)
        except re.error as exc:
            bad(f"replacement {params['replacement']!r} is not a valid template for the pattern: {exc} "
                f"(the pattern has {compiled.groups} group(s); write \\\\ for a backslash)")
        except (TypeError, OverflowError, RecursionError):
            pass  # the pattern's own problem is reported above
    if "lines" in params and (
        not isinstance(params["lines"], list) or not all(isinstance(x, str) for x in params["lines"])
    ):
        bad("'lines' must be a list of strings")
    prefilter = params.get("prefilter")
    if prefilter is not None and not (
        (isinstance(prefilter, str) and prefilter)
        or (isinstance(prefilter, list) and prefilter and all(isinstance(x, str) and x for x in prefilter))
    ):
        bad("prefilter must be a non-empty string or a list of them")
    if "group" in params and "pattern" in params:
        try:
            groups = re.compile(params["pattern"]).groups
        except (re.error, TypeError):
            groups = None
        group = params["group"]
        if groups is not None and (isinstance(group, bool) or not isinstance(group, int) or not 0 <= group <= groups):
            bad(f"group {group!r} must be a group number of the pattern (0 to {groups})")
    if params.get("transform") not in (None, "upper", "lower"):
        bad("transform must be upper or lower")
    exceptions = params.get("exceptions")
    if exceptions is not None and (not isinstance(exceptions, list) or not all(isinstance(x, str) for x in exceptions)):
        bad("exceptions must be a list of regexes")
    if kind == "ftfy" and "fixer" in params:
        from cleaner.passes.unicode import FIXERS  # late: the passes import this module

        if params["fixer"] not in FIXERS:
            bad(f"fixer {params['fixer']!r} is not an ftfy fixer (allowed: {', '.join(FIXERS)})")
    if kind in PARAM_TYPES_KINDS:
        for key, value in params.items():
            expected = PARAM_TYPES.get(key)
            if expected is not None and not _is_type(value, expected):
                bad(f"{key} {value!r} must be {PARAM_TYPE_NAMES[expected]}")
    else:
        for key, value in params.items():
            check = OTHER_PARAM_TYPES.get((kind, key)) or OTHER_PARAM_TYPES.get(("*", key))
            if check is not None and not check[0](value):
                bad(f"{key} {value!r} must be {check[1]}")


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _number(low: float, high: float):
    return lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and low <= v <= high


def _one_of(*choices: str):
    return lambda v: isinstance(v, str) and v in choices


_WHOLE = (_whole, "a whole number >= 0")
_SHARE = (_number(0, 1), "a number from 0 to 1")
_BOOL = (lambda v: isinstance(v, bool), "true or false")
# the value types of the structural and names kinds' keys: (kind or "*", key) -> (test, what it must be)
OTHER_PARAM_TYPES: dict[tuple[str, str], tuple] = {
    **{("*", k): _WHOLE for k in ("min_distance", "max_words", "keep_near_prose", "min_region", "min_run",
                                   "window", "min_docs", "good_words", "long_words", "page_menu",
                                   "min_meta", "max_gap", "heading_reach", "max_prose_run")},
    **{("*", k): _SHARE for k in ("max_digit_share", "min_density", "min_share")},
    **{("*", k): _BOOL for k in ("skip_digits", "keep_tables", "keep_title", "sentences")},
    ("*", "penalty"): (_number(0, float("inf")), "a number >= 0"),
    ("*", "min_score"): (_number(0, 100), "a number from 0 to 100"),
    ("*", "allow"): (lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v), "a list of strings"),
    ("*", "scope"): (_one_of("source", "corpus"), "source or corpus"),
    ("*", "where"): (_one_of("any", "outside"), "any or outside"),
    ("outside-main-text", "region"): (_one_of("top", "bottom", "both"), "top, bottom or both"),
    ("short-line-run", "region"): (_one_of("outside", "inside", "any"), "outside, inside or any"),
    ("dense-region", "region"): (_one_of("inside", "any"), "inside or any"),
}


# ---------------------------------------------------------------- patterns that can take exponential time

_REPEATS = (_constants.MAX_REPEAT, _constants.MIN_REPEAT)
_SAMPLE = [chr(c) for c in range(0x20, 0x250)] + ["\t", "\n", "\u00a0", "\u2019", "\u0416", "\u4e2d", "\u2003"]
_CATEGORY_TESTS = {
    _constants.CATEGORY_DIGIT: str.isdigit, _constants.CATEGORY_NOT_DIGIT: lambda c: not c.isdigit(),
    _constants.CATEGORY_SPACE: str.isspace, _constants.CATEGORY_NOT_SPACE: lambda c: not c.isspace(),
    _constants.CATEGORY_WORD: lambda c: c.isalnum() or c == "_",
    _constants.CATEGORY_NOT_WORD: lambda c: not (c.isalnum() or c == "_"),
}


def backtracking_risk(pattern: str) -> str | None:
    """Why a pattern can backtrack exponentially ("(a+)+$" on a long line of a's hangs a scan), or None.

    Conservative and structural (re._parser's tree): a repeated group holding a repeated item when
    the group's other items may match nothing, so one text splits into iterations in many ways
    ((a+)+, (a*)*, (\\w+\\s?)+), or holding alternatives that can start with the same character
    ((a|a)*, (\\w|\\d)+). Possessive quantifiers (a++) and atomic groups ((?>...)) do not backtrack
    and are never reported."""
    try:
        tree = _parser.parse(pattern)
    except (re.error, TypeError, OverflowError, RecursionError):
        return None
    ignore_case = bool(tree.state.flags & re.IGNORECASE)
    found = _nested(tree, ignore_case)
    if found is None:
        return None
    return (f"can take exponential time on some lines ({found}): refused; make the repeated parts unable "
            "to match the same text, or use a possessive quantifier (x++, x*+) or an atomic group (?>...) "
            "there, which never backtrack")


def _nested(items, ignore_case: bool) -> str | None:
    for op, av in items:
        if op in _REPEATS:
            low, high, body = av
            if high > 1:
                why = _ambiguous_body(body, ignore_case)
                if why:
                    return why
            found = _nested(body, ignore_case)
        elif op is _constants.SUBPATTERN:
            found = _nested(av[-1], ignore_case)
        elif op is _constants.BRANCH:
            found = next((w for w in (_nested(b, ignore_case) for b in av[1]) if w), None)
        elif op in (_constants.ASSERT, _constants.ASSERT_NOT):
            found = _nested(av[1], ignore_case)
        else:  # ATOMIC_GROUP, POSSESSIVE_REPEAT: no backtracking into them
            found = None
        if found:
            return found
    return None


def _ambiguous_body(body, ignore_case: bool) -> str | None:
    """Whether a repeated body can match one text in several ways across iterations."""
    items = list(_flatten(body))
    for k, (op, av) in enumerate(items):
        if op in _REPEATS and av[1] > 1:
            rest = items[:k] + items[k + 1 :]
            if all(_min_width(o, a) == 0 for o, a in rest):
                return "a repeated item inside a repeated group, e.g. (a+)+ or (\\w+\\s?)+"
            mine = _item_chars(op, av, ignore_case)
            # a repeat that can give back what the next item needs: each iteration may end at any of
            # several places ((.*a)+ on a line of a's)
            after = _first_chars(items[k + 1 :], ignore_case)
            if all(_min_width(o, a) == 0 for o, a in items[k + 1 :]):
                after |= _first_chars(items, ignore_case)  # ... or what the next iteration starts with
            if op is not _constants.POSSESSIVE_REPEAT and mine & after:
                return "a repeated item that can match what follows it inside a repeated group, e.g. (.*a)+"
            for j in range(k + 1, len(items)):  # two repeats in a row that overlap: (x+x+)+
                o, a = items[j]
                if o in _REPEATS and a[1] > 1 and mine & _item_chars(o, a, ignore_case):
                    return "two repeated items that can match the same text inside a repeated group, e.g. (x+x+)+"
                if _min_width(o, a) > 0:
                    break
        if op is _constants.BRANCH:
            follow = _first_chars(items[k + 1 :], ignore_case) | _first_chars(items, ignore_case)
            alternatives = [list(_flatten(b)) for b in av[1]]
            empty = [all(_min_width(o, a) == 0 for o, a in alt) for alt in alternatives]
            if sum(empty) > 1:
                return "alternatives that can match the same text inside a repeated group, e.g. (a|a)*"
            firsts = [_first_chars(alt, ignore_case) | (follow if e else set()) for alt, e in zip(alternatives, empty)]
            for i in range(len(firsts)):
                for j in range(i + 1, len(firsts)):
                    if firsts[i] & firsts[j]:
                        return "alternatives that can match the same text inside a repeated group, e.g. (a|a)*"
    return None


def _flatten(items):
    """The items of a sequence, capturing and non-capturing groups opened (their contents are in line)."""
    for op, av in items:
        if op is _constants.SUBPATTERN:
            inner = list(av[-1])
            if len(inner) == 1 and inner[0][0] is _constants.BRANCH:
                yield inner[0]
            else:
                yield from _flatten(inner)
        else:
            yield op, av


def _min_width(op, av) -> int:
    try:
        return _parser.SubPattern(_parser.State(), [(op, av)]).getwidth()[0]
    except Exception:  # noqa: BLE001 - unknown: assume it needs text
        return 1


def _first_chars(items, ignore_case: bool) -> set[str]:
    """Sample characters the sequence can start with (an estimate: unknown items give none)."""
    out: set[str] = set()
    for op, av in items:
        chars = _item_chars(op, av, ignore_case)
        out |= chars
        if _min_width(op, av) > 0:
            break
    return out


def _item_chars(op, av, ignore_case: bool) -> set[str]:
    c = _constants
    if op is c.LITERAL:
        ch = chr(av)
        return {ch, ch.lower(), ch.upper()} if ignore_case else {ch}
    if op is c.NOT_LITERAL:
        return {x for x in _SAMPLE if x != chr(av)}
    if op is c.ANY:
        return {x for x in _SAMPLE if x != "\n"}
    if op is c.IN:
        return _in_chars(av, ignore_case)
    if op in _REPEATS or op is c.POSSESSIVE_REPEAT:
        return _first_chars(list(_flatten(av[2])), ignore_case)
    if op is c.SUBPATTERN or op is c.ATOMIC_GROUP:
        return _first_chars(list(_flatten(av[-1] if op is c.SUBPATTERN else av)), ignore_case)
    if op is c.BRANCH:
        return set().union(*(_first_chars(list(_flatten(b)), ignore_case) for b in av[1]))
    return set()


def _in_chars(av, ignore_case: bool) -> set[str]:
    c = _constants
    negate = bool(av) and av[0][0] is c.NEGATE
    tests = []
    for op, arg in av:
        if op is c.LITERAL:
            tests.append(lambda x, a=chr(arg): x == a)
        elif op is c.RANGE:
            tests.append(lambda x, lo=arg[0], hi=arg[1]: lo <= ord(x) <= hi)
        elif op is c.CATEGORY and arg in _CATEGORY_TESTS:
            tests.append(_CATEGORY_TESTS[arg])

    def member(x: str) -> bool:
        hit = any(t(x) for t in tests) or (ignore_case and any(t(x.swapcase()) for t in tests))
        return hit != negate

    return {x for x in _SAMPLE if member(x)}


# the value types of the line, substitution and ftfy kinds' keys (other passes check their own)
PARAM_TYPES_KINDS = ("exact-line", "line-pattern", "block-from-marker", "title-prefix", "title-suffix",
                     "substitution", "line-shape", "ftfy")
PARAM_TYPES = {
    "pattern": str, "replacement": str, "ends_without": str, "fixer": str,
    "ignore_case": bool, "skip_first": bool, "between_body": bool,
    "max_length": int, "min_words": int, "max_words": int, "neighbor_min_words": int,
    "min_position": float,
}
PARAM_TYPE_NAMES = {str: "a string", bool: "true or false", int: "a whole number >= 0",
                    float: "a number from 0 to 1"}


def _is_type(value: Any, expected: type) -> bool:
    if expected is bool or expected is str:
        return isinstance(value, expected)
    if isinstance(value, bool):
        return False
    if expected is int:
        return isinstance(value, int) and value >= 0
    return isinstance(value, (int, float)) and 0 <= value <= 1


def _check_unique(rules: list[Rule], problems: list[str]) -> None:
    seen_codes: dict[str, Rule] = {}
    seen_names: dict[str, Rule] = {}
    for rule in rules:
        if rule.code in seen_codes:
            problems.append(
                f"{rule.origin}: rule {rule.code}: duplicate code (also at {seen_codes[rule.code].origin})"
            )
        if rule.name in seen_names:
            problems.append(
                f"{rule.origin}: rule {rule.code}: duplicate name '{rule.name}' "
                f"(also at {seen_names[rule.name].origin})"
            )
        seen_codes.setdefault(rule.code, rule)
        seen_names.setdefault(rule.name, rule)
