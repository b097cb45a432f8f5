"""Turn review verdicts into rules: promote an accepted boilerplate line to an exact-line rule, ignore a rejected finding.

Both write `learned.yaml` in the rules folder, a rule pack the user owns and may edit; the file is
checked by loading the whole folder again, and restored when the result would not load.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from cleaner.corpus import atomic_write
from cleaner.model import Finding
from cleaner.passes.lines import normalize_line
from cleaner.rules import RuleError, installed_rules_dir, load_rules

LEARNED_FILE = "learned.yaml"
LEARNED_NAMES_FILE = (
    "learned-names.yaml"  # the names dictionary file `cleaner names --write` adds entities to
)
LEARNED_NAME = "learned-boilerplate-line"
MAX_LINE = 200


class LearnError(Exception):
    """The verdict cannot be learned (wrong kind of finding, no writable rules folder); says why."""


def learned_path(rules_dir: Path | None) -> Path:
    """<rules folder>/learned.yaml; never inside the packs installed with the package."""
    folder = Path(rules_dir) if rules_dir is not None else None
    if folder is None or folder.resolve() == installed_rules_dir().resolve():
        raise LearnError("the rules in use are the built-in ones; pass --rules DIR with a folder of your own")
    return folder / LEARNED_FILE


def promotable_line(f: Finding, text: str | None = None) -> str:
    """The line a boilerplate finding deleted, or LearnError saying why it cannot become a rule.

    With the document's text the span must start and end at line boundaries; without it the
    deleted text must end with its line break.
    """
    if not f.code.startswith("BP"):
        raise LearnError(f"{f.code}: only boilerplate line deletions can be promoted for now")
    line = f.original.strip()
    if text is not None:
        whole = (f.start == 0 or text[f.start - 1] == "\n") and (
            f.end == len(text) or text[f.end - 1] == "\n"
        )
    else:
        whole = f.original.endswith("\n")
    if f.replacement != "" or not line or "\n" in line or not whole:
        raise LearnError(f"{f.code}: only the deletion of one whole line can become an exact-line rule")
    if len(line) > MAX_LINE:
        raise LearnError(f"{f.code}: the line is longer than {MAX_LINE} characters")
    return line


def promote(f: Finding, rules_dir: Path | None, text: str | None = None) -> str:
    """Learn from an accepted finding: a name change becomes a dictionary variant, a boilerplate line a rule."""
    if f.code.startswith(("NM", "TR")):
        return promote_name(f, rules_dir)
    return promote_line(f, rules_dir, text)


def promote_name(f: Finding, rules_dir: Path | None) -> str:
    """Add the spelling f replaced to the variants of the entity whose form it put in (learned-names.yaml)."""
    from cleaner.passes.names_dict import load_dictionary

    path = learned_path(rules_dir).with_name(LEARNED_NAMES_FILE)
    spelling, target = f.original.strip(), f.replacement.strip()
    if not spelling or not target or "\n" in spelling:
        raise LearnError(f"{f.code}: only a name replaced by another can become a dictionary variant")
    dictionary = load_dictionary(load_rules(path.parent))
    for entity in dictionary.entities.values():
        if spelling in entity.all_forms(dictionary.styles):
            raise LearnError(f"{spelling!r} is already a spelling of entity {entity.id} ({entity.origin})")
    entity = next((e for e in dictionary.entities.values() if target in e.all_forms(dictionary.styles)), None)
    if entity is None:
        raise LearnError(f"no dictionary entity spells {target!r}; add one with `cleaner names --write`")
    if Path(entity.origin.rsplit(":", 1)[0]).resolve() != path.resolve():
        raise LearnError(
            f"entity {entity.id} is defined in {entity.origin}; add {spelling!r} to its variants there "
            f"(an entity cannot be extended from another file)"
        )
    data = _read(path, {"pack": "learned-names", "description": "name spellings confirmed by an editor"})
    raw = next(e for e in data.get("entities", []) if isinstance(e, dict) and e.get("id") == entity.id)
    raw.setdefault("variants", []).append(spelling)
    _write(path, data, check=lambda folder: load_dictionary(load_rules(folder)))
    return f"{path}: entity {entity.id} variants += {spelling!r}"


def promote_line(f: Finding, rules_dir: Path | None, text: str | None = None) -> str:
    """Add the line f deleted to the learned exact-line rule; return what was written."""
    path = learned_path(rules_dir)
    line = promotable_line(f, text)
    ruleset = load_rules(path.parent)
    key = normalize_line(line)
    for rule in ruleset.rules:
        if rule.kind == "exact-line" and rule.code != _learned_code(ruleset) and rule.enabled:
            if key in {normalize_line(x) for x in rule.params.get("lines", [])}:
                raise LearnError(f"{rule.code} {rule.name} already deletes {line!r} wherever it is")
    data = _read(path)
    rules = data.setdefault("rules", [])
    rule = next((r for r in rules if isinstance(r, dict) and r.get("name") == LEARNED_NAME), None)
    if rule is None:
        rule = {
            "code": _free_code(ruleset),
            "name": LEARNED_NAME,
            "kind": "exact-line",
            "lines": [],
            "message": "boilerplate line a reviewer promoted to a rule",
            "fix": "delete line",
            "applicability": "safe",
            "why": "Lines accepted as boilerplate in `cleaner review` and promoted with `+`.",
            "examples": {"bad": []},
        }
        rules.append(rule)
    if key in {normalize_line(x) for x in rule["lines"]}:
        raise LearnError(f"{rule['code']} already has the line {line!r}")
    rule["lines"].append(line)
    rule.setdefault("examples", {}).setdefault("bad", []).append(line)
    _write(path, data)
    return f"{path}: {rule['code']} {LEARNED_NAME} += {line!r}"


def ignore(f: Finding, rules_dir: Path | None, *, everywhere: bool = False) -> str:
    """Add f to the pack's ignore list (for its document only unless everywhere); return what was written."""
    path = learned_path(rules_dir)
    data = _read(path)
    entry = {"code": f.code, "original": f.original, "replacement": f.replacement}
    if not everywhere:
        entry["doc"] = f.doc
    entries = data.setdefault("ignore", [])
    if entry in entries:
        raise LearnError(f"{path}: already ignored")
    entries.append(entry)
    _write(path, data)
    where = "everywhere" if everywhere else f"in {f.doc}"
    return f"{path}: ignore {f.code} {f.original.strip()[:40]!r} -> {f.replacement!r} {where}"


