"""Case files: a ruleset, events, and what the ruleset must do to them.

A case file is YAML::

    ruleset: ../rulesets/shop.yaml          # relative to this file, or builtin:NAME@VERSION
    cases:
      - name: 404s are dropped
        event_file: events/http_404.json    # or an inline `event: {...}`
        hint: {exc_type: starlette.exceptions.HTTPException, exc_attrs: {status_code: 404}}
        expect: {dropped: true, dropped_by: client-errors}
      - name: passwords never leave the process
        event: {message: "login failed", extra: {password: hunter2}}
        expect: {absent: [hunter2], tags: {ruleset: shop@7}}

Every case runs through the ruleset's real hooks (``before_send``,
``before_send_transaction``, ``before_send_log``...), with a hint that holds a real
exception object when ``hint`` is given, so ``error.type`` base-class matching and
``exc.<attr>`` conditions behave exactly as they do in production. A breadcrumb case checks
the breadcrumb as it leaves the process: through ``before_breadcrumb``'s filters, then scrubbed
as inside the event that carries it.

A case file is checked as a whole before anything runs, and every problem is
reported as ``path:line:col: message``, like ruleset files.
"""

from __future__ import annotations

import builtins
import copy
import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal

import jmespath
import jmespath.exceptions
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..cli.report import (
    Style,
    contains_text,
    expected_actual_diff,
    paths_containing,
    sentry_title,
    short,
    tags_of,
)
from ..conditions.exception_names import reported_class
from ..errors import Problem, RulesetError
from ..load.document import read_yaml
from ..load.positions import KeyPath, locate, to_plain
from ..model.messages import describe_validation_errors
from ..model.models import EventKind, Level
from ..runtime import channels
from ..runtime.reloading import load_ruleset
from ..runtime.ruleset import kind_of

#: File names ``rules-engine test DIR`` and the pytest plugin pick up.
CASE_FILE_SUFFIXES = (".rules-test.yaml", ".rules-test.yml")
from ..errors import RulesEngineError
from ..sentry_event import main_exception


class CaseFileError(RulesetError):
    """A case file could not be read; ``problems`` lists everything wrong with it."""


# ---------------------------------------------------------------------------- the format


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class HintSpec(_Strict):
    """The live exception sentry-sdk would pass in ``hint["exc_info"]``, simulated."""

    exc_type: str | list[str] | None = Field(
        default=None,
        description="Dotted class name of the exception ('module.Class'), or a list of class names: the "
        "class first, then its base classes (its MRO). Default: the event's main exception.",
    )
    exc_value: str | None = Field(default=None, description="The exception's message. Default: the event's.")
    exc_attrs: dict[str, Any] = Field(
        default_factory=dict,
        description="Attributes of the exception object; a mapping becomes an object with attributes "
        "(response: {status_code: 502} gives exc.response.status_code).",
    )


class Expect(_Strict):
    """What the ruleset must do to the event. Only the keys given are checked."""

    dropped: bool = Field(default=False, description="The event is dropped (filtered or sampled out).")
    dropped_by: str | None = Field(
        default=None, description="Id of the filter rule that drops (or samples out) the event; null: none does."
    )
    sampled_by: str | None = Field(
        default=None, description="Id of the sample rule that decides the event's fate; null: none does."
    )
    fingerprint: list[str] | None = Field(default=None, description="The event's fingerprint, exactly.")
    title: str | None = Field(default=None, description="The title Sentry will show for the event.")
    tags: dict[str, str | int | float | bool | None] | None = Field(
        default=None, description="Tags the event must have (null: the tag must be absent); others may exist."
    )
    level: Level | None = Field(default=None, description="The event's level.")
    absent: list[str] = Field(default_factory=list, description="Text that must occur nowhere in the output.")
    present: list[str] = Field(default_factory=list, description="Text that must still occur in the output.")
    jmespath: dict[str, Any] = Field(
        default_factory=dict, description="JMESPath expressions over the output and the value each must give."
    )
    redactions: dict[str, int] | None = Field(
        default=None, description="Redaction counts by '<rule>' or '<rule>/<detector>' (others may exist)."
    )


