"""The registry of leaf conditions a rule's `match:` tree can use, and what each compiles to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from triage.ruleset.problems import Mark, ProblemSink

# A fact every matching file has: ("comp", a path component), ("ext", the name's extension),
# ("pext", the path's last extension), ("sub", a text in the lower-case path), ("mime",
# top-level type) or ("flag", deleted | mismatch | large | hashset | perceptual); for an
# artefact rule ("kind", an artefact kind). The dispatcher only runs a rule when one of its
# facts holds.
Anchor = frozenset[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Leaf:
    """A compiled condition: a predicate plus what the dispatcher and reader need to know."""

    test: Callable[[Any], bool]  # FileFacts for file conditions, a volume dict for `volume`
    cost: int  # relative; cheap conditions run first inside `all` / `any`
    anchor: Anchor | None = None  # a matching file has at least one of these facts
    needs_bytes: int = 0
    volume: bool = False
    artefact: bool = False


Compiler = Callable[[Any, Mark, ProblemSink], Leaf | None]


@dataclass(frozen=True, slots=True)
class LeafSpec:
    name: str
    description: str
    compile: Compiler
    volume: bool = False
    artefact: bool = False

    @property
    def kind(self) -> str:
        """What the condition is evaluated on: 'file', 'volume' or 'artefact'."""
        return "artefact" if self.artefact else "volume" if self.volume else "file"


LEAVES: dict[str, LeafSpec] = {}


def leaf(name: str, description: str, *, volume: bool = False,
         artefact: bool = False) -> Callable[[Compiler], Compiler]:
    """Register a condition under its YAML key; a duplicate name is a programming error."""

    def register(compiler: Compiler) -> Compiler:
        if name in LEAVES:
            raise ValueError(f"condition '{name}' is registered twice")
        LEAVES[name] = LeafSpec(name, description, compiler, volume, artefact)
        return compiler

    return register
