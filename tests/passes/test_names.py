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
        "Colonel Nikolayev said Ukraine had lost ground.",  # a surname: "Ukraine" nearby is no place word
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
    assert changes(scan("Shelling hit the town of Romanov.", "NM")) == []  # the ap style is silent
    assert changes(scan("Shelling hit the town of Romanov.", "NM004")) == [("NM004", "Romanov", "Romaniv")]


@pytest.mark.parametrize(
    "text",
    [
        # another person, named by surname alone, stands between the name and the pronoun
        "Dmytro Kuleba said talks would go on. Truss, the British foreign secretary, nodded."
        "\n\n“We must act now,” she said.",
        # the name is inside someone else's quotation
        "“As Dmytro Kuleba said, the talks go on,” the British foreign secretary told reporters."
        "\n\n“We must act now,” she said.",
        # the pronoun is inside a quotation
        "Annalena Baerbock said: “When he said we would help, he added nothing.”",
        # the other speaker is named after the verb
        "Dmytro Kuleba said talks would go on. “We will help,” said Liz Truss.\n\n“Now,” she added.",
    ],
)
def test_pronoun_with_an_ambiguous_antecedent_stays(scan, text):
    assert changes(scan(text, "TR001")) == []


# ---------------------------------------------------------------- the style decides what is safe


@pytest.mark.parametrize(
    "text",
    [
        "Workers at the Chernobyl plant stayed at their posts.",  # AP keeps Chernobyl
        "The Dnieper River divides the country.",  # the river, not the city of Dnipro
        "Shelling hit the Dnipropetrovsk region overnight.",  # the region kept its name
        "The port of Berdyansk was blockaded.",  # AP keeps Berdyansk
        "The town of Pripyat was evacuated in 1986.",  # AP keeps Pripyat
        "Tankers loaded oil at Primorsk, near St Petersburg.",  # a Russian port, not Prymorsk
        "Podolsk lies south of Moscow.",  # a Russian city, not Podilsk
        "Troops approached Krasny Liman.",  # an old name, not a spelling of Lyman
        "Good Luck came to the team.",  # an English word, not Lutsk
        "He moved to Odessa, Texas, in 1990.",  # another Odessa
        "Bogdan Khmelnitsky led the uprising.",  # the hetman, not the city
    ],
)
def test_traditional_forms_and_other_places_stay(scan, text):
    assert changes(scan(text, "NM")) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fighting went on in Severodonetsk.", ("NM001", "Severodonetsk", "Sievierodonetsk")),
        ("Staff of the Chornobyl plant were held.", ("NM001", "Chornobyl", "Chernobyl")),
        ("He was born in Dnepropetrovsk.", ("NM001", "Dnepropetrovsk", "Dnipropetrovsk")),
        ("The port of Berdiansk was blockaded.", ("NM001", "Berdiansk", "Berdyansk")),
        ("Ships left Odessa on Monday.", ("NM001", "Odessa", "Odesa")),
        ("Shelling hit the Khmelnitsky region.", ("NM001", "Khmelnitsky", "Khmelnytskyi")),
    ],
)
def test_the_style_profile_names_the_safe_form(scan, text, expected):
    found = scan(text, "NM")
    assert changes(found) == [expected]
    assert found[0].applicability is Applicability.SAFE


def test_a_form_the_style_does_not_name_is_never_safe(scan):
    text = "The border town of Solotvino was calm."
    assert changes(scan(text, "NM")) == []
    (found,) = scan(text, "NM004")
    assert (found.original, found.replacement, found.applicability) == (
        "Solotvino",
        "Solotvyno",
        Applicability.UNSAFE,
    )


def test_an_entity_of_ones_own_is_safe_only_when_the_style_names_it(tmp_path, ruleset):
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(ruleset.folder, rules)
    (rules / "mine.yaml").write_text(
        "pack: mine\nentities:\n"
        "  - {id: hrytsenko, kind: person, canonical: Ivan Hrytsenko, variants: [Ivan Hrytzenko]}\n"
        "  - {id: petrenko, kind: person, canonical: {ap: Olha Petrenko}, variants: [Olga Petrenko]}\n",
        encoding="utf-8",
    )
    ruleset = load_rules(rules)
    doc = Document("d.txt", "Ivan Hrytzenko met Olga Petrenko.", "d.txt")
    found = Scanner(ruleset, select=["NM001", "NM004"]).scan_document(doc)
    assert sorted((f.code, f.original, f.applicability) for f in found) == [
        ("NM001", "Olga Petrenko", Applicability.SAFE),
        ("NM004", "Ivan Hrytzenko", Applicability.UNSAFE),
    ]