class Case(_Strict):
    name: str = Field(min_length=1, description="What the case checks; shown in the output.")
    event: dict[str, Any] | None = Field(default=None, description="The event (or breadcrumb) payload.")
    event_file: str | None = Field(default=None, description="A JSON file holding the event, relative to this file.")
    kind: EventKind | None = Field(
        default=None, description="error, transaction, breadcrumb, log, metric or span. Default: from the "
        "event's 'type', or the shape of a log record, metric or span as sentry-sdk produces it."
    )
    hint: HintSpec | None = None
    sampling: Literal["keep", "drop"] = Field(
        default="keep",
        description="How sample rules decide for this case: keep (every draw keeps the event) or drop "
        "(every draw samples it out), so sampled rules are tested deterministically.",
    )
    expect: Expect = Field(default_factory=Expect)

    @model_validator(mode="after")
    def _one_event(self) -> "Case":
        if (self.event is None) == (self.event_file is None):
            raise ValueError("a case needs exactly one of 'event' and 'event_file'")
        return self


class CaseFileModel(_Strict):
    ruleset: str = Field(
        min_length=1, description="The ruleset under test, relative to this file, or builtin:NAME@VERSION."
    )
    cases: list[Case] = Field(min_length=1)


# ---------------------------------------------------------------------------- loading


@dataclass
class LoadedCase:
    """One case, ready to run: its event read, its position known."""

    spec: Case
    event: dict
    line: int


@dataclass
class LoadedCaseFile:
    path: str
    ruleset: str  # a file path (resolved against the case file) or a builtin reference
    cases: list[LoadedCase]


def load_case_file(path: str | Path) -> LoadedCaseFile:
    """Read and check a case file; raises :class:`CaseFileError` listing every problem."""
    display = str(path)
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or str(exc)
        raise CaseFileError([Problem(display, 1, 1, f"cannot read the case file: {reason}")]) from None
    tree, problems = read_yaml(text, display)
    if problems:
        raise CaseFileError(problems)
    if tree is None or not hasattr(tree, "items"):
        raise CaseFileError([Problem(display, 1, 1, "a case file is a mapping with 'ruleset' and 'cases'")])

    def problem_at(key_path: KeyPath, message: str, at_key: bool = False) -> None:
        line, col = locate(tree, key_path, at_key=at_key)
        problems.append(Problem(display, line, col, message))

    data = to_plain(tree, problem_at)
    try:
        model = CaseFileModel.model_validate(data)
    except ValidationError as exc:
        for found in describe_validation_errors(exc.errors(), data, root=CaseFileModel):
            problem_at(found.path, found.message, found.at_key)
        raise CaseFileError(problems) from None

    base = Path(path).parent
    ruleset = _resolve_ruleset(model.ruleset, base, problem_at)
    cases = []
    names: dict[str, int] = {}
    for index, case in enumerate(model.cases):
        where = ("cases", index)
        if case.name in names:
            first = names[case.name] + 1
            problem_at(where + ("name",), f"duplicate case name {case.name!r} (first used by case {first})")
        names.setdefault(case.name, index)
        event = _case_event(case, base, lambda key, message, w=where: problem_at(w + key, message))
        if event is None:
            continue
        try:
            build_hint(case.hint, copy.deepcopy(event))
        except HintError as exc:
            problem_at(where + ("hint",), str(exc))
        cases.append(LoadedCase(case, event, locate(tree, where)[0]))
    if problems:
        raise CaseFileError(problems)
    return LoadedCaseFile(display, ruleset, cases)


