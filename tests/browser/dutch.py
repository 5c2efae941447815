"""Which interface texts a page shows in the wrong language, read from the catalog itself.

An English msgid of two words or more whose Dutch translation differs must not be on a Dutch page (and its
Dutch text not on an English one). A msgid with parameters counts by its fixed parts ("Your question is with
%(who)s." → "Your question is with"), each of two words or more. The page's text is what the browser shows
(`innerText`) plus the attributes people read (placeholder, title, aria-label, alt).
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

CATALOG_NL = Path(__file__).resolve().parents[2] / "app" / "translations" / "nl" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")
TWO_WORDS = re.compile(r"[^\W\d_]{2,}\W+[^\W\d_]{2,}")

PAGE_TEXT = """() => {
  const read = [document.title, document.body.innerText];
  for (const el of document.querySelectorAll("[placeholder], [title], [aria-label], [alt]")) {
    for (const name of ["placeholder", "title", "aria-label", "alt"]) {
      if (el.hasAttribute(name)) read.push(el.getAttribute(name));
    }
  }
  return read.join("\\n");
}"""


def _fragments(text: str) -> list[str]:
    return [part.strip(" \t\n:;,.") for part in PLACEHOLDER.split(text) if TWO_WORDS.search(part)]


@lru_cache(maxsize=1)
def _pairs() -> list[tuple[str, str]]:
    with CATALOG_NL.open("rb") as f:
        catalog = read_po(f, locale="nl")
    pairs = []
    for message in catalog:
        if not message.id or isinstance(message.id, tuple) or not message.string or message.string == message.id:
            continue
        pairs.append((message.id, message.string))
    return pairs


def page_text(page) -> str:
    return page.evaluate(PAGE_TEXT)


def english_on(page) -> list[str]:
    """The English interface texts on a page that should be Dutch."""
    return english_in(page_text(page))


def dutch_on(page) -> list[str]:
    """The Dutch interface texts on a page that should be English."""
    return dutch_in(page_text(page))


def english_in(text: str) -> list[str]:
    """The English interface texts in a text that should be Dutch (a page's, a mail's)."""
    return _left_over(text, english=True)


def dutch_in(text: str) -> list[str]:
    return _left_over(text, english=False)


def _left_over(text: str, *, english: bool) -> list[str]:
    found = set()
    for msgid, msgstr in _pairs():
        wrong, right = (msgid, msgstr) if english else (msgstr, msgid)
        right_parts = _fragments(right)
        for fragment in _fragments(wrong):
            # A fragment that the right language says as well ("Team" in both) is no sign of the wrong one.
            if fragment and fragment in text and not any(fragment in part for part in right_parts):
                found.add(fragment)
    return sorted(found)
