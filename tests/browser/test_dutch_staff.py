"""Staff read the interface in their own language: every page of every role in Dutch for a colleague whose
locale is "nl" (no English interface text read from the catalog left on it), and in English for one whose
locale is "en". The demo is loaded (Gemeente Wadderveen); its Dutch admin, agent and expert sign in, and its
editor is switched to Dutch, since the demo's editors read English. Each page ends as a screenshot in
test-artifacts/browser/dutch_staff_*.png.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.demo.load import load_demo
from knowledge.models import Article, User
from routing.models import OPEN_STATUSES, Event, Question
from tests.browser.dutch import dutch_on, english_on, page_text

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(app, session, clock):
    load_demo(session, clock.now, password=app.config["DEMO_PASSWORD"])
    session.commit()
    return app.config["DEMO_PASSWORD"]


def _walk(staff, pages: list[tuple[str, str]], *, dutch: bool) -> dict[str, list[str]]:
    """Opens each page; returns, per page, the texts in the wrong language (none expected)."""
    wrong = {}
    for name, url in pages:
        response = staff.page.goto(url)
        assert response.status == 200, f"{url}: {response.status}"
        staff.screenshot(f"dutch_staff_{name}" if dutch else f"english_staff_{name}")
        left = english_on(staff.page) if dutch else dutch_on(staff.page)
        if left:
            wrong[url] = left
    return wrong


def _user(session, email: str) -> User:
    return session.scalars(select(User).where(User.email == email)).one()


def _routed_question(session) -> Question:
    """An open question of the demo's history, routed to someone."""
    routed = select(Event.question_id).where(Event.kind == "routed")
    return session.scalars(select(Question).where(Question.id.in_(routed), Question.status.in_(OPEN_STATUSES))
                           .order_by(Question.id)).first()


def test_each_role_reads_every_page_in_dutch(demo, person, session):
    agent, expert, admin = (_user(session, f"{n}@wadderveen.example.org") for n in ("noor", "annelies", "thijs"))
    assert (agent.locale, expert.locale, admin.locale) == ("nl", "nl", "nl")
    editor = _user(session, "sanne@wadderveen.example.org")
    editor.locale = "nl"
    session.commit()

    question = _routed_question(session)
    mine = session.scalars(select(Question).where(Question.owner_id == expert.id, Question.status.in_(OPEN_STATUSES))
                           .order_by(Question.id)).first() or question
    article = session.scalars(select(Article).where(Article.status == "published").order_by(Article.id)).first()
    last = max(r.number for r in article.revisions)

    wrong = {}
    staff = person()
    staff.sign_in(agent.email, demo)
    wrong |= _walk(staff, [
        ("agent_home", "/frontoffice/"),
        ("agent_caller", f"/frontoffice/caller?contact={question.reference}"),
        ("agent_new_question", "/frontoffice/questions/new?q=Wanneer+wordt+het+grofvuil+opgehaald"),
    ], dutch=True)
    staff.page.locator("textarea[name=text]").fill("Mijn container is niet geleegd, wanneer komen jullie terug?")
    staff.page.locator("#intake button[type=submit]").click()
    staff.page.wait_for_url(re.compile(r"/frontoffice/questions/VB-"))
    taken_in = staff.page.url.rsplit("/", 1)[1]
    wrong |= _walk(staff, [("agent_question", f"/frontoffice/questions/{taken_in}")], dutch=True)
    candidates = page_text(staff.page)
    assert "Overwogen kandidaten" in candidates and "Bij" in candidates
    assert re.search(r"\d,\d\d", candidates), "scores are written the Dutch way (0,82)"

    staff = person()
    staff.sign_in(expert.email, demo)
    wrong |= _walk(staff, [("expert_inbox", "/inbox/"),
                           ("expert_question", f"/inbox/questions/{mine.reference}")], dutch=True)
    assert "Vergelijkbare beantwoorde vragen" in page_text(staff.page)

    staff = person()
    staff.sign_in(editor.email, demo)
    wrong |= _walk(staff, [("editor_queue", "/editor/"), ("editor_new", "/editor/articles/new"),
                           ("editor_edit", f"/editor/articles/{article.id}/edit")], dutch=True)
    staff.page.locator("input[name=note]").fill("Openingstijden bijgewerkt")
    staff.page.locator("form.editor-grid button[type=submit]").click()  # a new revision, so there is a diff
    staff.page.wait_for_url(re.compile(rf"/editor/articles/{article.id}$"))
    assert "Opgeslagen als nieuwe versie." in page_text(staff.page)
    wrong |= _walk(staff, [("editor_article", f"/editor/articles/{article.id}"),
                           ("editor_revision", f"/editor/articles/{article.id}/revisions/{last}"),
                           ("editor_diff", f"/editor/articles/{article.id}/diff?from={last}&to={last + 1}")],
                   dutch=True)
    assert "Versie" in page_text(staff.page)

    staff = person()
    staff.sign_in(admin.email, demo)
    wrong |= _walk(staff, [
        ("admin_home", "/admin/"), ("admin_experts", "/admin/experts"), ("admin_expert", f"/admin/experts/{expert.id}"),
        ("admin_topics", "/admin/topics"), ("admin_policies", "/admin/policies"),
        ("admin_user", f"/admin/users/{agent.id}"), ("admin_new_user", "/admin/users/new"),
        ("analytics_overview", "/analytics/"), ("analytics_flow", "/analytics/flow"),
        ("analytics_self_service", "/analytics/self-service"),
        ("analytics_load", f"/analytics/load?expert={expert.id}"),
        ("analytics_timeline", f"/analytics/questions/{taken_in}"),
    ], dutch=True)
    assert not wrong, "English left on Dutch pages:\n" + "\n".join(f"{u}: {t}" for u, t in wrong.items())


def test_a_colleague_whose_locale_is_english_reads_english(demo, person, session):
    agent = _user(session, "priya@wadderveen.example.org")
    assert agent.locale == "en"
    staff = person()
    staff.sign_in(agent.email, demo)
    wrong = _walk(staff, [("agent_home", "/frontoffice/"), ("agent_new_question", "/frontoffice/questions/new")],
                  dutch=False)
    staff.page.locator("textarea[name=text]").fill("My bin was not emptied, when will you come back?")
    staff.page.locator("#intake button[type=submit]").click()
    staff.page.wait_for_url(re.compile(r"/frontoffice/questions/VB-"))
    wrong |= _walk(staff, [("agent_question", staff.page.url)], dutch=False)
    shown = page_text(staff.page)
    assert "Candidates considered" in shown and "The customer's question" in shown
    assert re.search(r"\b0\.\d\d\b", shown), "scores are written the English way (0.82)"
    assert not wrong, "Dutch on English pages:\n" + "\n".join(f"{u}: {t}" for u, t in wrong.items())