def _resolve_ruleset(reference: str, base: Path, problem_at: Any) -> str:
    if reference.startswith("builtin:"):
        return reference
    resolved = base / reference
    if not resolved.is_file():
        problem_at(("ruleset",), f"ruleset file not found: {resolved}")
    return str(resolved)


def _case_event(case: Case, base: Path, problem_at: Any) -> dict | None:
    if case.event is not None:
        return _json_compatible(case.event)
    file = base / str(case.event_file)
    try:
        event = json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        problem_at(("event_file",), f"cannot read event file {file}: {exc.strerror or exc}")
        return None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        problem_at(("event_file",), f"event file {file} is not valid JSON: {exc.msg} at {where}")
        return None
    if not isinstance(event, dict):
        kind = type(event).__name__
        problem_at(("event_file",), f"event file {file} must hold one event (a JSON object), not {kind}")
        return None
    return event


def _json_compatible(node: Any) -> Any:
    """YAML reads unquoted timestamps as dates; events carry them as ISO strings."""
    if isinstance(node, dict):
        return {key: _json_compatible(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_json_compatible(item) for item in node]
    if isinstance(node, (datetime.date, datetime.datetime)):
        return node.isoformat()
    return node


def find_case_files(paths: list[str | Path]) -> list[Path]:
    """Case files named on the command line: files as given, directories searched for ``*.rules-test.yaml``."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.name.endswith(CASE_FILE_SUFFIXES) and p.is_file()))
        else:
            found.append(path)
    return found


# ---------------------------------------------------------------------------- the simulated hint


def build_hint(spec: HintSpec | None, event: dict) -> dict:
    """A hint as sentry-sdk builds it, holding a real exception object described by ``spec``.

    A class named alone whose module is imported in this process (``--import`` imports
    it) is the real class, with its real base classes. Otherwise the class is created on
    the fly with the given module and name, on top of its listed base classes (builtin
    exception names reuse the real builtin class), so everything that inspects the live
    exception sees what it would see in production. An event without an exception gets
    the one sentry-sdk would report for it.
    """
    if spec is None:
        return {}
    main = main_exception(event)
    names = _class_names(spec, main)
    value = spec.exc_value if spec.exc_value is not None else str((main or {}).get("value") or "")
    exc_class = (_real_class(names[0]) if len(names) == 1 else None) or _exception_class(names)
    exc = _instance(exc_class, value)
    for name, attr in spec.exc_attrs.items():
        try:
            setattr(exc, name, _as_attribute(attr))
        except (AttributeError, TypeError) as error:
            raise HintError(f"cannot set {name!r} on a {exc_class.__qualname__}: {error}") from None
    if main is None:
        _add_sdk_exception(event, exc)
    return {"exc_info": (exc_class, exc, None)}


def _real_class(dotted: str) -> type[BaseException] | None:
    module, _, name = dotted.rpartition(".")
    return reported_class(module, name) if module and module != "builtins" else None


def _instance(exc_class: type[BaseException], value: str) -> BaseException:
    """An exception of ``exc_class`` with ``value`` as its message; a real class whose constructor
    wants other arguments (``HTTPException(status_code)``) is made without calling it."""
    try:
        return exc_class(value)
    except Exception:  # noqa: BLE001 - any constructor signature
        exc = exc_class.__new__(exc_class)
        exc.args = (value,)
        return exc


def _as_attribute(value: Any) -> Any:
    """Mappings become objects with attributes, as ``exc.response.status_code`` is in real code."""
    if isinstance(value, dict):
        return SimpleNamespace(**{str(k): _as_attribute(v) for k, v in value.items()})
    return value


class HintError(RulesEngineError, ValueError):
    """The hint cannot describe the event's exception."""


def _class_names(spec: HintSpec, main: dict | None) -> list[str]:
    names = [spec.exc_type] if isinstance(spec.exc_type, str) else list(spec.exc_type or [])
    if not names:
        if main is None or not main.get("type"):
            raise HintError("the hint has no exc_type and the event has no exception to take it from")
        module = main.get("module")
        names = [f"{module}.{main['type']}" if module and module != "builtins" else str(main["type"])]
    if main is not None and main.get("type"):
        _check_same_exception(names[0], main)
    return names


def _check_same_exception(dotted: str, main: dict) -> None:
    """The hint's class must be the event's main exception, or sentry-sdk would never pair them."""
    module, _, name = dotted.rpartition(".")
    event_module = main.get("module") or "builtins"
    if name != main.get("type") or (module or "builtins") != event_module:
        shown = f"{main.get('module')}.{main.get('type')}" if main.get("module") else str(main.get("type"))
        raise HintError(f"hint exc_type {dotted!r} is not the event's main exception {shown!r}")


def _exception_class(names: list[str]) -> type[BaseException]:
    """The class named ``names[0]``, subclassing the rest in order (the most basic last)."""
    base: type[BaseException] = Exception
    for dotted in reversed(names):
        module, _, name = dotted.rpartition(".")
        builtin = getattr(builtins, name, None)
        if module in ("", "builtins") and isinstance(builtin, type) and issubclass(builtin, BaseException):
            if not issubclass(builtin, base):
                raise HintError(f"builtin {name} cannot derive from {base.__name__}; list classes most derived first")
            base = builtin
            continue
        base = type(name, (base,), {"__module__": module or "builtins", "__qualname__": name})
    return base


def _add_sdk_exception(event: dict, exc: BaseException) -> None:
    from sentry_sdk.utils import event_from_exception

    reported, _ = event_from_exception(exc)  # no traceback: no frames to serialise
    event["exception"] = reported["exception"]
    event.setdefault("level", reported.get("level", "error"))


# ---------------------------------------------------------------------------- running

#: Sampling draws that make sample rules decide one way: 0.0 is below every rate (kept),
#: 1.0 below none (sampled out; a rate of 1 still keeps the event).
SAMPLING_DRAWS: dict[str, Any] = {"keep": lambda: 0.0, "drop": lambda: 1.0}


@dataclass
class Mismatch:
    """One expectation that did not hold."""

    what: str
    expected: Any
    actual: Any

    def to_dict(self) -> dict:
        return {"what": self.what, "expected": self.expected, "actual": self.actual}


@dataclass
class CaseResult:
    """The outcome of one case."""

    file: str
    name: str
    line: int
    mismatches: list[Mismatch] = field(default_factory=list)
    error: str | None = None  # the case could not run
    output: dict | None = None  # the processed event, None when dropped
    explanation: dict | None = None  # the rule trace, kept for failures

    @property
    def passed(self) -> bool:
        return self.error is None and not self.mismatches

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "name": self.name,
            "passed": self.passed,
            "error": self.error,
            "mismatches": [m.to_dict() for m in self.mismatches],
            # The processed event and the trace explain a failure; a pass needs neither.
            "output": self.output if not self.passed else None,
            "explanation": self.explanation if not self.passed else None,
        }


