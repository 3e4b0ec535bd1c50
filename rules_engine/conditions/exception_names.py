"""Every name an exception class answers to, and the class behind a name an event reports.

sentry-sdk reports an exception as ``type(exc).__module__`` and ``__qualname__``: pydantic's
``ValidationError`` arrives as ``pydantic_core._pydantic_core.ValidationError``, while users
write the name they import, ``pydantic.ValidationError``. A class therefore answers to:

* its bare name and the dotted name sentry-sdk reports, for itself and each base class;
* every name it is importable as, among the modules that could plausibly re-export it: the
  packages above its own module (``pydantic_core.ValidationError``) and the modules that
  ``error.type`` rules name (``pydantic.ValidationError``), which :func:`remember_rule_names`
  collects when rules are compiled.

Nothing here imports a module: a module counts only when it is already imported. Names an event
reports are read from the module's and class's ``__dict__`` (never ``getattr``, which could run a
lazy module ``__getattr__`` on a name a hostile payload chose); only modules that rules name are
asked with ``getattr`` (pydantic exports ``ValidationError`` lazily). :func:`import_module_of`,
the command line's opt-in ``--import``, is the one place that imports.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from typing import Any, Callable, Iterable

from ..sentry_event import exception_values

_WILDCARDS = frozenset("*?[{\\")

#: Modules that ``error.type`` rules name, in the order first seen.
_rule_modules: dict[str, None] = {}
_lock = threading.Lock()
#: Called when a new module is remembered: caches of names computed before it are stale.
_on_new_module: list[Callable[[], None]] = []


def remember_rule_names(patterns: Iterable[str]) -> None:
    """Note the modules that ``error.type`` patterns name (``pydantic`` in ``pydantic.ValidationError``
    or in ``pydantic.*``), so classes re-exported there answer to those names too."""
    new = [m for m in map(_module_part, patterns) if m and m not in _rule_modules]
    if not new:
        return
    with _lock:
        for module in new:
            _rule_modules[module] = None
    for forget in _on_new_module:
        forget()


def on_new_rule_module(forget: Callable[[], None]) -> None:
    """Register a cache to clear when a rule names a module not seen before."""
    _on_new_module.append(forget)


def _module_part(pattern: str) -> str | None:
    """The literal module path in front of a pattern's class name, if any."""
    if not isinstance(pattern, str):
        return None
    literal_end = next((i for i, ch in enumerate(pattern) if ch in _WILDCARDS), len(pattern))
    module = pattern[:literal_end].rpartition(".")[0]
    return module or None


def class_names(cls: type) -> list[str]:
    """The names ``cls`` answers to, most specific first: for the class and each of its bases
    (``object`` and ``BaseException`` excluded), the bare name, the reported dotted name and the
    names it is importable as."""
    names: list[str] = []
    for klass in cls.__mro__:
        if klass is object or klass is BaseException:
            continue
        reported = f"{klass.__module__}.{klass.__qualname__}"
        for name in (klass.__name__, reported, *_aliases(klass)):
            if name not in names:
                names.append(name)
    return names


def _aliases(cls: type) -> list[str]:
    """``module.Name`` for every already-imported candidate module that exports ``cls`` as ``Name``:
    the packages above its module, and the modules rules name (read through their lazy
    ``__getattr__`` too, as ``from pydantic import ValidationError`` would)."""
    name = cls.__name__
    found = []
    for module_name in _parent_packages(cls.__module__):
        module = sys.modules.get(module_name)
        if module is not None and _own_attribute(module, name) is cls:
            found.append(f"{module_name}.{name}")
    for module_name in list(_rule_modules):
        if module_name not in found and exported_by(module_name, name) is cls:
            found.append(f"{module_name}.{name}")
    return found


def exported_by(module_name: str, name: str) -> Any:
    """What an already-imported module a rule names exports as ``name`` (None when nothing).
    Only modules users name in rules are asked this way: a module's own ``__getattr__`` may run."""
    module = sys.modules.get(module_name)
    if module is None:
        return None
    try:
        return getattr(module, name, None)
    except Exception:  # noqa: BLE001 - a lazy module failing to produce the name
        return None


def _parent_packages(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]


def _own_attribute(owner: Any, name: str) -> Any:
    try:
        return vars(owner).get(name)
    except TypeError:  # an object without a __dict__
        return None


def reported_class(module: Any, qualname: Any) -> type | None:
    """The exception class an event names (its ``module`` and ``type``) when that module is
    already imported in this process; None otherwise. Offline events (files, exports) get their
    base classes and aliases from it, as live events get them from ``hint["exc_info"]``."""
    if not isinstance(module, str) or not isinstance(qualname, str) or not module or not qualname:
        return None
    found: Any = sys.modules.get(module)
    for part in qualname.split("."):
        if found is None:
            return None
        found = _own_attribute(found, part)
    if isinstance(found, type) and issubclass(found, BaseException):
        return found
    return None


class NotImportable(Exception):
    """A module named by an event or a rule could not be imported; the message says why."""


def import_module_of(module: str) -> None:
    """Import ``module`` (the opt-in ``--import`` of the command line) so :func:`reported_class`
    can resolve the classes it defines. Raises :class:`NotImportable` with the reason; an
    exception or ``SystemExit`` raised by the module's own code is reported, never propagated."""
    if module in sys.modules:
        return
    if module == "__main__" or not all(part.isidentifier() for part in module.split(".")):
        raise NotImportable(f"{module!r} is not an importable module name")
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError as exc:  # a parent package is missing
        raise NotImportable(f"no module named {exc.name or module!r} is installed") from None
    except (Exception, SystemExit) as exc:  # importing a parent package failed
        raise NotImportable(f"importing {module!r} failed: {type(exc).__name__}: {exc}") from None
    if spec is None:
        raise NotImportable(f"no module named {module!r} is installed")
    try:
        importlib.import_module(module)
    except (Exception, SystemExit) as exc:  # a module's own code failing is the module's problem
        raise NotImportable(f"importing {module!r} failed: {type(exc).__name__}: {exc}") from None


def modules_of_event(event: Any) -> list[str]:
    """The modules an event's exceptions name (``exception.values[].module``), in order."""
    values = exception_values(event) if isinstance(event, dict) else []
    modules = (value.get("module") for value in values if isinstance(value, dict))
    return list(dict.fromkeys(m for m in modules if isinstance(m, str) and m))
