"""The question form, shared by the agent's intake and the customer's "ask" page.

The intake rules are the domain's (`routing.questions.check_new_question`); the form reads the fields,
shows each problem beside its field, and keeps only the checks a form of its own needs: the choices of
its lists, and two that are stricter than the domain's and that the forms have always made (the address's
syntax, and the length of the text as typed rather than as stored). It must not add rules of its own.

The question's text areas carry no `maxlength`: a browser cuts a pasted text to it without a word, and a
customer's 20,000 characters must be refused with a message instead (the server's Length check), not cut.
"""
from flask_babel import LazyString, gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, Field, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, Length, Optional

from app.extensions import db
from app.i18n import translated
from knowledge.models import Topic
from routing.errors import InvalidQuestion, RoutingError
from routing.models import PRIORITIES
from routing.wording import CHANNEL_NAMES, PRIORITY_NAMES
from routing.questions import (MAX_CUSTOMER_EMAIL, MAX_CUSTOMER_NAME, MAX_CUSTOMER_PHONE, MAX_QUESTION_TEXT, NOTE_TOO_LONG,
                               TEXT_TOO_LONG, Customer, NewQuestion, check_new_question)


def _too_long(message):
    """The domain's "at most … characters" as a validator's message, said when the form is shown (WTForms then
    fills in its own %(max)d, of which the text has none; a literal % would have to be doubled)."""
    return LazyString(translated, message)


class QuestionForm(FlaskForm):
    """What a customer sends from the web: always the web channel, at normal priority."""

    # `required` tells the browser before anything is sent; the length is refused by the server, with a message.
    text = TextAreaField(_l("Question"), validators=[Length(max=MAX_QUESTION_TEXT, message=_too_long(TEXT_TOO_LONG))],
                         render_kw={"required": True, "maxlength": False})
    topic = SelectField(_l("Topic"), choices=[], validators=[Optional()])
    name = StringField(_l("Name"), render_kw={"maxlength": MAX_CUSTOMER_NAME})
    email = EmailField(_l("E-mail"), validators=[Optional(), Email()], render_kw={"maxlength": MAX_CUSTOMER_EMAIL})
    phone = StringField(_l("Phone"), render_kw={"maxlength": MAX_CUSTOMER_PHONE})

    # Where the domain's problems show: its field names (NewQuestion's paths) → this form's fields.
    FIELDS = {"text": "text", "internal_note": "internal_note", "topic": "topic", "channel": "channel", "priority": "priority",
              "customer.name": "name", "customer.email": "email", "customer.phone": "phone"}

    def load_topics(self) -> "QuestionForm":
        topics = sorted(db.session.scalars(select(Topic)).all(), key=lambda t: t.path)
        self.topic.choices = [SelectChoice("", _("I don't know"))] + [SelectChoice(t.slug, t.path) for t in topics]
        return self

    def channel_and_priority(self) -> tuple[str, str]:
        return "web", "normal"

    def internal_note(self) -> str:
        return ""  # a customer writes no staff-only note

    def new_question(self) -> NewQuestion:
        channel, priority = self.channel_and_priority()
        return NewQuestion(text=self.text.data or "", internal_note=self.internal_note(), channel=channel,
                           topic_slug=self.topic.data or None,
                           priority=priority, customer=Customer(name=_given(self.name), email=_given(self.email),
                                                                phone=_given(self.phone)))

    def submitted_question(self) -> NewQuestion | None:
        """The question sent, if the form and the intake rules accept it; otherwise None, with every
        problem beside its field. Intake checks the question again, as it does for every channel."""
        if not self.is_submitted():
            return None
        valid = self.validate()
        new = self.new_question()
        try:
            check_new_question(db.session, new)
        except InvalidQuestion as error:
            self.show_problems(error)
            return None
        return new if valid else None

    def show_problems(self, error: RoutingError) -> None:
        """Each problem beside its field (a field the form checked itself keeps its own message);
        what names no field of this form shows beside the question."""
        problems = getattr(error, "problems", None) or {None: error.args[0] if error.args else str(error)}
        for name, message in problems.items():
            field = getattr(self, self.FIELDS.get(name, "text"), None) or self.text
            if not field.errors:
                field.errors = [*field.errors, translated(message)]


class IntakeForm(QuestionForm):
    """What an agent records during a call or at the desk."""

    # Two texts: the customer's question as they asked it (what they will see) and the agent's note (staff only).
    text = TextAreaField(_l("The customer's question, in their words (the customer sees this)"),
                         validators=[Length(max=MAX_QUESTION_TEXT, message=_too_long(TEXT_TOO_LONG))],
                         render_kw={"required": True, "maxlength": False})
    note = TextAreaField(_l("Internal note (staff only, never shown to the customer)"),
                         validators=[Length(max=MAX_QUESTION_TEXT, message=_too_long(NOTE_TOO_LONG))],
                         render_kw={"maxlength": False})
    # Codes are sent, the reader's words shown ("telefoon", "normaal"): the tables of routing.wording.
    channel = SelectField(_l("Channel"), choices=[SelectChoice(c, _l(CHANNEL_NAMES[c])) for c in ("phone", "desk", "email")])
    priority = SelectField(_l("Priority"), choices=[SelectChoice(p, _l(PRIORITY_NAMES[p])) for p in PRIORITIES],
                           default="normal")
    # The topic shown as inferred from the text ("Lijkt op: …"); another choice is recorded as a correction.
    inferred_topic = HiddenField()
    inferred_label = ""

    def show_inferred(self, guess) -> None:
        """Pre-select the topic inferred from the text (routing.topics.TopicGuess) and say so."""
        if guess.topic is None:
            return
        self.inferred_topic.data = guess.topic.slug
        self.inferred_label = guess.label()
        if not self.topic.data:
            self.topic.data = guess.topic.slug

    FIELDS = {**QuestionForm.FIELDS, "internal_note": "note"}

    def internal_note(self) -> str:
        return self.note.data or ""

    def channel_and_priority(self) -> tuple[str, str]:
        return self.channel.data, self.priority.data


def _given(field: Field) -> str | None:
    """The value, or None when left empty or blank: what `Optional()` has always let through unchecked."""
    value = field.data
    return value if value and value.strip() else None
