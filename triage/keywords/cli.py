"""`triage keywords ...`: the lab's commands for signed keyword lists (parse, call, print)."""

from __future__ import annotations

from pathlib import Path

import click

from triage import keys
from triage.errors import InvalidInputError
from triage.hashdb.cli_shared import EXISTING, FOLDER, load_signer, print_table
from triage.hashdb.manifest import MANIFEST
from triage.keywords.bundle import KEYWORDS_DIR, add, open_list

TRUSTED = click.Path(exists=True, file_okay=False, path_type=Path)


@click.group("keywords")
def keywords() -> None:
    """Add and check the lab's signed keyword lists (matched against searches and addresses)."""


@keywords.command("add")
@click.argument("source", type=EXISTING)
@click.option("--name", required=True, help="List name (also its folder name).")
@click.option("--version", "version", default="1", show_default=True, help="List version.")
@click.option("--source", "origin", default="", help="Where the list came from (free text).")
@click.option("--sign", "sign_key", type=EXISTING, required=True,
              help="Lab private key to sign with (scans use only signed lists).")
@click.option("--passphrase", "ask_passphrase", is_flag=True,
              help="Ask for the signing key's passphrase.")
@click.option("--into", required=True, type=FOLDER,
              help="The hash-set folder; the list goes to INTO/keywords/NAME.")
@click.option("--replace", is_flag=True, help="Replace an existing list of the same name.")
def add_command(source: Path, name: str, version: str, origin: str, sign_key: Path,
                ask_passphrase: bool, into: Path, replace: bool) -> None:
    """Sign SOURCE (UTF-8 text, one term per line, '#' starts a comment) as a keyword list.

    Terms match whole words, ignoring case and accents; a report names the list and the line
    number of a matched term, never the term.
    """
    signer = load_signer(sign_key, ask_passphrase)
    assert signer is not None  # noqa: S101 - --sign is required
    added = add(source, name=name, version=version, into=into, signer=signer, origin=origin,
                replace=replace)
    for line in added.wordless[:20]:
        click.echo(f"{source}:{line}: holds no letters or digits and will never match",
                   err=True)
    click.echo(f"{added.target}: {added.terms} terms, signed by {signer.fingerprint}")


@keywords.command("list")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--trusted", type=TRUSTED, required=True,
              help="Folder of trusted lab public keys (*.pub), as given to the scan.")
def list_command(directory: Path, trusted: Path) -> None:
    """List the keyword lists a scan with --hashsets DIRECTORY would use (exit 4 if one would
    not be used)."""
    folder = directory / KEYWORDS_DIR
    children = sorted(p for p in folder.iterdir() if (p / MANIFEST).is_file()) \
        if folder.is_dir() else []
    if not children:
        click.echo(f"{directory}: no keyword lists (they live in {folder})")
        return
    trusted_keys = keys.load_trusted(trusted)
    rows = [("NAME", "VERSION", "TERMS", "SIGNER", "STATE")]
    refused = []
    for child in children:
        loaded, record, problem = open_list(child, trusted_keys)
        rows.append((str(record["name"]), str(record["version"] or "-"), str(record["count"]),
                     str(record["signer"] or "-"), "trusted" if loaded else "NOT USED"))
        if problem:
            refused.append(problem)
    print_table(rows)
    for problem in refused:
        click.echo(problem, err=True)
    if refused:
        raise InvalidInputError(f"{len(refused)} keyword list(s) in {folder} would not be used "
                                "by a scan; fix them as said above.")


@keywords.command("verify")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--trusted", type=TRUSTED, required=True,
              help="Folder of trusted lab public keys (*.pub).")
def verify_command(folder: Path, trusted: Path) -> None:
    """Re-hash one keyword list's file and check its signature against the trusted keys."""
    loaded, record, problem = open_list(folder, keys.load_trusted(trusted))
    if loaded is None:
        raise InvalidInputError(problem or f"{folder} is not a usable keyword list.")
    click.echo(f"{folder}: intact, {record['count']} terms, signed by {record['signer']}; "
               "trusted")
