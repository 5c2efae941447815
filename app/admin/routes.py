from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy import select

from app.admin import bp
from app.admin.forms import NewPersonForm, PersonForm
from app.auth.session import hash_password
from app.extensions import db
from app.web import now
from knowledge.models import Topic, User
from knowledge.people import InvalidPerson, create_user, update_person


@bp.route("/")
def home():
    people = db.session.scalars(select(User).order_by(User.name)).all()
    return render_template("admin/home.html", people=people)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = NewPersonForm()
    if form.validate_on_submit():
        try:
            password_hash = hash_password(form.password.data) if form.password.data else None
            user = create_user(db.session, now(), email=form.email.data, name=form.name.data,
                               roles=form.roles.data, password_hash=password_hash)
            user.active = form.active.data
            db.session.commit()
        except InvalidPerson as error:
            db.session.rollback()
            form.email.errors.append(str(error))
        else:
            flash(f"{user.name} can now sign in as {', '.join(sorted(user.roles)) or 'nobody yet'}.", "success")
            return redirect(url_for("admin.home"))
    return render_template("admin/user_form.html", form=form, person=None), 400 if form.errors else 200


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    form = PersonForm(obj=person)
    if form.validate_on_submit():
        try:
            update_person(db.session, person, name=form.name.data, roles=form.roles.data, active=form.active.data)
            db.session.commit()
        except InvalidPerson as error:
            db.session.rollback()
            form.roles.errors.append(str(error))
        else:
            flash(f"Saved {person.name}.", "success")
            return redirect(url_for("admin.home"))
    return render_template("admin/user_form.html", form=form, person=person), 400 if form.errors else 200


@bp.route("/topics")
def topics():
    roots = db.session.scalars(select(Topic).where(Topic.parent_id.is_(None)).order_by(Topic.name)).all()
    return render_template("admin/topics.html", roots=roots)
