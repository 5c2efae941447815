"""Which interface texts a page shows in the wrong language, read from the catalog itself.

An English msgid whose Dutch translation differs must not be on a Dutch page (and its Dutch text not on an
English one). A msgid with parameters counts by its fixed parts ("Your question is with %(who)s." → "Your
question is with"). A fragment of two words or more counts wherever it stands. A msgid of one word ("phone",
"normal": a channel or priority shown untranslated) counts only in the page's own interface (headers, labels,
buttons, options, navigation: INTERFACE_TEXT, not the articles and questions it lists, which may be in either
language), as a whole word with its own capitals, and not when the other language writes it the same way
(SAME_IN_DUTCH: "Filter", "Expert"); a one-word fragment of a longer msgid ("in" of "%(n)s in %(topic)s")
does not count. The page's text is what the browser shows
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
WORD = re.compile(r"[^\W\d_]{2,}")
# Single words of the catalog that are Dutch words as well (or say the same in a Dutch sentence): their being
# on a Dutch page says nothing. Likewise the Dutch ones on an English page.
SAME_IN_DUTCH = frozenset("Admin Expert expert Filter Lang Last Ranking Review Show Preview Thread Timeline "
                          "Default api".split())
SAME_IN_ENGLISH = frozenset("API Team Status".split())

PAGE_TEXT = """() => {
  const read = [document.title, document.body.innerText];
  for (const el of document.querySelectorAll("[placeholder], [title], [aria-label], [alt]")) {
    for (const name of ["placeholder", "title", "aria-label", "alt"]) {
      if (el.hasAttribute(name)) read.push(el.getAttribute(name));
    }
  }
  return read.join("\\n");
}"""


INTERFACE_TEXT = """() => {
  const read = [];
  for (const el of document.querySelectorAll("th, label, button, option, legend, summary, dt, nav a, h1, h2, h3")) {
    read.push(el.innerText || el.textContent || "");
  }
  for (const el of document.querySelectorAll("[placeholder], [title], [aria-label], [alt]")) {
    for (const name of ["placeholder", "title", "aria-label", "alt"]) {
      if (el.hasAttribute(name)) read.push(el.getAttribute(name));
    }
  }
  return read.join("\\n");
}"""


def _fragments(text: str) -> list[str]:
    parts = [part.strip(" \t\n:;,.…“”") for part in PLACEHOLDER.split(text)]
    if len(parts) == 1 and WORD.fullmatch(parts[0]):
        return parts  # a msgid of one word
    return [part for part in parts if TWO_WORDS.search(part)]


def _shown(fragment: str, text: str, interface: str, same_in_other: frozenset[str]) -> bool:
    if TWO_WORDS.search(fragment):
        return fragment in text
    if fragment in same_in_other:
        return False
    return re.search(rf"(?<![\w-]){re.escape(fragment)}(?![\w-])", interface) is not None


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
    return english_in(page_text(page), interface=page.evaluate(INTERFACE_TEXT))


def dutch_on(page) -> list[str]:
    """The Dutch interface texts on a page that should be English."""
    return dutch_in(page_text(page), interface=page.evaluate(INTERFACE_TEXT))


def english_in(text: str, interface: str = "") -> list[str]:
    """The English interface texts in a text that should be Dutch (a page's, a mail's); one-word msgids
    are looked for in `interface` only."""
    return _left_over(text, interface, english=True)


def dutch_in(text: str, interface: str = "") -> list[str]:
    return _left_over(text, interface, english=False)


def _left_over(text: str, interface: str, *, english: bool) -> list[str]:
    found = set()
    for msgid, msgstr in _pairs():
        wrong, right = (msgid, msgstr) if english else (msgstr, msgid)
        right_parts = _fragments(right)
        for fragment in _fragments(wrong):
            # A fragment that the right language says as well ("Team" in both) is no sign of the wrong one.
            if fragment and _shown(fragment, text, interface, SAME_IN_DUTCH if english else SAME_IN_ENGLISH) \
                    and not any(fragment in part for part in right_parts):
                found.add(fragment)
    return sorted(found)
