from flask import render_template
from flask_login import current_user

from app.extensions import db
from app.inbox import bp
from app.web import now
from routing.worklists import open_questions_of


@bp.route("/")
def home():
    return render_template("inbox/home.html", questions=open_questions_of(db.session, current_user.id),
                           now=now())