def _learned_code(ruleset) -> str | None:
    return next((r.code for r in ruleset.rules if r.name == LEARNED_NAME), None)


def _free_code(ruleset) -> str:
    used = {r.code for r in ruleset.rules}
    return next(f"BP{n:03d}" for n in range(900, 1000) if f"BP{n:03d}" not in used)


def _read(path: Path, new: dict | None = None) -> dict:
    if not path.exists():
        return new or {
            "pack": "learned",
            "description": "Rules and ignores learned in `cleaner review` (+ promotes a line, - ignores a "
            "finding). Yours to edit; an ignore entry without `doc` applies everywhere.",
        }
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise LearnError(f"{path}: not valid YAML ({exc}); fix it by hand first") from None
    if not isinstance(data, dict):
        raise LearnError(f"{path}: not a rule pack (a mapping); fix it by hand first")
    return data


def _write(path: Path, data: dict, check=load_rules) -> None:
    """Write the pack, then load the whole folder; put the old text back if it no longer loads."""
    old = path.read_text(encoding="utf-8") if path.exists() else None
    atomic_write(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))
    try:
        check(path.parent)
    except RuleError as exc:
        if old is None:
            path.unlink()
        else:
            atomic_write(path, old)
        raise LearnError(f"{path}: not written, it would not load: {exc.problems[0]}") from None
