from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale, gettext as _

from app.actions import commit_action
from app.extensions import db
from app.i18n import LANGUAGES, SESSION_KEY, translated
from app.search import continued_search, remember_search, search_service
from app.selfservice import bp
from app.questions_form import QuestionForm
from app.web import business_hours, database_id, now, staff_role
from knowledge.catalogue import public_articles_by_topic, readable_article
from routing.editorial import give_feedback
from routing.errors import RoutingError
from routing.intake import take_in_and_route
from routing.questions import (find_by_reference_and_token, follow_up_after_answer, rate_answer,
                               record_customer_reply, reopen_possible_until)
from knowledge.errors import InvalidArticle
from knowledge.messages import N_
from routing.searching import MAX_QUERY_CHARS, Searcher, record_opened, search_and_log, search_words
from routing.tracking import customer_timeline, note_customer_view, pending_info_request, status_in_words, who_has_it
from routing.worklists import answered_question

# What a customer may do on their question's tracking page (POST action=…), and what they are told after.
ACTIONS = {
    "reply": lambda q, form: record_customer_reply(db.session, now(), q, message=form.get("message", "")),
    "follow-up": lambda q, form: follow_up_after_answer(db.session, now(), q, message=form.get("message", ""),
                                                        reopen_days=current_app.config["REOPEN_DAYS"]),
    "rate": lambda q, form: rate_answer(db.session, now(), q, helpful=form.get("helpful") == "yes",
                                        comment=form.get("comment", "")),
}
REPLIED = N_("Thank you, we have your reply. %(who)s continues with your question.")
DONE = {"reply": REPLIED, "follow-up": REPLIED, "rate": N_("Thank you for telling us.")}


@bp.route("/taal", methods=["POST"])
def choose_language():
    """The NL/EN switch: a visitor's choice beats their browser's until the session ends."""
    locale = request.form.get("locale", "")
    if locale not in LANGUAGES:
        abort(400)
    session[SESSION_KEY] = locale
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("selfservice.home"))


@bp.route("/")
def home():
    query = request.args.get("q", "").strip()[:MAX_QUERY_CHARS]
    if not query:
        return render_template("selfservice/home.html", sections=public_articles_by_topic(db.session))
    # The public page searches as a customer would, whoever is signed in.
    # Submitting the live-search box settles the search it was typing (`continues`), not a second row.
    entry, hits = search_and_log(db.session, now(), search_service(), query, Searcher(channel="web"),
                                 continues=continued_search())
    db.session.commit()
    remember_search(entry.id)
    return render_template("selfservice/results.html", query=query, hits=hits, search_id=entry.id)


@bp.route("/articles/<int:article_id>")
def article(article_id: int):
    found = readable_article(db.session, article_id, staff=_is_staff())
    if found is None:
        abort(404)
    _note_opened("article", article_id)
    # The words the customer searched with travel on to the ask form, with the article they read.
    words = search_words(db.session, request.args.get("s", type=database_id)) or request.args.get("q", "")
    return render_template("selfservice/article.html", article=found, search_words=words[:MAX_QUERY_CHARS],
                           not_helpful=request.args.get("helpful") == "no")


@bp.route("/previously-answered/<int:question_id>")
def previous_answer(question_id: int):
    """An answered question as staff find it in search: the question, the answer, who answered."""
    if not _is_staff():
        abort(404)
    question = answered_question(db.session, question_id)
    if question is None:
        abort(404)
    _note_opened("question", question_id)
    return render_template("selfservice/previous_answer.html", question=question)


def _is_staff() -> bool:
    return staff_role() != "public"


def _note_opened(kind: str, item_id: int) -> None:
    search_id = request.args.get("s", type=database_id)
    if search_id:
        record_opened(db.session, search_id, kind, item_id)
        db.session.commit()


@bp.route("/ask", methods=["GET", "POST"])
def ask():
    """'Didn't find it?': the customer asks; the question gets an owner and a promise at once."""
    form = QuestionForm().load_topics()
    about = readable_article(db.session, request.args.get("article", type=database_id) or 0, staff=False)
    if not form.is_submitted():
        form.text.data = request.args.get("q", "")
        if about is not None and about.topics:
            form.topic.data = about.topics[0].slug
    new = form.submitted_question()
    if new is not None:
        try:
            question, token, _routed = take_in_and_route(db.session, now(), new, search=search_service(),
                                                   hours=business_hours())
            db.session.commit()
        except RoutingError as error:
            db.session.rollback()
            form.show_problems(error)
        else:
            return render_template("selfservice/asked.html", question=question,
                                   tracking_url=url_for("selfservice.track", reference=question.reference,
                                                        token=token, _external=True))
    return render_template("selfservice/ask.html", form=form, about=about), 400 if form.errors else 200


@bp.route("/track/<reference>", methods=["GET", "POST"])
def track(reference: str):
    """The customer's page for one question. Without the right token it does not exist (404)."""
    token = request.values.get("token", "")
    question = find_by_reference_and_token(db.session, reference, token) or abort(404)
    if request.method == "POST":
        return _customer_action(question, token)
    note_customer_view(db.session, now(), question)
    db.session.commit()
    with force_locale(_page_language(question)):
        return render_template("selfservice/track.html", question=question, token=token,
                               status=status_in_words(question), who=who_has_it(question),
                               timeline=customer_timeline(question), asked=pending_info_request(question),
                               follow_up_until=reopen_possible_until(question, now(),
                                                                     current_app.config["REOPEN_DAYS"]))


def _page_language(question) -> str:
    """The tracking page speaks the question's language (the customer wrote in it), unless the visitor chose
    another with the NL/EN switch."""
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return chosen
    return question.language if question.language in LANGUAGES else current_app.config["DEFAULT_LOCALE"]


def _customer_action(question, token: str):
    action = request.form.get("action")
    if action not in ACTIONS:
        abort(400, _("Unknown action."))
    _done, refusal = commit_action(lambda: ACTIONS[action](question, request.form), {RoutingError: None})
    with force_locale(_page_language(question)):
        flash(refusal or _(DONE[action], who=translated(who_has_it(question))), "danger" if refusal else "success")
    return redirect(url_for("selfservice.track", reference=question.reference, token=token), 303)


@bp.route("/articles/<int:article_id>/feedback", methods=["POST"])
def feedback(article_id: int):
    found = readable_article(db.session, article_id, staff=_is_staff()) or abort(404)
    helpful = request.form.get("helpful") == "yes"
    _given, refusal = commit_action(lambda: give_feedback(db.session, now(), found, helpful=helpful,
                                                     comment=request.form.get("comment", "")), {InvalidArticle: None})
    flash(refusal or _("Thank you for telling us."), "danger" if refusal else "success")
    # After a "no" the page offers the next step: asking, with the search words and this article.
    carry = {"helpful": "no", "q": request.form.get("q", "")[:MAX_QUERY_CHARS]} if not (helpful or refusal) else {}
    return redirect(url_for("selfservice.article", article_id=article_id, **carry), 303)
