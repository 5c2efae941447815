"""Rights follow roles: every page × every role (and anonymous) is allowed or refused as designed."""
import pytest

ROLES = ("anonymous", "agent", "expert", "editor", "admin")

# page → the roles that may open it; None means the page is public.
PAGES = {
    "/": None,
    "/api/v1/health": None,
    "/ask": None,
    "/frontoffice/questions/new": {"agent"},
    "/frontoffice/": {"agent"},
    "/inbox/": {"expert"},
    "/editor/": {"editor"},
    "/editor/articles/new": {"editor"},
    "/admin/": {"admin"},
    "/admin/users/new": {"admin"},
    "/admin/topics": {"admin"},
    "/admin/experts": {"admin"},
    "/admin/policies": {"admin"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", PAGES)
def test_each_role_sees_only_its_pages(client, auth, people, role, path):
    if role != "anonymous":
        auth.login(people[role].email)
    response = client.get(path)
    allowed = PAGES[path]
    if allowed is None or role in allowed:
        assert response.status_code == 200
    elif role == "anonymous":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")
    else:
        assert response.status_code == 403
        assert "Not allowed" in response.get_data(as_text=True)


def test_a_person_with_several_roles_reaches_each_of_their_pages(client, auth, session):
    from tests.factories import make_user

    make_user(session, "agent", "expert", email="both@example.org")
    auth.login("both@example.org")
    assert client.get("/frontoffice/").status_code == 200
    assert client.get("/inbox/").status_code == 200
    assert client.get("/editor/").status_code == 403


def test_an_editor_page_for_an_unknown_article_is_404_not_500(client, auth, people):
    auth.login(people["editor"].email)
    assert client.get("/editor/articles/999999").status_code == 404


def test_the_api_refuses_anonymous_callers_with_json_not_a_redirect(app):
    from app.extensions import login_manager

    with app.test_request_context("/api/v1/questions"):
        body, status = login_manager.unauthorized()
    assert status == 401
    assert body.get_json()["error"] == "unauthorized"
