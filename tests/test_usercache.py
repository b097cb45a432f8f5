"""What the user's cache folder keeps between runs (checked rule sets, the English word table, the
characters with a long case folding) gives what building them gives, and a broken or missing entry
only means building again."""

from __future__ import annotations

import os
import random
import textwrap

import pytest

from cleaner import rules as rules_module
from cleaner import usercache
from cleaner.rules import RuleError, load_rules

PACK = """\
rules:
  - code: BP901
    name: test-rule
    kind: exact-line
    lines: ["Source link"]
    message: {message}
    applicability: safe
"""


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "cleaner"


def write_pack(folder, message="a test rule"):
    folder.mkdir(exist_ok=True)
    (folder / "pack.yaml").write_text(textwrap.dedent(PACK.format(message=message)), encoding="utf-8")
    return folder


def test_a_rule_set_loaded_again_is_the_one_loaded_first(tmp_path, cache_home, monkeypatch):
    folder = write_pack(tmp_path / "rules")
    first = load_rules(folder)
    assert len(list(cache_home.glob("rules-*.pickle"))) == 1
    parsed = []
    monkeypatch.setattr(rules_module, "_load_pack", lambda *a: parsed.append(a) or [])
    again = load_rules(folder)
    assert not parsed  # read from the cache, not parsed
    assert again.rules == first.rules and again.sections == first.sections and again.version == first.version


def test_an_edited_pack_is_read_again(tmp_path, cache_home):
    folder = write_pack(tmp_path / "rules")
    load_rules(folder)
    write_pack(folder, "another message")
    assert load_rules(folder).rules[0].message == "another message"


def test_a_broken_pack_is_refused_though_a_good_one_was_cached(tmp_path, cache_home):
    folder = write_pack(tmp_path / "rules")
    load_rules(folder)
    (folder / "pack.yaml").write_text("rules: [\n", encoding="utf-8")
    with pytest.raises(RuleError):
        load_rules(folder)


def test_a_damaged_entry_is_built_again(tmp_path, cache_home):
    folder = write_pack(tmp_path / "rules")
    first = load_rules(folder)
    for entry in cache_home.glob("rules-*.pickle"):
        entry.write_bytes(b"not a pickle")
    assert load_rules(folder).rules == first.rules


def test_a_cache_folder_that_cannot_be_written_only_costs_time(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    folder = write_pack(tmp_path / "rules")
    assert load_rules(folder).rules[0].code == "BP901"
    assert usercache.write("x", b"y") is None and usercache.read("x") is None


def test_pruning_keeps_the_most_recently_used(cache_home):
    cache_home.mkdir(parents=True)
    for n in range(5):
        entry = cache_home / f"thing-{n}"
        entry.write_bytes(b"x")
        os.utime(entry, (1_000_000 + n, 1_000_000 + n))
    usercache.read("thing-0")  # used just now
    usercache.prune("thing-*", 2)
    assert sorted(p.name for p in cache_home.iterdir()) == ["thing-0", "thing-4"]


def test_the_word_table_says_what_wordfreq_says(cache_home):
    from wordfreq import iter_wordlist, zipf_frequency

    from cleaner.passes import words

    words._plain_words.cache_clear()
    words.zipf.cache_clear()
    rng = random.Random(7)
    sample = rng.sample(list(iter_wordlist("en"))[:200_000], 3000)
    sample += ["Main", "KYIV", "Zelenskyy", "Clitsko", "O'Brien", "Kyiv-based", "İstanbul", "über", "x"]
    for word in sample:
        expected = zipf_frequency(word, "en")
        assert words.zipf(word) == (expected if expected >= words.FLOOR else 0.0), word
    assert list(cache_home.glob("zipf-en-*.marshal"))
    table = words._plain_words()
    words._plain_words.cache_clear()  # read back from the cache folder
    assert words._plain_words() == table


def test_every_frequency_threshold_is_told_apart_by_the_table():
    from cleaner.passes import names, structure, words

    for threshold in (words.COMMON_ZIPF, names.PERSON_ZIPF, names.SENTENCE_WORD_ZIPF, structure.HEAD_ZIPF):
        assert threshold >= words.FLOOR


def test_the_long_case_folds_read_back_are_the_ones_found(cache_home):
    from cleaner.passes import lines

    lines._multi_folds.cache_clear()
    found = lines._multi_folds()
    lines._multi_folds.cache_clear()
    assert lines._multi_folds() == found == lines._scan_code_points()
    assert list(cache_home.glob("multi-folds-*.txt"))
