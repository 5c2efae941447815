"""Fuzzing the doors the public and integrations use: whatever arrives, the answer is a 2xx or a 4xx
(never a 5xx), and a JSON endpoint answers in JSON.

Hypothesis throws arbitrary text (control characters, NUL, huge strings, any Unicode, the search
parser's own syntax) and arbitrary JSON (nested anything, and the documented shapes with a wrong type
here and there) at the real app on the real database. Most examples are nearly right, so they get past
the first check and reach the handler; `--hypothesis-show-statistics` shows the status codes reached.
The fixtures are made once per test, not per example: the examples share one world, as a day's requests do.
"""
from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from flask import url_for
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.auth.session import issue_api_token
from knowledge.models import Article
from routing.models import CHANNELS, PRIORITIES
from routing.questions import request_customer_info
from tests.conftest import PASSWORD, AuthActions, csrf_token_from
from tests.factories import T0, make_article, make_expert, make_question, make_topic, make_user
from tests.test_access import CSRF, PLAUSIBLE_POSTS, STATE_CHANGING, methods_of, url_of

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])

# --- strategies ------------------------------------------------------------------------------------------

SEARCH_SYNTAX = ['"', "AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "(", ")", "*", "?", "~", "~2", "^", "^3", ":",
                 "title:", "body:", "[", "]", "{", "}", "TO", "-", "+", "\\", "/", "'", "<", ">", "=", " ", "\x00",
                 "\t", "\n", "\u202e", "\ufeff", "bin", "vuilnis", "ß", "İ", "ﬁ", "😀", "%", "_", "&", "#"]

awkward_text = st.one_of(
    st.text(min_size=1),  # any Unicode (no lone surrogates: those cannot travel in UTF-8)
    st.text(st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Mn"]), min_size=1),
    st.lists(st.sampled_from(SEARCH_SYNTAX), min_size=1, max_size=30).map("".join),
    st.lists(st.one_of(st.sampled_from(SEARCH_SYNTAX), st.text(max_size=5)), min_size=1, max_size=20).map(" ".join),
    st.tuples(st.sampled_from(["x", "(", '"', "*", "a ", "\x00", "é", "\U0001f5d1"]), st.integers(1, 30_000)).map(
        lambda pair: pair[0] * pair[1]),  # huge strings
)
short_text = st.one_of(st.text(max_size=20), awkward_text)


def mostly(right, wrong):
    """Nine in ten examples from `right`, so most requests reach the handler; the rest from `wrong`."""
    return st.tuples(st.integers(0, 9), right, wrong).map(lambda t: t[2] if t[0] == 0 else t[1])


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=2**63), st.floats(),
                         st.text(), st.sampled_from(["", "web", "phone", "waste", "\x00", "\ud800"]))
json_values = st.recursive(json_scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)), max_leaves=12)

topics = st.sampled_from(["waste", "parking", "", "space-travel"])
customers = mostly(st.fixed_dictionaries({}, optional={
    "name": mostly(short_text, json_values), "email": mostly(st.one_of(st.emails(), short_text), json_values),
    "phone": mostly(short_text, json_values)}), json_values)
question_shapes = st.fixed_dictionaries(
    {"text": mostly(awkward_text, json_values)},
    optional={"channel": mostly(st.sampled_from(["web", "web", *CHANNELS]), json_values),
              "topic": mostly(topics, json_values),
              "priority": mostly(st.sampled_from(PRIORITIES), json_values), "customer": customers})
preview_shapes = st.fixed_dictionaries({"text": mostly(awkward_text, json_values)},
                                       optional={"topic": mostly(topics, json_values)})
raw_bodies = st.one_of(
    st.binary(max_size=200),
    st.sampled_from([b"", b"{", b'{"text": "\\ud800"}', b'{"text": "a\\u0000b", "channel": "web"}', b"[" * 5000,
                     b"[" * 5000 + b"]" * 5000, b'{"text": 1e400}', b"\xff\xfe{}", b"null", b'"text"']),
    # a right question in the encodings JSON allows (the parser detects UTF-16 and UTF-32 by itself)
    st.tuples(question_shapes, st.sampled_from(["utf-8", "utf-16", "utf-32", "utf-8-sig"])).map(
        lambda pair: json.dumps(pair[0]).encode(pair[1])),
)

