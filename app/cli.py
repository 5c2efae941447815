"""Command-line tasks: `flask --app app users create …`, `flask --app app demo load`."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.auth.session import hash_password
from app.extensions import db
from knowledge.base import utcnow
from knowledge.models import ROLES
from knowledge.people import InvalidPerson, create_user

users_cli = AppGroup("users", help="Manage staff accounts.")
demo_cli = AppGroup("demo", help="Demo data of a fictional municipality.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", default=None, help="Defaults to the part of the e-mail before the @.")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES),
              help="Repeat for several roles.")
@click.password_option(help="Asked for when not given.")
def create_user_command(email: str, name: str | None, roles: tuple[str, ...], password: str) -> None:
    """Create a person who can sign in, e.g. the first admin."""
    try:
        user = create_user(db.session, utcnow(), email=email, name=name or email.split("@")[0],
                           roles=roles, password_hash=hash_password(password))
    except (InvalidPerson, ValueError) as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Created {user.email} with roles: {', '.join(sorted(user.roles))}.")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has people in it.")
def load_demo_command(if_empty: bool) -> None:
    """Load Gemeente Wadderveen's customer service: topics, articles, staff, past questions."""
    from app.demo.load import database_is_empty, load_demo

    if if_empty and not database_is_empty(db.session):
        click.echo("The database already has data; demo not loaded.")
        return
    summary = load_demo(db.session, utcnow(), password=_demo_password())
    db.session.commit()
    click.echo(summary)


@demo_cli.command("sign-ins")
def demo_sign_ins_command() -> None:
    """Print the demo accounts and their password."""
    from app.demo.load import demo_sign_ins

    click.echo(demo_sign_ins(db.session, _demo_password()))


def _demo_password() -> str:
    from flask import current_app

    return current_app.config["DEMO_PASSWORD"]


def register_commands(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
