"""The main flows, proven in a real browser: what each role sees and clicks, end to end.

Each journey signs its people in through the login form, each at their own browser, and ends with a
screenshot of its last page in test-artifacts/browser/.
"""
from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from playwright.sync_api import expect
from sqlalchemy import select

from knowledge.models import Article, User
from routing.models import Question, QuestionArticle
from tests.factories import make_article, make_expert, make_topic, make_user

pytestmark = pytest.mark.browser

REFERENCE = re.compile(r"VB-\d{4}-\d{6}")


def promised(question: Question) -> str:
    """The promised time as the app shows it to people here."""
    return format_datetime(question.due_at, "EEE d MMM HH:mm", tzinfo=ZoneInfo("Europe/Amsterdam"), locale="en")


def latest_question(session) -> Question:
    session.expire_all()
    return session.scalars(select(Question).order_by(Question.id.desc())).first()


def search_as_you_type(page, words: str):
    """Type into the live search one key at a time, as a person does."""
    box = page.get_by_role("combobox", name="Search")
    box.click()
    box.press_sequentially(words, delay=30)
    return box


def answer_from_inbox(page, reference: str, answer: str, *, worth_keeping: bool):
    """The expert opens the question from the inbox, accepts it, writes the answer and sends it."""
    page.goto("/inbox/")
    page.get_by_role("link", name=reference).click()
    page.get_by_role("button", name="Accept").click()
    expect(page.locator(".flash-success")).to_have_text("Accepted: it is yours now.")
    body = page.get_by_role("textbox", name="Answer (Markdown)")
    body.click()
    body.press_sequentially(answer)
    if worth_keeping:
        page.get_by_label("Worth keeping: propose as an article").check()
    return body


@pytest.fixture
def organisation(session):
    make_topic(session, "parking", "Parking")
    make_topic(session, "waste", "Waste")
    return {
        "petra": make_expert(session, "Petra Parkeer", knows={"parking": 3}),
        "willem": make_expert(session, "Willem Afval", knows={"waste": 3}),
        "agent": make_user(session, "agent", email="agent@example.org", name="Anna Agent"),
        "editor": make_user(session, "editor", email="editor@example.org", name="Eva Editor"),
    }


