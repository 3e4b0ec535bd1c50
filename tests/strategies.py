"""Hypothesis strategies: Sentry events (realistic and hostile), hints, secrets and rulesets.

Realistic events follow the shapes sentry-sdk 2.x hands to ``before_send`` after its own
serialisation (frame vars are ``repr`` strings, headers are dicts or ``[name, value]`` pairs, tags
are dicts or pairs). Hostile events put wrong types, bytes, NaN, huge strings, deep nesting, cycles,
non-string keys and objects whose dunder methods raise anywhere a value can go.

Secrets are generated *valid* for their detector (Luhn-correct card numbers, mod-97-correct IBANs,
JWTs with a JSON header ...), so a detector that validates cannot excuse itself.

Rulesets are generated as plain documents built from the condition vocabulary in
:mod:`rules_engine.conditions.syntax` and the models in :mod:`rules_engine.model.models`.
"""

from __future__ import annotations

import base64
import json
import math
import string
import sys
from dataclasses import dataclass

from hypothesis import strategies as st

from rules_engine.model import models
from rules_engine.detection import catalogue

# --------------------------------------------------------------------------- small building blocks

LOWER = string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
WORDS = ["user", "order", "cart", "payment", "session", "checkout", "db", "cache", "api", "worker",
         "timeout", "connection", "refused", "invalid", "missing", "value", "item", "report"]

words = st.sampled_from(WORDS)
sentence = st.lists(words, min_size=1, max_size=6).map(" ".join)
# The alphabet includes "0": Hypothesis shrinks characters towards "0", and an alphabet of several
# ranges without it can crash the shrinker.
identifier = st.text(LOWER + string.digits + "_", min_size=1, max_size=10).filter(lambda s: s.strip("_"))
module_name = st.lists(identifier, min_size=1, max_size=3).map(".".join)
type_name = st.sampled_from(["ValueError", "KeyError", "TimeoutError", "OperationalError",
                             "HTTPException", "RuntimeError", "ZeroDivisionError", "ConnectionError"])
levels = st.sampled_from(["fatal", "error", "warning", "info", "debug"])
timestamps = st.floats(min_value=1.6e9, max_value=1.9e9, allow_nan=False)
#: Text that any JSON encoder accepts (no lone surrogates).
json_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


def tokens(alphabet: str, size: int) -> st.SearchStrategy[str]:
    """Fixed-size strings over ``alphabet`` (drawn per character, so any alphabet shrinks safely)."""
    return st.lists(st.sampled_from(alphabet), min_size=size, max_size=size).map("".join)


# --------------------------------------------------------------------------- realistic events


#: Source lines where a key names a secret: its value code (kept when source lines are read as
#: code), a literal, or no code at all (a comment, a string's text).
_SOURCE_KEYS = st.sampled_from(["password", "api_key", "token", "db_secret", "name"])
_SOURCE_VALUES = st.sampled_from([
    "get_password()", "self.password", "settings.API_KEY", 'os.environ["API_KEY"]', "pw2", "None",
    "user or default", '"hunter2-abc"', "b'hunter2-abc'", "12345", 'f"{user}:x"', 'rb"x"', "lambda: 1",
    '{"region": region}', "(a, b)", "load(", "f(token=\"abc\")",
])
_SOURCE_SHAPES = st.sampled_from(["{k} = {v}", "{k}={v},", '{{"{k}": {v}}}', "x = f({k}={v})", "# {k}: {v}",
                                  "'{k}={v}'", "f\"{k}={{{v}}}\"", "def f({k}: {v}) -> None:"])
source_line = st.one_of(
    sentence,
    st.builds(lambda shape, key, value: shape.format(k=key, v=value), _SOURCE_SHAPES, _SOURCE_KEYS, _SOURCE_VALUES),
).map(lambda line: "    " + line)


@st.composite
def frames(draw) -> dict:
    module = draw(module_name)
    frame = {
        "filename": module.replace(".", "/") + ".py",
        "abs_path": "/srv/app/" + module.replace(".", "/") + draw(st.sampled_from([".py", ".py", ".html"])),
        "function": draw(identifier),
        "module": module,
        "lineno": draw(st.integers(1, 5000)),
        "in_app": draw(st.booleans()),
        "context_line": draw(source_line),
    }
    if draw(st.booleans()):
        frame["pre_context"] = draw(st.lists(source_line, max_size=2))
    if draw(st.booleans()):
        frame["vars"] = draw(st.dictionaries(identifier, frame_var_repr(), max_size=4))
    return frame


@st.composite
def frame_var_repr(draw) -> str:
    """What sentry-sdk's serialiser makes of a local variable: a ``repr`` string."""
    kind = draw(st.sampled_from(["str", "int", "dict", "list", "obj"]))
    if kind == "str":
        return repr(draw(sentence))
    if kind == "int":
        return repr(draw(st.integers()))
    if kind == "dict":
        return repr(draw(st.dictionaries(identifier, sentence, max_size=3)))
    if kind == "list":
        return repr(draw(st.lists(sentence, max_size=3)))
    return f"<{draw(type_name)} object at 0x{draw(st.integers(0, 2**48)):x}>"


@st.composite
def exceptions(draw) -> dict:
    exc = {"type": draw(type_name), "value": draw(sentence)}
    if draw(st.booleans()):
        exc["module"] = draw(module_name)
    if draw(st.booleans()):
        exc["mechanism"] = {"type": draw(st.sampled_from(["generic", "logging", "fastapi", "flask"])),
                            "handled": draw(st.booleans())}
    if draw(st.booleans()):
        exc["stacktrace"] = {"frames": draw(st.lists(frames(), min_size=1, max_size=4))}
    return exc


