"""Lint the rule packs: bad examples trigger their rule, good ones do not, and no fix loops."""

from __future__ import annotations

import textwrap

import pytest

from cleaner.lint import lint
from cleaner.rules import load_rules


def test_default_packs_are_clean(ruleset):
    assert lint(ruleset) == []


def test_every_rule_of_the_line_and_substitution_kinds_has_examples(ruleset):
    missing = [r.code for r in ruleset.rules if r.kind not in ("ftfy",) and not r.examples_bad]
    assert missing == []


def test_codes_are_unique_and_never_reuse_a_prefix_outside_the_known_ones(ruleset):
    codes = [r.code for r in ruleset.rules]
    assert len(codes) == len(set(codes))
    assert {c[:2] for c in codes} <= {"BP", "UN", "TY", "NM", "TR"}


def write_pack(tmp_path, rules: str):
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "test.yaml").write_text("rules:\n" + textwrap.dedent(rules), encoding="utf-8")
    return load_rules(folder)


def test_lint_catches_a_bad_example_that_does_not_trigger(tmp_path):
    ruleset = write_pack(
        tmp_path,
        """\
      - code: BP901
        name: source-link
        kind: exact-line
        lines: ["Source link"]
        message: link-back
        applicability: safe
        examples:
          bad: ["Source link", "Read more"]
    """,
    )
    (problem,) = lint(ruleset)
    assert problem == (
        f"{tmp_path / 'rules' / 'test.yaml'}:2: rule BP901: bad example 2 does not trigger it: 'Read more'"
    )


def test_lint_catches_a_good_example_that_triggers(tmp_path):
    ruleset = write_pack(
        tmp_path,
        """\
      - code: TY901
        name: double-space
        kind: substitution
        pattern: '  '
        replacement: ' '
        message: two spaces
        applicability: safe
        examples:
          bad: ["a  b"]
          good: ["a b", "  indented"]
    """,
    )
    (problem,) = lint(ruleset)
    assert problem.endswith("rule TY901: good example 2 triggers it: '  indented'")


def test_lint_catches_a_fix_that_its_own_rule_flags_again(tmp_path):
    ruleset = write_pack(
        tmp_path,
        """\
      - code: TY901
        name: grows
        kind: substitution
        pattern: 'ab'
        replacement: 'aab'
        message: loops forever
        applicability: safe
        examples:
          bad: ["ab"]
    """,
    )
    (problem,) = lint(ruleset)
    assert problem.endswith("rule TY901: fixing bad example 1 leaves text it flags again: 'aab'")


def test_lint_catches_a_fix_that_another_rule_flags(tmp_path):
    ruleset = write_pack(
        tmp_path,
        """\
      - code: TY901
        name: comma-space
        kind: substitution
        pattern: ','
        replacement: ' ,'
        message: adds a space before commas
        applicability: safe
        examples:
          bad: ["a, b"]
      - code: TY902
        name: space-before-comma
        kind: substitution
        pattern: ' (?=,)'
        replacement: ''
        message: space before comma
        applicability: safe
        examples:
          bad: ["a , b"]
    """,
    )
    # TY902's fix is not blamed: the comma TY901 flags afterwards was flagged before it too
    problems = lint(ruleset)
    assert [p.split(": rule ")[1] for p in problems] == [
        "TY901: the fix of bad example 1 triggers TY902: 'a , b'"
    ]


def test_lint_wants_a_bad_example(tmp_path):
    ruleset = write_pack(
        tmp_path,
        """\
      - code: BP901
        name: no-examples
        kind: exact-line
        lines: ["Menu"]
        message: menu
        applicability: safe
    """,
    )
    (problem,) = lint(ruleset)
    assert "no bad example" in problem


@pytest.mark.parametrize("folder_arg", ["positional", "option"])
def test_rules_check_exit_codes(tmp_path, capsys, folder_arg):
    from cleaner.cli import main

    write_pack(
        tmp_path,
        """\
      - code: BP901
        name: source-link
        kind: exact-line
        lines: ["Source link"]
        message: link-back
        applicability: safe
        examples:
          bad: ["Read more"]
    """,
    )
    folder = str(tmp_path / "rules")
    argv = ["rules", "check", folder] if folder_arg == "positional" else ["rules", "check", "--rules", folder]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "bad example 1 does not trigger it" in out
