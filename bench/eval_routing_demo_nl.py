"""Routing from the text alone, on Dutch questions noted the way agents write them (#13, `demo_nl`).

Protocol: the demo (Gemeente Wadderveen) is loaded into a temporary SQLite database at a fixed Monday
10:30; each question of `bench/data/routing_demo_nl.jsonl` is sent, without a topic, to
`POST /api/v1/routing/preview` with a staff token. A question counts for
- P@1 when the first candidate declared expertise in the expected topic or its parent;
- Hit@3 when one of the first three did;
- topic_accuracy when the inferred topic is the expected one.
The questions were written before any run and nothing was tuned on them.

    PYTHONPATH=$PWD HF_HUB_OFFLINE=1 .venv/bin/python bench/eval_routing_demo_nl.py [--embedders hashing]

`--half validation|test` scores only the odd or even lines: a change tried on one half is reported on the other.
Prints JSON: {"P@1", "Hit@3", "topic_accuracy", "questions", "half", "embedders", "misses": [...]}.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
QUESTIONS = os.path.join(HERE, "data", "routing_demo_nl.jsonl")
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)  # a Monday, 10:30 in Wadderveen


def evaluate(embedders: dict[str, str] | None, half: str | None = None) -> dict:
    from sqlalchemy import select

    from app import create_app
    from app.auth.session import issue_api_token
    from app.demo.load import load_demo
    from app.extensions import db
    from knowledge.base import Base
    from knowledge.models import Topic, User
    from routing.models import DeclaredExpertise

    questions = [json.loads(line) for line in open(QUESTIONS, encoding="utf-8") if line.strip()]
    if half is not None:  # a change tried on the validation half (odd lines) is judged on the test half (even)
        questions = questions[0::2] if half == "validation" else questions[1::2]
    with tempfile.TemporaryDirectory() as folder:
        config = {"VRAAGBAAK_ENV": "testing", "TESTING": True, "SECRET_KEY": "bench-only",
                  "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/demo.db", "INDEX_DIR": f"{folder}/index",
                  "CLOCK": lambda: NOW, "SEARCH_SYNC": "before_search", "BACKGROUND_JOBS": False}
        if embedders:
            config["SEARCH_EMBEDDERS"] = embedders
        app = create_app(config)
        with app.app_context():
            Base.metadata.create_all(db.engine)
            load_demo(db.session, NOW, password="bench-only-password")
            agent = db.session.scalar(select(User).where(User.email.like("noor@%")))
            token = issue_api_token(agent)
            db.session.commit()
            parent = {t.slug: (t.parent.slug if t.parent else None) for t in db.session.scalars(select(Topic))}
            declared: dict[int, set[str]] = {}
            for row in db.session.scalars(select(DeclaredExpertise)):
                declared.setdefault(row.user_id, set()).add(row.topic.slug)
        client = app.test_client()
        p1 = hit3 = topic_right = 0
        misses = []
        for q in questions:
            response = client.post("/api/v1/routing/preview", json={"text": q["text"]},
                                   headers={"Authorization": f"Bearer {token}"})
            body = response.get_json()
            right = {q["topic"], parent[q["topic"]]} - {None}
            good = [bool(declared.get(c["user_id"], set()) & right) for c in body["candidates"]]
            p1 += bool(good[:1] and good[0])
            hit3 += any(good[:3])
            inferred = (body.get("topic") or {}).get("slug")
            topic_right += inferred == q["topic"]
            if not (good[:1] and good[0]) or inferred != q["topic"]:
                misses.append({"text": q["text"][:60], "expected": q["topic"], "inferred": inferred,
                               "first": body["candidates"][0]["name"] if body["candidates"] else None})
        service = app.extensions.get("search")
        if service is not None:
            service.close()
        with app.app_context():
            db.engine.dispose()
    n = len(questions)
    return {"P@1": round(p1 / n, 3), "Hit@3": round(hit3 / n, 3), "topic_accuracy": round(topic_right / n, 3),
            "questions": n, "half": half or "all", "embedders": embedders or "app default", "misses": misses}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedders", default=None,
                        help="e.g. 'hashing' for both languages (fast, no model); default: the app's models")
    parser.add_argument("--half", choices=("validation", "test"), default=None,
                        help="only the odd (validation) or even (test) lines")
    args = parser.parse_args(argv)
    embedders = {"en": args.embedders, "nl": args.embedders} if args.embedders else None
    print(json.dumps(evaluate(embedders, args.half), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
