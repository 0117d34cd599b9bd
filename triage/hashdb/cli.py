"""`triage hashset ...`: the lab's commands over the hash-set library (parse, call, print); the
commands that make sets are here, those over sets already made in hashdb/cli_sets.py."""

from __future__ import annotations

from pathlib import Path

import click

from triage import keys
from triage.blocks.build import known_good_keys
from triage.blocks.policy import MAX_BLOCKS_PER_FILE
from triage.blocks.store import BLOCKS_DIR, write_folder_filter
from triage.errors import InvalidInputError
from triage.hashdb import signing
from triage.hashdb.build import atomic_directory, bundle_path, check_name, write_bundle
from triage.hashdb.cli_sets import COMMANDS
from triage.hashdb.cli_shared import (
    EXISTING,
    EXISTING_FOLDER,
    FOLDER,
    load_signer,
    parse_date,
    signing_options,
)
from triage.hashdb.collect import EntryCollector
from triage.hashdb.formats import registry
from triage.hashdb.formats.registry import ImportOptions
from triage.hashdb.images import add_folder
from triage.hashdb.importing import import_files
from triage.hashdb.manifest import MANIFEST
from triage.hashdb.setinfo import ImportStats, SetInfo, SetKind
from triage.perceptual.build import BuildResult, build_from_folder, import_pdq_lists
from triage.stages.perceptual import PERCEPTUAL_DIR

SHOWN_PROBLEMS = 20  # malformed rows printed after an import; the rest are counted
FORMAT_CHOICES = ["auto", *sorted(registry.IMPORTERS)]


def _mapping(pairs: tuple[str, ...], option: str) -> dict[str, str]:
    """`KEY=VALUE` options (repeatable or comma-separated) as a dict."""
    out: dict[str, str] = {}
    for item in ",".join(pairs).split(","):
        if not item.strip():
            continue
        key, eq, value = item.partition("=")
        if not eq or not key.strip() or not value.strip():
            raise InvalidInputError(f"{option} {item!r} is not KEY=VALUE; write e.g. 1=A.")
        out[key.strip()] = value.strip()
    return out


def block_options(command):
    """--known-good DIR and --max-blocks-per-file, shared by the commands making block filters."""
    command = click.option(
        "--max-blocks-per-file", type=click.IntRange(min=1), default=MAX_BLOCKS_PER_FILE,
        show_default=True, help="Distinctive blocks kept per file (bounds very large sets)."
    )(command)
    return click.option(
        "--known-good", multiple=True, type=click.Path(exists=True, file_okay=False,
                                                       path_type=Path),
        help="Folder of known-good files (e.g. the stick's own system); blocks they hold are "
             "left out of the block filter. Repeatable.")(command)


def _report(stats: ImportStats, target: Path) -> None:
    for problem in stats.problems[:SHOWN_PROBLEMS]:
        click.echo(problem, err=True)
    hidden = stats.rejected - min(len(stats.problems), SHOWN_PROBLEMS)
    if hidden > 0:
        click.echo(f"... and {hidden} more rejected rows", err=True)
    click.echo(f"{target}: {stats.summary()}")


@click.group("hashset")
def hashset() -> None:
    """Import, sign, check and compare known-indicator hash sets."""


