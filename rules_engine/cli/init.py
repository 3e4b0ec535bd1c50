"""``rules-engine init [DIR]``: scaffold a ruleset, its case file and the schema for editors.

Writes ``ruleset.yaml`` (first line ``# yaml-language-server: $schema=...`` so
editors complete and explain every key), ``ruleset.rules-test.yaml`` (cases for
``rules-engine test`` that pass against the scaffold) and a copy of the JSON
Schema under ``schema/``. Existing files are never overwritten without ``--force``.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from ..load.builtin import newest_builtin_pack
from ..model.migrations import CURRENT_VERSION
from .schema import schema_text

RULESET_FILE = "ruleset.yaml"
CASE_FILE = "ruleset.rules-test.yaml"
SCHEMA_FILE = f"schema/ruleset.v{CURRENT_VERSION}.schema.json"
DEFAULT_PACKS = ("secure-defaults", "personal-data")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "init",
        help="scaffold a ruleset, a starter case file and the JSON Schema for editors",
        description=f"Create {RULESET_FILE}, {CASE_FILE} and {SCHEMA_FILE} in DIR (default: the current "
        "directory). Exit status: 0 created, 1 a file exists (use --force), 2 usage error.",
    )
    parser.add_argument("dir", nargs="?", default=".", metavar="DIR", help="where to create the files")
    parser.add_argument("--name", help="name of the ruleset (default: from DIR)")
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    target = Path(args.dir)
    if target.exists() and not target.is_dir():
        print(f"rules-engine init: not a directory: {target}", file=sys.stderr)
        return 2
    name = args.name or ruleset_name(target)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:-]*", name):
        print(f"rules-engine init: invalid name {name!r}: use letters, digits, '_', '.', ':' and '-'", file=sys.stderr)
        return 2
    files = {
        RULESET_FILE: ruleset_text(name, [p for p in map(newest_builtin_pack, DEFAULT_PACKS) if p]),
        CASE_FILE: CASE_FILE_TEXT,
        SCHEMA_FILE: schema_text(),
    }
    existing = [target / relative for relative in files if (target / relative).exists()]
    if existing and not args.force:
        for path in existing:
            print(f"rules-engine init: {path} exists (use --force to overwrite)", file=sys.stderr)
        return 1
    for relative, text in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"created {path}")
    print(f"next: rules-engine validate {target / RULESET_FILE} && rules-engine test {target / CASE_FILE}")
    return 0


def ruleset_name(directory: Path) -> str:
    """A valid ruleset name from a directory name ('My Service' -> 'my-service')."""
    base = re.sub(r"[^A-Za-z0-9_.-]+", "-", directory.resolve().name.lower()).strip("-._")
    return base or "my-service"


def ruleset_text(name: str, packs: list[str]) -> str:
    extends = (
        f"extends: [{', '.join(packs)}]  # scrubs secrets and PII everywhere; your rules come after\n"
        if packs
        else ""
    )
    return RULESET_TEMPLATE.format(
        schema=SCHEMA_FILE, version=CURRENT_VERSION, name=name, extends=extends
    )


RULESET_TEMPLATE = """\
# yaml-language-server: $schema={schema}
# Filters run first (the first match decides), then grouping (the first match wins),
# then scrubbing (every rule applies). Check: rules-engine validate ruleset.yaml
# Test: rules-engine test ruleset.rules-test.yaml
format: {version}
name: {name}
revision: 1
{extends}
filters:
  # Load balancer probes are not worth a transaction.
  - id: health-checks
    on: [transaction]
    when: {{transaction: ["*/health", "*/healthz", "*/ping"]}}
    drop: true
  # 4xx responses are the client's problem; keep 401/403, they may be attacks.
  - id: client-errors
    when: {{exc.status_code: {{gte: 400, lt: 500}}}}
    unless: {{exc.status_code: [401, 403]}}
    drop: true

grouping:
  # One issue for "the database is down", whatever the driver says.
  - id: db-connection
    when:
      error.type: [sqlalchemy.exc.OperationalError, psycopg2.OperationalError]
      error.value: ["*connection*", "*could not connect*"]
    fingerprint: [database-error, connection]
    title: "Database Error: {{{{ error.value }}}}"
    tags: {{error_group: database_error}}

scrub:
  rules:
    # Add keys your application uses for secrets.
    - id: app-secret-keys
      keys: ["*password*", "*secret*", "*token*", api_key]
      redact: filter
"""

CASE_FILE_TEXT = """\
# Cases for `rules-engine test ruleset.rules-test.yaml`: an event, optionally the live
# exception sentry-sdk would pass in the hint, and what the ruleset must do.
ruleset: ruleset.yaml
cases:
  - name: health checks are dropped
    event:
      type: transaction
      transaction: /api/health
      start_timestamp: 1700000000.0
      timestamp: 1700000000.01
    expect: {dropped: true, dropped_by: health-checks}

  - name: a 404 is dropped
    event:
      exception:
        values:
          - {type: HTTPException, module: starlette.exceptions, value: Not Found}
    hint: {exc_type: starlette.exceptions.HTTPException, exc_attrs: {status_code: 404}}
    expect: {dropped: true, dropped_by: client-errors}

  - name: a 403 is kept
    event:
      exception:
        values:
          - {type: HTTPException, module: starlette.exceptions, value: Forbidden}
    hint: {exc_type: starlette.exceptions.HTTPException, exc_attrs: {status_code: 403}}
    expect: {dropped: false}

  - name: database outages group into one issue
    event:
      exception:
        values:
          - type: OperationalError
            module: sqlalchemy.exc
            value: could not connect to server
    expect:
      dropped: false
      fingerprint: [database-error, connection]
      title: "Database Error: could not connect to server"
      tags: {error_group: database_error}

  - name: passwords never leave the process
    event:
      message: login failed
      extra: {password: hunter2, user_token: tok-123456, order_id: A-1001}
    expect:
      absent: [hunter2, tok-123456]
      present: [A-1001]
"""
