"""The import pipeline: input files -> registered format readers -> collector -> bundle."""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from triage import keys
from triage.errors import InvalidInputError
from triage.files import sha256_file
from triage.hashdb.build import bundle_path, check_name, write_bundle
from triage.hashdb.collect import EntryCollector, SortedDigests
from triage.hashdb.formats import registry
from triage.hashdb.formats.registry import ImportOptions
from triage.hashdb.policy import DEFAULT_CAID_CATEGORY_MAP
from triage.hashdb.setinfo import ImportStats, SetInfo

# Every format module registers itself when imported; the order is irrelevant.
FORMAT_MODULES = ("hashlists", "hashdeep", "vics", "nsrl", "encase", "csvmap")

for _module in FORMAT_MODULES:
    importlib.import_module(f"triage.hashdb.formats.{_module}")


@dataclass
class Collected:
    """Everything read from the inputs, compiled and ready to be written or used in memory."""

    info: SetInfo  # as given, plus what the formats decided (CAID map, NSRL known-good)
    collector: EntryCollector
    compiled: dict[str, SortedDigests]
    inputs: list[dict[str, Any]]

    @property
    def stats(self) -> ImportStats:
        return self.collector.stats


def collect(
    paths: list[Path],
    info: SetInfo,
    *,
    fmt: str = "auto",
    options: ImportOptions | None = None,
    collector: EntryCollector | None = None,
) -> Collected:
    """Read every input into one collector and compile it; raises if nothing was accepted."""
    options = options or ImportOptions()
    chosen = []
    for path in paths:
        if not path.is_file():
            raise InvalidInputError(f"{path} is not a readable file; check the path.")
        chosen.append(registry.detect(path) if fmt == "auto" else registry.get(fmt))
    kinds = {importer.kind for importer in chosen if importer.kind is not None}
    if len(kinds) == 1:
        info = replace(info, kind=kinds.pop())
    if any(importer.name == "caid" for importer in chosen):
        mapping = options.category_map or info.category_map or dict(DEFAULT_CAID_CATEGORY_MAP)
        info = replace(info, category_map=mapping)
        options = replace(options, category_map=mapping)
    collector = collector or EntryCollector(info)
    inputs = []
    for path, importer in zip(paths, chosen, strict=True):
        importer.run(path, collector, options)
        inputs.append({"file": path.name, "format": importer.name, "sha256": sha256_file(path)})
    compiled = collector.compile()
    if not any(len(entries) for entries in compiled.values()):
        names = ", ".join(str(p) for p in paths)
        raise InvalidInputError(
            f"no hashes were accepted from {names}; check the file or name its --format."
        )
    return Collected(info, collector, compiled, inputs)


def import_files(
    paths: list[Path],
    info: SetInfo,
    into: Path,
    *,
    fmt: str = "auto",
    options: ImportOptions | None = None,
    signer: keys.SigningKey | None = None,
    replace: bool = False,
    now: dt.datetime | None = None,
) -> tuple[Path, ImportStats]:
    """Import `paths` as one set and write its bundle under `into`, all or nothing."""
    check_name(info.name)
    done = collect(paths, info, fmt=fmt, options=options)
    target = write_bundle(
        bundle_path(into, info.name),
        done.info,
        done.compiled,
        categories=done.collector.categories,
        references=done.collector.references,
        stats=done.stats,
        inputs=done.inputs,
        signer=signer,
        replace=replace,
        now=now,
    )
    return target, done.stats
