"""Running an attack in a child process, so that a crash or a hang fails one test, not the run.

An attack is Python source run with :mod:`tests.hostile.child` imported; it ends by calling
``report(value)``, which prints the value as JSON on a line of its own. :func:`attack` runs it
with a hard timeout and returns that value; a crash (a signal, a non-zero exit) or a hang is an
assertion error that shows what the child wrote.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests import child_python

ROOT = Path(__file__).resolve().parents[2]
REPORT_MARK = "HOSTILE-REPORT "
#: Generous for a loaded machine; every attack takes minutes, or forever, on code that does not
#: bound it, and a second or two where it is bounded.
HARD_TIMEOUT = float(os.environ.get("HOSTILE_TIMEOUT", "60"))
#: How far past its ``limits.max_ms`` a hook stopped by the budget may return: one step between
#: two checks, plus a loaded machine's pauses. The attacks that use it take seconds to minutes
#: unbounded, so this bound still tells a checked loop from an unchecked one.
SLACK_SECONDS = 2.0


def engine_env(accelerator: str) -> dict[str, str]:
    """The environment a child process needs to run ``accelerator`` ("on" or "off")."""
    return {"RULES_ENGINE_ACCELERATOR": "off"} if accelerator == "off" else {}


def attack(source: str, *, timeout: float = HARD_TIMEOUT, env: dict[str, str] | None = None, cwd=None):
    """Run ``source`` in a child Python; return what it reported."""
    program = "from tests.hostile.child import *\n" + textwrap.dedent(source)
    child_env = {**os.environ, "PYTHONPATH": child_python.pythonpath(), "PYTHONFAULTHANDLER": "1", **(env or {})}
    try:
        done = subprocess.run([sys.executable, "-c", program], cwd=cwd or ROOT, env=child_env,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"the attack did not finish within {timeout:.0f} s (a hang):\n"
                             f"{_tail(exc.stderr)}") from None
    assert done.returncode == 0, f"the child exited with status {done.returncode}:\n{_tail(done.stderr)}"
    reports = [line[len(REPORT_MARK):] for line in done.stdout.splitlines() if line.startswith(REPORT_MARK)]
    assert reports, f"the child reported nothing:\n{_tail(done.stdout)}\n{_tail(done.stderr)}"
    return json.loads(reports[-1])


def _tail(text) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return (text or "")[-3000:]
