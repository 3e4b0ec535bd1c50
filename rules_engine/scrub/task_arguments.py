"""Task arguments: the positional arguments of a Celery task, named by the task's signature.

sentry-sdk's Celery integration sends, in the events of a task (its transaction and the errors
it raises), ``extra["celery-job"]`` = ``{"task_name": ..., "args": [...], "kwargs": {...}}``.
``kwargs`` are a dict, named already; ``args`` are bare values: ``charge.delay("cus_1", token,
100)`` sends ``["cus_1", "...", 100]``. The function behind the task says what each one is
(``def charge(customer, payment_method_token, amount)``), so :func:`task_argument_names` reads its
signature, and the second argument is the value of a key named ``payment_method_token``, decided
by the key rules active at ``extra.celery-job.args.1`` (a list or dict has every leaf redacted,
as under a sensitive key). An error event also holds the value as a
frame variable; a transaction has no frames, so the signature is the only place that names it.

The task is looked up by ``task_name`` in the registries of the Celery apps of the running process
(the worker that ran it), and only when ``celery`` is imported already: this module never imports
it, and a task not found (another process, an offline event) names nothing. Reading the registry
calls no Celery code that could finalize an app or import task modules, and every failure names
nothing: the hook never raises and its work is bounded (a few apps, a memoized signature per task).
"""

from __future__ import annotations

import functools
import inspect
import sys

#: Where sentry-sdk's Celery integration puts a task's job, from the event's root.
TASK_JOB = ("extra", "celery-job")
#: More apps than this in one process are not looked through (a process has one or two).
_MAX_APPS = 8
_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def task_argument_names(event: dict) -> tuple[list | None, list[str]]:
    """The list of a task event's positional arguments and the name of each, in order (fewer names
    than arguments when the signature has fewer; a ``*args`` parameter names all the rest); no
    list and no names when the event holds none or the task is not found."""
    try:
        extra = event.get("extra")
        job = extra.get("celery-job") if type(extra) is dict else None
        if type(job) is not dict or type(job.get("args")) is not list or type(job.get("task_name")) is not str:
            return None, []
        task = _registered_task(job["task_name"])
        names = _positional_names(task, len(job["args"])) if task is not None else []
        return (job["args"], names) if names else (None, [])
    except Exception:  # a registry or task that is not what Celery's are: nothing is named
        return None, []


def _registered_task(name: str):
    """The task named ``name`` in a registry of this process's Celery apps, or None."""
    state = sys.modules.get("celery._state") if "celery" in sys.modules else None
    active_apps = getattr(state, "_get_active_apps", None)
    if active_apps is None:
        return None
    for count, app in enumerate(list(active_apps())):
        if count >= _MAX_APPS:
            break
        # ``_tasks``, not ``tasks``: the property finalizes an app not finalized yet, running
        # Celery code (and imports) inside the hook.
        registry = getattr(app, "_tasks", None)
        task = dict.get(registry, name) if isinstance(registry, dict) else None
        if task is not None:
            return task
    return None


def _positional_names(task, count: int) -> list[str]:
    names, rest = _signature_names(task.run)
    if rest is not None and len(names) < count:
        names = names + [rest] * (count - len(names))
    return names[:count]


@functools.lru_cache(maxsize=256)
def _signature_names(function) -> tuple[list[str], str | None]:
    """The names of ``function``'s positional parameters (a bound task's own ``self`` left out, as
    its signature leaves it), and that of its ``*args`` if it has one (remembered per task)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # no signature (a builtin, a C function)
        return [], None
    names = [parameter.name for parameter in parameters if parameter.kind in _POSITIONAL]
    rest = next((parameter.name for parameter in parameters if parameter.kind is inspect.Parameter.VAR_POSITIONAL),
                None)
    return names, rest
