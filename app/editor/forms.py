from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.i18n import LANGUAGE_NAMES
from knowledge.articles import MAX_BODY, MAX_TITLE
from knowledge.models import ARTICLE_STATUSES, AUDIENCES, LANGUAGES
from knowledge.wording import ARTICLE_STATUS_NAMES, AUDIENCE_NAMES


def _choices(values, names):
    return [SelectChoice(v, _l(names[v])) for v in values]


class ArticleForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=MAX_TITLE)])
    body = TextAreaField(_l("Text (Markdown)"), validators=[Optional(), Length(max=MAX_BODY)])
    topics = SelectMultipleField(_l("Topics"), choices=[])
    audience = SelectField(_l("Audience"), choices=_choices(AUDIENCES, AUDIENCE_NAMES))
    language = SelectField(_l("Language"), choices=[SelectChoice(v, LANGUAGE_NAMES.get(v, v)) for v in LANGUAGES])
    status = SelectField(_l("Status"), choices=_choices(ARTICLE_STATUSES, ARTICLE_STATUS_NAMES))
    note = StringField(_l("What changed (for the history)"), validators=[Optional(), Length(max=300)])
    version = HiddenField()
