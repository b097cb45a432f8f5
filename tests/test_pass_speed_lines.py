"""The line pass's shortcuts (candidate lines found for the whole text) find exactly what trying every
line with every rule finds."""

from __future__ import annotations

import re
from string import ascii_lowercase

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cleaner.model import Applicability, Document
from cleaner.passes.base import Settings
from cleaner.passes.lines import (
    DEFAULT_MAX_LENGTH,
    LinePass,
    Needles,
    _atom,
    _marker_finding,
    _multi_folds,
    exact_pattern,
    normalize_line,
    requirement,
)
from cleaner.rules import Rule
from cleaner.text import content_indices, deletion_end, split_lines, word_count


def reference_scan(p: LinePass, doc: Document) -> list:
    """What LinePass.scan finds, the plain way: every line with every rule, in order."""
    text = doc.text
    lines = split_lines(text)
    content = content_indices(lines)
    if not content:
        return []
    rank = {i: n for n, i in enumerate(content)}

    def in_range(rule, i):
        n = rank[i]
        if rule.first_lines is not None and n >= rule.first_lines:
            return False
        return rule.last_lines is None or n >= len(content) - rule.last_lines

    findings = []
    size = max(len(text), 1)
    block_start = None
    for i in content:
        stripped = lines[i].content.strip()
        hits = [
            rule
            for rule, regex in p.markers
            if len(stripped) <= DEFAULT_MAX_LENGTH
            and lines[i].start / size >= rule.params.get("min_position", 0.5)
            and in_range(rule, i)
            and regex.fullmatch(stripped)
        ]
        if hits:
            # the block's applicability (safe unless prose follows) is the same function's
            findings.append(_marker_finding(hits[0], doc, lines, content, i))
            block_start = lines[i].start
            break
    for i in content:
        line = lines[i]
        if block_start is not None and line.start >= block_start:
            break
        end = deletion_end(lines, i, len(text))
        for rule in p.exact.get(normalize_line(line.content), ()):
            if in_range(rule, i):
                findings.append(rule.finding(doc, line.start, end, ""))
        stripped = line.content.strip()
        for rule, regex in p.patterns:
            limit = rule.params.get("max_length", DEFAULT_MAX_LENGTH)
            if len(stripped) <= limit and in_range(rule, i) and regex.fullmatch(stripped):
                findings.append(rule.finding(doc, line.start, end, ""))
    findings.extend(p._title(doc, lines[content[0]], in_range, content[0]))
    for shape in p.shapes:
        for n, i in enumerate(content):
            line = lines[i]
            words = word_count(line.content)
            if (
                len(line.content) >= 2 * shape.min_words - 1
                and not shape.ending.search(line.content)
                and (shape.contains is None or shape.contains.search(line.content))
                and (shape.excludes is None or not shape.excludes.search(line.content))
                and not (shape.skip_first and n == 0)
                and not (block_start is not None and line.start >= block_start)
                and in_range(shape.rule, i)
                and shape.min_words <= words <= shape.max_words
                and not (shape.between_body and (n == 0 or n == len(content) - 1))
                and not (
                    shape.between_body
                    and not all(shape._body(lines[content[m]].content) for m in (n - 1, n + 1))
                )
            ):
                findings.append(shape.rule.finding(doc, line.start, deletion_end(lines, i, len(text)), ""))
    return findings


def rule(code: str, kind: str, **params) -> Rule:
    first = params.pop("first_lines", None)
    return Rule(code=code, name=code.lower(), kind=kind, message="m", applicability=Applicability.SAFE,
                first_lines=first, params=params)


# rules whose patterns say nothing plain (every line is tried), case-sensitive ones, non-ASCII literals
EXTRA_RULES = [
    rule("XX001", "line-pattern", pattern=r".{2,6}"),  # no requirement at all
    rule("XX002", "line-pattern", pattern=r"Straße\s+\d+", ignore_case=False),  # a cased non-ASCII literal
    rule("XX003", "line-pattern", pattern=r"(?:x|y)+\s*–\s*z", max_length=40),  # a dash, no case
    rule("XX004", "line-pattern", pattern=r"\w+ kilo", max_length=30),  # a needle with k
    rule("XX005", "exact-line", lines=["Weiß", "Café  Crème", "ﬁn"]),
    rule("XX006", "block-from-marker", pattern=r"\d+ (?:notes|Notizen)", min_position=0.3),
    rule("XX007", "block-from-marker", pattern=r"[A-Z]{3,}"),  # no literal
    rule("XX008", "line-shape", min_words=3, max_words=8, ends_without="[.!?]", skip_first=True,
         between_body=False),  # no `contains`: every line
]