def header_values() -> st.SearchStrategy[str]:
    return st.one_of(sentence, st.sampled_from(["application/json", "text/html", "Mozilla/5.0"]))


@st.composite
def requests(draw) -> dict:
    header_names = st.sampled_from(["Content-Type", "User-Agent", "Accept", "X-Request-Id", "Host"])
    headers = draw(st.dictionaries(header_names, header_values(), max_size=4))
    request = {
        "method": draw(st.sampled_from(["GET", "POST", "PUT", "DELETE"])),
        "url": "https://example.com/" + "/".join(draw(st.lists(identifier, max_size=3))),
        "headers": list(map(list, headers.items())) if draw(st.booleans()) else headers,
    }
    if draw(st.booleans()):
        request["query_string"] = "&".join(f"{k}={v}" for k, v in draw(
            st.dictionaries(identifier, identifier, max_size=3)).items())
    if draw(st.booleans()):
        request["data"] = draw(st.one_of(st.dictionaries(identifier, sentence, max_size=3), sentence))
    if draw(st.booleans()):
        request["cookies"] = draw(st.dictionaries(identifier, identifier, max_size=2))
    return request


@st.composite
def breadcrumbs(draw) -> dict:
    crumb = {
        "type": draw(st.sampled_from(["default", "http", "query", "navigation"])),
        "category": draw(st.sampled_from(["httplib", "query", "redis", "logging", "ui.click"])),
        "level": draw(levels),
        "timestamp": draw(timestamps),
    }
    if draw(st.booleans()):
        crumb["message"] = draw(sentence)
    if draw(st.booleans()):
        crumb["data"] = draw(st.dictionaries(identifier, st.one_of(sentence, st.integers(100, 599)), max_size=3))
    return crumb


@st.composite
def spans(draw) -> dict:
    start = draw(timestamps)
    return {
        "span_id": draw(tokens("0123456789abcdef", 16)),
        "trace_id": draw(tokens("0123456789abcdef", 32)),
        "op": draw(st.sampled_from(["db", "http.client", "cache.get", "function"])),
        "description": draw(sentence),
        "start_timestamp": start,
        "timestamp": start + draw(st.floats(0, 30, allow_nan=False)),
        "data": draw(st.dictionaries(identifier, sentence, max_size=2)),
    }


def tags_shape(tags: dict, as_pairs: bool):
    return [[k, v] for k, v in tags.items()] if as_pairs else tags


@st.composite
def error_events(draw) -> dict:
    """An error or message event as sentry-sdk hands it to ``before_send``."""
    event: dict = {
        "event_id": draw(tokens("0123456789abcdef", 32)),
        "level": draw(levels),
        "platform": "python",
        "timestamp": draw(timestamps),
        "environment": draw(st.sampled_from(["production", "staging"])),
        "release": "app@" + str(draw(st.integers(1, 99))),
        "server_name": draw(identifier),
    }
    if draw(st.booleans()):
        event["exception"] = {"values": draw(st.lists(exceptions(), min_size=1, max_size=3))}
    else:
        event["logentry"] = {"message": draw(sentence) + " %s", "params": [draw(sentence)]}
        event["logentry"]["formatted"] = event["logentry"]["message"] % tuple(event["logentry"]["params"])
        event["logger"] = draw(module_name)
    if draw(st.booleans()):
        event["request"] = draw(requests())
    if draw(st.booleans()):
        event["breadcrumbs"] = {"values": draw(st.lists(breadcrumbs(), max_size=3))}
    if draw(st.booleans()):
        tags = draw(st.dictionaries(identifier, identifier, max_size=3))
        event["tags"] = tags_shape(tags, draw(st.booleans()))
    if draw(st.booleans()):
        event["contexts"] = {"runtime": {"name": "CPython", "version": "3.11"},
                             "trace": {"trace_id": draw(tokens("0123456789abcdef", 32)), "op": "http.server"}}
    if draw(st.booleans()):
        event["extra"] = draw(st.dictionaries(identifier, st.one_of(sentence, st.integers(), st.booleans()),
                                              max_size=3))
    if draw(st.booleans()):
        event["user"] = {"id": str(draw(st.integers(1, 10**6))), "username": draw(identifier)}
    if draw(st.booleans()):
        event["transaction"] = "/" + "/".join(draw(st.lists(identifier, max_size=3)))
    return event


@st.composite
def transaction_events(draw) -> dict:
    start = draw(timestamps)
    return {
        "type": "transaction",
        "event_id": draw(tokens("0123456789abcdef", 32)),
        "platform": "python",
        "transaction": draw(st.sampled_from(["/health", "/api/users/{id}", "/checkout", "/metrics"])),
        "transaction_info": {"source": "route"},
        "start_timestamp": start,
        "timestamp": start + draw(st.floats(0, 10, allow_nan=False)),
        "contexts": {"trace": {"trace_id": draw(tokens("0123456789abcdef", 32)),
                               "span_id": draw(tokens("0123456789abcdef", 16)),
                               "op": "http.server", "status": draw(st.sampled_from(["ok", "internal_error"]))}},
        "spans": draw(st.lists(spans(), max_size=3)),
        "tags": draw(st.dictionaries(identifier, identifier, max_size=2)),
        "request": draw(requests()),
    }


