import time

from flask import jsonify, request, url_for
from flask_login import current_user
from sqlalchemy import text

from app.api import bp
from app.auth.session import signed_in_with_token
from app.extensions import csrf, db
from app.search import search_service
from app.web import business_hours, now, staff_role
from knowledge.markdown import render_markdown
from routing.errors import InvalidQuestion, RoutingError
from routing.intake import take_in_and_route
from routing.models import CHANNELS
from routing.questions import MAX_QUESTION_TEXT, Customer, NewQuestion, find_by_reference_and_token
from routing.routing import preview_candidates
from routing.searching import MAX_QUERY_CHARS, Searcher, search_and_log
from routing.tracking import customer_timeline, pending_info_request, status_in_words, who_has_it

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


@bp.route("/preview", methods=["POST"])
def preview():
    """Live preview while staff type an article or an answer: the same rendering and sanitising as on save."""
    if not (current_user.is_authenticated and current_user.roles):
        return bad_request("unauthorized", "Staff only.", 401)
    return jsonify({"html": render_markdown(request.form.get("body", "")[:100_000])})


@bp.route("/questions", methods=["POST"])
def create_question():
    """Intake for integrations: `{"text", "channel", "customer": {"name", "email"}, "topic"}` → 201.

    Channel `web` is open to anyone (it is the public form's channel); the others need a staff token.
    """
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return bad_request("invalid_json", "Send a JSON object.")
    channel = body.get("channel", "api")
    if channel != "web" and not (current_user.is_authenticated and current_user.roles):
        return bad_request("unauthorized", "Channels other than 'web' need a staff API token (Authorization: Bearer …).",
                           401)
    customer = body.get("customer") or {}
    if not isinstance(customer, dict):
        return bad_request("invalid_field", 'customer must be an object: {"name", "email", "phone"}.')
    fields = {"text": body.get("text"), "topic": body.get("topic"), "priority": body.get("priority", "normal"),
              "customer.name": customer.get("name"), "customer.email": customer.get("email"),
              "customer.phone": customer.get("phone")}
    wrong = [name for name, value in fields.items() if value is not None and not isinstance(value, str)]
    if wrong:
        return bad_request("invalid_field", f"These must be strings: {', '.join(wrong)}.")
    email = fields["customer.email"]
    if email and (len(email) > 254 or "@" not in email):
        return bad_request("invalid_field", "customer.email is not an e-mail address.")
    new = NewQuestion(text=fields["text"] or "", channel=channel, topic_slug=fields["topic"] or None,
                      priority=fields["priority"],
                      customer=Customer(name=_short(fields["customer.name"], 120), email=email or None,
                                        phone=_short(fields["customer.phone"], 40)))
    try:
        question, token, _ = take_in_and_route(
            db.session, now(), new, search=search_service(), hours=business_hours(),
            taken_in_by_id=current_user.id if current_user.is_authenticated else None)
        db.session.commit()
    except RoutingError as error:
        db.session.rollback()
        return bad_request("invalid_question", str(error), 422 if isinstance(error, InvalidQuestion) else 503)
    return jsonify({
        "reference": question.reference,
        "tracking_url": url_for("selfservice.track", reference=question.reference, token=token, _external=True),
        "tracking_token": token,
        "status": question.status,
        "due_at": question.due_at.isoformat() if question.due_at else None,
    }), 201


@bp.route("/questions/<reference>")
def question_status(reference: str):
    """The tracking page as JSON; the token comes as ?token= or X-Tracking-Token. Wrong token: 404."""
    token = request.headers.get("X-Tracking-Token") or request.args.get("token", "")
    question = find_by_reference_and_token(db.session, reference, token)
    if question is None:
        return bad_request("not_found", "No question with this reference and token.", 404)
    return jsonify({
        "reference": question.reference, "status": question.status, "status_text": status_in_words(question),
        "with": who_has_it(question), "due_at": question.due_at.isoformat() if question.due_at else None,
        "answer_html": question.answer_html, "info_requested": pending_info_request(question),
        "timeline": [{"at": e.at.isoformat(), "text": e.words} for e in customer_timeline(question)],
    })


@bp.route("/routing/preview", methods=["POST"])
def routing_preview():
    """Who would get this question, and why — without taking it in. Staff only."""
    if not (current_user.is_authenticated and current_user.roles):
        return bad_request("unauthorized", "Send a staff API token (Authorization: Bearer …).", 401)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not body["text"].strip():
        return bad_request("invalid_json", 'Send {"text": "...", "topic": "optional-topic-slug"}.')
    if body.get("topic") is not None and not isinstance(body["topic"], str):
        return bad_request("invalid_field", "topic must be a topic's slug (a string).")
    if len(body["text"]) > MAX_QUESTION_TEXT:
        return bad_request("invalid_question", f"A question has at most {MAX_QUESTION_TEXT:,} characters.", 422)
    try:
        candidates = preview_candidates(db.session, now(), body["text"], body.get("topic"),
                                        search=search_service(), hours=business_hours())
    except RoutingError as error:
        return bad_request("invalid_question", str(error), 422)
    return jsonify({"candidates": [{"user_id": c.user_id, "name": c.name, "score": round(c.score, 4),
                                    "reasons": list(c.reasons), "available": c.available} for c in candidates]})


def _short(value: str | None, length: int) -> str | None:
    return value[:length] if value else None
