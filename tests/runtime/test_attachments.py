"""Attachments (``scope.add_attachment``) leave scrubbed or not at all: a real client sends the
envelope, and the attachments are read back from the bytes the transport would send."""

from __future__ import annotations

import copy

import pytest
import sentry_sdk
from sentry_sdk.envelope import Envelope

from rules_engine.load.loader import load_model_from_text
from rules_engine.runtime.ruleset import Ruleset
from rules_engine.scrub import accelerator_available
from rules_engine.testing.capture import capture_transport
from tests.corpus.planting import default_ruleset

ENGINES = ["on", "off"] if accelerator_available() else ["off"]
#: Secrets by name: the scenarios look them up, so no source line the SDK sends holds one.
SECRETS = {"password": "Att4-opaque-password-7713", "stripe": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
           "file_token": "Att9-opaque-file-token-2290"}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


def secret(name: str) -> str:
    return SECRETS[name]


def fail_with_attachments(tmp_path) -> None:
    """An error captured with a config dump, a log (which repeats the frame's password without a
    key), a screenshot, a file on disk and a lazily made report attached."""
    password = secret("password")
    config = f"DB_PASSWORD={password}\nSTRIPE_KEY: {secret('stripe')}\nREGION=eu-west-1\n"
    log = f"12:00:01 connecting as shop with {password}\n12:00:02 refused\n"
    on_disk = tmp_path / "worker.env"
    on_disk.write_text(f"API_TOKEN={secret('file_token')}\nWORKERS=4\n")
    with sentry_sdk.new_scope() as scope:
        scope.add_attachment(bytes=config.encode(), filename="settings.env")
        scope.add_attachment(bytes=log.encode(), filename="connect.log", content_type="text/plain")
        scope.add_attachment(bytes=PNG, filename="screen.png")
        scope.add_attachment(path=str(on_disk))
        scope.add_attachment(bytes=lambda: b"report: all green", filename="report.txt")
        try:
            raise ConnectionError("database refused the connection")
        except ConnectionError:
            sentry_sdk.capture_exception()


def sent_attachments(ruleset: Ruleset, scenario, **options) -> tuple[list[dict], dict[str, bytes]]:
    """The events and the attachments (filename -> bytes) a client with ``ruleset``'s hooks sends."""
    with capture_transport(before_send=ruleset.before_send,
                           before_send_transaction=ruleset.before_send_transaction, **options) as sent:
        scenario()
    files = {}
    for wire in sent.wire:
        for item in Envelope.deserialize(wire).items:
            if item.type == "attachment":
                files[item.headers["filename"]] = item.payload.get_bytes()
    return sent.events, files


def ruleset_with(options: str) -> Ruleset:
    text = f"format: 1\nname: shop\nextends: ['builtin:secure-defaults@2026.12']\noptions: {{{options}}}\n"
    return Ruleset.from_loaded(load_model_from_text(text, "shop.yaml"))


@pytest.mark.parametrize("engine", ENGINES)
def test_text_attachments_leave_scrubbed_and_others_do_not_leave(engine, tmp_path):
    ruleset = default_ruleset(engine)
    before = copy.deepcopy(ruleset.stats()["attachments_dropped"])
    [event], files = sent_attachments(ruleset, lambda: fail_with_attachments(tmp_path))
    assert set(files) == {"settings.env", "connect.log", "worker.env", "report.txt"}
    assert files["settings.env"] == b"DB_PASSWORD=[Filtered]\nSTRIPE_KEY: [Filtered]\nREGION=eu-west-1\n"
    assert files["connect.log"] == b"12:00:01 connecting as shop with [Filtered]\n12:00:02 refused\n"  # an echo
    assert files["worker.env"] == b"API_TOKEN=[Filtered]\nWORKERS=4\n"
    assert files["report.txt"] == b"report: all green"
    assert "attachments" not in event and "attachments" not in event.get("_meta", {})
    dropped = ruleset.stats()["attachments_dropped"]
    assert dropped.get("not_text", 0) - before.get("not_text", 0) == 1  # the screenshot
    assert not any(value.encode() in b"".join(files.values()) for value in SECRETS.values())


