"""`check_rules` reports every kind of bad rule as file:line:col, all at once."""

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.ruleset.conftest import RULE_HEAD, rule_text
from triage.errors import ExitCode, InvalidInputError
from triage.ruleset import check_rules, load_rules
from triage.ruleset.loader import read_rules

GOOD_TESTS = """\
tests:
  match: [{path: /a/qBittorrent/x.ini}]
  no_match: [{path: /a/b.txt}]
"""


def errors(folder: Path) -> list[str]:
    return [str(p) for p in check_rules(folder) if p.is_error]


def only_error(folder: Path) -> str:
    found = errors(folder)
    assert len(found) == 1, found
    return found[0]


def test_a_valid_rule_has_no_problems(pack: Callable[..., Path]) -> None:
    folder = pack({"r.yml": rule_text("ok", "match:\n  path: '**/qBittorrent/**'\n" + GOOD_TESTS)})
    assert check_rules(folder) == []
    assert len(load_rules(folder)) == 1


def test_duplicate_key_names_its_line(pack: Callable[..., Path]) -> None:
    text = rule_text("dup", "match:\n  path: '**/a/**'\n  path: '**/b/**'\n" + GOOD_TESTS)
    folder = pack({"r.yml": text})
    assert only_error(folder) == (f"{folder}/r.yml:11:3: duplicate key 'path' "
                                  "(first given at line 10)")


def test_duplicate_ids_across_files(pack: Callable[..., Path]) -> None:
    body = "match:\n  path: '**/qBittorrent/**'\n" + GOOD_TESTS
    folder = pack({"a.yml": rule_text("same", body), "b.yml": rule_text("same", body)})
    assert only_error(folder) == (f"{folder}/b.yml:1:5: duplicate rule id 'same' (first used at "
                                  f"{folder}/a.yml:1); ids must be unique")


def test_invalid_regexes_are_reported_where_written(pack: Callable[..., Path]) -> None:
    body = """\
match:
  any:
    - name: '^(tor'
    - content: {regex: 'a[b'}
    - volume: {reason: '*x'}
"""
    folder = pack({"r.yml": rule_text("re", body)})
    found = errors(folder)
    assert f"{folder}/r.yml:11:13: name regex '^(tor' is not a valid regular expression: " \
           "missing ), unterminated subpattern at position 1" in found
    assert any(e.startswith(f"{folder}/r.yml:12:24: content regex 'a[b'") for e in found)
    assert any(e.startswith(f"{folder}/r.yml:13:24: volume reason '*x'") for e in found)
    assert len(found) == 3


def test_unknown_fields_at_every_level(pack: Callable[..., Path]) -> None:
    body = """\
colour: red
match:
  size: {min: 1, maxi: 2}
  pathh: '**/x/**'
tests:
  match: [{path: /a, colour: red}]
  nomatch: []
"""
    folder = pack({"r.yml": rule_text("unknown", body)})
    found = errors(folder)
    assert found[0].startswith(f"{folder}/r.yml:9:1: unknown field 'colour' in a rule")
    assert any(e.startswith(f"{folder}/r.yml:11:18: unknown field 'maxi' in size") for e in found)
    assert any(e.startswith(f"{folder}/r.yml:12:3: unknown condition 'pathh'") for e in found)
    assert any(e.startswith(f"{folder}/r.yml:14:22: unknown field 'colour' in a file example")
               for e in found)
    assert any(e.startswith(f"{folder}/r.yml:15:3: unknown field 'nomatch' in tests")
               for e in found)


@pytest.mark.parametrize(("match", "words"), [
    ("path: '**'", "matches 98 of 98"),
    ("not: {extension: torrent}", "matches 98 of 98"),
    ("size: {min: 0}", "matches 98 of 98"),
    ("time: {within_days: 100000}", "matches 98 of 98"),
    ("any: [{extension: [exe, dll, txt, jpg, pdf, png, mp3, log, plist, docx]}, {name: '.'}]",
     "over-broad"),
])
def test_rules_matching_almost_everything_are_flagged(
    pack: Callable[..., Path], match: str, words: str
) -> None:
    folder = pack({"r.yml": rule_text("broad", f"match:\n  {match}\n" + GOOD_TESTS)})
    found = only_error(folder)
    assert found.startswith(f"{folder}/r.yml:10:3: rule 'broad' is over-broad") and words in found


def test_volume_rule_matching_every_healthy_volume_is_flagged(pack: Callable[..., Path]) -> None:
    folder = pack({"r.yml": rule_text("vol", "match:\n  volume: {status: examined}\n")})
    assert "over-broad" in only_error(folder)


