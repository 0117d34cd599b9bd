"""`triage rules check | test | list`: output, exit codes and help."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.ruleset.conftest import rule_text
from triage.ruleset.cli import default_rules_dir, rules

PACK = Path(__file__).resolve().parents[2] / "rules"
GOOD = rule_text("good", """\
match: {extension: torrent}
tests:
  match: [{path: /a/film.torrent}]
  no_match: [{path: /a/film.txt}]
""")


def run(*args: str):
    return CliRunner().invoke(rules, list(args))


def test_check_on_the_shipped_pack_succeeds() -> None:
    result = run("check", str(PACK))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "0 errors, 0 warnings" in result.stderr


def test_check_prints_every_problem_and_exits_4(pack) -> None:
    folder = pack({"a.yml": rule_text("a1", "match: {name: '('}\n"),
                   "b.yml": rule_text("b1", "match: {extension: x, extension: y}\n")})
    result = run("check", str(folder))
    assert result.exit_code == 4
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{folder}/a.yml:9:15: name regex '(' is not a valid")
    assert f"{folder}/b.yml:9:23: duplicate key 'extension' (first given at line 9)" in lines
    assert any(line.endswith("(warning)") for line in lines)


def test_test_runs_examples_and_fails_on_a_wrong_example(pack) -> None:
    ok = run("test", str(pack({"r.yml": GOOD})))
    assert ok.exit_code == 0 and "2 of 2 examples passed" in ok.stderr
    wrong = GOOD.replace("no_match: [{path: /a/film.txt}]", "no_match: [{path: /b/x.torrent}]")
    failed = run("test", str(pack({"r.yml": wrong})))
    assert failed.exit_code == 4
    assert "FAIL rule 'good' negative example /b/x.torrent matched" in failed.stdout


def test_test_on_the_shipped_pack_passes() -> None:
    result = run("test", str(PACK))
    assert result.exit_code == 0, result.output
    # Counted from the pack, so that adding a rule does not change this test.
    shipped = sum(text.count("\nid: ") + text.startswith("id: ")
                  for text in (f.read_text() for f in PACK.glob("*.yml")))
    assert f"examples passed in {shipped} rules" in result.stderr


def test_list_shows_each_rule(pack) -> None:
    result = run("list", str(pack({"r.yml": GOOD})))
    assert result.exit_code == 0
    assert result.stdout.split() == ["good", "high", "no-p2p", "Test", "rule", "good"]


def test_default_directory_is_rules_of_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "r.yml").write_text(GOOD)
    monkeypatch.chdir(tmp_path)
    assert default_rules_dir() == tmp_path / "rules"
    assert run("list").stdout.startswith("good")


@pytest.mark.parametrize("command", [[], ["check"], ["test"], ["list"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output