class RulesetCache:
    """Compiled rulesets by source, so case files that share one compile it once."""

    def __init__(self) -> None:
        self._rulesets: dict[str, Any] = {}

    def get(self, source: str) -> Any:
        if source not in self._rulesets:
            self._rulesets[source] = load_ruleset(source)
        return self._rulesets[source]


def run_loaded(loaded: LoadedCaseFile, cache: RulesetCache | None = None) -> list[CaseResult]:
    """Run every case of a loaded case file; a ruleset that fails to load fails every case."""
    cache = cache or RulesetCache()
    try:
        ruleset = cache.get(loaded.ruleset)
    except RulesetError as exc:
        return [CaseResult(loaded.path, c.spec.name, c.line, error=f"the ruleset does not load:\n{exc}")
                for c in loaded.cases]
    except Exception as exc:  # a crash while compiling is reported per case, like a test runner does
        return [CaseResult(loaded.path, c.spec.name, c.line, error=f"the ruleset failed to compile: {exc!r}")
                for c in loaded.cases]
    return [run_case(ruleset, loaded.path, case) for case in loaded.cases]


def run_case(ruleset: Any, file: str, case: LoadedCase) -> CaseResult:
    """Run one case through the ruleset's hook and check its expectations."""
    result = CaseResult(file, case.spec.name, case.line)
    event = copy.deepcopy(case.event)
    kind = case.spec.kind or kind_of(event) or "error"
    if kind in channels.KINDS and channels.on_the_wire(event):
        event = channels.from_the_wire(event)  # the shape the hook receives
    try:
        hint = build_hint(case.spec.hint, event)
    except HintError as exc:
        result.error = str(exc)
        return result
    ruleset.draw = SAMPLING_DRAWS[case.spec.sampling]
    try:
        explanation = ruleset.explain(copy.deepcopy(event), dict(hint), kind=kind)
    except Exception as exc:  # the hooks never raise, but explain may: report it as this case's error
        result.error = f"explain failed on this event: {exc!r}"
        return result
    output = _hook(ruleset, kind)(event, hint)
    result.output = output
    sample_rules = frozenset(rule.id for rule in ruleset.model.filters if rule.sample is not None)
    result.mismatches = check_expectations(case.spec.expect, output, explanation, sample_rules)
    if result.mismatches:
        result.explanation = trace_dict(explanation)
    return result