def test_field_values_are_checked(pack: Callable[..., Path]) -> None:
    text = RULE_HEAD.format(id="Bad Id").replace("severity: high", "severity: severe").replace(
        "condition: no-p2p", "condition: no-fun").replace("version: 1", "version: one")
    text += "match:\n  size: {min: lots}\n  deleted: yes please\n  entropy: {min: 9}\n"
    folder = pack({"r.yml": text})
    found = errors(folder)
    assert f"{folder}/r.yml:1:5: id must be 2-80 lower-case letters, digits, '.', '_' or '-', " \
           "not 'Bad Id'" in found
    assert any(e.startswith(f"{folder}/r.yml:4:11: severity must be one of info, low")
               for e in found)
    assert any(e.startswith(f"{folder}/r.yml:5:12: condition must be one of") for e in found)
    assert any(e.startswith(f"{folder}/r.yml:7:10: version must be a number") for e in found)
    assert any(e.startswith(f"{folder}/r.yml:10:15: size min must be a byte count") for e in found)
    assert any(e.startswith(f"{folder}/r.yml:11:12: deleted must be true or false") for e in found)
    assert any(e.startswith(f"{folder}/r.yml:12:18: entropy min must be between 0 and 8")
               for e in found)


def test_missing_fields_and_empty_lists(pack: Callable[..., Path]) -> None:
    folder = pack({"r.yml": "id: x1\ntitle: t\nmatch:\n  any: []\n"})
    found = errors(folder)
    assert f"{folder}/r.yml:1:1: a rule needs a 'severity' field" in found
    assert len([e for e in found if "needs a '" in e]) == 6
    assert f"{folder}/r.yml:4:8: 'any' needs a non-empty list of conditions, not a list" in found


def test_bad_globs(pack: Callable[..., Path]) -> None:
    body = "match:\n  path: ['**/ok/**', 'a/**b']\n"
    folder = pack({"r.yml": rule_text("glob", body)})
    assert only_error(folder) == (f"{folder}/r.yml:10:22: '**' must be a whole path component, "
                                  "not part of '**b'")


def test_volume_and_file_conditions_cannot_mix(pack: Callable[..., Path]) -> None:
    body = "match:\n  extension: vdi\n  volume: {status: not_examined}\n"
    folder = pack({"r.yml": rule_text("mixed", body)})
    assert only_error(folder) == (f"{folder}/r.yml:10:3: a rule cannot mix file, volume and "
                                  "artefact conditions; split it into one rule for each")


def test_count_is_checked_and_not_allowed_on_volume_rules(pack: Callable[..., Path]) -> None:
    files = {
        "a.yml": rule_text("c1", "match: {extension: jpg}\ncount: {group_by: street, min: 1}\n"),
        "b.yml": rule_text("c2", "match: {volume: {status: not_examined}}\n"
                                 "count: {group_by: volume, min: 5}\n"),
    }
    folder = pack(files)
    found = errors(folder)
    assert any(e.startswith(f"{folder}/a.yml:10:19: count group_by must be one of folder, volume")
               for e in found)
    assert f"{folder}/a.yml:10:32: count min must be at least 2, not 1" in found
    assert (f"{folder}/b.yml:10:1: count applies to file rules, not volume or artefact "
            "rules") in found


def test_bad_examples_are_errors_and_missing_examples_warnings(pack: Callable[..., Path]) -> None:
    body = """\
match: {extension: torrent}
tests:
  match:
    - path: relative/x.torrent
    - {path: '/a/{n}.torrent', repeat: 0}
    - {path: /a/x.torrent, content_hex: zz}
"""
    folder = pack({"r.yml": rule_text("ex", body)})
    problems = check_rules(folder)
    found = [str(p) for p in problems if p.is_error]
    assert (f"{folder}/r.yml:12:13: an example path starts with '/' like '/Users/alex/a.txt'"
            in found)
    assert f"{folder}/r.yml:13:40: repeat must be between 1 and 10000, not 0" in found
    assert f"{folder}/r.yml:14:41: example content_hex must be hex digits, not 'zz'" in found
    warnings = [p for p in problems if not p.is_error]
    assert [w.message for w in warnings] == [  # the invalid examples do not count
        "rule has no positive example; add one under tests: match:",
        "rule has no negative example; add one under tests: no_match:"]


def test_syntax_and_encoding_errors_are_problems(pack: Callable[..., Path]) -> None:
    folder = pack({"a.yml": "id: [unclosed\n"})
    (folder / "b.yaml").write_bytes(b"id: \xff\xfe\n")
    found = errors(folder)
    assert found[0].startswith(f"{folder}/a.yml:2:1: YAML syntax error")
    assert found[1] == f"{folder}/b.yaml:1:1: not UTF-8 text (byte 4); save the file as UTF-8"


