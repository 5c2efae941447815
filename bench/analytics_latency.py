"""Analytics latency benchmark: dashboard pages over 50,000 questions and 500,000 events.

    .venv/bin/python bench/analytics_latency.py
    .venv/bin/python bench/analytics_latency.py --questions 50000 --events 500000 --repeats 5 --rebuild

Prints ONE JSON object on stdout, {"questions", "events", "pages": {path: ms}, …}; progress on stderr.

1. History (cached in bench/.cache/analytics-Q-E-vV.db, built once with Core bulk inserts into a fresh
   SQLite file): 20 topics, 120 experts with capacities, 6 agents, 60 articles, Q questions received
   over the 12 weeks before NOW over five channels, each with a plausible route — answered from the
   knowledge base at first contact (≈25 %), or routed, sometimes re-routed, forwarded, escalated,
   waiting for the customer, answered, closed, reopened; the last days' questions still open — plus
   customer views up to exactly E events, and 100,000 searches (≈8 % without results); then the
   analytics facts are derived from those events with `rebuild_question_facts`, as after an import.
2. Pages: the app as served (`create_app`, the same SQLite file), signed in as an admin through the
   session cookie, CLOCK fixed at NOW; every page is requested once to warm up, then `--repeats`
   times; `pages` reports the median milliseconds per path, `pages_max` the slowest run.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sqlalchemy import create_engine, insert, text  # noqa: E402

CACHE = os.path.join(ROOT, "bench", ".cache")
HISTORY_VERSION = 4  # bump when the generator changes: the cache key includes it
SEED = 20260302
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
DAYS = 84
CHANNELS = ("phone", "desk", "web", "email", "api")
CHANNEL_WEIGHTS = (40, 10, 35, 12, 3)


def log(*parts) -> None:
    print(f"[{time.strftime('%H:%M:%S')}]", *parts, file=sys.stderr, flush=True)


def build_history(path: str, questions: int, events_wanted: int) -> dict:
    import knowledge.models  # noqa: F401  (registers the tables)
    import routing.models  # noqa: F401
    from knowledge.base import Base
    from knowledge.models import Article, Topic, User, UserRole, article_topics
    from routing.models import Event, ExpertStatus, Question, SearchLog
    from routing.session_hooks import register as register_session_hooks

    rng = random.Random(SEED)
    started = time.perf_counter()
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    register_session_hooks(engine)  # what the app's engine has (the bulk inserts below are Core: no flush)
    t0 = NOW - timedelta(days=DAYS)

    topics = [{"id": 1, "slug": "municipality", "name": "Municipality", "parent_id": None, "review_days": 180}]
    for n in range(2, 21):
        topics.append({"id": n, "slug": f"topic-{n}", "name": f"Topic {n}", "parent_id": 1 if n < 8 else None,
                       "review_days": 180})
    users, roles, statuses = [], [], []
    users.append({"id": 1, "email": "admin@example.org", "name": "Adam Admin", "created_at": t0})
    roles += [{"user_id": 1, "role": "admin"}, {"user_id": 1, "role": "editor"}]
    agents = list(range(2, 8))
    experts = list(range(8, 128))
    for uid in agents:
        users.append({"id": uid, "email": f"agent{uid}@example.org", "name": f"Agent {uid}", "created_at": t0})
        roles.append({"user_id": uid, "role": "agent"})
    for uid in experts:
        users.append({"id": uid, "email": f"expert{uid}@example.org", "name": f"Expert {uid}", "created_at": t0})
        roles.append({"user_id": uid, "role": "expert"})
        statuses.append({"user_id": uid, "presence": "available", "capacity": rng.choice((3, 5, 5, 8, 10)),
                         "timezone": "Europe/Amsterdam"})
    experts_of = {t["id"]: rng.sample(experts, 8) for t in topics}
    articles, links = [], []
    for aid in range(1, 61):
        articles.append({"id": aid, "title": f"Article {aid}", "body": "Body.", "body_html": "<p>Body.</p>",
                         "status": "published" if aid % 4 else "draft", "audience": "public", "language": "en",
                         "created_at": t0, "updated_at": t0, "version": 1})
        links.append({"article_id": aid, "topic_id": 2 + aid % 12})  # topics 14–20 stay uncovered

    question_rows, event_rows = [], []

    def event(qid, at, kind, actor=None, **payload):
        event_rows.append({"question_id": qid, "at": at, "actor_id": actor, "kind": kind, "payload": payload})

    # Numbered in arrival order, as the product numbers them (ids and times rise together).
    arrivals = sorted(t0 + timedelta(seconds=rng.uniform(0, DAYS * 86400 - 3600)) for _ in range(questions))
    for qid, received in enumerate(arrivals, start=1):
        channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        topic = rng.randint(1, 20)
        agent = rng.choice(agents) if channel in ("phone", "desk") else None
        row = {"id": qid, "reference": f"VB-{received.year}-{qid:06d}", "tracking_token_hash": "0" * 64,
               "channel": channel, "text": f"Question {qid}", "language": "en", "topic_id": topic,
               "priority": "normal", "status": "new", "owner_id": None, "taken_in_by_id": agent, "due_at": None,
               "created_at": received, "updated_at": received, "answered_at": None, "answered_by_id": None,
               "worth_keeping": False, "closed_at": None, "routed_at": None, "escalated_at": None, "version": 1}
        event(qid, received, "received", agent, channel=channel)
        at = received + timedelta(seconds=rng.randint(5, 60))
        event(qid, at, "searched", agent, query=f"question {qid}")
        if agent and rng.random() < 0.33:
            at += timedelta(minutes=rng.uniform(1, 6))
            event(qid, at, "answered_from_kb", agent, article_id=rng.randint(1, 60))
            row.update(status="answered_from_kb", answered_at=at, answered_by_id=agent, closed_at=at, updated_at=at)
            question_rows.append(row)
            continue
        owner = rng.choice(experts_of[topic])
        at += timedelta(minutes=rng.uniform(1, 10))
        due = at + timedelta(hours=rng.choice((8, 16, 24, 40)))
        event(qid, at, "routed", agent, to_user_id=owner, due_at=due.isoformat(), candidates=[], reason="best match")
        row.update(status="routed", owner_id=owner, due_at=due, routed_at=at)

        def step(minutes_low, minutes_high):
            nonlocal at
            at += timedelta(minutes=rng.uniform(minutes_low, minutes_high))
            return at <= NOW

        if rng.random() < 0.15 and step(60, 90):
            owner = rng.choice(experts_of[topic])
            event(qid, at, "routed", None, to_user_id=owner, due_at=due.isoformat(), candidates=[],
                  reason="not accepted within 60 minutes: handed on")
            row.update(owner_id=owner, routed_at=at)
        if not step(5, 240):
            question_rows.append(row)
            continue
        event(qid, at, "accepted", owner)
        row["status"] = "accepted"
        if rng.random() < 0.2 and step(10, 600):
            new_owner = rng.choice(experts_of[topic])
            event(qid, at, "forwarded", owner, to_user_id=new_owner, reason="knows more about it")
            owner = new_owner
            row.update(owner_id=owner, routed_at=at, status="routed")
        if rng.random() < 0.1 and step(60, 600):
            event(qid, at, "escalated", None, to_user_id=experts_of[topic][0], due_at=due.isoformat(),
                  reason="the promised time is near")
            row["escalated_at"] = at
        if rng.random() < 0.15 and step(10, 300):
            event(qid, at, "info_requested", owner, message="Which address?")
            asked = at
            row["status"] = "waiting_for_customer"
            if not step(30, 2880):
                question_rows.append(row)
                continue
            event(qid, at, "customer_replied", None, message="Kerkstraat 1")
            due += at - asked
            row.update(status="accepted", due_at=due)
        if not step(10, rng.choice((240, 1200, 3000))):
            question_rows.append(row)
            continue
        event(qid, at, "answered", owner, worth_keeping=False)
        row.update(status="answered", answered_at=at, answered_by_id=owner, updated_at=at)
        if step(60, 4000):
            event(qid, at, "customer_viewed", None)
        if step(60, 2000):
            event(qid, at, "closed", owner)
            row.update(status="closed", closed_at=at, updated_at=at)
            if rng.random() < 0.03 and step(60, 6000):
                event(qid, at, "customer_rated", None, helpful=False, comment="")
                event(qid, at, "reopened", None, reason="the customer says the answer did not help")
                row.update(status="reopened", owner_id=row["answered_by_id"], closed_at=None, updated_at=at)
        question_rows.append(row)

    answered = [q for q in question_rows if q["answered_at"] is not None]
    while len(event_rows) < events_wanted:  # customers come back to read their answer
        q = rng.choice(answered)
        at = q["answered_at"] + timedelta(minutes=rng.uniform(5, 20000))
        event(q["id"], min(at, NOW), "customer_viewed", None)
    del event_rows[events_wanted:]
    event_rows.sort(key=lambda e: e["at"])  # appended in time order, as the product writes them

    searches = []
    for n in range(1, 100_001):
        at = t0 + timedelta(seconds=rng.uniform(0, DAYS * 86400))
        zero = rng.random() < 0.08
        searches.append({"at": at, "query": f"gap {rng.randint(1, 400)}" if zero else f"query {rng.randint(1, 5000)}",
                         "role": "public" if rng.random() < 0.7 else "agent", "channel": None, "user_id": None,
                         "result_count": 0 if zero else rng.randint(1, 10),
                         "question_id": rng.randint(1, questions) if rng.random() < 0.1 else None})

    searches.sort(key=lambda s: s["at"])  # logged as they happen
    log(f"generated {len(question_rows):,} questions, {len(event_rows):,} events; inserting")
    with engine.begin() as conn:
        conn.execute(insert(Topic.__table__), topics)
        conn.execute(insert(User.__table__), users)
        conn.execute(insert(UserRole.__table__), roles)
        conn.execute(insert(ExpertStatus.__table__), statuses)
        conn.execute(insert(Article.__table__), articles)
        conn.execute(insert(article_topics), links)
        for start in range(0, len(question_rows), 10_000):
            conn.execute(insert(Question.__table__), question_rows[start:start + 10_000])
        for start in range(0, len(event_rows), 50_000):
            conn.execute(insert(Event.__table__), event_rows[start:start + 50_000])
            log(f"  events {start + 50_000:,}")
        conn.execute(insert(SearchLog.__table__), searches)
    add_proposed_index(engine)
    # Bulk inserts bypass the session hook that keeps the analytics facts in step: derive them as a
    # deployment would after an import, from the events.
    from sqlalchemy.orm import Session

    from routing.events import rebuild_question_facts
    facts_started = time.perf_counter()
    with Session(engine) as session:
        rebuild_question_facts(session)
        session.commit()
    facts_seconds = round(time.perf_counter() - facts_started, 1)
    log(f"derived the question facts from the events in {facts_seconds} s")
    engine.dispose()
    return {"build_seconds": round(time.perf_counter() - started, 1), "facts_seconds": facts_seconds}


def add_proposed_index(engine) -> None:
    """The index migration 0006 adds (events by question in time order, covering kind), until the model
    declares it too; a no-op when it exists."""
    with engine.begin() as conn:
        conn.execute(text("CREATE INDEX IF NOT EXISTS ix_events_question_at_kind ON events (question_id, at, kind)"))


def measure(path: str, repeats: int) -> tuple[dict, dict, dict]:
    from app import create_app
    from app.analytics import bp as analytics_bp
    from app.api.events import bp as events_api_bp
    from app.auth.session import issue_api_token
    from app.extensions import db
    from knowledge.models import User
    from routing.models import Event, Question

    app = create_app({
        "VRAAGBAAK_ENV": "testing", "TESTING": True, "SECRET_KEY": "bench-only",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "INDEX_DIR": os.path.join(CACHE, "analytics-index"),
        "CLOCK": lambda: NOW, "SEARCH_EMBEDDERS": {"en": "hashing", "nl": "hashing"},
        "BACKGROUND_JOBS": False, "SEARCH_WARM_UP": False,
    })
    # The lead registers these in app.web; until then the bench does, like the tests.
    if "analytics" not in app.blueprints:
        app.register_blueprint(analytics_bp, url_prefix="/analytics")
    if "events_api" not in app.blueprints:
        app.register_blueprint(events_api_bp, url_prefix="/api/v1")
    with app.app_context():
        counts = {"questions": db.session.query(Question).count(), "events": db.session.query(Event).count()}
        admin = db.session.get(User, 1)
        token = issue_api_token(admin)
        db.session.commit()
        busy = db.session.execute(text(
            "SELECT reference FROM questions q JOIN events e ON e.question_id = q.id "
            "GROUP BY q.id ORDER BY count(*) DESC LIMIT 1")).scalar()
    client = app.test_client()
    with client.session_transaction() as session:  # signed in, as Flask-Login keeps it
        session["_user_id"] = "1"
        session["_fresh"] = True

    pages = ["/analytics/", "/analytics/flow", "/analytics/self-service", "/analytics/load",
             "/analytics/load?expert=8", "/analytics/?topic=municipality", "/analytics/?channel=phone",
             f"/analytics/questions/{busy}", "/analytics/topics.csv", "/api/v1/events?limit=1000"]
    medians, slowest = {}, {}
    for page in pages:
        headers = {"Authorization": f"Bearer {token}"} if page.startswith("/api/") else {}
        response = client.get(page, headers=headers)  # warm-up: caches, first compile of templates
        response.get_data()
        assert response.status_code == 200, (page, response.status_code, response.get_data(as_text=True)[:500])
        runs = []
        for _ in range(repeats):
            started = time.perf_counter()
            response = client.get(page, headers=headers)
            response.get_data()
            runs.append((time.perf_counter() - started) * 1000)
        medians[page], slowest[page] = round(statistics.median(runs), 1), round(max(runs), 1)
        log(f"{page}: median {medians[page]} ms, max {slowest[page]} ms")
    return counts, medians, slowest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=50_000)
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true", help="drop the cached history and build it again")
    args = parser.parse_args()

    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, f"analytics-{args.questions}-{args.events}-v{HISTORY_VERSION}.db")
    meta_path = path + ".json"
    if args.rebuild:
        for stale in (path, path + "-wal", path + "-shm", meta_path):
            if os.path.exists(stale):
                os.remove(stale)
    cached = os.path.exists(meta_path)
    if cached:
        with open(meta_path) as f:
            meta = json.load(f)
        log(f"using cached history {path}")
    else:
        for stale in (path, path + "-wal", path + "-shm"):
            if os.path.exists(stale):
                os.remove(stale)
        log(f"building history in {path}")
        meta = build_history(path, args.questions, args.events)
        with open(meta_path, "w") as f:
            json.dump(meta, f)
    engine = create_engine(f"sqlite:///{path}")
    add_proposed_index(engine)
    engine.dispose()
    counts, medians, slowest = measure(path, args.repeats)
    print(json.dumps({**counts, "pages": medians, "pages_max": slowest, "repeats": args.repeats,
                      "database": "sqlite", "cached": cached, **meta, "loadavg_1m": round(os.getloadavg()[0], 2)},
                     indent=2))


if __name__ == "__main__":
    main()
