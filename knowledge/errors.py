"""Exceptions of the knowledge floor. Views translate them into form errors or 4xx responses.

    KnowledgeError
     ├── InvalidArticle      the input breaks a rule (empty title, unknown status, …)
     └── EditConflict        someone saved the article since this edit started
"""


class KnowledgeError(Exception):
    """Base of every error the knowledge floor raises on purpose."""


class InvalidArticle(KnowledgeError):
    pass


class EditConflict(KnowledgeError):
    pass
