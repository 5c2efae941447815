"""What a person typed, made fit for each reader of it: the keyword parser, the models, the search log.

One bound on a query's length (`MAX_QUERY_CHARS`, also the web layer's limit) and one notion of a
control character, so that the search and the search log read the same words. Nothing here knows
an index or a model.
"""
from __future__ import annotations

import re

MAX_QUERY_CHARS = 500
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Query syntax characters that turn a customer's words into Whoosh operators they never meant.
_SYNTAX = re.compile(r"[\"'()\[\]{}^~*?:\\/+\-!<>=]")


def without_control_characters(text: str) -> str:
    """Control characters (NUL above all, which PostgreSQL refuses to store) become spaces."""
    return _CONTROL.sub(" ", text or "")


def clean_query(text: str) -> str:
    """What a person typed, made safe for the parser: no control characters, no operators, bounded."""
    text = without_control_characters(text)[:MAX_QUERY_CHARS]
    return " ".join(_SYNTAX.sub(" ", text).split())


def query_as_typed(text: str) -> str:
    """The words as typed, for the models and the search log: punctuation and apostrophes carry
    meaning for a model, unlike for the keyword parser; only control characters and runs of white
    space go, and the result is bounded."""
    return " ".join(without_control_characters(text).split())[:MAX_QUERY_CHARS]
