"""Command-line tasks an operator runs: the first admin, the demo."""
from sqlalchemy import select

from knowledge.models import User
from knowledge.people import find_user_by_email


def test_users_create_makes_the_first_admin_who_can_sign_in(runner, session, auth):
    result = runner.invoke(args=["users", "create", "--email", "Boss@Example.org", "--name", "Bea Baas",
                                 "--role", "admin", "--role", "editor", "--password", "a long password 1"])
    assert result.exit_code == 0, result.output
    assert "Created boss@example.org with roles: admin, editor." in result.output
    assert find_user_by_email(session, "boss@example.org").roles == {"admin", "editor"}
    assert auth.login("boss@example.org", "a long password 1").headers["Location"] == "/home"


def test_users_create_refuses_a_duplicate_or_a_short_password_and_adds_nobody(runner, session, people):
    result = runner.invoke(args=["users", "create", "--email", people["agent"].email, "--role", "agent",
                                 "--password", "a long password 1"])
    assert result.exit_code != 0
    assert "There is already an account" in result.output
    result = runner.invoke(args=["users", "create", "--email", "new@example.org", "--role", "agent",
                                 "--password", "short"])
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output
    assert find_user_by_email(session, "new@example.org") is None


def test_users_create_refuses_an_unknown_role(runner, session):
    result = runner.invoke(args=["users", "create", "--email", "x@example.org", "--role", "overlord",
                                 "--password", "a long password 1"])
    assert result.exit_code == 2
    assert session.scalars(select(User)).all() == []


def test_commands_read_the_apps_clock_like_every_request(runner, session, clock):
    result = runner.invoke(args=["users", "create", "--email", "early@example.org", "--role", "agent",
                                 "--password", "a long password 1"])
    assert result.exit_code == 0, result.output
    assert find_user_by_email(session, "early@example.org").created_at == clock.now
