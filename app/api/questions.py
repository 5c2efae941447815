"""Questions over the API: intake, a question's status for its customer, the routing preview.

The API reads the JSON and checks its shape (an object, strings where strings belong); the intake rules
are the domain's (`routing.questions.check_new_question`), and their problems become 422s here.
"""
from flask import jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.api import bp
from app.api.arguments import limit_arg, moment_arg
from app.api.errors import error_response
from app.extensions import db
from app.i18n import sentence, translated
from app.search import search_service
from app.web import business_hours, now
from routing.errors import InvalidQuestion, RoutingError
from routing.intake import take_in_and_route
from routing.questions import (MAX_CUSTOMER_NAME, MAX_CUSTOMER_PHONE, MAX_QUESTION_TEXT, TEXT_TOO_LONG, Customer,
                               NewQuestion, find_by_reference_and_token)
from routing.routing import preview_candidates
from routing.tracking import customer_timeline, pending_info_request, status_in_words, who_has_it

# Problems the API has always answered as a malformed field (400 invalid_field), before the question's
# rules (422 invalid_question).
FIELD_PROBLEMS = ("customer.email",)


@bp.route("/questions", methods=["POST"])
def create_question():
    """Intake for integrations: `{"text", "internal_note", "channel", "customer": {"name", "email"}, "topic"}` → 201.

    `text` is the customer's question in their words (the customer sees it); `internal_note` is for staff only.

    Channel `web` is open to anyone (it is the public form's channel); the others need a staff token.
    """
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error_response(400, "invalid_json", _("Send a JSON object."))
    channel = body.get("channel", "api")
    if channel != "web" and not _is_staff():
        return error_response(401, "unauthorized",
                              _("Channels other than 'web' need a staff API token (Authorization: Bearer …)."))
    customer = body.get("customer") or {}
    if not isinstance(customer, dict):
        return error_response(400, "invalid_field", _('customer must be an object: {"name", "email", "phone"}.'))
    fields = {"text": body.get("text"), "internal_note": body.get("internal_note"), "topic": body.get("topic"), "priority": body.get("priority", "normal"),
              "customer.name": customer.get("name"), "customer.email": customer.get("email"),
              "customer.phone": customer.get("phone")}
    wrong = [name for name, value in fields.items() if value is not None and not isinstance(value, str)]
    if wrong:
        return error_response(400, "invalid_field", _("These must be strings: %(fields)s.", fields=", ".join(wrong)))
    if fields["internal_note"] and not _is_staff():
        return error_response(401, "unauthorized", _("An internal_note (staff only) needs a staff API token."))
    # Integrations have always had over-long names and numbers cut to size, not refused.
    new = NewQuestion(text=fields["text"] or "", internal_note=fields["internal_note"] or "", channel=channel, topic_slug=fields["topic"] or None,
                      priority=fields["priority"],
                      customer=Customer(name=_short(fields["customer.name"], MAX_CUSTOMER_NAME),
                                        email=fields["customer.email"] or None,
                                        phone=_short(fields["customer.phone"], MAX_CUSTOMER_PHONE)))
    try:
        question, token, _routed = take_in_and_route(
            db.session, now(), new, search=search_service(), hours=business_hours(),
            taken_in_by_id=current_user.id if current_user.is_authenticated else None)
        db.session.commit()
    except InvalidQuestion as error:
        db.session.rollback()
        return _refused(error)
    except RoutingError as error:
        db.session.rollback()
        return error_response(503, "invalid_question", _said(error))
    return jsonify({
        "reference": question.reference,
        "tracking_url": url_for("selfservice.track", reference=question.reference, token=token, _external=True),
        "tracking_token": token,
        "status": question.status,
        "due_at": question.due_at.isoformat() if question.due_at else None,
    }), 201


def _refused(error: InvalidQuestion):
    field = next((name for name in FIELD_PROBLEMS if name in error.problems), None)
    if field is not None:
        return error_response(400, "invalid_field", translated(error.problems[field]))
    return error_response(422, "invalid_question", _said(error))


def _said(error: RoutingError) -> str:
    """A domain error's words in the reader's language (its Message, when it has one)."""
    return translated(error.args[0]) if error.args else str(error)


@bp.route("/questions/<reference>")
def question_status(reference: str):
    """The tracking page as JSON; the token comes as ?token= or X-Tracking-Token. Wrong token: 404.
    The customer's view: their own text, never the internal note."""
    token = request.headers.get("X-Tracking-Token") or request.args.get("token", "")
    question = find_by_reference_and_token(db.session, reference, token)
    if question is None:
        return error_response(404, "not_found", _("No question with this reference and token."))
    return jsonify({
        "reference": question.reference, "status": question.status, "status_text": sentence(status_in_words(question)),
        "text": question.text,
        "with": translated(who_has_it(question)), "due_at": question.due_at.isoformat() if question.due_at else None,
        "answer_html": question.answer_html, "info_requested": pending_info_request(question),
        "timeline": [{"at": e.at.isoformat(), "text": sentence(e.words)} for e in customer_timeline(question)],
    })


@bp.route("/routing/preview", methods=["POST"])
def routing_preview():
    """Who would get this question, and why — without taking it in. Staff only.

    `{"text", "topic", "customer": {"email", "phone"}, "at", "limit"}`: all but the text optional."""
    if not _is_staff():
        return error_response(401, "unauthorized", _("Send a staff API token (Authorization: Bearer …)."))
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not body["text"].strip():
        return error_response(400, "invalid_json", _('Send {"text": "...", "topic": "optional-topic-slug"}.'))
    if body.get("topic") is not None and not isinstance(body["topic"], str):
        return error_response(400, "invalid_field", _("topic must be a topic's slug (a string)."))
    # `customer`: as at intake; who answered them before counts, as it would for their question
    customer = body.get("customer") or {}
    if not isinstance(customer, dict) or any(customer.get(k) is not None and not isinstance(customer[k], str)
                                             for k in ("email", "phone")):
        return error_response(400, "invalid_field", _('customer must be an object: {"name", "email", "phone"}.'))
    if len(body["text"]) > MAX_QUESTION_TEXT:
        return error_response(422, "invalid_question", translated(TEXT_TOO_LONG))
    # `limit`: default 10, up to every candidate; `at`: who would get it then (default: now).
    limit = limit_arg(default=10, most=None, source=body)
    at = moment_arg("at", body) or now()
    try:
        preview = preview_candidates(db.session, at, body["text"], body.get("topic"),
                                     search=search_service(), hours=business_hours(), limit=limit,
                                     customer_email=customer.get("email"), customer_phone=customer.get("phone"))
    except RoutingError as error:
        return error_response(422, "invalid_question", _said(error))
    topic = preview.inferred.as_payload() if preview.inferred else (
        {"slug": preview.topic.slug, "path": preview.topic.path, "confidence": 1.0, "inferred": False}
        if preview.topic else None)
    return jsonify({"candidates": [{"user_id": c.user_id, "name": c.name, "score": round(c.score, 4),
                                    "reasons": [translated(r) for r in c.reasons], "available": c.available}
                                   for c in preview.candidates],
                    "total": preview.total, "topic": topic, "route": translated(preview.route), "at": at.isoformat()})


def _is_staff() -> bool:
    return current_user.is_authenticated and bool(current_user.roles)


def _short(value: str | None, length: int) -> str | None:
    return value[:length] if value else None
