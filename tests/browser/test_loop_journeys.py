"""The loop a team relies on (#14), walked in Chromium by each person, asserting what the page shows:
a merge reaches readers only when an editor publishes it; the customer never sees the agent's internal note,
learns which team has the question and may reply once to the answer; an article is one click from the ask
form; the agent whose customer calls back sees the answer; a captured draft's personal data is flagged
before it can be published; a long question is refused with a message, never cut.

Dutch where the demo is Dutch: customers' browsers ask for Dutch. Each journey ends with screenshots in
test-artifacts/browser/ (and in $SHOTS_DIR when set).
"""
from __future__ import annotations

import os
import re
import shutil
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from knowledge.models import Article
from routing.models import Question, RoutingPolicy
from tests.factories import make_article, make_expert, make_topic, make_user

pytestmark = pytest.mark.browser

MARKER = "NOTITIE-INTERN-7731"
DUTCH = {"Accept-Language": "nl-NL,nl;q=0.9"}


def shot(who, name: str) -> None:
    path = who.screenshot(f"loop_{name}")
    if os.environ.get("SHOTS_DIR"):
        os.makedirs(os.environ["SHOTS_DIR"], exist_ok=True)
        shutil.copy(path, os.path.join(os.environ["SHOTS_DIR"], path.name))


def dutch(person):
    someone = person()
    someone.context.set_extra_http_headers(DUTCH)
    return someone


def latest_question(session) -> Question:
    session.expire_all()
    return session.scalars(select(Question).order_by(Question.id.desc())).first()


@pytest.fixture
def gemeente(session):
    taxes = make_topic(session, "belastingen", "Belastingen")
    make_topic(session, "afval", "Afval")
    people = {
        "bea": make_expert(session, "Bea Belasting", knows={"belastingen": 3}),
        "agent": make_user(session, "agent", email="agent@example.org", name="Anna Agent"),
        "editor": make_user(session, "editor", email="editor@example.org", name="Eva Editor"),
    }
    session.add(RoutingPolicy(topic_id=taxes.id, accept_within_minutes=60, answer_within_hours=16,
                              escalate_before_minutes=120))
    session.commit()
    return people


def test_a_merge_changes_the_public_page_only_when_an_editor_publishes_it(person, session, gemeente):
    body = ("Maak binnen zes weken bezwaar tegen de WOZ-waarde via Mijn Loket. Vermeld uw adres en de reden van "
            "het bezwaar. U krijgt binnen acht weken een uitspraak.")
    target = make_article(session, "Bezwaar maken tegen de WOZ-waarde", body, topics=("belastingen",), language="nl")
    draft = make_article(session, "Bezwaar maken tegen de WOZ-waarde (concept KCC)",
                         body + "\n\nConcept, alleen voor KCC-medewerkers: nog niet goedgekeurd door team Belastingen.",
                         topics=("belastingen",), status="draft", audience="internal", language="nl")
    editor = person()
    page = editor.sign_in("editor@example.org")
    page.goto(f"/editor/articles/{draft.id}")
    page.locator("tr", has_text=target.title).get_by_role("link", name="Merge into this…").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Merge")
    expect(page.locator(".flash-warning")).to_contain_text("show this text to everyone")
    expect(page.locator(".diff-added")).to_contain_text(["Concept, alleen voor KCC-medewerkers"])
    shot(editor, "1_merge_confirmation")
    page.get_by_role("button", name="Yes, propose this revision").click()
    expect(page.locator(".flash-success")).to_contain_text("readers see nothing new until an editor publishes it")
    expect(page.locator(".pending-revision")).to_contain_text("Pending revision 2")

    reader = dutch(person)
    reader.page.goto(f"/articles/{target.id}")
    expect(reader.page.locator("article .body")).to_contain_text("zes weken")
    expect(reader.page.locator("body")).not_to_contain_text("alleen voor KCC")
    shot(reader, "1_public_page_before_publish")

    page.get_by_role("link", name="Review the changes").click()
    page.get_by_role("button", name=re.compile(r"^Publish this revision")).click()
    expect(page.locator(".flash-success")).to_contain_text("Revision published")
    reader.page.reload()
    expect(reader.page.locator("article .body")).to_contain_text("alleen voor KCC-medewerkers")
    shot(reader, "1_public_page_after_publish")