events = st.one_of(error_events(), transaction_events())


# --------------------------------------------------------------------------- hints


class RaisingDunders:
    """An object every dunder a serialiser might call on raises from."""

    def __repr__(self):
        raise RuntimeError("repr failed")

    def __str__(self):
        raise RuntimeError("str failed")

    def __eq__(self, other):
        raise RuntimeError("eq failed")

    def __hash__(self):
        raise RuntimeError("hash failed")

    def __bool__(self):
        raise RuntimeError("bool failed")

    def __len__(self):
        raise RuntimeError("len failed")

    def __iter__(self):
        raise RuntimeError("iter failed")

    def __getattr__(self, name):
        raise RuntimeError(f"getattr {name} failed")


class HostileError(Exception):
    """An exception whose attributes and string forms misbehave."""

    @property
    def status_code(self):
        raise RuntimeError("status_code failed")

    def __str__(self):
        raise RuntimeError("str failed")


class HTTPError(Exception):
    def __init__(self, status_code):
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code


def _live_exc_info(exc: BaseException):
    try:
        raise exc
    except BaseException:
        return sys.exc_info()


#: Stands for a :class:`RaisingDunders` in a hint until one is drawn: Hypothesis writes a strategy's
#: elements with ``repr`` (in its reports and warnings), which a ``RaisingDunders`` refuses.
RAISING_DUNDERS = "<RaisingDunders>"


def _with_raising_dunders(hint: dict) -> dict:
    return {"exc_info": RaisingDunders()} if hint.get("exc_info") is RAISING_DUNDERS else hint


hints = st.one_of(
    st.none(),
    st.just({}),
    st.builds(lambda code: {"exc_info": _live_exc_info(HTTPError(code))}, st.integers(100, 599)),
    st.builds(lambda: {"exc_info": _live_exc_info(HostileError())}),
    st.builds(lambda: {"exc_info": _live_exc_info(KeyError("k"))}),
    st.sampled_from([
        {"exc_info": None},
        {"exc_info": (None, None, None)},
        {"exc_info": "not a tuple"},
        {"exc_info": (ValueError, "not an exception", None)},
        {"exc_info": (1, 2)},
        {"exc_info": RAISING_DUNDERS},
        {"log_record": object()},
    ]).map(_with_raising_dunders),
)

# --------------------------------------------------------------------------- hostile values


class SetAttributeCycle:
    """Placeholder replaced by a reference to the enclosing container (a cycle)."""


scalar_hostile = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=2**70, max_value=2**90),
    st.floats(), st.just(math.nan), st.just(math.inf), st.just(-math.inf),
    st.text(), st.binary(max_size=20), st.builds(bytearray, st.binary(max_size=10)),
    st.text(st.characters(categories=("Cs",)), min_size=1, max_size=3),  # lone surrogates
    st.builds(RaisingDunders), st.builds(object), st.just(Ellipsis), st.complex_numbers(max_magnitude=10),
    st.just("x" * 200_000),
)

hostile_keys = st.one_of(st.text(max_size=8), st.integers(), st.none(), st.booleans(),
                         st.tuples(st.integers()), st.binary(max_size=4), st.floats(allow_nan=False))


def _containers(children):
    return st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(hostile_keys, children, max_size=4),
        st.frozensets(st.one_of(st.integers(), st.text(max_size=4)), max_size=3),
        st.sets(st.integers(), max_size=3),
    )


hostile_values = st.recursive(scalar_hostile, _containers, max_leaves=12)


def nested(depth: int, leaf="leaf"):
    """A dict nested ``depth`` levels deep, built iteratively (no recursion limit involved)."""
    node = leaf
    for _ in range(depth):
        node = {"n": node}
    return node


def nested_list(depth: int, leaf="leaf"):
    node = leaf
    for _ in range(depth):
        node = [node]
    return node


def with_cycle(event: dict) -> dict:
    """Make the event reach itself through extra and a breadcrumb list."""
    extra = event.setdefault("extra", {}) if isinstance(event.get("extra"), dict) else event
    extra["self"] = event
    crumbs = [{"message": "loop"}]
    crumbs.append(crumbs)  # type: ignore[arg-type]
    event["breadcrumbs"] = {"values": crumbs}
    return event


#: Top-level keys sentry-sdk events carry; hostile events put wrong values under them.
EVENT_KEYS = ["exception", "logentry", "message", "request", "breadcrumbs", "tags", "contexts", "extra",
              "user", "spans", "transaction", "level", "logger", "fingerprint", "timestamp",
              "start_timestamp", "type", "threads", "stacktrace", "modules", "sdk", "environment"]


@st.composite
def hostile_events(draw):
    """Anything a hook might be handed: corrupted real shapes, wrong types, cycles, deep nesting."""
    choice = draw(st.integers(0, 9))
    if choice == 0:  # not even a mapping
        return draw(hostile_values)
    event = draw(events)
    # Corrupt a few keys at the top level.
    for key in draw(st.lists(st.sampled_from(EVENT_KEYS), max_size=4, unique=True)):
        event[key] = draw(hostile_values)
    # Corrupt values inside the realistic structure.
    _corrupt_inside(draw, event)
    if choice == 1:
        event = with_cycle(event)
    elif choice == 2:
        event.setdefault("extra", {}) if isinstance(event.get("extra"), dict) else None
        event["extra"] = {"deep": nested(draw(st.integers(50, 3000)))}
    elif choice == 3:
        event[draw(hostile_keys)] = draw(hostile_values)
    elif choice == 4:
        event["exception"] = {"values": [{"type": draw(hostile_values), "value": draw(hostile_values),
                                          "stacktrace": {"frames": [{"vars": draw(hostile_values)},
                                                                    draw(hostile_values)]}}]}
    return event


