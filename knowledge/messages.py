"""Texts the domain makes for people, kept translatable without the domain knowing about Flask.

A `Message` is an English msgid with named parameters (`Message("routed to %(name)s", name=...)`), and a
str holding its English text; the web layer's `translated` filter looks it up in the reader's catalog and
fills the parameters in. `N_` marks a plain msgid so that `pybabel extract` (keywords `N_` and `Message`) finds it in the domain too.
"""
from __future__ import annotations


def N_(msgid: str) -> str:
    """Marks a msgid for extraction; the text is translated where it is shown."""
    return msgid


class Message(str):
    """A msgid with its parameters that is also its English text (a `str`), so that whatever already carries the
    domain's words — an exception, a dict of problems, a JSON body, a log line — keeps working, and the web layer
    can still say it in the reader's language (`app.i18n.translated` reads `msgid` and `params`)."""

    def __new__(cls, msgid: str, **params):
        # Numbers read as the English read them ("10,000"); the web layer formats them for its reader.
        english = {name: f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value
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
