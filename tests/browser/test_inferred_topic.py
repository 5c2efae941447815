"""The intake form shows the topic inferred from the text as the agent notes it, in a real browser (#13)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from routing.models import Event, Question
from tests.factories import make_expert, make_topic, make_user

pytestmark = pytest.mark.browser


def test_the_agent_sees_the_inferred_topic_preselected_and_a_correction_is_recorded(person, session):
    taxes = make_topic(session, "taxes", "Belastingen")
    make_topic(session, "property-tax", "WOZ", parent=taxes)
    make_topic(session, "dog-tax", "Hondenbelasting", parent=taxes)
    make_expert(session, "Annelies de Vries", knows={"property-tax": 3})
    make_user(session, "agent", email="agent@example.org", name="Noor")
    session.commit()

    agent = person()
    page = agent.sign_in("agent@example.org")
    page.goto("/frontoffice/questions/new")
    page.get_by_label("Question").fill("Mevrouw belt over haar WOZ-beschikking, vindt de waarde te hoog.")
    page.get_by_label("Name").click()  # leaving the text is when the form asks what it is about
    expect(page.locator("#inferred-topic")).to_have_text("Lijkt op: Belastingen › WOZ (1,00)")
    expect(page.get_by_label("Topic")).to_have_value("property-tax")
    agent.screenshot("inferred-topic")

    page.get_by_label("Topic").select_option("dog-tax")  # the agent knows better
    page.get_by_role("button", name="Take in and route to the best expert").click()
    page.wait_for_url(lambda url: "/questions/VB-" in url)
    session.expire_all()
    question = session.scalars(select(Question)).one()
    corrected = session.scalars(select(Event).where(Event.kind == "topic_corrected")).one()
    assert corrected.question_id == question.id
    assert corrected.payload == {"inferred": "property-tax", "chosen": "dog-tax"}