def test_missing_or_empty_folder(tmp_path: Path) -> None:
    assert "rules directory not found" in only_error(tmp_path / "nope")
    assert "no rule files" in only_error(tmp_path)


def test_all_problems_of_all_files_are_reported_at_once(pack: Callable[..., Path]) -> None:
    folder = pack({
        "a.yml": rule_text("a1", "match: {name: '('}\n") + "---\n" + rule_text(
            "a2", "match: {size: {min: 5, max: 1}}\n"),
        "b.yml": rule_text("b1", "match: {mime: 3}\n"),
    })
    found = errors(folder)
    assert [e.split(":")[0].rsplit("/", 1)[1] + ":" + e.split(":")[1] for e in found] == [
        "a.yml:9", "a.yml:19", "b.yml:9"]


def test_load_rules_refuses_invalid_rules_naming_them(pack: Callable[..., Path]) -> None:
    folder = pack({"r.yml": rule_text("x1", "match: {name: '('}\n")})
    with pytest.raises(InvalidInputError) as caught:
        load_rules(folder)
    assert caught.value.exit_code == ExitCode.INVALID_INPUT
    message = str(caught.value)
    assert f"{folder}/r.yml:9:15: name regex '('" in message and "triage rules check" in message


def test_a_rule_that_sees_only_an_installed_tool_cannot_make_red(
        pack: Callable[..., Path]) -> None:
    # RULE_HEAD says severity: high (line 4); presence alone is at most medium (AMBER).
    body = "evidence: installed\nmatch:\n  path: '**/qBittorrent/**'\n" + GOOD_TESTS
    folder = pack({"r.yml": rule_text("tool", body)})
    assert only_error(folder) == (
        f"{folder}/r.yml:4:11: a rule with evidence: installed is at most severity medium "
        "(AMBER): presence alone does not show a breach; lower the severity, or match a file "
        "only using the tool writes and say evidence: used")
    used = pack({"r.yml": rule_text("tool", body.replace("installed", "used"))})
    (rule,) = load_rules(used).rules
    assert rule.evidence == "used"


def test_evidence_is_one_of_the_words_and_wording_defaults_to_the_condition(
        pack: Callable[..., Path]) -> None:
    body = "evidence: ran\nmatch:\n  path: '**/qBittorrent/**'\n" + GOOD_TESTS
    folder = pack({"r.yml": rule_text("tool", body)})
    assert only_error(folder) == (f"{folder}/r.yml:9:11: evidence must be one of installed, "
                                  "used, not 'ran'")
    own = "order_wording: must not use BitTorrent\nmatch:\n  path: '**/qBittorrent/**'\n"
    (rule,) = load_rules(pack({"r.yml": rule_text("tool", own + GOOD_TESTS)})).rules
    assert rule.order_wording == "must not use BitTorrent"
    (plain,) = load_rules(pack({"r.yml": rule_text("tool", own[own.index("\n") + 1:]
                                                    + GOOD_TESTS)})).rules
    assert plain.order_wording == "must not use peer-to-peer file-sharing software"


def test_a_rule_with_an_unknown_field_is_not_valid(pack: Callable[..., Path]) -> None:
    folder = pack({"r.yml": rule_text("extra", "colour: red\nmatch: {extension: torrent}\n"
                                      + GOOD_TESTS)})
    found, _, problems = read_rules(folder)
    assert found == []
    assert [str(p) for p in problems if p.is_error] == [
        f"{folder}/r.yml:9:1: unknown field 'colour' in a rule; expected one of: author, "
        "condition, count, description, evidence, id, match, order_wording, references, "
        "severity, tests, title, version"]


def test_a_missing_field_does_not_hide_the_others(pack: Callable[..., Path]) -> None:
    text = ("id: Bad Id\ntitle: t\nseverity: severe\ncolour: red\n"
            "match:\n  size: {min: lots}\n")
    folder = pack({"r.yml": text})
    found = errors(folder)
    assert f"{folder}/r.yml:1:5: id must be 2-80 lower-case letters, digits, '.', '_' or '-', " \
           "not 'Bad Id'" in found
    assert any(e.startswith(f"{folder}/r.yml:3:11: severity must be one of") for e in found)
    assert any(e.startswith(f"{folder}/r.yml:4:1: unknown field 'colour'") for e in found)
    assert any(e.startswith(f"{folder}/r.yml:6:15: size min must be a byte count") for e in found)
    assert f"{folder}/r.yml:1:1: a rule needs a 'condition' field" in found
