"""A small FastAPI shop backend whose handlers fail the way real ones do.

The app is built by :func:`create_app` *after* ``sentry_sdk.init`` so the FastAPI integration
wraps its routes. Secrets reach locals, messages and spans through :mod:`values` names, never as
literals, so the source context lines the SDK captures do not repeat them.
"""

from __future__ import annotations

import httpx
import sqlalchemy
from fastapi import FastAPI, HTTPException, Request

from tests.corpus import values


class PaymentDeclined(Exception):
    """The payment provider refused the charge."""


def _partner_transport(request: httpx.Request) -> httpx.Response:
    """Stands in for the network: the HTTPX integration records the call either way."""
    return httpx.Response(200, json={"ok": True})


def charge_card(payment: dict, customer_email: str) -> None:
    stripe_credential_line = f"stripe.api_key={values.STRIPE_KEY}"  # noqa: F841 (locals the SDK captures)
    payout = {"account": values.IBAN, "amount_cents": 12_000, "currency": "EUR"}  # noqa: F841
    database_url = values.DATABASE_URL  # noqa: F841
    raise PaymentDeclined(
        f"card declined for {customer_email} from {values.IPV4} (retry with password={values.FREE_TEXT_PASSWORD})"
    )


def create_app() -> FastAPI:
    app = FastAPI(title="shop-api")

    @app.post("/api/orders/{order_id}/checkout")
    async def checkout_order(order_id: int, request: Request):
        body = await request.json()
        scope = request.scope  # noqa: F841
        payment = {"card": body["card"], "cvv": values.CVV, "token_count": body["token_count"]}
        charge_card(payment, body["email"])

    @app.get("/api/items/{item_id}")
    async def get_item(item_id: int):
        raise HTTPException(status_code=404, detail=f"item {item_id} not found")

    @app.get("/health")
    async def health():
        return {"status": "ok"}

    @app.get("/api/reports/daily")
    def daily_report():
        engine = sqlalchemy.create_engine("sqlite://")
        with engine.connect() as connection:
            # A literal in the SQL text, as ad-hoc queries often have: db spans carry it.
            connection.execute(sqlalchemy.text(f"SELECT '{values.EMAIL_SQL}' AS customer, 3 AS orders"))
        with httpx.Client(transport=httpx.MockTransport(_partner_transport)) as client:
            client.get(f"https://partner.example.com/v1/settlements?access_token={values.SPAN_ACCESS_TOKEN}&day=1")
            client.get(f"https://maps.googleapis.com/maps/api/geocode/json?address=Berlin&key={values.GOOGLE_API_KEY}")
        return {"orders": 3}

    return app
