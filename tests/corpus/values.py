"""The secrets planted in the corpus and the useful values that must survive scrubbing.

Every planted value is unique and recognisable (most carry the marker ``Qz7``), so a plain
substring search over serialized output tells without ambiguity whether it leaked. Values with a
checksum (card, IBAN) are computed so their validators accept them; a detector that checks
Luhn or mod-97 must still find them.
"""

from __future__ import annotations

import base64
import json

MARKER = "Qz7"


def luhn_complete(partial_digits: str) -> str:
    """Append the Luhn check digit to ``partial_digits``."""
    total = 0
    for position, char in enumerate(reversed(partial_digits)):
        digit = int(char)
        if position % 2 == 0:  # these get doubled once the check digit is appended
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return partial_digits + str((10 - total % 10) % 10)


def iban_complete(country: str, bban: str) -> str:
    """Build an IBAN whose mod-97 check digits are valid."""
    rearranged = bban + country + "00"
    numeric = "".join(str(int(char, 36)) for char in rearranged)
    check = 98 - int(numeric) % 97
    return f"{country}{check:02d}{bban}"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _grouped(text: str, size: int = 4) -> str:
    return " ".join(text[i : i + size] for i in range(0, len(text), size))


def _exact(prefix: str, body: str, length: int, filler: str = "9876504321abcdefghij") -> str:
    """``prefix + body`` padded with ``filler`` to exactly ``length`` characters (a key format)."""
    token = prefix + body
    while len(token) < length:
        token += filler
    return token[:length]


# --------------------------------------------------------------------------- secrets by key name
BODY_PASSWORD = "Qz7-body-hunter2"
FORM_PASSWORD = "Qz7-form-letmein"
SESSION_COOKIE = "sess_Qz7c00kie4f9a"
FLASK_SESSION_COOKIE = "flask_Qz7sess0b1e"
API_KEY_HEADER = "xak_Qz7headerKey9931"
QUERY_TOKEN = "Qz7queryTok88"
CVV = "Qz7-cvv-913"

# --------------------------------------------------------------------------- secrets by detector
CARD_NUMBER = _grouped(luhn_complete("453970123456780"))  # Luhn-valid, with spaces
IBAN = iban_complete("DE", "370400440532019977")  # mod-97 valid
EMAIL_BODY = "dana.qz7@shop-example.com"
EMAIL_USER = "dana.qz7+user@shop-example.com"
EMAIL_LOG = "erin.qz7@shop-example.com"
EMAIL_SQL = "frank.qz7@shop-example.com"
IPV4 = "203.0.113.77"
IPV4_CLIENT = "198.51.100.23"
IPV6 = "2001:db8:7a7:12::77"
JWT = ".".join(
    [
        _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode()),
        _b64url(json.dumps({"sub": "qz7-user-8812", "scope": "orders:write"}, separators=(",", ":")).encode()),
        _b64url(b"Qz7-signature-bytes-for-a-jwt-token!"),
    ]
)
BEARER_TOKEN = "Qz7bearer.a1b2c3d4e5f6g7h8i9"
BASIC_CREDENTIALS = base64.b64encode(b"svc-reporter:Qz7basicPw!").decode()
URL_PASSWORD = "Qz7urlPass"
DATABASE_URL = f"postgresql://shop:{URL_PASSWORD}@db.internal:5432/shop"
CRUMB_URL_PASSWORD = "Qz7crumbPass"
CRUMB_API_KEY = "Qz7crumbApiKey"
CRUMB_URL = f"https://deploy:{CRUMB_URL_PASSWORD}@artifacts.example.com/v2/upload?api_key={CRUMB_API_KEY}"
PEM_BODY = "MIIEowIBAAKCAQEAqz7PrivateKeyMaterialDoNotLeak9876504321abcdefABCDEF"
PEM_PRIVATE_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\n" + PEM_BODY + "\nQz7moreKeyMaterialZZ==\n-----END RSA PRIVATE KEY-----"
)
AWS_ACCESS_KEY = "AKIAQZ7EXAMPLE4KEY23"
GITHUB_TOKEN = _exact("ghp_", "Qz7githubToken", 40)
SLACK_TOKEN = "xoxb-2648192051-4816204913-Qz7slackTokenAbcdEfgh"
STRIPE_KEY = _exact("sk_live_", "51Qz7StripeSecret", 40)
GOOGLE_API_KEY = _exact("AIza", "SyQz7googleApiKey-", 39, filler="98765_04321abcdefghijklmn")
OPENAI_KEY = _exact("sk-proj-", "Qz7openaiKey", 56)
FREE_TEXT_PASSWORD = "Qz7freeTextPw"
LOG_PASSWORD = "Qz7logPw!42"
SSN = "536-22-8741"
SQL_PARAM_SECRET = "Qz7sqlParamSecret"
SPAN_ACCESS_TOKEN = "Qz7spanAccessTok"

# --------------------------------------------------------------------------- values to keep
USER_AGENT = "shop-mobile/4.2.1 (Android 14; Pixel 8)"
USER_ID = "user-8812"
ORDER_ID = 12345
TOKEN_COUNT = 17
MAX_TOKENS = 256
AUTHORED_BY = "alice"
SESSIONS_TOTAL = 3
RELEASE_VERSION = "2.75.0"
RELEASE = f"shop-backend@{RELEASE_VERSION}"
REQUEST_UUID = "7f3c2a1e-9b4d-4e8a-a6f1-2c5d8e9b0a17"