# ISO 8601 lookalikes and worse, for ?since=
moments = mostly(
    st.datetimes(timezones=st.none() | st.timezones()).map(lambda d: d.isoformat()),
    st.sampled_from(["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0001-01-01", "2026-02-30",
                     "2026-03-01T00:00:00Z", "2026-03-01T25:00", "z", "Z", "+00:00", "2026-03-01T00:00:00+24:00"])
    | short_text)
numbers = st.one_of(st.integers().map(str), st.integers(min_value=2**63).map(str), st.sampled_from(
    ["", "-0", "1e3", "0x10", " 5 ", "٣", "1_000", "9" * 5000, "NaN"]), short_text)


def optional(strategy):
    return st.one_of(st.none(), strategy)


# --- the world the examples share -----------------------------------------------------------------------

@pytest.fixture
def fuzz_app(app):
    """No rate limits: the fuzzer should reach the handlers, not the 429 in front of them."""
    app.config["RATE_LIMIT_ENABLED"] = False
    return app


@pytest.fixture
def world(session, people):
    make_topic(session, "waste")
    make_topic(session, "parking")
    make_article(session, topics=("waste",))
    make_article(session, "Visitor parking permit", "Buy visitor hours in the app.", topics=("parking",),
                 audience="internal")
    make_expert(session, "Willem Afval", knows={"waste": 3})
    answered, answered_token = make_question(session, owner=people["expert"], answer="We come on Tuesday.",
                                             topic="waste")
    waiting, waiting_token = make_question(session, "Where do I leave a sofa?", owner=people["expert"])
    request_customer_info(session, T0, waiting, expert_id=people["expert"].id, message="Which street?")
    tokens = {"agent": issue_api_token(session.merge(people["agent"])),
              "admin": issue_api_token(session.merge(people["admin"]))}
    session.commit()
    return {"questions": {"answered": (answered.reference, answered_token),
                          "waiting": (waiting.reference, waiting_token)}, "api_tokens": tokens}


@pytest.fixture
def agent_client(fuzz_app, people):
    """A browser signed in as an agent (the session cookie, as on the front-office desk)."""
    client = fuzz_app.test_client()
    AuthActions(client).login(people["agent"].email)
    return client


def bearer(world, role: str) -> dict:
    return {"Authorization": f"Bearer {world['api_tokens'][role]}"}


def assert_sane(response, *, json_endpoint: bool) -> None:
    where = f"{response.request.method} {response.request.path}"
    event(f"status {response.status_code}")  # --hypothesis-show-statistics: are the handlers reached?
    assert response.status_code < 500, f"{where}: {response.status_code}"
    if json_endpoint:
        assert response.is_json and response.get_json(silent=True) is not None, f"{where}: not JSON"


# --- search ---------------------------------------------------------------------------------------------

@FUZZ
@given(q=awkward_text, limit=optional(mostly(st.integers(1, 50).map(str), numbers)),
       channel=optional(mostly(st.sampled_from(CHANNELS), short_text)))
def test_api_search_for_anyone_answers_any_query(fuzz_app, world, client, q, limit, channel):
    args = {"q": q, "limit": limit, "channel": channel}
    response = client.get("/api/v1/search", query_string={k: v for k, v in args.items() if v is not None})
    assert_sane(response, json_endpoint=True)


@FUZZ
@given(q=awkward_text, as_role=optional(mostly(st.sampled_from(["agent", "expert", "editor", "admin"]), short_text)))
def test_api_search_for_staff_answers_any_query(fuzz_app, world, agent_client, q, as_role):
    """The agent's live search on the front-office desk (and on every staff page)."""
    args = {"q": q, **({"as": as_role} if as_role is not None else {})}
    assert_sane(agent_client.get("/api/v1/search", query_string=args), json_endpoint=True)


@FUZZ
@given(q=awkward_text, signed_in=st.booleans())
def test_the_public_search_page_answers_any_query(fuzz_app, world, client, agent_client, q, signed_in):
    """The customers' search page; staff use it too, and it searches as a customer for them."""
    assert_sane((agent_client if signed_in else client).get("/", query_string={"q": q}), json_endpoint=False)


# --- intake and routing preview -------------------------------------------------------------------------

@FUZZ
@given(body=st.one_of(question_shapes, question_shapes, json_values), with_token=st.booleans())
def test_api_intake_answers_any_json(fuzz_app, world, client, body, with_token):
    response = client.post("/api/v1/questions", json=body, headers=bearer(world, "agent") if with_token else {})
    assert_sane(response, json_endpoint=True)
    if response.status_code == 201:
        assert response.get_json()["reference"].startswith("VB-")


