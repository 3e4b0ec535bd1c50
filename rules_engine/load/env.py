"""``${ENV}`` references in ruleset values (``hash_key``): expansion with a strict grammar."""

from __future__ import annotations

import os
import re

from ..errors import RulesEngineError


class UnsetVariable(RulesEngineError, ValueError):
    """A ``${VAR}`` reference to a variable that is not set (and has no default)."""


_ENV_REFERENCE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_env(text: str, environ: dict[str, str] | None = None) -> str:
    """Expand ``${VAR}`` and ``${VAR:-default}``; ``$$`` is a literal ``$``.

    An unset ``${VAR}`` is an error rather than an empty string: an empty key
    would make every hash guessable. The same goes for a value that expands to
    nothing. ``${VAR:-default}`` uses the default when VAR is unset or empty.
    """
    env = os.environ if environ is None else environ
    missing: list[str] = []

    def substitute(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default = match.group(1), match.group(2)
        value = env.get(name)
        if value:
            return value
        if default is not None:
            return default
        missing.append(name)
        return ""

    expanded = _ENV_REFERENCE.sub(substitute, text)
    if missing:
        names = ", ".join(missing)
        raise UnsetVariable(
            f"environment variable {names} is not set (write ${{{missing[0]}:-default}} for a fallback)"
        )
    leftover = _ENV_REFERENCE.sub("", text)
    if "${" in leftover:
        raise ValueError("malformed ${...} reference; write ${NAME} or ${NAME:-default} (and $$ for a literal $)")
    if not expanded:
        raise ValueError("the key is empty; an empty key makes hashes guessable")
    return expanded
