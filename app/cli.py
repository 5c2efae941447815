"""Command-line tasks: `flask --app app users create …`, `flask --app app demo load`.

They run in the app (`flask --app app`), so they read the app's clock (`app.web.now`, CLOCK in tests) and
write through the engine the factory registered the session hooks on, like every request.
"""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from app.auth.session import hash_password
from app.extensions import db
from app.web import now
from knowledge.models import ROLES
from knowledge.people import InvalidPerson, create_user

users_cli = AppGroup("users", help="Manage staff accounts.")
kb_cli = AppGroup("kb", help="The knowledge base: search index and bulk import.")
routing_cli = AppGroup("routing", help="Questions and experts: escalations, history import.")
demo_cli = AppGroup("demo", help="Demo data of a fictional municipality.")
mail_cli = AppGroup("mail", help="The service mailboxes: customers' e-mail in.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", default=None, help="Defaults to the part of the e-mail before the @.")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES),
              help="Repeat for several roles.")
@click.password_option(help="Asked for when not given.")
def create_user_command(email: str, name: str | None, roles: tuple[str, ...], password: str) -> None:
    """Create a person who can sign in, e.g. the first admin."""
    try:
        user = create_user(db.session, now(), email=email, name=name or email.split("@")[0],
                           roles=roles, password_hash=hash_password(password))
    except (InvalidPerson, ValueError) as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Created {user.email} with roles: {', '.join(sorted(user.roles))}.")


@users_cli.command("token")
@click.option("--email", required=True)
def issue_token_command(email: str) -> None:
    """Issue a new personal API token (the old one stops working); it is shown only now."""
    from app.auth.session import issue_api_token
    from knowledge.people import find_user_by_email

    user = find_user_by_email(db.session, email)
    if user is None:
        raise click.ClickException(f"No account for {email}.")
    token = issue_api_token(user)
    db.session.commit()
    click.echo(token)


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has people in it.")
def load_demo_command(if_empty: bool) -> None:
    """Load Gemeente Wadderveen's customer service: topics, articles, staff, past questions."""
    from app.demo.load import database_is_empty, load_demo

    if if_empty and not database_is_empty(db.session):
        click.echo("The database already has data; demo not loaded.")
        return
    summary = load_demo(db.session, now(), password=_demo_password())
    db.session.commit()
    click.echo(summary)


@demo_cli.command("sign-ins")
def demo_sign_ins_command() -> None:
    """Print the demo accounts and their password."""
    from app.demo.load import demo_sign_ins

    click.echo(demo_sign_ins(db.session, _demo_password()))


@kb_cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the search index of this process's instance from the database."""
    from app.search import build_search_service

    service = build_search_service(current_app, bulk=True)
    with Session(db.engine) as session, click.progressbar(length=1, label="Indexing") as bar:
        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        count = service.rebuild(session, progress)
    click.echo(f"Indexed {count} documents.")


@kb_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "file_format", type=click.Choice(["jsonl", "csv"]),
              help="Default: from the file's extension (.csv, else JSON Lines).")
def import_command(file, file_format) -> None:
    """Import articles from JSON Lines or CSV (header row); re-importing an export with external_id
    updates its articles. Invalid lines are reported by number and change nothing."""
    from knowledge.importing import import_articles

    file_format = file_format or ("csv" if file.lower().endswith(".csv") else "jsonl")
    # utf-8-sig: spreadsheets write a byte-order mark before the header; newline="" keeps CSV's line ends.
    with open(file, encoding="utf-8-sig", newline="" if file_format == "csv" else None) as f:
        lines = f.readlines()
    with click.progressbar(length=len(lines), label="Importing") as bar:
        report = import_articles(db.session, now(), lines, format=file_format,
                                 progress=lambda n: bar.update(n - bar.pos))
    for number, message in report.errors:
        click.echo(f"line {number}: {message}", err=True)
    if report.unknown_fields:
        fields = ", ".join(f"{name} ({count:,} line{'s' if count != 1 else ''})"
                           for name, count in sorted(report.unknown_fields.items()))
        click.echo(f"Ignored unknown field(s): {fields}.", err=True)
    click.echo(f"Imported {report.created + report.updated + report.unchanged:,} articles: {report.created:,} created, "
               f"{report.updated:,} updated, {report.unchanged:,} unchanged; "
               f"skipped {report.skipped:,} invalid line{'s' if report.skipped != 1 else ''}.")


@routing_cli.command("tick")
def tick_command() -> None:
    """Run one round of escalations and outgoing mail (the server does this every minute)."""
    from app.background import tick

    report = tick(current_app._get_current_object())
    click.echo(f"Re-routed {len(report.rerouted_absent)} (owner away) and {len(report.rerouted_not_accepted)} "
               f"(not accepted); alarmed {len(report.alarmed)}.")
    if report.failed:
        click.echo(f"Could not escalate {', '.join(report.failed)} (see the log); retried next round.", err=True)


@routing_cli.command("import-history")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--topics", "mapping_file", type=click.File("r", encoding="utf-8"), default=None,
              help="CSV tag,topic: the tag's questions go to that existing topic (empty topic: tag ignored).")
