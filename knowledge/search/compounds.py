"""Dutch compounds on the keyword side, learned from the organisation's own vocabulary.

Dutch writes 'parkeervergunning' where English writes 'parking permit', and a customer may type
either the compound or its parts ('vergunning om te parkeren'). No hand list of compounds: a word
is split where both sides are terms the index already holds, with Dutch's linking letters between
them (-s-, -e-, -en-: 'afvalstoffenheffing' = 'afvalstoffen' + 'heffing'), and only when the parts
are at least as common in the index as the whole (Koehn & Knight's frequency rule: 'woning' is no
'won' + 'ing', as the organisation writes 'woning' far more often than it would write those).
The other way round, query words written apart ('parkeer vergunning') find the compound the index
holds, and a word the index never holds on its own finds the compounds it ends ('heffing' →
'afvalstoffenheffing'), as Dutch compounds are headed by their last part. A word the index does
hold on its own is not widened to its compounds: 'ziekengeld' is no answer to 'geld'.

Splitting works on the surface word and stems each part as a word on its own: the Snowball stemmer
treats the end of a long word differently ('afvalstoffenheffing' → 'afvalstoffenheff', but
'heffing' → 'heffing'), so stems cannot be cut apart. The share of the score a part brings is
`PART_WEIGHT` of a whole query word: the compound itself, where a document has it, stays first.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from whoosh.analysis import LowercaseFilter, RegexTokenizer, StopFilter
from whoosh.lang import stopwords_for_language

LINKS = ("", "s", "e", "en")
MIN_PART = 4  # shorter pieces ('ver', 'won', 'ing') are affixes more often than words (PolicyQA-NL train)
MIN_HEAD = 4  # the last part, looked up among the endings of indexed terms
PART_WEIGHT = 0.3  # PolicyQA-NL train, BM25 alone: MRR 0.8930 without parts, 0.8910 at 0.5, 0.8935 at 0.3
# A prefix that makes the stemmer treat a word as the end of a longer one (its R1 and R2 regions
# then start before the word), so that 'heffing' yields 'heff', as inside 'afvalstoffenheffing'.
_HEAD_PREFIX = "bakbak"

_surface = RegexTokenizer() | LowercaseFilter() | StopFilter(stoplist=stopwords_for_language("nl"), minsize=2)


def surface_words(text: str) -> list[str]:
    """The query's words as typed (lower case, no stop words), before stemming."""
    return [t.text for t in _surface(text)]


def split(word: str, frequency: Callable[[str], int], stem: Callable[[str], str | None],
          depth: int = 3) -> list[str] | None:
    """The stems of the parts of `word` when every part is an indexed term (`frequency` > 0) and the
    parts' geometric mean frequency is at least the whole word's; the best such split, else None."""
    whole = stem(word)
    best, best_score = None, float(frequency(whole) if whole else 0)
    for parts in _splits(word, frequency, stem, depth):
        counts = [frequency(p) for p in parts]
        score = math.prod(counts) ** (1 / len(counts))
        if score >= best_score and score > 0:
            best, best_score = parts, score
    return best


def _splits(word: str, frequency, stem, depth: int):
    if depth <= 0:
        return
    for cut in range(len(word) - MIN_PART, MIN_PART - 1, -1):
        head_stem = stem(word[cut:])
        if not head_stem or not frequency(head_stem):
            continue
        modifier = word[:cut]
        for link in LINKS:
            if link and not modifier.endswith(link):
                continue
            first = modifier[:len(modifier) - len(link)] if link else modifier
            if len(first) < MIN_PART:
                continue
            first_stem = stem(first)
            if first_stem and frequency(first_stem):
                yield [first_stem, head_stem]
            for inner in _splits(first, frequency, stem, depth - 1):
                yield inner + [head_stem]


def joined(first: str, second: str) -> list[str]:
    """The compounds two words written apart may stand for ('parkeer', 'vergunning')."""
    return [first + link + second for link in LINKS]


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