@hashset.command("import")
@click.argument("files", nargs=-1, required=True, type=EXISTING)
@click.option("--name", required=True, help="Set name (also its folder name).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMAT_CHOICES),
    default="auto",
    show_default=True,
    help="Input format; auto reads it from the content.",
)
@click.option("--category", help="Category for entries whose input names none.")
@click.option("--known-good", is_flag=True, help="A known-good set: never a hit.")
@click.option("--version", "version", default="1", show_default=True, help="Set version.")
@click.option("--expires", help="Expiry date YYYY-MM-DD; scans report an expired set.")
@click.option("--source", default="", help="Where the lab got the set (free text).")
@click.option(
    "--category-map",
    multiple=True,
    help="CAID numeric category to legal category, e.g. 1=A,2=B,3=C.",
)
@click.option("--severity", multiple=True, help="Category to severity, e.g. C=medium.")
@click.option(
    "--column",
    multiple=True,
    help="CSV header mapping ROLE=HEADER (md5, sha1, sha256, category, reference).",
)
@signing_options
@click.option("--into", required=True, type=FOLDER, help="Folder the bundle is written into.")
@click.option("--replace", is_flag=True, help="Replace an existing bundle of the same name.")
def import_command(
    files: tuple[Path, ...],
    name: str,
    fmt: str,
    category: str | None,
    known_good: bool,
    version: str,
    expires: str | None,
    source: str,
    category_map: tuple[str, ...],
    severity: tuple[str, ...],
    column: tuple[str, ...],
    sign_key: Path | None,
    ask_passphrase: bool,
    into: Path,
    replace: bool,
) -> None:
    """Import hash lists FILE... as one bundle."""
    info = SetInfo(
        name=check_name(name),
        version=version,
        kind=SetKind.KNOWN_GOOD if known_good else SetKind.NOTABLE,
        source=source,
        category=category,
        expires=parse_date(expires),
        severities=_severities(severity),
        category_map=_mapping(category_map, "--category-map") or None,
    )
    options = ImportOptions(category_map=info.category_map, columns=_mapping(column, "--column"))
    target, stats = import_files(
        list(files),
        info,
        into,
        fmt=fmt,
        options=options,
        signer=load_signer(sign_key, ask_passphrase),
        replace=replace,
    )
    _report(stats, target)


def _severities(pairs: tuple[str, ...]) -> dict[str, str]:
    table = _mapping(pairs, "--severity")
    allowed = {"info", "low", "medium", "high", "critical"}
    for category, level in table.items():
        if level not in allowed:
            raise InvalidInputError(
                f"--severity {category}={level} is not a severity; use one of {sorted(allowed)}."
            )
    return table


@hashset.command("add-images")
@click.argument("folder", type=EXISTING_FOLDER)
@click.option("--name", required=True, help="Set name (also its folder name).")
@click.option("--category", help="Category of every picture in the folder.")
@click.option("--version", "version", default="1", show_default=True)
@signing_options
@click.option("--into", required=True, type=FOLDER)
@click.option("--replace", is_flag=True)
@block_options
def add_images(
    folder: Path,
    name: str,
    category: str | None,
    version: str,
    sign_key: Path | None,
    ask_passphrase: bool,
    into: Path,
    replace: bool,
    known_good: tuple[Path, ...],
    max_blocks_per_file: int,
) -> None:
    """Make a bundle of the exact digests, a block filter and a perceptual set (pHash, PDQ) of
    FOLDER's pictures.

    The exact bundle goes to INTO/NAME, the block filter to INTO/blocks/NAME, the perceptual
    set to INTO/perceptual/NAME.
    """
    signer = load_signer(sign_key, ask_passphrase)
    target, stats = _exact_bundle(folder, name, version, category, signer, into, replace,
                                  "images", "reference pictures")
    _report(stats, target)
    _block_filter(folder, name, version, category, signer, into, replace, known_good,
                  max_blocks_per_file)
    try:
        with atomic_directory(into / PERCEPTUAL_DIR / name, replace=replace) as work:
            result = build_from_folder(folder, work, name=name, version=version,
                                       category=category or "")
            _sign_perceptual(work, signer)
    except InvalidInputError as exc:
        # The exact bundle stands on its own; say why no perceptual set came with it.
        click.echo(f"no perceptual set made: {exc}", err=True)
        return
    _report_perceptual(result, into / PERCEPTUAL_DIR / name)


