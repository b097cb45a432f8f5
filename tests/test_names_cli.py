"""`cleaner names`: clusters on the sample corpus and on a JSONL corpus, and writing one to the dictionary."""

from __future__ import annotations

import json
import shutil
from collections import Counter

import pytest
from conftest import CORPUS, RULES

from cleaner.cli import main
from cleaner.clusters import cluster_names, count_names
from cleaner.passes.names_dict import load_dictionary
from cleaner.rules import load_rules


def names_jsonl(capsys, *args: str) -> list[dict]:
    assert main(["names", *args, "--format", "jsonl"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_sample_corpus_clusters(capsys):
    clusters = names_jsonl(capsys, str(CORPUS), "--rules", str(RULES))
    by_canonical = {c["canonical"]: c for c in clusters}
    assert by_canonical["Kyiv"]["spellings"] == {"Kyiv": 14, "Kiev": 10}
    assert by_canonical["Kyiv"]["entity"] == "kyiv"
    assert by_canonical["Klitschko"]["spellings"] == {"Klitschko": 3, "Clitsko": 2}
    assert by_canonical["Donbas"]["spellings"] == {"Donbass": 4, "Donbas": 1}
    assert by_canonical["Zelenskyy"]["spellings"] == {"Zelensky": 4, "Zelenskyy": 4}
    assert clusters[0]["canonical"] == "Kyiv"  # biggest first
    # never merged: a derived word, or another person's name
    merged = [set(c["spellings"]) for c in clusters]
    assert not any({"Ukraine", "Ukrainian"} <= m or {"Germany", "German"} <= m for m in merged)


def test_style_changes_the_proposed_form(capsys):
    clusters = names_jsonl(capsys, str(CORPUS), "--rules", str(RULES), "--style", "reuters")
    assert any(c["canonical"] == "Zelenskiy" and c["entity"] == "volodymyr-zelenskyy" for c in clusters)


def test_jsonl_corpus(tmp_path, capsys):
    corpus = tmp_path / "news.jsonl"
    records = [
        {"id": "a", "body": "Governor Hrytsenko spoke. Later Hrytsenko left for Kharkov."},
        {"id": "b", "body": "Officials said Hrytzenko would return to Kharkiv."},
        {"id": "c", "body": "Governor Hrytsenko denied it."},
    ]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    clusters = names_jsonl(capsys, str(corpus), "--rules", str(RULES), "--text-key", "body")
    by_canonical = {c["canonical"]: c for c in clusters}
    assert by_canonical["Hrytsenko"]["spellings"] == {"Hrytsenko": 3, "Hrytzenko": 1}
    assert by_canonical["Hrytsenko"]["entity"] is None
    assert by_canonical["Kharkiv"]["spellings"] == {"Kharkov": 1, "Kharkiv": 1}


def test_text_output_lists_counts(capsys):
    assert main(["names", str(CORPUS), "--rules", str(RULES)]) == 0
    out = capsys.readouterr().out
    assert "Kyiv  (dictionary: kyiv)  24 mentions" in out
    assert "Kiev 10 *" in out


def test_write_cluster_into_learned_dictionary(tmp_path, capsys):
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Governor Hrytsenko spoke. Hrytsenko left. Then Hrytzenko came back.\n")
    clusters = names_jsonl(capsys, str(corpus), "--rules", str(rules))
    (n,) = [c["cluster"] for c in clusters if c["canonical"] == "Hrytsenko"]
    assert (
        main(["names", str(corpus), "--rules", str(rules), "--write", str(n), "--id", "ivan-hrytsenko"]) == 0
    )
    assert "wrote entity ivan-hrytsenko" in capsys.readouterr().out
    dictionary = load_dictionary(load_rules(rules))
    entity = dictionary.entities["ivan-hrytsenko"]
    assert entity.canonical == {"ap": "Hrytsenko"} and entity.variants == ("Hrytzenko",)
    # the learned spelling is now an alias: scan proposes it as safe
    assert (
        main(
            [
                "scan",
                str(corpus),
                "--rules",
                str(rules),
                "--select",
                "NM001",
                "--format",
                "jsonl",
                "--no-cache",
                "-j",
                "1",
                "-q",
            ]
        )
        == 0
    )
    found = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(f["original"], f["replacement"], f["applicability"]) for f in found] == [
        ("Hrytzenko", "Hrytsenko", "safe")
    ]


def test_write_refuses_a_cluster_already_in_the_dictionary(tmp_path, capsys):
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    clusters = names_jsonl(capsys, str(CORPUS), "--rules", str(rules))
    (n,) = [c["cluster"] for c in clusters if c["canonical"] == "Kyiv"]
    assert main(["names", str(CORPUS), "--rules", str(rules), "--write", str(n)]) == 2
    assert "already in the dictionary" in capsys.readouterr().err
    assert not (rules / "learned-names.yaml").exists()


def test_clustering_is_blocked_not_all_pairs():
    counts = Counter({"Kharkov": 2, "Kharkiv": 5, "Lviv": 3, "Lvov": 1, "Odesa": 1})
    clusters = {c.canonical: dict(c.spellings) for c in cluster_names(counts)}
    assert clusters == {"Kharkiv": {"Kharkiv": 5, "Kharkov": 2}, "Lviv": {"Lviv": 3, "Lvov": 1}}


@pytest.mark.parametrize("text", ["The Crisis deepened. Crisis talks.", "Austria and Australia met."])
def test_count_names_skips_common_words(text):
    counts = count_names([text + " the crisis"])
    assert "Crisis" not in counts
