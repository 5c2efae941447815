"""Reading a customer's e-mail as a question can use it: who wrote, what they wrote, what they attached.

Only the standard library's `email` package: no transport here (app.mail_fetch reads the mailbox) and
no rules about questions (routing.mail_intake). Real mail is messy: every step tolerates what it cannot
read, notes it in `problems`, and goes on with what it could; nothing here raises on a malformed message.
"""
from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

MAX_HTML_CHARS = 2_000_000  # beyond this a hostile or huge HTML part is read only in part

# Headers that say "a machine wrote this": answering it would start a mail loop (RFC 3834, RFC 2369).
_LIST_HEADERS = ("List-Id", "List-Unsubscribe")
_AUTOREPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder")
_MACHINE_SENDERS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply)@", re.I)
_REFERENCE_IN_SUBJECT = re.compile(r"\[?(VB-\d{4}-\d{6})\]?", re.I)
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class ParsedMail:
    message_id: str
    in_reply_to: list[str]
    address: str | None
    name: str | None
    subject: str
    text: str
    attachments: list[Attachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    automatic: str | None = None  # why no person needs to hear back (auto-reply, bounce, list), or None

    @property
    def subject_reference(self) -> str | None:
        found = _REFERENCE_IN_SUBJECT.search(self.subject or "")
        return found.group(1).upper() if found else None


def parse_mail(raw: bytes) -> ParsedMail:
    problems: list[str] = []
    message = message_from_bytes(raw, policy=policy.default)
    if message.defects:
        problems.append("malformed message: " + ", ".join(sorted({type(d).__name__ for d in message.defects})))
    name, address = _sender(message, problems)
    message_id = _first_id(_header(message, "Message-ID", problems))
    if not message_id:  # a message without one still must be taken in once: its content names it
        message_id = f"<{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id.invalid>"
    in_reply_to = _MESSAGE_ID.findall(_header(message, "In-Reply-To", problems) + " "
                                      + _header(message, "References", problems))
    subject = " ".join(_header(message, "Subject", problems).split())[:300]
    plain, html_text, attachments = _walk(message, problems)
    text = plain if plain.strip() else html_text
    return ParsedMail(message_id=message_id, in_reply_to=list(dict.fromkeys(in_reply_to)),
                      address=address, name=name, subject=subject, text=trim_reply(text),
                      attachments=attachments, problems=problems,
                      automatic=automatic_reason(message, address, problems))


def automatic_reason(message: Message, address: str | None, problems: list[str] | None = None) -> str | None:
    """Why this message is not a person writing to us, or None when it is."""
    problems = problems if problems is not None else []
    submitted = _header(message, "Auto-Submitted", problems).strip().lower()
    if submitted and submitted != "no":
        return f"Auto-Submitted: {submitted}"
    precedence = _header(message, "Precedence", problems).strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    for name in _LIST_HEADERS + _AUTOREPLY_HEADERS:
        if message.get(name) is not None:
            return f"{name} present"
    if message.get("Return-Path") is not None and _header(message, "Return-Path", problems).strip() in ("<>", ""):
        return "empty Return-Path (a bounce)"
    if not address:
        return "no sender address"
    if _MACHINE_SENDERS.match(address):
        return f"machine sender {address}"
    if message.get_content_type() == "multipart/report":
        return "delivery report"
    return None


def _header(message: Message, name: str, problems: list[str]) -> str:
    try:
        value = message.get(name)
        return str(value) if value is not None else ""
    except Exception as error:  # a header the parser cannot decode: keep going without it
        problems.append(f"unreadable {name} header: {error}")
        return ""


def _sender(message: Message, problems: list[str]) -> tuple[str | None, str | None]:
    for header in ("Reply-To", "From"):
        raw = _header(message, header, problems)
        if not raw:
            continue
        pairs = getaddresses([raw]) or [parseaddr(raw)]
        name, address = pairs[0]
        if address and "@" in address:
            return (name.strip() or None), address.strip().lower()
    return None, None


def _first_id(value: str) -> str | None:
    found = _MESSAGE_ID.search(value or "")
    return found.group(0)[:255] if found else None


def _walk(message: Message, problems: list[str]) -> tuple[str, str, list[Attachment]]:
    """The first plain-text body, the first HTML body as text, and every attachment (inline images too).
    A mail forwarded as an attachment (message/rfc822) is read into the text: what was forwarded is the
    question; its own attachments are collected with the rest."""
    plain, html_text, attachments, forwarded = "", "", [], []
    parts = list(message.walk())
    inside_forward: set[int] = set()
    for part in parts:
        if part.get_content_type() == "message/rfc822" and part.is_multipart():
            for inner in part.get_payload():
                forwarded.append(_forwarded_text(inner, problems))
                inside_forward.update(id(p) for p in inner.walk())
    for part in parts:
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        filename = _filename(part, problems)
        is_body = disposition != "attachment" and not filename and ctype in ("text/plain", "text/html")
        if is_body and id(part) in inside_forward:
            continue  # read above, as the forwarded mail's text
        if is_body and ctype == "text/plain" and not plain:
            plain = _text_of(part, problems)
        elif is_body and ctype == "text/html" and not html_text:
            html_text = html_to_text(_text_of(part, problems), problems)
        elif not is_body:
            attachments.append(Attachment(filename=filename or f"attachment-{len(attachments) + 1}",
                                          content_type=ctype, content=_bytes_of(part, problems)))
    if forwarded:
        plain = "\n\n".join([plain or html_text, *forwarded])
    return plain, html_text, attachments


def _forwarded_text(inner: Message, problems: list[str]) -> str:
    plain, html_text = "", ""
    for part in inner.walk():
        if part.is_multipart() or part.get_filename():
            continue
        if part.get_content_type() == "text/plain" and not plain:
            plain = _text_of(part, problems)
        elif part.get_content_type() == "text/html" and not html_text:
            html_text = html_to_text(_text_of(part, problems), problems)
    head = "\n".join(f"{name}: {_header(inner, name, problems)}" for name in ("From", "Date", "Subject")
                     if inner.get(name) is not None)
    return f"---------- Forwarded message ----------\n{head}\n\n{(plain or html_text).strip()}"


def _filename(part: Message, problems: list[str]) -> str | None:
    try:
        name = part.get_filename()
    except Exception as error:
        problems.append(f"unreadable attachment name: {error}")
        return "attachment"
    if not name:
        return None
    name = re.sub(r"[\\/\x00-\x1f]", "_", str(name)).strip()
    return name[:255] or "attachment"


def _bytes_of(part: Message, problems: list[str]) -> bytes:
    try:
        return part.get_payload(decode=True) or b""
    except Exception as error:
        problems.append(f"unreadable attachment: {error}")
        return b""


def _text_of(part: Message, problems: list[str]) -> str:
    """A text part in its charset; an unknown or wrong charset falls back to Windows-1252, then replaces."""
    payload = _bytes_of(part, problems)
    charset = (part.get_content_charset() or "us-ascii").lower()
    for candidate in dict.fromkeys((charset, "utf-8", "cp1252")):
        try:
            return payload.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            if candidate == charset:
                problems.append(f"charset {charset!r} does not fit the text; read it another way")
    return payload.decode("latin-1", errors="replace")


class _TextFromHTML(HTMLParser):
    """HTML to plain text: scripts, styles and heads dropped, blocks become line breaks, entities decoded."""

    _SKIP = {"script", "style", "head", "title", "noscript", "template", "svg"}
    _BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "hr",
              "ul", "ol", "section", "article", "header", "footer"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self.skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")
        if tag == "blockquote":
            self.parts.append("\n> ")  # quoted history, trimmed later like a plain-text quote

    def handle_endtag(self, tag):
        if tag in self._SKIP and self.skipping:
            self.skipping -= 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(source: str, problems: list[str] | None = None) -> str:
    if len(source) > MAX_HTML_CHARS:
        if problems is not None:
            problems.append(f"HTML part of {len(source):,} characters read only in its first {MAX_HTML_CHARS:,}")
        source = source[:source.rfind(">", 0, MAX_HTML_CHARS) + 1]  # never half a tag: it would read as text
    if source.rfind("<") > source.rfind(">"):
        source = source[:source.rfind("<")]  # a tag left open at the end would be read as text
    parser = _TextFromHTML()
    try:
        parser.feed(source)
        parser.close()
    except Exception as error:  # HTMLParser is lenient; this is the last guard
        if problems is not None:
            problems.append(f"HTML could not be read to the end: {error}")
    text = html.unescape("".join(parser.parts)).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# Where quoted history starts: "Op 3 mrt. 2026 schreef X:", "On Mon, X wrote:", Outlook's separators.
_QUOTE_HEADER = re.compile(
    r"^\s*(op .{0,120} (schreef|heeft .{0,40} geschreven).{0,80}:|on .{0,160} wrote:|"
    r"-{2,}\s*(original message|oorspronkelijk bericht|oorspronkelijk e-mailbericht)\s*-{2,}|"
    r"(van|from):\s.+\n\s*(verzonden|sent|datum|date):)", re.I | re.M)
_SIGNATURE = re.compile(r"^-- ?$", re.M)
_MOBILE_SIGNATURE = re.compile(r"^\s*(verzonden vanaf mijn|sent from my) .{0,40}$", re.I | re.M)


def trim_reply(text: str) -> str:
    """The customer's own words: quoted history and the signature cut off. A forwarded mail is kept whole
    (what was forwarded is the question); a message that is nothing but a quote keeps the quote."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    own = text
    match = _QUOTE_HEADER.search(own)
    if match and not re.search(r"forwarded message|doorgestuurd bericht", own[:match.start() + 200], re.I):
        own = own[:match.start()]
    own = _SIGNATURE.split(own, maxsplit=1)[0]
    own = _MOBILE_SIGNATURE.split(own, maxsplit=1)[0]
    lines = own.rstrip().split("\n")
    while lines and (lines[-1].startswith(">") or not lines[-1].strip()):
        lines.pop()  # a quote at the bottom (top-posting clients quote below the reply)
    own = "\n".join(lines).strip()
    return own if own else text.strip()

