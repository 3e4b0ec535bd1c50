"""``extends`` (relative files, builtin packs), merging, origins, and ``${ENV}`` in ``hash_key``."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from rules_engine.errors import RulesetError
from rules_engine.load import builtin
from rules_engine.load.env import expand_env
from rules_engine.load.loader import load_model, load_model_from_text


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def messages(error: pytest.ExceptionInfo) -> list[str]:
    return [str(problem) for problem in error.value.problems]


@pytest.fixture
def family(tmp_path):
    """common.yaml <- team.yaml <- service.yaml, in nested directories."""
    write(tmp_path, "shared/common.yaml", """\
        format: 1
        name: common
        options:
          on_error: send_filtered
          hash_key: common-key
          limits: {max_depth: 50, max_ms: 20}
        filters:
          - id: health
            on: [transaction]
            when: {transaction: "*/health"}
            drop: true
          - id: timeouts
            when: {error.type: "*TimeoutError"}
            sample: 0.1
        scrub:
          allow: [request.headers.user-agent]
          rules:
            - id: secrets
              keys: ["*secret*"]
    """)
    write(tmp_path, "shared/team.yaml", """\
        format: 1
        name: team
        extends: [./common.yaml]
        grouping:
          - id: db
            when: {error.type: sqlalchemy.exc.OperationalError}
            fingerprint: [database-error]
        scrub:
          allow: [request.headers.referer, request.headers.user-agent]
    """)
    return write(tmp_path, "services/service.yaml", """\
        format: 1
        name: service
        revision: 3
        extends: [../shared/team.yaml]
        options:
          limits: {max_ms: 100}
        filters:
          - id: client-errors
            when: {exc.status_code: {lt: 500}}
            drop: true
          - id: timeouts
            when: {error.type: "*TimeoutError"}
            sample: 0.5
    """)


def test_parents_come_first_and_a_child_rule_replaces_by_id_in_place(family, monkeypatch):
    monkeypatch.chdir(family.parent.parent)
    loaded = load_model("services/service.yaml")
    assert [(r.id, r.sample) for r in loaded.model.filters] == [("health", None), ("timeouts", 0.5),
                                                                 ("client-errors", None)]
    assert [r.id for r in loaded.model.grouping] == ["db"]
    assert [r.id for r in loaded.model.scrub.rules] == ["secrets"]
    assert loaded.model.name == "service" and loaded.model.revision == 3


def test_origins_name_the_file_and_line_of_each_rule(family, monkeypatch):
    monkeypatch.chdir(family.parent.parent)
    loaded = load_model("services/service.yaml")
    assert loaded.origins == {
        "health": "shared/common.yaml:8",
        "timeouts": "services/service.yaml:11",
        "client-errors": "services/service.yaml:8",
        "db": "shared/team.yaml:5",
        "secrets": "shared/common.yaml:18",
    }


def test_options_override_key_by_key_and_allow_lists_concatenate(family):
    loaded = load_model(family)
    options = loaded.model.options
    assert options.on_error == "send_filtered"  # only the parent sets it
    assert (options.limits.max_depth, options.limits.max_ms) == (50, 100)  # child overrides one limit
    assert options.limits.max_nodes == 200_000  # nobody sets it: the default
    assert loaded.model.scrub.allow == ["request.headers.user-agent", "request.headers.referer"]
    assert loaded.hash_key == b"common-key"


def test_problems_inside_an_extended_file_carry_its_path(tmp_path):
    write(tmp_path, "base.yaml", """\
        format: 1
        name: base
        filters:
          - id: a
            sample: 3
    """)
    child = write(tmp_path, "child.yaml", """\
        format: 1
        name: child
        extends: [./base.yaml]
        filters:
          - id: b
            drop: yes
    """)
    with pytest.raises(RulesetError) as caught:
        load_model(child)
    assert messages(caught) == [
        f"{tmp_path}/base.yaml:5:13: sample must be between 0 and 1, got 3",
        f"{child}:6:11: drop must be true, got 'yes' (to keep matching events, remove the rule)",
    ]


def test_missing_target(tmp_path):
    child = write(tmp_path, "child.yaml", "format: 1\nname: child\nextends: [./common.yml]\n")
    with pytest.raises(RulesetError) as caught:
        load_model(child)
    assert messages(caught) == [
        f"{child}:3:11: extends target './common.yml' not found (looked for {tmp_path}/common.yml)"
    ]


def test_cycle_shows_the_chain(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "a.yaml", "format: 1\nname: a\nextends: [./b.yaml]\n")
    write(tmp_path, "b.yaml", "format: 1\nname: b\nextends: [./c.yaml]\n")
    write(tmp_path, "c.yaml", "format: 1\nname: c\nextends: [./a.yaml]\n")
    with pytest.raises(RulesetError) as caught:
        load_model("a.yaml")
    assert messages(caught) == ["c.yaml:3:11: extends cycle: a.yaml -> b.yaml -> c.yaml -> a.yaml"]


def test_self_extension_is_a_cycle(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "a.yaml", "format: 1\nname: a\nextends: [a.yaml]\n")
    with pytest.raises(RulesetError) as caught:
        load_model("a.yaml")
    assert messages(caught) == ["a.yaml:3:11: extends cycle: a.yaml -> a.yaml"]


def test_diamond_is_not_a_cycle(tmp_path):
    write(tmp_path, "base.yaml", "format: 1\nname: base\nfilters:\n  - id: a\n    drop: true\n")
    write(tmp_path, "left.yaml", "format: 1\nname: left\nextends: [./base.yaml]\n")
    write(tmp_path, "right.yaml", "format: 1\nname: right\nextends: [./base.yaml]\n")
    top = write(tmp_path, "top.yaml", "format: 1\nname: top\nextends: [./left.yaml, ./right.yaml]\n")
    assert [r.id for r in load_model(top).model.filters] == ["a"]


def test_same_id_in_another_section_is_refused(tmp_path):
    write(tmp_path, "base.yaml", "format: 1\nname: base\nfilters:\n  - id: noise\n    drop: true\n")
    child = write(tmp_path, "child.yaml", """\
        format: 1
        name: child
        extends: [./base.yaml]
        grouping:
          - id: noise
            level: info
    """)
    with pytest.raises(RulesetError) as caught:
        load_model(child)
    assert messages(caught) == [
        f"{child}:5:9: rule id 'noise' is already used by a filter rule at {tmp_path}/base.yaml:4; "
        "a rule replaces an extended rule only within the same section"
    ]


# --------------------------------------------------------------------------- builtin packs


@pytest.fixture
def packs(tmp_path, monkeypatch):
    """A builtin directory with two versions of one pack."""
    root = tmp_path / "builtin"
    for version, sample in (("2026.05", 0.5), ("2026.11", 0.25)):
        write(root, f"noise/{version}.yaml", f"""\
            format: 1
            name: noise
            revision: '{version}'
            filters:
              - id: timeouts
                when: {{error.type: "*TimeoutError"}}
                sample: {sample}
        """)
    monkeypatch.setattr(builtin, "BUILTIN_DIR", root)
    return root


def test_builtin_pack_by_name_and_version(packs):
    loaded = load_model_from_text("format: 1\nname: svc\nextends: [builtin:noise@2026.11]\n")
    assert loaded.model.filters[0].sample == 0.25
    assert loaded.origins == {"timeouts": "builtin:noise@2026.11:5"}
    assert builtin.shipped_builtin_packs() == ["builtin:noise@2026.05", "builtin:noise@2026.11"]


def test_builtin_pack_can_be_loaded_directly(packs):
    loaded = load_model("builtin:noise@2026.05")
    assert loaded.path == "builtin:noise@2026.05"
    assert loaded.model.filters[0].sample == 0.5


def test_unknown_builtin_pack_suggests_a_shipped_one(packs):
    with pytest.raises(RulesetError) as caught:
        load_model_from_text("format: 1\nname: svc\nextends: [builtin:noisy@2026.11, builtin:nothing@1]\n", "s.yaml")
    assert messages(caught) == [
        "s.yaml:3:11: unknown builtin pack 'noisy' (did you mean 'builtin:noise@2026.11'?)",
        "s.yaml:3:34: unknown builtin pack 'nothing'; shipped packs: builtin:noise@2026.05, builtin:noise@2026.11",
    ]


def test_unknown_builtin_version_lists_the_shipped_ones(packs):
    with pytest.raises(RulesetError) as caught:
        load_model_from_text("format: 1\nname: svc\nextends: [builtin:noise@2025.01, 'builtin:noise']\n", "s.yaml")
    assert messages(caught) == [
        "s.yaml:3:11: builtin pack 'noise' has no version '2025.01'; shipped versions: 2026.05, 2026.11",
        "s.yaml:3:34: builtin packs are written builtin:NAME@VERSION, got 'builtin:noise' "
        "(did you mean 'builtin:noise@2026.11'?)",
    ]


def test_problems_in_a_builtin_pack_are_named_by_its_reference(packs):
    (packs / "noise" / "2026.11.yaml").write_text("format: 1\nname: noise\nfilters:\n  - id: x\n")
    with pytest.raises(RulesetError) as caught:
        load_model_from_text("format: 1\nname: svc\nextends: [builtin:noise@2026.11]\n", "s.yaml")
    assert messages(caught) == [
        "builtin:noise@2026.11:4:5: a filter needs exactly one action: 'drop: true' or 'sample: <0..1>'"
    ]


def test_the_shipped_secure_defaults_pack_loads():
    packs = builtin.shipped_builtin_packs()
    assert "builtin:secure-defaults@2026.11" in packs
    loaded = load_model_from_text("format: 1\nname: svc\nextends: [builtin:secure-defaults@2026.11]\n")
    assert loaded.model.scrub.rules, "the secure defaults scrub something"
    assert all(origin.startswith("builtin:secure-defaults@2026.11:") for origin in loaded.origins.values())


# --------------------------------------------------------------------------- ${ENV}


def test_expand_env_forms():
    env = {"KEY": "s3cret", "EMPTY": ""}
    assert expand_env("${KEY}", env) == "s3cret"
    assert expand_env("prefix-${KEY}-suffix", env) == "prefix-s3cret-suffix"
    assert expand_env("${MISSING:-fallback}", env) == "fallback"
    assert expand_env("${EMPTY:-fallback}", env) == "fallback"
    assert expand_env("$$${KEY}", env) == "$s3cret"
    assert expand_env("plain-key", env) == "plain-key"


@pytest.mark.parametrize(
    "text, message",
    [
        ("${MISSING}", "environment variable MISSING is not set (write ${MISSING:-default} for a fallback)"),
        ("${EMPTY}", "environment variable EMPTY is not set (write ${EMPTY:-default} for a fallback)"),
        ("${MISSING:-}", "the key is empty; an empty key makes hashes guessable"),
        ("${not valid}", "malformed ${...} reference; write ${NAME} or ${NAME:-default} (and $$ for a literal $)"),
    ],
)
def test_expand_env_refuses(text, message):
    with pytest.raises(ValueError) as caught:
        expand_env(text, {"EMPTY": ""})
    assert str(caught.value) == message


def test_hash_key_is_expanded_at_load(monkeypatch):
    monkeypatch.setenv("RULES_ENGINE_TEST_KEY", "k3y")
    loaded = load_model_from_text("format: 1\nname: svc\noptions:\n  hash_key: ${RULES_ENGINE_TEST_KEY}\n")
    assert loaded.hash_key == b"k3y"
    assert loaded.model.options.hash_key == "${RULES_ENGINE_TEST_KEY}"  # the model keeps what the file says


def test_unset_hash_key_variable_is_a_load_error_at_its_position(monkeypatch):
    monkeypatch.delenv("RULES_ENGINE_TEST_KEY", raising=False)
    text = "format: 1\nname: svc\noptions:\n  hash_key: ${RULES_ENGINE_TEST_KEY}\n"
    with pytest.raises(RulesetError) as caught:
        load_model_from_text(text, "s.yaml")
    assert messages(caught) == [
        "s.yaml:4:13: hash_key: environment variable RULES_ENGINE_TEST_KEY is not set "
        "(write ${RULES_ENGINE_TEST_KEY:-default} for a fallback)"
    ]
    relaxed = load_model_from_text(text, "s.yaml", require_env=False)
    assert relaxed.hash_key is None
    assert [str(w) for w in relaxed.warnings] == [str(p) for p in caught.value.problems]


def test_only_the_effective_hash_key_is_expanded(tmp_path, monkeypatch):
    monkeypatch.delenv("RULES_ENGINE_UNSET", raising=False)
    write(tmp_path, "base.yaml", "format: 1\nname: base\noptions: {hash_key: '${RULES_ENGINE_UNSET}'}\n")
    child = write(tmp_path, "child.yaml", "format: 1\nname: c\nextends: [./base.yaml]\noptions: {hash_key: k}\n")
    assert load_model(child).hash_key == b"k"
