"""The editorial workflow views: capture, merge, publish, send back, and readers' feedback."""
from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from app.editor import bp
from app.extensions import db
from app.web import database_id, now
from knowledge.errors import InvalidArticle
from knowledge.models import AUDIENCES, Article
from routing.editorial import capture_answer, merge_into, publish, send_back
from routing.worklists import answered_question


@bp.route("/capture/<int:question_id>", methods=["POST"])
def capture(question_id: int):
    """Any answered question an editor picks becomes a draft article."""
    question = answered_question(db.session, question_id) or abort(404)
    article = capture_answer(db.session, now(), question, actor_id=current_user.id)
    db.session.commit()
    flash("Draft article made from the answer.", "success")
    return redirect(url_for("editor.article", article_id=article.id), 303)


@bp.route("/articles/<int:article_id>/<action>", methods=["POST"])
def workflow(article_id: int, action: str):
    article = db.session.get(Article, article_id) or abort(404)
    try:
        if action == "publish":
            audience = request.form.get("audience", "public")
            if audience not in AUDIENCES:
                abort(400, "Choose public or internal.")
            publish(db.session, now(), article, editor_id=current_user.id, audience=audience)
            message = f"Published ({audience})."
        elif action == "send-back":
            send_back(db.session, now(), article, editor_id=current_user.id, comment=request.form.get("comment", ""))
            message = "Sent back to draft with your comment."
        elif action == "merge":
            target = db.session.get(Article, request.form.get("target_id", type=database_id) or 0) or abort(404)
            merge_into(db.session, now(), article, target, editor_id=current_user.id)
            db.session.commit()
            flash(f"Merged into “{target.title}” as a new revision; check the text.", "success")
            return redirect(url_for("editor.edit_article", article_id=target.id), 303)
        else:
            abort(404)
        db.session.commit()
    except InvalidArticle as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        flash(message, "success")
    return redirect(url_for("editor.article", article_id=article_id), 303)
