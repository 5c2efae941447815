"""The expert's inbox: their open questions, and what they may do with one (`ACTIONS`)."""
from urllib.parse import quote

from flask_babel import gettext as _, lazy_gettext as _l
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from app.actions import commit_action
from app.extensions import db
from app.inbox import bp
from app.search import search_service
from app.web import database_id, now
from knowledge.messages import N_
from knowledge.models import User
from knowledge.people import active_experts, is_active_expert
from routing.customers import other_questions_of_customer
from routing.errors import RoutingError
from routing.mail_intake import attachment_of, mails_of
from routing.questions import accept_question, answer_question, forward_question, request_customer_info
from routing.worklists import open_questions_of, question_by_reference, similar_for

ACTIONS = {
    "accept": lambda q, form: accept_question(db.session, now(), q, expert_id=current_user.id),
    "answer": lambda q, form: answer_question(db.session, now(), q, expert_id=current_user.id,
                                              body=form.get("answer", ""),
                                              worth_keeping=form.get("worth_keeping") == "y"),
    "forward": lambda q, form: forward_question(db.session, now(), q, from_id=current_user.id,
                                                to_id=_colleague(form.get("to_user_id", type=database_id)),
                                                reason=form.get("reason", "")),
    "ask": lambda q, form: request_customer_info(db.session, now(), q, expert_id=current_user.id,
                                                 message=form.get("message", "")),
}
DONE = {"accept": _l("Accepted: it is yours now."), "answer": _l("Answer sent."), "forward": _l("Forwarded."),
        "ask": _l("Question to the customer sent; the clock is paused until they reply.")}
LEAVES_THE_INBOX = ("answer", "forward")  # after these the question is no longer this expert's to work on
REFUSALS = {RoutingError: None,
            StaleDataError: _l("Someone else acted on this question at the same moment; here is what it looks like "
                                "now.")}


@bp.route("/")
def home():
    return render_template("inbox/home.html", questions=open_questions_of(db.session, current_user.id), now=now())


@bp.route("/questions/<reference>")
def question(reference: str):
    found = question_by_reference(db.session, reference) or abort(404)
    articles, previous = similar_for(search_service(), found)
    colleagues = active_experts(db.session, except_ids=[current_user.id])
    return render_template("inbox/question.html", question=found, articles=articles, previous=previous,
                           colleagues=colleagues, customer_questions=other_questions_of_customer(db.session, found),
                           mails=mails_of(db.session, found), now=now(),
                           endpoint="inbox.question")  # where a listed question opens


@bp.route("/questions/<reference>/attachments/<int:attachment_id>")
def attachment(reference: str, attachment_id: int):
    """A customer's attachment, for staff only, always as a download: never rendered in our origin."""
    found = question_by_reference(db.session, reference) or abort(404)
    kept = attachment_of(db.session, found, attachment_id) or abort(404)
    response = Response(kept.content, mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = _attachment_disposition(kept.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _attachment_disposition(filename: str) -> str:
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


@bp.route("/questions/<reference>/<action>", methods=["POST"])
def act(reference: str, action: str):
    if action not in ACTIONS:
        abort(404)
    found = question_by_reference(db.session, reference) or abort(404)
    if found.owner_id != current_user.id:
        flash(_("This question is with a colleague now; only its owner can act on it."), "danger")
        return redirect(url_for("inbox.question", reference=reference), 303)
    _done, refusal = commit_action(lambda: ACTIONS[action](found, request.form), REFUSALS)
    if refusal is not None:
        flash(refusal, "danger")
        return redirect(url_for("inbox.question", reference=reference), 303)
    flash(str(DONE[action]), "success")
    if action in LEAVES_THE_INBOX:
        return redirect(url_for("inbox.home"), 303)
    return redirect(url_for("inbox.question", reference=reference), 303)


def _colleague(user_id: int | None) -> int:
    user = db.session.get(User, user_id or 0)
    if not is_active_expert(user):
        raise RoutingError(N_("Choose a colleague to forward to."))
    return user.id
