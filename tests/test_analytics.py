"""Process memory and analytics: a known history of events, and every figure asserted exactly.

The history (times are UTC, T0 = Monday 2 March 2026 09:00, "now" = Tuesday 10 March 09:00):

  Q1 parking/phone  received T0, routed to Petra +10 min, accepted +30 min, answered +2 h, closed +3 h
  Q2 parking/web    received T0+1 h, routed to Petra +5 min, re-routed to Pim +65 min (not accepted),
                    accepted by Pim +95 min, forwarded to Petra +120 min, answered T0+1 h+2 days:
                    one day after its promise
  Q3 parking/phone  received T0+2 h, answered from the knowledge base 5 min later
  Q4 waste/email    received T0+1 day, routed to Willem +15 min, escalated +45 min, customer asked +1 h,
                    customer replied +3 h (the promise moves 2 h), answered +5 h: in time
  Q5 waste/web      received T0+7 days, routed to Willem +10 min (promise: 1 h), accepted +20 min, still open
  Q6 permits/phone  received T0+8 days−2 h, routed to Pim +5 min, not accepted yet
  Q0 waste/phone    received the day before the period: outside every figure of the period
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select

from app.analytics import bp as analytics_bp
from app.analytics.charts import bar_chart, draw, duration, histogram, line_chart, route_diagram
from app.analytics.routes import PAGES as REPORT_PAGES
from app.api.events import bp as events_api_bp
from app.auth.session import issue_api_token
from routing.analytics import (
    Filters,
    Period,
    Times,
    event_log,
    expert_load,
    flow,
    overview,
    question_timeline,
    self_service,
)
from routing.analytics.report import SECONDS, SHARE, Bars, Lines
from routing.events import rebuild_question_facts, record_event
from routing.models import Ownership, QuestionFacts, SearchLog, StepWait
from routing.questions import (
    Customer,
    NewQuestion,
    accept_question,
    answer_from_knowledge_base,
    answer_question,
    assign_to_expert,
    close_question,
    forward_question,
    rate_answer,
    record_customer_reply,
    request_customer_info,
    take_in_question,
)
from tests.factories import make_article, make_expert, make_topic, make_user

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
NOW = T0 + timedelta(days=8)
MARCH = Period(date(2026, 3, 2), date(2026, 3, 15))
MIN, HOUR, DAY = 60, 3600, 86400


@pytest.fixture
def app(app):
    """The analytics blueprints, registered here until the app factory does it (only when missing)."""
    if "analytics" not in app.blueprints:
        app.register_blueprint(analytics_bp, url_prefix="/analytics")
    if "events_api" not in app.blueprints:
        app.register_blueprint(events_api_bp, url_prefix="/api/v1")
    return app


def _ask(session, at, text, channel, topic):
    question, _ = take_in_question(session, at, NewQuestion(text=text, channel=channel, topic_slug=topic,
                                                            customer=Customer(name="Mevr. Jansen")))
    return question


@pytest.fixture
def history(session, clock):
    parking = make_topic(session, "parking", "Parking")
    make_topic(session, "visitor-parking", "Visitor parking", parent=parking)
    make_topic(session, "waste", "Waste")
    make_topic(session, "permits", "Permits")
    petra = make_expert(session, "Petra Parkeer", knows={"parking": 3}, capacity=2)
    pim = make_expert(session, "Pim Parkeer", knows={"parking": 1}, capacity=3)
    willem = make_expert(session, "Willem Afval", knows={"waste": 3}, capacity=5)
    cor = make_user(session, "expert", "admin", name="Cor Coordinator", email="cor@example.org")
    agent = make_user(session, "agent", name="Anna Agent", email="agent@example.org")
    make_user(session, "editor", name="Eva Editor", email="editor@example.org")
    make_article(session, "Bin collection days", topics=("waste",), status="published")
    make_article(session, "Parking permits for visitors", topics=("parking",), status="draft")
    opening_hours = make_article(session, "Opening hours of the town hall")

    q0 = _ask(session, T0 - timedelta(hours=20), "Is the container park open?", "phone", "waste")
    answer_from_knowledge_base(session, T0 - timedelta(hours=19), q0, opening_hours, actor_id=agent.id)

    q1 = _ask(session, T0, "Can my visitor park in front of my house?", "phone", "parking")
    assign_to_expert(session, T0 + timedelta(minutes=10), q1, petra.id, due_at=T0 + timedelta(days=2), actor_id=agent.id,
                     reason="specialist in Parking")
    record_event(session, T0 + timedelta(hours=1), "customer_viewed", question=q1)  # not a process step
    accept_question(session, T0 + timedelta(minutes=30), q1, expert_id=petra.id)
    answer_question(session, T0 + timedelta(hours=2), q1, expert_id=petra.id, body="Yes, with visitor hours.")
    close_question(session, T0 + timedelta(hours=3), q1, actor_id=petra.id)

    t2 = T0 + timedelta(hours=1)
    q2 = _ask(session, t2, "Why did I get a parking fine on a Sunday?", "web", "parking")
    assign_to_expert(session, t2 + timedelta(minutes=5), q2, petra.id, due_at=t2 + timedelta(days=1), actor_id=None)
    assign_to_expert(session, t2 + timedelta(minutes=65), q2, pim.id, due_at=t2 + timedelta(days=1), actor_id=None,
                     reason="not accepted within 60 minutes: handed on")
    accept_question(session, t2 + timedelta(minutes=95), q2, expert_id=pim.id)
    forward_question(session, t2 + timedelta(minutes=120), q2, from_id=pim.id, to_id=petra.id,
                     reason="Fines on Sundays are Petra's")
    answer_question(session, t2 + timedelta(days=2), q2, expert_id=petra.id, body="Sunday is a paid day here.")

    q3 = _ask(session, T0 + timedelta(hours=2), "When is the town hall open?", "phone", "parking")
    answer_from_knowledge_base(session, T0 + timedelta(hours=2, minutes=5), q3, opening_hours, actor_id=agent.id)

    t4 = T0 + timedelta(days=1)
    q4 = _ask(session, t4, "My green bin was not emptied.", "email", "waste")
    assign_to_expert(session, t4 + timedelta(minutes=15), q4, willem.id, due_at=t4 + timedelta(hours=4, minutes=15),
                     actor_id=None)
    record_event(session, t4 + timedelta(minutes=45), "escalated", question=q4, to_user_id=cor.id,
                 due_at=q4.due_at.isoformat(), reason="the promised time is near")
    request_customer_info(session, t4 + timedelta(hours=1), q4, expert_id=willem.id, message="Which street?")
    record_customer_reply(session, t4 + timedelta(hours=3), q4, message="Kerkstraat")
    answer_question(session, t4 + timedelta(hours=5), q4, expert_id=willem.id, body="We come tomorrow.")

    t5 = T0 + timedelta(days=7)
    q5 = _ask(session, t5, "Can I order a bigger bin?", "web", "waste")
    assign_to_expert(session, t5 + timedelta(minutes=10), q5, willem.id, due_at=t5 + timedelta(hours=1), actor_id=None)
    accept_question(session, t5 + timedelta(minutes=20), q5, expert_id=willem.id)

    t6 = NOW - timedelta(hours=2)
    q6 = _ask(session, t6, "Do I need a permit for a skip on the street?", "phone", "permits")
    assign_to_expert(session, t6 + timedelta(minutes=5), q6, pim.id, due_at=t6 + timedelta(days=2), actor_id=None)

    def search(at, query, results, role="public", question=None, answer_found=None):
        session.add(SearchLog(at=at, query=query, role=role, result_count=results, answer_found=answer_found,
                              question_id=question.id if question else None))

    search(T0 - timedelta(days=1), "container park", 0, answer_found=False)  # before the period
    search(T0 + timedelta(minutes=1), "parking visitor", 3, answer_found=True)
    search(T0 + timedelta(hours=4), "bulky waste on sunday", 0, answer_found=False)
    search(T0 + timedelta(days=2), "Bulky waste on Sunday", 0, role="agent", answer_found=False)
    search(T0 + timedelta(days=3), "parking fine appeal", 0)  # logged before answer_found was recorded
    search(t5 - timedelta(minutes=2), "bigger bin", 1, question=q5, answer_found=False)  # a weak result only
    session.commit()
    clock.now = NOW
    return {"q1": q1, "q2": q2, "q3": q3, "q4": q4, "q5": q5, "q6": q6, "petra": petra, "pim": pim,
            "willem": willem, "cor": cor, "agent": agent}


# --- the figures ----------------------------------------------------------------------------------------

def test_response_times_sla_and_escalations_per_topic(session, history):
    figures = overview(session, Filters(MARCH), NOW)

    assert [(t.topic, t.questions) for t in figures.topics] == [("Parking", 3), ("Waste", 2), ("Permits", 1)]
    parking, waste, permits = figures.topics
    # Q1 accepted after 30 min, Q2 after 95 min, Q3 answered from the knowledge base after 5 min
    assert parking.first_response == Times(3, 30 * MIN, 95 * MIN)
    assert parking.answer == Times(3, 2 * HOUR, 2 * DAY)
    assert (parking.sla.met, parking.sla.breached, parking.sla.pending, parking.sla.compliance) == (1, 1, 0, 0.5)
    assert (parking.escalations, parking.reroutes, parking.forwards) == (0, 1, 1)
    assert waste.first_response == Times(2, 40 * MIN, 60 * MIN)  # median of 20 and 60 minutes
    assert waste.answer == Times(1, 5 * HOUR, 5 * HOUR)
    # Q4 answered 1 h before its moved promise; Q5 is open an hour past it
    assert (waste.sla.met, waste.sla.breached, waste.sla.pending) == (1, 1, 0)
    assert (waste.escalations, waste.reroutes, waste.forwards) == (1, 0, 0)
    assert permits.first_response == Times(0, None, None)
    assert (permits.sla.met, permits.sla.breached, permits.sla.pending, permits.sla.compliance) == (0, 0, 1, None)

    total = figures.total
    assert total.questions == 6
    assert total.first_response == Times(5, 30 * MIN, 95 * MIN)
    assert total.answer == Times(4, (2 * HOUR + 5 * HOUR) / 2, 2 * DAY)
    assert (total.sla.met, total.sla.breached, total.sla.pending) == (2, 2, 1)


def test_the_weekly_trend_and_the_breaches(session, history):
    figures = overview(session, Filters(MARCH), NOW)

    assert [(w.week, w.questions) for w in figures.weeks] == [(date(2026, 3, 2), 4), (date(2026, 3, 9), 2)]
    first, second = figures.weeks
    assert first.answer == Times(4, (2 * HOUR + 5 * HOUR) / 2, 2 * DAY)
    assert second.first_response == Times(1, 20 * MIN, 20 * MIN)
    assert (second.sla.met, second.sla.breached, second.sla.pending) == (0, 1, 1)
    assert [(b.reference, b.late, b.answered_at is None) for b in figures.breaches] == [
        (history["q5"].reference, timedelta(hours=23), True),
        (history["q2"].reference, timedelta(days=1), False),
    ]


def test_filters_narrow_to_a_topic_with_its_subtopics_a_channel_and_a_period(session, history):
    assert overview(session, Filters(MARCH, channel="web"), NOW).total.questions == 2
    assert overview(session, Filters(MARCH, topic_id=history["q1"].topic_id), NOW).total.questions == 3
    first_week = Filters(Period(date(2026, 3, 2), date(2026, 3, 8)))
    assert overview(session, first_week, NOW).total.questions == 4
    # the day before the period holds only Q0
    assert overview(session, Filters(Period(date(2026, 3, 1), date(2026, 3, 1))), NOW).total.questions == 1


def test_weeks_and_days_follow_the_organisation_s_time_zone(session, history):
    # In Amsterdam the period starts at Sunday 23:00 UTC: Q0 (Sunday 13:00 UTC) stays out.
    amsterdam = Period(date(2026, 3, 2), date(2026, 3, 15), "Europe/Amsterdam")
    assert amsterdam.start == datetime(2026, 3, 1, 23, 0, tzinfo=timezone.utc)
    figures = overview(session, Filters(amsterdam), NOW)
    assert [w.questions for w in figures.weeks] == [4, 2]


def test_handoffs_routes_and_where_questions_wait(session, history):
    figures = flow(session, Filters(MARCH))

    assert figures.routed_questions == 5  # all but Q3, answered at first contact
    assert figures.handoffs == (("0", 4), ("1", 0), ("2", 1), ("3", 0), ("4", 0), ("5+", 0))
    assert figures.mean_handoffs == 2 / 5
    assert [(r.owners, r.questions) for r in figures.routes] == [(("Petra Parkeer", "Pim Parkeer", "Petra Parkeer"), 1)]

    waits = {(w.after, w.before): (w.count, w.mean, w.p90) for w in figures.waits}
    assert waits[("received", "routed")] == (5, 540, 15 * MIN)  # 10, 5, 15, 10, 5 minutes
    assert waits[("routed", "accepted")] == (3, 20 * MIN, 30 * MIN)  # 20, 30, 10 minutes
    assert waits[("routed", "routed")] == (1, HOUR, HOUR)
    assert waits[("info_requested", "customer_replied")] == (1, 2 * HOUR, 2 * HOUR)
    assert waits[("received", "answered_from_kb")] == (1, 5 * MIN, 5 * MIN)
    assert ("accepted", "customer_viewed") not in waits and len(waits) == 12
    longest = figures.waits[0]
    assert (longest.after, longest.before, longest.mean) == ("forwarded", "answered", 2 * DAY - 2 * HOUR)


def test_first_contact_resolution_deflection_and_knowledge_gaps(session, history):
    figures = self_service(session, Filters(MARCH))

    assert [(c.channel, c.questions, c.answered_from_kb) for c in figures.channels] == [
        ("phone", 3, 1), ("web", 2, 0), ("email", 1, 0)]
    assert figures.channels[0].share == 1 / 3
    assert (figures.total.questions, figures.total.answered_from_kb) == (6, 1)
    # four public searches in the period, one of which became Q5
    assert (figures.deflection.public_searches, figures.deflection.without_question) == (4, 3)
    assert figures.deflection.share == 0.75
    # of the three public searches that recorded it, two found no direct answer (one had a weak result)
    assert (figures.direct_answers.searches, figures.direct_answers.without_answer) == (3, 2)
    assert [(g.query, g.searches) for g in figures.zero_result_queries] == [
        ("bulky waste on sunday", 2), ("parking fine appeal", 1)]
    # parking has only a draft article; waste has a published one
    assert [(t.slug, t.routed_questions) for t in figures.uncovered_topics] == [("parking", 2), ("permits", 1)]


def test_expert_load_is_replayed_day_by_day_against_capacity(session, history):
    load = expert_load(session, Filters(MARCH), NOW)

    assert load.days == tuple(date(2026, 3, d) for d in range(2, 11))  # up to today
    daily = {e.name: (e.capacity, e.daily) for e in load.experts}
    # Petra holds Q2 from Monday noon until Wednesday 10:00; Willem Q5 from 9 March; Pim Q6 from today.
    assert daily["Petra Parkeer"] == (2, (1, 1, 0, 0, 0, 0, 0, 0, 0))
    assert daily["Willem Afval"] == (5, (0, 0, 0, 0, 0, 0, 0, 1, 1))
    assert daily["Pim Parkeer"] == (3, (0, 0, 0, 0, 0, 0, 0, 0, 1))
    assert daily["Cor Coordinator"] == (5, (0,) * 9)  # an escalation does not change the owner
    assert load.total == (1, 1, 0, 0, 0, 0, 0, 1, 2)
    assert load.capacity == 2 + 3 + 5 + 5
    petra = next(e for e in load.experts if e.name == "Petra Parkeer")
    assert (petra.peak, petra.days_at_capacity) == (1, 0)


def test_a_reopened_question_is_back_on_the_load_of_the_expert_who_answered(session, history):
    rate_answer(session, T0 + timedelta(days=4, hours=2), history["q1"], helpful=False)  # Friday 11:00
    session.commit()

    load = expert_load(session, Filters(MARCH), NOW)
    petra = next(e for e in load.experts if e.name == "Petra Parkeer")
    assert petra.daily == (1, 1, 0, 0, 1, 1, 1, 1, 1)
    assert petra.days_at_capacity == 0 and petra.peak == 1


def test_a_question_s_timeline_shows_every_step_who_took_it_and_the_waits(session, history):
    timeline = question_timeline(session, history["q2"])

    assert [(s.kind, s.actor, s.to) for s in timeline.steps] == [
        ("received", "system", None),
        ("routed", "system", "Petra Parkeer"),
        ("routed", "system", "Pim Parkeer"),
        ("accepted", "Pim Parkeer", None),
        ("forwarded", "Pim Parkeer", "Petra Parkeer"),
        ("answered", "Petra Parkeer", None),
    ]
    assert [s.waited for s in timeline.steps] == [None] + [timedelta(minutes=m) for m in (5, 60, 30, 25)] + [
        timedelta(days=2, minutes=-120)]
    assert timeline.steps[4].note == "Fines on Sundays are Petra's"
    assert timeline.route == ("Petra Parkeer", "Pim Parkeer", "Petra Parkeer")
    assert timeline.handoffs == 2 and timeline.total == timedelta(days=2)


def test_the_event_log_names_case_activity_timestamp_and_resource(session, history):
    q2 = history["q2"].reference
    rows = [e.as_row() for e in event_log(session, filters=Filters(MARCH)) if e.case_id == q2]
    assert rows[0][:4] == (q2, "received", "2026-03-02T10:00:00Z", "system")
    assert rows[4][:4] + rows[4][5:] == (q2, "forwarded", "2026-03-02T12:00:00Z", "Pim Parkeer", "parking", "web",
                                         "Petra Parkeer")
    since = [e.activity for e in event_log(session, since=T0 + timedelta(days=7))]
    assert since == ["received", "routed", "accepted", "received", "routed"]  # Q5 and Q6


def _derived(session) -> dict:
    """Every derived row, without surrogate keys, in a stable order."""
    facts = session.execute(select(QuestionFacts.__table__).order_by(QuestionFacts.question_id)).all()
    waits = session.execute(select(StepWait.__table__).order_by(StepWait.event_id)).all()
    spans = session.execute(select(Ownership.question_id, Ownership.owner_id, Ownership.since, Ownership.until)
                            .order_by(Ownership.question_id, Ownership.since, Ownership.owner_id)).all()
    return {"facts": [tuple(r) for r in facts], "waits": [tuple(r) for r in waits], "spans": [tuple(r) for r in spans]}


def test_the_facts_kept_as_events_are_recorded_equal_the_facts_rebuilt_from_the_events(session, history):
    rate_answer(session, T0 + timedelta(days=4, hours=2), history["q1"], helpful=False)  # a reopen too
    session.commit()
    live = _derived(session)
    q2 = session.get(QuestionFacts, history["q2"].id)
    assert (q2.received_at, q2.channel, q2.status, q2.due_at, q2.answered_at) == (
        T0 + timedelta(hours=1), "web", "answered", T0 + timedelta(days=1, hours=1), T0 + timedelta(days=2, hours=1))
    assert (q2.first_response_at, q2.first_answer_at) == (T0 + timedelta(hours=2, minutes=35),
                                                          T0 + timedelta(days=2, hours=1))
    assert (q2.routed, q2.forwarded, q2.escalated, q2.answered_from_kb, q2.handoffs) == (2, 1, 0, False, 2)
    assert q2.route == f"[{history['petra'].id}, {history['pim'].id}, {history['petra'].id}]"
    session.expunge(q2)
    assert len(live["facts"]) == 7 and len(live["waits"]) == 1 + 5 + 5 + 1 + 5 + 2 + 1  # steps − 1, Q0 to Q6

    for model in (StepWait, Ownership, QuestionFacts):  # lose them all, then derive them again
        session.execute(delete(model))
    assert session.scalar(select(func.count()).select_from(QuestionFacts)) == 0
    assert rebuild_question_facts(session) == 7
    session.commit()
    assert _derived(session) == live

    # and rebuilding only some questions leaves every row as it was
    rebuild_question_facts(session, [history["q2"].id, history["q5"].id])
    session.commit()
    assert _derived(session) == live


def test_a_step_recorded_out_of_time_order_still_gives_the_waits_in_time_order(session, history):
    # Q6 was routed at 07:05; a late-entered escalation at 07:02 sits between received and routed
    record_event(session, NOW - timedelta(hours=2) + timedelta(minutes=2), "escalated", question=history["q6"],
                 to_user_id=history["cor"].id, reason="entered late")
    session.commit()
    waits = {(w.after, w.before): w.count for w in flow(session, Filters(MARCH)).waits}
    assert waits[("received", "escalated")] == 1 and waits[("escalated", "routed")] == 1
    assert waits[("received", "routed")] == 4


# --- the pages ------------------------------------------------------------------------------------------

PAGES = ["/analytics/", "/analytics/flow", "/analytics/self-service", "/analytics/load"]


@pytest.mark.parametrize("path", PAGES + ["/analytics/topics.csv", "/analytics/events.csv"])
def test_analytics_is_for_admins_and_editors_only(client, auth, history, path):
    assert client.get(path).status_code == 302  # to the sign-in page
    auth.login("agent@example.org")
    assert client.get(path).status_code == 403
    auth.logout()
    for who in ("editor@example.org", "cor@example.org"):
        auth.login(who)
        assert client.get(path + ("&" if "?" in path else "?") + "from=2026-03-02&to=2026-03-15").status_code == 200
        auth.logout()


def test_the_dashboard_draws_server_side_charts_of_the_figures(client, auth, history):
    auth.login("editor@example.org")
    page = client.get("/analytics/?from=2026-03-02&to=2026-03-15").get_data(as_text=True)
    assert page.count("<svg") >= 3 and "<script" not in page
    assert re.search(r"Parking</th>\s*<td[^>]*>3</td>", page)
    assert "1 h 35 min" in page  # Parking's p90 time to first response
    assert "50%" in page  # Parking's SLA compliance
    assert history["q5"].reference in page  # a breach, linked to its timeline

    load = client.get("/analytics/load?from=2026-03-02&to=2026-03-15").get_data(as_text=True)
    assert "<svg" in load and "Petra Parkeer" in load


def test_knowledge_gaps_offer_one_click_to_write_the_missing_article(client, auth, history):
    auth.login("editor@example.org")
    page = client.get("/analytics/self-service?from=2026-03-02&to=2026-03-15").get_data(as_text=True)
    assert "/editor/articles/new?title=bulky+waste+on+sunday" in page
    assert "/editor/articles/new?title=Parking&amp;topic=parking" in page
    assert "75%" in page  # deflection


def test_a_question_s_timeline_page_draws_its_route(client, auth, history):
    auth.login("cor@example.org")
    page = client.get(f"/analytics/questions/{history['q2'].reference}").get_data(as_text=True)
    assert "Fines on Sundays are Petra&#39;s" in page
    assert page.count("Petra Parkeer") >= 3 and "<svg" in page
    assert client.get("/analytics/questions/VB-2026-999999").status_code == 404


def test_every_table_exports_as_csv_with_the_same_figures(client, auth, history):
    auth.login("editor@example.org")
    response = client.get("/analytics/topics.csv?from=2026-03-02&to=2026-03-15")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    parking = next(r for r in rows if r["topic"] == "Parking")
    assert (parking["questions"], parking["first_response_median_s"], parking["sla_breached"]) == ("3", "1800", "1")
    for table in ("weeks", "breaches", "handoffs", "routes", "waits", "channels", "zero-result-queries",
                  "without-direct-answer", "uncovered-topics", "expert-load"):
        assert client.get(f"/analytics/{table}.csv?from=2026-03-02&to=2026-03-15").status_code == 200, table
    assert client.get("/analytics/nonsense.csv").status_code == 404
    events = list(csv.reader(io.StringIO(
        client.get("/analytics/events.csv?from=2026-03-02&to=2026-03-15").get_data(as_text=True))))
    assert events[0][:4] == ["case_id", "activity", "timestamp", "resource"]
    assert len(events) == 1 + 6 + 6 + 2 + 6 + 3 + 2  # the header, then every event of Q1–Q6


def test_each_report_s_page_shows_it_and_each_of_its_tables_exports_under_its_own_name(client, auth, history):
    names = [table.name for _, _, report in REPORT_PAGES for table in report.tables]
    assert len(names) == len(set(names)) and "events" not in names  # one URL, one table
    auth.login("editor@example.org")
    for path, _, report in REPORT_PAGES:
        assert client.get(f"/analytics{path}?from=2026-03-02&to=2026-03-15").status_code == 200, report.name
        for table in report.tables:
            exported = client.get(f"/analytics/{table.name}.csv?from=2026-03-02&to=2026-03-15")
            assert exported.headers["Content-Disposition"] == f'attachment; filename="vraagbaak-{table.name}.csv"'
            assert next(csv.reader(io.StringIO(exported.get_data(as_text=True)))) == list(table.columns)


def test_customer_text_cannot_become_a_spreadsheet_formula_or_markup(client, auth, session, history):
    session.add(SearchLog(at=T0 + timedelta(days=1), query="=HYPERLINK(\"x\") <script>", role="public",
                          result_count=0))
    session.commit()
    auth.login("editor@example.org")
    page = client.get("/analytics/self-service?from=2026-03-02&to=2026-03-15").get_data(as_text=True)
    assert "<script>" not in page and "&lt;script&gt;" in page
    exported = client.get("/analytics/zero-result-queries.csv?from=2026-03-02&to=2026-03-15").get_data(as_text=True)
    assert "'=hyperlink" in exported


@pytest.mark.parametrize("query", ["from=2026-13-01", "from=2026-03-10&to=2026-03-01", "topic=nope",
                                   "channel=pigeon"])
def test_a_bad_filter_is_refused_with_a_clear_message(client, auth, history, query):
    auth.login("editor@example.org")
    response = client.get(f"/analytics/?{query}")
    assert response.status_code == 400


def test_the_events_api_serves_process_miners_with_an_admin_token(client, session, history):
    assert client.get("/api/v1/events").status_code == 401
    agent_token = issue_api_token(history["agent"])
    admin_token = issue_api_token(history["cor"])
    session.commit()
    assert client.get("/api/v1/events", headers={"Authorization": f"Bearer {agent_token}"}).status_code == 403
    admin = {"Authorization": f"Bearer {admin_token}"}

    page = client.get("/api/v1/events?since=2026-03-09T00:00:00Z&limit=3", headers=admin).get_json()
    assert [e["activity"] for e in page["events"]] == ["received", "routed", "accepted"]
    assert page["events"][1] == {
        "case_id": history["q5"].reference, "activity": "routed", "timestamp": "2026-03-09T09:10:00Z",
        "resource": "system", "event_id": page["events"][1]["event_id"], "topic": "waste", "channel": "web",
        "to_resource": "Willem Afval"}
    rest = client.get(page["next"], headers=admin).get_json()
    assert [e["activity"] for e in rest["events"]] == ["received", "routed"] and rest["next"] is None
    bad = client.get("/api/v1/events?since=yesterday", headers=admin)
    assert bad.status_code == 400 and bad.get_json()["error"] == "bad_since"


# --- the charts -----------------------------------------------------------------------------------------

def test_charts_are_plain_svg_with_escaped_labels():
    for svg in (bar_chart([("<b>&", 3.0), ("ok", 1.0)], title="T <x>"),
                histogram([("<b>&", 3), ("1", 0)], title="T <x>"),
                line_chart(["<b>&", "w2"], [("<s>", [1.0, None])], title="T <x>"),
                route_diagram(["<b>&", "Pim"])):
        assert svg.startswith("<svg") and "<b>" not in svg and "&lt;b&gt;&amp;" in svg
    assert "No data" in bar_chart([], title="Empty")


def test_a_report_s_charts_draw_seconds_as_hours_and_shares_as_percentages(app):
    with app.test_request_context():  # the charts speak the reader's language
        waits = draw(Bars("Waits", [("routed → accepted", 5400)], SECONDS))
        assert waits == bar_chart([("routed → accepted", 1.5)], title="Waits",
                                  value_format=lambda hours: duration(hours * 3600))
        assert "1 h 30 min" in waits
        assert draw(Bars("Kept", [("Parking", 0.5), ("Waste", None)], SHARE)) == bar_chart(
            [("Parking", 50.0), ("Waste", None)], title="Kept", unit="%")
        assert draw(Lines("Load", [date(2026, 3, 2), date(2026, 3, 3)], [("Open", [1, 2])])) == line_chart(
            ["02 Mar", "03 Mar"], [("Open", [1, 2])], title="Load")
    with app.test_request_context(headers={"Accept-Language": "nl"}):
        dutch = draw(Bars("Waits", [("routed → accepted", 5400)], SECONDS))
        assert "1 u 30 min" in dutch
        assert "50%" in draw(Bars("Kept", [("Parking", 0.5)], SHARE))
