"""Texts the domain makes for people, kept translatable without the domain knowing about Flask.

A `Message` is an English msgid with named parameters (`Message("routed to %(name)s", name=...)`); the
web layer's `translated` filter looks it up in the reader's catalog and fills the parameters in. `N_`
marks a plain msgid so that `pybabel extract` (keywords `N_` and `Message`) finds it in the domain too.
"""
from __future__ import annotations


def N_(msgid: str) -> str:
    """Marks a msgid for extraction; the text is translated where it is shown."""
    return msgid


class Message:
    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, **params):
        self.msgid = msgid
        self.params = params

    def __str__(self) -> str:
        """The English text, for logs, the API and anywhere no reader's language is known."""
        return self.msgid % self.params if self.params else self.msgid

    def __eq__(self, other) -> bool:
        return isinstance(other, Message) and (self.msgid, self.params) == (other.msgid, other.params)

    def __hash__(self) -> int:
        return hash((self.msgid, tuple(sorted(self.params.items()))))

    def __repr__(self) -> str:
        return f"Message({self.msgid!r}, **{self.params!r})"
