"""A small Flask admin app: a login form whose handler fails after reading the form."""

from __future__ import annotations

import logging

from flask import Flask, request

from tests.corpus import values


class AccountLocked(Exception):
    """The account may not sign in right now."""


def verify_login(username: str, password: str) -> None:
    deploy_note = f"admin build cloned with {values.GITHUB_TOKEN}"  # noqa: F841 (a local the SDK captures)
    attempts = {"username": username, "sessions_total": values.SESSIONS_TOTAL, "authored_by": values.AUTHORED_BY}  # noqa: F841
    raise AccountLocked(f"account {username} locked after 5 attempts")


def create_app() -> Flask:
    # A handler of our own keeps Flask from printing tracebacks to stderr; Sentry still gets them.
    logging.getLogger("shop_admin").addHandler(logging.NullHandler())
    app = Flask("shop_admin")

    @app.post("/login")
    def login():
        form = request.form
        verify_login(form["username"], form["password"])
        return "ok"

    return app
