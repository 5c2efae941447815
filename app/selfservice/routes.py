from flask import abort, render_template, request
from flask_login import current_user

from app.extensions import db
from app.search import search_service
from app.selfservice import bp
from app.web import now, staff_role
from knowledge.catalogue import public_articles_by_topic, readable_article
from routing.searching import MAX_QUERY_CHARS, Searcher, record_opened, search_and_log
from routing.worklists import answered_question


@bp.route("/")
def home():
    query = request.args.get("q", "").strip()[:MAX_QUERY_CHARS]
    if not query:
        return render_template("selfservice/home.html", sections=public_articles_by_topic(db.session))
    # The public page searches as a customer would, whoever is signed in.
    entry, hits = search_and_log(db.session, now(), search_service(), query, Searcher(channel="web"))
    db.session.commit()
    return render_template("selfservice/results.html", query=query, hits=hits, search_id=entry.id)


@bp.route("/articles/<int:article_id>")
def article(article_id: int):
    found = readable_article(db.session, article_id, staff=_is_staff())
    if found is None:
        abort(404)
    _note_opened("article", article_id)
    return render_template("selfservice/article.html", article=found)


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
    search_id = request.args.get("s", type=int)
    if search_id:
        record_opened(db.session, search_id, kind, item_id)
        db.session.commit()
