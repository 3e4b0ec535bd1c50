"""Pair dicts: a value whose key is named by a sibling field (``{"name": "DB_PASSWORD", "value": ...}``,
``{"Key": ..., "Value": ...}``, ``ParameterKey``/``ParameterValue`` ...) is decided by key rules
under that name, in real events from a real client: Kubernetes and ECS environment lists, a HAR
entry, AWS tags and SSM parameters in boto3's frames, CloudFormation and Elastic Beanstalk
settings. The secret goes, the names and every other pair stay, ``_meta`` says where, and both
engines give the same event."""

from __future__ import annotations

import functools
import json

import boto3
import pytest
import sentry_sdk
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from rules_engine.model import models
from rules_engine.scrub import accelerator_available, compile_scrubber
from rules_engine.scrub.pairs import (
    PAIR_NAMES,
    PAIR_VALUES,
    find_pairs_in_text,
    spellings,
)
from rules_engine.testing.capture import capture_events
from tests.corpus.planting import default_ruleset, processed_events

ENGINES = ["on", "off"] if accelerator_available() else ["off"]
#: Values named elsewhere and echoes are read, as the 2026.12 packs have them read.
READ_ALL = models.Options(named_values=True, echoes=True)

#: Secrets by name: the scenarios look them up, so no source line the SDK sends holds one.
SECRETS = {
    "db_password": "Xk9!mq2LpZ-pairs",
    "har_authorization": "Zq8dummyvalue-pairs",
    "har_token": "tok_abcdef123456-pairs",
    "har_cookie": "sess-7781-pairs-cookie",
    "har_query_key": "qk-5521-pairs",
    "tag_secret": "s3cr3tVALUE9-pairs",
    "cfn_password": "CfnPw-4410-pairs",
    "beanstalk_secret": "EbSecret-9931-pairs",
    "openapi_key": "oa-key-6617-pairs",
    "ssm_password": "Ssm-Pw-77Qq-pairs",
    "ec2_tag_secret": "Tag-Secret-88Zz-pairs",
    "local_env_token": "LocalTok-3382-pairs",
    "deep_extra": "DeepExtra-5120-pairs",
    "deep_local": "DeepLocal-6044-pairs",
}
#: Values that must survive: names, and the values of pairs whose name is harmless.
KEPT = ["DB_PASSWORD", "Authorization", "X-Custom-Token", "sessionid", "/app", ".shop.test", "LOG_LEVEL", "debug",
        "theme", "dark", "payments", "api_secret", "DbPassword", "InstanceType", "t3.small", "STRIPE_SECRET",
        "aws:elasticbeanstalk:application:environment", "/prod/db/password", "SecureString", "en-GB"]


def secret(name: str) -> str:
    return SECRETS[name]


def kubernetes_env() -> list:
    return [{"name": "DB_PASSWORD", "value": secret("db_password")}, {"name": "LOG_LEVEL", "value": "debug"},
            {"name": "DB_HOST", "valueFrom": {"configMapKeyRef": "db"}}]


def har_request() -> dict:
    """The parts of a HAR entry's request, each set as an extra of its own (sentry-sdk sends
    deeper values as their repr)."""
    return {"har_headers": [{"name": "Authorization", "value": secret("har_authorization")},
                            {"name": "X-Custom-Token", "value": secret("har_token")},
                            {"name": "Accept-Language", "value": "en-GB"}],
            "har_cookies": [{"name": "sessionid", "value": secret("har_cookie"), "path": "/app",
                             "domain": ".shop.test", "httpOnly": True, "secure": True},
                            {"name": "theme", "value": "dark", "path": "/"}],
            "har_query": [{"name": "api_key", "value": secret("har_query_key")}]}


def cloud_settings() -> dict:
    return {"tags": [{"Key": "api_secret", "Value": secret("tag_secret")}, {"Key": "team", "Value": "payments"}],
            "cloudformation": [{"ParameterKey": "DbPassword", "ParameterValue": secret("cfn_password")},
                               {"ParameterKey": "InstanceType", "ParameterValue": "t3.small"}],
            "beanstalk": [{"Namespace": "aws:elasticbeanstalk:application:environment",
                           "OptionName": "STRIPE_SECRET", "Value": secret("beanstalk_secret")}],
            "openapi": [{"name": "api_key", "in": "query", "value": secret("openapi_key")}]}


