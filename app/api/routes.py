import time

from flask import current_app, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import text

from app.api import bp
from app.api.arguments import limit_arg
from app.api.errors import error_response
from app.auth.session import signed_in_with_token
from app.extensions import csrf, db
from app.search import continued_search, remember_search, search_is_ready, search_service
from app.web import now, staff_role
from knowledge.markdown import render_markdown
from routing.models import CHANNELS
from routing.searching import MAX_QUERY_CHARS, Searcher, search_and_log

# The API authenticates with tokens or the session cookie. Another site cannot send a token, but it can
# make a browser send the cookie: a state change riding on the cookie needs the CSRF token (X-CSRFToken)
# like any form. Posts that only compute an answer (the previews) store nothing and need none.
csrf.exempt(bp)
COMPUTE_ONLY = {"api.preview", "api.routing_preview"}


@bp.before_request
def cookie_state_changes_need_csrf():
    if request.method in ("GET", "HEAD", "OPTIONS") or request.endpoint in COMPUTE_ONLY:
        return None
    if current_user.is_authenticated and not signed_in_with_token():
        csrf.protect()
    return None

MAX_LIMIT = 50


@bp.route("/health")
def health():
    """For load balancers: the app answers, the database is reachable and search is warm. 503
    "starting" while the index opens and the models load, so no caller is sent here before then."""
    db.session.execute(text("SELECT 1"))
    if not search_is_ready(current_app):
        return jsonify({"status": "starting"}), 503
    return jsonify({"status": "ok"})


@bp.route("/search")
def search():
    started = time.perf_counter()
    query = request.args.get("q", "")
    if not query.strip():
        return error_response(400, "missing_query", _("Give the words to search for in ?q=."))
    if len(query) > MAX_QUERY_CHARS:
        return error_response(400, "query_too_long", _("A search has at most %(most)s characters.", most=MAX_QUERY_CHARS))
    limit = limit_arg(default=10, most=MAX_LIMIT)
    channel = request.args.get("channel") or None
    if channel is not None and channel not in CHANNELS:
        return error_response(400, "bad_channel", _("channel must be one of %(channels)s.", channels=", ".join(CHANNELS)))
    searcher = Searcher(role=staff_role(request.args.get("as")), channel=channel,
                        user_id=current_user.id if current_user.is_authenticated else None)
    # Search-as-you-type passes its previous answer's search_id: one log row per search, not per keystroke.
    entry, hits = search_and_log(db.session, now(), search_service(), query, searcher, limit=limit,
                                 continues=continued_search())
    db.session.commit()
    remember_search(entry.id)
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


@bp.route("/preview", methods=["POST"])
def preview():
    """Live preview while staff type an article or an answer: the same rendering and sanitising as on save."""
    if not (current_user.is_authenticated and current_user.roles):
        return error_response(401, "unauthorized", _("Staff only."))
    return jsonify({"html": render_markdown(request.form.get("body", "")[:100_000])})