def test_an_agent_finds_the_answer_while_typing_and_records_first_contact_resolution(person, session, organisation):
    new_bin = make_article(session, "How do I order a new bin?", "Order a **new bin** online; it comes within a week.",
                           topics=("waste",))
    make_article(session, "Parking permits for residents", "Apply online with DigiD.", topics=("parking",))
    agent = person()
    page = agent.sign_in("agent@example.org")
    expect(page).to_have_url(re.compile(r"/frontoffice/$"))
    page.evaluate("window.__sameDocument = true")  # gone if anything reloads the page

    box = search_as_you_type(page, "order a new bin")
    first = page.locator("#search-results [role=option]").first
    expect(first).to_contain_text("How do I order a new bin?")
    expect(first.locator(".snippet mark").first).to_be_visible()  # the matched words are highlighted
    expect(page.locator("#search-status")).to_have_text(re.compile(r"^\d+ results? in \d+ ms$"))
    assert page.evaluate("window.__sameDocument") is True, "the results came with a page load"

    # The keyboard is enough: arrow down highlights the first hit, Enter opens it.
    box.press("ArrowDown")
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", "hit-0")
    box.press("Enter")
    page.wait_for_url(re.compile(rf"/articles/{new_bin.id}\?s=\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("How do I order a new bin?")
    expect(page.locator(".body strong")).to_have_text("new bin")

    # Back in the call: one click records that the customer was answered with this article.
    page.goto("/frontoffice/")
    search_as_you_type(page, "new bin please")
    hit = page.locator("#search-results [role=option]", has_text="How do I order a new bin?")
    hit.get_by_role("button", name="Answered with this").click()
    page.wait_for_url(re.compile(r"/frontoffice/$"))
    expect(page.locator(".flash-success")).to_contain_text("Recorded as answered at first contact")

    question = latest_question(session)
    assert (question.status, question.text, question.channel) == ("answered_from_kb", "new bin please", "phone")
    assert question.taken_in_by_id == organisation["agent"].id and question.owner_id is None
    used = session.scalars(select(QuestionArticle).where(QuestionArticle.question_id == question.id)).one()
    assert (used.article_id, used.relation) == (new_bin.id, "used")
    row = page.locator("tr", has_text=question.reference)
    expect(row).to_contain_text("answered from kb")
    agent.screenshot("agent_answers_from_kb")


def test_a_question_nobody_could_answer_is_routed_answered_in_the_inbox_and_published(person, session, organisation):
    # (b) The agent searches, nothing fits, and takes the question in with what was typed.
    agent = person()
    page = agent.sign_in("agent@example.org")
    asked = "Can my visitor park in front of my house?"
    search_as_you_type(page, asked)
    expect(page.locator("#search-status")).to_have_text(f"Nothing found for “{asked}”.")
    page.get_by_role("link", name="Nothing fits? Take in the question →").click()
    page.wait_for_url(re.compile(r"/frontoffice/questions/new\?q="))
    expect(page.get_by_label("Question")).to_have_value(asked)
    page.get_by_label("Topic").select_option(label="Parking")
    page.get_by_label("Name").fill("Mevr. Jansen")
    page.get_by_role("button", name="Take in and route to the best expert").click()
    page.wait_for_url(re.compile(r"/frontoffice/questions/VB-\d{4}-\d{6}$"))

    question = latest_question(session)
    assert (question.text, question.status, question.owner_id) == (asked, "routed", organisation["petra"].id)
    expect(page.get_by_role("heading", level=1)).to_have_text(question.reference)
    promise = page.locator(".promise")
    expect(promise).to_contain_text(f"With Petra Parkeer — promised by {promised(question)}")
    expect(promise.locator("code.copy")).to_have_text(
        re.compile(rf"^{re.escape(agent.base_url)}/track/{question.reference}\?token=[\w-]+$"))
    petra_row = page.locator("tr", has_text="Petra Parkeer")
    expect(petra_row).to_contain_text("has it")
    expect(petra_row).to_contain_text("specialist in Parking")
    expect(page.locator("tr", has_text="Willem Afval")).to_be_visible()  # the one not chosen, with his reasons
    agent.screenshot("agent_takes_in_question")

    # (c) Petra answers from her inbox, sees the Markdown rendered while she types, and keeps the answer.
    expert = person()
    page = expert.sign_in("petra@example.org")
    expect(page).to_have_url(re.compile(r"/inbox/$"))
    row = page.locator("tr", has_text=question.reference)
    expect(row.locator(".countdown")).to_have_text(re.compile(r"^\((in .+|.+ overdue)\)$"))  # countdown.js ran
    answer_from_inbox(page, question.reference,
                      "Yes. Buy **visitor hours** in the parking app:\n\n1. open the app\n2. choose *visitor*\n",
                      worth_keeping=True)
    preview = page.locator("#preview")
    expect(preview.locator("strong")).to_have_text("visitor hours")
    expect(preview.locator("ol > li")).to_have_count(2)
    expect(preview.locator("em")).to_have_text("visitor")
    page.get_by_role("button", name="Send answer").click()
    page.wait_for_url(re.compile(r"/inbox/$"))
    expect(page.locator(".flash-success")).to_have_text("Answer sent.")
    expect(page.get_by_text("Nothing waits for you.")).to_be_visible()
    question = latest_question(session)
    assert question.status == "answered" and question.worth_keeping
    assert "<strong>visitor hours</strong>" in question.answer_html
    expert.screenshot("expert_answers")

    # (d) The editor finds the captured draft in the queue and publishes it for the public.
    draft = session.scalars(select(Article).join(QuestionArticle, QuestionArticle.article_id == Article.id)
                            .where(QuestionArticle.question_id == question.id,
                                   QuestionArticle.relation == "captured")).one()
    assert (draft.status, draft.audience) == ("draft", "internal")
    editor = person()
    page = editor.sign_in("editor@example.org")
    expect(page).to_have_url(re.compile(r"/editor/$"))
    drafts = page.locator("section.card", has=page.get_by_role("heading", name=re.compile(r"^Draft")))
    drafts.get_by_role("link", name=draft.title).click()
    page.wait_for_url(re.compile(rf"/editor/articles/{draft.id}$"))
    expect(page.get_by_role("link", name=question.reference)).to_be_visible()  # where the draft came from
    expect(page.locator("article .body strong")).to_have_text("visitor hours")
    page.get_by_label("Audience").select_option("public")
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator(".flash-success")).to_have_text("Published (public).")
    expect(page.locator("article .crumbs")).to_contain_text("published · public")
    session.expire_all()
    draft = session.get(Article, draft.id)
    assert (draft.status, draft.audience) == ("published", "public")
    editor.screenshot("editor_publishes")

    # Published for the public: an anonymous visitor now finds it.
    visitor = person()
    visitor.page.goto("/?q=visitor+hours+parking+app")
    expect(visitor.page.locator("ol.results").get_by_role("link", name=draft.title)).to_be_visible()


def test_a_customer_who_finds_nothing_asks_and_later_reads_the_answer_on_the_tracking_page(person, session, clock,
                                                                                        organisation):
    customer = person()
    page = customer.page
    page.goto("/")
    asked = "Can I keep chickens in my back garden?"
    search_as_you_type(page, asked).press("Enter")
    page.wait_for_url(re.compile(r"/\?q="))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Answers for “{asked}”")
    expect(page.get_by_text("We found no published answer for that.")).to_be_visible()
    page.get_by_role("link", name="Ask us your question →").click()
    page.wait_for_url(re.compile(r"/ask\?q="))
    expect(page.get_by_label("Question")).to_have_value(asked)
    page.get_by_label("Name").fill("Jan de Vries")
    page.get_by_label("E-mail").fill("jan@example.org")
    page.get_by_role("button", name="Send my question").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("We have your question")

    question = latest_question(session)
    assert (question.text, question.channel, question.status) == (asked, "web", "routed")
    expect(page.locator("strong", has_text=REFERENCE)).to_have_text(question.reference)
    expect(page.get_by_text(promised(question))).to_be_visible()
    page.locator("a", has=page.locator("code.copy")).click()
    page.wait_for_url(re.compile(rf"/track/{question.reference}\?token="))
    tracking_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Your question is with "))
    expect(page.locator("blockquote")).to_have_text(asked)
    expect(page.get_by_text(f"We promised an answer by {promised(question)}.")).to_be_visible()
    expect(page.locator(".answer")).to_have_count(0)

    # Two hours later the expert who got it answers through the inbox.
    clock.now += timedelta(hours=2)
    owner = session.get(User, question.owner_id)
    expert = person()
    expert.sign_in(owner.email)
    answer_from_inbox(expert.page, question.reference, "Yes, up to **ten chickens** and no rooster.",
                      worth_keeping=False)
    expert.page.get_by_role("button", name="Send answer").click()
    expect(expert.page.locator(".flash-success")).to_have_text("Answer sent.")

    # Later, the customer opens the tracking link again and reads the answer.
    page.goto(tracking_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your question has been answered.")
    expect(page.locator(".answer strong")).to_have_text("ten chickens")
    expect(page.locator(".timeline li").first).to_contain_text("Mon 2 Mar 10:30 We received your question")
    expect(page.locator(".timeline li").last).to_contain_text("Mon 2 Mar 12:30 Answered")
    expect(page.get_by_text(owner.name)).to_have_count(0)  # the route in plain words, without staff names
    customer.screenshot("customer_asks_and_tracks")


def test_a_person_pressing_answered_with_this_records_it_instead_of_opening_the_article(person, session,
                                                                                      organisation):
    make_article(session, "How do I order a new bin?", "Order a **new bin** online.", topics=("waste",))
    agent = person()
    page = agent.sign_in("agent@example.org")
    search_as_you_type(page, "new bin please")
    button = page.locator("#search-results [role=option]", has_text="How do I order a new bin?").get_by_role(
        "button", name="Answered with this")
    expect(button).to_be_visible()
    box = button.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.wait_for_timeout(1000)  # people hold a button for a moment; Playwright's click() does not
    page.mouse.up()
    expect(page.locator(".flash-success")).to_contain_text("Recorded as answered at first contact", timeout=3000)
    assert latest_question(session).status == "answered_from_kb"