@pytest.mark.parametrize("engine", ENGINES)
def test_a_secret_of_an_attachment_is_an_echo_in_the_event(engine, tmp_path):
    def scenario():
        with sentry_sdk.new_scope() as scope:
            scope.add_attachment(bytes=f"password: {secret('password')}\n".encode(), filename="dump.yaml")
            sentry_sdk.capture_message(f"login for shop failed with {secret('password')}")

    [event], files = sent_attachments(default_ruleset(engine), scenario)
    assert files["dump.yaml"] == b"password: [Filtered]\n"
    assert event["message"] == "login for shop failed with [Filtered]"


def test_keep_sends_every_attachment_as_it_is_and_drop_sends_none(tmp_path):
    _, kept = sent_attachments(ruleset_with("attachments: keep"), lambda: fail_with_attachments(tmp_path))
    assert kept["screen.png"] == PNG and secret("password").encode() in kept["settings.env"]
    dropping = ruleset_with("attachments: drop")
    [event], none = sent_attachments(dropping, lambda: fail_with_attachments(tmp_path))
    assert none == {} and event["exception"]["values"][0]["type"] == "ConnectionError"
    assert dropping.stats()["attachments_dropped"] == {"dropped": 5}


def test_an_attachment_larger_than_the_limit_or_unreadable_is_dropped(tmp_path):
    ruleset = ruleset_with("limits: {max_attachment_bytes: 40}")

    def scenario():
        with sentry_sdk.new_scope() as scope:
            scope.add_attachment(bytes=b"x" * 41, filename="big.txt")
            scope.add_attachment(bytes=b"y" * 40, filename="small.txt")
            scope.add_attachment(path=str(tmp_path / "gone.log"))
            sentry_sdk.capture_message("with files")

    _, files = sent_attachments(ruleset, scenario)
    assert files == {"small.txt": b"y" * 40}
    assert ruleset.stats()["attachments_dropped"] == {"too_large": 1, "unreadable": 1}


def test_allow_and_in_name_an_attachment_by_its_path(tmp_path):
    text = ("format: 1\nname: shop\noptions: {attachments: scrub}\nscrub:\n  allow: ['attachments.*.text']\n"
            "  rules:\n    - id: keys\n      keys: ['*password*']\n")
    ruleset = Ruleset.from_loaded(load_model_from_text(text, "shop.yaml"))
    _, files = sent_attachments(ruleset, lambda: fail_with_attachments(tmp_path))
    assert secret("password").encode() in files["settings.env"]  # allowed: as it is
    assert "screen.png" not in files  # allow keeps a text as it is; it reads no binary


def test_a_failed_scrub_sends_no_attachment(tmp_path):
    ruleset = ruleset_with("on_error: send_filtered, limits: {max_nodes: 5}")
    events, files = sent_attachments(ruleset, lambda: fail_with_attachments(tmp_path))
    assert files == {} and ruleset.stats()["attachments_dropped"]["scrub_failed"] == 4
    assert [event["exception"]["values"][0]["value"] for event in events] == ["[Filtered]"]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_transactions_attachment_is_scrubbed_and_the_scopes_stays_as_it_was(engine):
    body = f"token={secret('file_token')}\n".encode()

    def scenario():
        with sentry_sdk.new_scope() as scope:
            scope.add_attachment(bytes=body, filename="request.txt", add_to_transactions=True)
            with sentry_sdk.start_transaction(name="checkout"):
                pass
            assert scope._attachments[0].bytes == body  # the scope's own is untouched
            sentry_sdk.capture_message("after checkout")

    events, files = sent_attachments(default_ruleset(engine), scenario, traces_sample_rate=1.0)
    assert [event.get("type") for event in events] == ["transaction", None]
    assert files == {"request.txt": b"token=[Filtered]\n"}
