"""Dutch on the keyword side: compounds match their parts (and parts their compounds), learned from
the organisation's own vocabulary, and Dutch stop words do not decide the ranking. Real Whoosh."""
from __future__ import annotations

import pytest

from knowledge.search import Document, FullTextIndex, KeywordIndex


def dutch(doc_id: int, title: str, body: str = "") -> Document:
    return Document("article", doc_id, title, body, "public", "nl")


@pytest.fixture
def index(tmp_path):
    fulltext = FullTextIndex(str(tmp_path / "whoosh"))
    keywords = KeywordIndex(fulltext)

    def build(*docs: Document) -> KeywordIndex:
        fulltext.write(docs)
        keywords.put(docs)
        return keywords

    yield build
    fulltext.close()


def ranked(keywords: KeywordIndex, query: str) -> list[int]:
    return [int(hit.key.split(":")[1]) for hit in keywords.search(query, public_only=True, languages=("nl",))]


def test_a_compound_finds_a_document_that_writes_its_parts_apart(index):
    keywords = index(dutch(1, "Vergunning om te parkeren in het centrum", "Vraag de vergunning online aan."),
                     dutch(2, "Parkeer vergunning voor bezoekers", "Een dagkaart voor uw bezoek."),
                     dutch(3, "Openingstijden van het stadhuis", "Het stadhuis is open op werkdagen."))
    assert set(ranked(keywords, "parkeervergunning")) == {1, 2}


def test_the_compound_itself_ranks_above_its_parts(index):
    keywords = index(dutch(1, "Vergunning om te parkeren", "Voor wie in het centrum woont."),
                     dutch(2, "Parkeervergunning aanvragen", "Zo vraagt u een parkeervergunning aan."),
                     dutch(3, "Afval scheiden", "Papier, glas en plastic."))
    assert ranked(keywords, "parkeervergunning")[:2] == [2, 1]


def test_a_compound_with_a_linking_en_matches_its_parts_both_ways(index):
    keywords = index(dutch(1, "Afvalstoffenheffing 2027", "De afvalstoffenheffing betaalt u per huishouden."),
                     dutch(2, "Heffing voor afvalstoffen", "Wat kost de heffing?"),
                     dutch(3, "Hondenbelasting", "Voor elke hond betaalt u belasting."))
    assert set(ranked(keywords, "afvalstoffenheffing")) == {1, 2}
    assert ranked(keywords, "afvalstoffen heffing")[:2] in ([1, 2], [2, 1])  # written apart: the compound too


def test_a_word_the_index_never_holds_alone_finds_the_compounds_it_ends(index):
    keywords = index(dutch(1, "Afvalstoffenheffing 2027", "De afvalstoffenheffing betaalt u per huishouden."),
                     dutch(2, "Hondenbelasting", "Voor elke hond betaalt u belasting."),
                     dutch(3, "Ziekengeld", "Wie ziek is krijgt ziekengeld."),
                     dutch(4, "Geld terugvragen", "Te veel betaald geld krijgt u terug."))
    assert ranked(keywords, "heffing") == [1]
    # 'geld' stands alone in the index: 'ziekengeld' is another thing, and is not found for it
    assert ranked(keywords, "geld") == [4]


def test_a_three_part_compound_matches_its_parts(index):
    keywords = index(dutch(1, "Gehandicaptenparkeerkaart aanvragen", "Met een indicatie van de arts."),
                     dutch(2, "Kaart voor gehandicapten om te parkeren", "Parkeren dicht bij huis."),
                     dutch(3, "Paspoort aanvragen", "Maak een afspraak."))
    assert set(ranked(keywords, "gehandicaptenparkeerkaart")) == {1, 2}
    assert 1 in ranked(keywords, "parkeerkaart")


def test_a_word_that_only_looks_like_a_compound_is_not_split_into_unknown_pieces(index):
    keywords = index(dutch(1, "Paspoort aanvragen", "Maak een afspraak op het stadhuis."),
                     dutch(2, "Port betalen", "Een brief zonder postzegel."))
    # 'pas' is no word of this vocabulary, so 'paspoort' does not find the letter about 'port'
    assert ranked(keywords, "paspoort") == [1]


def test_dutch_stop_words_do_not_drive_the_ranking(index):
    keywords = index(dutch(1, "Hoe kan ik mijn het een de paspoort verlengen", "Ik wil het en de een mijn hoe."),
                     dutch(2, "Rijbewijs verlengen", "Een rijbewijs verlengt u bij de gemeente."))
    assert ranked(keywords, "hoe kan ik mijn rijbewijs verlengen")[0] == 2
    assert ranked(keywords, "de het een ik mijn hoe") == []
