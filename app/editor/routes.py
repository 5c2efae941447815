from flask import abort, render_template

from app.editor import bp
from app.extensions import db
from knowledge.catalogue import articles_by_status
from knowledge.models import Article


@bp.route("/")
def home():
    return render_template("editor/home.html", queue=articles_by_status(db.session))


@bp.route("/articles/<int:article_id>")
def article(article_id: int):
    found = db.session.get(Article, article_id)
    if found is None:
        abort(404)
    return render_template("editor/article.html", article=found)
