"""The in-memory keyword ranking: faithful to Whoosh's BM25F, loaded from the index, kept current."""
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from whoosh.qparser import MultifieldParser, OrGroup
from whoosh.scoring import BM25F

import knowledge.models  # noqa: F401  (registers the tables)
from knowledge.base import Base
from knowledge.search import (
    FIELD_BOOSTS, ArticleSource, Document, FullTextIndex, HashingEmbedder, KeywordIndex, SearchService,
)
from knowledge.search.fulltext import _posting_arrays  # white-box: a private reader, checked against Whoosh's
from tests.factories import make_article

DOCS = [
    Document("article", 1, "Visitor parking permit", "Apply for a visitor parking permit online. Visitors park "
             "for free for two hours.", "public", "en", ("parking",)),
    Document("article", 2, "Resident parking permit", "Residents of the centre need a permit to park their "
             "car in their own street.", "public", "en", ("parking",)),
    Document("article", 3, "Green bin collection", "The green bin is emptied every other week. Put it out "
             "before seven.", "public", "en", ("waste",)),
    Document("article", 4, "Internal: parking fines appeal desk", "Forward appeals against parking fines "
             "to the legal team.", "internal", "en", ("parking",)),
    Document("question", 5, "My bin was not emptied", "Report a missed collection; the bin is emptied within "
             "two working days.", "internal", "en", ("waste",)),
    Document("article", 6, "Parkeervergunning voor bezoekers", "Bezoekers parkeren met een "
             "bezoekersvergunning. Vraag de vergunning online aan.", "public", "nl", ("parking",)),
    Document("article", 7, "Afvalpas aanvragen", "Met de afvalpas kunt u grofvuil wegbrengen naar het "
             "afvalbrengstation.", "public", "nl", ("waste",)),
]
WRITTEN_APART = {"bezoekers parkeren vergunning": {"article:6"}}
QUERIES = ["parking permit", "visitor parking for two hours", "green bin", "bin emptied",
           "bezoekers parkeren vergunning", "afvalpas", "appeal fines", "permit"]


@pytest.fixture
def fulltext(tmp_path):
    index = FullTextIndex(str(tmp_path / "whoosh"))
    yield index
    index.close()


def whoosh_ranking(index: FullTextIndex, text: str) -> list[tuple[str, float]]:
    parser = MultifieldParser(list(FIELD_BOOSTS), schema=index._ix.schema, fieldboosts=FIELD_BOOSTS, group=OrGroup)
    with index._ix.searcher(weighting=BM25F()) as searcher:
        return [(hit["key"], hit.score) for hit in searcher.search(parser.parse(text), limit=None)]


def ranking(keywords: KeywordIndex, text: str, **kwargs) -> list[tuple[str, float]]:
    return [(hit.key, hit.score) for hit in keywords.search(text, public_only=False, **kwargs)]


@pytest.mark.parametrize("query", QUERIES)
def test_ranks_like_whoosh_bm25f_over_the_same_postings(fulltext, query):
    fulltext.write(DOCS)
    keywords = KeywordIndex(fulltext)
    keywords.put(DOCS)
    ours, theirs = ranking(keywords, query), whoosh_ranking(fulltext, query)
    assert [key for key, _ in ours] == [key for key, _ in theirs]
    # Whoosh stores field lengths in one byte, so its scores differ a little from exact lengths.
    for (key, mine), (_, whoosh) in zip(ours, theirs):
        if query in WRITTEN_APART and key in WRITTEN_APART[query]:
            # Dutch words written apart also find the compound the document holds ('bezoekers' +
            # 'vergunning' → 'bezoekersvergunning', knowledge.search.compounds): more than Whoosh, by design.
            assert mine > whoosh
        else:
            assert mine == pytest.approx(whoosh, rel=0.05)


def test_loading_from_the_index_gives_what_was_put_in_after_edits_and_removals(fulltext):
    fulltext.write(DOCS)
    edited = Document("article", 1, "Visitor parking permit", "Visitors now park for free all day.", "public", "en")
    fulltext.write([edited], removals=["article:3"])  # old versions stay in Whoosh until it merges
    kept = KeywordIndex(fulltext)
    kept.put(DOCS)
    kept.put([edited])
    kept.remove(["article:3"])
    loaded = KeywordIndex(fulltext)
    contents = fulltext.contents()
    loaded.load(contents, list(contents.documents()))
    assert len(loaded) == len(kept) == len(DOCS) - 1
    for query in QUERIES + ["all day", "two hours"]:
        expected = ranking(kept, query)
        got = ranking(loaded, query)
        assert [k for k, _ in got] == [k for k, _ in expected], query
        assert [s for _, s in got] == pytest.approx([s for _, s in expected], rel=0.05)
    assert "article:3" not in {k for k, _ in ranking(loaded, "green bin")}


