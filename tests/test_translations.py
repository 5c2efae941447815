"""Every text people read goes through gettext, and the Dutch catalog translates all of it.

Three checks, each reporting every file:line it finds, one test per file (so `-k frontoffice` looks at one room):
- the nl catalog holds every msgid that a fresh extraction (babel.cfg) finds, none empty, none fuzzy, and
  each translation keeps its msgid's placeholders (a lost `%(when)s` would break the page);
- templates (app/templates): text between tags, the attributes people read (placeholder, title, aria-label,
  alt, a button's value), and string constants a template prints (`'Yes'` as a macro default, `x or 'customer'`)
  are inside `_()`/`ngettext()`; mail templates (.txt) have no text outside gettext at all;
- Python (app/**.py): the literals handed to flash(), to error_response()/refuse()'s message, to abort()'s
  description, to WTForms labels, choices and validator `message=`, to ValidationError and a field's
  errors.append(), placeholder/title
  render_kw values, and the sentences in UPPER_CASE module constants (tables of messages), go through
  `_`/`_l`/`N_`;
- scripts (app/static/js): no sentence in a JavaScript string; the page hands its texts to the script.

Allowed outside gettext: the brand (ALLOWED_WORDS), symbols and numbers.
"""
from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from jinja2 import Environment, nodes

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"
TEMPLATES = APP / "templates"
CATALOG_NL = APP / "translations" / "nl" / "LC_MESSAGES" / "messages.po"

ALLOWED_WORDS = {"Vraagbaak"}
WORD = re.compile(r"[^\W\d_]{2,}")
GETTEXT_NAMES = {"_", "gettext", "ngettext", "pgettext", "npgettext", "_l", "lazy_gettext", "lazy_ngettext", "N_",
                 "Message"}
READ_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt", "aria-description", "aria-placeholder"}


def _visible_words(text: str) -> bool:
    return any(word not in ALLOWED_WORDS for word in WORD.findall(text))


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


# --- (a) the catalog ---------------------------------------------------------------------------------------------

def extracted_msgids(tmp_path: Path) -> set[str]:
    pot = tmp_path / "messages.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k", "N_",
                                "-k", "Message", "--no-location", "-o", str(pot), str(ROOT)])
    with pot.open("rb") as f:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}


def test_the_dutch_catalog_translates_every_text_and_nothing_is_fuzzy(tmp_path):
    wanted = extracted_msgids(tmp_path)
    with CATALOG_NL.open("rb") as f:
        catalog = read_po(f, locale="nl")
    problems = []
    for msgid in sorted(wanted):
        message = catalog.get(msgid)
        if message is None:
            problems.append(f"missing: {msgid!r}")
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            problems.append(f"empty: {msgid!r}")
        if message.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
    for message, errors in catalog.check():
        problems.extend(f"broken: {message.id!r}: {error}" for error in errors)
    assert not problems, f"{len(problems)} problems in {_rel(CATALOG_NL)} (make extract-messages, then translate):\n" \
                         + "\n".join(problems)


# --- (b) templates -----------------------------------------------------------------------------------------------

JINJA = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.S)


def _without_jinja(source: str) -> str:
    """The template's own text with every Jinja construct removed (its newlines kept, so lines still count)."""
    return JINJA.sub(lambda m: "\n" * m.group(0).count("\n") or " ", source)


class _TextFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        attributes = dict(attrs)
        for name, value in attrs:
            readable = name in READ_ATTRIBUTES or (
                name == "value" and tag == "input" and attributes.get("type") in ("submit", "button", "reset"))
            if readable and value and _visible_words(value):
                self.found.append((self.getpos()[0], f'{name}="{value.strip()}"'))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and _visible_words(data):
            leading = data[:len(data) - len(data.lstrip())]
            self.found.append((self.getpos()[0] + leading.count("\n"), " ".join(data.split())))


# Calls whose arguments are never read by people (addresses, patterns, names of things).
QUIET_CALLS = {"url_for", "local_time", "format_datetime", "format_date", "format_time", "format_decimal",
               "format_percent", "format_number", "csrf_token", "range", "dict", "get_flashed_messages", "config",
               "startswith", "endswith", "get", "split", "join", "replace", "strftime", "int", "loop", "super",
               "current_locale", "has_role", "cycler", "namespace"}
QUIET_FILTERS = {"local_time", "replace", "join", "default_if_none", "format", "attr", "map", "selectattr",
                 "rejectattr", "groupby", "sort", "urlencode", "tojson", "dictsort", "truncate", "indent",
                 "said"}  # said(key): the key of a stored text, not a text
QUIET_KEYWORDS = {"class_", "class", "id", "type", "name", "rows", "cols", "autocomplete", "inputmode", "pattern",
                  "action", "method", "value", "_anchor", "_external", "filename", "for_", "min", "max", "step",
                  "role", "lang", "hx", "data_url", "category", "size"}


