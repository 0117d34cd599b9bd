"""`triage hashset list | info | verify | diff | update`: the lab's commands over sets already
made (the commands that make them are in hashdb/cli.py)."""

from __future__ import annotations

from pathlib import Path

import click

from triage.errors import InvalidInputError
from triage.hashdb import delta as deltas
from triage.hashdb.bundle import Bundle
from triage.hashdb.cli_shared import (
    EXISTING,
    EXISTING_FOLDER,
    FOLDER,
    load_signer,
    parse_date,
    print_table,
    signing_options,
    trusted_option,
)
from triage.hashdb.listing import list_folder, trust_state
from triage.hashdb.manifest import MANIFEST
from triage.hashdb.verify import verify


@click.command("list")
@click.argument("directory", type=EXISTING_FOLDER)
@trusted_option("signers are not checked")
def list_command(directory: Path, trusted: Path | None) -> None:
    """List the hash sets in DIRECTORY with their trust state (exit 4 if one is not usable).

    Bundles, plain lists, perceptual sets and block filters: every set a scan given DIRECTORY
    as --hashsets would load, each checked as `triage hashset verify` checks it, in the same words.
    """
    listing = list_folder(directory, trusted)
    if len(listing.rows) == 1:
        click.echo(f"{directory}: no hash sets")
        return
    print_table(listing.rows)
    for problem in listing.problems:
        click.echo(problem, err=True)
    if listing.unusable:
        raise InvalidInputError(f"{listing.unusable} hash set(s) in {directory} are not usable "
                                "and would be left out of a scan; re-import or re-copy them.")


@click.command("info")
@click.argument("bundle", type=EXISTING_FOLDER)
def info_command(bundle: Path) -> None:
    """Show a bundle's manifest: identity, counts, categories, inputs."""
    opened = Bundle.open(bundle)
    m = opened.manifest
    click.echo(f"name:       {opened.name}\nversion:    {opened.version}\nkind:       {m['kind']}")
    click.echo(f"source:     {m.get('source') or '-'}\ncreated:    {m['created']}")
    click.echo(f"expires:    {m.get('expires') or '-'}\ndigest:     {opened.digest}")
    for algorithm, count in opened.counts.items():
        click.echo(f"count:      {algorithm} {count}")
    if opened.categories:
        click.echo(f"categories: {', '.join(opened.categories)}")
    if m.get("category_map"):
        mapping = ", ".join(f"{k}={v}" for k, v in m["category_map"].items())
        click.echo(f"category map: {mapping}")
    summary = m.get("import") or {}
    for source in summary.get("inputs", []):
        click.echo(f"input:      {source.get('file')} ({source.get('format')})")
    click.echo(
        f"import:     {summary.get('accepted')} accepted, {summary.get('rejected')} rejected, "
        f"{summary.get('duplicates')} duplicates"
    )
    if "previous" in m:
        click.echo(f"previous:   version {m['previous']['version']} {m['previous']['digest']}")


@click.command("verify")
@click.argument("bundle", type=EXISTING_FOLDER)
@trusted_option("any valid signature passes")
def verify_command(bundle: Path, trusted: Path | None) -> None:
    """Re-hash every file of BUNDLE and check its signature and expiry."""
    result = verify(bundle, trusted)
    for problem in result.problems:
        click.echo(problem, err=True)
    if not result.ok:
        raise InvalidInputError(
            f"{bundle} failed verification ({len(result.problems)} problems); "
            "re-import or re-copy the set."
        )
    click.echo(f"{bundle}: intact, signed by {result.signer}; "
               f"{trust_state(result, checked=trusted is not None)}")


@click.command("diff")
@click.argument("old", type=EXISTING_FOLDER)
@click.argument("new", type=EXISTING_FOLDER)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a delta file `update` can apply.",
)
def diff_command(old: Path, new: Path, out: Path | None) -> None:
    """Show what changed between two versions of a set."""
    result = deltas.diff(Bundle.open(old), Bundle.open(new))
    click.echo(f"{result.old.name} {result.old.version} -> {result.new.name} {result.new.version}")
    for algorithm in result.added:
        click.echo(
            f"{algorithm}: +{result.added[algorithm]} -{result.removed[algorithm]} "
            f"~{result.recategorised[algorithm]} recategorised"
        )
    if out is not None:
        deltas.write_delta(result, out)
        click.echo(f"delta written to {out}")


@click.command("update")
@click.argument("bundle", type=EXISTING_FOLDER)
@click.argument("delta_files", nargs=-1, required=True, type=EXISTING)
@click.option("--version", "version", help="New version (default: the old one plus one).")
@click.option("--expires", help="New expiry date YYYY-MM-DD.")
@signing_options
@click.option("--out", "out", type=FOLDER, help="Write the new version here, not over BUNDLE.")
def update_command(
    bundle: Path,
    delta_files: tuple[Path, ...],
    version: str | None,
    expires: str | None,
    sign_key: Path | None,
    ask_passphrase: bool,
    out: Path | None,
) -> None:
    """Apply delta files (or further exports, as additions) to BUNDLE as a new version."""
    if not (bundle / MANIFEST).exists():
        raise InvalidInputError(f"{bundle} is not a hash-set bundle; give the bundle folder.")
    target, opened = deltas.apply_update(
        bundle,
        list(delta_files),
        version=version,
        out=out,
        expires=parse_date(expires),
        signer=load_signer(sign_key, ask_passphrase),
    )
    counts = ", ".join(f"{alg} {n}" for alg, n in opened.counts.items())
    click.echo(f"{target}: version {opened.version} ({counts})")


COMMANDS = (list_command, info_command, verify_command, diff_command, update_command)
