"""Routing replayed the way a judge replays a site it was never tuned on: through the app.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/replay_routing_api.py [--embedder e5|minilm|hashing] [--import history|all]
                                                                  [--period test|validation|late-validation] [--site beer]
                                                                  [--customer]

For every Stack Exchange dump under ../shared/data/stackexchange-* (the protocol of bench/eval_routing.py:
questions by CreationDate, the first 80 % history, the last 20 % the test period; validation = history
questions 40–80 %; late-validation = 64–80 %, the test's shape inside the history):
1. a fresh app with its own temporary SQLite database and search index;
2. the history goes in through `flask --app app routing import-history FILE` (app.test_cli_runner(), the
   real command), one JSON line per question with every answer, its author, the asker and all tags — the
   questions before the period, so the weights the import learns at its end are fitted on that time only;
   with `--import all` (the default) the period's own questions follow with `--no-learn`, so that, as in the
   in-process bench's continuous replay, an answer given during the period counts for the questions
   after it — the preview's `at` keeps every later answer out;
3. for each question of the period: `POST /api/v1/routing/preview` (a staff API token, as the API
   requires) with its title and body as text, no topic, `at` = its CreationDate and `limit` = every
   candidate; the returned order is scored as it comes back (no tie expectation: the API breaks ties).
   `--customer` also gives it the asker as `customer` (the e-mail address the history's asker was imported
   with), as an integration that knows the caller would; the in-process bench always has the asker.

Truths as in bench/eval_routing.py (candidates = people with an answer before the question): strict = the
accepted answer's author, lenient = every answerer. The baselines are bench/eval_routing.py's own scorers
on the same questions. `--import history` imports the history only (what a judge with the 80 % file does;
the evidence then does not grow during the period, and the baselines and candidates get the same evidence).

Prints ONE JSON object in the shape of issue #13: {"sites": {site: {"strict": {"product": {P@1, Hit@5, MRR},
<baseline>: {...}}, "lenient": {...}, "questions": {...}, "ratio_to_best_baseline": {...}}},
"mean_ratio_to_best_baseline": {...}}. Embeddings are cached under bench/.cache/ by text.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import eval_routing as bench  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from knowledge.base import Base  # noqa: E402
import knowledge.models  # noqa: E402,F401
import routing.models  # noqa: E402,F401

CACHE = ROOT / "bench" / ".cache"
MAX_TEXT = 10_000  # routing.questions.MAX_QUESTION_TEXT: what the API takes
# Shares of the time-sorted questions. "late-validation" has the test's shape inside the history (the
# first 80 % of it, then its last 20 %): with `--import history` the evidence then stops as long before
# the period's questions, relative to the history's length, as in the test.
PERIODS = {"test": (bench.HISTORY_END, 1.0), "validation": (bench.VALIDATION_START, bench.HISTORY_END),
           "late-validation": (bench.HISTORY_END * bench.HISTORY_END, bench.HISTORY_END)}


class CachedEmbedder:
    """The configured embedder, with every text's vector kept on disk: replays embed the same texts."""

    def __init__(self, inner, path: Path):
        self._inner, self._path = inner, path
        self._vectors: dict[str, np.ndarray] = {}
        if path.exists():
            with np.load(path) as stored:
                self._vectors = dict(zip(stored["keys"].tolist(), stored["vectors"]))
        self._dirty = False

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def _embed(self, texts: list[str], embed, kind: str) -> np.ndarray:
        # a query and a passage of the same text are different vectors for e5 ("query: " / "passage: ")
        keys = [hashlib.sha1(f"{kind}\x00{t}".encode()).hexdigest() for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts) if k not in self._vectors}.items())
        if missing:
            vectors = embed([t for _, t in missing])
            self._vectors.update(zip([k for k, _ in missing], vectors))
            self._dirty = True
        return np.array([self._vectors[k] for k in keys], dtype=np.float32).reshape(len(texts), self._inner.dim)

    def embed_documents(self, texts):
        return self._embed(list(texts), self._inner.embed_documents, "document")

    def embed_queries(self, texts):
        return self._embed(list(texts), self._inner.embed_queries, "query")

    def save(self) -> None:
        if self._dirty:
            CACHE.mkdir(parents=True, exist_ok=True)
            keys = sorted(self._vectors)
            np.savez(self._path, keys=np.array(keys), vectors=np.array([self._vectors[k] for k in keys]))
            self._dirty = False


