"""Rights follow roles: every route × every role (and anonymous) is allowed or refused as designed.

`POLICIES` decides, for every endpoint of the app, who may use it. A route added without a line there
fails `test_every_route_has_a_declared_access_policy`, so no page ships whose rights nobody decided;
the same goes for the plausible request each state-changing route is tried with (`PLAUSIBLE_POSTS`).
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import url_for
from sqlalchemy import select

from knowledge.base import Base
from tests.conftest import PASSWORD, csrf_token_from

ROLES = ("anonymous", "agent", "expert", "editor", "admin")
STAFF = frozenset(ROLES[1:])
STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")
PUBLIC = None  # anyone, signed in or not

# endpoint → the roles that may use it, with every method it has; PUBLIC for everyone.
POLICIES = {
    "static": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,
    "auth.home": STAFF,  # any signed-in person: it sends them to the page of their role
    "selfservice.home": PUBLIC,
    "selfservice.choose_language": PUBLIC,  # the NL/EN switch (test_locale)
    "selfservice.article": PUBLIC,  # internal articles are 404 for the public (test_editor)
    "selfservice.feedback": PUBLIC,
    "selfservice.ask": PUBLIC,
    "selfservice.track": PUBLIC,  # with the question's tracking token; without it 404
    "selfservice.previous_answer": STAFF,
    "frontoffice.home": {"agent"},
    "frontoffice.new_question": {"agent"},
    "frontoffice.question": {"agent"},
    "frontoffice.reassign": {"agent"},
    "frontoffice.answered_from_kb": {"agent"},
    "frontoffice.caller": {"agent"},
    "inbox.home": {"expert"},
    "inbox.question": {"expert"},
    "inbox.act": {"expert"},
    "inbox.attachment": {"expert"},  # a customer's mail attachment: staff only
    "editor.home": {"editor"},
    "editor.article": {"editor"},
    "editor.new_article": {"editor"},
    "editor.edit_article": {"editor"},
    "editor.show_revision": {"editor"},
    "editor.diff": {"editor"},
    "editor.confirm_merge": {"editor"},
    "editor.restore": {"editor"},
    "editor.workflow": {"editor"},
    "editor.capture": {"editor"},
    "admin.home": {"admin"},
    "admin.new_user": {"admin"},
    "admin.edit_user": {"admin"},
    "admin.topics": {"admin"},
    "admin.experts": {"admin"},
    "admin.routing_weights": {"admin"},
    "admin.expert": {"admin"},
    "admin.policies": {"admin"},
    "analytics.dashboard": {"admin", "editor"},
    "analytics.flow_page": {"admin", "editor"},
    "analytics.self_service_page": {"admin", "editor"},
    "analytics.load_page": {"admin", "editor"},
    "analytics.timeline": {"admin", "editor"},
    "analytics.events_csv": {"admin", "editor"},
    "analytics.table_csv": {"admin", "editor"},
    "api.health": PUBLIC,
    "api.search": PUBLIC,
    "api.create_question": PUBLIC,  # the public form's channel 'web'; other channels need staff (test_routing)
    "api.question_status": PUBLIC,  # with the question's tracking token
    "api.preview": STAFF,
    "api.routing_preview": STAFF,
    "events_api.events": {"admin"},
}
# For those not allowed these do not exist (404), rather than a refusal that says there is something.
HIDDEN_WHEN_REFUSED = {"selfservice.previous_answer"}

CSRF = object()  # stands for this session's CSRF token in a form (prefixed forms carry their own field)


@dataclass(frozen=True)
class Post:
    """What a person using the page (or an integration) would send; `changes_data`: it stores something."""
    form: dict | None = None
    json: dict | None = None
    changes_data: bool = True


# endpoint → one plausible state-changing request (given `one_of_each`), valid for the roles allowed there.
PLAUSIBLE_POSTS = {
    "auth.login": lambda w: Post(form={"email": "agent@example.org", "password": PASSWORD}, changes_data=False),
    "auth.logout": lambda w: Post(form={}, changes_data=False),
    "selfservice.ask": lambda w: Post(form={
        "text": "Can I put my bin out on Sunday evening?", "topic": "waste", "name": "Kees",
        "email": "kees@example.org", "phone": ""}),
    "selfservice.track": lambda w: Post(form={"action": "rate", "helpful": "no", "comment": "Still full."}),
    "selfservice.feedback": lambda w: Post(form={"helpful": "no", "comment": "Out of date."}),
    "selfservice.choose_language": lambda w: Post(form={"locale": "nl", "next": "/"}, changes_data=False),
    "frontoffice.new_question": lambda w: Post(form={
        "text": "Bulky waste pick-up for a sofa?", "channel": "phone", "priority": "normal", "topic": "waste",
        "name": "Mevr. Jansen", "email": "", "phone": ""}),
    "frontoffice.answered_from_kb": lambda w: Post(form={
        "article_id": str(w.article.id), "text": "How do I get a bin?", "channel": "phone", "priority": "normal"}),
    "frontoffice.reassign": lambda w: Post(form={"user_id": str(w.colleague.id)}),
    "inbox.act": lambda w: Post(form={}),  # accept
    "editor.new_article": lambda w: Post(form={
        "title": "Bulky waste", "body": "Book a pick-up online.", "topics": "waste", "audience": "public",
        "language": "en", "status": "draft", "note": ""}),
    "editor.edit_article": lambda w: Post(form={
        "title": "How do I order a new bin?", "body": "Online or by phone.", "topics": "waste",
        "audience": "public", "language": "en", "status": "published", "note": "by phone too",
        "version": str(w.article.version)}),
    "editor.workflow": lambda w: Post(form={"audience": "public"}),  # publish the draft in review
    "editor.restore": lambda w: Post(form={}),
    "editor.capture": lambda w: Post(form={}),
    "admin.new_user": lambda w: Post(form={
        "email": "nina@example.org", "name": "Nina Nieuw", "roles": "agent", "active": "y", "password": ""}),
    "admin.edit_user": lambda w: Post(form={"name": "Olga Overig-Smit", "roles": "expert", "active": "y"}),
    "admin.expert": lambda w: Post(form={
        "form": "availability", "a-presence": "busy", "a-capacity": "2", "a-csrf_token": CSRF}),
    "admin.policies": lambda w: Post(form={
        "topic": "", "accept_within_minutes": "30", "answer_within_hours": "8", "escalate_before_minutes": "60",
        "coordinator": ""}),
    "api.create_question": lambda w: Post(json={
        "text": "When is the paper collected?", "channel": "web",
        "customer": {"name": "Kees", "email": "kees@example.org"}}),
    "api.preview": lambda w: Post(form={"body": "**Bold** move"}, changes_data=False),
    "api.routing_preview": lambda w: Post(json={"text": "My bin was not emptied", "topic": "waste"},
                                          changes_data=False),
}


def url_of(app, endpoint: str, w) -> str:
    """The URL with real values for the rule's arguments (by name, or per endpoint) and the query a real visit has."""
    by_name = {"article_id": w.article.id, "number": 1, "question_id": w.answered.id,
               "reference": w.open_question.reference, "user_id": w.colleague.id, "table": "topics",
               "filename": "css/app.css"}
    per_endpoint = {
        "editor.workflow": {"article_id": w.draft.id, "action": "publish"},
        "inbox.act": {"action": "accept"},
        "inbox.attachment": {"attachment_id": 1},
        "selfservice.track": {"reference": w.answered.reference, "token": w.token},
        "api.question_status": {"reference": w.answered.reference, "token": w.token},
        "api.search": {"q": "bin"},
        "editor.diff": {"from": 1, "to": 1},
        "editor.confirm_merge": {"article_id": w.draft.id, "into": w.article.id},
    }
    (rule,) = app.url_map.iter_rules(endpoint)
    values = {name: by_name[name] for name in rule.arguments if name in by_name} | per_endpoint.get(endpoint, {})
    missing = rule.arguments - values.keys()
    assert not missing, f"{rule.rule}: give url_of a real value for {', '.join(sorted(missing))}"
    with app.test_request_context():
        return url_for(endpoint, **values)


