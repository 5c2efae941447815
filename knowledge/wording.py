"""The words staff read for the knowledge base's stored values (an article's status, its audience, a role).

The database keeps short English codes (`in_review`); people read these msgids, translated where they are
shown (`app.wording`). One table per kind, so a new status gets its words in one place.
"""
from __future__ import annotations

from knowledge.messages import N_

ARTICLE_STATUS_NAMES = {"draft": N_("draft"), "in_review": N_("in review"), "published": N_("published"),
                        "archived": N_("archived")}
AUDIENCE_NAMES = {"public": N_("public"), "internal": N_("internal")}
ROLE_NAMES = {"agent": N_("agent"), "expert": N_("expert"), "editor": N_("editor"), "admin": N_("admin")}
REVISION_STATE_NAMES = {"applied": N_("applied"), "pending": N_("pending"), "accepted": N_("accepted"),
                        "rejected": N_("rejected")}