# ---------------------------------------------------------------- a guess needs evidence
# (sentences written for these tests; the shapes are those seen in real news and press releases)


@pytest.mark.parametrize(
    "text",
    [
        # common English words, even near a place the article names
        "Malyn was shelled. The Main Battle Tank arrived later.",
        "Ladyzhyn was quiet. Leading experts met in Latin America.",
        "Rivne was hit. The bridge over the River opened.",
        "Khotyn is far away. Going back, the talks stalled.",
        # other people, near a place or person the article names
        "Malyn was shelled. Prime Minister Sanna Marin visited Kyiv. Marin spoke.",
        "Khoroshiv was hit. Rafael Grossi of the IAEA arrived. Grossi said the plant was safe.",
        "President Vladimir Putin spoke. Examples are Vladimir Potanin, owner of a nickel company.",
        "Mykolaiv was shelled. Nicolas Maduro called Putin.",
        # nationality words, patronymics, parts of names of things
        "Romaniv was shelled. The Romanian community helped.",
        "Mykolaiv held. Colonel Dmytro Mykolayovych Ivanenko was awarded.",
        "Ukraine signed it. The head of Naftogaz Ukrainy spoke.",
        "Drohobych was calm. The Drobytsky Yar memorial was visited.",
        "Rohatyn was calm. Aid reached Rohan and Nova Rohan.",
        # a surname after a first name that is not this person's, and a lone surname with no evidence
        "Vitali Klitschko spoke. His brother Petro Clitsko listened.",
        "Clitsko is a name nobody here knows.",
    ],
)
def test_no_guess_without_evidence_or_on_ordinary_words(scan, text):
    assert changes(scan(text, "NM002")) == []


def test_a_place_romanised_another_way_is_a_guess_with_evidence(scan):
    # the same transliteration form as the village's spelling: evidence enough for a place
    assert changes(scan("People left the villages of Nemishajeve and Vorzel.", "NM002")) == [
        ("NM002", "Nemishajeve", "Nemishaieve")
    ]


# ---------------------------------------------------------------- consistency pairs romanisations only


@pytest.mark.parametrize(
    "text",
    [
        "There was talk. There was more. Three ministers came.",
        "The Marshal spoke. The Marshal left. The ferry Marshall sailed.",
        "Czech officials came. Czech aid arrived. Check your email.",
        "The Finnish side. Finnish aid. The Finns agreed.",
        "Boris spoke. Boris left. Borys arrived.",
        "The Minister spoke. The Minister left. The Minster of Finance came.",
    ],
)
def test_consistency_never_pairs_different_words(scan, text):
    assert changes(scan(text, "NM003")) == []


def test_consistency_pairs_two_romanisations_of_one_name(scan):
    text = "Mykhailo Podoliak said so. Podoliak added more. Later Podolyak left."
    assert changes(scan(text, "NM003")) == [("NM003", "Podolyak", "Podoliak")]


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


@pytest.mark.parametrize(
    "text",
    [
        "Vorzel was shelled. The children loved Worzel, the scarecrow of the story.",
        "Donetsk was shelled. Troops crossed the Donets near the bridge.",  # the river, a known place
        "Sumy was calm. Fans still call him Schumi.",  # a short word: too many things look like it
        "Troops crossed the Donets near the bridge.",
        "Fans still call him Schumi.",
        "Statue of the hetman Khmelnytsky stands in the square.",
    ],
)
def test_a_transliteration_form_alone_needs_a_place_word(scan, text):
    assert [c for c in changes(scan(text, "NM002")) if c[1] in ("Worzel", "Donets", "Schumi", "Khmelnytsky")] == []


def test_in_quotation_agrees_with_counting_from_the_paragraph_start():
    from cleaner.passes.names import _Quotes

    text = 'He said: “one” and “two\n“Three,” she said. "Four" and "five\nno quote here “x'
    quotes = _Quotes(text)
    for pos in range(len(text) + 1):
        para = text.rfind("\n", 0, pos) + 1
        before = text[para:pos]
        expected = before.count("“") > before.count("”") or before.count('"') % 2 == 1
        assert quotes.inside(pos) == expected, pos
