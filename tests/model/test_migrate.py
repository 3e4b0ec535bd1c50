"""Format versions: the migration registry, in-memory migration by the loader, ``rules-engine migrate``.

Only format 1 exists, so the mechanism is exercised with a synthetic format 0 in which filters were
called ``rules`` and sampling was ``sample_rate``; the migration is registered for the test only.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from ruamel.yaml.comments import CommentedMap

from rules_engine.cli import main
from rules_engine.errors import RulesetError
from rules_engine.load.loader import load_model
from rules_engine.load.roundtrip import parse
from rules_engine.model import migrations

FORMAT_0 = textwrap.dedent("""\
    # yaml-language-server: $schema=../schema/ruleset.v1.schema.json
    format: 0   # the old format
    name: legacy
    # Noise we never want to see.
    rules:
      - id: health      # load balancer probes
        on: [transaction]
        when: {transaction: "*/health"}
        drop: true

      # Timeouts come in bursts.
      - id: timeouts
        when: {error.type: "*TimeoutError"}
        sample_rate: 0.1   # one in ten
""")


def upgrade_0_to_1(tree):
    migrations.rename_key(tree, "rules", "filters")
    for rule in tree.get("filters") or []:
        migrations.rename_key(rule, "sample_rate", "sample")


@pytest.fixture
def format_0(monkeypatch):
    monkeypatch.setitem(migrations.MIGRATIONS, 0, migrations.Migration(0, "rules -> filters", upgrade_0_to_1))


@pytest.fixture
def legacy_file(tmp_path, format_0):
    path = tmp_path / "legacy.yaml"
    path.write_text(FORMAT_0)
    return path


def test_registry_knows_which_versions_it_reads(format_0):
    assert migrations.readable_versions() == [0, 1]
    assert migrations.describe_versions() == "formats 0 and 1"


def test_versions_chain_through_every_step(monkeypatch):
    monkeypatch.setattr(migrations, "CURRENT_VERSION", 3)
    steps_taken = []
    monkeypatch.setitem(migrations.MIGRATIONS, 1, migrations.Migration(1, "one", lambda t: steps_taken.append(1)))
    monkeypatch.setitem(migrations.MIGRATIONS, 2, migrations.Migration(2, "two", lambda t: steps_taken.append(2)))
    tree = CommentedMap(format=1, name="x")
    applied = migrations.migrate_tree(tree, 1)
    assert [s.to_version for s in applied] == [2, 3]
    assert steps_taken == [1, 2] and tree["format"] == 3
    assert migrations.chain_from(0) is None  # no step from 0
    with pytest.raises(ValueError):
        migrations.migrate_tree(CommentedMap(format=0), 0)


def test_registering_a_version_twice_is_refused(format_0):
    with pytest.raises(ValueError):
        migrations.migration(0, "again")(upgrade_0_to_1)


def test_loader_reads_an_older_format_by_migrating_in_memory(legacy_file):
    loaded = load_model(legacy_file)
    assert [(r.id, r.sample) for r in loaded.model.filters] == [("health", None), ("timeouts", 0.1)]
    assert [str(w) for w in loaded.warnings] == [
        f"{legacy_file}:2:9: format 0 was upgraded to format 1 in memory; "
        f"run 'rules-engine migrate {legacy_file}' to upgrade the file"
    ]
    assert legacy_file.read_text() == FORMAT_0  # loading never writes


def test_without_the_migration_format_0_is_refused(tmp_path):
    path = tmp_path / "legacy.yaml"
    path.write_text(FORMAT_0)
    with pytest.raises(RulesetError) as caught:
        load_model(path)
    assert str(caught.value) == f"{path}:2:9: format 0 is no longer supported: this release reads format 1"


def test_migrate_check_reports_and_writes_nothing(legacy_file, capsys):
    assert main(["migrate", "--check", str(legacy_file)]) == 1
    assert capsys.readouterr().out == (
        f"{legacy_file}: needs migrating from format 0 to 1 (0 -> 1: rules -> filters)\n"
    )
    assert legacy_file.read_text() == FORMAT_0


def test_migrate_rewrites_in_place_keeping_comments_and_layout(legacy_file, capsys):
    assert main(["migrate", str(legacy_file)]) == 0
    assert capsys.readouterr().out == f"{legacy_file}: migrated from format 0 to 1 (0 -> 1: rules -> filters)\n"
    expected = (
        FORMAT_0.replace("format: 0", "format: 1")
        .replace("rules:", "filters:")
        .replace("sample_rate: 0.1   # one in ten", "sample: 0.1        # one in ten")  # comment column kept
    )
    assert legacy_file.read_text() == expected
    assert load_model(legacy_file).warnings == []
    assert main(["migrate", "--check", str(legacy_file)]) == 0
    assert capsys.readouterr().out == f"{legacy_file}: format 1, up to date\n"


def test_migrate_keeps_four_space_layouts(tmp_path, format_0):
    path = tmp_path / "wide.yaml"
    text = "format: 0\nname: wide\nrules:\n    -   id: a\n        drop: true  # keep\n"
    path.write_text(text)
    assert main(["migrate", str(path)]) == 0
    assert path.read_text() == text.replace("format: 0", "format: 1").replace("rules:", "filters:")


def test_migrate_refuses_newer_and_unknown_formats(tmp_path, capsys):
    newer = tmp_path / "newer.yaml"
    newer.write_text("format: 7\nname: x\n")
    broken = tmp_path / "broken.yaml"
    broken.write_text("format: [\n")
    assert main(["migrate", str(newer), str(broken)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{newer}: format 7 is newer than this release reads (format 1); upgrade rules-engine"
    assert out[1].startswith(f"{broken}: cannot read: ")
    assert newer.read_text() == "format: 7\nname: x\n"


def test_migrate_usage_error_for_missing_files(tmp_path, capsys):
    assert main(["migrate", str(tmp_path / "nope.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_rename_key_keeps_position_and_comment():
    document = parse("a: 1\nold: 2  # note\nz: 3\n")
    assert migrations.rename_key(document.tree, "old", "new")
    assert not migrations.rename_key(document.tree, "missing", "x")
    assert document.dump() == "a: 1\nnew: 2  # note\nz: 3\n"


def test_migrate_through_the_installed_entry_point(tmp_path):
    path = tmp_path / "current.yaml"
    path.write_text("format: 1\nname: x\n")
    result = subprocess.run([sys.executable, "-m", "rules_engine", "migrate", "--check", str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{path}: format 1, up to date\n"
