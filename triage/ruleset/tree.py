"""Compiles a rule's `match:` tree of all / any / not over leaf conditions into one predicate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from triage.ruleset import shape
from triage.ruleset.conditions import LEAVES, Anchor
from triage.ruleset.problems import Mark, ProblemSink
from triage.ruleset.yamlnodes import YList, YMap

_COMBINERS = ("all", "any", "not", "same_device")
SAME_DEVICE = "same_device"


@dataclass(frozen=True, slots=True)
class Node:
    """A compiled (sub)tree: its predicate, cost, dispatch anchor and what it reads."""

    test: Callable[[Any], bool]
    cost: int
    anchor: Anchor | None
    needs_bytes: int
    kinds: frozenset[str]  # {"file"}, {"volume"} or {"artefact"}; more is a mixed, invalid tree
    # `same_device`: artefact conditions each met by some record of one source device (a
    # program installed per one record and run per another); `test` is then any of them.
    parts: tuple[Node, ...] = ()


def _all(tests: list[Callable[[Any], bool]]) -> Callable[[Any], bool]:
    # Unrolled for the common sizes: a generator in all() costs more than the tests.
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda f: a(f) and b(f)
    if len(tests) == 3:
        a, b, c = tests
        return lambda f: a(f) and b(f) and c(f)
    return lambda f: all(t(f) for t in tests)


def _any(tests: list[Callable[[Any], bool]]) -> Callable[[Any], bool]:
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda f: a(f) or b(f)
    return lambda f: any(t(f) for t in tests)


# How common each kind of dispatch fact is among ordinary files, rarest first: a folder name
# is rarer than a flag such as deleted, which is rarer than an extension or a mime family.
_RARITY = {"comp": 0, "sub": 1, "flag": 1, "ext": 2, "pext": 2, "mime": 3,
           "kind": 0}  # an artefact record's kind (artefact rules only)


def _best_anchor(anchors: list[Anchor]) -> Anchor | None:
    """Among anchors that all must hold, dispatch on the one whose facts are rarest."""
    if not anchors:
        return None
    return min(anchors, key=lambda a: (max(_RARITY[kind] for kind, _ in a), len(a)))


def _combine(kind: str, children: list[Node]) -> Node:
    children = sorted(children, key=lambda n: n.cost)
    tests = [c.test for c in children]
    kinds = frozenset().union(*(c.kinds for c in children))
    needs = max(c.needs_bytes for c in children)
    cost = sum(c.cost for c in children)
    if kind == "all":
        anchor = _best_anchor([c.anchor for c in children if c.anchor is not None])
        return Node(_all(tests), cost, anchor, needs, kinds)
    anchors = [c.anchor for c in children]
    union = None if None in anchors else frozenset().union(*anchors)
    return Node(_any(tests), cost, union, needs, kinds)


def _list(value: Any, mark: Mark, sink: ProblemSink, key: str) -> list[Node] | None:
    if not isinstance(value, YList) or not value:
        sink.error(mark, f"'{key}' needs a non-empty list of conditions, "
                   f"not {shape.type_name(value)}")
        return None
    nodes = [compile_tree(item, value.item_mark(i), sink) for i, item in enumerate(value)]
    return None if None in nodes else nodes  # type: ignore[return-value]


def _same_device(value: YMap, sink: ProblemSink, *, top: bool) -> Node | None:
    """`same_device: [cond, cond, ...]`: every condition met by a record of the same device."""
    where = value.value_mark(SAME_DEVICE)
    if not top or len(value) > 1:
        sink.error(value.key_mark(SAME_DEVICE), "same_device must be the whole of a rule's "
                   "match: (match: {same_device: [...]}); put other conditions inside its items")
        return None
    children = _list(value[SAME_DEVICE], where, sink, SAME_DEVICE)
    if children is None:
        return None
    if len(children) < 2 or any(c.kinds != frozenset({"artefact"}) for c in children):
        sink.error(where, "same_device needs two or more artefact conditions (e.g. a program "
                   "installed, and the same program run)")
        return None
    either = _combine("any", children)
    return Node(either.test, either.cost, either.anchor, 0, either.kinds, tuple(children))


def compile_tree(value: Any, mark: Mark, sink: ProblemSink, *, top: bool = False
                 ) -> Node | None:
    """Compile a match mapping; several keys in one mapping must all hold (like `all`).

    `top` is true for a rule's whole `match:`, the only place `same_device` may stand.
    """
    if not isinstance(value, YMap) or not value:
        sink.error(mark, f"a match condition must be a non-empty mapping such as "
                   f"'path: ...' or 'any: [...]', not {shape.type_name(value)}")
        return None
    if SAME_DEVICE in value:
        return _same_device(value, sink, top=top)
    parts: list[Node] = []
    failed = False
    for key, item in value.items():
        where = value.value_mark(key)
        node: Node | None = None
        if key in ("all", "any"):
            children = _list(item, where, sink, key)
            node = None if children is None else _combine(key, children)
        elif key == "not":
            inner = compile_tree(item, where, sink)
            if inner is not None:
                test = inner.test
                node = Node(lambda f, t=test: not t(f), inner.cost, None, inner.needs_bytes,
                            inner.kinds)
        elif key in LEAVES:
            spec = LEAVES[key]
            compiled = spec.compile(item, where, sink)
            if compiled is not None:
                node = Node(compiled.test, compiled.cost, compiled.anchor, compiled.needs_bytes,
                            frozenset({spec.kind}))
        else:
            sink.error(value.key_mark(key), f"unknown condition '{key}'; expected one of: "
                       f"{', '.join([*_COMBINERS, *sorted(LEAVES)])}")
        if node is None:
            failed = True
        else:
            parts.append(node)
    if failed:
        return None
    return parts[0] if len(parts) == 1 else _combine("all", parts)
