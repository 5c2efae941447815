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


def test_an_admin_declares_expertise_and_plans_an_absence_which_routing_then_uses(client, auth, session, people):
    from datetime import timedelta

    from routing.models import Absence, DeclaredExpertise
    from tests.factories import make_topic

    topic = make_topic(session, "permits", "Permits")
    expert = people["expert"]
    auth.login(people["admin"].email)
    page = client.get(f"/admin/experts/{expert.id}").get_data(as_text=True)
    assert "Declared expertise" in page
    response = auth.post(f"/admin/experts/{expert.id}", {"form": "expertise", "x-topic": str(topic.id), "x-level": "3",
                                                         "x-csrf_token": auth.csrf_token})
    assert response.status_code == 303
    assert session.get(DeclaredExpertise, (expert.id, topic.id)).level == 3
    response = auth.post(f"/admin/experts/{expert.id}", {"form": "absence", "b-starts": "2026-03-10",
                                                         "b-ends": "2026-03-12", "b-reason": "holiday",
                                                         "b-csrf_token": auth.csrf_token})
    assert response.status_code == 303
    absence = session.scalar(select(Absence))
    assert absence.ends_at - absence.starts_at == timedelta(days=3)
    assert "Permits (3)" in client.get("/admin/experts").get_data(as_text=True)


def test_an_absence_that_ends_before_it_starts_is_refused(client, auth, session, people):
    from routing.models import Absence

    auth.login(people["admin"].email)
    response = auth.post(f"/admin/experts/{people['expert'].id}", {
        "form": "absence", "b-starts": "2026-03-12", "b-ends": "2026-03-10", "b-csrf_token": auth.csrf_token})
    assert response.status_code == 400
    assert "must start before it ends" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Absence)) == 0


def test_an_admin_sets_the_promise_for_a_topic(client, auth, session, people):
    from routing.models import RoutingPolicy
    from tests.factories import make_topic

    topic = make_topic(session, "taxes", "Taxes")
    auth.login(people["admin"].email)
    response = auth.post("/admin/policies", {"topic": str(topic.id), "accept_within_minutes": "30",
                                             "answer_within_hours": "8", "escalate_before_minutes": "60",
                                             "coordinator": str(people["expert"].id)})
    assert response.status_code == 303
    policy = session.scalar(select(RoutingPolicy))
    assert (policy.topic_id, policy.answer_within_hours, policy.coordinator_id) == (topic.id, 8, people["expert"].id)


def test_an_inactive_expert_is_not_offered_as_coordinator_and_cannot_be_made_one(client, auth, session, people):
    from routing.models import RoutingPolicy
    from tests.factories import make_topic, make_user

    topic = make_topic(session, "taxes", "Taxes")
    gone = make_user(session, "expert", name="Gerrit Gone", active=False)
    auth.login(people["admin"].email)
    page = client.get("/admin/policies").get_data(as_text=True)
    assert f'<option value="{people["expert"].id}">Erik Expert</option>' in page
    assert "Gerrit Gone" not in page
    response = auth.post("/admin/policies", {"topic": str(topic.id), "accept_within_minutes": "30",
                                             "answer_within_hours": "8", "escalate_before_minutes": "60",
                                             "coordinator": str(gone.id)})
    assert response.status_code == 400
    assert session.scalar(select(RoutingPolicy)) is None


def test_each_form_on_an_expert_page_saves_its_own_part_and_forgetting_says_nothing(client, auth, session, people):
    from routing.models import DeclaredExpertise, ExpertStatus
    from tests.factories import make_topic

    topic = make_topic(session, "permits", "Permits")
    expert = people["expert"]
    auth.login(people["admin"].email)
    saved = auth.post(f"/admin/experts/{expert.id}", {"form": "availability", "a-presence": "away",
                                                      "a-capacity": "7", "a-csrf_token": auth.csrf_token})
    assert (saved.status_code, saved.location) == (303, f"/admin/experts/{expert.id}")
    assert "Saved." in client.get(saved.location).get_data(as_text=True)
    assert (session.get(ExpertStatus, expert.id).presence, session.get(ExpertStatus, expert.id).capacity) == ("away", 7)

    auth.post(f"/admin/experts/{expert.id}", {"form": "expertise", "x-topic": str(topic.id), "x-level": "2",
                                              "x-csrf_token": auth.csrf_token})
    client.get(f"/admin/experts/{expert.id}")  # reads the "Saved." of the declaration
    forgotten = auth.post(f"/admin/experts/{expert.id}", {"form": "forget", "topic_id": str(topic.id)})
    assert (forgotten.status_code, forgotten.location) == (303, f"/admin/experts/{expert.id}")
    assert "Saved." not in client.get(forgotten.location).get_data(as_text=True)
    session.expire_all()
    assert session.get(DeclaredExpertise, (expert.id, topic.id)) is None

    unknown = auth.post(f"/admin/experts/{expert.id}", {"form": "promote"})
    assert unknown.status_code == 200 and "Declared expertise" in unknown.get_data(as_text=True)


def test_an_admin_sets_an_experts_weekly_hours_and_routing_sees_them(client, auth, session, people):
    from datetime import datetime, time, timezone

    from routing.availability import availability_of
    from routing.models import WorkingHours

    expert = people["expert"]
    auth.login(people["admin"].email)
    url = f"/admin/experts/{expert.id}"
    response = auth.post(url, {"form": "hours", "h-mon": "08:30-17:00", "h-wed": "09:00-12:30",
                               "h-csrf_token": auth.csrf_token})
    assert response.status_code == 303
    rows = {w.weekday: (w.starts, w.ends) for w in session.scalars(select(WorkingHours)
                                                                  .where(WorkingHours.user_id == expert.id))}
    assert rows == {"mon": (time(8, 30), time(17, 0)), "wed": (time(9, 0), time(12, 30))}
    assert 'value="09:00-12:30"' in client.get(url).get_data(as_text=True)  # the form shows what is set
    monday = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)  # the clock's Monday, 10:30 local
    assert availability_of(session, [expert.id], monday, monday)[expert.id].working_now

    refused = auth.post(url, {"form": "hours", "h-mon": "17:00-08:30", "h-tue": "lang", "h-csrf_token": auth.csrf_token})
    assert refused.status_code == 400
    assert "not so on mon, tue" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(WorkingHours).where(WorkingHours.user_id == expert.id)) == 2


def test_an_admin_sets_the_language_a_colleague_reads_and_refusals_come_in_the_admin_s(client, auth, session, people):
    admin, agent = people["admin"], people["agent"]
    auth.login(admin.email)
    response = auth.post(f"/admin/users/{agent.id}", {"name": agent.name, "roles": ["agent"], "active": "y",
                                                      "locale": "nl"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(User, agent.id).locale == "nl"
    admin_row = session.get(User, admin.id)
    admin_row.locale = "nl"
    session.commit()
    page = auth.post("/admin/users/new", {"email": agent.email, "name": "Twin", "roles": ["agent"], "locale": "en"})
    assert page.status_code == 400
    assert f"Er is al een account voor {agent.email}." in page.get_data(as_text=True)  # the domain's refusal, in Dutch
    auth.logout()
    auth.login(agent.email)
    home = client.get("/frontoffice/").get_data(as_text=True)
    assert "Een klant belt terug" in home and "A customer calls back" not in home
