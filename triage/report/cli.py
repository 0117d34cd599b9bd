"""Commands for keys, verification and supervisor review (added to `triage` by the main CLI).

Exit codes: 0 when the report verifies (review: when every report verifies);
ExitCode.INVALID_INPUT (4) when a report does not verify, is unsigned or its signer is not
trusted, and for unreadable keys or folders.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from triage import __version__, keys
from triage.errors import ExitCode, InvalidInputError, TriageError, UsageError
from triage.report.review import print_review, render_review_html, review_reports
from triage.report.sign import countersign
from triage.report.verify import NOT_A_REPORT, UNFINISHED, VerifyResult, verify_report

F = TypeVar("F", bound=Callable[..., Any])
_DIR = click.Path(path_type=Path, file_okay=False)
_FILE = click.Path(path_type=Path, dir_okay=False)


def user_errors(func: F) -> F:
    """Turn a TriageError into its one-line message and exit code, as `triage` does."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except TriageError as exc:
            click.echo(f"triage: {exc}", err=True)
            sys.exit(int(exc.exit_code))

    return wrapper  # type: ignore[return-value]


def _passphrase(prompt: bool, confirm: bool) -> bytes | None:
    if not prompt:
        return None
    text = click.prompt("Passphrase", hide_input=True, confirmation_prompt=confirm)
    return text.encode("utf-8")


@click.group("keys")
def keys_group() -> None:
    """Create and show Ed25519 signing keys (for a stick or a person)."""


@keys_group.command("init")
@click.argument("name")
@click.option("--dir", "directory", type=_DIR, default=Path("."), show_default=True,
              help="Folder to write NAME.key and NAME.pub into.")
@click.option("--passphrase-prompt", is_flag=True,
              help="Protect the private key with a passphrase.")
@user_errors
def keys_init(name: str, directory: Path, passphrase_prompt: bool) -> None:
    """Make a key pair: NAME.key (private, mode 0600) and NAME.pub (give it to supervisors)."""
    if not name or "/" in name or name.startswith("."):
        raise click.BadParameter("use a plain name such as stick07 or j.smith.", param_hint="NAME")
    key = keys.generate(directory, name, _passphrase(passphrase_prompt, confirm=True))
    click.echo(f"Created {directory / (name + keys.PRIVATE_SUFFIX)} (private: keep it secret) and "
               f"{directory / (name + keys.PUBLIC_SUFFIX)} (public).")
    click.echo(f"Fingerprint: {key.fingerprint}")


@keys_group.command("show")
@click.argument("key", type=_FILE)
@click.option("--passphrase-prompt", is_flag=True, help="The private key has a passphrase.")
@user_errors
def keys_show(key: Path, passphrase_prompt: bool) -> None:
    """Print a key's public half (PEM) and its short fingerprint; KEY is a .pub or .key file."""
    if key.suffix == keys.PRIVATE_SUFFIX:
        public = keys.load_private(key, _passphrase(passphrase_prompt, confirm=False)).public
    else:
        public = keys.load_public(key)
    click.echo(keys.public_pem(public).decode("ascii"), nl=False)
    click.echo(f"Fingerprint: {keys.fingerprint(public)}")


def describe(result: VerifyResult) -> list[str]:
    """The lines `triage verify` prints for a result."""
    if not result.ok:
        return [f"NOT VERIFIED ({result.status}):", *(f"  - {p}" for p in result.problems)]
    lines = ["Verified: every file matches the manifest and every signature is valid and trusted."]
    for signer in result.signers:
        lines.append(f"  {signer.role}: key {signer.key} ({signer.name}), signed "
                     f"{signer.signed_utc} with triage {signer.tool_version}")
    return lines


@click.command("verify")
@click.argument("report_dir", type=click.Path(path_type=Path))
@click.option("--trusted", type=_DIR, help="Folder of trusted public keys (*.pub).")
@click.option("--countersign", "countersign_key", type=_FILE,
              help="After verifying, add your countersignature with this private key.")
@click.option("--passphrase-prompt", is_flag=True, help="The countersigning key has a passphrase.")
@user_errors
def verify_command(report_dir: Path, trusted: Path | None, countersign_key: Path | None,
                   passphrase_prompt: bool) -> None:
    """Check a report folder: files against the manifest, signatures, trusted signers."""
    result = verify_report(report_dir, trusted)
    if result.status in (UNFINISHED, NOT_A_REPORT):
        # Not tampering: the folder holds no sealed report to check; say what to do instead.
        raise InvalidInputError(result.problems[0])
    if result.ok and countersign_key is not None:
        key = keys.load_private(countersign_key, _passphrase(passphrase_prompt, confirm=False))
        if trusted is not None and key.fingerprint not in keys.load_trusted(trusted):
            # Countersigning anyway would leave a report that no longer verifies here.
            raise InvalidInputError(
                f"your key {key.fingerprint} ({key.name}) is not among the trusted keys in "
                f"{trusted}; copy its .pub file there first, then countersign.")
        countersign(report_dir, key, __version__)
        click.echo(f"Countersigned with key {key.fingerprint} ({key.name}).")
        result = verify_report(report_dir, trusted)
    elif countersign_key is not None:
        click.echo("Not countersigned: the report must verify first.", err=True)
    for line in describe(result):
        click.echo(line, err=not result.ok)
    if not result.ok:
        sys.exit(int(ExitCode.INVALID_INPUT))


@click.command("review")
@click.argument("reports_dir", type=_DIR, required=False)
@click.option("--trusted", type=_DIR, help="Folder of trusted public keys (*.pub).")
@click.option("--html", "html_out", type=_FILE, help="Also write the review as one HTML page.")
@click.option("--store", "store", metavar="URL",
              help="Review from the reports store instead of re-reading folders "
                   "(see `triage store --help`).")
@user_errors
def review_command(reports_dir: Path | None, trusted: Path | None, html_out: Path | None,
                   store: str | None) -> None:
    """Verify every report under REPORTS_DIR (or read the --store), list the visits, and show
    each device's or person's history."""
    if store is not None:
        try:
            from triage.store.review import review_from_store
        except ImportError as exc:  # the supervisors' extra is not installed
            raise UsageError("review --store needs the store's packages: "
                             "pip install 'triage[store]'.") from exc
        review_from_store(store, html_out)
        return
    if reports_dir is None:
        raise UsageError("give the folder of reports, or --store URL.")
    review = review_reports(reports_dir, trusted)
    print_review(review, Console(width=160, soft_wrap=False))
    if html_out is not None:
        html_out.write_text(render_review_html(review), encoding="utf-8")
        click.echo(f"Wrote {html_out}.")
    bad = sum(1 for entry in review.entries if not entry.result.ok)
    if bad:
        click.echo(f"{bad} of {len(review.entries)} report(s) do not verify.", err=True)
        sys.exit(int(ExitCode.INVALID_INPUT))


COMMANDS = (keys_group, verify_command, review_command)
