from flask import abort, render_template

from app.extensions import db
from app.selfservice import bp
from knowledge.catalogue import public_article, public_articles_by_topic


@bp.route("/")
def home():
    return render_template("selfservice/home.html", sections=public_articles_by_topic(db.session))


@bp.route("/articles/<int:article_id>")
def article(article_id: int):
    found = public_article(db.session, article_id)
    if found is None:
        abort(404)
    return render_template("selfservice/article.html", article=found)
