"""The customer's side in Dutch, the organisation's language, walked in Chromium: no English interface text on
any page (home, search as you type, search results, article, the ask form with its errors, the asked page, the
tracking page, the staff sign-in page), times in the organisation's zone; the NL/EN switch turns the same pages
English (no Dutch interface text left) and back.

"English text" is read from the catalog (tests/browser/dutch.py): every msgid of two words or more whose Dutch
differs. Screenshots in test-artifacts/browser/dutch_*.png.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from routing.models import Question
from tests.browser.dutch import dutch_on, english_on
from tests.factories import make_article, make_expert, make_topic

pytestmark = pytest.mark.browser

DUTCH_BROWSER = {"Accept-Language": "nl-NL,nl;q=0.9"}


@pytest.fixture
def wadderveen(app, session):
    """The organisation speaks Dutch (DEFAULT_LOCALE nl); a Dutch article about bulky waste, an expert for it."""
    app.config.update(DEFAULT_LOCALE="nl", BABEL_DEFAULT_LOCALE="nl")
    make_topic(session, "afval", "Afval")
    article = make_article(session, "Grofvuil laten ophalen", "Maak een afspraak via de website; het kost € 25.",
                           topics=("afval",), language="nl")
    make_expert(session, "Erik Expert", knows={"afval": 3})
    return article


def in_dutch(customer, name: str) -> None:
    """The page has no English interface text; its screenshot is kept."""
    customer.screenshot(f"dutch_{name}")
    left = english_on(customer.page)
    assert not left, f"English on the Dutch {name} page ({customer.page.url}): {left}"
    expect(customer.page.locator("html")).to_have_attribute("lang", "nl")


def in_english(customer, name: str) -> None:
    customer.screenshot(f"english_{name}")
    left = dutch_on(customer.page)
    assert not left, f"Dutch on the English {name} page ({customer.page.url}): {left}"
    expect(customer.page.locator("html")).to_have_attribute("lang", "en")


def test_a_customer_walks_the_public_side_in_dutch_and_switches_to_english_and_back(person, session, wadderveen):
    customer = person()
    customer.context.set_extra_http_headers(DUTCH_BROWSER)
    page = customer.page

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Waarmee kunnen we u helpen?")
    in_dutch(customer, "1_home")

    # Search as you type: the script's words come from the page, in Dutch.
    page.get_by_role("combobox").press_sequentially("grofvuil", delay=20)
    expect(page.locator("#search-status")).to_have_text(re.compile(r"^1 resultaat in \d+ ms$"))
    expect(page.locator("#search-results .kind")).to_have_text("Artikel")
    in_dutch(customer, "2_search_as_you_type")

    page.get_by_role("combobox").press("Enter")  # the hero's form submits to the results page
    page.wait_for_url(re.compile(r"/\?q=grofvuil(&continues=\d+)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Antwoorden voor “grofvuil”")
    in_dutch(customer, "3_results")

    page.get_by_role("link", name="Grofvuil laten ophalen").click()
    expect(page.locator("form.rate")).to_contain_text("Had u hier iets aan?")
    in_dutch(customer, "4_article")

    page.locator(".ask-next").get_by_role("link", name="Stel uw vraag →").click()
    page.get_by_label("Vraag").fill("")
    page.get_by_label("E-mail").fill("geen-adres")
    page.get_by_role("button", name="Verstuur mijn vraag").click()
    expect(page.locator(".error").first).to_be_visible()
    errors = page.locator(".error").all_inner_texts()
    assert "Beschrijf uw vraag." in errors and "Ongeldig e-mailadres." in errors, errors
    in_dutch(customer, "5_ask_with_errors")

    page.get_by_label("Vraag").fill("Hoeveel kost het als ik twee keer grofvuil laat ophalen?")
    page.get_by_label("E-mail").fill("jan@example.nl")
    page.get_by_role("button", name="Verstuur mijn vraag").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("We hebben uw vraag")
    question = session.scalars(select(Question).order_by(Question.id.desc())).first()
    # Monday 2 March 2026, 09:30 UTC is 10:30 in Wadderveen; the promise is said in Dutch, in local time.
    expect(page.locator("main")).to_contain_text("Team Afval antwoordt uiterlijk")
    expect(page.locator("main")).to_contain_text(re.compile(r"(ma|di|wo|do|vr|za|zo)\.? \d{1,2} \w+\.? \d\d:\d\d"))
    in_dutch(customer, "6_asked")

    page.locator("a code.copy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Uw vraag ligt bij Team Afval.")
    expect(page.locator(".timeline")).to_contain_text("Doorgegeven aan Team Afval")
    assert question.reference in page.locator(".crumbs").inner_text()
    in_dutch(customer, "7_tracking")

    # The switch: the same page in English, then back in Dutch.
    page.locator(".language-switch").get_by_role("button", name="EN").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your question is with Team Afval.")
    in_english(customer, "7_tracking")
    page.goto("/?q=grofvuil")
    expect(page.get_by_role("heading", level=1)).to_have_text("Answers for “grofvuil”")
    in_english(customer, "3_results")
    page.get_by_role("link", name="Grofvuil laten ophalen").click()
    expect(page.locator("form.rate")).to_contain_text("Was this helpful?")
    in_english(customer, "4_article")
    page.locator(".ask-next").get_by_role("link", name="Ask your question →").click()
    page.get_by_label("Question").fill("")
    page.get_by_role("button", name="Send my question").click()
    expect(page.locator(".error").first).to_have_text("Please describe the question.")
    in_english(customer, "5_ask_with_errors")

    page.locator(".language-switch").get_by_role("button", name="NL").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vraag het ons")
    in_dutch(customer, "8_back_in_dutch")
    assert not customer.dialogs


def test_the_staff_sign_in_page_is_dutch(person, wadderveen):
    visitor = person()
    visitor.context.set_extra_http_headers(DUTCH_BROWSER)
    page = visitor.page
    page.goto("/frontoffice/")
    page.wait_for_url(re.compile(r"/login"))
    expect(page.locator(".flash")).to_have_text("Log in om die pagina te zien.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen medewerkers")
    expect(page.get_by_label("Wachtwoord")).to_be_visible()
    page.get_by_label("E-mail").fill("niemand@example.org")
    page.get_by_label("Wachtwoord").fill("verkeerd wachtwoord")
    page.get_by_role("button", name="Inloggen").click()
    expect(page.locator(".error")).to_have_text("Onbekend e-mailadres of verkeerd wachtwoord.")
    in_dutch(visitor, "9_login")