def test_the_block_reader_gives_the_same_postings_as_whooshs_public_matcher(fulltext):
    fulltext.write(DOCS + [Document("article", i, f"Parking {i}", "parking " * (i % 7 + 1), "public", "en")
                           for i in range(100, 700)])  # one segment, more than one posting block
    with fulltext._ix.searcher() as searcher:
        leaf = searcher.reader().leaf_readers()[0][0]
        for field, term in [("title_en", b"park"), ("body_en", b"park"), ("body_en", b"permit")]:
            fast_ids, fast_weights = _posting_arrays(leaf, field, term)
            matcher = leaf.postings(field, term)
            slow = []
            while matcher.is_active():
                slow.append((matcher.id(), matcher.weight()))
                matcher.next()
            assert list(zip(fast_ids.tolist(), fast_weights.tolist())) == slow
            assert len(slow) > 128 or term == b"permit"


def test_an_edited_document_is_found_by_its_new_words_only(fulltext):
    keywords = KeywordIndex(fulltext)
    keywords.put(DOCS)
    keywords.put([Document("article", 3, "Green bin collection", "Collected on Mondays now.", "public", "en")])
    assert "article:3" in dict(ranking(keywords, "mondays"))
    assert "article:3" not in dict(ranking(keywords, "seven"))
    keywords.remove(["article:3"])
    assert ranking(keywords, "mondays") == []


def test_filters_keep_internal_documents_and_questions_out_when_asked(fulltext):
    keywords = KeywordIndex(fulltext)
    keywords.put(DOCS)
    public = [h.key for h in keywords.search("parking fines bin", public_only=True)]
    assert public and "article:4" not in public and "question:5" not in public
    articles = [h.key for h in keywords.search("bin emptied", public_only=False, kinds=("article",))]
    assert "question:5" not in articles and "article:3" in articles
    questions = [h.key for h in keywords.search("bin emptied", public_only=False, kinds=("question",))]
    assert questions == ["question:5"]


def test_a_query_in_one_language_is_matched_against_that_languages_fields_only(fulltext):
    keywords = KeywordIndex(fulltext)
    keywords.put(DOCS)
    dutch = [h.key for h in keywords.search("vergunning", public_only=False, languages=("nl",))]
    assert dutch == ["article:6"]
    assert [h.key for h in keywords.search("vergunning", public_only=False, languages=("en",))] == []


def test_many_edits_are_compacted_without_changing_any_result(fulltext):
    keywords = KeywordIndex(fulltext)
    keywords.put(DOCS)
    before = {q: ranking(keywords, q) for q in QUERIES}
    for round_number in range(1200):  # every edit leaves a dead row behind until compaction
        keywords.put([DOCS[round_number % len(DOCS)]])
    assert len(keywords._keys) < 1200  # compacted at least once
    for query, expected in before.items():
        got = ranking(keywords, query)
        assert [k for k, _ in got] == [k for k, _ in expected]
        assert [s for _, s in got] == pytest.approx([s for _, s in expected], rel=1e-5)


def test_a_process_sees_articles_that_another_process_wrote_to_the_shared_index(tmp_path):
    """Two workers share one index folder: the one that did not write a change must still find it."""
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    Base.metadata.create_all(engine)
    from knowledge.session_hooks import register as register_session_hooks
    register_session_hooks(engine)  # the change log both services follow, as on the app's engine
    embedders = {"en": HashingEmbedder(), "nl": HashingEmbedder()}
    folder = str(tmp_path / "index")
    with Session(engine) as session:
        first = SearchService(folder, embedders=embedders, sources=[ArticleSource()])
        first.open(session)
        second = SearchService(folder, embedders=embedders, sources=[ArticleSource()])
        second.open(session)
        make_article(session, title="Dog licence", body="Register your dog for the dog tax.", audience="public")
        session.commit()
        first.catch_up(session)  # writes the index on disk
        second.catch_up(session)  # finds nothing left for the disk, but its memory is behind
        for service in (first, second):
            assert [h.title for h in service.search("dog licence", public_only=True)] == ["Dog licence"]
            service.fulltext.close()
    engine.dispose()


def test_compaction_threshold_is_reached_only_with_many_dead_rows(fulltext, monkeypatch):
    calls = []
    monkeypatch.setattr(KeywordIndex, "_compact", lambda self: calls.append(1))
    keywords = KeywordIndex(fulltext)
    keywords.put(DOCS)
    for _ in range(10):
        keywords.put(DOCS)
    assert calls == []


def test_a_snippet_shows_the_match_even_at_the_end_of_a_long_article(fulltext):
    long_body = "General information about municipal services. " * 60 + "Visitors park for free on Sundays."
    fulltext.write([Document("article", 9, "Services", long_body, "public", "en")])
    snippet = fulltext.snippets(["article:9"], "sunday parking")["article:9"]
    assert "<mark>Sundays</mark>" in snippet and "<mark>park</mark>" in snippet
    assert len(snippet) < 600
    assert fulltext.snippets(["article:9"], "passport") == {"article:9": ""}
