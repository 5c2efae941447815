"""Configuration: defaults, instance file, environment; no secret by default outside dev and tests."""
import pytest

from app import create_app
from app.config import ConfigError, from_environment, normalise_database_url


def test_production_without_a_secret_key_refuses_to_start(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app({"VRAAGBAAK_ENV": "production", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})


def test_production_with_a_secret_key_starts_with_secure_cookies(tmp_path):
    app = create_app({"VRAAGBAAK_ENV": "production", "SECRET_KEY": "s" * 64,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_development_without_a_key_gets_a_random_one_each_time(tmp_path):
    uri = f"sqlite:///{tmp_path}/x.db"
    first = create_app({"VRAAGBAAK_ENV": "development", "SQLALCHEMY_DATABASE_URI": uri})
    second = create_app({"VRAAGBAAK_ENV": "development", "SQLALCHEMY_DATABASE_URI": uri})
    assert first.config["SECRET_KEY"] and first.config["SECRET_KEY"] != second.config["SECRET_KEY"]


def test_an_unknown_environment_name_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="VRAAGBAAK_ENV"):
        create_app({"VRAAGBAAK_ENV": "staging", "SECRET_KEY": "x"})


def test_environment_variables_configure_database_and_secret():
    found = from_environment({"DATABASE_URL": "postgres://u@db:5432/vb", "SECRET_KEY": "k", "HOME": "/root"})
    assert found == {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@db:5432/vb", "SECRET_KEY": "k"}


@pytest.mark.parametrize("given, expected", [
    ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:///instance/x.db", "sqlite:///instance/x.db"),
])
def test_database_urls_use_the_psycopg3_driver(given, expected):
    assert normalise_database_url(given) == expected


def test_instance_config_file_is_read_and_environment_wins(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text('SECRET_KEY = "from-file"\nVRAAGBAAK_ENV = "production"\n')
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.setenv("VRAAGBAAK_INSTANCE_PATH", str(instance))
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-file"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/env.db"
