from dataclasses import replace
from datetime import timedelta

from flask_babel import gettext as _
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from app.editor import bp
from app.editor.forms import ArticleForm
from app.extensions import db
from app.i18n import translated
from app.web import database_id, now
from knowledge.articles import ArticleDraft, create_article, save_article
from app.search import search_service
from knowledge.catalogue import QUEUE_PAGE_SIZE, QueueFilter, due_for_review, editor_queue
from knowledge.feedback import feedback_counts, reader_complaints
from knowledge.errors import EditConflict, InvalidArticle
from knowledge.markdown import render_markdown
from knowledge.models import ARTICLE_STATUSES, AUDIENCES, LANGUAGES, Article, Topic
from knowledge.revisions import diff_revisions, diff_texts, pending_revisions, restore_revision, revision
from routing.editorial import answer_ratings, possible_duplicates, source_questions


SECTION_SIZE = 10  # per status on the overview; "show all" opens that status's paged list


@bp.route("/")
def home():
    """The queue: what needs attention, then per status (or one status, paged), narrowed by topic, language,
    audience and words in title or text."""
    args = request.args
    wanted = QueueFilter(status=_one_of(args.get("status"), ARTICLE_STATUSES), topic_slug=args.get("topic", ""),
                         language=_one_of(args.get("language"), LANGUAGES),
                         audience=_one_of(args.get("audience"), AUDIENCES), q=args.get("q", "")[:200],
                         page=args.get("page", type=database_id) or 1)
    if wanted.status:
        sections = {wanted.status: editor_queue(db.session, wanted)}
    else:
        sections = {status: editor_queue(db.session, replace(wanted, status=status, page=1), per_page=SECTION_SIZE)
                    for status in ("in_review", "draft", "published", "archived")}
    shown = [a.id for section in sections.values() for a in section.articles]
    due, flagged = due_for_review(db.session, now().date()), reader_complaints(db.session)
    topics = sorted(db.session.scalars(select(Topic)).all(), key=lambda t: t.path)
    ratings = answer_ratings(db.session, now() - timedelta(days=90))
    return render_template("editor/home.html", sections=sections, wanted=wanted, due=due, flagged=flagged,
                           counts=feedback_counts(db.session, shown), topics=topics, ratings=ratings,
                           pending=pending_revisions(db.session), statuses=ARTICLE_STATUSES, languages=LANGUAGES,
                           audiences=AUDIENCES, section_size=SECTION_SIZE, page_size=QUEUE_PAGE_SIZE)


def _one_of(value: str | None, allowed: tuple[str, ...]) -> str:
    return value if value in allowed else ""


@bp.route("/articles/<int:article_id>")
def article(article_id: int):
    found = _article_or_404(article_id)
    duplicates = []
    if found.status in ("draft", "in_review"):
        duplicates = possible_duplicates(db.session, search_service(), found)
    complaint = next((c for c in reader_complaints(db.session) if c.article.id == found.id), None)
    return render_template("editor/article.html", article=found, duplicates=duplicates, complaint=complaint,
                           pending=pending_revisions(db.session, found),
                           sources=source_questions(db.session, found),
                           feedback=feedback_counts(db.session, [found.id]).get(found.id, (0, 0)))


@bp.route("/articles/new", methods=["GET", "POST"])
def new_article():
    form = _form()
    if not form.is_submitted():  # "create article" from a knowledge gap brings its words and topic
        form.title.data = request.args.get("title", "")[:300]
        form.topics.data = [request.args["topic"]] if request.args.get("topic") else []
    if form.validate_on_submit():
        try:
            created = create_article(db.session, now(), _draft(form), author_id=current_user.id)
            db.session.commit()
        except InvalidArticle as error:
            db.session.rollback()
            form.title.errors.append(translated(error.args[0] if error.args else error))
        else:
            flash(_("Article saved."), "success")
            return redirect(url_for("editor.article", article_id=created.id))
    return render_template("editor/edit.html", form=form, article=None), 400 if form.errors else 200


@bp.route("/articles/<int:article_id>/edit", methods=["GET", "POST"])
def edit_article(article_id: int):
    found = _article_or_404(article_id)
    form = _form(found)
    if form.validate_on_submit():
        try:
            save_article(db.session, now(), found, _draft(form), author_id=current_user.id,
                         expected_version=_version(form))
            db.session.commit()
        except (InvalidArticle, EditConflict) as error:
            db.session.rollback()
            form.title.errors.append(translated(error.args[0] if error.args else error))
            status = 409 if isinstance(error, EditConflict) else 400
            return render_template("editor/edit.html", form=form, article=found), status
        flash(_("Saved as a new revision."), "success")
        return redirect(url_for("editor.article", article_id=found.id))
    return render_template("editor/edit.html", form=form, article=found), 400 if form.errors else 200


@bp.route("/articles/<int:article_id>/revisions/<int:number>")
def show_revision(article_id: int, number: int):
    found = _article_or_404(article_id)
    old = revision(db.session, article_id, number) or abort(404)
    lines = diff_texts((found.title, found.body), (old.title, old.body)) if old.state == "pending" else []
    return render_template("editor/revision.html", article=found, revision=old, html=render_markdown(old.body),
                           lines=lines)


@bp.route("/articles/<int:article_id>/diff")
def diff(article_id: int):
    found = _article_or_404(article_id)
    older = revision(db.session, article_id, request.args.get("from", type=database_id) or 0)
    newer = revision(db.session, article_id, request.args.get("to", type=database_id) or 0)
    if older is None or newer is None:
        abort(404)
    return render_template("editor/diff.html", article=found, older=older, newer=newer,
                           lines=diff_revisions(older, newer))


@bp.route("/articles/<int:article_id>/revisions/<int:number>/restore", methods=["POST"])
def restore(article_id: int, number: int):
    found = _article_or_404(article_id)
    old = revision(db.session, article_id, number) or abort(404)
    if old.state != "applied":
        abort(400, _("Only a text the article once had can be restored; publish or reject a pending revision."))
    restore_revision(db.session, now(), found, old, author_id=current_user.id)
    db.session.commit()
    flash(_("Revision %(number)s restored as a new revision.", number=number), "success")
    return redirect(url_for("editor.article", article_id=article_id))


def _version(form: ArticleForm) -> int:
    try:
        return int(form.version.data or 0)
    except ValueError:
        return 0  # not a version this page handed out: as stale as an old one


def _article_or_404(article_id: int) -> Article:
    return db.session.get(Article, article_id) or abort(404)


def _form(article: Article | None = None) -> ArticleForm:
    form = ArticleForm(obj=article)
    topics = db.session.scalars(select(Topic)).all()
    form.topics.choices = [SelectChoice(t.slug, t.path) for t in sorted(topics, key=lambda t: t.path)]
    if article is not None and not form.is_submitted():
        form.topics.data = [t.slug for t in article.topics]
        form.note.data = ""
    return form


def _draft(form: ArticleForm) -> ArticleDraft:
    return ArticleDraft(title=form.title.data, body=form.body.data or "", topic_slugs=tuple(form.topics.data),
                        audience=form.audience.data, language=form.language.data, status=form.status.data,
                        note=form.note.data or "")