LINES = [
    "Source link", "Source Link", "SOURCE  LINK", "  source\tlink  ", "Share this:", "Share this", "Twitter",
    "Facebook", "Lin\u212aedIn", "\ufb02ipboard", "Pre\u00df enter to search", "Press enter to search",
    "Search …", "Search...", "Advertisement", "ADVERTISEMENT", "Ad", "Story continues below advertisement",
    "Watch the video on YouTube", "video on youtube", "V\u0131deo on youtube", "Sketch video on youtube",
    "© 2022 Example News. All rights reserved.", "Copyright 2021 The AP. All rights reserved.",
    "Example News Ltd. All rights re\u017fserved.", "Example Ltd. ALL RIGHTS RESERVED", "(c) 2020 Foo",
    "Follow AP’s coverage of the war at https://apnews.com", "Follow the coverage of the AP war at",
    "READ MORE: Russia warns of escalation", "  Related: How sanctions hit the rouble", "See also - the map",
    "Sign up for our daily newsletter to get the latest news.", "Get our free newsletter today",
    "The morning newsletter: sign up here", "We use cookies to improve your experience.",
    "Accept all cookies",
    "By continuing to browse this site you agree", "Manage cookie preferences", "Cookie settings",
    "3 Responses", "12 Comments", "Leave a Reply", "Leave a comment", "Related Articles", "Comments (5)",
    "[ Read All Comments ]", "You may also like", "Top stories", "Most read", "Comments are closed.",
    "Blinken declares ‘moment of danger’ for millions of Ukrainians, reveals how we believe Russia will",
    "The mayor of Kiev thanked the countries for their support so far, the city hall said.",
    "The German foreign minister took a different approach to the talks, officials said.",
    "He posted a video on YouTube in which he mocked the governor, the court heard.",
    "Weiß", "WEISS", "Café Crème", "café   crème", "\ufb01n", "FIN", "Straße 12", "STRASSE 12", "xy – z",
    "ab kilo",
    "ab \u212ailo", "7 notes", "12 Notizen", "NATO", "Short line here", "Kyiv", "Date set for talks", "",
    " ", "\t", "\xa0", "\u2028Share", "Home", "Menu", "Skip to content", "İstanbul", "ſhare",
    "x" * 36 + " – z", "x" * 37 + " – z",  # as long as XX003's max_length, and one longer
]
SEPARATORS = ["\n", "\n\n", "\r\n", "\n \n"]
CASES = [str, str.upper, str.lower, str.title, lambda s: " " + s + "  ", lambda s: s.replace(" ", "  ")]

documents = st.lists(
    st.tuples(st.sampled_from(LINES), st.sampled_from(CASES), st.sampled_from(SEPARATORS)), max_size=25
).map(lambda items: "".join(case(line) + sep for line, case, sep in items))


@pytest.fixture(scope="module")
def passes(ruleset):
    lines = [r for r in ruleset.rules if r.kind in LinePass.kinds]
    return [LinePass(lines, ruleset, Settings()), LinePass(lines + EXTRA_RULES, ruleset, Settings())]


@settings(max_examples=1500, deadline=None)
@given(text=documents)
@example(text="Title\n\nPre\u00df enter to search\nShare\n")
@example(text="Title\nV\u0131deo on youtube\nbody\n")
def test_line_pass_finds_what_every_line_with_every_rule_finds(passes, text):
    doc = Document("d.txt", text, "d.txt")
    for p in passes:
        assert list(p.scan(doc)) == reference_scan(p, doc)


# ---------------------------------------------------------------- requirements read from patterns