def test_the_customer_never_sees_the_internal_note_knows_the_team_and_replies_once_to_the_answer(
        person, session, clock, gemeente):
    agent = person()
    page = agent.sign_in("agent@example.org")
    page.goto("/frontoffice/questions/new")
    page.get_by_label("The customer's question").fill("Ik wil bezwaar maken tegen mijn WOZ-waarde. Hoe doe ik dat?")
    page.get_by_label("Internal note").fill(f"Mevrouw heeft al eerder een bezwaar ingediend, is boos. {MARKER}")
    page.get_by_label("Topic").select_option(label="Belastingen")
    page.get_by_role("button", name="Take in and route to the best expert").click()
    page.wait_for_url(re.compile(r"/frontoffice/questions/VB-\d{4}-\d{6}$"))
    expect(page.locator(".internal-note")).to_contain_text(MARKER)
    tracking = page.locator("code.copy").inner_text()
    shot(agent, "2_agent_took_in_two_texts")

    customer = dutch(person)
    customer.page.goto(tracking)
    cpage = customer.page
    expect(cpage.get_by_role("heading", level=1)).to_have_text("Uw vraag ligt bij Team Belastingen.")
    expect(cpage.locator("blockquote")).to_have_text("Ik wil bezwaar maken tegen mijn WOZ-waarde. Hoe doe ik dat?")
    expect(cpage.locator("body")).not_to_contain_text(MARKER)
    expect(cpage.locator("body")).not_to_contain_text("specialist")
    shot(customer, "2_tracking_routed")

    question = latest_question(session)
    expert = person()
    epage = expert.sign_in("bea@example.org")
    epage.goto(f"/inbox/questions/{question.reference}")
    expect(epage.locator(".internal-note")).to_contain_text(MARKER)
    epage.get_by_role("button", name="Accept").click()
    epage.get_by_role("textbox", name="What do you need from the customer?").fill("Om welk belastingjaar gaat het?")
    epage.get_by_role("button", name="Ask and pause the clock").click()

    cpage.reload()
    expect(cpage.get_by_role("heading", level=1)).to_have_text("We wachten op uw antwoord.")
    expect(cpage.locator("body")).not_to_contain_text("We hebben een antwoord beloofd")
    expect(cpage.locator(".paused")).to_contain_text("staat stil")
    shot(customer, "2_tracking_waiting_for_you")
    cpage.get_by_label("Uw antwoord").fill("Het gaat om 2026.")
    cpage.get_by_role("button", name="Versturen").click()
    expect(cpage.locator(".flash-success")).to_contain_text("Team Belastingen gaat verder met uw vraag")

    epage.goto(f"/inbox/questions/{question.reference}")
    epage.get_by_role("textbox", name="Answer (Markdown)").fill("Maak bezwaar via **Mijn Loket**.")
    epage.get_by_role("button", name="Send answer").click()

    clock.now += timedelta(days=2)
    cpage.reload()
    expect(cpage.get_by_role("heading", level=1)).to_have_text("Uw vraag is beantwoord.")
    expect(cpage.locator(".answer strong")).to_have_text("Mijn Loket")
    expect(cpage.locator(".follow-up")).to_contain_text("nog één keer reageren")
    expect(cpage.locator("body")).not_to_contain_text(MARKER)
    shot(customer, "2_tracking_answered_reply_once")
    cpage.locator(".follow-up").get_by_label("Uw antwoord").fill("Moet ik de taxatie meesturen?")
    cpage.locator(".follow-up").get_by_role("button", name="Versturen").click()
    expect(cpage.get_by_role("heading", level=1)).to_have_text("Team Belastingen kijkt opnieuw naar uw vraag.")
    expect(cpage.locator(".follow-up")).to_have_count(0)
    expect(cpage.locator("body")).not_to_contain_text(MARKER)
    question = latest_question(session)
    assert (question.status, question.owner_id) == ("reopened", gemeente["bea"].id)
    shot(customer, "2_tracking_reopened")