def history_line(q: bench.Question, answers: list[bench.Answer]) -> str:
    """One question as `routing import-history` reads it (README, "Importing an organisation")."""
    return json.dumps({
        "question_id": q.id, "created": q.created.isoformat(), "title": q.title, "text": q.text,
        "tags": sorted(q.tags), "asker": None if q.asker_id is None else {"email": asker_email(q)},
        "answers": [{"user_id": f"se-{a.user_id}", "created": a.created.isoformat(),
                     "accepted": a.id == q.accepted_answer_id, "text": a.text} for a in answers]})


def asker_email(q: bench.Question) -> str | None:
    """The asker as a customer the product recognises (import-history's asker, the preview's customer)."""
    return None if q.asker_id is None else f"se-{q.asker_id}@askers.invalid"


def make_app(workdir: Path, embedder_name: str):
    app = create_app({
        "VRAAGBAAK_ENV": "testing", "TESTING": True, "SECRET_KEY": "replay-only",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'replay.db'}", "INDEX_DIR": str(workdir / "index"),
        "SEARCH_EMBEDDERS": {"en": embedder_name, "nl": embedder_name}, "SEARCH_SYNC": "before_search",
        "DEFAULT_LOCALE": "en",
    })
    with app.app_context():
        Base.metadata.create_all(db.engine)
    return app


def import_file(runner, workdir: Path, name: str, lines: list[str], *extra: str) -> str:
    path = workdir / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(args=["routing", "import-history", str(path), *extra])
    if result.exit_code != 0:
        raise RuntimeError(f"import-history failed: {result.output}")
    return result.output


def replay_site(data: Path, embedder_name: str, mode: str, period: str, with_customer: bool = False) -> dict:
    questions, answers = bench.load_posts(data / "Posts.xml")
    n = len(questions)
    start, end = PERIODS[period]
    by_question: dict[int, list[bench.Answer]] = {}
    for a in answers:
        by_question.setdefault(a.question_id, []).append(a)
    history = [history_line(q, by_question[q.id]) for q in questions[:int(start * n)] if q.id in by_question]
    later = [history_line(q, by_question[q.id]) for q in questions[int(start * n):] if q.id in by_question]
    cases = bench.replay(questions, answers, start, end)
    if mode == "history":  # the evidence is what was imported: the baselines get no more than the product
        imported = {q.id for q in questions[:int(start * n)]}
        cases = [_known_only(c, imported) for c in cases]
    cases = [c for c in cases if c.lenient_truth or c.strict_truth]
    site = data.name.removeprefix("stackexchange-")
    out: dict = {}
    with tempfile.TemporaryDirectory(prefix=f"replay-{site}-") as tmp:
        workdir = Path(tmp)
        app = make_app(workdir, embedder_name)
        cached = _cached_search(app, embedder_name, site)
        runner = app.test_cli_runner()
        bench.log(f"{site}: importing {len(history)} history questions")
        out["import_history"] = import_file(runner, workdir, "history.jsonl", history).strip().splitlines()
        if mode == "all" and later:
            bench.log(f"{site}: importing the {len(later)} later questions without learning")
            import_file(runner, workdir, "later.jsonl", later, "--no-learn")
        with app.app_context():
            with Session(db.engine) as session:
                from app.auth.session import issue_api_token
                from knowledge.models import User
                from knowledge.people import create_user
                agent = create_user(session, _now(), email="replay-agent@example.invalid", name="Replay agent",
                                    roles=("agent",))
                token = issue_api_token(agent)
                session.commit()
                user_of = {email: uid for uid, email in session.execute(select(User.id, User.email))}
                from routing.learning import latest_learned
                learned = latest_learned(session)
                out["learned"] = None if learned is None else {
                    "weights": learned.weights, "validation": learned.report.get("validation", {}).get("MRR")}
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        person = {}  # Stack Exchange user id → the product's user id
        ranked: dict[int, list[int]] = {}
        bench.log(f"{site}: {period} period, {len(cases)} previews")
        started = time.perf_counter()
        for number, case in enumerate(cases, start=1):
            q = case.question
            text = q.title.strip() + ("\n\n" + q.text.strip() if q.text.strip() else "")
            ask = {"text": text[:MAX_TEXT], "at": q.created.isoformat(), "limit": 1_000_000}
            if with_customer and q.asker_id is not None:
                ask["customer"] = {"email": asker_email(q)}
            response = client.post("/api/v1/routing/preview", headers=headers, json=ask)
            if response.status_code != 200:
                raise RuntimeError(f"preview {response.status_code}: {response.get_data(as_text=True)[:300]}")
            ranked[q.id] = [c["user_id"] for c in response.get_json()["candidates"]]
            if number % 50 == 0:
                bench.log(f"{site}: {number}/{len(cases)} previews, {time.perf_counter() - started:.0f} s")
        cached.save()
        for uid in {u for c in cases for u in c.candidates}:
            person[uid] = user_of.get(f"history-se-{uid}@imported.invalid")
        out["seconds_per_preview"] = round((time.perf_counter() - started) / max(len(cases), 1), 3)
    baselines = {"random": bench.random_scorer, "most_active": bench.most_active_scorer,
                 "tag_overlap": bench.tag_overlap_scorer(questions), "bm25": bench.bm25_scorer(answers)}

    def product(case: bench.Case) -> np.ndarray:
        """The API's order as scores: first returned scores highest; a candidate not returned scores lowest."""
        order = {user: len(ranked[case.question.id]) - i for i, user in enumerate(ranked[case.question.id])}
        return np.array([float(order.get(person[u], -1)) for u in case.candidates])

    table = bench.evaluate(cases, {"product": product, **baselines})
    return {**table, **out, "import": mode, "period": period, "customer": with_customer}


