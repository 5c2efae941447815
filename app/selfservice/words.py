"""The self-service words this issue added, Dutch first and English, in one place for the move to Flask-Babel.

The customer gets Dutch (the organisation's language) unless their browser prefers English.
"""
from flask import request

WORDS = {
    "nl": {
        "ask_prompt": "Staat uw antwoord er niet bij?",
        "ask_link": "Stel uw vraag",
        "not_helpful": "Jammer dat dit u niet hielp. Stel uw vraag: een specialist zoekt het voor u uit.",
        "comment_label": "Wat zocht u? (niet verplicht)",
        "about": "Over het artikel: {title}",
        "helpful": "Had u hier iets aan?", "yes": "Ja", "no": "Nee",
        "thanks": "Dank u voor uw reactie.",
    },
    "en": {
        "ask_prompt": "Didn't find your answer?",
        "ask_link": "Ask your question",
        "not_helpful": "Sorry this did not help. Ask your question: a specialist will look into it for you.",
        "comment_label": "What were you looking for? (optional)",
        "about": "About the article: {title}",
        "helpful": "Was this helpful?", "yes": "Yes", "no": "No",
        "thanks": "Thank you for telling us.",
    },
}


def customer_language() -> str:
    return request.accept_languages.best_match(tuple(WORDS), default="nl") or "nl"


def customer_words() -> dict[str, str]:
    return WORDS[customer_language()]