def _corrupt_inside(draw, event: dict) -> None:
    """Replace a few nested values (found by walking the realistic event) with hostile ones."""
    slots = []
    stack = [event]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                slots.append((node, key))
                if isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                slots.append((node, index))
                if isinstance(value, (dict, list)):
                    stack.append(value)
    if not slots:
        return
    for index in draw(st.lists(st.integers(0, len(slots) - 1), max_size=3, unique=True)):
        container, key = slots[index]
        container[key] = draw(hostile_values)


# --------------------------------------------------------------------------- secrets, one per detector


@dataclass(frozen=True)
class Secret:
    """A planted secret: ``text`` goes into the event, none of ``parts`` may appear in the output."""

    detector: str
    text: str
    parts: tuple[str, ...]


def luhn_check_digit(payload: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:  # doubling starts from the digit next to the check digit
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return total % 10 == 0


@st.composite
def creditcard(draw) -> Secret:
    prefix, length = draw(st.sampled_from([("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("37", 15),
                                           ("6011", 16), ("4", 13), ("35", 16)]))
    body = prefix + draw(tokens(string.digits, length - len(prefix) - 1))
    number = body + luhn_check_digit(body)
    sep = draw(st.sampled_from(["", " ", "-"]))
    text = sep.join(number[i:i + 4] for i in range(0, len(number), 4)) if sep else number
    return Secret("creditcard", text, (text, number))


def iban_check(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    return f"{98 - int(numeric) % 97:02d}"


@st.composite
def iban(draw) -> Secret:
    country, bban = draw(st.sampled_from([
        ("DE", tokens(string.digits, 18)),
        ("GB", st.builds(lambda a, b: a + b, tokens(string.ascii_uppercase, 4), tokens(string.digits, 14))),
        ("FR", tokens(string.digits, 23)),
        ("NL", st.builds(lambda a, b: a + b, tokens(string.ascii_uppercase, 4), tokens(string.digits, 10))),
    ]))
    bban = draw(bban)
    number = country + iban_check(country, bban) + bban
    spaced = " ".join(number[i:i + 4] for i in range(0, len(number), 4))
    text = draw(st.sampled_from([number, spaced]))
    return Secret("iban", text, (number, spaced, bban))


@st.composite
def email(draw) -> Secret:
    local = draw(tokens(LOWER, 1)) + draw(st.text(LOWER + string.digits + "_", min_size=2, max_size=8))
    if draw(st.booleans()):
        local += "." + draw(st.text(LOWER, min_size=1, max_size=6))
    local += draw(tokens(string.digits, 2))
    domain = draw(st.text(LOWER, min_size=3, max_size=10)) + "." + draw(st.sampled_from(["com", "org", "io", "de"]))
    text = f"{local}@{domain}"
    return Secret("email", text, (text,))


@st.composite
def ipv4(draw) -> Secret:
    octets = draw(st.lists(st.integers(11, 254), min_size=4, max_size=4))
    text = ".".join(map(str, octets))
    return Secret("ipv4", text, (text,))


@st.composite
def ipv6(draw) -> Secret:
    groups = draw(st.lists(st.integers(0x1000, 0xFFFF), min_size=8, max_size=8))
    full = ":".join(f"{g:x}" for g in groups)
    compressed = f"{groups[0]:x}:{groups[1]:x}::{groups[7]:x}"
    text = draw(st.sampled_from([full, compressed]))
    return Secret("ipv6", text, (text,))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@st.composite
def jwt(draw) -> Secret:
    header = b64url(json.dumps({"alg": draw(st.sampled_from(["HS256", "RS256"])), "typ": "JWT"}).encode())
    payload = b64url(json.dumps({"sub": draw(tokens(string.digits, 8)), "name": draw(identifier)}).encode())
    signature = b64url(draw(st.binary(min_size=32, max_size=32)))
    text = f"{header}.{payload}.{signature}"
    return Secret("jwt", text, (payload, signature))


@st.composite
def bearer(draw) -> Secret:
    token = draw(tokens(ALNUM, 6)) + draw(st.text(ALNUM + "-._~+/", min_size=18, max_size=34)) + draw(tokens(ALNUM, 4))
    return Secret("bearer", f"Bearer {token}", (token,))


@st.composite
def basic_auth(draw) -> Secret:
    credentials = f"{draw(identifier)}:{draw(tokens(ALNUM, 14))}".encode()
    token = base64.b64encode(credentials).decode()
    return Secret("basic_auth", f"Basic {token}", (token,))


@st.composite
def url_userinfo(draw) -> Secret:
    password = draw(tokens(ALNUM, 16))
    scheme = draw(st.sampled_from(["https", "postgresql", "redis", "amqp"]))
    text = f"{scheme}://{draw(identifier)}:{password}@{draw(identifier)}.example.com/{draw(identifier)}"
    return Secret("url_userinfo", text, (password,))


@st.composite
def pem_private_key(draw) -> Secret:
    kind = draw(st.sampled_from(["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"]))
    body = base64.b64encode(draw(st.binary(min_size=96, max_size=160))).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    text = f"-----BEGIN {kind}-----\n" + "\n".join(lines) + f"\n-----END {kind}-----"
    return Secret("pem_private_key", text, tuple(line for line in lines if len(line) >= 16))


@st.composite
def aws_access_key(draw) -> Secret:
    text = draw(st.sampled_from(["AKIA", "ASIA"])) + draw(tokens(string.ascii_uppercase + "234567", 16))
    return Secret("aws_access_key", text, (text,))


@st.composite
def github_token(draw) -> Secret:
    prefix = draw(st.sampled_from(["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"]))
    if prefix == "github_pat_":
        text = prefix + draw(tokens(ALNUM, 22)) + "_" + draw(tokens(ALNUM, 59))
    else:
        text = prefix + draw(tokens(ALNUM, 36))
    return Secret("github_token", text, (text,))


@st.composite
def slack_token(draw) -> Secret:
    if draw(st.booleans()):
        text = (draw(st.sampled_from(["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-"]))
                + draw(tokens(string.digits, 12)) + "-" + draw(tokens(string.digits, 12)) + "-"
                + draw(tokens(ALNUM, 24)))
        return Secret("slack_token", text, (text,))
    key = draw(tokens(ALNUM, 24))
    text = f"https://hooks.slack.com/services/T{draw(tokens(string.ascii_uppercase + string.digits, 8))}/B{draw(tokens(string.ascii_uppercase + string.digits, 8))}/{key}"
    return Secret("slack_token", text, (key,))


@st.composite
def stripe_key(draw) -> Secret:
    text = draw(st.sampled_from(["sk_live_", "rk_live_", "sk_test_", "rk_test_"])) + draw(tokens(ALNUM, 24))
    return Secret("stripe_key", text, (text,))


@st.composite
def google_api_key(draw) -> Secret:
    text = "AIza" + draw(tokens(ALNUM + "_-", 35))
    return Secret("google_api_key", text, (text,))


@st.composite
def openai_key(draw) -> Secret:
    if draw(st.booleans()):
        text = "sk-" + draw(tokens(ALNUM, 48))
    else:
        text = "sk-proj-" + draw(tokens(ALNUM, 40)) + "T3BlbkFJ" + draw(tokens(ALNUM, 40))
    return Secret("openai_key", text, (text,))


@st.composite
def password_pair(draw) -> Secret:
    key = draw(st.sampled_from(["password", "passwd", "pwd", "token", "secret", "api_key", "PASSWORD"]))
    sep = draw(st.sampled_from(["=", ": ", "="]))
    value = draw(tokens(ALNUM, 14))
    return Secret("password_pair", f"{key}{sep}{value}", (value,))


@st.composite
def us_ssn(draw) -> Secret:
    area = draw(st.integers(1, 899).filter(lambda a: a != 666))
    group = draw(st.integers(1, 99))
    serial = draw(st.integers(1, 9999))
    text = f"{area:03d}-{group:02d}-{serial:04d}"
    return Secret("us_ssn", text, (text,))


@st.composite
def sql_params(draw) -> Secret:
    value = draw(tokens(ALNUM, 12))
    column = draw(st.sampled_from(["email", "name", "note"]))
    params = draw(st.sampled_from([f"{{'{column}_1': '{value}'}}", f"('{value}', 42)", f"('{value}',)"]))
    text = (f"(sqlite3.IntegrityError) UNIQUE constraint failed: users.{column}\n"
            f"[SQL: INSERT INTO users ({column}) VALUES (?)]\n[parameters: {params}]\n"
            "(Background on this error at: https://sqlalche.me/e/20/gkpj)")
    return Secret("sql_params", text, (value,))


SECRET_STRATEGIES = {
    "creditcard": creditcard(), "iban": iban(), "email": email(), "ipv4": ipv4(), "ipv6": ipv6(),
    "jwt": jwt(), "bearer": bearer(), "basic_auth": basic_auth(), "url_userinfo": url_userinfo(),
    "pem_private_key": pem_private_key(), "aws_access_key": aws_access_key(),
    "github_token": github_token(), "slack_token": slack_token(), "stripe_key": stripe_key(),
    "google_api_key": google_api_key(), "openai_key": openai_key(), "password_pair": password_pair(),
    "us_ssn": us_ssn(), "sql_params": sql_params(),
}
# Catalogue detectors: the examples each catalogue entry shows it finds.
SECRET_STRATEGIES.update({
    entry.id: st.sampled_from(entry.true_examples).map(
        lambda example, name=entry.id: Secret(name, example.text, (example.secret,))
    )
    for entry in catalogue()
})
assert set(SECRET_STRATEGIES) == set(models.DETECTORS), "every detector needs a secret strategy"

secrets = st.one_of(*SECRET_STRATEGIES.values())

# Where text can sit around a secret: whole value, start, end, middle of a sentence, in quotes.
SURROUNDINGS = [
    ("", ""), ("error for ", ""), ("", " was rejected"), ("value: ", " (retry 2)"), ('{"k": "', '"}'),
    ("'", "'"), ("(", ")"), ("line1\n", "\nline3"), ("a,", ",b"),
]


def embed(secret: Secret, surround: tuple[str, str]) -> str:
    return surround[0] + secret.text + surround[1]


# Places in an event where free text goes; each is (description, function placing a string).
def _put(path):
    """Place text at a key path, making every container on the way a dict: the place names a
    shape (``request.data.comment`` is a form field), and a generated event may hold a string
    where that shape wants a dict (``request.data`` as raw body text)."""
    def place(event: dict, text: str) -> None:
        node = event
        for key in path[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child
        node[path[-1]] = text
    return place


def _place_exception_value(event, text):
    event.setdefault("exception", {"values": [{"type": "ValueError", "value": "x"}]})
    event["exception"]["values"][-1]["value"] = text


def _place_first_exception_value(event, text):
    event.setdefault("exception", {"values": [{"type": "ValueError", "value": "x"}]})
    event["exception"]["values"].insert(0, {"type": "KeyError", "value": text})


def _place_frame_var_repr(event, text):
    event.setdefault("exception", {"values": [{"type": "ValueError", "value": "x"}]})
    frame = {"function": "handler", "module": "app.views", "vars": {"payload": repr(text),
                                                                   "ctx": repr({"note": text})}}
    event["exception"]["values"][-1].setdefault("stacktrace", {"frames": []})["frames"].append(frame)


def _place_breadcrumb(event, text):
    event.setdefault("breadcrumbs", {"values": []})["values"].append(
        {"category": "log", "message": text, "data": {"detail": text, "items": ["a", text]}})


def _place_list(event, text):
    event.setdefault("extra", {})["items"] = ["first", {"note": text}, [text]]


def _place_header_pairs(event, text):
    event["request"] = {"url": "https://example.com/", "method": "POST",
                        "headers": [["X-Note", text], ["Accept", "application/json"]]}


def _place_span(event, text):
    event["spans"] = [{"op": "db", "description": text, "data": {"db.statement": text}}]


def _place_tags_pairs(event, text):
    event["tags"] = [["note", text]]


def _place_tag(event, text):
    tags = event.get("tags")
    if isinstance(tags, list):
        tags.append(["note", text])
    else:
        event.setdefault("tags", {})["note"] = text


def _place_logentry(event, text):
    event.pop("exception", None)
    event["logentry"] = {"message": "failed with %s", "params": [text], "formatted": f"failed with {text}"}


SECRET_PLACES = {
    "exception.value(main)": _place_exception_value,
    "exception.value(chained)": _place_first_exception_value,
    "frame.vars repr": _place_frame_var_repr,
    "logentry": _place_logentry,
    "message": _put(["message"]),
    "breadcrumb": _place_breadcrumb,
    "extra.note": _put(["extra", "note"]),
    "extra list": _place_list,
    "contexts.app.note": _put(["contexts", "app", "note"]),
    "tags.note": _place_tag,
    "tags pairs": _place_tags_pairs,
    "user.note": _put(["user", "note"]),
    "request.data (text)": _put(["request", "data"]),
    "request.data.comment": _put(["request", "data", "comment"]),
    "request.headers pairs": _place_header_pairs,
    "request.query_string": _put(["request", "query_string"]),
    "spans": _place_span,
    "fingerprint": lambda event, text: event.__setitem__("fingerprint", ["{{ default }}", text]),
}


def string_leaves(value, seen=None):
    """Every string in a JSON-like value, keys included."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            for key, child in node.items():
                if isinstance(key, str):
                    yield key
                stack.append(child)
        elif isinstance(node, (list, tuple)):
            stack.extend(node)


def distinctive_parts(secret: Secret, background) -> tuple[str, ...]:
    """The parts of ``secret`` that occur nowhere in ``background``, the event before planting.

    A leak check can only blame the scrubber for text the planting put there. Generated events
    carry digit runs of their own (event, trace and span ids shrink to all zeros; frame variables
    hold ``repr`` of big integers), and a secret part may be such a run, e.g. the BBAN of
    ``DE36000000000000000000`` inside an all-zero ``event_id``. Such a part is left out of that
    example's check rather than the secret being rejected: zero-padded account numbers and other
    low-variety values are real, and the detectors must keep being tested on them.
    """
    background_strings = list(string_leaves(background))
    return tuple(part for part in secret.parts if not any(part in s for s in background_strings))


def leaked_parts(result, parts: tuple[str, ...]) -> list[str]:
    """Output strings (keys included) that contain any of ``parts``; none for a dropped event."""
    if result is None:
        return []
    return [s for s in string_leaves(result) for part in parts if part in s]


# --------------------------------------------------------------------------- rulesets from the models

#: Values generated events use per field, so generated conditions match often enough to matter.
FIELD_VALUES = {
    "error.type": ["ValueError", "KeyError", "TimeoutError", "OperationalError", "app.errors.PaymentError",
                   "Exception", "HTTPError"],
    "error.value": ["connection refused", "invalid value", "timeout after 30s", "missing key"],
    "error.mechanism": ["generic", "logging", "fastapi"],
    "error.handled": [True, False],
    "message": ["user login failed", "cache miss", "payment declined"],
    "logger": ["app.views", "app.db", "celery.worker"],
    "level": ["fatal", "error", "warning", "info", "debug"],
    "transaction": ["/health", "/api/users/{id}", "/checkout", "/metrics"],
    "environment": ["production", "staging"],
    "release": ["app@1", "app@2"],
    "server_name": ["web-1", "worker-2"],
    "stack.module": ["app.views", "app.db", "sqlalchemy.engine"],
    "stack.function": ["handler", "execute", "connect"],
    "stack.abs_path": ["/srv/app/views.py", "/srv/app/db/models.py", "/usr/lib/python3.11/socket.py"],
    "stack.in_app": [True, False],
    "request.method": ["GET", "POST"],
    "tags.team": ["payments", "search"],
    "tags.region": ["eu", "us"],
    "user.id": ["1", "42"],
    "extra.attempt": [1, 2, 3],
    "contexts.trace.op": ["http.server", "db"],
    "exc.status_code": [400, 404, 500, 503],
}

STRING_FIELDS = [f for f, values in FIELD_VALUES.items() if isinstance(values[0], str)]
NUMBER_FIELDS = [f for f, values in FIELD_VALUES.items()
                 if isinstance(values[0], int) and not isinstance(values[0], bool)]
BOOL_FIELDS = [f for f, values in FIELD_VALUES.items() if isinstance(values[0], bool)]


def glob_for(value: str) -> st.SearchStrategy[str]:
    """Globs that may or may not match ``value``: the value itself, prefix*, *suffix, *infix*, other."""
    if not value:
        return st.just("*")
    return st.one_of(
        st.just(value),
        st.integers(1, len(value)).map(lambda n: value[:n] + "*"),
        st.integers(0, len(value) - 1).map(lambda n: "*" + value[n:]),
        st.just("*" + value[len(value) // 2:len(value) // 2 + 2] + "*"),
        st.just(value[:1] + "?" + value[2:]) if len(value) > 2 else st.just(value),
        st.sampled_from(["*", "nothing*", "*Error"]),
    )


def _escape_glob(text: str) -> str:
    return "".join("\\" + ch if ch in "*?{}[]\\," else ch for ch in text)


@st.composite
def matcher_for(draw, field: str, depth: int = 0):
    """A matcher (raw YAML value) that fits the field's type."""
    values = FIELD_VALUES[field]
    value = draw(st.sampled_from(values))
    if field in STRING_FIELDS:
        options = [
            glob_for(_escape_glob(value)),
            st.just({"regex": draw(st.sampled_from([value[:3], value[-3:], "^" + value[:2], "zzz"]))}).map(
                lambda m: {"regex": _regex_literal(m["regex"])}),
            st.just({"equals": value}),
            st.just({"exists": draw(st.booleans())}),
            st.lists(glob_for(_escape_glob(value)), min_size=1, max_size=3),
        ]
    elif field in NUMBER_FIELDS:
        options = [
            st.just(value),
            st.builds(lambda op, n: {op: n}, st.sampled_from(["lt", "lte", "gt", "gte"]),
                      st.sampled_from(values + [0, 450.5])),
            st.lists(st.sampled_from(values), min_size=1, max_size=3),
            st.just({"exists": draw(st.booleans())}),
        ]
    else:
        options = [st.just(value), st.just({"equals": value}), st.just({"exists": draw(st.booleans())})]
    if depth < 1:
        options.append(matcher_for(field, depth + 1).map(lambda m: {"not": m}))
    return draw(st.one_of(options))


def _regex_literal(text: str) -> str:
    anchored = text.startswith("^")
    body = text[1:] if anchored else text
    escaped = "".join("\\" + ch if not ch.isalnum() and ch != " " else ch for ch in body)
    return ("^" if anchored else "") + escaped


CONDITION_FIELDS = list(FIELD_VALUES)


@st.composite
def conditions(draw, depth: int = 0, fields=CONDITION_FIELDS):
    """A condition mapping (raw document form) over the vocabulary, with any/all/not nesting."""
    chosen = draw(st.lists(st.sampled_from(fields), min_size=1, max_size=2, unique=True))
    condition = {field: draw(matcher_for(field)) for field in chosen}
    if depth < 2 and draw(st.integers(0, 3)) == 0:
        key = draw(st.sampled_from(["any", "all", "not"]))
        if key == "not":
            condition["not"] = draw(conditions(depth + 1, fields))
        else:
            condition[key] = draw(st.lists(conditions(depth + 1, fields), min_size=1, max_size=2))
    return condition


rule_ids = st.from_regex(r"\A[a-z][a-z0-9_-]{0,11}\Z")


kinds_lists = st.lists(st.sampled_from(["error", "transaction"]), min_size=1, max_size=2, unique=True)


@st.composite
def filter_rules(draw, fields=CONDITION_FIELDS):
    rule = {"id": None, "when": draw(conditions(fields=fields))}
    if draw(st.booleans()):
        rule["unless"] = draw(conditions(fields=fields))
    if draw(st.booleans()):
        rule["drop"] = True
    else:
        rule["sample"] = draw(st.sampled_from([0.0, 1.0]))
    if draw(st.booleans()):
        rule["on"] = draw(kinds_lists)
    return rule


@st.composite
def grouping_rules(draw, fields=CONDITION_FIELDS):
    rule: dict = {"id": None}
    if draw(st.integers(0, 4)):
        rule["when"] = draw(conditions(fields=fields))
    if draw(st.booleans()):
        rule["unless"] = draw(conditions(fields=fields))
    actions = draw(st.lists(st.sampled_from(["fingerprint", "tags", "level"]), min_size=1, unique=True))
    if "fingerprint" in actions:
        rule["fingerprint"] = draw(st.lists(identifier, min_size=1, max_size=3))
    if "tags" in actions:
        rule["tags"] = draw(st.dictionaries(st.sampled_from(["group", "area", "owner"]), identifier,
                                            min_size=1, max_size=2))
    if "level" in actions:
        rule["level"] = draw(levels)
    if draw(st.integers(0, 3)) == 0:
        rule["continue"] = True
    if draw(st.integers(0, 2)) == 0:
        rule["on"] = draw(kinds_lists)
    return rule


def _number_ids(rules: list[dict], prefix: str) -> list[dict]:
    for index, rule in enumerate(rules):
        rule["id"] = f"{prefix}-{index}"
    return rules


@st.composite
def ruleset_documents(draw, fields=CONDITION_FIELDS, with_scrub: bool = False):
    """A valid ruleset document (plain data) for the agreement property: filters and grouping."""
    doc = {
        "format": 1,
        "name": draw(rule_ids),
        "revision": draw(st.one_of(st.integers(0, 1000), st.from_regex(r"\A[a-z0-9.]{1,8}\Z"))),
        "filters": _number_ids(draw(st.lists(filter_rules(fields=fields), max_size=3)), "filter"),
        "grouping": _number_ids(draw(st.lists(grouping_rules(fields=fields), max_size=3)), "group"),
    }
    if with_scrub:
        doc["scrub"] = draw(scrub_sections())
    return doc


@st.composite
def scrub_sections(draw):
    rules = []
    for index in range(draw(st.integers(0, 3))):
        rule: dict = {"id": f"scrub-{index}"}
        kind = draw(st.sampled_from(["keys", "detect", "pattern"]))
        if kind == "keys":
            rule["keys"] = draw(st.lists(st.sampled_from(["*password*", "api_key", "*token*", "x-*"]),
                                         min_size=1, max_size=3, unique=True))
        elif kind == "detect":
            rule["detect"] = draw(st.lists(st.sampled_from(sorted(models.DETECTORS)), min_size=1, max_size=3,
                                           unique=True))
        else:
            rule["pattern"] = draw(st.sampled_from([r"ACCT-\d{8}", r"[a-z]+@corp", r"\bsecret\w+"]))
        rule["redact"] = draw(st.one_of(
            st.sampled_from(["filter", "hash", "remove"]),
            st.builds(lambda text: {"replace": text}, st.sampled_from(["[gone]", "***"])),
            st.builds(lambda first, last: {"mask": {"keep_first": first, "keep_last": last}},
                      st.integers(0, 3), st.integers(0, 4)),
        ))
        rules.append(rule)
    section = {"rules": rules}
    if draw(st.booleans()):
        section["allow"] = ["request.headers.user-agent"]
    return section


# Events whose fields come from FIELD_VALUES, so generated conditions hit and miss both.


@st.composite
def vocabulary_events(draw, max_exceptions: int = 3, max_frames: int = 3):
    """Error events built from the vocabulary values, with a hint (live exception or none)."""
    def pick(field):
        return draw(st.sampled_from(FIELD_VALUES[field]))

    def maybe(field):
        return draw(st.booleans()) and pick(field)

    event: dict = {"platform": "python", "event_id": "0" * 32}
    for field in ("level", "logger", "transaction", "environment", "release", "server_name"):
        if draw(st.integers(0, 3)):
            event[field] = pick(field)
    if draw(st.integers(0, 3)):
        chain = []
        for _ in range(draw(st.integers(1, max_exceptions))):
            full = pick("error.type")
            module, _, bare = full.rpartition(".")
            exc: dict = {"type": bare, "value": pick("error.value")}
            if module:
                exc["module"] = module
            if draw(st.booleans()):
                exc["mechanism"] = {"type": pick("error.mechanism"), "handled": pick("error.handled")}
            frames_ = []
            for _ in range(draw(st.integers(0, max_frames))):
                frames_.append({"module": pick("stack.module"), "function": pick("stack.function"),
                                "abs_path": pick("stack.abs_path"), "in_app": pick("stack.in_app")})
            if frames_:
                exc["stacktrace"] = {"frames": frames_}
            chain.append(exc)
        event["exception"] = {"values": chain}
    else:
        text = pick("message")
        event["logentry"] = {"message": text, "formatted": text}
    if draw(st.booleans()):
        event["request"] = {"method": pick("request.method"), "url": "https://example.com/x"}
    tags = {}
    for name in ("team", "region"):
        if draw(st.booleans()):
            tags[name] = pick("tags." + name)
    if tags:
        event["tags"] = tags_shape(tags, draw(st.booleans()))
    if draw(st.booleans()):
        event["user"] = {"id": pick("user.id")}
    if draw(st.booleans()):
        event["extra"] = {"attempt": pick("extra.attempt")}
    if draw(st.booleans()):
        event["contexts"] = {"trace": {"op": pick("contexts.trace.op")}}
    if draw(st.integers(0, 3)) == 0:
        event.update(type="transaction", start_timestamp=1_700_000_000.0, timestamp=1_700_000_000.25)
    hint = None
    if draw(st.booleans()):
        # The live exception is the main (last) exception of the payload, as sentry-sdk sends it.
        hint = {"exc_info": _live_exc_info(HTTPError(pick("exc.status_code")))}
        if "exception" in event:
            event["exception"]["values"][-1].update(type="HTTPError", module=HTTPError.__module__)
    return event, hint


def scaled(examples: int) -> int:
    """A test's example count, scaled by the active profile ("ci" runs 100 examples by default,
    "long" many more), so per-test budgets keep CI fast and still grow for long local runs."""
    from hypothesis import settings

    return max(1, round(examples * settings.default.max_examples / 100))