def _known_only(case: bench.Case, imported: set[int]) -> bench.Case:
    """The case with only the imported questions' answers as evidence, and candidates and truths to match."""
    past = [a for a in case.past if a.question_id in imported]
    candidates = sorted({a.user_id for a in past})
    return bench.Case(case.question, past, candidates, case.strict_truth & set(candidates),
                      case.lenient_truth & set(candidates))


def _now():
    from datetime import datetime, timezone
    return datetime.now(timezone.utc)


def _cached_search(app, embedder_name: str, site: str) -> CachedEmbedder:
    from app.search import configured_embedders
    from knowledge.search import ArticleSource, SearchService
    from routing.documents import AnsweredQuestionSource
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
    inner = configured_embedders({"en": embedder_name}, bulk=True)["en"]
    cached = CachedEmbedder(inner, CACHE / f"api-replay-{site}-{inner.name}.npz")
    service = SearchService(app.config["INDEX_DIR"], embedders={"en": cached, "nl": cached},
                            sources=[ArticleSource(), AnsweredQuestionSource()])
    with app.app_context():
        with Session(db.engine) as session:
            service.open(session)
    app.extensions["search"] = service
    return cached


def main(argv: list[str]) -> None:
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    from app.search import DEFAULT_EMBEDDERS
    parser.add_argument("--embedder", choices=("e5", "minilm", "hashing"), default=DEFAULT_EMBEDDERS["en"],
                        help="default: what the product uses for English (app.search.DEFAULT_EMBEDDERS)")
    parser.add_argument("--import", dest="mode", choices=("all", "history"), default="all")
    parser.add_argument("--period", choices=tuple(PERIODS), default="test")
    parser.add_argument("--site", action="append", help="only these sites (name without stackexchange-)")
    parser.add_argument("--customer", action="store_true",
                        help="give the preview the asker as its customer (an integration that knows the caller)")
    parser.add_argument("--set", action="append", default=[], metavar="MODULE.NAME=VALUE",
                        help="lab only: set a product constant first, e.g. routing.learning.L2=0.01 (numbers and strings)")
    args = parser.parse_args(argv)
    import importlib
    for setting in args.set:
        target, _, value = setting.partition("=")
        module, _, name = target.rpartition(".")
        setattr(importlib.import_module(module), name, type(getattr(importlib.import_module(module), name))(value))
    started = time.perf_counter()
    sites = {}
    for path in sorted(bench.DATA_ROOT.glob("stackexchange-*")):
        name = path.name.removeprefix("stackexchange-")
        if (path / "Posts.xml").exists() and (not args.site or any(name.startswith(s) for s in args.site)):
            sites[name] = replay_site(path, args.embedder, args.mode, args.period, args.customer)
    ratios = {truth: round(float(np.mean([s["ratio_to_best_baseline"][truth] for s in sites.values()])), 3)
              for truth in ("strict", "lenient")}
    print(json.dumps({"sites": sites, "mean_ratio_to_best_baseline": ratios,
                      "mean_ratio_bootstrap": bench.mean_ratio_bootstrap(list(sites.values())),
                      "protocol": {"through": "routing import-history (CLI) + POST /api/v1/routing/preview "
                                              "(text, no topic, at = CreationDate, limit = all)",
                                   "import": args.mode, "period": args.period, "embedder": args.embedder,
                                   "customer": args.customer,
                                   "settings": args.set},
                      "seconds": round(time.perf_counter() - started, 1)}, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
