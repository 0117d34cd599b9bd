"""The registry's one-regex lookup names the same extractor as asking each in turn."""

from __future__ import annotations

import triage.artefacts.builtin  # noqa: F401 - registers the extractors
from triage.artefacts.base import Extractor
from triage.artefacts.registry import EXTRACTORS, companion_of, extractor_for


def _one_by_one(path: str) -> Extractor | None:
    return next((e for e in EXTRACTORS.values() if e.wants(path)), None)


def _companion_one_by_one(path: str) -> tuple[Extractor, str] | None:
    for extractor in EXTRACTORS.values():
        primary = extractor.primary_of(path)
        if primary is not None:
            return extractor, primary
    return None


def _paths() -> list[str]:
    """Every pattern made concrete (stars as folders or names), in both cases, with each
    companion beside it, plus ordinary files."""
    paths = ["/", "/a.txt", "/Users/alex/Pictures/x.jpg", "/Windows/System32/config"]
    for extractor in EXTRACTORS.values():
        for pattern in extractor.patterns:
            for fill in ("x", "Users/alex", "a b.c"):
                path = "/" + pattern.replace("*", fill).lstrip("/")
                paths += [path, path.upper(), path + ".bak", path.rpartition("/")[0]]
                folder = path.rpartition("/")[0]
                for template in extractor.companions:
                    paths.append(template.replace("{name}", path) if "{name}" in template
                                 else f"{folder}/{template}")
    return paths


def test_the_same_extractor_and_companion_as_asking_each_in_turn():
    paths = _paths()
    assert len(EXTRACTORS) >= 10 and len(paths) > 300
    assert sum(extractor_for(p) is not None for p in paths) > 100
    assert sum(companion_of(p) is not None for p in paths) > 20
    for path in paths:
        assert extractor_for(path) is _one_by_one(path), path
        assert companion_of(path) == _companion_one_by_one(path), path


def test_paths_ending_in_no_patterns_tail_are_turned_away_before_the_regex():
    from triage.artefacts.registry import _index

    tails = _index().tails
    assert "/places.sqlite" in tails and ".lnk" in tails and "" not in tails
    assert extractor_for("/Users/alex/Pictures/x.jpg") is None
    assert extractor_for("/home/ALEX/.mozilla/firefox/a.default/PLACES.SQLITE").name == (
        "firefox-history")


class _Notes(Extractor):
    name = "notes"
    patterns = ("**/notes/*",)

    def extract(self, copy, origin):  # noqa: ANN001, ANN201 - never called here
        return iter(())


def test_a_pattern_ending_in_a_wildcard_lets_every_path_reach_the_regex(monkeypatch):
    from triage.artefacts import registry

    notes = _Notes()
    monkeypatch.setattr(registry, "EXTRACTORS", {**EXTRACTORS, "notes": notes})
    registry._index.cache_clear()
    try:
        assert "" in registry._index().tails
        assert extractor_for("/home/a/notes/todo") is notes
    finally:
        monkeypatch.undo()
        registry._index.cache_clear()
