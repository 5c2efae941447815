"""The demo organisation loads completely, once, and every demo role lands on its own home page."""
from collections import Counter

from sqlalchemy import func, select

from knowledge.models import Article, Topic, User, UserRole
from routing.customers import other_questions_of_customer
from routing.models import DeclaredExpertise, Event, Question, WorkingHours, Absence

HOMES = {"agent": "Frontoffice", "expert": "Your inbox", "editor": "Editorial queue", "admin": "People and roles"}


def _count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_demo_load_builds_a_whole_municipal_customer_service(runner, session):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output

    assert _count(session, Article) >= 60
    top_level = session.scalars(select(Topic).where(Topic.parent_id.is_(None))).all()
    assert len(top_level) >= 8
    topics_with_articles = session.scalar(
        select(func.count(func.distinct(Topic.id))).select_from(Article).join(Article.topics))
    assert topics_with_articles >= 8
    experts = _count(session, UserRole, UserRole.role == "expert")
    assert experts >= 8
    assert _count(session, UserRole, UserRole.role == "agent") >= 2
    assert _count(session, UserRole, UserRole.role == "editor") >= 1
    assert _count(session, DeclaredExpertise) >= experts
    assert _count(session, WorkingHours) >= 5 * experts - 10
    assert _count(session, Absence) >= 3
    assert _count(session, Question, Question.status.in_(("answered", "closed", "answered_from_kb"))) >= 20
    # Every question's route is in the process memory, starting with its intake.
    questions = session.scalars(select(Question)).all()
    assert all(q.events and q.events[0].kind == "received" for q in questions)
    assert _count(session, Event, Event.kind == "answered") >= 15
    # A returning caller: her follow-up shows the question she asked (by e-mail) seven weeks earlier.
    follow_up = session.scalar(select(Question).where(Question.customer_phone == "0123 456 710"))
    earlier = other_questions_of_customer(session, follow_up)
    assert [q.customer_email for q in earlier] == ["m.vermeulen@example.org"]
    assert earlier[0].status == "closed" and earlier[0].answered_by_id == follow_up.owner_id
    assert "Loaded 29 topics, 92 articles" in result.output


def test_the_demo_speaks_dutch_with_evidence_for_every_leaf_topic(runner, session):
    """The demo is a Dutch municipality: Dutch articles (a few English for expats) and enough Dutch history
    that learned expertise has evidence in every leaf topic."""
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    languages = Counter(session.scalars(select(Article.language)).all())
    assert languages["nl"] >= 70 and languages["en"] >= 6
    answered = session.scalars(select(Question).where(Question.answered_by_id.is_not(None))).all()
    dutch = [q for q in answered if q.language == "nl"]
    assert len(dutch) >= 80
    per_topic = Counter(q.topic.slug for q in dutch if q.topic)
    leaves = session.scalars(select(Topic.slug).where(Topic.parent_id.is_not(None))).all()
    assert leaves and all(per_topic[slug] >= 3 for slug in leaves), per_topic
    assert session.scalar(select(Topic.name).where(Topic.slug == "property-tax")) == "WOZ & onroerendezaakbelasting"
    sign_ins = runner.invoke(args=["demo", "sign-ins"]).output
    assert all(f"  {role}" in sign_ins for role in HOMES)


def test_demo_load_if_empty_does_nothing_the_second_time(runner, session):
    assert runner.invoke(args=["demo", "load", "--if-empty"]).exit_code == 0
    articles = _count(session, Article)
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0
    assert "already has data" in result.output
    assert _count(session, Article) == articles


def test_each_demo_role_signs_in_and_sees_its_home_page(runner, client, auth, session, app):
    runner.invoke(args=["demo", "load"])
    password = app.config["DEMO_PASSWORD"]
    for role, heading in HOMES.items():
        user = session.scalars(select(User).join(UserRole).where(UserRole.role == role).order_by(User.id)).first()
        response = auth.login(user.email, password)
        assert response.status_code == 302, role
        page = client.get("/home", follow_redirects=True)
        assert page.status_code == 200
        assert f"<h1>{heading}</h1>" in page.get_data(as_text=True)
        auth.logout()