@FUZZ
@given(body=raw_bodies, content_type=st.sampled_from(["application/json", "application/json; charset=latin-1",
                                                      "text/plain", "application/x-www-form-urlencoded"]))
def test_api_intake_answers_any_bytes(fuzz_app, world, client, body, content_type):
    response = client.post("/api/v1/questions", data=body, content_type=content_type, headers=bearer(world, "agent"))
    assert_sane(response, json_endpoint=True)


@FUZZ
@given(body=st.one_of(preview_shapes, preview_shapes, json_values))
def test_routing_preview_answers_any_json(fuzz_app, world, client, body):
    assert_sane(client.post("/api/v1/routing/preview", json=body, headers=bearer(world, "agent")), json_endpoint=True)


# --- the customer's tracking page and its API -----------------------------------------------------------

@FUZZ
@given(which=st.sampled_from(["answered", "waiting"]), wrong=st.sampled_from(["", "reference", "token", "both"]),
       junk=st.tuples(short_text, short_text), in_header=st.booleans())
def test_question_status_answers_any_reference_and_token(fuzz_app, world, client, which, wrong, junk, in_header):
    """A right or wrong reference with a right or wrong token, as ?token= or in the X-Tracking-Token header."""
    reference, token = world["questions"][which]
    reference = junk[0] if wrong in ("reference", "both") else reference
    token = junk[1] if wrong in ("token", "both") else token
    path = "/api/v1/questions/" + quote(reference, safe="")
    # A reference with slashes ends up in the path: the router answers "//" with a redirect to "/" (308).
    if in_header:
        # A header carries bytes; control characters other than tab cannot travel in one at all.
        header = "".join(c for c in token if c == "\t" or not (ord(c) < 32 or ord(c) == 127))
        response = client.get(path, headers={"X-Tracking-Token": header.encode().decode("latin-1")},
                              follow_redirects=True)
    else:
        response = client.get(path, query_string={"token": token}, follow_redirects=True)
    assert_sane(response, json_endpoint=True)
    if not wrong:
        assert response.status_code == 200


@FUZZ
@given(which=st.sampled_from(["answered", "waiting"]),
       action=mostly(st.sampled_from(["reply", "rate"]), short_text),
       fields=st.fixed_dictionaries({}, optional={"message": short_text, "helpful": mostly(st.sampled_from(
           ["yes", "no"]), short_text), "comment": short_text}))
def test_customer_reply_and_rating_answer_any_form(fuzz_app, world, client, which, action, fields):
    """The customer's reply to an info request and their rating of the answer, on the tracking page."""
    reference, token = world["questions"][which]
    assert_sane(client.get(f"/track/{reference}", query_string={"token": token}), json_endpoint=False)
    # Once answered or replied to, the page has no form left; the sign-in page always carries the token.
    csrf_token = csrf_token_from(client.get("/login").get_data(as_text=True))
    form = {**fields, "action": action, "token": token, "csrf_token": csrf_token}
    assert_sane(client.post(f"/track/{reference}", data=form), json_endpoint=False)


# --- the event log for process mining -------------------------------------------------------------------

@FUZZ
@given(since=optional(moments), limit=optional(mostly(st.integers(1, 10_000).map(str), numbers)),
       after=optional(mostly(st.integers(0, 50).map(str), numbers)))
def test_event_log_answers_any_since_limit_and_after(fuzz_app, world, client, since, limit, after):
    args = {name: value for name, value in (("since", since), ("limit", limit), ("after", after)) if value is not None}
    assert_sane(client.get("/api/v1/events", query_string=args, headers=bearer(world, "admin")), json_endpoint=True)


# --- every page's query arguments -----------------------------------------------------------------------

QUERY_NAMES = ["q", "topic", "channel", "from", "to", "expert", "s", "as", "limit", "after", "since", "title",
               "token", "next", "into", "page", "status", "language", "audience"]


@pytest.fixture
def everything_client(fuzz_app, session):
    """Someone with every role, so every page is open to them."""
    make_user(session, "agent", "expert", "editor", "admin", email="all@example.org")
    client = fuzz_app.test_client()
    AuthActions(client).login("all@example.org")
    return client


query_values = st.one_of(short_text, numbers, short_text.map(lambda text: text + "\x00"), st.sampled_from(
    ["\x00", "waste", "phone", "admin", "2026-03-01", "0001-01-01", "9999-12-31", "2026-03-01T00:00:00Z"]))


