"""Checking who someone is: passwords and the per-request user."""
from __future__ import annotations

import hashlib
import secrets

from flask import g
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from knowledge.models import User
from knowledge.people import find_user_by_email

MIN_PASSWORD_LENGTH = 10
# Checked when the e-mail is unknown, so a wrong e-mail costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password")


def hash_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValueError(f"A password has at least {MIN_PASSWORD_LENGTH} characters.")
    return generate_password_hash(password)


def authenticate(email: str, password: str) -> User | None:
    """The active person with this e-mail and password, else None (without saying which was wrong)."""
    user = find_user_by_email(db.session, email)
    if user is None or user.password_hash is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    return user if user.active else None


def load_user(user_id: str) -> User | None:
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    return user if user is not None and user.active else None


def issue_api_token(user: User) -> str:
    """A new personal API token; only its hash is kept, so it is shown this once."""
    token = "vb_" + secrets.token_urlsafe(32)
    user.api_token_hash = hashlib.sha256(token.encode()).hexdigest()
    return token


def load_user_from_request(request) -> User | None:
    """`Authorization: Bearer <token>` signs in integrations without cookies (and without CSRF)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    digest = hashlib.sha256(token.strip().encode()).hexdigest()
    user = db.session.scalar(select(User).where(User.api_token_hash == digest))
    if user is None or not user.active:
        return None
    g.signed_in_with_token = True
    return user


def signed_in_with_token() -> bool:
    """Whether this request's person came from an API token (which another site cannot send) rather than
    from the session cookie (which a browser sends along to any request, forged or not)."""
    return g.get("signed_in_with_token", False)
