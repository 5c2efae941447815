"""The editorial workflow views: capture, merge, publish, send back, and readers' feedback."""
from flask_babel import gettext as _
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.actions import commit_action
from app.editor import bp
from app.extensions import db
from app.web import database_id, now
from app.wording import name_of
from knowledge.errors import InvalidArticle
from knowledge.messages import N_
from knowledge.models import AUDIENCES, Article
from knowledge.wording import AUDIENCE_NAMES
from knowledge.revisions import diff_texts, revision
from routing.editorial import (capture_answer, clear_privacy_flag, merge_into, merged_text, publish, publish_revision,
                               readers_handled, reject_revision_of, send_back)
from routing.worklists import answered_question


@bp.route("/capture/<int:question_id>", methods=["POST"])
def capture(question_id: int):
    """Any answered question an editor picks becomes a draft article."""
    question = answered_question(db.session, question_id) or abort(404)
    article = capture_answer(db.session, now(), question, actor_id=current_user.id)
    db.session.commit()
    flash(_("Draft article made from the answer."), "success")
    return redirect(url_for("editor.article", article_id=article.id), 303)


# What a POST to /articles/<id>/<action> may do; each returns the article the editor goes on with.
ACTIONS = {
    "publish": lambda article, form: publish(db.session, now(), article, editor_id=current_user.id,
                                             audience=_audience(form)),
    "send-back": lambda article, form: send_back(db.session, now(), article, editor_id=current_user.id,
                                                 comment=form.get("comment", "")),
    "merge": lambda article, form: merge_into(db.session, now(), article, _merge_target(form),
                                              editor_id=current_user.id, confirmed=form.get("confirm") == "yes"
                                              ).article,
    "publish-revision": lambda article, form: publish_revision(db.session, now(), article, _pending(article, form),
                                                               editor_id=current_user.id),
    "reject-revision": lambda article, form: reject_revision_of(db.session, now(), article,
                                                                _pending(article, form), editor_id=current_user.id),
    "readers-handled": lambda article, form: readers_handled(db.session, now(), article, editor_id=current_user.id),
    "clear-flag": lambda article, form: clear_privacy_flag(db.session, now(), article, form.get("flag", ""),
                                                           editor_id=current_user.id),
}
# msgids: %(title)s and %(audience)s are the changed article's, said when flashed
DONE = {"publish": N_("Published (%(audience)s)."), "send-back": N_("Sent back to draft with your comment."),
        "merge": N_("Proposed as a pending revision of “%(title)s”: readers see nothing new until an editor "
                    "publishes it."),
        "publish-revision": N_("Revision published: readers of “%(title)s” (%(audience)s) see it now."),
        "reject-revision": N_("Revision rejected: “%(title)s” stays as it was."),
        "readers-handled": N_("Readers' comments on “%(title)s” marked as dealt with."),
        "clear-flag": N_("Flag cleared.")}
GOES_ON_TO = {}  # every action: the article's page (a merge shows its pending revision there)


@bp.route("/articles/<int:article_id>/merge")
def confirm_merge(article_id: int):
    """Before a merge (?into=<article id>): the proposed text against the target's published one, and who
    will see it."""
    draft = db.session.get(Article, article_id) or abort(404)
    target = db.session.get(Article, request.args.get("into", type=database_id) or 0) or abort(404)
    lines = diff_texts((target.title, target.body), (target.title, merged_text(draft, target)))
    return render_template("editor/confirm_merge.html", draft=draft, target=target, lines=lines)


@bp.route("/articles/<int:article_id>/<action>", methods=["POST"])
def workflow(article_id: int, action: str):
    if action not in ACTIONS:
        abort(404)
    article = db.session.get(Article, article_id) or abort(404)
    changed, refusal = commit_action(lambda: ACTIONS[action](article, request.form), {InvalidArticle: None})
    if refusal is not None:
        flash(refusal, "danger")
        return redirect(url_for("editor.article", article_id=article_id), 303)
    flash(_(DONE[action], title=changed.title, audience=name_of(AUDIENCE_NAMES, changed.audience)), "success")
    return redirect(url_for(GOES_ON_TO.get(action, "editor.article"), article_id=changed.id), 303)


def _audience(form) -> str:
    audience = form.get("audience", "public")
    if audience not in AUDIENCES:
        abort(400, _("Choose public or internal."))
    return audience


def _merge_target(form) -> Article:
    return db.session.get(Article, form.get("target_id", type=database_id) or 0) or abort(404)


def _pending(article: Article, form):
    found = revision(db.session, article.id, form.get("revision", type=database_id) or 0) or abort(404)
    if found.state != "pending":
        raise InvalidArticle(N_("That revision is not waiting for review any more."))
    return found
