"""Editor and admin at a real team's scale: a paged, filterable, searchable queue; a promise form that starts
from the defaults; a demo with promises per topic; analytics filters in reading order; chart labels whole."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from routing.models import RoutingPolicy
from tests.factories import make_article, make_topic


def test_the_editor_queue_is_paged_filtered_and_searchable(client, auth, session, people):
    make_topic(session, "afval", "Afval")
    for n in range(60):
        make_article(session, f"Concept {n:02d} over afval", f"Tekst {n}.", status="draft", topics=("afval",),
                     language="nl")
    make_article(session, "Hondenbelasting", "Het tarief voor een tweede hond is € 120.", status="draft")
    auth.login(people["editor"].email)

    overview = client.get("/editor/").get_data(as_text=True)
    assert overview.count("Concept ") == 10 and "Show all 61 draft →" in overview

    page3 = client.get("/editor/?status=draft&page=3").get_data(as_text=True)
    assert "Page 3 of 3 (61 articles)" in page3 and "Concept 50 over afval" in page3
    assert "Concept 49 over afval" not in page3 and "← Previous" in page3 and "Next →" not in page3

    found = client.get("/editor/?q=tweede+hond").get_data(as_text=True)
    assert "Hondenbelasting" in found and "Concept" not in found
    dutch = client.get("/editor/?status=draft&language=en").get_data(as_text=True)
    assert "Hondenbelasting" in dutch and "Concept" not in dutch
    by_topic = client.get("/editor/?status=draft&topic=afval").get_data(as_text=True)
    assert "(60 articles)" in by_topic and "Hondenbelasting" not in by_topic
    assert client.get("/editor/?status=nonsense&page=-4&language=xx").status_code == 200


def test_the_promise_form_starts_from_the_defaults_and_takes_them_for_an_empty_field(client, auth, session, people):
    topic = make_topic(session, "belastingen", "Belastingen")
    auth.login(people["admin"].email)
    form = client.get("/admin/policies").get_data(as_text=True)
    assert re.search(r'id="accept_within_minutes"[^>]*value="60"', form)
    assert re.search(r'id="answer_within_hours"[^>]*value="16"', form)
    assert re.search(r'id="escalate_before_minutes"[^>]*value="120"', form)
    saved = auth.post("/admin/policies", {"topic": str(topic.id), "accept_within_minutes": "",
                                          "answer_within_hours": "8", "escalate_before_minutes": "",
                                          "coordinator": ""})
    assert saved.status_code == 303, saved.get_data(as_text=True)
    assert "This field is required" not in client.get(saved.location).get_data(as_text=True)
    policy = session.scalar(select(RoutingPolicy))
    assert (policy.accept_within_minutes, policy.answer_within_hours, policy.escalate_before_minutes) == (60, 8, 120)


def test_the_demo_has_a_promise_for_every_top_level_topic(runner, session):
    from knowledge.models import Topic
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    top = session.scalars(select(Topic).where(Topic.parent_id.is_(None))).all()
    with_policy = session.scalar(select(func.count()).select_from(RoutingPolicy).where(
        RoutingPolicy.topic_id.in_([t.id for t in top])))
    assert with_policy == len(top) >= 8
    hours = set(session.scalars(select(RoutingPolicy.answer_within_hours)))
    assert len(hours) > 1  # the promises differ per topic


def test_the_analytics_topic_filter_is_in_reading_order(client, auth, session, people):
    taxes = make_topic(session, "taxes", "Taxes")
    make_topic(session, "dog-tax", "Dog tax", parent=taxes)
    make_topic(session, "bins", "Bins")
    make_topic(session, "zoning", "Zoning", parent=taxes)
    auth.login(people["admin"].email)
    page = client.get("/analytics/").get_data(as_text=True)
    select_html = page.split('name="topic"')[1].split("</select>")[0]
    shown = re.findall(r'<option value="[\w-]+"[^>]*>([^<]+)</option>', select_html)
    assert shown == sorted(shown, key=str.casefold) and shown[0] == "Bins"


def test_bar_chart_labels_get_the_room_they_need(app):
    from app.analytics.charts import CHAR_WIDTH, bar_chart
    label = "Omgevingsvergunning › Kappen van bomen"
    with app.test_request_context():  # the chart writes numbers in the reader's language
        svg = str(bar_chart([(label, 3.0), ("Afval", 1.0)], title="Per topic"))
    x = float(re.search(r'<text x="([\d.]+)" y="\d+" text-anchor="end"[^>]*>' + re.escape(label.replace("›", "›")),
                        svg).group(1))
    assert label in svg and x >= len(label) * CHAR_WIDTH  # the whole label fits left of the bars
