"""Structural boilerplate signals (BP017-BP025) on small hand-made pages, with negatives; learned lines."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from cleaner.cli import main
from cleaner.model import Applicability, Document
from cleaner.passes.structure import LAYOUT_DEFAULTS, LearnedLinePass, layout

ROOT = Path(__file__).resolve().parent.parent.parent
CORPUS, RULES = ROOT / "corpus", ROOT / "rules"

STRUCTURE = "BP017,BP018,BP019,BP020,BP022,BP023,BP024"  # the enabled ones (BP021 is off by default)

MENU = ["Home", "World", "Business", "Sport", "Culture", "Opinion"]
TITLE = "Kyiv mayor pleads with US and Germany over threat of invasion"
BODY = [
    "The mayor of the Ukrainian capital urged the United States and Germany to act now, he said on Friday.",
    "He spoke at the end of the Munich Security Conference, in front of the press and several ministers.",
    "The German foreign minister took a different approach and expressed sympathy for the mayor’s plea.",
    "Officials in Berlin said they would look again at the list of equipment they could send to Kyiv.",
]
FOOTER = ["About us", "Contact", "Privacy policy", "Terms of use", "Careers", "Advertise with us"]


def page(*blocks: list[str]) -> str:
    return "\n".join(line for block in blocks for line in block) + "\n"


def by_line(findings) -> dict[str, object]:
    """line text -> the finding that deletes it (a block deletes several lines)."""
    return {
        line.strip(): f for f in findings if f.replacement == "" for line in f.original.split("\n") if line.strip()
    }


def flagged(findings, text: str) -> dict[str, str]:
    """line text -> code of the finding that deletes it."""
    return {line: f.code for line, f in by_line(findings).items()}


# ---- menus and link lists around the article (BP017, safe) --------------------------------------


def test_menu_above_and_below_the_article_is_removed(scan):
    text = page(MENU, [TITLE], BODY, FOOTER)
    found = scan(text, STRUCTURE)
    lines = flagged(found, text)
    for item in MENU + FOOTER:
        assert lines[item] == "BP017", item
    assert TITLE not in lines and not any(b in lines for b in BODY)
    menu = [f for f in found if f.code == "BP017"]
    assert "run of 6 short lines outside the main text" in menu[0].message


FAR_MENU = MENU + ["Travel", "Science", "Health", "Climate", "Podcasts", "Games", "Video", "Weather"]
FAR_FOOTER = FOOTER + ["Cookies", "Accessibility", "Newsletters", "Jobs", "Sitemap", "Help", "Archive"]


def test_menu_lines_far_from_the_article_are_safe_near_ones_for_a_reviewer(scan):
    # safe by construction: only lines at least 5 lines away from the main text are deleted by --auto
    text = page(FAR_MENU, [TITLE], BODY, FAR_FOOTER)
    found = by_line(f for f in scan(text, STRUCTURE) if f.code == "BP017")
    assert set(found) == set(FAR_MENU + FAR_FOOTER)
    near = FAR_MENU[-4:] + FAR_FOOTER[:5]  # the headline is one of the 5 lines above the text
    for line, f in found.items():
        expected = Applicability.UNSAFE if line in near else Applicability.SAFE
        assert f.applicability is expected, line
    assert "within 5 lines of the main text: for a reviewer" in found["Weather"].message


@pytest.mark.parametrize(
    ("block", "reason"),
    [
        # a table: scores, prices, a timeline
        (["Hawks 3", "Eagles 1", "Lions 2", "Bears 2", "Owls 0", "Foxes 4"], "a table"),
        (["Kettle", "$19.99", "Toaster", "$24.99", "Blender", "$39.00"], "a table"),
        # a list
        (["1. Lisbon", "2. Porto", "3. Faro", "4. Braga", "5. Coimbra", "6. Evora"], "a list"),
        (["- Lisbon", "- Porto", "- Faro", "- Braga", "- Coimbra", "- Evora"], "a list"),
        # lines sharing the headline's own words
        (["Kyiv mayor speaks", "Germany replies", "Threat assessed", "Invasion fears", "Pleads again",
          "Mayor travels"], "with the headline"),
    ],
)
def test_a_run_that_may_be_the_article_is_never_safe(scan, block, reason):
    text = page(FAR_MENU, [TITLE], BODY, ["Related", "More", "Other", "Stories", "Here", "Now"], block,
                FAR_FOOTER)
    found = [f for line, f in by_line(scan(text, STRUCTURE)).items() if line in block]
    assert found, "the block is still flagged, for a reviewer"
    assert all(f.applicability is not Applicability.SAFE for f in found)
    assert all(reason in f.message for f in found if f.code in ("BP017", "BP024"))


def test_short_runs_with_digits_are_tables_not_menus(scan):
    scores = ["1 Kyle Busch", "2 Martin Truex", "3 Kevin Harvick", "4 Denny Hamlin", "5 Joey Logano"]
    text = page(MENU, [TITLE], BODY, scores)
    assert not any(f.code == "BP017" and "Busch" in f.original for f in scan(text, "BP017"))


# ---- negatives: article structure that must stay ------------------------------------------------


def test_lists_and_subheadings_inside_the_article_stay(scan):
    subheading = ["‘Relentless aggression’"]
    items = ["Helmets", "Body armour", "Anti-tank weapons", "Air defence", "Medical kits"]
    text = page(MENU, [TITLE], BODY[:2], subheading, BODY[2:3], items, BODY[3:])
    lines = flagged(scan(text, STRUCTURE), text)
    assert not any(x in lines for x in subheading + items + BODY + [TITLE])


def test_a_clean_article_without_a_menu_is_not_judged(scan):
    # no run of menu-like lines: an article, not a page; its closing list and credits stay
    closing = ["Reporting by Will Dunham", "Editing by Tom Brown", "© Reuters", "Photos: AP", "(AP)"]
    text = page([TITLE], BODY, closing)
    assert scan(text, STRUCTURE) == []


def test_sample_corpus_gets_no_structural_finding(scan):
    for path in sorted(CORPUS.glob("*.txt")):
        assert scan(path.read_text(encoding="utf-8"), STRUCTURE) == [], path.name


# ---- header and footer regions (BP018, BP019, unsafe) -------------------------------------------


def test_header_above_the_main_text_is_unsafe_and_the_title_kept(scan):
    header = ["Example News", "Sign up for alerts today", "March 3, 2022 at 10:00"]
    text = page(MENU[:4], header, [TITLE], BODY)
    found = [f for f in scan(text, "BP018")]
    lines = flagged(found, text)
    assert set(header) <= set(lines) and TITLE not in lines
    assert all(f.applicability is Applicability.UNSAFE and 0 < f.confidence < 1 for f in found)
    assert "above the main text" in found[0].message


def test_footer_teasers_below_the_main_text_are_unsafe(scan):
    teasers = ["Zelensky visits the front line near Bakhmut", "Prices of grain rise again in Europe", "Watch"]
    text = page(MENU, [TITLE], BODY, teasers)
    found = scan(text, "BP019")
    assert set(teasers) <= set(flagged(found, text))
    assert "below the main text" in found[0].message


def test_footer_keeps_a_table_touching_the_text_and_prose_next_to_it(scan):
    poll = ["%165 votes", "%250 votes", "%437 votes", "%155 votes"]
    closing = "This article has been adapted from its original source."
    teaser = ["Zelensky visits the front line near Bakhmut on Sunday"]
    text = page(MENU, [TITLE], BODY, [closing], poll, teaser, FOOTER)
    lines = flagged(scan(text, "BP019"), text)
    assert closing not in lines and not any(p in lines for p in poll)
    assert set(teaser + FOOTER) <= set(lines)


def test_two_lines_around_the_text_are_not_a_region(scan):
    text = page(MENU[:4], [TITLE], BODY, ["Photo: AP", "(AP)"])
    assert scan(text, "BP019") == []


# ---- inside the main text (BP020) and far from it (BP024) ---------------------------------------


def test_share_bar_inside_the_text_is_unsafe(scan):
    share = ["Share", "Facebook post", "Twitter post", "Email link", "Print page", "Copy link"]
    text = page(MENU, [TITLE], BODY[:2], share, BODY[2:])
    found = scan(text, "BP020")
    assert set(flagged(found, text)) == set(share)
    assert all(f.applicability is Applicability.UNSAFE for f in found)


def test_short_lines_far_from_the_text_are_safe(scan):
    far = [f"Section {word}." for word in "abcdefghijklmnopqrst"]  # punctuated: not a menu run
    text = page(MENU[:4], far, [TITLE], BODY)
    found = [f for f in scan(text, "BP024")]
    lines = flagged(found, text)
    assert "Section a." in lines and "Section t." not in lines  # the nearest ones are left to BP018
    assert all(f.applicability is Applicability.SAFE for f in found)
    assert "lines above the main text" in found[0].message


def test_dense_region_smoothing_by_neighbours(scan):
    gallery = [
        "Photo gallery",
        "By Example Photo Desk",
        "Gallery: 12 photos",
        "Caption one here",
        "Caption two is here",
        "Caption three",
        "Caption four",
    ]
    text = page(MENU[:4], [TITLE], BODY[:2], gallery, BODY[2:])
    lines = flagged(scan(text, "BP021"), text)
    assert "Caption one here" in lines and not any(b in lines for b in BODY)


# ---- end-of-article markers --------------------------------------------------------------------


def test_nothing_after_an_end_marker_is_flagged_twice(scan):
    comments = ["3 Responses", "Great article!", "Me too", "Leave a Reply", "Name", "Email", "Website"]
    text = page(MENU, [TITLE], BODY * 2, comments)
    found = scan(text, "BP")
    marker = text.index("3 Responses")
    after = [f for f in found if f.start >= marker]
    assert [f.code for f in after] == ["BP007"]


# ---- layout -----------------------------------------------------------------------------------


def test_main_text_is_the_stretch_of_sentences():
    text = page(MENU, [TITLE], BODY, FOOTER)
    lay = layout(text, dict(LAYOUT_DEFAULTS), [])
    assert (lay.start, lay.end) == (len(MENU) + 1, len(MENU) + len(BODY))
    assert lay.page


def test_cjk_text_counts_as_sentences():
    cjk = (
        "先日、不正に改造したiPhoneを販売したとして、商標法違反の疑いで20代の男性が逮捕されたという"
        "ニュースを耳にしました。"
    )
    lay = layout(page(MENU, [cjk, cjk]), dict(LAYOUT_DEFAULTS), [])
    assert lay.sentence[len(MENU)] and lay.start == len(MENU)


# ---- learned boilerplate (BP022 per source, BP023 across the corpus) ----------------------------


def record(n: int, source: str, extra: list[str], menu: bool = True) -> dict:
    text = page(MENU[:4] if menu and n % 2 else [], [f"{TITLE} {n}"], BODY, extra)
    return {"id": f"{source}-{n}", "source": source, "text": text}


def scan_jsonl(tmp_path: Path, records: list[dict], select: str) -> list[dict]:
    corpus = tmp_path / "feed.jsonl"
    corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "findings.jsonl"
    status = main(
        [
            "scan",
            str(corpus),
            "--rules",
            str(RULES),
            "--select",
            select,
            "--format",
            "jsonl",
            "-o",
            str(out),
            "-q",
            "--no-cache",
            "-j",
            "1",
        ]
    )
    assert status == 0
    return [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]


def test_learned_line_recurring_in_a_source_jsonl(tmp_path):
    sign_off = ["Example Times is an independent newspaper", "Support us", "Read our ethics code"]
    records = [record(n, "example-times", sign_off) for n in range(6)]
    records += [record(n, "other-site", ["Support us"] if n < 2 else []) for n in range(6)]
    found = scan_jsonl(tmp_path, records, "BP022")
    hits = {(f["doc"].split("#")[1], line) for f in found for line in f["original"].split("\n") if line}
    assert ("example-times-0", "Support us") in hits
    assert all(doc.startswith("example-times") for doc, _ in hits)  # 2 of 6 in other-site: not enough
    assert "in 6 of 6 documents of source 'example-times'" in found[0]["message"]
    assert found[0]["applicability"] == "safe"
    assert not any(line in BODY for _, line in hits)


def test_learned_line_across_the_corpus_matches_whole_lines_only(tmp_path):
    records = [record(n, f"site-{n}", ["Ukraine"], menu=False) for n in range(8)]
    records.append(
        {"id": "x", "source": "site-x", "text": page([TITLE], ["Ukraine said on Friday it was ready."])}
    )
    found = scan_jsonl(tmp_path, records, "BP023")
    assert {f["original"].strip() for f in found} == {"Ukraine"}
    assert len(found) == 8 and all(f["applicability"] == "unsafe" for f in found)


def test_learned_statistics_merge_associatively_and_stay_small(ruleset):
    rules = [r for r in ruleset.rules if r.kind == "learned-line"]
    p = LearnedLinePass(rules, ruleset, None)
    docs = [
        Document(str(n), page([TITLE], BODY, ["Support us"]), "x", source)
        for n, source in enumerate(["a", "a", "b"])
    ]
    a, b, c = (p.observe(d) for d in docs)
    assert p.merge(p.merge(a, b), c) == p.merge(a, p.merge(b, c))
    merged = p.merge(p.merge(a, b), c)
    assert json.loads(json.dumps(merged)) == merged and pickle.loads(pickle.dumps(merged)) == merged
    assert merged["a"][0] == 2 and merged["b"][0] == 1
    assert all(len(key) == 16 for _, counts in merged.values() for key in counts)  # hashes, not text
    assert TITLE not in json.dumps(merged) and "Support" not in json.dumps(merged)


def test_allow_list_keeps_recurring_real_content(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    for pack in RULES.glob("*.yaml"):
        text = pack.read_text(encoding="utf-8")
        if pack.name == "page.yaml":
            text = text.replace(
                "    allow: []\n    message: line that recurs in many documents of the corpus",
                "    allow: [Ukraine]\n    message: line that recurs in many documents of the corpus",
            )
            assert "allow: [Ukraine]" in text
        (rules / pack.name).write_text(text, encoding="utf-8")
    records = [record(n, f"site-{n}", ["Ukraine"], menu=False) for n in range(8)]
    corpus = tmp_path / "feed.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "f.jsonl"
    assert (
        main(
            [
                "scan",
                str(corpus),
                "--rules",
                str(rules),
                "--select",
                "BP023",
                "--format",
                "jsonl",
                "-o",
                str(out),
                "-q",
                "--no-cache",
                "-j",
                "1",
            ]
        )
        == 0
    )
    assert out.read_text(encoding="utf-8") == ""


@pytest.mark.parametrize("n_docs", [1, 3])
def test_too_few_documents_teach_nothing(tmp_path, n_docs):
    records = [record(n, "s", ["Support us"]) for n in range(n_docs)]
    assert scan_jsonl(tmp_path, records, "BP022,BP023") == []


def test_after_an_unsafe_marker_only_safe_structural_findings_remain(scan):
    # prose after the box: the article may go on, so the block from the marker is for a reviewer
    related = ["Related Articles", "Teaser headline about the war in the east", "Grain prices climb again", *BODY]
    text = page(MENU, [TITLE], BODY * 2, related, FOOTER)
    found = scan(text, "BP")
    marker = text.index("Related Articles")
    after = {f.code for f in found if f.start > marker}
    assert [f.applicability for f in found if f.code == "BP015"] == [Applicability.UNSAFE]
    assert "BP017" in after  # the footer menu, still deleted by --auto
    assert not after & {"BP018", "BP019", "BP020", "BP023"}  # no unsafe duplicates of the block


# ---- one finding per block --------------------------------------------------------------------


def test_a_menu_is_one_finding_not_one_per_line(scan):
    text = page(FAR_MENU, [TITLE], BODY, FAR_FOOTER)
    menu = [f for f in scan(text, STRUCTURE) if f.code == "BP017"]
    # above: the far part (safe) and the part near the text (unsafe); below: near (unsafe), far (safe)
    assert [(f.applicability, f.original.count("\n")) for f in menu] == [
        (Applicability.SAFE, 10), (Applicability.UNSAFE, 4), (Applicability.UNSAFE, 5), (Applicability.SAFE, 8)
    ]
    assert menu[0].original == "".join(line + "\n" for line in FAR_MENU[:10])
    assert menu[0].message.endswith("a block of 10 lines")
    assert text[menu[0].start : menu[0].end] == menu[0].original


def test_a_block_stops_where_an_end_of_article_block_starts(scan):
    tail = ["Related articles", "Markets Fall Again", "Oil Prices Jump", "Talks In Geneva", "Harvest Late"]
    body = BODY * 3
    text = page(FAR_MENU, [TITLE], body, FAR_FOOTER[:6], tail, FAR_FOOTER)
    found = scan(text, STRUCTURE + ",BP015")
    (related,) = [f for f in found if f.code == "BP015"]
    for f in found:
        if f.code != "BP015":  # no other block runs over the marker line
            assert not (f.start < related.start < f.end), f


def test_an_ignored_block_is_not_proposed_again(tmp_path):
    import shutil

    from cleaner.rules import load_rules
    from cleaner.scan import Scanner

    text = page(FAR_MENU, [TITLE], BODY, FAR_FOOTER)
    doc = Document("p.txt", text, "p.txt")
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    block = next(f for f in Scanner(load_rules(rules), select=["BP017"]).scan_document(doc) if f.code == "BP017")
    (rules / "learned.yaml").write_text(
        "pack: learned\nignore:\n  - " + json.dumps({"code": "BP017", "original": block.original, "replacement": ""})
        + "\n",
        encoding="utf-8",
    )
    again = Scanner(load_rules(rules), select=["BP017"]).scan_document(doc)
    assert block.original not in [f.original for f in again]
    assert again, "the other blocks are still proposed"
