"""No import cycles anywhere in triage/ (TYPE_CHECKING and function-level imports included)."""

from __future__ import annotations

from pathlib import Path

from tests.architecture.imports import cycles, import_graph

ROOT = Path(__file__).resolve().parents[2]


def test_triage_has_no_import_cycles() -> None:
    graph = import_graph(ROOT, "triage")
    assert len(graph) > 100  # the whole package was read
    assert cycles(graph) == []


def test_the_graph_sees_every_kind_of_import(tmp_path: Path) -> None:
    """A cycle closed only under TYPE_CHECKING, inside a function or through a package's
    __init__ is still found (the checker cannot pass by missing imports)."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                              "    from pkg.b import B\n")
    (pkg / "b.py").write_text("def f():\n    from . import a\n")
    (pkg / "sub" / "__init__.py").write_text("from pkg.sub.c import C\n")
    (pkg / "sub" / "c.py").write_text("C = 1\n")
    (pkg / "d.py").write_text("import pkg.sub.c\n")
    (pkg / "sub" / "e.py").write_text("from pkg import d\n")
    graph = import_graph(tmp_path, "pkg")
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.b"] == {"pkg.a"}
    assert graph["pkg.d"] == {"pkg.sub", "pkg.sub.c"}
    assert cycles(graph) == [["pkg.a", "pkg.b"]]
    (pkg / "sub" / "__init__.py").write_text("from pkg.sub.c import C\nfrom pkg.sub import e\n")
    assert cycles(import_graph(tmp_path, "pkg")) == [
        ["pkg.a", "pkg.b"], ["pkg.d", "pkg.sub", "pkg.sub.e"]]
