"""What a test's child Python puts on ``PYTHONPATH`` to import ``tests.*`` (and ``rules_engine``).

Normally the checkout: the child imports both from it, like the suite does. When the suite runs
against an installed package (``.ci/wheel`` sets ``RULES_ENGINE_TESTS_NOT_FROM`` to the checkout),
a directory that holds only a link to ``tests/``, so the child imports the installed
``rules_engine`` too, not the checkout's sources.
"""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: How long a test waits for a child process before calling it hung. A child that needs two
#: seconds on a quiet machine can need minutes on one whose cores are busy with other work, and a
#: test that asserts what a child prints is no test of its speed.
TIMEOUT = 600


@functools.cache
def pythonpath() -> str:
    if not os.environ.get("RULES_ENGINE_TESTS_NOT_FROM"):
        return str(ROOT)
    folder = Path(tempfile.mkdtemp(prefix="rules-engine-tests-"))
    (folder / "tests").symlink_to(ROOT / "tests", target_is_directory=True)
    return str(folder)
