"""How alike must a captured draft and a published article be before the editor is shown it as a duplicate?

Measured on the demo, with the product's embedders: the demo is loaded into a temporary SQLite database, every
answered demo question is captured as a draft (as an expert's "worth keeping" does), and for each draft the
product's `similar_documents` lists the published articles with their similarity. Labels: a suggestion is
*related* when the article shares the draft's topic (the demo's topics are narrow: "WOZ & onroerendezaakbelasting",
"Hondenbelasting", …), *unrelated* otherwise. For each threshold the JSON gives how many suggestions are shown, the
share of them that are related (precision) and the share of drafts whose best related article is still shown
(recall); `chosen` is the lowest threshold whose precision is at least `--precision` (default 0.5), which
routing.editorial.DUPLICATE_THRESHOLD is set from.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/duplicate_threshold.py
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--precision", type=float, default=0.5)
    args = parser.parse_args()

    from app import create_app
    from app.demo.load import load_demo
    from app.extensions import db
    from app.search import search_service
    from knowledge.models import Article
    from routing.editorial import capture_answer
    from routing.models import Question

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"VRAAGBAAK_ENV": "testing", "TESTING": True, "SECRET_KEY": "bench",
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db", "INDEX_DIR": f"{tmp}/index",
                          "SEARCH_SYNC": "before_search", "SEARCH_WARM_UP": False})
        with app.app_context():
            db.create_all()
            now = datetime.now(timezone.utc)
            load_demo(db.session, now, password="bench-only")
            db.session.commit()
            for question in db.session.scalars(select(Question).where(Question.status.in_(("answered", "closed")))):
                capture_answer(db.session, now, question, actor_id=None)
            db.session.commit()
            published = {a.id: a for a in db.session.scalars(select(Article).where(Article.status == "published"))}
            drafts = db.session.scalars(select(Article).where(Article.status == "draft",
                                                              Article.revisions.any())).all()
            service = search_service()
            service.catch_up(db.session)
            out = {}
            for method, text_of in METHODS.items():
                rows = []
                for draft in drafts:
                    if not draft.topics:
                        continue
                    topic_ids = {t.id for t in draft.topics}
                    found = service.similar_documents(text_of(draft), kinds=("article",), k=30)
                    for _, article_id, score in found:
                        article = published.get(article_id)
                        if article is None or article_id == draft.id:
                            continue
                        rows.append({"draft": draft.id, "score": score,
                                     "same_language": article.language == draft.language,
                                     "related": bool(topic_ids & {t.id for t in article.topics})})
                out[method] = report(rows, args.precision)
            print(json.dumps(out, indent=2))


# What of the draft is compared with the articles: the whole text (as routing.editorial.possible_duplicates did),
# or the title alone (the customer's question, against articles titled as questions).
METHODS = {"title_and_body": lambda d: f"{d.title}\n{d.body}", "title": lambda d: d.title}


def report(rows: list[dict], wanted_precision: float) -> dict:
    drafts = {r["draft"] for r in rows}
    best_related = {}
    for r in rows:
        if r["related"]:
            best_related[r["draft"]] = max(best_related.get(r["draft"], 0.0), r["score"])
    thresholds = []
    for step in range(20, 91, 5):
        t = step / 100
        shown = [r for r in rows if r["score"] >= t]
        related = sum(r["related"] for r in shown)
        thresholds.append({
            "threshold": t, "shown": len(shown), "per_draft": round(len(shown) / max(len(drafts), 1), 2),
            "precision": round(related / len(shown), 3) if shown else None,
            "recall": round(sum(1 for s in best_related.values() if s >= t) / max(len(best_related), 1), 3),
        })
    chosen = next((t["threshold"] for t in thresholds if t["precision"] is not None
                   and t["precision"] >= wanted_precision), None)
    related_scores = sorted(r["score"] for r in rows if r["related"])
    unrelated_scores = sorted(r["score"] for r in rows if not r["related"])

    def quantiles(values):
        if not values:
            return None
        return {q: round(values[min(len(values) - 1, int(q / 100 * len(values)))], 3) for q in (10, 50, 90)}

    return {"drafts": len(drafts), "drafts_with_a_related_article": len(best_related), "pairs": len(rows),
            "related_score_quantiles": quantiles(related_scores),
            "unrelated_score_quantiles": quantiles(unrelated_scores),
            "wanted_precision": wanted_precision, "chosen": chosen, "thresholds": thresholds}


if __name__ == "__main__":
    main()