def methods_of(app, endpoint: str) -> list[str]:
    (rule,) = app.url_map.iter_rules(endpoint)
    return [m for m in ("GET", *STATE_CHANGING) if m in rule.methods]


def database_rows(session) -> dict[str, list[tuple]]:
    """Every row of every table, read afresh: a refused request leaves all of them as they were."""
    with session.get_bind().connect() as conn:
        return {table.name: [tuple(row) for row in conn.execute(select(table).order_by(*table.primary_key.columns))]
                for table in Base.metadata.sorted_tables}


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def sign_in(client, role: str, people) -> str:
    """Signs the client in as the role (or not, for anonymous); returns the session's CSRF token.

    The sign-in form is proven in test_auth; here the session is written the way Flask-Login writes it,
    which spares a couple of hundred deliberately slow password checks."""
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    if role != "anonymous":
        with client.session_transaction() as cookie_session:
            cookie_session["_user_id"] = str(people[role].id)
            cookie_session["_fresh"] = True
    return token


def send(client, method: str, url: str, post: Post | None, csrf_token: str | None):
    """The request as the page (or script) would send it; without `csrf_token`, as a forging site would."""
    headers = {"X-CSRFToken": csrf_token} if csrf_token else {}
    if method == "GET":
        return client.get(url)
    if post.json is not None:
        return client.open(url, method=method, json=post.json, headers=headers)
    form = {k: v for k, v in post.form.items() if v is not CSRF or csrf_token}
    form = {k: (csrf_token if v is CSRF else v) for k, v in form.items()}
    if csrf_token:
        form["csrf_token"] = csrf_token
    return client.open(url, method=method, data=form)


