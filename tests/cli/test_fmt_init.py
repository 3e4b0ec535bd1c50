"""``rules-engine fmt`` (layout normalised, comments kept) and ``rules-engine init`` (a scaffold that passes)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from rules_engine.cli import main
from rules_engine.cli.fmt import format_text
from rules_engine.load.loader import load_model

MESSY = textwrap.dedent("""\
    # yaml-language-server: $schema=../schema/ruleset.v1.schema.json
    # The shop's rules.
    filters:
        -   drop: true       # noise
            # only 4xx
            when: {exc.status_code: {lt: 500}}
            id: client-errors
        -   id: timeouts
            sample: 0.1
            # bursts of them
            when:
                error.type: "*TimeoutError"

    name: shop     # stamped on events
    format: 1
    scrub:
        rules:
            -   redact: {mask: {keep_last: 4, keep_first: 2}}
                detect: [creditcard]   # Luhn-checked
                id: cards
""")

TIDY = textwrap.dedent("""\
    # yaml-language-server: $schema=../schema/ruleset.v1.schema.json
    # The shop's rules.
    format: 1

    name: shop  # stamped on events
    filters:
      - id: client-errors
        # only 4xx
        when: {exc.status_code: {lt: 500}}
        drop: true  # noise
      - id: timeouts
        # bursts of them
        when:
          error.type: "*TimeoutError"
        sample: 0.1
    scrub:
      rules:
        - id: cards
          detect: [creditcard]  # Luhn-checked
          redact: {mask: {keep_first: 2, keep_last: 4}}
""")


def test_block_scalars_are_content_not_comments():
    text = "format: 1\nname: x\ndescription: |\n  # not a comment\n     indented\n  # c\nfilters: []\n"
    assert format_text(text) == text


def test_format_text_orders_keys_and_reindents_keeping_comments():
    assert format_text(MESSY) == TIDY


def test_formatting_is_idempotent():
    assert format_text(TIDY) == TIDY
    assert format_text(format_text(MESSY)) == format_text(MESSY)


def test_formatted_file_means_the_same(tmp_path):
    before, after = tmp_path / "before.yaml", tmp_path / "after.yaml"
    before.write_text(MESSY)
    after.write_text(format_text(MESSY))
    assert load_model(before).model == load_model(after).model


def test_fmt_check_and_write_through_the_cli(tmp_path, capsys):
    path = tmp_path / "shop.yaml"
    path.write_text(MESSY)
    assert main(["fmt", "--check", str(path)]) == 1
    assert capsys.readouterr().out == f"{path}: would reformat\n"
    assert path.read_text() == MESSY
    assert main(["fmt", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: reformatted\n"
    assert path.read_text() == TIDY
    assert main(["fmt", "--check", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: already formatted\n"


def test_fmt_reports_unreadable_files_and_missing_paths(tmp_path, capsys):
    broken = tmp_path / "broken.yaml"
    broken.write_text("filters: [\n")
    assert main(["fmt", str(broken)]) == 1
    assert capsys.readouterr().out.startswith(f"{broken}: cannot format: ")
    assert broken.read_text() == "filters: [\n"
    assert main(["fmt", str(tmp_path / "nope.yaml")]) == 2


def test_bundled_rulesets_are_formatted():
    root = Path(__file__).resolve().parents[2] / "rulesets"
    for path in sorted(root.glob("*.yaml")):
        text = path.read_text()
        assert format_text(text) == text, f"{path.name} is not formatted: run rules-engine fmt {path}"


# --------------------------------------------------------------------------- init


def test_init_scaffolds_a_ruleset_that_validates_and_whose_cases_pass(tmp_path, capsys):
    target = tmp_path / "Payments API"
    assert main(["init", str(target)]) == 0
    created = capsys.readouterr().out.splitlines()
    assert created[:3] == [
        f"created {target}/ruleset.yaml",
        f"created {target}/ruleset.rules-test.yaml",
        f"created {target}/schema/ruleset.v1.schema.json",
    ]
    ruleset = target / "ruleset.yaml"
    assert ruleset.read_text().splitlines()[0] == "# yaml-language-server: $schema=schema/ruleset.v1.schema.json"
    assert (target / "schema" / "ruleset.v1.schema.json").read_text() == (
        Path(__file__).resolve().parents[2] / "schema" / "ruleset.v1.schema.json"
    ).read_text()
    loaded = load_model(ruleset)
    assert loaded.model.name == "payments-api"
    assert main(["validate", str(target)]) == 0
    capsys.readouterr()
    assert main(["test", str(target / "ruleset.rules-test.yaml")]) == 0, capsys.readouterr().out
    assert main(["fmt", "--check", str(ruleset)]) == 0


def test_init_never_overwrites_without_force(tmp_path, capsys):
    assert main(["init", str(tmp_path), "--name", "svc"]) == 0
    (tmp_path / "ruleset.yaml").write_text("# mine\n")
    capsys.readouterr()
    assert main(["init", str(tmp_path)]) == 1
    assert f"{tmp_path}/ruleset.yaml exists (use --force to overwrite)" in capsys.readouterr().err
    assert (tmp_path / "ruleset.yaml").read_text() == "# mine\n"
    assert main(["init", str(tmp_path), "--force", "--name", "svc"]) == 0
    assert load_model(tmp_path / "ruleset.yaml").model.name == "svc"


def test_init_refuses_a_bad_name_and_a_file_as_directory(tmp_path, capsys):
    assert main(["init", str(tmp_path), "--name", "my service"]) == 2
    (tmp_path / "file").write_text("x")
    assert main(["init", str(tmp_path / "file")]) == 2
    assert not (tmp_path / "ruleset.yaml").exists()


def test_init_and_test_through_the_installed_entry_point(tmp_path):
    created = subprocess.run([sys.executable, "-m", "rules_engine", "init", "svc"], cwd=tmp_path,
                             capture_output=True, text=True)
    assert created.returncode == 0, created.stderr
    tested = subprocess.run([sys.executable, "-m", "rules_engine", "test", "svc/ruleset.rules-test.yaml"],
                            cwd=tmp_path, capture_output=True, text=True)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "5 passed, 0 failed" in tested.stdout
