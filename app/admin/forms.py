from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from knowledge.models import ROLES


class RolesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PersonForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    roles = RolesField("Roles", choices=[SelectChoice(r) for r in ROLES])
    active = BooleanField("May sign in", default=True)


class NewPersonForm(PersonForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField("Initial password", validators=[
        Optional(), Length(min=10, max=200, message="A password has at least 10 characters.")])
