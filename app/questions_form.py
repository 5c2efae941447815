"""The question form, shared by the agent's intake and the customer's "ask" page."""
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from app.extensions import db
from knowledge.models import Topic
from routing.models import PRIORITIES
from routing.questions import MAX_QUESTION_TEXT, Customer, NewQuestion


class QuestionForm(FlaskForm):
    text = TextAreaField("Question", validators=[DataRequired(message="Please describe the question."),
                                                 Length(max=MAX_QUESTION_TEXT)])
    topic = SelectField("Topic", choices=[], validators=[Optional()])
    name = StringField("Name", validators=[Optional(), Length(max=120)])
    email = EmailField("E-mail", validators=[Optional(), Email(), Length(max=254)])
    phone = StringField("Phone", validators=[Optional(), Length(max=40)])

    def load_topics(self) -> "QuestionForm":
        topics = sorted(db.session.scalars(select(Topic)).all(), key=lambda t: t.path)
        self.topic.choices = [SelectChoice("", "I don't know")] + [SelectChoice(t.slug, t.path) for t in topics]
        return self

    def new_question(self, channel: str, priority: str = "normal") -> NewQuestion:
        return NewQuestion(text=self.text.data, channel=channel, topic_slug=self.topic.data or None,
                           priority=priority, customer=Customer(name=self.name.data or None,
                                                                email=self.email.data or None,
                                                                phone=self.phone.data or None))


class IntakeForm(QuestionForm):
    """What an agent records during a call or at the desk."""

    channel = SelectField("Channel", choices=[SelectChoice(c) for c in ("phone", "desk", "email")])
    priority = SelectField("Priority", choices=[SelectChoice(p) for p in PRIORITIES], default="normal")
