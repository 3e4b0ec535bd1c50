"""Case files: parsing with positioned errors, the simulated hint, and every kind of expectation."""

from __future__ import annotations

import copy
import json
import textwrap
from pathlib import Path

import pytest

from rules_engine import load_ruleset
from rules_engine.cli.report import sentry_title
from rules_engine.testing.capture import capture_events
from rules_engine.testing.casefile import (
    CaseFileError,
    HintError,
    HintSpec,
    build_hint,
    find_case_files,
    load_case_file,
    run_loaded,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "events"

RULESET = """\
format: 1
name: shop
revision: 7
filters:
  - id: client-errors
    when: {error.type: starlette.exceptions.HTTPException, exc.status_code: {lt: 500}}
    unless: {exc.status_code: [401, 403]}
    drop: true
  - id: health-checks
    on: [transaction]
    when: {transaction: ["*/health"]}
    drop: true
  - id: noisy-timeouts
    when: {error.type: "*TimeoutError"}
    sample: 0.5
grouping:
  - id: db-errors
    when: {error.type: sqlalchemy.exc.DBAPIError}
    fingerprint: [database-error, "{{ error.type }}"]
    title: "Database Error: {{ error.value }}"
    tags: {error_group: database_error}
    level: warning
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def ruleset_dir(tmp_path: Path) -> Path:
    write(tmp_path, "rules/shop.yaml", RULESET)
    return tmp_path


def results_by_name(path: Path) -> dict:
    return {r.name: r for r in run_loaded(load_case_file(path))}


# ---------------------------------------------------------------------------- parsing


def test_a_valid_file_loads_its_cases_events_and_lines(ruleset_dir: Path) -> None:
    event_file = EXAMPLES / "03-fastapi-404-item.json"
    path = write(ruleset_dir, "cases/shop.rules-test.yaml", f"""\
        ruleset: ../rules/shop.yaml
        cases:
          - name: inline
            event: {{message: hello, timestamp: 2026-01-02T03:04:05Z}}
          - name: from file
            event_file: {event_file}
            expect: {{dropped: false}}
        """)
    loaded = load_case_file(path)
    assert loaded.ruleset == str(ruleset_dir / "cases" / ".." / "rules" / "shop.yaml")
    assert [c.spec.name for c in loaded.cases] == ["inline", "from file"]
    assert [c.line for c in loaded.cases] == [3, 5]
    # YAML reads the unquoted timestamp as a date; the event carries it as text, as JSON would.
    assert isinstance(loaded.cases[0].event["timestamp"], str)
    assert loaded.cases[1].event == json.loads(event_file.read_text())


def test_every_problem_is_reported_at_its_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.rules-test.yaml", """\
        ruleset: missing.yaml
        cases:
          - name: typo in expect
            event: {message: x}
            expect: {droped: true}
          - name: no event
            expect: {dropped: true}
          - name: unreadable event file
            event_file: nowhere.json
          - name: typo in expect
            event: {message: y}
            expect: {level: loud}
        """)
    with pytest.raises(CaseFileError) as caught:
        load_case_file(path)
    messages = [str(p) for p in caught.value.problems]
    assert any(m.startswith(f"{path}:5:14: unknown key 'droped'") and "did you mean 'dropped'" in m for m in messages)
    assert any(m.startswith(f"{path}:6:") and "exactly one of 'event' and 'event_file'" in m for m in messages)
    assert any(m.startswith(f"{path}:12:") and "level" in m and "'loud'" in m for m in messages)
    # Model errors stop the check before files are opened; fix them and the file problems show.
    fixed = path.read_text().replace("droped", "dropped").replace("loud", "info").replace(
        "  - name: no event\n    expect: {dropped: true}\n", "")
    path.write_text(fixed)
    with pytest.raises(CaseFileError) as caught:
        load_case_file(path)
    messages = [str(p) for p in caught.value.problems]
    assert any(m.startswith(f"{path}:1:10: ruleset file not found") for m in messages)
    assert any(m.startswith(f"{path}:7:17: cannot read event file") for m in messages)
    assert any(m.startswith(f"{path}:8:") and "duplicate case name 'typo in expect'" in m for m in messages)


def test_yaml_syntax_errors_and_bad_event_files_are_positioned(ruleset_dir: Path) -> None:
    broken = write(ruleset_dir, "broken.rules-test.yaml", "ruleset: rules/shop.yaml\ncases:\n  - name: [unclosed\n")
    with pytest.raises(CaseFileError) as caught:
        load_case_file(broken)
    assert str(caught.value.problems[0]).startswith(f"{broken}:")
    assert "YAML syntax error" in str(caught.value)

    write(ruleset_dir, "list.json", "[1, 2]")
    write(ruleset_dir, "invalid.json", "{\"a\": }")
    path = write(ruleset_dir, "files.rules-test.yaml", """\
        ruleset: rules/shop.yaml
        cases:
          - {name: a list, event_file: list.json}
          - {name: not json, event_file: invalid.json}
        """)
    with pytest.raises(CaseFileError) as caught:
        load_case_file(path)
    messages = [str(p) for p in caught.value.problems]
    assert any(m.startswith(f"{path}:3:") and "must hold one event" in m for m in messages)
    assert any(m.startswith(f"{path}:4:") and "not valid JSON" in m for m in messages)


def test_a_hint_naming_another_exception_than_the_events_is_rejected_where_it_is_written(ruleset_dir: Path) -> None:
    path = write(ruleset_dir, "hint.rules-test.yaml", f"""\
        ruleset: rules/shop.yaml
        cases:
          - name: mismatched hint
            event_file: {EXAMPLES / "03-fastapi-404-item.json"}
            hint: {{exc_type: starlette.exceptions.HTTPException}}
        """)
    with pytest.raises(CaseFileError) as caught:
        load_case_file(path)
    (problem,) = caught.value.problems
    assert (problem.line, problem.col) == (5, 11)
    assert "'fastapi.exceptions.HTTPException'" in problem.message


def test_directories_are_searched_for_case_files(tmp_path: Path) -> None:
    first = write(tmp_path, "a/one.rules-test.yaml", "x: 1\n")
    second = write(tmp_path, "b/c/two.rules-test.yml", "x: 1\n")
    write(tmp_path, "b/other.yaml", "x: 1\n")
    explicit = write(tmp_path, "named.yaml", "x: 1\n")
    assert find_case_files([tmp_path, explicit]) == [first, second, explicit]


# ---------------------------------------------------------------------------- the simulated hint


def test_the_hint_holds_a_real_exception_with_its_class_hierarchy_and_attributes() -> None:
    event = {"exception": {"values": [{"module": "sqlalchemy.exc", "type": "OperationalError", "value": "gone"}]}}
    spec = HintSpec(exc_type=["sqlalchemy.exc.OperationalError", "sqlalchemy.exc.DBAPIError", "TimeoutError"],
                    exc_attrs={"code": "e3q8", "retries": 3, "response": {"status_code": 502}})
    exc_type, exc, tb = build_hint(spec, event)["exc_info"]
    assert isinstance(exc, exc_type) and tb is None
    assert [f"{c.__module__}.{c.__qualname__}" for c in exc_type.__mro__[:3]] == [
        "sqlalchemy.exc.OperationalError", "sqlalchemy.exc.DBAPIError", "builtins.TimeoutError"]
    assert isinstance(exc, TimeoutError)  # builtin bases are the real builtin classes
    assert (str(exc), exc.code, exc.retries, exc.response.status_code) == ("gone", "e3q8", 3, 502)


def test_an_event_without_exception_gets_the_one_sentry_sdk_would_report() -> None:
    event: dict = {"transaction": "/checkout"}
    build_hint(HintSpec(exc_type="app.errors.PaymentError", exc_value="card declined"), event)
    (reported,) = event["exception"]["values"]
    assert (reported["module"], reported["type"], reported["value"]) == ("app.errors", "PaymentError", "card declined")
    assert sentry_title(event) == "PaymentError: card declined"


def test_builtin_bases_must_come_after_the_classes_that_derive_from_them() -> None:
    with pytest.raises(HintError):
        build_hint(HintSpec(exc_type=["ValueError", "app.Base"], exc_value="x"), {})


def test_the_simulated_hint_matches_exactly_like_the_live_exception_sentry_sdk_passes(tmp_path: Path) -> None:
    """A live HTTPException from a real FastAPI app and its case-file simulation take the same path."""
    from fastapi import FastAPI, HTTPException
    from fastapi.testclient import TestClient
    from sentry_sdk.integrations.fastapi import FastApiIntegration
    from sentry_sdk.integrations.starlette import StarletteIntegration

    ruleset = load_ruleset(write(tmp_path, "shop.yaml", RULESET))
    app = FastAPI()

    @app.get("/items/{item_id}")
    def item(item_id: int) -> None:
        raise HTTPException(status_code=404 if item_id == 1 else 503, detail=f"item {item_id}")

    live_outcomes: list = []

    def before_send(event: dict, hint: dict) -> dict:
        live_outcomes.append(ruleset.before_send(copy.deepcopy(event), hint))
        return event

    codes = (404, 503)
    integrations = [StarletteIntegration(failed_request_status_codes={*codes}),
                    FastApiIntegration(failed_request_status_codes={*codes})]
    with capture_events(integrations=integrations, before_send=before_send) as events:
        client = TestClient(app, raise_server_exceptions=False)
        client.get("/items/1")
        client.get("/items/2")
    assert len(events) == 2 and live_outcomes[0] is None and live_outcomes[1] is not None

    cases = []
    for event, code in zip(events, codes):
        event_file = write(tmp_path, f"event-{code}.json", json.dumps(event))
        cases.append(f"""
          - name: status {code}
            event_file: {event_file}
            hint:
              exc_type: [fastapi.exceptions.HTTPException, starlette.exceptions.HTTPException]
              exc_attrs: {{status_code: {code}}}
            expect: {{dropped: {str(code == 404).lower()}}}""")
    path = write(tmp_path, "live.rules-test.yaml", "ruleset: shop.yaml\ncases:" + "".join(cases) + "\n")
    results = results_by_name(path)
    assert all(r.passed for r in results.values()), [r.to_dict() for r in results.values()]
    assert results["status 503"].output is not None


# ---------------------------------------------------------------------------- expectations


def test_expectations_pass_when_the_ruleset_does_what_they_say(ruleset_dir: Path) -> None:
    path = write(ruleset_dir, "pass.rules-test.yaml", f"""\
        ruleset: rules/shop.yaml
        cases:
          - name: 404 dropped
            event_file: {EXAMPLES / "03-fastapi-404-item.json"}
            hint: {{exc_type: [fastapi.exceptions.HTTPException, starlette.exceptions.HTTPException],
                    exc_attrs: {{status_code: 404}}}}
            expect: {{dropped: true, dropped_by: client-errors, absent: [anything]}}
          - name: 401 kept
            event_file: {EXAMPLES / "03-fastapi-404-item.json"}
            hint: {{exc_type: [fastapi.exceptions.HTTPException, starlette.exceptions.HTTPException],
                    exc_attrs: {{status_code: 401}}}}
            expect:
              dropped_by: null
              title: "HTTPException: item 999 not found"
              tags: {{ruleset: shop@7, error_group: null}}
              present: ["item 999"]
              jmespath: {{"exception.values[-1].type": HTTPException, "length(exception.values)": 1}}
          - name: health check
            event_file: {EXAMPLES / "04-fastapi-health-check-transaction.json"}
            expect: {{dropped: true, dropped_by: health-checks}}
          - name: base class of the live exception
            event: {{}}
            hint: {{exc_type: [sqlalchemy.exc.OperationalError, sqlalchemy.exc.DBAPIError], exc_value: "server gone"}}
            expect:
              fingerprint: [database-error, OperationalError]
              title: "Database Error: server gone"
              level: warning
              tags: {{error_group: database_error}}
          - name: sampled out
            event: {{exception: {{values: [{{type: TimeoutError, value: slow}}]}}}}
            sampling: drop
            expect: {{dropped: true, dropped_by: noisy-timeouts, sampled_by: noisy-timeouts}}
          - name: sampled and kept
            event: {{exception: {{values: [{{type: TimeoutError, value: slow}}]}}}}
            expect: {{sampled_by: noisy-timeouts, title: "TimeoutError: slow"}}
        """)
    results = results_by_name(path)
    assert {name: r.to_dict()["mismatches"] for name, r in results.items() if not r.passed} == {}
    assert len(results) == 6


def test_each_expectation_that_does_not_hold_is_reported(ruleset_dir: Path) -> None:
    path = write(ruleset_dir, "fail.rules-test.yaml", f"""\
        ruleset: rules/shop.yaml
        cases:
          - name: no hint, no drop
            event_file: {EXAMPLES / "03-fastapi-404-item.json"}
            expect: {{dropped: true, dropped_by: client-errors}}
          - name: wrong outputs
            event_file: {EXAMPLES / "06-flask-login-form-error.json"}
            expect:
              title: "Login failed"
              fingerprint: [login]
              level: info
              tags: {{ruleset: shop@6}}
              absent: [Werkzeug]
              present: [not-there-at-all]
              jmespath: {{"level": fatal, "bad[": 1}}
          - name: kept when a drop is expected
            event: {{exception: {{values: [{{type: TimeoutError, value: slow}}]}}}}
            sampling: drop
            expect: {{title: "TimeoutError: slow"}}
        """)
    results = results_by_name(path)
    assert not any(r.passed for r in results.values())

    dropped = {m.what: m for m in results["no hint, no drop"].mismatches}
    assert dropped["dropped"].expected is True and dropped["dropped"].actual is False
    assert dropped["dropped_by"].actual is None
    assert results["no hint, no drop"].explanation["rules"][0]["rule_id"] == "client-errors"

    wrong = {m.what.split(" ")[0]: m for m in results["wrong outputs"].mismatches}
    event = json.loads((EXAMPLES / "06-flask-login-form-error.json").read_text())
    last = event["exception"]["values"][-1]
    assert wrong["title"].actual == f"{last['type']}: {last['value'].splitlines()[0]}"[:100]
    assert wrong["fingerprint"].actual is None
    assert wrong["level"].actual == event["level"]
    assert wrong["tags.ruleset"].actual == "shop@7"
    assert set(wrong) >= {"absent", "present", "jmespath"}
    absent = next(m for m in results["wrong outputs"].mismatches if m.what.startswith("absent"))
    assert "still at" in absent.actual
    jmes = [m for m in results["wrong outputs"].mismatches if m.what.startswith("jmespath")]
    assert {m.what for m in jmes} == {"jmespath level", "jmespath bad["}
    assert any("invalid expression" in str(m.actual) for m in jmes)

    sampled = {m.what: m for m in results["kept when a drop is expected"].mismatches}
    assert "sampled out by rule noisy-timeouts" in sampled["dropped"].actual


def test_breadcrumb_cases_run_through_before_breadcrumb(tmp_path: Path) -> None:
    write(tmp_path, "crumbs.yaml", """\
        format: 1
        name: crumbs
        filters:
          - id: template-noise
            on: [breadcrumb]
            when: {category: django.template}
            drop: true
        scrub:
          rules:
            - {id: passwords, keys: ["*password*"]}
        """)
    path = write(tmp_path, "crumbs.rules-test.yaml", """\
        ruleset: crumbs.yaml
        cases:
          - name: template crumbs go
            kind: breadcrumb
            event: {category: django.template, message: render list.html}
            expect: {dropped: true, dropped_by: template-noise}
          - name: query crumbs stay, without the revision tag events get
            kind: breadcrumb
            event: {category: query, message: SELECT 1}
            expect: {present: [SELECT 1], jmespath: {tags: null}}
          - name: the same payload as an error event is not a breadcrumb
            event: {category: django.template, message: render list.html}
            expect: {dropped: false, tags: {ruleset: crumbs@0}}
          - name: a kept crumb is checked as it leaves the process, scrubbed in its event
            kind: breadcrumb
            event: {category: auth, message: login, data: {password: hunter2}}
            expect: {absent: [hunter2], jmespath: {data.password: "[Filtered]"}}
        """)
    results = results_by_name(path)
    assert {name: r.mismatches for name, r in results.items() if not r.passed} == {}
