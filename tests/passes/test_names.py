"""The names pass: aliases, fuzzy, consistency, pronouns, styles, precision, dictionary errors."""

from __future__ import annotations

import textwrap

import pytest

from cleaner.model import Applicability, Document
from cleaner.passes.base import Settings
from cleaner.passes.names_dict import (
    alias_regex,
    build_aliases,
    load_dictionary,
    skeleton,
    translit_form,
    trie_pattern,
)
from cleaner.rules import RuleError, load_rules
from cleaner.scan import Scanner


def changes(findings, code=None):
    return [(f.code, f.original, f.replacement) for f in findings if code is None or f.code == code]


# ---------------------------------------------------------------- aliases (NM001)


def test_alias_replaced_with_exact_span_and_safe(scan, spans):
    text = "The mayor of Kiev spoke."
    found = scan(text, "NM")
    assert spans(found) == [["NM001", 13, 17, "Kiev", "Kyiv"]]
    assert found[0].applicability is Applicability.SAFE
    assert text[found[0].start : found[0].end] == found[0].original


def test_possessive_and_every_occurrence(scan, spans):
    text = "Kiev’s streets. Back in Kiev."
    assert spans(scan(text, "NM001")) == [["NM001", 0, 4, "Kiev", "Kyiv"], ["NM001", 24, 28, "Kiev", "Kyiv"]]


def test_full_name_alias_spans_the_whole_name(scan, spans):
    text = "Foreign Minister Dmitry Kuleba arrived."
    assert spans(scan(text, "NM")) == [["NM001", 17, 30, "Dmitry Kuleba", "Dmytro Kuleba"]]


def test_lone_surname_variant_becomes_the_canonical_surname(scan):
    assert changes(scan("Later Zelensky said no.", "NM")) == [("NM001", "Zelensky", "Zelenskyy")]


def test_entity_own_first_name_wins_over_given_name_table(scan):
    # the national table writes Andrii, but Melnyk's own spelling is Andriy
    assert changes(scan("Envoy Andrii Melnyk spoke.", "NM")) == [("NM001", "Andrii Melnyk", "Andriy Melnyk")]
    assert changes(scan("Envoy Andrey Melnik spoke.", "NM")) == [("NM001", "Andrey Melnik", "Andriy Melnyk")]


def test_given_name_table_gives_full_name_variants(scan):
    assert changes(scan("Mayor Vadim Boychenko said so.", "NM")) == [
        ("NM001", "Vadim Boychenko", "Vadym Boychenko")
    ]


# ---------------------------------------------------------------- precision


@pytest.mark.parametrize(
    "text",
    [
        "Kremlin spokesman Dmitry Peskov said no.",  # Dmitry only changes inside Dmytro Kuleba
        "President Vladimir Putin spoke.",  # Vladimir is not Volodymyr here
        "Olena Zelenska met Volodymyr Zelenskyy.",  # Zelenska is another person
        "Zelenska visited a school.",  # not even alone
        "Kievan Rus was a medieval state.",  # fixed expression
        "He ordered Chicken Kiev.",  # listed exception
        "Admiral Makarov commanded the fleet.",  # Makarov is Makariv only beside a place word
        "Sergey Lavrov and Sergei Ryabkov spoke.",
        "Alexander Stashevsky contributed.",
        "Dmitry said hello.",  # a first name alone is never changed
        "Ukrainian forces and German officials met in Germany.",  # derived words are not misspellings
    ],
)
def test_precision_cases_stay(scan, text):
    assert changes(scan(text, "NM,TR")) == []


def test_ambiguous_variant_changes_beside_a_place_word(scan):
    assert changes(scan("Bodies were found in the Makarov district.", "NM")) == [
        ("NM001", "Makarov", "Makariv")
    ]


def test_russian_surname_shaped_place_variant_needs_context(scan):
    assert changes(scan("Tsar Romanov ruled.", "NM")) == []
    assert changes(scan("Shelling hit the town of Romanov.", "NM")) == [("NM001", "Romanov", "Romaniv")]


# ---------------------------------------------------------------- fuzzy (NM002)


