"""Comment sections from their shape (BP035), photo credits (BP036), and related/comments blocks that are
safe only by construction (BP015, BP025 with max_prose_run), with negatives. Sentences written for these
tests."""

from __future__ import annotations

from cleaner.model import Applicability

MENU = ["Home", "World", "Business", "Sport", "Culture", "Opinion"]
TITLE = "Council approves a new budget after a long night of talks"
BODY = [
    "The city council approved the budget on Tuesday after eleven hours of debate, members said.",
    "The opposition had asked for more money for schools and for the repair of the old bridge.",
    "The mayor said the compromise was the best the city could afford in a difficult year.",
    "The budget now goes to the regional authority, which has a month to raise objections.",
]
COMMENTS = [
    "[ 12 comments ]",
    "Top Rated Comments",
    "mike77",
    "2 days ago at 07:52 am",
    "Great piece, thanks for writing it up so clearly and so fast.",
    "Rating: 36 Votes",
    "jen_k",
    "2 days ago at 08:10 am",
    "I disagree with most of it, the bridge should have come first.",
    "Rating: 5 Votes",
    "oldtimer",
    "1 day ago at 09:30 am",
    "Same story every year.",
    "Rating: 2 Votes",
]
FOOTER = ["About us", "Contact", "Privacy policy", "Terms of use", "Careers"]


def page(*blocks: list[str]) -> str:
    return "\n".join(line for block in blocks for line in block) + "\n"


def test_a_comment_section_is_one_block_from_its_heading_to_its_last_vote(scan):
    text = page(MENU, [TITLE], BODY, COMMENTS, FOOTER)
    found = [f for f in scan(text, "BP035")]
    assert len(found) == 1
    thread = found[0]
    assert thread.original.startswith("[ 12 comments ]\n")
    assert thread.original.endswith("Rating: 2 Votes\n")
    assert thread.applicability is Applicability.UNSAFE
    assert "6 lines of comment furniture over 14 lines" in thread.message
    assert not any(line in thread.original for line in BODY)


def test_without_a_heading_the_thread_starts_at_the_first_authors_name(scan):
    text = page(MENU, [TITLE], BODY, COMMENTS[2:], FOOTER)
    (thread,) = scan(text, "BP035")
    assert thread.original.startswith("mike77\n")


def test_a_dated_timeline_in_the_article_is_no_comment_section(scan):
    timeline = []
    for day, event in (("March 3, 2022", "Troops crossed the border at dawn, officials in the capital said."),
                       ("March 4, 2022", "The talks began in the afternoon, and no agreement was reached."),
                       ("March 5, 2022", "The city was surrounded by evening, the mayor said on television."),
                       ("March 6, 2022", "Aid convoys reached the suburbs for the first time in three days.")):
        timeline += [day, event]
    assert scan(page(MENU, [TITLE], BODY[:2], timeline, BODY[2:], FOOTER), "BP035") == []


def test_two_lines_of_furniture_are_not_enough(scan):
    text = page(MENU, [TITLE], BODY, COMMENTS[2:7], FOOTER)  # one time and one vote line
    assert scan(text, "BP035") == []


def test_a_reply_button_under_the_article_is_not_a_thread(scan):
    text = page(MENU, [TITLE], BODY, ["Reply", "Share"], BODY, FOOTER)
    assert scan(text, "BP035") == []


def test_furniture_above_the_main_text_is_left_to_the_header_rules(scan):
    text = page(MENU, COMMENTS[2:], [TITLE], BODY, FOOTER)
    assert scan(text, "BP035") == []


# ---- photo credits (BP036) ----------------------------------------------------------------------


def test_credit_lines_are_flagged_but_not_captions_or_sentences(scan):
    credits = ["Photo: Getty Images", "Sanjeev Verma/Hindustan Times/Getty Images", "(Image: © NASA/ESA)"]
    kept = [
        "A man walks past a burnt car in Irpin on Friday. Photo: AP",
        "Reuters/Ipsos polling shows support falling among voters in the state, the agency said.",
        "Getty Images said the photographer was unhurt after the crash.",
    ]
    text = page([TITLE], BODY[:2], credits, kept, BODY[2:])
    found = {f.original.strip() for f in scan(text, "BP036")}
    assert found == set(credits)


# ---- related-article and comment blocks: safe only by construction (BP015, BP025) --------------

TEASERS = [
    "Mayor opens the new library in the old town",
    "The building took six years to restore.",
    "River levels fall after a week of rain",
    "Schools reopen on Monday across the region",
]


def test_a_related_list_after_the_article_is_safe(scan):
    text = page([TITLE], BODY, BODY, ["Related stories"], TEASERS)
    (block,) = scan(text, "BP015")
    assert block.applicability is Applicability.SAFE
    assert block.original.startswith("Related stories\n")


def test_the_article_going_on_after_a_related_box_goes_to_a_reviewer(scan):
    text = page([TITLE], BODY, BODY, ["Related stories"], TEASERS[:1], BODY)
    (block,) = scan(text, "BP015")
    assert block.applicability is Applicability.UNSAFE
    assert "for a reviewer" in block.message


def test_prose_right_after_the_heading_goes_to_a_reviewer(scan):
    text = page([TITLE], BODY, BODY, ["Most read"], BODY[:1], TEASERS)
    (block,) = scan(text, "BP015")
    assert block.applicability is Applicability.UNSAFE
    assert "prose right after the marker" in block.message


def test_a_demoted_block_leaves_the_structural_rules_free_below_it(scan):
    """The page-structure pass agrees with the line pass: a block that went to a reviewer is no safe
    end of the article, so the safe menu rule still removes the footer menu under it."""
    text = page(MENU, [TITLE], BODY, BODY, ["Related stories"], TEASERS[:1], BODY, FOOTER)
    found = scan(text, "BP015,BP017")
    block = next(f for f in found if f.code == "BP015")
    assert block.applicability is Applicability.UNSAFE
    menu = {f.original.strip() for f in found if f.code == "BP017" and f.applicability is Applicability.SAFE}
    assert set(FOOTER) <= {line for m in menu for line in m.split("\n")}
