"""Staff records: create people and give them roles. Passwords arrive already hashed.

Hashing and checking passwords, sessions and API tokens are the web layer's (app.auth); this
module keeps the record every floor points at consistent (lower-cased unique e-mail, known roles).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.errors import KnowledgeError
from knowledge.messages import N_, Message
from knowledge.models import LANGUAGES, ROLES, User, UserRole


class InvalidPerson(KnowledgeError):
    pass


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(session: Session, now: datetime, *, email: str, name: str, roles: Iterable[str],
                password_hash: str | None = None, locale: str = "en") -> User:
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise InvalidPerson(N_("Enter a valid e-mail address."))
    if not name or not name.strip():
        raise InvalidPerson(N_("A person needs a name."))
    if find_user_by_email(session, email) is not None:
        raise InvalidPerson(Message("There is already an account for %(email)s.", email=email))
    user = User(email=email, name=name.strip(), password_hash=password_hash, locale=locale,
                active=True, created_at=now)
    session.add(user)
    set_roles(user, roles)
    session.flush()
    return user


def set_roles(user: User, roles: Iterable[str]) -> None:
    wanted = set(roles)
    unknown = wanted - set(ROLES)
    if unknown:
        raise InvalidPerson(f"Unknown role(s): {', '.join(sorted(unknown))}.")
    user.role_rows = [r for r in user.role_rows if r.role in wanted] + [
        UserRole(role=role) for role in sorted(wanted - user.roles)
    ]


def active_experts(session: Session, *, except_ids: Iterable[int] = ()) -> list[User]:
    """The experts who may take questions now (role `expert` and allowed to sign in), by name.

    Routing ranks these, an expert forwards to one of them, an admin makes one a coordinator:
    an inactive expert is none of these, so this is the one place that says so.
    """
    query = select(User).join(UserRole).where(UserRole.role == "expert", User.active.is_(True))
    left_out = list(except_ids)
    if left_out:
        query = query.where(User.id.not_in(left_out))
    return list(session.scalars(query.order_by(User.name, User.id)))


def is_active_expert(user: User | None) -> bool:
    """The same rule as `active_experts`, for one person already loaded."""
    return user is not None and user.active and user.has_role("expert")


def count_admins(session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(UserRole).join(User)
        .where(UserRole.role == "admin", User.active.is_(True))
    )


def update_person(session: Session, user: User, *, name: str, roles: Iterable[str], active: bool,
                  locale: str | None = None) -> User:
    """Change a person's name, roles, whether they may sign in and the language they read (`locale`, unchanged
    when None); the last admin cannot lock everyone out."""
    if not name or not name.strip():
        raise InvalidPerson(N_("A person needs a name."))
    if locale is not None and locale not in LANGUAGES:
        raise InvalidPerson(N_("Choose Dutch or English."))
    roles = set(roles)
    was_active_admin = user.active and "admin" in user.roles
    stays_active_admin = active and "admin" in roles
    if was_active_admin and not stays_active_admin and count_admins(session) <= 1:
        raise InvalidPerson(N_("This is the last active administrator; make someone else admin first."))
    user.name = name.strip()
    user.active = active
    if locale is not None:
        user.locale = locale
    set_roles(user, roles)
    session.flush()
    return user