def test_fuzzy_lone_surname_with_other_mention_is_unsafe_with_score(scan, spans):
    text = "Mayor Vitali Klitschko spoke. Later Clitsko said more."
    found = [f for f in scan(text, "NM") if f.code == "NM002"]
    assert spans(found) == [["NM002", 36, 43, "Clitsko", "Klitschko"]]
    assert found[0].applicability is Applicability.UNSAFE
    assert 0.85 <= found[0].confidence < 1.0


def test_fuzzy_lone_surname_without_context_stays(scan):
    assert changes(scan("Clitsko is a name nobody here knows.", "NM")) == []


def test_fuzzy_full_name_uses_first_name(scan, spans):
    text = "Spokesman Oleksandr Shputun said the city was blocked."
    assert spans(scan(text, "NM")) == [["NM002", 10, 27, "Oleksandr Shputun", "Oleksandr Shtupun"]]


def test_fuzzy_full_name_with_role_context(scan):
    text = "German Foreign Minister Analina Beerbach said so."
    assert changes(scan(text, "NM")) == [("NM002", "Analina Beerbach", "Annalena Baerbock")]


def test_fuzzy_surname_after_another_first_name_is_another_person(scan):
    # Klitschko is mentioned, but "Wladimir Clitsko" is not Vitali
    text = "Vitali Klitschko spoke. His brother Petro Clitsko listened."
    assert changes(scan(text, "NM002")) == []


# ---------------------------------------------------------------- consistency (NM003)


def test_consistency_flags_the_minority_spelling(scan, spans):
    text = "Hrytsenko spoke first. Hrytsenko said yes. Then Hrytzenko left."
    found = scan(text, "NM003")
    assert spans(found) == [["NM003", 48, 57, "Hrytzenko", "Hrytsenko"]]
    assert found[0].applicability is Applicability.UNSAFE


def test_consistency_leaves_a_tie_and_feminine_forms(scan):
    assert changes(scan("Hrytsenko met Hrytzenko.", "NM003")) == []
    assert changes(scan("Kateryna Markova met Markov. Markov left.", "NM003")) == []


# ---------------------------------------------------------------- pronouns (TR001)


def test_pronoun_mismatch_is_display(scan, spans):
    text = "Bearback said talks go on.\n\n“We need help,” he continued."
    found = [f for f in scan(text, "TR") if f.code == "TR001"]
    assert spans(found) == [["TR001", 44, 46, "he", "she"]]
    assert found[0].applicability is Applicability.DISPLAY


def test_pronoun_matching_or_other_speaker_stays(scan):
    assert changes(scan("Baerbock said talks go on.\n\n“We need help,” she continued.", "TR")) == []
    assert changes(scan("Kuleba said talks go on.\n\n“We need help,” he said.", "TR")) == []
    text = "Baerbock said talks go on. Jens Stoltenberg agreed.\n\n“We need help,” he said."
    assert changes(scan(text, "TR")) == []
    # the person must be the one quoted, not just named
    assert changes(scan("Klitschko addressed Annalena Baerbock.\n\n“We need help,” he said.", "TR")) == []


# ---------------------------------------------------------------- styles


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("ap", [("NM001", "Zelensky", "Zelenskyy"), ("NM001", "Zelenskiy", "Zelenskyy")]),
        ("reuters", [("NM001", "Zelensky", "Zelenskiy"), ("NM001", "Zelenskyy", "Zelenskiy")]),
        ("bbc", [("NM001", "Zelenskiy", "Zelensky"), ("NM001", "Zelenskyy", "Zelensky")]),
    ],
)
def test_style_profiles(ruleset, style, expected):
    scanner = Scanner(ruleset, select=["NM001"], settings=Settings(style=style))
    text = "Zelensky spoke. Zelenskiy spoke. Zelenskyy spoke."
    assert changes(scanner.scan_document(Document("d", text, "d"))) == expected


def test_unknown_style_is_refused(ruleset):
    with pytest.raises(RuleError, match="unknown style 'guardian'"):
        Scanner(ruleset, select=["NM"], settings=Settings(style="guardian"))


# ---------------------------------------------------------------- keys and the matcher


