"""Signing in and out: the right people get in, everyone else gets a clear refusal and nothing changes."""
from tests.factories import make_user


def test_signing_in_lands_on_the_home_page_of_the_role(client, auth, people):
    response = auth.login(people["expert"].email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/home"
    assert client.get("/home").headers["Location"] == "/inbox/"


def test_wrong_password_is_refused_with_a_message_and_no_session(client, auth, people):
    response = auth.login(people["agent"].email, password="wrong password!")
    assert response.status_code == 401
    assert "Unknown e-mail address or wrong password." in response.get_data(as_text=True)
    assert client.get("/frontoffice/").status_code == 302


def test_unknown_user_gets_the_same_message_as_a_wrong_password(auth, people):
    response = auth.login("nobody@example.org")
    assert response.status_code == 401
    assert "Unknown e-mail address or wrong password." in response.get_data(as_text=True)


def test_a_sign_in_without_csrf_token_is_refused(client, people):
    response = client.post("/login", data={"email": people["agent"].email, "password": "correct horse battery"})
    assert response.status_code == 400
    assert "Reload the page and try again" in response.get_data(as_text=True)
    assert client.get("/frontoffice/").status_code == 302


def test_a_deactivated_person_cannot_sign_in(client, auth, session):
    make_user(session, "agent", email="left@example.org", active=False)
    assert auth.login("left@example.org").status_code == 401


def test_someone_deactivated_while_signed_in_is_signed_out(client, auth, session, people):
    auth.login(people["agent"].email)
    people["agent"].active = False
    session.commit()
    assert client.get("/frontoffice/").status_code == 302


def test_signing_out_needs_a_post_with_csrf_token(client, auth, people):
    auth.login(people["agent"].email)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/frontoffice/").status_code == 200
    auth.logout()
    assert client.get("/frontoffice/").status_code == 302


def test_after_sign_in_only_same_site_next_pages_are_followed(client, auth, people):
    page = client.get("/login")
    from tests.conftest import csrf_token_from

    token = csrf_token_from(page.get_data(as_text=True))
    for evil in ("https://evil.example.org/", "//evil.example.org/x", "javascript:alert(1)"):
        response = client.post(f"/login?next={evil}", data={
            "email": people["admin"].email, "password": "correct horse battery", "csrf_token": token})
        assert response.headers["Location"] == "/home"
        auth.logout()
    response = client.post("/login?next=/admin/topics", data={
        "email": people["admin"].email, "password": "correct horse battery", "csrf_token": token})
    assert response.headers["Location"] == "/admin/topics"


def test_session_cookie_is_http_only_and_same_site(client, auth, people):
    response = auth.login(people["agent"].email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_a_person_without_roles_signs_in_but_lands_on_the_public_pages(client, auth, session):
    make_user(session, email="norole@example.org")
    auth.login("norole@example.org")
    assert client.get("/home").headers["Location"] == "/"
    assert client.get("/frontoffice/").status_code == 403
