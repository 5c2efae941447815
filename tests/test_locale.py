"""Which language a page speaks: staff their own, visitors their choice, their browser, or the organisation's."""
import pytest

from app import create_app
from tests.factories import make_user


def test_visitor_gets_the_organisation_default_then_the_browser_then_the_switch(app, client, auth):
    app.config["DEFAULT_LOCALE"] = "nl"
    app.config["BABEL_DEFAULT_LOCALE"] = "nl"
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="nl">' in page and "Inloggen medewerkers" in page

    page = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"}).get_data(as_text=True)
    assert '<html lang="en">' in page and "Staff sign-in" in page

    switched = auth.post("/taal", data={"locale": "nl", "next": "/?q=paspoort"},
                           headers={"Accept-Language": "en"})
    assert switched.status_code == 302 and switched.headers["Location"].endswith("/?q=paspoort")
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Inloggen medewerkers" in page


def test_the_switch_refuses_unknown_languages_and_foreign_targets(auth):
    assert auth.post("/taal", data={"locale": "de"}).status_code == 400
    response = auth.post("/taal", data={"locale": "en", "next": "//evil.example.org/"})
    assert response.status_code == 302 and "evil" not in response.headers["Location"]


def test_staff_read_their_own_locale(client, auth, session):
    user = make_user(session, "agent")
    user.locale = "nl"
    session.commit()
    auth.login(user.email)
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Afmelden" in page


def test_the_intake_form_names_channels_and_priorities_in_the_agents_language(client, auth, session):
    user = make_user(session, "agent")
    user.locale = "nl"
    session.commit()
    auth.login(user.email)
    page = client.get("/frontoffice/questions/new").get_data(as_text=True)
    assert '<option value="phone">telefoon</option>' in page and '<option value="desk">balie</option>' in page
    assert '<option selected value="normal">normaal</option>' in page and ">spoed</option>" in page
    assert ">phone</option>" not in page and ">normal</option>" not in page


def test_an_unknown_default_locale_is_refused_at_start(tmp_path):
    with pytest.raises(ValueError, match="DEFAULT_LOCALE"):
        create_app({"VRAAGBAAK_ENV": "testing", "TESTING": True, "SECRET_KEY": "x",
                    "SQLALCHEMY_DATABASE_URI": "sqlite://", "INDEX_DIR": str(tmp_path), "DEFAULT_LOCALE": "de"})


def test_a_domain_text_with_a_time_is_said_in_the_readers_language_also_after_storing(app):
    """An expert's "back Tue 08:30" is kept in an event's payload and read on a Dutch page as "terug di 08:30"."""
    from datetime import datetime, timezone

    from flask_babel import force_locale

    from app.i18n import said_in_payload
    from knowledge.messages import Message, with_said

    payload = with_said({"reason": Message("back %(when)s", when=datetime(2026, 3, 3, 7, 30, tzinfo=timezone.utc))})
    assert payload["reason"] == "back Tue 07:30"  # the English text integrations read, in the time's own zone
    with app.test_request_context("/"):
        with force_locale("nl"):
            assert said_in_payload(payload, "reason") == "terug di 08:30"  # the organisation's zone