def test_from_an_article_the_ask_form_is_one_click_away_and_a_no_lands_with_the_editor(person, session, gemeente):
    article = make_article(session, "Grofvuil laten ophalen", "Maak een afspraak via de website; het kost € 25.",
                           topics=("afval",), language="nl")
    customer = dutch(person)
    page = customer.page
    page.goto("/?q=grofvuil")
    expect(page.locator(".ask-next .ask-link")).to_have_attribute("href", "/ask?q=grofvuil")
    shot(customer, "3_results_with_ask_link")
    page.get_by_role("link", name="Grofvuil laten ophalen").click()
    page.get_by_label("Wat zocht u? (niet verplicht)").fill("Wat kost een tweede afspraak?")
    page.get_by_role("button", name="Nee").click()
    expect(page.locator(".not-helpful")).to_contain_text("Jammer dat dit u niet hielp")
    shot(customer, "3_article_after_no")
    page.locator(".not-helpful").get_by_role("link", name="Stel uw vraag →").click()  # one click
    page.wait_for_url(re.compile(rf"/ask\?q=grofvuil&article={article.id}$"))
    expect(page.get_by_label("Vraag")).to_have_value("grofvuil")
    expect(page.get_by_label("Onderwerp")).to_have_value("afval")
    expect(page.locator(".about-article")).to_contain_text("Grofvuil laten ophalen")
    shot(customer, "3_ask_prefilled")

    page.goto(f"/articles/{article.id}")
    page.locator(".ask-next").get_by_role("link", name="Stel uw vraag →").click()  # from any article, one click
    page.wait_for_url(re.compile(rf"/ask\?article={article.id}$"))

    editor = person()
    epage = editor.sign_in("editor@example.org")
    readers = epage.locator("table.reader-flags")
    expect(readers).to_contain_text("Grofvuil laten ophalen")
    expect(readers).to_contain_text("Wat kost een tweede afspraak?")
    shot(editor, "3_editor_flagged_by_readers")


def test_when_the_customer_calls_back_after_the_answer_the_agent_sees_the_answer(person, session, gemeente):
    from routing.questions import Customer, NewQuestion, accept_question, answer_question, assign_to_expert
    from routing.questions import take_in_question
    from tests.factories import T0
    question, _ = take_in_question(session, T0, NewQuestion(
        text="Waarom is mijn WOZ-waarde zo gestegen?", channel="phone", topic_slug="belastingen",
        internal_note="Belt namens haar moeder.", customer=Customer(name="Mevr. Jansen", phone="06-12345678")),
        taken_in_by_id=gemeente["agent"].id)
    assign_to_expert(session, T0, question, gemeente["bea"].id, due_at=T0 + timedelta(days=2), actor_id=None)
    accept_question(session, T0, question, expert_id=gemeente["bea"].id)
    answer_question(session, T0 + timedelta(hours=3), question, expert_id=gemeente["bea"].id,
                    body="De waarde volgt de **verkoopprijzen** in uw buurt van vorig jaar.")
    session.commit()

    agent = person()
    page = agent.sign_in("agent@example.org")
    page.get_by_label("Reference, e-mail address or phone number").fill("06-12345678")
    page.get_by_role("button", name="Find their questions").click()
    page.get_by_role("link", name=question.reference).click()
    promise = page.locator(".promise")
    expect(promise).to_contain_text("Answered by Bea Belasting")
    expect(promise).not_to_contain_text("Tell the customer: reference")
    expect(page.locator(".answer-card strong")).to_have_text("verkoopprijzen")
    expect(page.locator(".thread")).to_contain_text("answered")
    expect(page.locator(".internal-note")).to_contain_text("Belt namens haar moeder.")
    shot(agent, "4_callback_shows_the_answer")
    page.goto("/frontoffice/")
    expect(page.get_by_role("link", name=question.reference)).to_be_visible()  # references are links


def test_personal_data_in_a_captured_draft_is_flagged_and_blocks_publishing(person, session, gemeente):
    from routing.questions import NewQuestion, accept_question, answer_question, assign_to_expert, take_in_question
    from tests.factories import T0
    question, _ = take_in_question(session, T0, NewQuestion(
        text="Kan ik uitstel krijgen voor de aanslag gemeentelijke belastingen?", channel="phone",
        topic_slug="belastingen", internal_note="Mevrouw Jansen, Kerkstraat 41, is boos."))
    assign_to_expert(session, T0, question, gemeente["bea"].id, due_at=T0 + timedelta(days=2), actor_id=None)
    accept_question(session, T0, question, expert_id=gemeente["bea"].id)
    answer_question(session, T0, question, expert_id=gemeente["bea"].id, worth_keeping=True, body=(
        "Beste mevrouw Jansen,\n\nJa, vraag uitstel aan via Mijn Loket. Voor Kerkstraat 41, 1234 AB Wadderveen "
        "staat de aanslag nu open; bel 06-12345678 als het niet lukt.\n\nMet vriendelijke groet,\nBea Belasting"))
    session.commit()
    draft = session.scalar(select(Article).where(Article.status == "draft"))

    editor = person()
    page = editor.sign_in("editor@example.org")
    page.goto(f"/editor/articles/{draft.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Kan ik uitstel krijgen voor de aanslag gemeentelijke belastingen?")
    expect(page.locator("article .crumbs")).to_contain_text("nl")
    expect(page.locator("article .body")).not_to_contain_text("Beste mevrouw")
    expect(page.locator("article .body")).not_to_contain_text("Bea Belasting")
    flags = page.locator(".privacy-flags li")
    expect(flags).to_have_count(3)
    shot(editor, "5_draft_flagged")
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator("p.flash-danger")).to_contain_text("may still hold personal data")
    while flags.count():
        flags.first.get_by_role("button", name="clear").click()
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator(".flash-success")).to_have_text("Published (internal).")


