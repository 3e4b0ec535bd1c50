"""Tag values are cut to Sentry's 200 characters *after* scrubbing: a secret cut in half first
could no longer be recognised (``[parameters: (...)]`` without its closing bracket), and its first
half would be sent."""

from __future__ import annotations

import sentry_sdk
import sqlalchemy

from rules_engine.capture import capture_events
from rules_engine.load.loader import load_model_from_text
from rules_engine.runtime.ruleset import Ruleset

#: Long enough that the secret after it straddles the 200th character of the message.
EMAIL = "customer.with.a.rather.long.address.number.42@shop-example.com"
RULES = """
format: 1
name: tagged
extends: [builtin:secure-defaults@2026.11]
grouping:
  - id: database
    when: {error.type: sqlalchemy.exc.IntegrityError}
    tags: {detail: "{{ error.value }}"}
"""


def test_a_secret_in_a_long_rendered_tag_is_scrubbed_before_the_value_is_cut():
    rules = Ruleset.from_loaded(load_model_from_text(RULES))
    engine = sqlalchemy.create_engine("sqlite://")
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text("CREATE TABLE users (email TEXT UNIQUE, api_secret TEXT)"))
    secret = "Qz7tagSecretValue"
    with capture_events(**rules.sentry_options()) as events:
        try:
            with engine.begin() as connection:
                for _ in range(2):
                    connection.execute(sqlalchemy.text("INSERT INTO users VALUES (:email, :secret)"),
                                       {"email": EMAIL, "secret": secret})
        except sqlalchemy.exc.IntegrityError as exc:
            sentry_sdk.capture_exception(exc)
    [event] = events
    detail = event["tags"]["detail"]
    assert "[parameters: " in detail and len(detail) <= 200
    assert "Qz7" not in detail and "customer.with" not in detail