def _template_constants(source: str) -> list[tuple[int, str]]:
    """String constants the template prints or hands to a macro, outside gettext."""
    found: list[tuple[int, str]] = []

    def visit(node, visible: bool):
        if isinstance(node, nodes.Const):
            # In a call's arguments only what reads like text counts ("reply" names an action; "Reply" is a word).
            textual = visible == "text-like" and isinstance(node.value, str) and (
                " " in node.value.strip() or node.value[:1].isupper())
            if (visible is True or textual) and isinstance(node.value, str) and _visible_words(node.value):
                found.append((node.lineno, repr(node.value)))
            return
        if isinstance(node, nodes.Call):
            name = getattr(node.node, "name", None) or getattr(node.node, "attr", None)
            if name in GETTEXT_NAMES:
                return  # translated (its values may be anything)
            quiet = name in QUIET_CALLS
            visit(node.node, False)
            for arg in node.args:
                visit(arg, "text-like" if visible and not quiet else False)
            for kw in node.kwargs:
                visit(kw.value, "text-like" if visible and not quiet and kw.key not in QUIET_KEYWORDS else False)
            for extra in (node.dyn_args, node.dyn_kwargs):
                if extra is not None:
                    visit(extra, False)
            return
        if isinstance(node, nodes.Filter):
            if node.node is not None:
                visit(node.node, visible)
            for arg in node.args:
                visit(arg, visible and node.name not in QUIET_FILTERS)
            for kw in node.kwargs:
                visit(kw.value, False)
            return
        if isinstance(node, (nodes.Compare, nodes.Test, nodes.Getitem, nodes.Getattr, nodes.Dict, nodes.Include,
                             nodes.Import, nodes.FromImport, nodes.Extends)):
            if isinstance(node, nodes.Getattr):
                visit(node.node, False)
            return
        if isinstance(node, nodes.CondExpr):
            visit(node.test, False)
            visit(node.expr1, visible)
            if node.expr2 is not None:
                visit(node.expr2, visible)
            return
        if isinstance(node, (nodes.If, nodes.For)):
            for field in ("test", "iter", "target"):
                if getattr(node, field, None) is not None:
                    visit(getattr(node, field), False)
            for field in ("body", "else_", "elif_"):
                for child in getattr(node, field, []) or []:
                    visit(child, visible)
            return
        if isinstance(node, nodes.Macro):
            for default in node.defaults:
                visit(default, "text-like")
            for child in node.body:
                visit(child, True)
            return
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                visit(child, True)
            return
        if isinstance(node, (nodes.Assign, nodes.With)):
            for child in node.iter_child_nodes():
                visit(child, True)
            return
        for child in node.iter_child_nodes():
            visit(child, visible)

    environment = Environment(extensions=["jinja2.ext.i18n", "jinja2.ext.do", "jinja2.ext.loopcontrols"])
    visit(environment.parse(source), False)
    return found