def _exact_bundle(folder: Path, name: str, version: str, category: str | None,
                  signer: keys.SigningKey | None, into: Path, replace: bool, fmt: str,
                  what: str) -> tuple[Path, ImportStats]:
    """The exact-digest bundle of every file in FOLDER, at INTO/NAME."""
    info = SetInfo(name=check_name(name), version=version, category=category,
                   source=f"{what} in {folder.name}")
    sink = EntryCollector(info)
    if not add_folder(folder, sink, category):
        raise InvalidInputError(f"{folder} holds no readable files; point at the {what}.")
    target = write_bundle(bundle_path(into, name), info, sink.compile(),
                          categories=sink.categories, references=sink.references,
                          stats=sink.stats, inputs=[{"file": folder.name, "format": fmt}],
                          signer=signer, replace=replace,
                          sha256_covers=sink.sha256_covers())
    return target, sink.stats


def _block_filter(folder: Path, name: str, version: str, category: str | None,
                  signer: keys.SigningKey | None, into: Path, replace: bool,
                  known_good: tuple[Path, ...], max_blocks_per_file: int) -> None:
    """The block filter of every file in FOLDER, at INTO/blocks/NAME, and its tally."""
    target, stats = write_folder_filter(
        folder, into / BLOCKS_DIR / check_name(name), name=name, version=version,
        category=category, signer=signer, replace=replace,
        known_good=known_good_keys(list(known_good)) if known_good else None,
        max_per_file=max_blocks_per_file)
    for problem in stats.unreadable[:SHOWN_PROBLEMS]:
        click.echo(problem, err=True)
    click.echo(f"block filter {target}: {stats.summary()}")


@hashset.command("add-files")
@click.argument("folder", type=EXISTING_FOLDER)
@click.option("--name", required=True, help="Set name (also its folder name).")
@click.option("--category", help="Category of every file in the folder.")
@click.option("--version", "version", default="1", show_default=True)
@signing_options
@click.option("--into", required=True, type=FOLDER)
@click.option("--replace", is_flag=True)
@block_options
def add_files(folder: Path, name: str, category: str | None, version: str,
              sign_key: Path | None, ask_passphrase: bool, into: Path, replace: bool,
              known_good: tuple[Path, ...], max_blocks_per_file: int) -> None:
    """Make a bundle of the exact digests and a block filter of FOLDER's files (any type).

    The exact bundle goes to INTO/NAME, the block filter to INTO/blocks/NAME.
    """
    signer = load_signer(sign_key, ask_passphrase)
    target, stats = _exact_bundle(folder, name, version, category, signer, into, replace,
                                  "files", "known files")
    _report(stats, target)
    _block_filter(folder, name, version, category, signer, into, replace, known_good,
                  max_blocks_per_file)


@hashset.command("import-pdq")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="Set name (also its folder name).")
@click.option("--category", default="", help="Category of lines that name none.")
@click.option("--version", "version", default="1", show_default=True)
@signing_options
@click.option("--into", required=True, type=FOLDER)
@click.option("--replace", is_flag=True)
def import_pdq(files: tuple[Path, ...], name: str, category: str, version: str,
               sign_key: Path | None, ask_passphrase: bool, into: Path, replace: bool) -> None:
    """Import PDQ hash lists (hex, optional quality and category columns) as a perceptual set."""
    target = into / PERCEPTUAL_DIR / check_name(name)
    with atomic_directory(target, replace=replace) as work:
        result = import_pdq_lists(list(files), work, name=name, version=version,
                                  category=category)
        _sign_perceptual(work, load_signer(sign_key, ask_passphrase))
    _report_perceptual(result, target)


def _sign_perceptual(folder: Path, signer: keys.SigningKey | None) -> None:
    """Sign a perceptual set's manifest (it pins every file) as bundles are signed."""
    if signer is not None:
        signing.sign(folder, (folder / MANIFEST).read_bytes(), signer)


def _report_perceptual(result: BuildResult, target: Path) -> None:
    click.echo(f"perceptual set {target}: {result.count} references")
    for line in result.skipped:
        click.echo(f"  skipped: {line}")
    for line in result.unmatchable:
        click.echo(f"  too featureless ever to match: {line}")


for _command in COMMANDS:
    hashset.add_command(_command)