def test_transliteration_keys_join_russian_and_ukrainian_romanizations():
    for a, b in [
        ("Dmitry", "Dmytro"),
        ("Vadim", "Vadym"),
        ("Kirilenko", "Kyrylenko"),
        ("Kharkov", "Kharkiv"),
    ]:
        assert skeleton(a) == skeleton(b), (a, b)
    assert translit_form("Clitsko") == translit_form("Klitschko")
    assert skeleton("Kyiv") != skeleton("Lviv")


def test_trie_pattern_matches_longest_whole_alternative():
    import re

    pattern = re.compile(trie_pattern(["Kiev", "Kiev Post", "Ki"]) + r"(?!\w)")
    assert [m.group(0) for m in pattern.finditer("Kiev Post and Kiev and Ki")] == ["Kiev Post", "Kiev", "Ki"]


def test_alias_lookup_is_one_regex(ruleset):
    dictionary = load_dictionary(ruleset)
    aliases = build_aliases(dictionary, "ap")
    assert len(aliases) > 1000
    regex = alias_regex(aliases)
    assert [m.group(0) for m in regex.finditer("From Kharkov to Kiev via Odessa.")] == [
        "Kharkov",
        "Kiev",
        "Odessa",
    ]


# ---------------------------------------------------------------- dictionary validation


def pack(tmp_path, body: str):
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    head = "styles:\n  ap: {}\n  bbc: {based_on: ap}\n"
    (folder / "names.yaml").write_text(head + textwrap.dedent(body), encoding="utf-8")
    return load_dictionary(load_rules(folder))


def problems(tmp_path, body: str) -> list[str]:
    with pytest.raises(RuleError) as info:
        pack(tmp_path, body)
    return info.value.problems


def test_missing_canonical_names_file_line_and_entity(tmp_path):
    found = problems(
        tmp_path,
        """\
        entities:
          - id: kyiv
            canonical: Kyiv
          - id: lviv
            variants: [Lvov]
        """,
    )
    assert len(found) == 1
    assert found[0].endswith("names.yaml:7: entity lviv: missing canonical form (a string, or {style: form})")


def test_variant_under_two_entities(tmp_path):
    found = problems(
        tmp_path,
        """\
        entities:
          - id: kyiv
            canonical: Kyiv
            variants: [Kiev]
          - id: kyiv-oblast
            canonical: Kyiv Oblast
            variants: [Kiev]
        """,
    )
    assert len(found) == 1
    assert "names.yaml:8: entity kyiv-oblast: variant 'Kiev' is also listed under entity kyiv" in found[0]


def test_unknown_style_in_canonical(tmp_path):
    found = problems(
        tmp_path,
        """\
        entities:
          - id: volodymyr-zelenskyy
            kind: person
            canonical: {ap: Volodymyr Zelenskyy, guardian: Volodymyr Zelensky}
        """,
    )
    assert len(found) == 1
    assert "names.yaml:5: entity volodymyr-zelenskyy: unknown style 'guardian' in canonical" in found[0]


def test_unknown_key_and_bad_gender(tmp_path):
    found = problems(
        tmp_path,
        """\
        entities:
          - id: kyiv
            canonical: Kyiv
            varients: [Kiev]
            gender: neuter
        """,
    )
    assert any("entity kyiv: unknown key 'varients'" in p for p in found)
    assert any("entity kyiv: gender 'neuter' must be male or female" in p for p in found)


def test_editor_can_add_a_style_profile(tmp_path):
    dictionary = pack(
        tmp_path,
        """\
        entities:
          - id: volodymyr-zelenskyy
            kind: person
            canonical: Volodymyr Zelenskyy
        """,
    )
    (tmp_path / "rules" / "house.yaml").write_text(
        "styles:\n  house:\n    based_on: ap\n    names: {volodymyr-zelenskyy: Volodymyr Zelenskyj}\n",
        encoding="utf-8",
    )
    dictionary = load_dictionary(load_rules(tmp_path / "rules"))
    entity = dictionary.entities["volodymyr-zelenskyy"]
    assert entity.form("house", dictionary.styles) == "Volodymyr Zelenskyj"
    assert entity.form("bbc", dictionary.styles) == "Volodymyr Zelenskyy"