def allowed(endpoint: str, role: str) -> bool:
    roles = POLICIES[endpoint]
    return roles is PUBLIC or role in roles


def test_every_route_has_a_declared_access_policy(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert sorted(endpoints - POLICIES.keys()) == [], "routes whose access nobody declared in POLICIES"
    assert sorted(POLICIES.keys() - endpoints) == [], "POLICIES names routes that no longer exist"
    for endpoint in endpoints:
        assert len(list(app.url_map.iter_rules(endpoint))) == 1, f"{endpoint}: one rule per endpoint expected"


def test_every_state_changing_route_has_a_plausible_request(app):
    changing = {rule.endpoint for rule in app.url_map.iter_rules() if rule.methods & set(STATE_CHANGING)}
    assert sorted(changing - PLAUSIBLE_POSTS.keys()) == [], "state-changing routes without a plausible request"
    assert sorted(PLAUSIBLE_POSTS.keys() - changing) == []


@pytest.mark.parametrize("endpoint", sorted(POLICIES))
def test_each_role_is_allowed_or_refused_on_every_route(app, session, people, one_of_each, endpoint):
    url = url_of(app, endpoint, one_of_each)
    post = PLAUSIBLE_POSTS[endpoint](one_of_each) if endpoint in PLAUSIBLE_POSTS else None
    is_api = url.startswith("/api/")
    problems = []
    # Refused roles first: the allowed roles' posts may change what the next request finds.
    for role in sorted(ROLES, key=lambda r: allowed(endpoint, r)):
        client = app.test_client()
        token = sign_in(client, role, people)
        for method in methods_of(app, endpoint):
            before = database_rows(session) if method != "GET" and not allowed(endpoint, role) else None
            response = send(client, method, url, post, token)
            response.close()  # a streamed response (the CSV exports) keeps its request context until closed
            status, where = response.status_code, f"{method} {url} as {role}: {response.status_code}"
            if status >= 500:
                problems.append(f"{where} (server error)")
            elif allowed(endpoint, role):
                if status in (401, 403):
                    problems.append(f"{where}, but {role} may use it")
            elif endpoint in HIDDEN_WHEN_REFUSED:
                if status != 404:
                    problems.append(f"{where}, expected 404")
            elif role == "anonymous" and is_api:
                if status != 401 or (response.get_json(silent=True) or {}).get("error") != "unauthorized":
                    problems.append(f"{where}, expected 401 with JSON")
            elif role == "anonymous":
                if status != 302 or not response.headers["Location"].startswith("/login?next="):
                    problems.append(f"{where}, expected a redirect to the sign-in page")
            elif status != 403 or (is_api and not response.is_json):
                problems.append(f"{where}, expected 403")
            if before is not None and (changed := changed_tables(before, database_rows(session))):
                problems.append(f"{method} {url} as {role} was refused but changed {', '.join(changed)}")
    assert not problems, "\n".join(problems)


# Posts that only compute an answer (live previews): they store nothing and another site cannot read what
# they answer, so they need no CSRF token even when the session cookie signs them in.
COMPUTE_ONLY_POSTS = {"api.preview", "api.routing_preview"}


def _signed_in_post(app, people, things, auth, endpoint):
    roles = POLICIES[endpoint]
    auth.login(people["agent" if roles is PUBLIC else sorted(roles)[0]].email)  # someone allowed to post there
    (method,) = [m for m in methods_of(app, endpoint) if m in STATE_CHANGING]
    return method, url_of(app, endpoint, things), PLAUSIBLE_POSTS[endpoint](things)


@pytest.mark.parametrize("endpoint", sorted(PLAUSIBLE_POSTS.keys() - COMPUTE_ONLY_POSTS))
def test_a_state_change_without_the_csrf_token_is_refused_and_changes_nothing(app, session, people, one_of_each, auth,
                                                                               client, endpoint):
    """Signed in (the cookie a forging site makes the browser send); the same request with the token goes
    through, and stores what it should."""
    method, url, post = _signed_in_post(app, people, one_of_each, auth, endpoint)
    before = database_rows(session)
    forged = send(client, method, url, post, csrf_token=None)
    assert forged.status_code == 400, forged.get_data(as_text=True)[:500]
    if url.startswith("/api/"):
        assert forged.get_json()["error"] == "csrf_failed"
    else:
        assert "Reload the page and try again" in forged.get_data(as_text=True)
    assert changed_tables(before, database_rows(session)) == []

    genuine = send(client, method, url, post, csrf_token=auth.csrf_token)
    assert genuine.status_code < 400, genuine.get_data(as_text=True)[:500]
    assert bool(changed_tables(before, database_rows(session))) == post.changes_data


@pytest.mark.parametrize("endpoint", sorted(COMPUTE_ONLY_POSTS))
def test_a_preview_post_answers_without_the_csrf_token_and_stores_nothing(app, session, people, one_of_each, auth,
                                                                          client, endpoint):
    from app.search import search_service

    method, url, post = _signed_in_post(app, people, one_of_each, auth, endpoint)
    with app.app_context():
        search_service()  # the index catches up with the articles (and keeps their vectors) first
    before = database_rows(session)
    assert send(client, method, url, post, csrf_token=None).status_code == 200
    assert changed_tables(before, database_rows(session)) == []


def test_the_api_takes_a_question_from_a_token_without_csrf_but_not_from_the_cookie_alone(
        app, client, auth, people, session):
    """Another site cannot send an integration's token, but it can make a signed-in browser send its cookie."""
    from app.auth.session import issue_api_token

    token = issue_api_token(session.merge(people["agent"]))
    session.commit()
    question = {"text": "Bin not emptied on the Kerkstraat", "channel": "email"}
    with_token = client.post("/api/v1/questions", json=question, headers={"Authorization": f"Bearer {token}"})
    assert with_token.status_code == 201
    auth.login(people["agent"].email)
    assert client.post("/api/v1/questions", json=question).status_code == 400
    assert client.post("/api/v1/questions", json=question, headers={"X-CSRFToken": auth.csrf_token}).status_code == 201


# --- the pages each role lands on answer 200 -------------------------------------------------------------

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
