"""YAML loading keeps line:col for every value and rejects duplicate keys."""

from triage.ruleset.problems import Mark, ProblemSink
from triage.ruleset.yamlnodes import YList, YMap, load_documents


def test_marks_of_keys_values_and_items_are_one_based() -> None:
    sink = ProblemSink("r.yml")
    (doc,) = load_documents("id: a\nmatch:\n  path: [x, y]\n", sink)
    assert isinstance(doc, YMap) and sink.problems == []
    assert doc.key_mark("match") == Mark(2, 1)
    assert doc.value_mark("id") == Mark(1, 5)
    paths = doc["match"]["path"]
    assert isinstance(paths, YList) and paths.item_marks == [Mark(3, 10), Mark(3, 13)]


def test_duplicate_key_is_reported_at_the_second_with_the_first_line() -> None:
    sink = ProblemSink("r.yml")
    (doc,) = load_documents("a: 1\nb: 2\na: 3\n", sink)
    assert [str(p) for p in sink.problems] == [
        "r.yml:3:1: duplicate key 'a' (first given at line 1)"]
    assert doc["a"] == 1


def test_nested_duplicate_keys_are_all_reported() -> None:
    sink = ProblemSink("r.yml")
    load_documents("m:\n  x: 1\n  x: 2\nn:\n  y: 1\n  y: 2\n", sink)
    assert [(p.line, p.col) for p in sink.problems] == [(3, 3), (6, 3)]


def test_syntax_error_has_a_line_and_does_not_raise() -> None:
    sink = ProblemSink("r.yml")
    docs = load_documents("a: 1\nb: [1, 2\nc: 3\n", sink)
    assert docs == []
    assert len(sink.problems) == 1 and sink.problems[0].message.startswith("YAML syntax error")
    assert sink.problems[0].line >= 2


def test_unsafe_tags_are_refused() -> None:
    sink = ProblemSink("r.yml")
    load_documents("a: !!python/object/apply:os.system ['true']\n", sink)
    assert sink.problems and "YAML" in sink.problems[0].message


def test_several_documents_and_non_text_keys() -> None:
    sink = ProblemSink("r.yml")
    docs = load_documents("a: 1\n---\n[1]: 2\nb: 3\n", sink)
    assert len(docs) == 2 and docs[1] == {"b": 3}
    assert [str(p) for p in sink.problems] == ["r.yml:3:1: keys must be plain text"]


def test_every_bad_value_is_reported_and_loading_goes_on() -> None:
    sink = ProblemSink("r.yml")
    docs = load_documents("a: !!python/name:os.system ''\nb: 2024-13-45\nc: ok\n", sink)
    assert docs == [{"a": None, "b": None, "c": "ok"}]
    assert [(p.line, p.col) for p in sink.problems] == [(1, 4), (2, 4)]
    assert "quote it" in sink.problems[1].message
