"""What an answer must lose before it can become an article for others: the customer.

A captured answer was written to one person. `clean_for_article` takes off the salutation ("Beste mevrouw
Jansen,", "Geachte heer", "Dear Mr Smith,") and the sign-off with the signature under it ("Met vriendelijke
groet, …"), and `personal_data` finds what may still identify someone: names after a form of address,
street addresses with a house number, Dutch postcodes, phone numbers, e-mail addresses and BSNs (nine
digits that pass the 11-check). Those are flagged, not silently removed: an editor decides, and a draft
with a flag left cannot be published (routing.editorial).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

SALUTATION = re.compile(
    r"^\s*(beste|geachte|hallo|hoi|goedemorgen|goedemiddag|goedenavond|dear|hello|hi|good (morning|afternoon))\b"
    r"[^\n]{0,80}?[,!:]?\s*$", re.IGNORECASE)
SIGN_OFF = re.compile(
    r"^\s*(met )?(vriendelijke|hartelijke|beste) groet(en)?\b|^\s*groet(en|jes)?\b|^\s*mvg\b|"
    r"^\s*(kind|best|warm) regards\b|^\s*regards\b|^\s*(yours )?sincerely\b|^\s*yours faithfully\b",
    re.IGNORECASE)
ADDRESSED = r"(?i:mevrouw|mevr\.?|meneer|mijnheer|de heer|heer|dhr\.?|mr\.?|mrs\.?|ms\.?|miss)"
NAME = r"(?:[A-Z]\.\s?)*(?:(?:van|de|der|den|ter|ten|van de|van der|van den)\s)?[A-Z][a-zà-ÿ'-]+"
PATTERNS = (
    ("name", re.compile(rf"\b{ADDRESSED}\s+{NAME}(?:\s[A-Z][a-zà-ÿ'-]+)?")),
    ("e-mail address", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    ("address", re.compile(
        r"\b[A-Z][a-zà-ÿ'-]*(?:straat|laan|weg|plein|gracht|kade|singel|dijk|pad|hof|dreef|steeg|markt|park|"
        r"veld|erf|street|road|avenue|lane)\s+\d{1,5}\s?[a-zA-Z]?\b")),
    ("postcode", re.compile(r"\b[1-9]\d{3}\s?(?!SA|SD|SS)[A-Z]{2}\b")),
    ("phone number", re.compile(r"(?<![\w-])(?:\+31|0031|0)[\s-]?[1-9](?:[\s-]?\d){7,8}(?![\w-])")),
    ("BSN", re.compile(r"(?<![\d.])\d{3}[.\s]?\d{2}[.\s]?\d{2}[.\s]?\d{2}(?![\d.])|(?<!\d)\d{9}(?!\d)")),
)


@dataclass(frozen=True)
class Finding:
    kind: str
    text: str

    def line(self) -> str:
        return f"{self.kind}: {self.text}"


def passes_eleven_check(digits: str) -> bool:
    """The BSN check: 9·d1 + 8·d2 + … + 2·d8 − 1·d9 is a multiple of 11 (and not all zeros)."""
    if len(digits) != 9 or not digits.isdigit() or set(digits) == {"0"}:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1))) - int(digits[8])
    return total % 11 == 0


def clean_for_article(text: str) -> tuple[str, list[str]]:
    """The text without its salutation and sign-off (with everything under the sign-off: the signature);
    returns the text and what was taken off, for the revision note."""
    lines = (text or "").strip().splitlines()
    removed = []
    while lines and (SALUTATION.match(lines[0]) or not lines[0].strip()):
        if lines[0].strip():
            removed.append(lines[0].strip())
        lines.pop(0)
    for i, line in enumerate(lines):
        if SIGN_OFF.match(line):
            removed.extend(t.strip() for t in lines[i:] if t.strip())
            lines = lines[:i]
            break
    return "\n".join(lines).strip(), removed


def personal_data(text: str) -> list[Finding]:
    """What in `text` may identify a person, once each, in the order found."""
    found: list[Finding] = []
    for kind, pattern in PATTERNS:
        for match in pattern.finditer(text or ""):
            value = match.group(0).strip()
            if kind == "BSN" and not passes_eleven_check(re.sub(r"\D", "", value)):
                continue
            if kind == "phone number" and len(re.sub(r"\D", "", value)) < 10:
                continue
            finding = Finding(kind, value)
            if finding not in found:
                found.append(finding)
    return found
