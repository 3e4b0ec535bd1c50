"""``{{ variable }}`` templates for fingerprints, titles, tags and contexts, parsed once at load.

Variables follow Sentry's fingerprint variables and placeholders, so a fingerprint reads the
same whether Sentry's server or this engine fills it in:

=====================================  ==========================================  ======================
variable                               value                                       when missing
=====================================  ==========================================  ======================
``error.type`` / ``type``              type of the main (last) exception           ``<no-type>``
``error.value`` / ``value``            value of the main exception                 ``<no-value>``
``message``                            the log message, else the main exc. value   ``<no-message>``
``transaction``, ``level``, ``logger`` the event's own fields                      ``<no-transaction>``...
``tags.<name>``                        a tag                                       ``<no-value-for-tag-name>``
``function``, ``module``, ``path``,    the crash frame: last in-app frame of the   ``<no-function>``...
``package``, ``lineno``                main exception, else its last frame
``exc.<attr>``                         attribute of the live exception             ``<no-value-for-exc-attr>``
``default``                            Sentry's default grouping (fingerprint      --
                                       items only, as an item of its own)
=====================================  ==========================================  ======================

Also available: ``environment``, ``release``, ``server_name``, ``request.method``,
``request.url``, ``duration_ms``, ``user.<k>``, ``contexts.<path>``, ``extra.<path>`` and the
``stack.*`` aliases of the crash-frame variables.

In fingerprints, ``error.value`` and ``message`` are parameterized like Sentry parameterizes
messages for grouping (numbers, hex ids, UUIDs, e-mails, IPs, dates... become ``<int>``,
``<hex>``, ``<uuid>``...), so one fingerprint does not split into a group per id.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable, Sequence

from .. import budget
from ..conditions.event_view import MISSING, EventView
from ..conditions.fields import EVENT, FAMILIES, FIELDS, scalar_getter

VARIABLE = re.compile(r"\{\{\s*([^{}\s|+*(]+)\s*\}\}")
#: ``{{ ... }}`` holding more than a variable name (a Jinja filter or expression).
_EXPRESSION = re.compile(r"\{\{([^{}]*[|+*(][^{}]*)\}\}")
DEFAULT_ITEM = "{{ default }}"

#: Names a template may use besides the condition fields: Sentry's fingerprint variables.
TEMPLATE_ONLY = ("type", "value", "function", "module", "path", "package", "lineno", "default")
#: Every fixed variable name (condition fields marked usable in templates, then the aliases).
VARIABLES = (*(name for name, field in FIELDS.items() if field.template), *TEMPLATE_ONLY)
VARIABLE_PREFIXES = tuple(prefix for prefix, family in FAMILIES.items() if family.template)
from ..errors import RulesEngineError

# ---------------------------------------------------------------------- parameterization

# Ordered: earlier kinds win where patterns overlap (a UUID is not read as hex plus ints).
_PARAMETER_PATTERNS: tuple[tuple[str, str], ...] = (
    ("email", r"[\w.!#$%&'*+/=?^`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"),
    ("url", r"\b(?:https?|wss?|ftp)://[^\s/$.?#][^\s]*"),
    ("uuid", r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
    ("ip", r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b"
           r"|(?<![\w:])(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}(?![\w:])"),
    ("sha1", r"\b[0-9a-fA-F]{40}\b"),
    ("md5", r"\b[0-9a-fA-F]{32}\b"),
    ("date", r"\b\d{4}-[01]\d-[0-3]\d(?:[T ][0-2]\d:[0-5]\d(?::[0-5]\d(?:\.\d+)?)?(?:Z|[+-][0-2]\d:?[0-5]\d)?)?"
             r"|\b[0-2]?\d:[0-5]\d:[0-5]\d\b"),
    ("duration", r"\b\d+(?:\.\d+)?(?:ms|s)\b"),
    ("hex", r"\b0[xX][0-9a-fA-F]+\b|\b(?=[a-f]*\d)[0-9a-f]{8,128}\b|\b(?=[A-F]*\d)[0-9A-F]{8,128}\b"),
    ("float", r"-?\b\d+\.\d+\b"),
    ("int", r"(?:\b|(?<!\w)-)\d+\b"),
    ("quoted_str", r"(?<==)(?:'[^']+'|\"[^\"]+\")"),
    ("bool", r"(?<==)(?:[Tt]rue|[Ff]alse)\b"),
)
#: What parameterizing means: the first of the patterns that matches, at each position in turn.
_PARAMETERS = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _PARAMETER_PATTERNS))

# Python's regex engine tries each of the thirteen alternatives at each position of the text.
# The same alternation behind a guard (a lookahead every pattern needs where it starts)
# rejects most positions with one test instead: a placeholder starts at a word that starts
# with a digit, a hex letter or the first letter of a URL scheme, at a "-", at a quote or
# boolean right after "=", or (e-mail) at a run of e-mail characters that ends at an "@".
# Text without an "@" cannot hold an e-mail at all and leaves that pattern out.
_GUARD = r"""\b[\da-fA-Fhwf]|-|(?<==)['"TtFf]"""
# E-mail: the run of e-mail characters up to the "@", possessive and at most 128 characters long
# (a local part has at most 64): testing every position of a long run without an "@" after it
# (a JSON body) would otherwise take quadratic time.
_EMAIL_GUARD = r"[\w.!#$%&'*+/=?^`{|}~-]{1,128}+@"


def _guarded(guard: str, names: Sequence[str]) -> re.Pattern[str]:
    patterns = dict(_PARAMETER_PATTERNS)
    return re.compile(f"(?={guard})(?:" + "|".join(f"(?P<{name}>{patterns[name]})" for name in names) + ")")


_ALL_NAMES = [name for name, _ in _PARAMETER_PATTERNS]
_PARAMETERS_WITH_EMAIL = _guarded(f"{_GUARD}|{_EMAIL_GUARD}", _ALL_NAMES)
_PARAMETERS_WITHOUT_EMAIL = _guarded(_GUARD, [name for name in _ALL_NAMES if name != "email"])


def _placeholder(match: re.Match[str]) -> str:
    # Called for every placeholder found: a long value with many of them stays within the budget.
    budget.check()
    return f"<{match.lastgroup}>"


def parameterize(text: str) -> str:
    """Replace variable parts of a message with ``<kind>`` placeholders, as Sentry's grouping does."""
    patterns = _PARAMETERS_WITH_EMAIL if "@" in text else _PARAMETERS_WITHOUT_EMAIL
    return patterns.sub(_placeholder, text)


# ---------------------------------------------------------------------- variables


Resolver = Callable[[EventView], Any]


def _main_exception_key(key: str) -> Resolver:
    def resolve(view: EventView) -> Any:
        main = view.main_exception
        value = main.get(key) if main else None
        return value if value not in (None, "") else MISSING

    return resolve


def _message(view: EventView) -> Any:
    message = view.log_message
    if message is not MISSING:
        return message
    return _main_exception_key("value")(view)


def _crash_frame(*keys: str) -> Resolver:
    def resolve(view: EventView) -> Any:
        frame = view.crash_frame
        if not frame:
            return MISSING
        for key in keys:
            value = frame.get(key)
            if value not in (None, ""):
                return value
        return MISSING

    return resolve


def _package(view: EventView) -> Any:
    package = _crash_frame("package")(view)
    return package.replace("\\", "/").rsplit("/", 1)[-1] if isinstance(package, str) else package


_TYPE = _main_exception_key("type")
_VALUE = _main_exception_key("value")
_FUNCTION = _crash_frame("function")
_MODULE = _crash_frame("module")
_PATH = _crash_frame("abs_path", "filename")

#: name -> (resolver, placeholder when missing).
_FIXED: dict[str, tuple[Resolver, str]] = {
    "error.type": (_TYPE, "<no-type>"),
    "type": (_TYPE, "<no-type>"),
    "error.value": (_VALUE, "<no-value>"),
    "value": (_VALUE, "<no-value>"),
    "message": (_message, "<no-message>"),
    "function": (_FUNCTION, "<no-function>"),
    "stack.function": (_FUNCTION, "<no-function>"),
    "module": (_MODULE, "<no-module>"),
    "stack.module": (_MODULE, "<no-module>"),
    "path": (_PATH, "<no-abs-path>"),
    "stack.abs_path": (_PATH, "<no-abs-path>"),
    "stack.filename": (_crash_frame("filename", "abs_path"), "<no-filename>"),
    "package": (_package, "<no-package>"),
    "stack.package": (_package, "<no-package>"),
    "lineno": (_crash_frame("lineno"), "<no-lineno>"),
}
for _name, _field in FIELDS.items():  # event-wide fields read as conditions read them
    if _field.template and _field.scope == EVENT and _name not in _FIXED:
        _FIXED[_name] = (scalar_getter(_name), f"<no-{_name.replace('.', '-').replace('_', '-')}>")
# A field usable in templates that reads one exception or frame needs a resolver above (which one
# of them a template means is a choice: Sentry's crash frame, the main exception).
assert all(name in _FIXED for name in VARIABLES if name != "default"), "a template variable has no resolver"

#: Variables parameterized when used in a fingerprint.
_PARAMETERIZED = frozenset({"error.value", "value", "message"})


def _resolver(name: str) -> tuple[Resolver, str] | None:
    if name in _FIXED:
        return _FIXED[name]
    for prefix in VARIABLE_PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            rest = name[len(prefix):]
            if prefix == "tags.":
                return scalar_getter(name), f"<no-value-for-tag-{rest}>"
            if prefix == "exc.":
                return scalar_getter(name), f"<no-value-for-exc-{rest}>"
            return scalar_getter(name), f"<no-{name.replace('.', '-')}>"
    return None


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------------- templates


def template_problems(text: str, *, fingerprint_item: bool = False) -> list[str]:
    """Everything wrong with a template, as messages (empty when it compiles)."""
    from ..errors import did_you_mean

    problems: list[str] = []
    for match in VARIABLE.finditer(text):
        name = match.group(1)
        if name == "default":
            if not fingerprint_item:
                problems.append("'{{ default }}' is only available in fingerprints")
            elif match.group(0) != text.strip():
                problems.append("'{{ default }}' must be a fingerprint item of its own")
            continue
        if _resolver(name) is None:
            hint = did_you_mean(name, [*VARIABLES, *(p + "<name>" for p in VARIABLE_PREFIXES)])
            problems.append(f"unknown template variable '{name}'{hint}")
    stray = VARIABLE.sub("", text)
    for expression in _EXPRESSION.findall(stray):  # {{ duration_ms | int }}: a habit from Jinja
        problems.append(f"'{{{{ {expression.strip()} }}}}': templates hold one variable each, without filters "
                        f"or expressions; write '{{{{ {re.split(r'[|+*(]', expression)[0].strip()} }}}}'")
    stray = _EXPRESSION.sub("", stray)
    if "{{" in stray or "}}" in stray:
        problems.append("unbalanced '{{' or '}}' in template")
    return problems


class TemplateError(RulesEngineError, ValueError):
    """A template that cannot be compiled; ``problems`` lists why."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class Template:
    """A compiled template: ``render(view) -> str``; ``render_value(view)`` keeps the type of a
    template that is a single variable (``"{{ lineno }}"`` gives the number 88, for contexts)."""

    __slots__ = ("source", "variables", "render", "render_value")

    def __init__(self, source: str, render: Callable[[EventView], str], variables: tuple[str, ...],
                 render_value: Callable[[EventView], Any] | None = None):
        self.source = source
        self.render = render
        self.variables = variables
        self.render_value = render_value or render

    def __repr__(self) -> str:
        return f"Template({self.source!r})"


def compile_template(text: str, *, fingerprint_item: bool = False) -> Template:
    """Compile a template (raises :class:`TemplateError`). Fingerprint items parameterize values."""
    problems = template_problems(text, fingerprint_item=fingerprint_item)
    if problems:
        raise TemplateError(problems)
    if fingerprint_item and VARIABLE.fullmatch(text.strip()) and VARIABLE.fullmatch(text.strip()).group(1) == "default":
        return Template(text, lambda view: DEFAULT_ITEM, ("default",))
    parts: list[Callable[[EventView], str]] = []
    names: list[str] = []
    position = 0
    for match in VARIABLE.finditer(text):
        literal = text[position:match.start()]
        if literal:
            parts.append(lambda view, literal=literal: literal)
        name = match.group(1)
        names.append(name)
        parts.append(_part(name, parameterized=fingerprint_item and name in _PARAMETERIZED))
        position = match.end()
    tail = text[position:]
    if tail:
        parts.append(lambda view, tail=tail: tail)
    if not names:
        return Template(text, lambda view: text, ())
    if len(parts) == 1:
        return Template(text, parts[0], tuple(names), _raw_value(names[0], parts[0]))
    return Template(text, _joined(tuple(parts)), tuple(names))


def _joined(parts: tuple[Callable[[EventView], str], ...]) -> Callable[[EventView], str]:
    """Render every part and join them, checking the time budget before each part: a template may
    name a long value many times (``{{ error.value }}`` a thousand times in a 2 MB ruleset)."""

    def render(view: EventView) -> str:
        rendered = []
        for part in parts:
            budget.check()
            rendered.append(part(view))
        return "".join(rendered)

    return render


def _part(name: str, *, parameterized: bool) -> Callable[[EventView], str]:
    resolved = _resolver(name)
    assert resolved is not None
    resolve, placeholder = resolved

    def render(view: EventView) -> str:
        value = resolve(view)
        if value is MISSING or value is None or value == "":
            return placeholder
        text = _text(value)
        return parameterize(text) if parameterized else text

    return render


def _raw_value(name: str, render: Callable[[EventView], str]) -> Callable[[EventView], Any]:
    """The variable's own value when it is a number or boolean, else the rendered text."""
    resolve, _ = _resolver(name)  # type: ignore[misc]

    def value(view: EventView) -> Any:
        raw = resolve(view)
        if isinstance(raw, (bool, int)) or (isinstance(raw, float) and math.isfinite(raw)):
            return raw
        return render(view)

    return value
