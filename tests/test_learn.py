"""learn.py: promoted lines and names, ignores; each written file must load, and a bad one is never left behind."""

from __future__ import annotations

import pytest
import yaml

from cleaner.learn import LearnError, ignore, promote
from cleaner.model import Applicability, Finding
from cleaner.rules import installed_rules_dir, load_rules

PACK = """\
pack: test
rules:
  - code: BP001
    name: source-link
    kind: exact-line
    lines: ["Source link"]
    message: link-back line
    applicability: safe
    examples: {bad: ["Source link"]}
"""
NAMES = """\
pack: learned-names
entities:
  - id: vitali-klitschko
    kind: person
    canonical: Vitali Klitschko
    variants: [Vitaly Klitschko]
"""


def finding(code: str, original: str, replacement: str = "", doc: str = "a.txt") -> Finding:
    return Finding(doc, code, "x", 0, len(original), original, replacement, Applicability.UNSAFE, "m")


@pytest.fixture
def rules(tmp_path):
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "test.yaml").write_text(PACK)
    return folder


def test_promote_line_appends_to_one_learned_rule(rules):
    promote(finding("BP016", "Follow us\n\n"), rules)
    out = promote(finding("BP016", "Share this\n"), rules)
    assert out.endswith("BP900 learned-boilerplate-line += 'Share this'")
    (rule,) = yaml.safe_load((rules / "learned.yaml").read_text())["rules"]
    assert rule["lines"] == ["Follow us", "Share this"] and rule["examples"]["bad"] == [
        "Follow us",
        "Share this",
    ]
    assert load_rules(rules).by_code["BP900"].params["lines"] == ["Follow us", "Share this"]
    with pytest.raises(LearnError, match="already has the line"):
        promote(finding("BP016", "FOLLOW  us\n"), rules)


@pytest.mark.parametrize(
    "f, reason",
    [
        (finding("BP003", " date 2022-02-18 ", "x"), "one whole line"),
        (finding("BP003", " date 2022-02-18 "), "one whole line"),  # a title prefix, not a line
        (finding("BP007", "Comments\n\nNice article\n"), "one whole line"),
        (finding("TY001", "$ 5", "$5"), "only boilerplate"),
        (finding("BP016", "Source link\n"), "already deletes"),
    ],
)
def test_promote_line_refuses_what_is_not_a_single_new_line(rules, f, reason):
    with pytest.raises(LearnError, match=reason):
        promote(f, rules)
    assert not (rules / "learned.yaml").exists()


def test_promote_refuses_the_built_in_rules_folder():
    with pytest.raises(LearnError, match="--rules DIR"):
        promote(finding("BP016", "Follow us\n"), installed_rules_dir())


def test_promote_name_adds_a_variant_to_a_learned_entity(rules):
    (rules / "learned-names.yaml").write_text(NAMES)
    out = promote(finding("NM002", "Klytchko", "Vitali Klitschko"), rules)
    assert "entity vitali-klitschko variants += 'Klytchko'" in out
    (entity,) = yaml.safe_load((rules / "learned-names.yaml").read_text())["entities"]
    assert entity["variants"] == ["Vitaly Klitschko", "Klytchko"]
    with pytest.raises(LearnError, match="already a spelling"):
        promote(finding("NM001", "Vitaly Klitschko", "Vitali Klitschko"), rules)
    with pytest.raises(LearnError, match="no dictionary entity"):
        promote(finding("NM002", "Zelenskee", "Volodymyr Zelenskyy"), rules)


def test_ignore_entries_are_valid_and_not_repeated(rules):
    ignore(finding("TY001", "$ 5", "$5"), rules)
    ignore(finding("TY001", "$ 5", "$5"), rules, everywhere=True)
    with pytest.raises(LearnError, match="already ignored"):
        ignore(finding("TY001", "$ 5", "$5"), rules)
    assert len(load_rules(rules).sections["ignore"][0][1]) == 2


def test_a_malformed_ignore_list_is_reported_with_its_file(rules):
    from cleaner.rules import RuleError

    (rules / "learned.yaml").write_text("ignore:\n  - {code: TY001, original: 5}\n")
    with pytest.raises(RuleError, match="learned.yaml:2: ignore entry needs string code"):
        load_rules(rules)


def test_promote_line_checks_line_boundaries_in_the_document(rules):
    with pytest.raises(LearnError, match="one whole line"):
        promote(finding("BP003", " date 2022-02-18 "), rules, " date 2022-02-18 Kyiv mayor pleads\n")
    assert "+= 'Menu'" in promote(finding("BP002", "Menu"), rules, "Menu")  # the whole (last) line
