"""Values a frame names in another variable or item, and text in a pair's name, in real events from
a real client: a crash inside a loop over a dict's items (``for k, v in settings.items()``,
``for column, value in zip(columns, row)``, ``for attr in vars(config)``) sends the frame's loop
variables, the name in one and the value in the other; ``for item in settings.items()`` and
``parts = line.split("=", 1)`` send a lone pair, a list of two whose first item names the second;
a list of ``(url, status)`` tuples is a list of ``[name, value]`` pairs whose names hold URLs. The secrets go, the names and harmless
values stay, ``_meta`` says where, and both engines give the same events."""

from __future__ import annotations

import functools
import io
import json

import pytest
import sentry_sdk

from rules_engine.scrub import accelerator_available
from rules_engine.testing.capture import capture_events
from tests.corpus.planting import default_ruleset, processed_events

ENGINES = ["on", "off"] if accelerator_available() else ["off"]

#: Secrets by name: the scenarios look them up, so no source line the SDK sends holds one.
SECRETS = {
    "k_v": "LoopKv-Pw-7731",
    "key_val": "LoopKeyVal-Tok-2291",
    "column_value": "LoopColumn-Pw-5521",
    "attr_value": "LoopAttr-Secret-8812",
    "option_value": "LoopOption-Key-3390",
    "loop_item": "LoopItem-Pw-6642",
    "split_line": "SplitLine-Tok-1123",
    "url_in_pair_name": "PairUrlPw-6617",
    "bearer_in_pair_name": "PairBearer-Tok-4471zq",
}
#: Values that must survive: the names the loop variables hold (a local named ``key`` is redacted
#: whole by the secure defaults), a harmless pair, a URL's path.
KEPT = ["'password'", "'secret_key'", "'signing_key'", "'db_password'", "'auth_token'", "'region'", "'eu-west-1'",
        "/health"]


def secret(name: str) -> str:
    return SECRETS[name]


def check_settings(settings: dict) -> None:
    for k, v in settings.items():
        if k == "password" and len(v) > 8:
            raise ValueError("a setting failed its check")


def check_tokens(settings: dict) -> None:
    for key, val in settings.items():
        if key == "api_token":
            raise ValueError("a token failed its check")


def insert_row(columns: list, row: tuple) -> None:
    for column, value in zip(columns, row):
        if column == "password":
            raise ValueError("a column failed its check")


def check_items(load_settings) -> None:
    """(The settings come from a call, so no frame holds the dict: only the loop's item names the
    value.)"""
    for item in load_settings().items():
        if item[0] == "db_password":
            raise ValueError("a setting failed its check")


def parse_config(handle) -> dict:
    """(Lines are read from a file object, so no frame holds the line: only the split names the
    value.)"""
    parsed = {}
    while parts := handle.readline().rstrip("\n").split("=", 1):
        if parts[0] == "auth_token" and not parts[1].startswith("tok_"):
            raise ValueError(f"setting {len(parsed) + 1} is malformed")
        parsed[parts[0]] = parts[1]
    return parsed


class Config:
    def __init__(self, **fields):
        self.__dict__.update(fields)


def dump_config(config: Config) -> None:
    for attr in sorted(vars(config)):
        value = getattr(config, attr)
        if attr == "secret_key":
            raise ValueError(f"cannot dump {attr} of length {len(value)}")


def apply_options(options: dict) -> None:
    for option, value in options.items():
        if option == "signing_key":
            raise ValueError("an option failed its check")


def probe_urls() -> None:
    checked = [(f"https://probe:{secret('url_in_pair_name')}@db.internal/health", 503),
               (f"Authorization: Bearer {secret('bearer_in_pair_name')}", 401), ("region", "eu-west-1")]
    raise ConnectionError(f"{len(checked)} probes failed")


def scenarios() -> None:
    """(A function of its own: the frames of the exceptions captured here hold no event.)"""
    failing = [
        lambda: check_settings({"timeout": 3, "password": secret("k_v"), "retries": 2}),
        lambda: check_tokens({"region": "eu-west-1", "api_token": secret("key_val")}),
        lambda: insert_row(["name", "password"], ("ann", secret("column_value"))),
        lambda: dump_config(Config(region="eu-west-1", secret_key=secret("attr_value"))),
        lambda: apply_options({"timeout": 3, "signing_key": secret("option_value")}),
        lambda: check_items(lambda: {"region": "eu-west-1", "db_password": secret("loop_item")}),
        lambda: parse_config(io.StringIO("region=eu-west-1\nauth_token=" + secret("split_line") + "\n")),
        probe_urls,
    ]
    for fail in failing:
        try:
            fail()
        except Exception:
            sentry_sdk.capture_exception()


@functools.lru_cache(maxsize=1)
def captured() -> tuple:
    with capture_events() as events:
        scenarios()
    return tuple(events)


@functools.lru_cache(maxsize=2)
def outputs(engine: str) -> list:
    return processed_events(default_ruleset(engine), captured())


def last_frame_vars(event: dict) -> dict:
    return event["exception"]["values"][-1]["stacktrace"]["frames"][-1]["vars"]


def test_the_captured_events_hold_every_secret_and_kept_value():
    # The checks below could fail: what they look for is there before scrubbing.
    text = json.dumps(captured())
    assert all(value in text for value in SECRETS.values())
    assert all(json.dumps(value)[1:-1] in text for value in KEPT)
    first = last_frame_vars(captured()[0])
    assert first["k"] == "'password'" and first["v"] == f"'{secret('k_v')}'"
    assert last_frame_vars(captured()[-1])["checked"][0][0].startswith("'https://probe:")


@pytest.mark.parametrize("engine", ENGINES)
def test_no_secret_named_by_a_loop_variable_or_held_in_a_pair_name_is_sent(engine):
    text = json.dumps(outputs(engine))
    assert [name for name, value in SECRETS.items() if value in text] == []


@pytest.mark.parametrize("engine", ENGINES)
def test_names_and_harmless_values_stay(engine):
    text = json.dumps(outputs(engine))
    assert [value for value in KEPT if json.dumps(value)[1:-1] not in text] == []
    probes = last_frame_vars(outputs(engine)[-1])["checked"]
    assert probes[2] == ["'region'", "'eu-west-1'"]  # a pair no rule names, and no secret in its name
    assert probes[0][1] == "503"


@pytest.mark.parametrize("engine", ENGINES)
def test_meta_names_the_redaction_at_the_pair_names_place(engine):
    event = outputs(engine)[-1]
    frames = event["exception"]["values"][-1]["stacktrace"]["frames"]
    url_name = last_frame_vars(event)["checked"][0][0]
    assert url_name.startswith("'https://") and url_name.endswith("/health'")
    meta = event["_meta"]["exception"]["values"][str(len(event["exception"]["values"]) - 1)]["stacktrace"]["frames"]
    remarks = meta[str(len(frames) - 1)]["vars"]["checked"]["0"]["0"][""]["rem"]
    assert len(remarks) == 1 and url_name[remarks[0][2]: remarks[0][3]] == "[Filtered]"


def test_both_engines_give_the_same_events():
    if len(ENGINES) < 2:
        pytest.skip("the C module was not built here: one engine only")
    assert outputs("on") == outputs("off")
