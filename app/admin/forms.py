from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, EmailField, IntegerField, PasswordField, SelectField,
                     SelectMultipleField, StringField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.i18n import LANGUAGE_NAMES
from knowledge.models import ROLES
from knowledge.wording import ROLE_NAMES
from routing.models import PRESENCES, WEEKDAYS
from routing.wording import PRESENCE_NAMES
from routing.sla import DEFAULT_PROMISE


class RolesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PersonForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    roles = RolesField(_l("Roles"), choices=[SelectChoice(r, _l(ROLE_NAMES[r])) for r in ROLES])
    active = BooleanField(_l("May sign in"), default=True)
    # the language this person reads the interface in, each named in itself
    locale = SelectField(_l("Language"), choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
                         default=lambda: current_app.config["DEFAULT_LOCALE"])


class NewPersonForm(PersonForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Initial password"), validators=[
        Optional(), Length(min=10, max=200, message=_l("A password has at least 10 characters."))])


class ExpertiseForm(FlaskForm):
    topic = SelectField(_l("Topic"), choices=[])
    level = SelectField(_l("Level"), choices=[SelectChoice("1", _l("1 – basic")), SelectChoice("2", _l("2 – good")),
                                              SelectChoice("3", _l("3 – specialist"))], default="2")


class AvailabilityForm(FlaskForm):
    presence = SelectField(_l("Presence"), choices=[SelectChoice(p, _l(PRESENCE_NAMES[p])) for p in PRESENCES])
    capacity = IntegerField(_l("Capacity (open questions at most)"), validators=[InputRequired(), NumberRange(0, 200)])


DAY_NAMES = {"mon": _l("Monday"), "tue": _l("Tuesday"), "wed": _l("Wednesday"), "thu": _l("Thursday"),
             "fri": _l("Friday"), "sat": _l("Saturday"), "sun": _l("Sunday")}


class WorkingHoursForm(FlaskForm):
    """The weekly schedule: one `08:30-17:00` per working day, empty for a day off (checked by the domain)."""

    mon, tue, wed, thu, fri, sat, sun = (
        StringField(DAY_NAMES[day], validators=[Optional(), Length(max=11)], render_kw={"placeholder": "08:30-17:00"})
        for day in WEEKDAYS)

    def days(self) -> dict[str, str]:
        return {day: getattr(self, day).data or "" for day in WEEKDAYS}


class AbsenceForm(FlaskForm):
    starts = DateField(_l("From"), validators=[InputRequired()])
    ends = DateField(_l("Until (inclusive)"), validators=[InputRequired()])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=40)])


class PolicyForm(FlaskForm):
    """Every number starts at the built-in promise; one left empty takes that default instead of failing."""
    topic = SelectField(_l("Topic"), choices=[])
    accept_within_minutes = IntegerField(_l("Accept within (minutes)"),
                                         default=DEFAULT_PROMISE["accept_within_minutes"],
                                         validators=[Optional(), NumberRange(1, 10_000)])
    answer_within_hours = IntegerField(_l("Answer within (business hours)"),
                                       default=DEFAULT_PROMISE["answer_within_hours"],
                                       validators=[Optional(), NumberRange(1, 2_000)])
    escalate_before_minutes = IntegerField(_l("Alarm before due (minutes)"),
                                           default=DEFAULT_PROMISE["escalate_before_minutes"],
                                           validators=[Optional(), NumberRange(0, 10_000)])

    def promise(self) -> dict[str, int]:
        """The three numbers, each as given or else its default."""
        return {name: getattr(self, name).data if getattr(self, name).data is not None else default
                for name, default in DEFAULT_PROMISE.items()}
    coordinator = SelectField(_l("Coordinator"), choices=[])
