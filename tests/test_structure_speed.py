"""The structure passes' shortcuts change nothing: the findings of generated pages are those the
line-by-line code gave (a digest taken before the shortcuts), and each shortcut agrees with the
slow way it replaces."""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.model import Document
from cleaner.passes.structure import (
    LAYOUT_DEFAULTS,
    Features,
    _char_classes,
    _classes,
    layout,
    main_region,
    main_region_exact,
    marker_filter,
    marker_finder,
)
from cleaner.rules import load_rules
from cleaner.scan import Scanner

RULES = Path(__file__).resolve().parent.parent / "rules"
STRUCTURE = ["BP017", "BP018", "BP019", "BP020", "BP021", "BP022", "BP023", "BP024",
             "BP007", "BP008", "BP015", "BP025"]

MENU = ["Home", "World", "Business", "Sport", "Culture", "Opinion", "Video", "Live"]
BODY = [
    "The mayor of the Ukrainian capital urged the United States and Germany to act now, he said on Friday.",
    "He spoke at the end of the Munich Security Conference, in front of the press and several ministers.",
    "The German foreign minister took a different approach and expressed sympathy for the mayor’s plea.",
    "Officials in Berlin said they would look again at the list of equipment they could send to Kyiv.",
    "Prices of grain rose again in Europe as traders weighed the risk of a war in the east of the country",
    "先日、不正に改造したiPhoneを販売したとして、商標法違反の疑いで20代の男性が逮捕されたというニュースを耳にしました。",
]
SHORT = ["Kyiv mayor pleads with US and Germany over threat", "Watch", "Read more", "Share this",
         "1 Kyle Busch", "2 Martin Truex", "3 Kevin Harvick", "Advertisement", "  Newsletter  ",
         "Follow us\u00a0", "About us", "Privacy policy", "Zelensky visits the front line near Bakhmut",
         "短い見出し"]
MARKERS = ["Leave a reply", "3 comments", "Related articles:", "Comments (12)", "You may also like",
           "  leave a comment  ", "Most read"]


def generated_pages(count: int = 240, seed: int = 7) -> list[Document]:
    """Whole pages (menus, a headline, prose, tables, teasers, end-of-article markers), clean
    articles, odd line breaks and white space, from a few sources whose boilerplate recurs."""
    rng = random.Random(seed)
    docs = []
    for n in range(count):
        source = f"site{n % 4}"
        blocks: list[str] = []
        for _ in range(rng.randrange(1, 7 if n % 3 else 16)):  # a third are long (BP024 reaches far)
            kind = rng.random()
            if kind < 0.3:
                blocks += rng.sample(MENU, rng.randrange(1, len(MENU)))
            elif kind < 0.6:
                blocks += rng.choices(BODY, k=rng.randrange(1, 6))
            elif kind < 0.8:
                blocks += rng.choices(SHORT, k=rng.randrange(1, 8))
            elif kind < 0.9:
                blocks.append(rng.choice(MARKERS))
            else:
                blocks += [""] * rng.randrange(1, 3) + [f"{source} footer line {k % 3}" for k in range(4)]
        if rng.random() < 0.2:
            blocks.insert(0, "")
        text = ("\r\n" if rng.random() < 0.1 else "\n").join(blocks)
        if rng.random() < 0.7:
            text += "\n"
        docs.append(Document(f"page{n}.txt", text, f"page{n}.txt", source))
    return docs


def scan_all(docs: list[Document]) -> list[str]:
    """The passes' findings, one a line, with their own confidence: the blocks the scanner makes of
    them (scan.blocks) and the calibrated confidence (scan.calibrated) are left out, so the digest
    checks the passes alone."""
    scanner = Scanner(load_rules(RULES), select=STRUCTURE)
    scanner.block_codes = frozenset()
    scanner.calibration = {}
    for p in scanner.corpus_passes:
        merged = None
        for d in docs:
            stats = p.observe(d)
            merged = stats if merged is None else p.merge(merged, stats)
        p.prepare(merged)
    return [f.to_json() for d in docs for f in scanner.scan_document(d)]


def test_findings_of_generated_pages_are_what_the_line_by_line_code_found():
    lines = scan_all(generated_pages())
    digest = hashlib.sha256("\n".join(lines).encode("utf-8", "surrogatepass")).hexdigest()
    assert {json_code for line in lines for json_code in re.findall(r'"code": "(BP0\d\d)"', line)} >= {
        "BP017", "BP018", "BP019", "BP023", "BP024"}
    assert (len(lines), digest) == (EXPECTED_COUNT, EXPECTED_DIGEST)


# taken with the code before the shortcuts (per-line Findings, per-line marker matching, the
# main-text loop, the learned-line loop); retaken once on purpose when safe structural findings
# became safe only by construction (issue 11): against the old digest's 2731 findings, 827 BP017
# findings turned unsafe, 264 lines went to the safe BP022/BP024 instead, and 22 BP017 lines after an
# unsafe end-of-article marker are left to that marker's block; nothing else changed. Retaken when
# the related-articles block (BP015) became safe by construction: 17 of its 19 blocks turned safe
# (2 stay unsafe: prose after the heading), and below those safe blocks 26 structural lines (19
# BP017, 3 BP019, 3 BP022, 1 BP024) are the block's alone; 20 header/footer messages name other
# region sizes, and 2 BP023 lines and 1 BP015 span are new
# Retaken once more when a block the article may go on after stopped ending the main text (review of
# issue 11): 1 BP015 block turned unsafe (sentences in a row after the box); 5 BP017 lines safe ->
# unsafe (near the main text that now goes on), 4 unsafe BP017 and 3 BP024 lines gone, 9 BP023, 2
# BP019 and 1 BP022 lines new (the lines after that box are judged as the article's surroundings)
EXPECTED_COUNT = 2691
EXPECTED_DIGEST = "e2599907525306c18835d12c6180f7795d3d01d8199849539975b4b507e4dc4f"


