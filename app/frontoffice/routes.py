from flask import render_template
from flask_login import current_user

from app.extensions import db
from app.frontoffice import bp
from app.web import now
from routing.worklists import questions_taken_in_by


@bp.route("/")
def home():
    recent = questions_taken_in_by(db.session, now(), current_user.id)
    return render_template("frontoffice/home.html", recent=recent)
