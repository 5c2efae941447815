"""Search-as-you-type keeps one row per search in the log, not one per keystroke, and a process
says it is ready only once search is warm."""
from __future__ import annotations

import threading
from datetime import date, timedelta

from sqlalchemy import select

from app import create_app, search as search_module
from routing.analytics import Filters, Period, self_service
from routing.models import SearchLog
from routing.searching import TYPING_PAUSE
from tests.factories import make_article


def type_in_box(client, *prefixes, **params) -> dict:
    """What live-search.js sends: each request names the search_id of the previous answer."""
    payload: dict = {}
    for prefix in prefixes:
        extra = {"continues": payload["search_id"]} if payload else {}
        response = client.get("/api/v1/search", query_string={"q": prefix, **params, **extra})
        assert response.status_code == 200, response.get_data(as_text=True)
        payload = response.get_json()
    return payload


def logged(session) -> list[SearchLog]:
    session.expire_all()
    return session.scalars(select(SearchLog).order_by(SearchLog.id)).all()


def test_typing_a_word_logs_one_search_and_the_click_is_attributed_to_it(client, session):
    article = make_article(session, "Paspoort aanvragen", "Een paspoort vraagt u aan bij de balie.", language="nl")
    payload = type_in_box(client, "p", "pa", "pas", "paspoort")
    client.get(payload["results"][0]["url"])

    rows = logged(session)
    assert [(row.query, row.result_count) for row in rows] == [("paspoort", 1)]
    assert (rows[0].id, rows[0].opened_kind, rows[0].opened_id) == (payload["search_id"], "article", article.id)


def test_a_search_that_led_to_a_click_keeps_its_words_and_typing_on_starts_a_new_row(client, session):
    make_article(session, "Parking permit", "Apply for a parking permit online.")
    first = type_in_box(client, "park", "parking")
    client.get(first["results"][0]["url"])
    second = client.get("/api/v1/search", query_string={"q": "parking fine", "continues": first["search_id"]}).get_json()

    assert second["search_id"] != first["search_id"]
    assert [(row.query, row.opened_kind) for row in logged(session)] == [("parking", "article"), ("parking fine", None)]


def test_another_searchers_row_or_one_from_before_a_pause_is_never_overwritten(client, auth, session, people, clock):
    customer = type_in_box(client, "afval")
    auth.login(people["agent"].email)
    agent = type_in_box(client, "afval ophalen", continues=customer["search_id"])
    clock.now += TYPING_PAUSE + timedelta(seconds=1)
    later = type_in_box(client, "afval ophalen kliko", continues=agent["search_id"])

    assert len({customer["search_id"], agent["search_id"], later["search_id"]}) == 3
    assert [(row.query, row.role) for row in logged(session)] == [
        ("afval", "public"), ("afval ophalen", "agent"), ("afval ophalen kliko", "agent")]


def test_another_browser_cannot_continue_a_search_it_did_not_make(app, client, session):
    mine = type_in_box(client, "paspoort")
    stranger = app.test_client()
    theirs = stranger.get("/api/v1/search", query_string={"q": "rijbewijs", "continues": mine["search_id"]}).get_json()

    assert theirs["search_id"] != mine["search_id"]
    assert [row.query for row in logged(session)] == ["paspoort", "rijbewijs"]


def test_submitting_the_box_settles_the_typed_search_instead_of_adding_one(client, session):
    make_article(session, "Bulky waste", "Book a bulky waste pick-up.")
    typed = type_in_box(client, "bul", "bulky")
    page = client.get("/", query_string={"q": "bulky waste", "continues": typed["search_id"]})

    assert page.status_code == 200
    assert [(row.id, row.query, row.channel) for row in logged(session)] == [(typed["search_id"], "bulky waste", "web")]


def test_knowledge_gaps_and_deflection_count_searches_not_keystrokes(client, session):
    type_in_box(client, "h", "he", "hel", "helicopter landing")
    type_in_box(client, "helicopter landing")

    figures = self_service(session, Filters(Period(date(2026, 3, 2), date(2026, 3, 15))))
    assert figures.deflection.public_searches == 2
    assert [(gap.query, gap.searches) for gap in figures.zero_result_queries] == [("helicopter landing", 2)]


def test_health_says_starting_until_search_is_warm(database_url, tmp_path, clock):
    app = create_app({
        "VRAAGBAAK_ENV": "testing", "TESTING": True, "SECRET_KEY": "tests-only",
        "SQLALCHEMY_DATABASE_URI": database_url, "INDEX_DIR": str(tmp_path / "index"), "CLOCK": clock,
        "SEARCH_EMBEDDERS": {"en": "hashing", "nl": "hashing"}, "SEARCH_SYNC": "before_search",
        "SEARCH_WARM_UP": True, "BACKGROUND_JOBS": False,
    })
    client = app.test_client()
    try:
        with search_module._lock:  # the warm-up started by the first request waits here, as if loading models
            starting = client.get("/api/v1/health")
        assert (starting.status_code, starting.get_json()) == (503, {"status": "starting"})
        assert app.extensions["search_ready"].wait(timeout=30)
        ready = client.get("/api/v1/health")
        assert (ready.status_code, ready.get_json()) == (200, {"status": "ok"})
    finally:
        if app.extensions.get("search") is not None:
            app.extensions["search"].close()


def test_warm_up_opens_the_index_before_any_request(app):
    app.config["SEARCH_WARM_UP"] = True
    assert not search_module.search_is_ready(app)
    search_module.warm_up(app)
    assert search_module.search_is_ready(app) and app.extensions.get("search") is not None


def test_the_box_says_searching_in_the_visitors_language(app, client):
    app.config["DEFAULT_LOCALE"] = "nl"
    app.config["BABEL_DEFAULT_LOCALE"] = "nl"
    assert 'data-searching="Zoeken…"' in client.get("/").get_data(as_text=True)
    english = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'data-searching="Searching…"' in english