@pytest.mark.parametrize(
    "pattern, anchored, prefixes, needles",
    [
        (r"follow\s+the\s+coverage\b.{0,120}", True, {"follow"}, set()),
        (r"(?:[\w’'-]+\s+){0,4}video\s+on\s+(?:youtube|x)\.?", True, set(), {"video"}),
        (r"(?:©|\(c\)|copyright)\s*\d{4}.{0,120}|.{0,120}\ball\s+rights\s+reserved\b", True,
         {"©", "(c)", "copyright"}, {"reserved"}),
        (r"(?:top\s+rated\s+|reader\s+)?comments", True, set(), {"comments"}),  # cheaper than "top"
        (r"(?:latest|reader)\s+\w+", True, {"latest", "reader"}, set()),  # prefixes cost less
        (r"(?:latest\s+)?reader\s+\w+", True, {"latest", "reader"}, set()),  # or what follows the option
        (r"(?:our|the)\s+.{0,40}newsletter", True, set(), {"newsletter"}),  # short words: the needle
        (r"follow.*", False, set(), {"follow"}),  # not anchored: no prefixes
        (r"‘[^’]+’", False, set(), {"‘"}),
        (r"caf[eé]\s+crème", True, {"caf"}, set()),
        (r"crème brûlée", False, set(), {"me br"}),  # cased letters past ASCII and Latin-1 split it
        (r".{3,10}", True, None, None),
        (r"\d+\s+\w+", True, None, None),
        (r"(?:a|.)bcdefgh", True, set(), {"bcdefgh"}),
        (r"x*yzzzzz", True, set(), {"yzzzzz"}),
    ],
)
def test_requirement(pattern, anchored, prefixes, needles):
    found = requirement(re.compile(pattern, re.IGNORECASE), anchored)
    if prefixes is None:
        assert found is None
    else:
        assert found == (frozenset(prefixes), frozenset(needles))


REGEXES = [r"follow\s+(?:the\s+)?coverage\b.{0,20}", r"(?:\w+\s+){0,2}video\s+on\s+(?:youtube|x)",
           r"(?:©|\(c\)|copyright)\s*\d{4}.{0,10}|.{0,10}\ball\s+rights\s+reserved\b.{0,10}",
           r"(?:read\s+more|see\s+also|related)\s*(?::|-|\|)\s*.{3,20}", r"\d+\s+(?:responses?|comments?)",
           r"(?:our|the)\s+.{0,10}newsletter:?\s+sign\s+up"]


@pytest.mark.parametrize("pattern", REGEXES)
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_every_match_meets_the_requirement(pattern, data):
    regex = re.compile(pattern, re.IGNORECASE)
    prefixes, needles = requirement(regex, anchored=True)
    text = data.draw(st.from_regex(regex, fullmatch=True))
    stripped = text.strip()
    if not regex.fullmatch(stripped):
        return
    folded = stripped.lower()
    assert any(folded.startswith(p) for p in prefixes) or any(n in folded for n in needles)


# ---------------------------------------------------------------- the characters the shortcuts rely on

EVERYTHING = "".join(map(chr, range(0x110000)))


def test_each_letter_atom_matches_whatever_matches_the_letter_ignoring_case():
    for letter in ascii_lowercase:
        matched = set(re.findall(f"(?i){letter}", EVERYTHING))
        assert set(re.findall(_atom(letter), EVERYTHING)) == matched


def test_atoms_match_every_character_case_folding_to_them():
    """A line that folds to an exact line matches exact_regex: each character matches its fold's atom."""
    for char in EVERYTHING:
        folded = char.casefold()
        if folded != char and len(folded) == 1:
            assert re.fullmatch(_atom(folded), char), hex(ord(char))


def test_white_space_stays_white_space_under_case_folding():
    for char in EVERYTHING:
        folded = char.casefold()
        assert char.isspace() == any(c.isspace() for c in folded) and ("\n" in folded) == (char == "\n")


def test_multi_folds_are_the_characters_folding_to_several():
    assert set(_multi_folds()) == {c for c in EVERYTHING if len(c.casefold()) > 1}


def test_image_unsafe_characters_are_the_other_matches_of_ascii_letters():
    others = set()
    for letter in ascii_lowercase:
        others |= set(re.findall(f"(?i){letter}", EVERYTHING)) - {letter, letter.upper()}
    assert set(Needles.IMAGE_UNSAFE) == others


def test_exact_pattern_matches_a_line_folding_to_a_key():
    pattern = exact_pattern(["share this", "search …"])
    assert re.fullmatch(pattern, "SHARE\t this")
    assert re.fullmatch(pattern, "Search …")
    assert not re.fullmatch(pattern, "Share this article")


def test_the_first_stage_reports_the_lines_folding_to_an_exact_line():
    from cleaner.matching import LINE, FirstStage, Probe

    probe = Probe(("exact", 0), exact_pattern(["share this", "search …"]), 0, LINE, code="BP900")
    stage = FirstStage([probe])
    assert probe.key in stage.scanned
    text = "Title\n  SHARE\t this \nShare this article\nSEARCH …\n"
    assert stage.candidates(text).lines(probe.key) == [1, 3]


