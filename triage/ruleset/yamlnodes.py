"""Safe YAML loading that keeps every value's line and column and rejects duplicate keys."""

from __future__ import annotations

from typing import Any

import yaml

from triage.ruleset.problems import NO_MARK, Mark, ProblemSink


class YMap(dict):
    """A YAML mapping that remembers where it, each key and each value were written."""

    mark: Mark
    key_marks: dict[str, Mark]
    value_marks: dict[str, Mark]

    def key_mark(self, key: str) -> Mark:
        return self.key_marks.get(key, self.mark)

    def value_mark(self, key: str) -> Mark:
        return self.value_marks.get(key, self.mark)


class YList(list):
    """A YAML sequence that remembers where it and each item were written."""

    mark: Mark
    item_marks: list[Mark]

    def item_mark(self, index: int) -> Mark:
        return self.item_marks[index] if index < len(self.item_marks) else self.mark


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


def mark_of(value: Any, default: Mark = NO_MARK) -> Mark:
    """Where a mapping or sequence starts; scalars carry no mark of their own."""
    return getattr(value, "mark", default)


_PLAIN_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


class _Builder:
    """Turns a composed node graph into YMap / YList / plain scalars."""

    def __init__(self, loader: yaml.SafeLoader, sink: ProblemSink) -> None:
        self.loader = loader
        self.sink = sink

    def build(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_TAGS:
            # Only SafeLoader's scalar constructors run; collection tags such as
            # !!python/object would otherwise be silently ignored.
            self.sink.error(_mark(node), f"unsupported YAML tag '{node.tag}'; remove it")
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node)
        if isinstance(node, yaml.SequenceNode):
            out = YList(self.build(item) for item in node.value)
            out.mark = _mark(node)
            out.item_marks = [_mark(item) for item in node.value]
            return out
        # SafeConstructor resolves the scalar's tag (int, bool, null, date...) safely.
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            self.sink.error(_mark(node), f"unsupported YAML value: {exc.problem}; remove the tag")
            return None
        except (ValueError, OverflowError) as exc:  # e.g. a date like 2024-13-45
            self.sink.error(_mark(node), f"'{node.value}' is not a valid value ({exc}); "
                            "quote it to keep it as text")
            return None

    def _mapping(self, node: yaml.MappingNode) -> YMap:
        out = YMap()
        out.mark = _mark(node)
        out.key_marks = {}
        out.value_marks = {}
        for key_node, value_node in node.value:
            key = self.build(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                self.sink.error(_mark(key_node), "keys must be plain text")
                continue
            if key in out:
                first = out.key_marks[key]
                self.sink.error(
                    _mark(key_node), f"duplicate key '{key}' (first given at line {first.line})"
                )
                continue
            out[key] = self.build(value_node)
            out.key_marks[key] = _mark(key_node)
            out.value_marks[key] = _mark(value_node)
        return out


def load_documents(text: str, sink: ProblemSink) -> list[Any]:
    """Every YAML document in `text` with marks kept; syntax errors go to `sink`, not raised."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as exc:  # e.g. a NUL byte: the reader refuses before any mark exists
        sink.error(NO_MARK, f"YAML error: {exc}")
        return []
    builder = _Builder(loader, sink)
    docs: list[Any] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                docs.append(builder.build(node))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else NO_MARK
        sink.error(where, f"YAML syntax error: {exc.problem or exc.context}")
    except yaml.YAMLError as exc:  # reader errors (control characters) carry no mark
        sink.error(NO_MARK, f"YAML error: {exc}")
    finally:
        loader.dispose()
    return docs