def test_a_question_of_20000_characters_is_refused_with_a_message_not_cut(person, session, gemeente):
    customer = dutch(person)
    page = customer.page
    page.goto("/ask")
    long_text = ("Mijn vraag over de afvalstoffenheffing is lang. " * 420)[:20_000]
    box = page.get_by_label("Vraag")
    box.fill(long_text)
    assert len(box.input_value()) == 20_000  # the browser did not cut it
    page.get_by_role("button", name="Verstuur mijn vraag").click()
    expect(page.locator(".error")).to_contain_text("Een vraag heeft hoogstens 10.000 tekens.")
    assert len(page.get_by_label("Vraag").input_value()) == 20_000  # kept for the customer to shorten
    assert session.scalar(select(Question)) is None
    shot(customer, "6_long_question_refused")


def test_the_editor_finds_one_draft_among_many_and_the_admin_saves_a_promise_from_its_defaults(
        person, session, gemeente):
    for n in range(40):
        make_article(session, f"Concept {n:02d} over afval", f"Tekst {n}.", status="draft", topics=("afval",),
                     language="nl")
    make_article(session, "Tweede hond aanmelden", "Het tarief voor een tweede hond is € 120.", status="draft",
                 topics=("belastingen",), language="nl")
    editor = person()
    page = editor.sign_in("editor@example.org")
    expect(page.locator(".queue-section", has_text="Draft").locator("tbody tr")).to_have_count(10)
    page.get_by_role("link", name="Show all 41 draft →").click()
    expect(page.locator(".pager")).to_contain_text("Page 1 of 2 (41 articles)")
    page.get_by_label("Search articles").fill("tweede hond")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator(".queue-section tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Tweede hond aanmelden")
    shot(editor, "6_editor_queue_search")

    admin = person()
    make_user(session, "admin", email="admin@example.org", name="Ad Admin")
    apage = admin.sign_in("admin@example.org")
    apage.goto("/admin/policies")
    expect(apage.get_by_label("Accept within (minutes)")).to_have_value("60")
    apage.get_by_label("Topic").select_option(label="Belastingen")
    apage.get_by_label("Answer within (business hours)").fill("24")
    apage.get_by_label("Alarm before due (minutes)").fill("")
    apage.get_by_role("button", name="Save").click()
    expect(apage.locator(".flash-success")).to_have_text("Policy saved.")
    expect(apage.locator("body")).not_to_contain_text("This field is required")
    expect(apage.locator("tr", has_text="Belastingen")).to_contain_text("24 business hours")
    expect(apage.locator("tr", has_text="Belastingen")).to_contain_text("120 min")
    shot(admin, "6_admin_promise_defaults")


def test_a_search_without_a_confident_answer_says_so_and_offers_the_ask_form(person, session, gemeente):
    """The public page reads the search's `answer_found`: nonsense gets "no direct answer" with the ask link
    carrying the words; a search that finds its article does not."""
    make_article(session, "Grofvuil laten ophalen", "Maak een afspraak via de website; het kost € 25.",
                 topics=("afval",), language="nl")
    make_article(session, "Afvalpas aanvragen", "Met de afvalpas kunt u naar de milieustraat.",
                 topics=("afval",), language="nl")
    customer = dutch(person)
    page = customer.page
    page.goto("/?q=recept+voor+appeltaart+met+afval")
    notice = page.locator(".no-direct-answer")
    expect(notice).to_contain_text("Geen direct antwoord gevonden.")
    expect(notice.get_by_role("link")).to_have_attribute("href", "/ask?q=recept+voor+appeltaart+met+afval")
    shot(customer, "4_no_direct_answer")
    notice.get_by_role("link").click()
    expect(page.get_by_label("Vraag")).to_have_value("recept voor appeltaart met afval")

    page.goto("/?q=grofvuil+laten+ophalen")
    expect(page.get_by_role("link", name="Grofvuil laten ophalen")).to_be_visible()
    expect(page.locator(".no-direct-answer")).to_have_count(0)
