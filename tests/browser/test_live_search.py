"""Search as you type in a real browser: it shows that it is searching, and the log keeps one row per search."""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from routing.models import SearchLog
from tests.factories import make_article

pytestmark = pytest.mark.browser


def test_a_customer_typing_sees_searching_and_leaves_one_search_with_the_article_they_opened(person, session):
    article = make_article(session, "Paspoort aanvragen", "Een paspoort vraagt u aan bij de balie.", language="nl")
    page = person().page
    slow = []

    def answer_slowly(route):  # a search that takes a moment, as on a busy server
        slow.append(route.request.url)
        time.sleep(0.4)
        route.continue_()

    page.route(re.compile(r".*/api/v1/search\?.*"), answer_slowly)
    page.goto("/")
    box = page.get_by_role("combobox", name="Search")
    box.click()
    box.press_sequentially("paspoort", delay=150)

    expect(page.locator("#search-status")).to_have_text("Searching…")
    expect(page.locator("#search-results")).to_have_attribute("aria-busy", "true")
    hit = page.locator("#search-results [role=option]", has_text="Paspoort aanvragen")
    expect(hit).to_be_visible()
    expect(page.locator("#search-results")).to_have_attribute("aria-busy", "false")
    hit.get_by_role("link").click()
    page.wait_for_url(re.compile(rf"/articles/{article.id}\?s=\d+$"))

    assert len(slow) >= 2, "typing sent only one request: the test proves nothing about keystrokes"
    session.expire_all()
    rows = session.scalars(select(SearchLog)).all()
    assert [(row.query, row.opened_kind, row.opened_id) for row in rows] == [("paspoort", "article", article.id)]