def trace_dict(explanation: Any) -> dict:
    """The rule trace without the event copies (those are in the result's output)."""
    data = explanation.to_dict()
    return {key: value for key, value in data.items() if key not in ("before", "after")}


def _hook(ruleset: Any, kind: str) -> Any:
    if kind == "transaction":
        return ruleset.before_send_transaction
    if kind == "breadcrumb":  # as it leaves the process: filtered, then scrubbed in its event
        return lambda crumb, hint: ruleset.process(crumb, hint, kind="breadcrumb")
    if kind in channels.KINDS:
        return getattr(ruleset, f"before_send_{kind}")
    return ruleset.before_send


def check_expectations(expect: Expect, output: dict | None, explanation: Any,
                       sample_rules: frozenset[str] = frozenset()) -> list[Mismatch]:
    """Every expectation of ``expect`` that ``output`` (None: dropped) does not meet.

    ``explanation`` is the rule trace of the same event; ``sample_rules`` the ids of the
    ruleset's filter rules that sample rather than drop.
    """
    given = expect.model_fields_set
    mismatches: list[Mismatch] = []
    dropped = output is None
    if dropped != expect.dropped:
        mismatches.append(Mismatch("dropped", expect.dropped, _drop_description(dropped, explanation)))
    decider = deciding_filter(explanation)
    if "dropped_by" in given and (decider if dropped else None) != expect.dropped_by:
        mismatches.append(Mismatch("dropped_by", expect.dropped_by, decider if dropped else None))
    sampler = decider if decider in sample_rules else None
    if "sampled_by" in given and sampler != expect.sampled_by:
        mismatches.append(Mismatch("sampled_by", expect.sampled_by, sampler))
    if not dropped:
        mismatches.extend(_check_output(expect, given, output))
    for needle in expect.absent:
        if output is not None and contains_text(output, needle):
            where = ", ".join(paths_containing(output, needle))
            mismatches.append(Mismatch(f"absent {needle!r}", "nowhere in the output", f"still at {where}"))
    for needle in expect.present:
        if output is None or not contains_text(output, needle):
            mismatches.append(Mismatch(f"present {needle!r}", "somewhere in the output",
                                       "nowhere in the output" if output is not None else "the event was dropped"))
    if "redactions" in given:
        actual = dict(explanation.redactions)
        for key, count in (expect.redactions or {}).items():
            if actual.get(key, 0) != count:
                mismatches.append(Mismatch(f"redactions[{key}]", count, actual.get(key, 0)))
    return mismatches


