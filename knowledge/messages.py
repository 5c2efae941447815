"""Texts the domain makes for people, kept translatable without the domain knowing about Flask.

A `Message` is an English msgid with named parameters (`Message("routed to %(name)s", name=...)`), and a
str holding its English text; the web layer's `translated` filter looks it up in the reader's catalog and
fills the parameters in. `N_` marks a plain msgid so that `pybabel extract` (keywords `N_` and `Message`) finds it in the domain too.
"""
from __future__ import annotations

from datetime import datetime


def N_(msgid: str) -> str:
    """Marks a msgid for extraction; the text is translated where it is shown."""
    return msgid


class Message(str):
    """A msgid with its parameters that is also its English text (a `str`), so that whatever already carries the
    domain's words — an exception, a dict of problems, a JSON body, a log line — keeps working, and the web layer
    can still say it in the reader's language (`app.i18n.translated` reads `msgid` and `params`)."""

    def __new__(cls, msgid: str, **params):
        # Numbers and times read as the English read them ("10,000", "Tue 08:30" in the time's own zone); the
        # web layer formats them for its reader.
        english = {name: f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else
                   value.strftime("%a %H:%M") if isinstance(value, datetime) else value
                   for name, value in params.items()}
        text = super().__new__(cls, msgid % english if params else msgid)
        text.msgid = msgid
        text.params = params
        return text

    def __reduce__(self):
        return _message, (self.msgid, self.params)

    def __repr__(self) -> str:
        return f"Message({self.msgid!r}, **{self.params!r})"


def _message(msgid: str, params: dict) -> Message:
    return Message(msgid, **params)


def stored(value):
    """A text as it is kept in an event's JSON payload: a Message as {"text", "msgid", "params"}, so it can be
    said in the reader's language later; anything else as it is."""
    if isinstance(value, Message):
        return {"text": str(value), "msgid": value.msgid, "params": {k: stored(v) for k, v in value.params.items()}}
    if isinstance(value, datetime):
        return {"moment": value.isoformat()}
    return value


def from_stored(value):
    """The inverse of `stored`: a Message again, or the plain value (older events hold English text)."""
    if isinstance(value, dict) and "msgid" in value:
        return Message(value["msgid"], **{k: from_stored(v) for k, v in (value.get("params") or {}).items()})
    if isinstance(value, dict) and "moment" in value:
        return datetime.fromisoformat(value["moment"])
    return value


def joined(items, separator: str = ", ") -> Message | str:
    """Several domain texts said as one (each in the reader's language), e.g. the reasons of a route."""
    items = list(items)
    if not items:
        return ""
    params = {f"p{n}": item for n, item in enumerate(items)}
    return Message(separator.join(f"%(p{n})s" for n in range(len(items))), **params)


def with_said(payload: dict) -> dict:
    """An event's or notification's payload as stored: every Message keeps its English text under its own key
    (what integrations read) and, under "said", the msgid and parameters to say it in the reader's language."""
    said = {key: stored(value) for key, value in payload.items() if isinstance(value, Message)}
    return {**payload, "said": said} if said else payload


def said(payload: dict, key: str):
    """What `with_said` stored under `key`: the Message again where there is one, else the plain value."""
    kept = (payload.get("said") or {}).get(key)
    return from_stored(kept) if kept is not None else payload.get(key)
