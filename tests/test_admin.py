"""Admins manage people and roles; nobody else can, and bad input changes nothing."""
from sqlalchemy import func, select

from knowledge.models import User
from knowledge.people import find_user_by_email


def _count_users(session) -> int:
    return session.scalar(select(func.count()).select_from(User))


def test_an_admin_adds_a_person_with_two_roles_who_can_then_sign_in(client, auth, session, people):
    auth.login(people["admin"].email)
    response = auth.post("/admin/users/new", {
        "email": "New.Colleague@Example.org", "name": "Nina Nieuw", "roles": ["agent", "expert"],
        "active": "y", "password": "a long enough password"})
    assert response.status_code == 302
    created = find_user_by_email(session, "new.colleague@example.org")
    assert created.roles == {"agent", "expert"}
    auth.logout()
    assert auth.login("new.colleague@example.org", "a long enough password").status_code == 302


def test_an_admin_changes_roles_of_a_person(client, auth, session, people):
    auth.login(people["admin"].email)
    target = people["agent"]
    response = auth.post(f"/admin/users/{target.id}", {"name": "Anna A.", "roles": ["agent", "editor"], "active": "y"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(User, target.id).roles == {"agent", "editor"}


def test_a_duplicate_email_is_a_form_error_and_adds_nobody(client, auth, session, people):
    auth.login(people["admin"].email)
    before = _count_users(session)
    response = auth.post("/admin/users/new", {"email": people["agent"].email, "name": "Twin", "roles": ["agent"]})
    assert response.status_code == 400
    assert "There is already an account" in response.get_data(as_text=True)
    assert _count_users(session) == before


def test_an_invalid_email_or_short_password_is_a_form_error(client, auth, session, people):
    auth.login(people["admin"].email)
    before = _count_users(session)
    response = auth.post("/admin/users/new", {"email": "not-an-email", "name": "X", "password": "short"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Invalid email address" in page
    assert "at least 10 characters" in page
    assert _count_users(session) == before


def test_the_last_admin_cannot_remove_their_own_admin_role(client, auth, session, people):
    admin = people["admin"]
    auth.login(admin.email)
    response = auth.post(f"/admin/users/{admin.id}", {"name": admin.name, "roles": ["agent"], "active": "y"})
    assert response.status_code == 400
    assert "last active administrator" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, admin.id).roles == {"admin"}


def test_a_non_admin_posting_to_an_admin_page_is_refused_and_nothing_changes(client, auth, session, people):
    auth.login(people["editor"].email)
    before = _count_users(session)
    response = auth.post("/admin/users/new", {"email": "sneaky@example.org", "name": "Sneaky", "roles": ["admin"]})
    assert response.status_code == 403
    response = auth.post(f"/admin/users/{people['editor'].id}", {"name": "Eva", "roles": ["admin"], "active": "y"})
    assert response.status_code == 403
    session.expire_all()
    assert _count_users(session) == before
    assert session.get(User, people["editor"].id).roles == {"editor"}


def test_an_admin_post_without_csrf_token_is_refused(client, auth, session, people):
    auth.login(people["admin"].email)
    before = _count_users(session)
    response = client.post("/admin/users/new", data={"email": "x@example.org", "name": "X", "roles": ["agent"]})
    assert response.status_code == 400
    assert _count_users(session) == before
