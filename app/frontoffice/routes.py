from flask_babel import gettext as _
from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.i18n import translated
from app.frontoffice import bp
from app.questions_form import IntakeForm
from app.search import search_service
from app.web import business_hours, database_id, now
from knowledge.catalogue import readable_article
from routing.customers import other_questions_of_customer, questions_of_caller
from routing.errors import RoutingError
from routing.intake import answer_with_article, take_in_and_route
from routing.topics import infer_topic
from routing.routing import route_question
from routing.tracking import pending_info_request
from routing.worklists import question_by_reference, question_thread, questions_taken_in_by


@bp.route("/")
def home():
    recent = questions_taken_in_by(db.session, now(), current_user.id)
    return render_template("frontoffice/home.html", recent=recent)


@bp.route("/caller")
def caller():
    """A customer calls back: their questions, where each one is, before anything is taken in twice."""
    contact = request.args.get("contact", "")[:254]
    try:
        found = questions_of_caller(db.session, contact)
    except RoutingError as error:
        said = translated(error.args[0] if error.args else error)
        return render_template("frontoffice/caller.html", contact=contact, questions=[], error=said), 400
    return render_template("frontoffice/caller.html", contact=contact, questions=found, error=None)


@bp.route("/questions/new", methods=["GET", "POST"])
def new_question():
    form = IntakeForm().load_topics()
    if not form.is_submitted():
        form.text.data = request.args.get("q", "")  # what the agent was searching for
        if form.text.data.strip():
            form.show_inferred(infer_topic(db.session, search_service(), form.text.data))
    new = form.submitted_question()
    if new is not None:
        try:
            question, token, _routing = take_in_and_route(db.session, now(), new, search=search_service(),
                                                   hours=business_hours(), taken_in_by_id=current_user.id,
                                                   inferred_topic_slug=form.inferred_topic.data or None)
            db.session.commit()
        except RoutingError as error:
            db.session.rollback()
            form.show_problems(error)
        else:
            session[f"token:{question.reference}"] = token  # shown once on the next page
            return redirect(url_for("frontoffice.question", reference=question.reference))
    return render_template("frontoffice/new_question.html", form=form), 400 if form.errors else 200


@bp.route("/questions/<reference>")
def question(reference: str):
    found = question_by_reference(db.session, reference) or abort(404)
    token = session.pop(f"token:{reference}", None)
    routed = next((e for e in reversed(found.events) if e.kind == "routed"), None)
    return render_template("frontoffice/question.html", question=found, token=token,
                           thread=question_thread(db.session, found), asked=pending_info_request(found),
                           candidates=routed.payload.get("candidates", []) if routed else [],
                           customer_questions=other_questions_of_customer(db.session, found),
                           endpoint="frontoffice.question")  # where a listed question opens


@bp.route("/questions/<reference>/reassign", methods=["POST"])
def reassign(reference: str):
    """The agent picks another of the candidates shown."""
    found = question_by_reference(db.session, reference) or abort(404)
    try:
        route_question(db.session, now(), found, search=search_service(), hours=business_hours(),
                       actor_id=current_user.id, chosen_user_id=request.form.get("user_id", type=database_id))
        db.session.commit()
    except (RoutingError, StaleDataError) as error:
        db.session.rollback()
        flash(translated(error.args[0]) if isinstance(error, RoutingError)
              else _("Someone changed this question just now; try again."),
              "danger")
        return redirect(url_for("frontoffice.question", reference=reference), 303)
    flash(_("%(reference)s is now with %(name)s.", reference=found.reference, name=found.owner.name), "success")
    return redirect(url_for("frontoffice.question", reference=reference), 303)


@bp.route("/answered-from-kb", methods=["POST"])
def answered_from_kb():
    """One click during the call: the customer's question was answered with this article."""
    article = readable_article(db.session, request.form.get("article_id", type=database_id) or 0, staff=True)
    form = IntakeForm(meta={"csrf": False}).load_topics()  # CSRFProtect has checked the token already
    new = form.submitted_question()
    if article is None or new is None:
        abort(400, _("Give the customer's question (at most 10,000 characters) and a published article."))
    try:
        question = answer_with_article(db.session, now(), new, article, agent_id=current_user.id)
    except RoutingError as error:
        abort(400, translated(error.args[0] if error.args else error))
    db.session.commit()
    flash(_("Recorded as answered at first contact (%(reference)s).", reference=question.reference), "success")
    return redirect(url_for("frontoffice.home"), 303)
