from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from knowledge.articles import MAX_BODY, MAX_TITLE
from knowledge.models import ARTICLE_STATUSES, AUDIENCES, LANGUAGES


def _choices(values):
    return [SelectChoice(v, v.replace("_", " ")) for v in values]


class ArticleForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=MAX_TITLE)])
    body = TextAreaField("Text (Markdown)", validators=[Optional(), Length(max=MAX_BODY)])
    topics = SelectMultipleField("Topics", choices=[])
    audience = SelectField("Audience", choices=_choices(AUDIENCES))
    language = SelectField("Language", choices=_choices(LANGUAGES))
    status = SelectField("Status", choices=_choices(ARTICLE_STATUSES))
    note = StringField("What changed (for the history)", validators=[Optional(), Length(max=300)])
    version = HiddenField()
