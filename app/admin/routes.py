"""Administration views: people and roles, the expertise map, an expert's availability, routing policies."""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _, lazy_gettext as _l
from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from app.actions import commit_action
from app.admin import bp
from app.admin.forms import (AbsenceForm, AvailabilityForm, ExpertiseForm, NewPersonForm, PersonForm, PolicyForm,
                             WorkingHoursForm)
from app.auth.session import hash_password
from app.extensions import db
from app.web import database_id, local_timezone, now
from app.wording import name_of
from knowledge.models import Topic, User
from knowledge.wording import ROLE_NAMES
from knowledge.people import InvalidPerson, active_experts, create_user, update_person
from routing.availability import add_absence, set_expert_status, set_weekly_schedule, weekly_schedule
from routing.errors import RoutingError
from routing.expertise import declare_expertise, expertise_map, forget_expertise
from routing.models import Absence, DeclaredExpertise, ExpertStatus, RoutingPolicy
from routing.sla import set_policy


@bp.route("/")
def home():
    people = db.session.scalars(select(User).order_by(User.name)).all()
    return render_template("admin/home.html", people=people)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = NewPersonForm()
    if form.validate_on_submit():
        user, refusal = commit_action(lambda: _add_person(form), {InvalidPerson: None})
        if refusal is None:
            flash(_("%(name)s can now sign in as %(roles)s.", name=user.name,
                    roles=", ".join(name_of(ROLE_NAMES, r) for r in sorted(user.roles)) or _("nobody yet")), "success")
            return redirect(url_for("admin.home"))
        form.email.errors.append(refusal)
    return render_template("admin/user_form.html", form=form, person=None), 400 if form.errors else 200


def _add_person(form: NewPersonForm) -> User:
    password_hash = hash_password(form.password.data) if form.password.data else None
    user = create_user(db.session, now(), email=form.email.data, name=form.name.data, roles=form.roles.data,
                       password_hash=password_hash, locale=form.locale.data)
    user.active = form.active.data
    return user


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    form = PersonForm(obj=person)
    if form.validate_on_submit():
        _saved, refusal = commit_action(lambda: update_person(db.session, person, name=form.name.data,
                                                              roles=form.roles.data, active=form.active.data,
                                                              locale=form.locale.data),
                                   {InvalidPerson: None})
        if refusal is None:
            flash(_("Saved %(name)s.", name=person.name), "success")
            return redirect(url_for("admin.home"))
        form.roles.errors.append(refusal)
    return render_template("admin/user_form.html", form=form, person=person), 400 if form.errors else 200


@bp.route("/topics")
def topics():
    roots = db.session.scalars(select(Topic).where(Topic.parent_id.is_(None)).order_by(Topic.name)).all()
    return render_template("admin/topics.html", roots=roots)


@bp.route("/experts")
def experts():
    return render_template("admin/experts.html", profiles=expertise_map(db.session, now()))


@bp.route("/routing-weights")
def routing_weights():
    """The weights routing uses, when they were learned and how they did against the baselines."""
    from routing.expertise import DEFAULT_WEIGHTS, SIGNALS
    from routing.learning import MIN_QUESTIONS, latest_learned

    learned = latest_learned(db.session)
    weights = learned.weights if learned else DEFAULT_WEIGHTS
    rows = [(SIGNALS[name], weights.get(name, 0.0), DEFAULT_WEIGHTS[name]) for name in SIGNALS]
    return render_template("admin/routing_weights.html", learned=learned, rows=rows, minimum=MIN_QUESTIONS)


# What a POST to an expert's page may do: its `form` field names one. The first four come with the
# page's form of that name (validated first); "forget" is a one-button form and reads the raw fields.
EXPERT_ACTIONS = {
    "expertise": lambda person, form: declare_expertise(db.session, person.id, int(form.topic.data),
                                                        int(form.level.data)),
    "availability": lambda person, form: set_expert_status(db.session, person.id, capacity=form.capacity.data,
                                                           presence=form.presence.data),
    "hours": lambda person, form: set_weekly_schedule(db.session, person.id, form.days()),
    "absence": lambda person, form: add_absence(db.session, person.id, **_whole_days(form.starts.data,
                                                                                     form.ends.data),
                                                reason=form.reason.data or ""),
    "forget": lambda person, form: forget_expertise(db.session, person.id,
                                                    form.get("topic_id", type=database_id) or 0),
}
# "forget" says nothing
EXPERT_DONE = {"expertise": _l("Saved."), "availability": _l("Saved."), "hours": _l("Saved."), "absence": _l("Saved.")}


@bp.route("/experts/<int:user_id>", methods=["GET", "POST"])
def expert(user_id: int):
    person = db.session.get(User, user_id)
    if person is None or not person.has_role("expert"):
        abort(404)
    status = db.session.get(ExpertStatus, user_id)
    forms = {"expertise": ExpertiseForm(prefix="x"), "availability": AvailabilityForm(prefix="a", obj=status),
             "hours": WorkingHoursForm(prefix="h", data=None if request.method == "POST"
                                       else weekly_schedule(db.session, user_id)),
             "absence": AbsenceForm(prefix="b")}
    forms["expertise"].topic.choices = _topic_choices()
    which = request.form.get("form")
    form = forms.get(which)
    if which in EXPERT_ACTIONS and (form is None or form.validate_on_submit()):
        filled_in = request.form if form is None else form
        _saved, refusal = commit_action(lambda: EXPERT_ACTIONS[which](person, filled_in), {RoutingError: None})
        if refusal is None:
            if which in EXPERT_DONE:
                flash(str(EXPERT_DONE[which]), "success")
            return redirect(url_for("admin.expert", user_id=user_id), 303)
        form.form_errors.append(refusal)
    absences = db.session.scalars(select(Absence).where(Absence.user_id == user_id, Absence.ends_at > now())
                                  .order_by(Absence.starts_at)).all()
    declared = db.session.scalars(select(DeclaredExpertise).where(DeclaredExpertise.user_id == user_id)).all()
    status_code = 400 if any(f.errors or f.form_errors for f in forms.values()) else 200
    return render_template("admin/expert.html", person=person, forms=forms, absences=absences,
                           declared=declared), status_code


def _whole_days(first: date, last: date) -> dict[str, datetime]:
    """An absence from the start of `first` to the end of `last`, in the organisation's time zone."""
    zone = ZoneInfo(local_timezone())
    return {"starts_at": datetime.combine(first, time.min, zone),
            "ends_at": datetime.combine(last + timedelta(days=1), time.min, zone)}


@bp.route("/policies", methods=["GET", "POST"])
def policies():
    form = PolicyForm()
    form.topic.choices = [SelectChoice("", _("Organisation default"))] + _topic_choices()
    form.coordinator.choices = [SelectChoice("", "—")] + [SelectChoice(str(u.id), u.name)
                                                          for u in active_experts(db.session)]
    if form.validate_on_submit():
        set_policy(db.session, topic_id=int(form.topic.data) if form.topic.data else None, **form.promise(),
                   coordinator_id=int(form.coordinator.data) if form.coordinator.data else None)
        db.session.commit()
        flash(_("Policy saved."), "success")
        return redirect(url_for("admin.policies"), 303)
    rows = db.session.scalars(select(RoutingPolicy)).all()
    return render_template("admin/policies.html", form=form, policies=rows), 400 if form.errors else 200


def _topic_choices():
    topics = sorted(db.session.scalars(select(Topic)).all(), key=lambda t: t.path)
    return [SelectChoice(str(t.id), t.path) for t in topics]
