"""Options and helpers the lab's command groups share (`hashset`, `keywords`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from triage import keys
from triage.errors import InvalidInputError

EXISTING = click.Path(exists=True, path_type=Path)
FOLDER = click.Path(file_okay=False, path_type=Path)
EXISTING_FOLDER = click.Path(exists=True, file_okay=False, path_type=Path)


def trusted_option(what_without: str):
    """--trusted FOLDER of lab public keys; `what_without` says what happens when it is left out."""
    return click.option("--trusted", type=EXISTING_FOLDER,
                        help=f"Folder of trusted lab public keys; without it {what_without}.")


def parse_date(value: str | None) -> dt.date | None:
    """An --expires date, or None; a clear error for anything but YYYY-MM-DD."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        message = f"--expires {value!r} is not a date; write it as YYYY-MM-DD."
        raise InvalidInputError(message) from None


def load_signer(path: Path | None, ask: bool) -> keys.SigningKey | None:
    """The --sign key (asking for its passphrase with --passphrase), or None."""
    if path is None:
        return None
    secret = click.prompt(f"Passphrase for {path}", hide_input=True).encode() if ask else None
    return keys.load_private(path, secret)


def signing_options(command):
    """--sign KEY and --passphrase (ask for the key's passphrase), shared by writing commands."""
    command = click.option(
        "--passphrase", "ask_passphrase", is_flag=True, help="Ask for the signing key's passphrase."
    )(command)
    return click.option("--sign", "sign_key", type=EXISTING, help="Lab private key to sign with.")(
        command
    )


def print_table(rows: list[tuple[str, ...]]) -> None:
    """Rows as left-aligned columns, the first row a header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths,
                                                                       strict=True)).rstrip())