@click.option("--learn/--no-learn", default=True, show_default=True,
              help="Learn routing's weights from the whole history at the end, as `routing learn` does.")
def import_history_command(file, mapping_file, learn: bool) -> None:
    """Load past answered questions (JSON Lines) so routing learns who knows what; every answer counts.
    At the end routing's weights are learned from the history (as `routing learn` does), unless --no-learn."""
    from routing.history import InvalidTopicMapping, import_history, read_topic_mapping

    try:
        mapping = read_topic_mapping(db.session, mapping_file.readlines()) if mapping_file else None
    except InvalidTopicMapping as error:
        raise click.ClickException(str(error)) from error
    lines = file.readlines()
    with click.progressbar(length=len(lines), label="Importing history") as bar:
        report = import_history(db.session, lines, now=now(), topic_mapping=mapping,
                                progress=lambda n: bar.update(n - bar.pos))
    for number, message in report.errors:
        click.echo(f"line {number}: {message}", err=True)
    click.echo(f"Imported {report.imported} answered questions and {report.people_created} new experts; "
               f"skipped {len(report.errors)} invalid lines.")
    click.echo(f"Kept {report.answers} answers as evidence; created {report.topics_created} topics.")
    if report.oldest_answer:
        click.echo(f"Answers from {report.oldest_answer:%Y-%m-%d} to {report.newest_answer:%Y-%m-%d}.")
    for reason, count, numbers in report.skipped_by_reason():
        click.echo(f"Skipped {count}: {reason} (line{'s' if count > 1 else ''} "
                   f"{', '.join(map(str, numbers))}{', …' if count > len(numbers) else ''})")
    for warning in report.warnings:
        click.echo(f"Warning: {warning}", err=True)
    if learn and report.imported:
        db.session.commit()
        _learn_and_say()


def _learn_and_say() -> dict:
    from app.search import search_service
    from routing.learning import learn_weights

    learned = learn_weights(db.session, now(), search_service())
    db.session.commit()
    if learned["status"] == "defaults":
        click.echo(f"Warning: {learned['message']}", err=True)
    else:
        check = learned["validation"]
        click.echo(f"Learned routing's weights from {learned['questions']} questions; on the later "
                   f"{check['validation_questions']} MRR {check['MRR']['learned']} against the best baseline's "
                   f"{max(check['MRR'][name] for name in check['baselines'])}{_margin(check)} "
                   "(`routing learn` shows the report).")
    return learned


VERDICTS = {"better": "better beyond chance", "worse": "worse beyond chance",
            "level": "too few questions to tell them apart"}


def _margin(check: dict) -> str:
    interval = check.get("ratio_interval") or {}
    if not interval:
        return ""
    low, high = interval["ci90"]
    return f", ratio {check['ratio_to_best_baseline']} (90 % interval {low}–{high}: {VERDICTS[interval['verdict']]})"


@routing_cli.command("learn")
def learn_command() -> None:
    """Learn routing's signal weights from the answered questions (time order), validate them on the later
    ones against the simple baselines, store them for routing; prints the JSON report."""
    import json

    from app.search import search_service
    from routing.learning import learn_weights

    report = learn_weights(db.session, now(), search_service())
    db.session.commit()
    click.echo(json.dumps(report, indent=2))
    if report["status"] == "defaults":
        click.echo(f"Warning: {report['message']}", err=True)


@routing_cli.command("import-experts")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def import_experts_command(file) -> None:
    """Load experts from CSV (README): e-mail, name, topics and levels, capacity, weekly hours. All or nothing."""
    from routing.staff import InvalidExpertsFile, import_experts

    try:
        report = import_experts(db.session, now(), file.read())
    except InvalidExpertsFile as error:
        db.session.rollback()
        for problem in error.problems:
            click.echo(problem, err=True)
        raise click.ClickException(f"Nothing imported: {len(error.problems)} bad line(s).") from error
    db.session.commit()
    click.echo(f"Imported {report.created} new and {report.updated} existing experts.")


@mail_cli.command("fetch")
def mail_fetch_command() -> None:
    """Read every mailbox in MAIL_MAILBOXES once (the server does this every round), then send the acknowledgements."""
    from app.mail import deliver_pending
    from app.mail_fetch import fetch_all

    app = current_app._get_current_object()
    if not app.config.get("MAIL_MAILBOXES"):
        raise click.ClickException("No mailboxes: set MAIL_MAILBOXES in instance/config.py (see README).")
    report = fetch_all(app)
    counts = ", ".join(f"{kind} {n}" for kind, n in sorted(report.outcomes.items())) or "nothing new"
    click.echo(f"Read {report.mailboxes} mailbox(es): {counts}.")
    if report.busy:
        click.echo(f"Being read by another process: {', '.join(report.busy)}.", err=True)
    if report.failed:
        click.echo(f"Could not read {', '.join(report.failed)} (see the log); retried next round.", err=True)
    deliver_pending(app)


def _demo_password() -> str:
    return current_app.config["DEMO_PASSWORD"]


def register_commands(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(kb_cli)
    app.cli.add_command(routing_cli)
    app.cli.add_command(mail_cli)
