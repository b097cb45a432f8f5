"""Incremental scans: a re-scan with the cache gives what a scan without it gives, and rescans only
the documents whose findings can have changed (the edited ones, and those whose learned-line
statistics moved)."""

from __future__ import annotations

from pathlib import Path

import pytest

import cleaner.scan
from cleaner.cli import main

RULES = str(Path(__file__).resolve().parent.parent / "rules")
SHARED = "Filed from the harbour desk"  # a short line in every document: learned boilerplate (BP023)
LEARNED = '"repeated-line-in-'  # BP022 (source) or BP023 (corpus)


def article(n: int) -> str:
    return (
        f"Headline number {n} about the harbour\n\n"
        f"The council met on day {n} to discuss the harbour, and the mayor said the repairs would take "
        f"{n + 2} weeks. Residents asked whether the ferry would keep running during the works.\n\n"
        f"{SHARED}\n"
    )


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "news" / "site"
    folder.mkdir(parents=True)
    for n in range(8):
        (folder / f"a{n}.txt").write_text(article(n), encoding="utf-8")
    return folder


@pytest.fixture
def scanned(monkeypatch):
    """Counts the units scanned (not taken from the cache) and the preparations of the statistics."""
    counts = {"units": 0, "prepare": 0}
    scan_unit, prepare = cleaner.scan._scan_unit, cleaner.scan.Scanner.prepare

    def counting_scan_unit(task):
        counts["units"] += 1
        return scan_unit(task)

    def counting_prepare(self, per_unit):
        counts["prepare"] += 1
        return prepare(self, per_unit)

    monkeypatch.setattr(cleaner.scan, "_scan_unit", counting_scan_unit)
    monkeypatch.setattr(cleaner.scan.Scanner, "prepare", counting_prepare)
    return counts


def scan(capsys, *extra: str) -> str:
    assert main(["scan", "news", "--rules", RULES, "-q", "--jobs", "1", "--format", "jsonl", *extra]) in (0, 1)
    return capsys.readouterr().out


def test_learned_line_is_found(corpus, capsys):
    assert LEARNED in scan(capsys, "--no-cache")  # else the tests below prove nothing


def test_unchanged_rescan_scans_nothing_and_merges_nothing(corpus, capsys, scanned):
    first = scan(capsys, "--cache", "c")
    assert scanned == {"units": 8, "prepare": 1}
    assert scan(capsys, "--cache", "c") == first
    assert scanned == {"units": 8, "prepare": 1}


def test_an_edit_rescans_only_the_edited_document(corpus, capsys, scanned):
    scan(capsys, "--cache", "c")
    path = corpus / "a3.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nA late paragraph about the ferry timetable.\n", encoding="utf-8")
    again = scan(capsys, "--cache", "c")
    assert scanned["units"] == 8 + 1
    assert again == scan(capsys, "--no-cache")
    assert "late paragraph" not in again  # an article sentence, not boilerplate


def test_an_edit_that_moves_the_statistics_rescans_the_documents_it_touches(corpus, capsys, scanned):
    first = scan(capsys, "--cache", "c")
    assert first.count(LEARNED) == 8
    for n in range(5):  # the shared line now recurs in 3 documents: below min_docs, no longer learned
        path = corpus / f"a{n}.txt"
        path.write_text(path.read_text(encoding="utf-8").replace(SHARED, f"Desk note {n}"),
                        encoding="utf-8")
    again = scan(capsys, "--cache", "c")
    assert scanned["units"] == 8 + 8
    assert again == scan(capsys, "--no-cache")
    assert LEARNED not in again  # the 3 unedited documents changed too


def test_parallel_incremental_rescan_matches(corpus, capsys, monkeypatch):
    monkeypatch.setattr(cleaner.scan, "PARALLEL_MIN_BYTES", 0)
    scan(capsys, "--cache", "c", "--jobs", "2")
    path = corpus / "a5.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("harbour", "port"), encoding="utf-8")
    assert scan(capsys, "--cache", "c", "--jobs", "2") == scan(capsys, "--no-cache")


def test_a_new_document_changes_the_counts_every_learned_finding_reports(corpus, capsys):
    scan(capsys, "--cache", "c")
    (corpus / "new.txt").write_text("A letter to the editor about the ferry, without the desk line.\n", encoding="utf-8")
    again = scan(capsys, "--cache", "c")
    assert "of 9 documents" in again  # "in 8 of 9 documents of source 'site'"
    assert again == scan(capsys, "--no-cache")


def test_the_kinds_validated_up_front_are_the_names_pass_kinds():
    from cleaner.passes import NAME_KINDS
    from cleaner.passes.names import NamesPass

    assert NamesPass.kinds == NAME_KINDS


def test_a_new_document_leaves_documents_without_recurring_lines_alone(corpus, capsys, scanned):
    for n in range(8):  # no line recurs now: nothing is learned, whatever the counts
        path = corpus / f"a{n}.txt"
        path.write_text(path.read_text(encoding="utf-8").replace(SHARED, f"Desk note {n}"), encoding="utf-8")
    scan(capsys, "--cache", "c")
    (corpus / "new.txt").write_text("A letter to the editor about the ferry.\n", encoding="utf-8")
    again = scan(capsys, "--cache", "c")
    assert scanned["units"] == 8 + 1
    assert again == scan(capsys, "--no-cache")


def test_merging_as_statistics_arrive_equals_merging_them_at_the_end():
    import random

    from cleaner.scan import Merging, reduce_tree

    def merge(a, b):
        out = dict(a)
        for k, v in b.items():
            out[k] = out.get(k, 0) + v
        return out

    rng = random.Random(1)
    for n in range(12):
        items = [{rng.choice("abcdef"): rng.randint(1, 3)} if rng.random() > 0.2 else None for _ in range(n)]
        merging = Merging([merge])
        for item in items:
            merging.add([item])
        assert merging.result() == [reduce_tree(items, merge)]


def test_a_file_edited_during_a_run_does_not_poison_the_cache(corpus, capsys):
    from cleaner.cache import FindingCache
    from cleaner.cli import FormatStep
    from cleaner.corpus import Options, discover, plan
    from cleaner.rules import load_rules

    path = corpus / "a2.txt"
    original = path.read_text(encoding="utf-8")

    class EditBetweenPhases:
        def stage(self, name):
            if name.startswith("2/2"):  # after the file was read and named, before it is scanned
                path.write_text("Breaking: a different first line\n\n" + original, encoding="utf-8")

        def advance(self, *_):
            pass

    units = plan(discover(["news"]))
    scanner = cleaner.scan.Scanner(load_rules(RULES))
    list(cleaner.scan.run(scanner, units, Options(), FormatStep("jsonl"), cache=FindingCache(Path("c")),
                          progress=EditBetweenPhases()))
    path.write_text(original, encoding="utf-8")  # back to what phase 1 read
    assert scan(capsys, "--cache", "c") == scan(capsys, "--no-cache")
