"""Everything the benchmark compares, behind one shape: prepare (untimed), run (timed), output.

* ``walk``: a bare recursive walk that visits every node (the floor for any scrubber that looks
  at everything);
* ``deepcopy``: ``copy.deepcopy`` of the event;
* ``sdk-event-scrubber`` / ``sdk-event-scrubber-recursive``: sentry-sdk's ``EventScrubber``;
* ``hand-written-hook``: :mod:`benchmarks.handwritten_hook`, the usual ``before_send``;
* ``relay-pii-strip``: ``sentry_relay.pii_strip_event`` with Relay's default data-scrubbing
  config, called from Python as its API is (JSON encoding in and out included);
  ``relay-pii-strip-core`` is the same call on pre-encoded JSON (the Rust part alone);
* ``default-ruleset`` and ``filters-grouping-ruleset``: rules-engine hooks from YAML rulesets
  (``default-ruleset-2026.11``: the default ruleset on the packs before the detector catalogue).
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RULESET = ROOT / "rulesets" / "default.yaml"
FILTERS_GROUPING_RULESET = ROOT / "benchmarks" / "rulesets" / "filters-grouping.yaml"

#: Sentry's project defaults for data scrubbing ("Data Scrubber" and "Use Default Scrubbers" on).
#: "Prevent Storing of IP Addresses" is off by default in Sentry; it is on here so Relay is
#: measured doing the same job the default ruleset does (IP addresses are PII there).
RELAY_DATASCRUBBING = {
    "scrubData": True,
    "scrubDefaults": True,
    "scrubIpAddresses": True,
    "sensitiveFields": [],
    "excludeFields": [],
}


def fresh_copy(node: Any) -> Any:
    """A deep copy of a JSON-like event, the input each timed call gets.

    Same result as ``copy.deepcopy`` for events (trees of dicts, lists and immutable scalars,
    strings shared as deepcopy shares them), about 4x faster: the copies are made outside the
    timed region, but making them is most of a benchmark run's wall time. Anything else is
    handed to ``copy.deepcopy``.
    """
    if type(node) is dict:
        return {key: fresh_copy(value) for key, value in node.items()}
    if type(node) is list:
        return [fresh_copy(item) for item in node]
    if isinstance(node, (str, int, float, type(None))):
        return node
    return copy.deepcopy(node)


@dataclass
class Contender:
    name: str
    description: str
    run: Callable[[Any], Any] | None
    prepare: Callable[[dict], Any] = fresh_copy
    #: turns what ``run`` returned (and the prepared input) into the event that would be sent
    output: Callable[[Any, Any], dict | None] = lambda result, prepared: result
    missing: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def available(self) -> bool:
        return self.run is not None and not self.missing


def walk(node: Any) -> int:
    """Visit every key, value and item; return how many strings were seen."""
    if isinstance(node, dict):
        seen = 0
        for key, value in node.items():
            seen += walk(value)
        return seen
    if isinstance(node, list):
        seen = 0
        for item in node:
            seen += walk(item)
        return seen
    return 1 if isinstance(node, str) else 0


def _walk_contender() -> Contender:
    def run(event: dict) -> dict:
        walk(event)
        return event

    return Contender("walk", "bare recursive walk visiting every node (the floor)", run)


def _deepcopy_contender() -> Contender:
    return Contender("deepcopy", "copy.deepcopy of the event", copy.deepcopy)


def _sdk_scrubber_contender(recursive: bool) -> Contender:
    from sentry_sdk.scrubber import EventScrubber

    scrubber = EventScrubber(recursive=recursive)

    def run(event: dict) -> dict:
        scrubber.scrub_event(event)
        return event

    if recursive:
        return Contender("sdk-event-scrubber-recursive", "sentry-sdk EventScrubber(recursive=True)", run)
    return Contender("sdk-event-scrubber", "sentry-sdk EventScrubber() (the SDK default)", run)


def hook_runner(
    before_send: Callable, before_send_transaction: Callable, hints: dict[str, dict] | None = None
) -> Callable[[dict], dict | None]:
    """Call the hook sentry-sdk would call for this kind of event, with the hint the SDK gave it
    (``hints`` by event id, recorded when the corpus was captured; empty when unknown)."""
    hints = hints or {}
    no_hint: dict = {}

    def run(event: dict) -> dict | None:
        hint = hints.get(event.get("event_id"), no_hint)
        if event.get("type") == "transaction":
            return before_send_transaction(event, hint)
        return before_send(event, hint)

    return run


def _hand_written_contender(hints: dict[str, dict]) -> Contender:
    from benchmarks import handwritten_hook as hook

    return Contender(
        "hand-written-hook",
        "a typical hand-written before_send (key deny-lists, plain re, 4xx/health drops)",
        hook_runner(hook.before_send, hook.before_send_transaction, hints),
    )


def relay_config() -> dict:
    import sentry_relay

    return sentry_relay.convert_datascrubbing_config(RELAY_DATASCRUBBING)


def _relay_contenders() -> list[Contender]:
    try:
        import sentry_relay
    except ImportError as error:
        reason = f"sentry_relay not importable: {error}"
        return [
            Contender("relay-pii-strip", "", None, missing=reason),
            Contender("relay-pii-strip-core", "", None, missing=reason),
        ]
    config = relay_config()
    config_json = json.dumps(config)

    def run(event: dict) -> dict:
        return sentry_relay.pii_strip_event(config, event)

    def passthrough(value: Any) -> Any:
        return value

    def run_core(event_json: str) -> str:
        return sentry_relay.pii_strip_event(config_json, event_json, json_dumps=passthrough, json_loads=passthrough)

    return [
        Contender(
            "relay-pii-strip",
            "sentry_relay.pii_strip_event, Sentry's default data scrubbing + IP addresses (JSON in/out included)",
            run,
        ),
        Contender(
            "relay-pii-strip-core",
            "the same on pre-encoded JSON (Relay's Rust processing alone)",
            run_core,
            prepare=json.dumps,
            output=lambda result, prepared: json.loads(result),
        ),
    ]


def ruleset_contender(
    name: str, description: str, source: Path | str, hints: dict[str, dict] | None = None,
    accelerator: str | None = None,
) -> Contender:
    """A rules-engine ruleset as a contender; marked missing (never faked) when it cannot load.
    ``accelerator``: ``RULES_ENGINE_ACCELERATOR`` while it is built (``"off"``: pure Python)."""
    if isinstance(source, Path) and not source.exists():
        return Contender(name, description, None, missing=f"{source.relative_to(ROOT)} does not exist yet")
    try:
        from rules_engine import load_ruleset

        with _accelerator(accelerator):
            ruleset = load_ruleset(str(source))
        runner = hook_runner(ruleset.before_send, ruleset.before_send_transaction, hints)
    except Exception as error:  # any failure to build means: no figures for it
        return Contender(name, description, None, missing=f"cannot load {source}: {type(error).__name__}: {error}")
    return Contender(name, description, runner, extra={"ruleset": ruleset})


def _on_earlier_packs(source: Path | str) -> Path | str:
    """The ruleset with its ``@2026.12`` packs read as ``@2026.11``, written to a scratch
    directory (the packs are builtin: nothing else is read relative to it)."""
    try:
        text = Path(source).read_text(encoding="utf-8")
    except OSError:
        return source  # reported as missing by ruleset_contender
    path = Path(tempfile.mkdtemp(prefix="rules-engine-benchmark-")) / "default-2026.11.yaml"
    path.write_text(text.replace("@2026.12", "@2026.11"), encoding="utf-8")
    return path


@contextlib.contextmanager
def _accelerator(choice: str | None):
    previous = os.environ.get("RULES_ENGINE_ACCELERATOR")
    if choice is not None:
        os.environ["RULES_ENGINE_ACCELERATOR"] = choice
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("RULES_ENGINE_ACCELERATOR", None)
        else:
            os.environ["RULES_ENGINE_ACCELERATOR"] = previous


def all_contenders(
    default_ruleset: Path | str = DEFAULT_RULESET, hints: dict[str, dict] | None = None
) -> list[Contender]:
    """Every contender; ``hints`` (event id -> before_send hint) are passed to the hooks."""
    hints = hints or {}
    return [
        ruleset_contender("default-ruleset", "rules-engine, rulesets/default.yaml", default_ruleset, hints),
        ruleset_contender("default-ruleset-pure-python",
                          "the same, pure Python (RULES_ENGINE_ACCELERATOR=off: no C module)",
                          default_ruleset, hints, accelerator="off"),
        ruleset_contender("default-ruleset-2026.11",
                          "the same on the 2026.11 packs (the 20-odd detectors before the catalogue)",
                          _on_earlier_packs(default_ruleset), hints),
        ruleset_contender(
            "filters-grouping-ruleset",
            "rules-engine, filters and grouping only (no scrub)",
            FILTERS_GROUPING_RULESET,
            hints,
        ),
        _walk_contender(),
        _deepcopy_contender(),
        _sdk_scrubber_contender(recursive=False),
        _sdk_scrubber_contender(recursive=True),
        _hand_written_contender(hints),
        *_relay_contenders(),
    ]
