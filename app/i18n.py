"""Which language and time zone a page speaks, and the helpers templates use for both.

Flask-Babel does the work; this module holds the one rule for choosing the language:
- signed-in staff read their own `locale`;
- anyone else reads what they chose with the NL/EN switch (kept in the session), else the best match
  of their browser's Accept-Language among the languages we ship, else the organisation's
  DEFAULT_LOCALE.
Times are shown in the organisation's zone (config TIMEZONE), whoever reads them.

Domain floors (`knowledge/`, `routing/`) never import Flask: texts they make for people are either
plain English msgids or `knowledge.messages.Message` objects (msgid + parameters), which the
`translated` filter renders in the reader's language.
"""
from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, request, session
from flask_babel import Babel, format_datetime, format_decimal, get_locale, gettext
from flask_login import current_user

from knowledge.messages import from_stored, said
from routing.sla import DEFAULT_TIMEZONE

LANGUAGES = ("nl", "en")
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}
SESSION_KEY = "locale"

babel = Babel()


def init_app(app: Flask) -> None:
    app.config.setdefault("DEFAULT_LOCALE", "nl")
    app.config.setdefault("TIMEZONE", DEFAULT_TIMEZONE)
    if app.config["DEFAULT_LOCALE"] not in LANGUAGES:
        raise ValueError(f"DEFAULT_LOCALE must be one of {', '.join(LANGUAGES)}")
    app.config["BABEL_DEFAULT_LOCALE"] = app.config["DEFAULT_LOCALE"]
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["TIMEZONE"]
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = "translations"
    babel.init_app(app, locale_selector=selected_locale, timezone_selector=lambda: current_app.config["TIMEZONE"])
    app.add_template_filter(translated)
    app.add_template_filter(sentence)
    app.add_template_filter(local_time)
    app.add_template_filter(said_in_payload, name="said")
    # current_locale: the language this page is said in (force_locale included, as for a tracking page or a mail)
    app.jinja_env.globals.update(current_locale=lambda: str(get_locale()), LANGUAGE_NAMES=LANGUAGE_NAMES)


def selected_locale() -> str:
    """The one rule: staff's own locale, else the switch, else Accept-Language, else the organisation's."""
    if current_user and current_user.is_authenticated and getattr(current_user, "locale", None) in LANGUAGES:
        return current_user.locale
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return chosen
    if request:
        best = request.accept_languages.best_match(LANGUAGES)
        if best:
            return best
    return current_app.config["DEFAULT_LOCALE"]


def translated(value) -> str:
    """A text made by the domain, in the reader's language: a msgid, or a Message with parameters."""
    if value is None:
        return ""
    value = from_stored(value)  # an event's payload keeps Messages as dicts
    msgid = getattr(value, "msgid", None)
    if msgid is not None:  # a parameter may be a Message too ("Your question is with %(who)s", who=Team …)
        params = {name: translated(p) if hasattr(p, "msgid") or isinstance(p, dict) else
                  format_decimal(p) if isinstance(p, int) and not isinstance(p, bool) else
                  format_datetime(p, "EEE HH:mm") if isinstance(p, datetime) else p
                  for name, p in value.params.items()}
        return gettext(msgid, **params) if params else gettext(msgid)
    return gettext(str(value)) if str(value) else ""


def said_in_payload(payload: dict, key: str) -> str:
    """A text an event or notification stored (`knowledge.messages.with_said`), in the reader's language."""
    return translated(said(payload or {}, key))


def sentence(value) -> str:
    """`translated`, its first letter a capital: for a domain text that starts with a parameter
    ("our specialists …")."""
    text = translated(value)
    return text[:1].upper() + text[1:]


def local_time(moment: datetime | None, pattern: str = "EEE d MMM HH:mm") -> str:
    """A stored UTC time as people here read it: the organisation's zone, the reader's language (CLDR pattern)."""
    if moment is None:
        return "—"
    return format_datetime(moment, pattern)