def untranslated_in_template(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    found = _template_constants(source)
    text = _without_jinja(source)
    if path.suffix == ".html":
        finder = _TextFinder()
        finder.feed(text)
        finder.close()
        found += finder.found
    else:  # a plain-text mail: every word in it is read
        found += [(number, line.strip()) for number, line in enumerate(text.splitlines(), 1) if _visible_words(line)]
    return [f"{_rel(path)}:{line}: {what}" for line, what in sorted(found)]


@pytest.mark.parametrize("path", sorted(p for p in TEMPLATES.rglob("*") if p.suffix in (".html", ".txt")),
                         ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_show_no_text_outside_gettext(path):
    offenders = untranslated_in_template(path)
    assert not offenders, f"{len(offenders)} texts outside gettext:\n" + "\n".join(offenders)


# --- (c) Python --------------------------------------------------------------------------------------------------

FIELD = re.compile(r"\w*Field$")
VALIDATORS = {"DataRequired", "InputRequired", "Length", "Email", "EqualTo", "Optional", "NumberRange", "Regexp",
              "AnyOf", "NoneOf", "URL", "UUID", "IPAddress", "MacAddress", "FileRequired", "FileAllowed"}
# For each call, the positional index of the argument people read, and its keyword.
READ_ARGUMENTS = {"flash": (0, "message"), "error_response": (2, "message"), "refuse": (2, "message"),
                  "_respond": (2, "message"), "abort": (1, "description"), "ValidationError": (0, "message")}
SENTENCE = re.compile(r"^[A-Z][^\W\d_]*(\W+\w+)+|[^\W\d_]{2,}\s+\w+.*[.?!:]$")


def _literal_texts(node) -> list[ast.AST]:
    """The parts of an expression that are texts made here, not translated: literals, f-strings, '…' % x, '…'.format()."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node] if _visible_words(node.value) else []
    if isinstance(node, ast.JoinedStr):
        return [node] if any(isinstance(v, ast.Constant) and _visible_words(v.value) for v in node.values) else []
    if isinstance(node, ast.BinOp):
        return _literal_texts(node.left) + (_literal_texts(node.right) if isinstance(node.op, ast.Add) else [])
    if isinstance(node, ast.BoolOp):
        return [part for value in node.values for part in _literal_texts(value)]
    if isinstance(node, ast.IfExp):
        return _literal_texts(node.body) + _literal_texts(node.orelse)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _literal_texts(node.func.value)
    return []


def _called(node: ast.Call) -> str | None:
    return node.func.id if isinstance(node.func, ast.Name) else (
        node.func.attr if isinstance(node.func, ast.Attribute) else None)


def _argument(call: ast.Call, index: int, keyword: str):
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    return call.args[index] if len(call.args) > index else None


def _sentences_in(node) -> list[ast.AST]:
    """Sentences in a constant table (dict values, list/tuple items), not wrapped in gettext."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node] if SENTENCE.search(node.value) and " " in node.value.strip() else []
    if isinstance(node, ast.Dict):
        return [found for value in node.values if value is not None for found in _sentences_in(value)]
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [found for item in node.elts for found in _sentences_in(item)]
    if isinstance(node, ast.Call) and _called(node) in ("dict", "frozenset", "tuple", "list"):
        return [found for arg in [*node.args, *(k.value for k in node.keywords)] for found in _sentences_in(arg)]
    return []


def untranslated_in_python(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _called(node)
            if name in GETTEXT_NAMES:
                continue
            if name in READ_ARGUMENTS:
                argument = _argument(node, *READ_ARGUMENTS[name])
                if argument is not None:
                    found += _literal_texts(argument)
            if name and FIELD.match(name) and name != "Field":
                label = _argument(node, 0, "label")
                if label is not None:
                    found += _literal_texts(label)
            if name in VALIDATORS:
                message = _argument(node, 99, "message")
                if message is not None:
                    found += _literal_texts(message)
            for kw in node.keywords:
                if kw.arg == "choices" and isinstance(kw.value, (ast.List, ast.Tuple)):
                    for choice in kw.value.elts:
                        if isinstance(choice, ast.Tuple) and len(choice.elts) == 2:
                            found += _literal_texts(choice.elts[1])
                if kw.arg == "render_kw" and isinstance(kw.value, ast.Dict):
                    for key, value in zip(kw.value.keys, kw.value.values):
                        if isinstance(key, ast.Constant) and key.value in READ_ATTRIBUTES:
                            found += _literal_texts(value)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "append"
                and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "errors" and node.args):
            found += _literal_texts(node.args[0])  # form.field.errors.append("…")
        if isinstance(node, ast.Call) and _called(node) == "jsonify":
            for arg in node.args:
                if isinstance(arg, ast.Dict):
                    for key, value in zip(arg.keys, arg.values):
                        if isinstance(key, ast.Constant) and key.value == "message":
                            found += _literal_texts(value)
    for statement in tree.body:
        targets = (statement.targets if isinstance(statement, ast.Assign)
                   else [statement.target] if isinstance(statement, ast.AnnAssign) and statement.value else [])
        if any(isinstance(t, ast.Name) and t.id.isupper() for t in targets):
            found += _sentences_in(statement.value)
    return [f"{_rel(path)}:{node.lineno}: {ast.get_source_segment(path.read_text(encoding='utf-8'), node)}"
            for node in sorted(found, key=lambda n: n.lineno)]


@pytest.mark.parametrize("path", sorted(APP.rglob("*.py")), ids=lambda p: str(p.relative_to(APP)))
def test_python_hands_people_no_text_outside_gettext(path):
    offenders = untranslated_in_python(path)
    assert not offenders, f"{len(offenders)} texts outside gettext:\n" + "\n".join(offenders)


# --- (d) scripts -------------------------------------------------------------------------------------------------

JS_STRING = re.compile(r"""(?<![\w$])(?:'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\]|\\.)*)`)""")
JS_COMMENT = re.compile(r"/\*.*?\*/|(?<![:'\"])//[^\n]*", re.S)
JS_SENTENCE = re.compile(r"[A-Z][a-z]+(?:\s+[^\W\d_]+)+|[a-z]{2,}\s+[a-z]{2,}\s+[a-z]{2,}")


def untranslated_in_script(path: Path) -> list[str]:
    source = JS_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), path.read_text(encoding="utf-8"))
    found = []
    for match in JS_STRING.finditer(source):
        text = next(group for group in match.groups() if group is not None)
        text = re.sub(r"\$\{[^}]*\}", " ", text)
        if JS_SENTENCE.search(text) and not re.search(r"[<>{}()=;]|querySelector|\[data-", text):
            found.append(f"{_rel(path)}:{source.count(chr(10), 0, match.start()) + 1}: {match.group(0)}")
    return found


@pytest.mark.parametrize("path", sorted((APP / "static").rglob("*.js")), ids=lambda p: p.name)
def test_scripts_hold_no_sentences_of_their_own(path):
    offenders = untranslated_in_script(path)
    assert not offenders, f"{len(offenders)} texts in a script (hand them over from the template):\n" \
                          + "\n".join(offenders)
