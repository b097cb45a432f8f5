"""The rule loader: good packs load into a registry; every mistake is one line naming file, line and rule."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cleaner.cli import main
from cleaner.rules import RuleError, load_rules

GOOD_RULE = """\
  - code: BP901
    name: test-rule
    kind: exact-line
    lines: ["Source link"]
    message: a test rule
    applicability: safe
"""


def pack(tmp_path: Path, body: str, name: str = "pack.yaml") -> Path:
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(textwrap.dedent(body), encoding="utf-8")
    return folder


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(RuleError) as info:
        load_rules(folder)
    return info.value.problems


def test_a_good_pack_loads(tmp_path):
    ruleset = load_rules(pack(tmp_path, "rules:\n" + GOOD_RULE))
    (rule,) = ruleset.rules
    assert (rule.code, rule.name, rule.kind, rule.params) == (
        "BP901",
        "test-rule",
        "exact-line",
        {"lines": ["Source link"]},
    )
    assert rule.origin.endswith("pack.yaml:2")


def test_the_default_packs_load(ruleset):
    codes = [r.code for r in ruleset.rules]
    assert len(codes) == len(set(codes))
    assert {"BP001", "UN002", "TY001"} <= set(codes)


def test_version_changes_with_the_packs(tmp_path):
    folder = pack(tmp_path, "rules:\n" + GOOD_RULE)
    before = load_rules(folder).version
    pack(tmp_path, "rules:\n" + GOOD_RULE.replace("a test rule", "another message"))
    assert load_rules(folder).version != before


@pytest.mark.parametrize(
    "body, line, rule, words",
    [
        (
            "rules:\n" + GOOD_RULE.replace("    applicability", "    colour: red\n    applicability"),
            2,
            "BP901",
            ["unknown key 'colour'", "allowed"],
        ),
        (
            "rules:\n" + GOOD_RULE.replace("kind: exact-line", "kind: fuzzy-line"),
            2,
            "BP901",
            ["unknown kind 'fuzzy-line'", "exact-line"],
        ),
        (
            "rules:\n"
            + GOOD_RULE.replace('lines: ["Source link"]', "pattern: '(unclosed'").replace(
                "exact-line", "line-pattern"
            ),
            2,
            "BP901",
            ["pattern does not compile"],
        ),
        ("rules:\n" + GOOD_RULE.replace("BP901", "XX1"), 2, "XX1", ["code 'XX1'"]),
        ("rules:\n" + GOOD_RULE.replace("test-rule", "Test_Rule"), 2, "BP901", ["kebab-case"]),
        ("rules:\n" + GOOD_RULE.replace("safe", "maybe"), 2, "BP901", ["applicability 'maybe'"]),
        (
            "rules:\n" + GOOD_RULE.replace("    message: a test rule\n", ""),
            2,
            "BP901",
            ["'message' is required"],
        ),
        (
            "rules:\n" + GOOD_RULE.replace("applicability: safe", "applicability: safe\n    confidence: 3"),
            2,
            "BP901",
            ["confidence 3"],
        ),
        (
            "rules:\n" + GOOD_RULE.replace("applicability: safe", "applicability: safe\n    first_lines: -2"),
            2,
            "BP901",
            ["first_lines"],
        ),
        (
            "rules:\n" + GOOD_RULE.replace('lines: ["Source link"]', "lines: Source link"),
            2,
            "BP901",
            ["'lines' must be a list"],
        ),
        (
            "rules:\n"
            + GOOD_RULE.replace(
                "applicability: safe", "applicability: safe\n    examples: {bad: [x], ugly: [y]}"
            ),
            2,
            "BP901",
            ["examples must be"],
        ),
        (
            "rules:\n"
            + GOOD_RULE.replace(
                "applicability: safe", "applicability: safe\n    examples: {bad: Source link}"
            ),
            2,
            "BP901",
            ["examples"],
        ),
        ("rules:\n" + GOOD_RULE.replace('    lines: ["Source link"]\n', ""), 2, "BP901", ["needs 'lines'"]),
        (
            "rules:\n"
            + GOOD_RULE.replace("kind: exact-line", "kind: ftfy\n    fixer: fix_everything").replace(
                '    lines: ["Source link"]\n', ""
            ),
            2,
            "BP901",
            ["fixer 'fix_everything'"],
        ),
        (
            "rules:\n"
            + GOOD_RULE.replace("kind: exact-line", "kind: line-pattern\n    max_length: long").replace(
                'lines: ["Source link"]', "pattern: 'x'"
            ),
            2,
            "BP901",
            ["max_length"],
        ),
        (
            "rules:\n"
            + GOOD_RULE.replace("applicability: safe", "applicability: safe\n    enabled: perhaps"),
            2,
            "BP901",
            ["enabled"],
        ),
        (
            "rules:\n"
            + GOOD_RULE.replace(
                "kind: exact-line", "kind: substitution\n    replacement: ''\n    exceptions: '(unclosed'"
            ).replace('lines: ["Source link"]', "pattern: 'x'"),
            2,
            "BP901",
            ["exceptions"],
        ),
    ],
    ids=[
        "unknown-key",
        "unknown-kind",
        "bad-regex",
        "bad-code",
        "bad-name",
        "bad-applicability",
        "no-message",
        "bad-confidence",
        "bad-first-lines",
        "lines-not-list",
        "bad-examples",
        "examples-not-lists",
        "missing-param",
        "unknown-fixer",
        "bad-max-length",
        "bad-enabled",
        "exceptions-not-list",
    ],
)
def test_mistakes_name_file_line_and_rule(tmp_path, body, line, rule, words):
    folder = pack(tmp_path, body)
    problems = problems_of(folder)
    assert len(problems) >= 1
    first = problems[0]
    assert first.startswith(f"{folder / 'pack.yaml'}:{line}: rule {rule}: "), first
    for word in words:
        assert word in first


def test_duplicate_code_names_both_places(tmp_path):
    folder = pack(tmp_path, "rules:\n" + GOOD_RULE + GOOD_RULE.replace("test-rule", "other-rule"))
    (problem,) = problems_of(folder)
    assert (
        problem == f"{folder / 'pack.yaml'}:8: rule BP901: duplicate code (also at {folder / 'pack.yaml'}:2)"
    )


def test_duplicate_code_across_packs(tmp_path):
    pack(tmp_path, "rules:\n" + GOOD_RULE, "a.yaml")
    folder = pack(tmp_path, "rules:\n" + GOOD_RULE.replace("test-rule", "other-rule"), "b.yaml")
    (problem,) = problems_of(folder)
    assert problem.startswith(
        f"{folder / 'b.yaml'}:2: rule BP901: duplicate code (also at {folder / 'a.yaml'}:2)"
    )


def test_duplicate_name(tmp_path):
    folder = pack(tmp_path, "rules:\n" + GOOD_RULE + GOOD_RULE.replace("BP901", "BP902"))
    (problem,) = problems_of(folder)
    assert problem.startswith(f"{folder / 'pack.yaml'}:8: rule BP902: duplicate name 'test-rule'")


def test_malformed_yaml_names_file_and_line(tmp_path):
    folder = pack(tmp_path, "rules:\n" + GOOD_RULE + "  - code: [BP902\n    name: x\n")
    (problem,) = problems_of(folder)
    assert problem.startswith(f"{folder / 'pack.yaml'}:")
    assert "malformed YAML" in problem
    line = int(problem.split(":")[1])
    assert 8 <= line <= 10


def test_unknown_top_level_key(tmp_path):
    folder = pack(tmp_path, "rulez: []\n")
    (problem,) = problems_of(folder)
    assert problem.startswith(f"{folder / 'pack.yaml'}:1: unknown top-level key 'rulez'")


def test_a_rule_that_is_not_a_mapping(tmp_path):
    folder = pack(tmp_path, "rules:\n" + GOOD_RULE + "  - just a string\n")
    (problem,) = problems_of(folder)
    assert problem.startswith(f"{folder / 'pack.yaml'}:")
    where = f"{folder / 'pack.yaml'}:8"
    assert problem == f"{where}: rule 2 of the pack is not a mapping (code, name, kind, ...): 'just a string'"


def test_a_pack_that_is_not_utf8(tmp_path):
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "pack.yaml").write_bytes(
        ("rules:\n" + GOOD_RULE.replace("a test rule", "caf\xe9")).encode("cp1252")
    )
    (problem,) = problems_of(folder)
    assert problem.startswith(f"{folder / 'pack.yaml'}")
    assert "UTF-8" in problem


def test_every_problem_is_reported_at_once(tmp_path):
    body = (
        "rules:\n"
        + GOOD_RULE.replace("exact-line", "nope")
        + GOOD_RULE.replace("BP901", "BP9").replace("test-rule", "rule-two")
    )
    problems = problems_of(pack(tmp_path, body))
    assert len(problems) == 2
    assert "rule BP901: unknown kind" in problems[0] and "rule BP9: code" in problems[1]


def test_missing_or_empty_rules_folder(tmp_path):
    assert problems_of(tmp_path / "nowhere") == [f"{tmp_path / 'nowhere'}: no such rules folder"]
    (tmp_path / "empty").mkdir()
    assert "no *.yaml rule packs" in problems_of(tmp_path / "empty")[0]


def test_scan_with_bad_rules_exits_2_with_one_line_per_problem(tmp_path, capsys):
    body = (
        "rules:\n"
        + GOOD_RULE.replace("exact-line", "nope")
        + GOOD_RULE.replace("BP901", "BP902")
        .replace("test-rule", "rule-two")
        .replace('lines: ["Source link"]', "lines: ['x']\n    bogus: 1")
    )
    folder = pack(tmp_path, body)
    (tmp_path / "a.txt").write_text("Source link\n", encoding="utf-8")
    status = main(["scan", str(tmp_path / "a.txt"), "--rules", str(folder)])
    err = capsys.readouterr().err
    assert status == 2
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith(f"cleaner: {folder / 'pack.yaml'}:2: rule BP901: unknown kind 'nope'")
    assert lines[1].startswith(f"cleaner: {folder / 'pack.yaml'}:8: rule BP902: unknown key 'bogus'")
    assert "Traceback" not in err


def test_select_turns_on_a_rule_that_is_off_by_default(ruleset):
    assert "UN010" not in {r.code for r in ruleset.active()}
    assert "UN010" in {r.code for r in ruleset.active(["UN010"])}
    assert "UN010" not in {r.code for r in ruleset.active(["UN"])}


def test_ignore_wins_over_select(ruleset):
    typography = {r.code for r in ruleset.rules if r.prefix == "TY" and r.enabled}
    assert {r.code for r in ruleset.active(["TY"], ["TY002"])} == typography - {"TY002"}
    assert {r.code for r in ruleset.active(["TY", "curly-quotes"])} == typography | {"UN010"}


@pytest.mark.parametrize("pattern", [r"(.*a)+;", r"(?:https?://\S+\s*)+", r"(\w+\w)+"])
def test_a_repeat_that_can_give_back_what_follows_it_is_refused(pattern):
    from cleaner.rules import backtracking_risk

    assert backtracking_risk(pattern) is not None


@pytest.mark.parametrize("pattern", [r"(\w+\s)+", r"(\d+,)+", r"([^,]*,)+", r"(?:[A-Z][a-z]+\s)+", r"(?>\S+\s*)+"])
def test_a_repeat_with_a_forced_boundary_is_accepted(pattern):
    from cleaner.rules import backtracking_risk

    assert backtracking_risk(pattern) is None