# ---- the end-of-article markers: one search of the text finds every line the prefilter matches --

line_texts = st.sampled_from(
    MARKERS + MENU + SHORT + ["", " ", "\t", "\u2028", "3 comments\r", "\u00a0Most read "]
)


@settings(max_examples=300)
@given(st.lists(line_texts, max_size=30), st.booleans())
def test_marker_finder_finds_every_marker_line(lines, final_break):
    markers = [(r.regex(), r.params.get("min_position", 0.5), True)
               for r in load_rules(RULES).rules if r.kind == "block-from-marker" and r.prefix == "BP"]
    markers = [(regex, at * 0, safe) for regex, at, safe in markers]  # every line may be one
    prefilter = marker_filter(markers)
    finder = marker_finder(prefilter)
    assert finder is not None
    text = "\n".join(lines) + ("\n" if final_break else "")
    lay = layout(text, dict(LAYOUT_DEFAULTS), markers)
    if not lay.content:
        return
    f = lay.features
    expected = [n for n in range(len(f.content)) if prefilter.fullmatch(text[f.starts[n]:f.ends[n]].strip())]
    assert set(expected) <= set(lay._found_lines(0))
    slow = layout(text, dict(LAYOUT_DEFAULTS), markers)
    slow.finder = None
    assert lay._markers() == slow._markers()


def test_marker_finder_refuses_patterns_that_see_around_the_line():
    for pattern in [r"^menu", r"menu$", r"\Amenu", r"menu(?=\s)", r"(?<!x)menu", r"(?>menu)", r"menu\s*+",
                    r"[^x]menu"]:
        assert marker_finder(re.compile(pattern)) is None, pattern
    assert marker_finder(re.compile(r"menu", re.ASCII)) is None
    assert marker_finder(re.compile(r"\bmenu\s+items?\b", re.IGNORECASE)) is not None
    assert marker_finder(None) is None


# ---- the main text: the max-subarray loop and its numpy form ----------------------------------


@settings(max_examples=500)
@given(
    st.lists(st.tuples(st.sampled_from([0, 0.5, 1, 2, 3, 4.5, 10, 12, 25, 40]), st.booleans()), max_size=40),
    st.sampled_from([0, 0.5, 1, 2.0, 3.5, 0.3, 1.7]),
    st.integers(0, 45),
)
def test_main_region_exact_is_main_region(lines, penalty, stop):
    size = [s for s, _ in lines]
    sentence = [good for _, good in lines]
    exact = main_region_exact(np.array(size, float), np.array(sentence, bool), penalty, stop)
    if exact is None:  # a penalty that is not a half: sums could round, the loop decides
        assert (penalty * 2) % 1 != 0
    else:
        assert exact == main_region(size, sentence, penalty, stop)


# ---- the character classes: one lookup of the BMP table per 16-bit unit, or per code point ------


@given(st.text(max_size=40) | st.text(st.sampled_from("a-’'\n .!?»)😀\ud800é漢"), max_size=40))
def test_char_classes_are_the_regex_classes(text):
    codes, classes = _char_classes(text)
    assert codes.tolist() == [ord(c) for c in text]
    assert classes.tolist() == _classes(text).tolist()
    assert Features(text).words == [len(re.findall(r"\w+(?:[’'-]\w+)*", text[s:e]))
                                    for s, e in zip(Features(text).starts, Features(text).ends, strict=True)]


FEW_LINES_ALPHABET = st.sampled_from(
    list("ab Z1-’'\n\n\r\t .!?»)\"”*]…。:;，、😀é漢\u2028\x1c\u00a0\u3000")
    + ["\n \n", "word", " ,", "a.”  "])


@settings(max_examples=300, deadline=None)
@given(st.lists(FEW_LINES_ALPHABET, max_size=40).map("".join) | st.text(max_size=60))
def test_a_text_of_few_lines_has_the_features_the_numpy_path_gives(text):
    """A text with fewer than FEW_LINES line breaks has its lines and final punctuation found in
    Python: the same line offsets, counts and final marks as the numpy path, and the marks TERMINAL
    finds line by line."""
    from cleaner.passes import structure

    saved = structure.FEW_LINES
    try:
        structure.FEW_LINES = 10**9
        few = structure.Features(text).shape()
        structure.FEW_LINES = -1
        many = structure.Features(text).shape()
    finally:
        structure.FEW_LINES = saved
    for name in ("content", "starts", "ends", "words", "size", "digit", "term"):
        assert getattr(few, name) == getattr(many, name), name
    for name in ("starts_arr", "ends_arr", "words_arr", "size_arr", "digit_arr", "term_arr"):
        a, b = getattr(few, name), getattr(many, name)
        assert a.dtype == b.dtype and a.tolist() == b.tolist(), name
    for start, end, term in zip(few.starts, few.ends, few.term, strict=True):
        assert term == (structure.TERMINAL.search(text[start:end]) is not None)
