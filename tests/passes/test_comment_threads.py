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


def test_a_demoted_block_is_no_end_of_the_article(scan):
    """The page-structure pass agrees with the line pass: a box the article goes on after is not the end
    of the main text, so the article's own list further down is not deleted as a menu below it."""
    items = ["Field hospitals", "Generators", "Body armour", "Night-vision goggles", "Fuel"]
    text = page(MENU, [TITLE], BODY * 3, ["Related stories"], TEASERS[:1], BODY, ["What the aid holds:"],
                items, BODY[:2], FOOTER)
    found = scan(text, "BP015,BP017,BP024")
    assert [f.applicability for f in found if f.code == "BP015"] == [Applicability.UNSAFE]
    safe = {line for f in found if f.applicability is Applicability.SAFE for line in f.original.split("\n")}
    assert not safe & set(items)


# ---- found in review: article shapes the by-construction checks must leave to a reviewer ----------


def test_an_article_going_on_with_a_paragraph_a_quote_and_a_closing_line_is_for_a_reviewer(scan):
    going_on = [BODY[0], '"We will not give up our city," he said.', "The conference ends on Sunday."]
    text = page([TITLE], BODY, BODY, ["Related stories"], TEASERS[:3], going_on)
    (block,) = scan(text, "BP015")
    assert block.applicability is Applicability.UNSAFE
    assert "sentences in a row" in block.message


def test_a_japanese_article_going_on_after_a_box_is_for_a_reviewer(scan):
    paragraphs = ["大阪府は来年度から私立高校の授業料を無償化すると発表した。", "対象となる世帯は約三万世帯に上る見通しだ。",
                  "知事は記者会見で、教育の機会を広げたいと述べた。"]
    text = page([TITLE], BODY, BODY, ["関連記事"], ["大阪の新しい図書館が開館", "台風が接近"], paragraphs)
    (block,) = scan(text, "BP015")
    assert block.applicability is Applicability.UNSAFE


def test_a_reviews_verdict_word_is_no_safe_related_list(scan):
    text = page([TITLE], BODY, BODY, ["Recommended"], ["Price: 699 euros", "Battery: two days"])
    assert [f.code for f in scan(text, "BP015,BP037")] == ["BP037"]
    assert all(f.applicability is Applicability.UNSAFE for f in scan(text, "BP037"))


def test_a_bare_comments_heading_is_for_a_reviewer(scan):
    text = page([TITLE], BODY, BODY, ["Comments"], ["Replies can now be nested five levels deep."])
    assert [f.applicability for f in scan(text, "BP025")] == [Applicability.UNSAFE]


def test_results_ratings_and_a_qa_are_no_comment_thread(scan):
    ratings = [x for name, mark in (("Mudryk", 8), ("Zinchenko", 7), ("Tsygankov", 6), ("Dovbyk", 7))
               for x in (name, f"Rating: {mark}", f"{name} played well and ran all game, the coach said.")]
    results = [x for town, n in (("Irpin", 412), ("Bucha", 380), ("Hostomel", 122)) for x in (town, f"{n} votes")]
    qa = [x for q in ("Will the bridge be repaired this year?", "Who pays for the schools?",
                      "When does the budget take effect?") for x in (q, "Reply", "The minister said it would.")]
    for block in (ratings, results, qa):
        assert scan(page(MENU, [TITLE], BODY, block, FOOTER), "BP035") == [], block[:3]


def test_a_caption_ending_with_a_credit_stays(scan):
    text = page([TITLE], BODY[:2], ["Firefighters at the scene. Evan Vucci/AP"], BODY[2:])
    assert scan(text, "BP036") == []
