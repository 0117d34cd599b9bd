"""The `triage rules` commands: check, test and list a rule pack (a thin layer over the library)."""

from __future__ import annotations

from pathlib import Path

import click

from triage.errors import ExitCode
from triage.ruleset import PACKAGED_RULES
from triage.ruleset.loader import read_rules
from triage.ruleset.testing import run_examples


def default_rules_dir() -> Path:
    """`rules/` of the working directory (a checkout), else the pack installed with triage."""
    here = Path.cwd() / "rules"
    if here.is_dir():
        return here
    return PACKAGED_RULES


_DIR = click.argument("directory", required=False,
                      type=click.Path(file_okay=False, path_type=Path))


@click.group()
def rules() -> None:
    """Check, test and list YAML rule packs."""


@rules.command()
@_DIR
@click.pass_context
def check(ctx: click.Context, directory: Path | None) -> None:
    """Validate every rule; print each problem as file:line:col: message (exit 4 on errors)."""
    directory = directory or default_rules_dir()
    found, files, problems = read_rules(directory)
    for problem in problems:
        click.echo(f"{problem}" if problem.is_error else f"{problem} (warning)")
    errors = sum(1 for p in problems if p.is_error)
    click.echo(f"{len(found)} valid rules in {len(files)} files: {errors} errors, "
               f"{len(problems) - errors} warnings", err=True)
    if errors:
        ctx.exit(ExitCode.INVALID_INPUT)


@rules.command()
@_DIR
@click.option("--verbose", "-v", is_flag=True, help="Print passing examples too.")
@click.pass_context
def test(ctx: click.Context, directory: Path | None, verbose: bool) -> None:
    """Run each rule's positive and negative examples (exit 4 on any failure)."""
    directory = directory or default_rules_dir()
    found, _, problems = read_rules(directory)
    errors = [p for p in problems if p.is_error]
    for problem in errors:
        click.echo(str(problem))
    results = run_examples(found)
    failed = [r for r in results if not r.passed]
    for result in results if verbose else failed:
        click.echo(str(result))
    click.echo(f"{len(results) - len(failed)} of {len(results)} examples passed in "
               f"{len(found)} rules", err=True)
    if failed or errors:
        ctx.exit(ExitCode.INVALID_INPUT)


@rules.command(name="list")
@_DIR
@click.pass_context
def list_rules(ctx: click.Context, directory: Path | None) -> None:
    """List the rules: id, severity, order condition and title."""
    directory = directory or default_rules_dir()
    found, _, problems = read_rules(directory)
    for rule in sorted(found, key=lambda r: r.id):
        click.echo(f"{rule.id:<34} {rule.severity.value:<8} {rule.condition:<24} {rule.title}")
    errors = [p for p in problems if p.is_error]
    if errors:
        click.echo(f"{len(errors)} errors; run 'triage rules check {directory}'", err=True)
        ctx.exit(ExitCode.INVALID_INPUT)