def _check_output(expect: Expect, given: set[str], output: dict) -> list[Mismatch]:
    mismatches = []
    if "fingerprint" in given and output.get("fingerprint") != expect.fingerprint:
        mismatches.append(Mismatch("fingerprint", expect.fingerprint, output.get("fingerprint")))
    if "title" in given and sentry_title(output) != expect.title:
        mismatches.append(Mismatch("title", expect.title, sentry_title(output)))
    if "level" in given and output.get("level") != expect.level:
        mismatches.append(Mismatch("level", expect.level, output.get("level")))
    if expect.tags is not None:
        actual = tags_of(output)
        for key, value in expect.tags.items():
            wanted = None if value is None else _tag_text(value)
            if actual.get(key) != wanted:
                mismatches.append(Mismatch(f"tags.{key}", wanted, actual.get(key)))
    for expression, wanted in expect.jmespath.items():
        try:
            actual = jmespath.search(expression, output)
        except jmespath.exceptions.JMESPathError as exc:
            mismatches.append(Mismatch(f"jmespath {expression}", wanted, f"invalid expression: {exc}"))
            continue
        if actual != wanted:
            mismatches.append(Mismatch(f"jmespath {expression}", wanted, actual))
    return mismatches


def deciding_filter(explanation: Any) -> str | None:
    """The filter rule that matched the event (it decided to drop, sample or keep it), if any."""
    if explanation.dropped_by:
        return explanation.dropped_by
    for trace in explanation.rules:
        if trace.phase == "filter" and trace.matched:
            return trace.rule_id
    return None


def _tag_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _drop_description(dropped: bool, explanation: Any) -> Any:
    if not dropped:
        return False
    decider = deciding_filter(explanation)
    if decider is not None:
        how = "sampled out" if explanation.sampled_out else "dropped"
        return f"true ({how} by rule {decider})"
    return "true"


# ---------------------------------------------------------------------------- rendering


def format_result(result: CaseResult, style: Style) -> list[str]:
    """The lines a test runner prints for a failing case: each mismatch, then the rule trace."""
    lines: list[str] = []
    if result.error is not None:
        lines.extend(f"    {line}" for line in result.error.splitlines())
        return lines
    for mismatch in result.mismatches:
        lines.append(f"    {style.bold(mismatch.what)}:")
        lines.extend(f"      {line}" for line in expected_actual_diff(mismatch.expected, mismatch.actual, style))
    if result.explanation:
        phases = _phases_behind(result.mismatches)
        traces = [t for t in result.explanation.get("rules", []) if t.get("phase") in phases]
        if traces:
            lines.append("    " + style.dim("rules:"))
        for trace in traces:
            mark = "+" if trace.get("matched") else "-"
            text = f"{mark} {trace.get('phase')}/{trace.get('rule_id')}: {short(trace.get('reason') or '', 100)}"
            lines.append("      " + (text if trace.get("matched") else style.dim(text)))
    return lines


#: The phases whose rules decide each kind of expectation, shown under a failing case.
_PHASES_BY_EXPECTATION = {
    "dropped": {"filter"},
    "dropped_by": {"filter"},
    "sampled_by": {"filter"},
    "fingerprint": {"grouping"},
    "title": {"grouping", "scrub"},
    "level": {"grouping"},
    "tags": {"grouping", "scrub"},
    "absent": {"scrub"},
    "present": {"scrub"},
    "redactions": {"scrub"},
}


def _phases_behind(mismatches: list[Mismatch]) -> set[str]:
    phases: set[str] = set()
    for mismatch in mismatches:
        key = mismatch.what.split(".")[0].split("[")[0].split(" ")[0]
        phases |= _PHASES_BY_EXPECTATION.get(key, {"filter", "grouping", "scrub"})
        if key == "dropped" and mismatch.expected is False:
            phases.add("scrub")  # a failed scrub step drops the event too
    return phases
