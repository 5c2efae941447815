"""Vraagbaak's web layer: the application factory.

The web layer parses input, calls one function of `routing/` or `knowledge/`, commits, renders.
"""
from __future__ import annotations

import os

from flask import Flask
from sqlalchemy import event

from app import config as settings
from app.extensions import csrf, db, login_manager, migrate
from routing import session_hooks


def create_app(test_config: dict | None = None) -> Flask:
    # VRAAGBAAK_INSTANCE_PATH puts config, database and indexes outside the code tree (absolute path).
    app = Flask(__name__, instance_relative_config=True,
                instance_path=os.environ.get("VRAAGBAAK_INSTANCE_PATH") or None)
    os.makedirs(app.instance_path, exist_ok=True)
    from app.web import DatabaseIdConverter
    app.url_map.converters["int"] = DatabaseIdConverter  # before any route is added
    app.config.from_mapping(settings.defaults(app.instance_path))
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_mapping(settings.from_environment())
    else:
        app.config.from_mapping(test_config)
    settings.check(app.config)

    _bind_database(app)
    with app.app_context():
        # Every session on the app's database, db.session or a plain Session(db.engine), logs changed
        # documents for the search index and keeps the analytics facts in step with the events.
        session_hooks.register(db.engine)
    login_manager.init_app(app)
    csrf.init_app(app)

    from app import auth, background, errors, i18n, ratelimit, search, web
    i18n.init_app(app)
    search.init_app(app)
    ratelimit.init_app(app)
    background.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    web.register_blueprints(app)

    from app.cli import register_commands
    register_commands(app)
    return app


def _bind_database(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options.setdefault("connect_args", {"timeout": 30})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    # Importing the models registers every table on the shared metadata.
    import knowledge.models  # noqa: F401
    import routing.models  # noqa: F401
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
                     render_as_batch=True, compare_type=True)
    if uri.startswith("sqlite"):
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets readers work while one writer writes; foreign keys are off in SQLite by default."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