def real_route_values(session, world) -> dict:
    """A value that names a real row for every argument a GET route takes (a new argument fails here first)."""
    return {"article_id": session.scalar(select(Article.id).limit(1)), "question_id": 1, "user_id": 1, "number": 1,
            "reference": world["questions"]["answered"][0], "table": "topics", "filename": "css/app.css",
            "attachment_id": 1}


@FUZZ
@given(data=st.data(), args=st.dictionaries(st.sampled_from(QUERY_NAMES), query_values, min_size=1, max_size=3))
def test_every_page_answers_any_query_arguments(fuzz_app, world, everything_client, session, data, args):
    """Every GET route (from the URL map, so new pages are fuzzed too), its ids real or absurd."""
    real = real_route_values(session, world)
    rules = sorted((r for r in fuzz_app.url_map.iter_rules() if "GET" in r.methods), key=lambda r: r.rule)
    rule = data.draw(st.sampled_from(rules), label="rule")
    values = {name: data.draw(mostly(st.just(real[name]), st.integers(0, 10**30) if isinstance(real[name], int)
                                     else short_text.filter(bool)), label=name) for name in sorted(rule.arguments)}
    with fuzz_app.test_request_context():
        path = url_for(rule.endpoint, **values)
    response = everything_client.get(path, query_string=args, follow_redirects=path.startswith("/api/"))
    response.close()  # the streamed CSV exports
    assert_sane(response, json_endpoint=path.startswith("/api/"))


ABSURD_IDS = [0, 2**31, 2**63, 10**25]
HOSTILE_VALUES = ["\x00", "9" * 25, "-1", "x" * 5000]


def test_every_page_answers_absurd_ids_and_hostile_arguments(fuzz_app, world, everything_client, session):
    """The same, deterministically: every GET route with ids no row can have, and every known query
    argument at once set to a NUL, a huge number, a negative one, a huge string."""
    real = real_route_values(session, world)
    problems = []
    for rule in sorted((r for r in fuzz_app.url_map.iter_rules() if "GET" in r.methods), key=lambda r: r.rule):
        ints = sorted(name for name in rule.arguments if isinstance(real[name], int))
        variants = [({**real, name: absurd}, {}) for name in ints for absurd in ABSURD_IDS]
        variants += [(real, {name: value for name in QUERY_NAMES}) for value in HOSTILE_VALUES]
        for values, args in variants:
            with fuzz_app.test_request_context():
                path = url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})
            response = everything_client.get(path, query_string=args, follow_redirects=path.startswith("/api/"))
            response.close()
            if response.status_code >= 500:
                problems.append(f"GET {path} {args!r:.80}: {response.status_code}")
    assert not problems, "\n".join(problems)


# --- every state change's fields ------------------------------------------------------------------------

def test_every_state_change_answers_hostile_field_values(fuzz_app, one_of_each, everything_client):
    """Every state-changing route (test_access keeps the list complete) with its plausible request, each
    field in turn set to an absurd id, a negative number, a huge string, Unicode, a missing value."""
    csrf_token = csrf_token_from(everything_client.get("/admin/users/new").get_data(as_text=True))
    problems = []
    for endpoint in sorted(PLAUSIBLE_POSTS):
        post = PLAUSIBLE_POSTS[endpoint](one_of_each)
        (method,) = [m for m in methods_of(fuzz_app, endpoint) if m in STATE_CHANGING]
        url = url_of(fuzz_app, endpoint, one_of_each)
        plain = post.json if post.json is not None else post.form
        for field in [name for name, value in plain.items() if value is not CSRF]:
            for hostile in [str(10**25), str(2**31), "-1", "x" * 20_000, "\u202e\U0001f5d1 ﬁ", "", None]:
                body = {name: (csrf_token if value is CSRF else value) for name, value in plain.items()}
                if hostile is None:
                    del body[field]
                else:
                    body[field] = hostile
                if post.json is not None:
                    response = everything_client.open(url, method=method, json=body,
                                                      headers={"X-CSRFToken": csrf_token})
                else:
                    response = everything_client.open(url, method=method, data={**body, "csrf_token": csrf_token})
                if response.status_code >= 500:
                    problems.append(f"{method} {url} {field}={hostile!r:.40}: {response.status_code}")
                if endpoint == "auth.logout" and response.status_code < 400:
                    everything_client.post("/login", data={"email": "all@example.org", "password": PASSWORD,
                                                           "csrf_token": csrf_token})
    assert not problems, "\n".join(problems)