def deployment(password_name: str) -> dict:
    """A Kubernetes Deployment: its env list sits deeper than sentry-sdk walks, so the SDK sends
    the list (or a dict above it) as its repr, text holding the pair dicts."""
    return {"spec": {"template": {"spec": {"containers": [
        {"name": "web", "env": [{"name": "STRIPE_API_KEY", "value": secret(password_name)},
                                {"name": "LOG_LEVEL", "value": "debug"}]}]}}}}


def fail_with_local_env() -> None:
    env = [{"name": "GITHUB_TOKEN", "value": secret("local_env_token")}, {"name": "LOG_LEVEL", "value": "debug"}]
    manifest = deployment("deep_local")
    raise RuntimeError(f"deploy failed with {len(env)} variables and {len(manifest)} parts")


def boto3_calls() -> None:
    """Two real boto3 calls failing (botocore's Stubber answers): the parameters sit in the frames
    of botocore's ``_make_api_call`` as ``api_params``."""
    credentials = {"region_name": "eu-west-1", "aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "x"}
    ssm = boto3.client("ssm", **credentials)
    with Stubber(ssm) as stub:
        stub.add_client_error("put_parameter", "ParameterAlreadyExists")
        try:
            ssm.put_parameter(Name="/prod/db/password", Value=secret("ssm_password"), Type="SecureString")
        except ClientError:
            sentry_sdk.capture_exception()
    ec2 = boto3.client("ec2", **credentials)
    with Stubber(ec2) as stub:
        stub.add_client_error("create_tags", "UnauthorizedOperation")
        try:
            ec2.create_tags(Resources=["i-0abc"], Tags=[{"Key": "api_secret", "Value": secret("ec2_tag_secret")},
                                                        {"Key": "team", "Value": "payments"}])
        except ClientError:
            sentry_sdk.capture_exception()


def scenarios() -> None:
    """(A function of its own: the frames of the exceptions captured here hold no event.)"""
    with sentry_sdk.isolation_scope():
        sentry_sdk.set_extra("pod_env", kubernetes_env())
        sentry_sdk.set_extra("deployment", deployment("deep_extra"))
        for name, value in {**har_request(), **cloud_settings()}.items():
            sentry_sdk.set_extra(name, value)
        sentry_sdk.capture_message("deploy report")
    try:
        fail_with_local_env()
    except RuntimeError:
        sentry_sdk.capture_exception()
    boto3_calls()


@functools.lru_cache(maxsize=1)
def captured() -> tuple:
    with capture_events() as events:
        scenarios()
    return tuple(events)


@functools.lru_cache(maxsize=2)
def outputs(engine: str) -> list:
    return processed_events(default_ruleset(engine), captured())


def shown(value: str) -> set[str]:
    """How a value shows in an event: itself, and repr'd (frame variables)."""
    return {value, repr(value)}


def test_the_captured_events_hold_every_secret_and_kept_value():
    # The check below could fail: what it looks for is there before scrubbing.
    text = json.dumps(captured())
    assert all(value in text for value in SECRETS.values())
    assert all(value in text for value in KEPT)
    # the deep env lists arrive as repr text, not as dicts
    assert f"{{'name': 'STRIPE_API_KEY', 'value': '{secret('deep_extra')}'}}" in text
    assert f"{{'name': 'STRIPE_API_KEY', 'value': '{secret('deep_local')}'}}" in text


@pytest.mark.parametrize("engine", ENGINES)
def test_no_secret_named_by_a_sibling_is_sent(engine):
    text = json.dumps(outputs(engine))
    assert [name for name, value in SECRETS.items() if value in text] == []


@pytest.mark.parametrize("engine", ENGINES)
def test_pair_dicts_written_as_text(engine):
    # (Keys inside text also read "'STRIPE_API_KEY', 'value'" as a (key, value) tuple: the
    # field's own name goes too.)
    text = json.dumps(outputs(engine))
    assert secret("deep_extra") not in text and secret("deep_local") not in text
    assert text.count("{'name': 'STRIPE_API_KEY', '[Filtered]': '[Filtered]'}") == 2
    assert text.count("{'name': 'LOG_LEVEL', 'value': 'debug'}") == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_names_and_harmless_pairs_stay(engine):
    text = json.dumps(outputs(engine))
    assert [value for value in KEPT if value not in text] == []
    extra = outputs(engine)[0]["extra"]
    assert extra["har_cookies"] == [
        {"name": "sessionid", "value": "[Filtered]", "path": "/app", "domain": ".shop.test", "httpOnly": True,
         "secure": True},
        {"name": "theme", "value": "dark", "path": "/"}]
    assert extra["cloudformation"][1] == {"ParameterKey": "InstanceType", "ParameterValue": "t3.small"}
    assert extra["pod_env"][1:] == [{"name": "LOG_LEVEL", "value": "debug"},
                                    {"name": "DB_HOST", "valueFrom": {"configMapKeyRef": "db"}}]


@pytest.mark.parametrize("engine", ENGINES)
def test_meta_names_the_rule_at_the_values_path(engine):
    event = outputs(engine)[0]
    meta = event["_meta"]["extra"]
    remark = {"": {"rem": [["secret-keys", "s", 0, 10]], "len": len(secret("db_password"))}}
    assert meta["pod_env"] == {"0": {"value": remark}}
    assert set(meta["har_headers"]) == {"0", "1"}
    assert meta["beanstalk"]["0"]["Value"][""]["rem"] == [["secret-keys", "s", 0, 10]]
    assert meta["cloudformation"] == {"0": {"ParameterValue": {"": {"rem": [["secret-keys", "s", 0, 10]],
                                                                   "len": len(secret("cfn_password"))}}}}


@pytest.mark.parametrize("engine", ENGINES)
def test_boto3_parameters_in_frames(engine):
    for event in outputs(engine)[2:]:
        frames = event["exception"]["values"][-1]["stacktrace"]["frames"]
        (index, frame), = [(i, f) for i, f in enumerate(frames) if f["function"] == "_make_api_call"]
        params = frame["vars"]["api_params"]
        meta = event["_meta"]["exception"]["values"]["0"]["stacktrace"]["frames"][str(index)]["vars"]["api_params"]
        if "Tags" in params:
            assert params["Tags"] == [{"Key": "'api_secret'", "Value": "[Filtered]"},
                                      {"Key": "'team'", "Value": "'payments'"}]
            assert list(meta["Tags"]) == ["0"]
        else:  # SSM's put_parameter: one pair dict with Name, Value and Type
            assert params == {"Name": "'/prod/db/password'", "Value": "[Filtered]", "Type": "'SecureString'"}
            assert list(meta) == ["Value"]


@pytest.mark.skipif(len(ENGINES) < 2, reason="the C walk is not built")
def test_both_engines_give_the_same_events():
    assert outputs("on") == outputs("off")


# ---------------------------------------------------------------- the definition


def test_field_spellings():
    assert {"name", "Name", "NAME", "key", "Key", "ParameterKey", "parameterKey", "parameterkey",
            "OptionName", "optionName"} <= PAIR_NAMES
    assert {"value", "Value", "VALUE", "values", "Values", "ParameterValue", "secureValue"} <= PAIR_VALUES
    assert "nAmE" not in PAIR_NAMES and "valueFrom" not in PAIR_VALUES
    assert spellings(["ab"]) == {"ab", "AB", "Ab"}


RULES = models.Scrub.model_validate({
    "allow": ["extra.public.*.value"],
    "rules": [{"id": "keys", "keys": ["*password*", "*token"]},
              {"id": "scoped", "keys": ["pin"], "in": ["extra.cards"]},
              {"id": "gone", "keys": ["ssn"], "redact": "remove"},
              {"id": "mail", "detect": ["email"]}]})


def scrubbed(event: dict, engine: str) -> tuple[dict, dict]:
    scrubber = compile_scrubber(RULES, READ_ALL, None, accelerator=engine)
    counts = scrubber.scrub_event(event)
    return event, counts


@pytest.mark.parametrize("engine", ENGINES)
def test_selectors_step_the_values_real_path(engine):
    event, counts = scrubbed({"extra": {
        "public": [{"name": "password", "value": "kept by allow"}],
        "cards": [{"name": "PIN", "value": "1234"}], "other": [{"name": "pin", "value": "5678"}]}}, engine)
    assert event["extra"]["public"] == [{"name": "password", "value": "kept by allow"}]
    assert event["extra"]["cards"] == [{"name": "PIN", "value": "[Filtered]"}]
    assert event["extra"]["other"] == [{"name": "pin", "value": "5678"}]
    assert counts == {"scoped": 1}


@pytest.mark.parametrize("engine", ENGINES)
def test_first_rule_among_all_names_and_the_field_itself(engine):
    event, counts = scrubbed({"extra": {
        "both": {"key": "ssn", "name": "password", "value": "x1"},  # keys comes first in the ruleset
        "removed": {"name": "SSN", "values": ["123-45-6789", "a@b.example"]},
        "own": {"name": "comment", "password": "x2"},
        "text": {"name": "contact", "value": "write to a@b.example"}}}, engine)
    assert event["extra"]["both"] == {"key": "ssn", "name": "password", "value": "[Filtered]"}
    assert event["extra"]["removed"] == {"name": "SSN"}
    assert event["extra"]["own"] == {"name": "comment", "password": "[Filtered]"}
    assert event["extra"]["text"] == {"name": "contact", "value": "write to [Filtered]"}  # the exact pass ran
    assert event["_meta"]["extra"]["removed"] == {"values": {"": {"rem": [["gone", "x"]]}}}
    assert counts == {"keys": 2, "gone": 1, "mail": 1, "mail/email": 1}


@pytest.mark.parametrize("engine", ENGINES)
def test_containers_under_a_sensitive_name_are_redacted_leaf_by_leaf(engine):
    event, _ = scrubbed({"extra": {"env": [{"Name": "db_password", "Values": ["a", {"b": "c", "n": 1}], "Type": "x"}]}},
                        engine)
    assert event["extra"]["env"] == [{"Name": "db_password", "Values": ["[Filtered]", {"b": "[Filtered]",
                                                                                        "n": "[Filtered]"}],
                                      "Type": "x"}]


def values_in_text(text: str) -> list[str]:
    decide = lambda name: int(any(word in name.lower() for word in ("password", "token", "secret")))
    return [text[start:end] for start, end, _ in find_pairs_in_text(text, decide)]


@pytest.mark.parametrize("text, expected", [
    ("{'name': 'DB_PASSWORD', 'value': 'x1', 'path': '/'}", ["x1"]),
    ('[{"name": "X-Token", "value": "x2"}, {"name": "Accept", "value": "*/*"}]', ["x2"]),
    ("{'Key': 'api_secret', 'Value': 's3'}, {'Key': 'team', 'Value': 'payments'}", ["s3"]),
    ("{'value': ['a', {'b': 1}], 'name': 'db_password', 'path': '/'}", ["'a', {'b': 1}"]),  # value first, a list
    ("{'name': 'pin_token', 'values': 1234, 'NAME': 'plain'}", ["1234"]),  # a bare value, two names
    ("{'a': {'name': 'x_token', 'value': {'k': 'v'}}, 'value': 'kept'}", ["'k': 'v'"]),  # the inner dict only
    ("{'name': 'it\\'s a token', 'value': 'q'}", ["q"]),  # an escaped quote in the name
    ("{'name': 'DB_PASSWORD', 'value': 'cut sho", ["cut sho"]),  # cut short: to the end
    ("{'name': 7, 'value': 'kept'} {'name': 'LOG_LEVEL', 'value': 'kept'} {'password': 'not a pair'}", []),
    ("format {} and {name} and {'value': 1}", []),
])
def test_pair_dicts_inside_text(text, expected):
    assert values_in_text(text) == expected


def test_hostile_dict_texts_end():
    texts = ["{" * 100_000, "[{'name': 'token', 'value': '" + "\\" * 50_000,
             "{'name': 'token', 'value': " + "{" * 50_000,
             "}]" * 50_000 + "{'name': 'token', 'value': 'x'}"]
    for text in texts:
        assert all(0 <= start <= end <= len(text) for start, end, _ in
                   find_pairs_in_text(text, lambda name: int("token" in name)))
    assert values_in_text(texts[3]) == ["x"]
