"""Configuration: defaults here, then `instance/config.py`, then environment variables.

Environment variables win, so one image can run anywhere. There is no default SECRET_KEY: outside
development and testing the app refuses to start without one.
"""
from __future__ import annotations

import os
import secrets

ENVIRONMENTS = ("production", "development", "testing")


class ConfigError(RuntimeError):
    pass


def defaults(instance_path: str) -> dict:
    return {
        "VRAAGBAAK_ENV": "production",
        "SECRET_KEY": None,
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(instance_path, "vraagbaak.db"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "INDEX_DIR": os.path.join(instance_path, "index"),
        "DEMO_PASSWORD": "vraagbaak-demo",
        # How many days after the answer a customer may still reply once and so reopen the question.
        "REOPEN_DAYS": 14,
    }


def from_environment(environ=os.environ) -> dict:
    """The settings an operator may give as environment variables."""
    found = {}
    if environ.get("DATABASE_URL"):
        found["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(environ["DATABASE_URL"])
    for name in ("SECRET_KEY", "VRAAGBAAK_ENV", "INDEX_DIR", "REDIS_URL"):
        if environ.get(name):
            found[name] = environ[name]
    return found


def normalise_database_url(url: str) -> str:
    """Accept the common `postgres://` spellings and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def check(config: dict) -> None:
    env = config["VRAAGBAAK_ENV"]
    if env not in ENVIRONMENTS:
        raise ConfigError(f"VRAAGBAAK_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}.")
    if not config.get("SECRET_KEY"):
        if env == "production":
            raise ConfigError(
                "SECRET_KEY is not set. Set it in instance/config.py or the SECRET_KEY environment "
                "variable (for example: python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        # Development and tests: a throw-away key; sessions end when the process does.
        config["SECRET_KEY"] = secrets.token_hex(32)
    # Production is served over HTTPS: cookies never travel in clear text.
    config["SESSION_COOKIE_SECURE"] = env == "production"
    config["REMEMBER_COOKIE_SECURE"] = env == "production"
