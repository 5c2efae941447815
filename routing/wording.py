"""The words staff read for routing's stored values: a question's status, an event's kind, a channel, a priority.

Questions and events keep short English codes (`waiting_for_customer`, `info_requested`); people read these
msgids (the code with spaces for underscores: the English the pages always showed), translated where they are
shown (`app.wording`). One table per kind, in the order of the codes in
routing.models.
"""
from __future__ import annotations

from knowledge.messages import N_

QUESTION_STATUS_NAMES = {
    "new": N_("new"), "answered_from_kb": N_("answered from kb"), "routed": N_("routed"),
    "accepted": N_("accepted"), "waiting_for_customer": N_("waiting for customer"), "answered": N_("answered"),
    "closed": N_("closed"), "reopened": N_("reopened"),
}
EVENT_KIND_NAMES = {
    "received": N_("received"), "searched": N_("searched"), "suggested": N_("suggested"),
    "answered_from_kb": N_("answered from kb"), "routed": N_("routed"), "accepted": N_("accepted"),
    "forwarded": N_("forwarded"), "escalated": N_("escalated"), "info_requested": N_("info requested"),
    "customer_replied": N_("customer replied"), "answered": N_("answered"),
    "captured_as_article": N_("captured as article"), "closed": N_("closed"), "reopened": N_("reopened"),
    "customer_viewed": N_("customer viewed"), "customer_rated": N_("customer rated"),
    "mail_received": N_("mail received"), "mail_sent": N_("mail sent"), "customer_wrote": N_("customer wrote"),
    "published": N_("published"), "sent_back": N_("sent back"), "merged": N_("merged"), "flagged": N_("flagged"),
    "topic_corrected": N_("topic corrected"),
}
CHANNEL_NAMES = {"phone": N_("phone"), "desk": N_("desk"), "web": N_("web"), "email": N_("email"), "api": N_("api")}
PRIORITY_NAMES = {"low": N_("low"), "normal": N_("normal"), "high": N_("high"), "urgent": N_("urgent")}
PRESENCE_NAMES = {"available": N_("available"), "busy": N_("busy"), "away": N_("away")}
