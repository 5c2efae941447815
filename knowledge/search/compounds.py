"""Dutch compounds on the keyword side, learned from the organisation's own vocabulary.

Dutch writes 'parkeervergunning' where English writes 'parking permit', and a customer may type
either the compound or its parts ('vergunning om te parkeren'). No hand list of compounds: a word
is split where both sides are terms the index already holds (`known`), with Dutch's linking
letters between them (-s-, -e-, -en-: 'afvalstoffenheffing' = 'afvalstoffen' + 'heffing').
The other way round, a query word that is the last part of indexed compounds ('heffing') also
finds those compounds, as Dutch compounds are headed by their last part.

Splitting works on the surface word and stems each part as a word on its own: the Snowball stemmer
treats the end of a long word differently ('afvalstoffenheffing' → 'afvalstoffenheff', but
'heffing' → 'heffing'), so stems cannot be cut apart. The share of the score a part brings is
`PART_WEIGHT` of a whole query word: the compound itself, where a document has it, stays first.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from whoosh.analysis import LowercaseFilter, RegexTokenizer, StopFilter
from whoosh.lang import stopwords_for_language

LINKS = ("", "s", "e", "en")
MIN_PART = 3  # 'wet', 'bed', 'hek' are words; shorter pieces match by accident
MIN_HEAD = 4  # the last part, looked up among the endings of indexed terms
PART_WEIGHT = 0.5
# A prefix that makes the stemmer treat a word as the end of a longer one (its R1 and R2 regions
# then start before the word), so that 'heffing' yields 'heff', as inside 'afvalstoffenheffing'.
_HEAD_PREFIX = "bakbak"

_surface = RegexTokenizer() | LowercaseFilter() | StopFilter(stoplist=stopwords_for_language("nl"), minsize=2)


def surface_words(text: str) -> list[str]:
    """The query's words as typed (lower case, no stop words), before stemming."""
    return [t.text for t in _surface(text)]


def split(word: str, known: Callable[[str], bool], stem: Callable[[str], str | None],
          depth: int = 3) -> list[str] | None:
    """The stems of the parts of `word`, longest first part first, when every part is `known`."""
    if depth <= 0:
        return None
    for cut in range(len(word) - MIN_PART, MIN_PART - 1, -1):
        head = word[cut:]
        head_stem = stem(head)
        if not head_stem or not known(head_stem):
            continue
        modifier = word[:cut]
        for link in LINKS:
            if link and not modifier.endswith(link):
                continue
            first = modifier[:len(modifier) - len(link)] if link else modifier
            if len(first) < MIN_PART:
                continue
            first_stem = stem(first)
            if first_stem and known(first_stem):
                return [first_stem, head_stem]
            inner = split(first, known, stem, depth - 1)
            if inner:
                return inner + [head_stem]
    return None


def head_stem(word: str, stem: Callable[[str], str | None]) -> str | None:
    """The stem `word` has as the last part of a compound."""
    stemmed = stem(_HEAD_PREFIX + word)
    if stemmed and stemmed.startswith(_HEAD_PREFIX) and len(stemmed) - len(_HEAD_PREFIX) >= MIN_HEAD:
        return stemmed[len(_HEAD_PREFIX):]
    return None


def endings(term: str) -> Iterable[str]:
    """The endings of an indexed term that may be a compound's last part (with a modifier before it)."""
    for cut in range(MIN_PART, len(term) - MIN_HEAD + 1):
        yield term[cut:]


def modifier_known(modifier: str, known_prefix: Callable[[str], bool]) -> bool:
    """Whether the part before a compound's head is a word of the vocabulary (linking letters aside)."""
    for link in LINKS:
        if link and not modifier.endswith(link):
            continue
        first = modifier[:len(modifier) - len(link)] if link else modifier
        if len(first) >= MIN_PART and known_prefix(first):
            return True
    return False
