import time

from flask import jsonify, request, url_for
from flask_login import current_user
from sqlalchemy import text

from app.api import bp
from app.extensions import csrf, db
from app.search import search_service
from app.web import now, staff_role
from routing.models import CHANNELS
from routing.searching import MAX_QUERY_CHARS, Searcher, search_and_log

# The API authenticates with tokens or the session cookie; state-changing calls with a cookie are
# checked for CSRF by the views that need it, token calls cannot be forged by another site.
csrf.exempt(bp)

MAX_LIMIT = 50


def bad_request(code: str, message: str, status: int = 400):
    return jsonify({"error": code, "message": message}), status


@bp.route("/health")
def health():
    """For load balancers: the app answers and the database is reachable."""
    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "ok"})


@bp.route("/search")
def search():
    started = time.perf_counter()
    query = request.args.get("q", "")
    if not query.strip():
        return bad_request("missing_query", "Give the words to search for in ?q=.")
    if len(query) > MAX_QUERY_CHARS:
        return bad_request("query_too_long", f"A search has at most {MAX_QUERY_CHARS} characters.")
    try:
        limit = int(request.args.get("limit", 10))
    except ValueError:
        return bad_request("bad_limit", f"limit must be a whole number from 1 to {MAX_LIMIT}.")
    if not 1 <= limit <= MAX_LIMIT:
        return bad_request("bad_limit", f"limit must be a whole number from 1 to {MAX_LIMIT}.")

    channel = request.args.get("channel") or None
    if channel is not None and channel not in CHANNELS:
        return bad_request("bad_channel", f"channel must be one of {', '.join(CHANNELS)}.")
    searcher = Searcher(role=staff_role(request.args.get("as")), channel=channel,
                        user_id=current_user.id if current_user.is_authenticated else None)
    entry, hits = search_and_log(db.session, now(), search_service(), query, searcher, limit=limit)
    db.session.commit()
    return jsonify({
        "results": [{
            "kind": hit.kind, "id": hit.id, "title": hit.title, "snippet": hit.snippet, "score": hit.score,
            "url": result_url(hit.kind, hit.id, entry.id), "review_overdue": hit.review_overdue,
        } for hit in hits],
        "search_id": entry.id,
        "took_ms": round((time.perf_counter() - started) * 1000, 1),
    })


def result_url(kind: str, item_id: int, search_id: int) -> str:
    if kind == "article":
        return url_for("selfservice.article", article_id=item_id, s=search_id)
    return url_for("selfservice.previous_answer", question_id=item_id, s=search_id)
