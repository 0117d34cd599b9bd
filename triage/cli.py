"""The `triage` command: parse, call the library, render; errors become an exit code."""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

import click
import jsonschema
from rich.console import Console

from triage import __version__, keys
from triage.containers import limits as containers
from triage.errors import ExitCode, InvalidInputError, TriageError, UsageError
from triage.evidence.discovery import attached_disks
from triage.hashdb.cli import hashset as hashset_group
from triage.keywords.cli import keywords as keywords_group
from triage.layers.secrets import KeyRing
from triage.pipeline import (
    ProgressSink,
    ScanOptions,
    check_resume_key,
    default_out_dir,
    resume_scan,
    run_scan,
)
from triage.plan.journal import Journal
from triage.report.cli import COMMANDS as REPORT_COMMANDS
from triage.report.writer import report_schema
from triage.ruleset import PACKAGED_RULES
from triage.ruleset.cli import rules as rules_group
from triage.unlock_prompt import terminal_prompt


class _Commands(click.Group):
    """The command group, with `store` imported only when it is asked for: its SQLAlchemy
    and Alembic imports took 0.4 s of every scan's start (python -X importtime)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), "store"})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "store" and cmd_name not in self.commands:
            self.add_command(_store_group())
        return super().get_command(ctx, cmd_name)


def _store_group() -> click.Command:
    """`triage store`, or a command saying how to install it where its extra is missing."""
    try:
        from triage.store.cli import store_group
    except ImportError:  # the supervisors' extra is not installed (the stick never has it)
        @click.command("store", context_settings={"ignore_unknown_options": True})
        @click.argument("args", nargs=-1, type=click.UNPROCESSED)
        def store_group(args: tuple[str, ...]) -> None:
            """The reports store (needs: pip install 'triage[store]')."""
            raise UsageError("the reports store needs its packages: pip install "
                             "'triage[store]'.")
    return store_group


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="triage")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Read-only forensic triage: known images and court-order breaches, with signed reports."""
    ctx.obj = {"debug": debug}


def _default_sources(console: Console) -> tuple[list[str], list[dict[str, str]]]:
    """Every attached disk except the one holding the running system (the boot stick)."""
    sources, excluded = [], []
    for disk in attached_disks():
        if disk.is_boot_device:
            console.print(f"Not scanning {disk.device}: it {disk.reason}.", highlight=False)
            excluded.append({"source": str(disk.device),
                             "reason": f"the triage system itself: it {disk.reason}"})
            continue
        sources.append(str(disk.device))
    if not sources:
        raise UsageError("no disks found to scan; attach the evidence or name it.")
    return sources, excluded


# On the stick, the writable data partition is mounted here and named by $TRIAGE_DATA; lab staff
# update hashsets/, rules/ and keys/trusted/ on it, and reports/ collects the officers' reports.
DATA_ENV = "TRIAGE_DATA"


def data_dir(*parts: str) -> Path | None:
    """A folder on the stick's data partition, when $TRIAGE_DATA names one and it exists."""
    base = os.environ.get(DATA_ENV)
    if not base:
        return None
    path = Path(base, *parts)
    return path if path.is_dir() else None


@cli.command()
@click.argument("sources", nargs=-1)
@click.option("--out", "out_dir", type=click.Path(path_type=Path),
              help="Output folder (default: a new folder under ./triage-reports).")
@click.option("--hashsets", type=click.Path(path_type=Path, exists=True, file_okay=False),
              help="Folder of hash sets (default on the stick: $TRIAGE_DATA/hashsets).")
@click.option("--trusted-keys", type=click.Path(path_type=Path, exists=True, file_okay=False),
              help="Folder of trusted lab public keys, *.pub "
                   "(default on the stick: $TRIAGE_DATA/keys/trusted).")
@click.option("--require-trusted-hashsets", is_flag=True,
              help="Refuse to scan when a hash set is unsigned, expired or altered "
                   "(default: scan, but such a set can make the verdict at most AMBER).")
@click.option("--rules", type=click.Path(path_type=Path),
              help="Folder of YAML rules (default: $TRIAGE_DATA/rules on the stick, else the "
                   "pack installed with triage).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]),
              help="Date (YYYY-MM-DD) for rules about files changed since it.")
@click.option("--key", "key_file", type=click.Path(path_type=Path),
              help="Private key that signs the report (default on the stick: "
                   "$TRIAGE_DATA/keys/stick.key).")
@click.option("--case", help="Case reference, recorded in the report.")
@click.option("--officer", help="Officer name, recorded in the report.")
@click.option("--subject", metavar="REF",
              help="Reference of the person the scan concerns (e.g. a register number; never "
                   "a name), recorded in the report.")
@click.option("--time-budget", type=click.FloatRange(min=0.1),
              help="Stop reading after MIN minutes; the report says what was not reached.")
@click.option("--stop-on-first-red", is_flag=True,
              help="End the scan at the first RED finding (the rest is listed, not read).")
@click.option("--no-containers", is_flag=True,
              help="Do not look inside archives, documents and videos.")
@click.option("--max-expanded-mb", type=click.IntRange(min=1),
              default=containers.MAX_EXPANDED_BYTES // 2**20, show_default=True,
              help="Bytes one archive may expand to, in MiB (zip-bomb limit).")
@click.option("--max-ratio", type=click.FloatRange(min=1), default=containers.MAX_RATIO,
              show_default=True, help="Largest compression ratio accepted inside an archive.")
@click.option("--max-members", type=click.IntRange(min=1), default=containers.MAX_MEMBERS,
              show_default=True, help="Most members looked at in one archive, nesting included.")
@click.option("--max-depth", type=click.IntRange(min=1), default=containers.MAX_DEPTH,
              show_default=True, help="Deepest nesting of archives looked into.")
@click.option("--no-artefacts", is_flag=True,
              help="Do not read the system's own records (browser history, registry, event "
                   "logs, shell histories).")
@click.option("--thumbnails", is_flag=True,
              help="Put blurred greyscale thumbnails of flagged pictures in report.html "
                   "(for authorised reviewers only; off by default).")
@click.option("--resume", "resume_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Finish the interrupted scan in this output folder (killed, powered off or "
                   "out of disk space) with its own sources and options; a scan that began "
                   "signed needs its key again (--key, or asked for).")
@click.option("--unsigned", is_flag=True,
              help="With --resume: finish a scan that began signed without signing it.")
@click.option("--quick-pass-only", is_flag=True,
              help="Run only the block quick pass over the raw disks (minutes); files are "
                   "listed but not read.")
@click.option("--no-quick-pass", is_flag=True,
              help="Skip the block quick pass; run only the file scan.")
@click.option("--sample", type=click.FloatRange(min=0, max=1, min_open=True),
              help="Quick pass reads this FRACTION of each disk, in random 1 MiB units; the "
                   "report states the chance it had to find a known file of a given size.")
@click.option("--sample-seed", type=click.IntRange(min=0),
              help="Seed choosing the sampled units (default: random; the report records it).")
@click.option("--unlock-file", "unlock_files", multiple=True,
              type=click.Path(path_type=Path, dir_okay=False),
              help="A file with one BitLocker recovery key or password (or LUKS/FileVault "
                   "passphrase) per line, or a BitLocker .BEK key file; repeatable. On a "
                   "terminal, each volume still locked is asked for (input hidden).")
@click.option("--boot-facts", type=click.Path(path_type=Path, dir_okay=False),
              help="JSON file of how the computer booted the stick (written by the stick's "
                   "console); recorded in the report as provenance.boot.")
@click.option("--json", "as_json", is_flag=True, help="Print report.json instead of the screen.")
def scan(sources: tuple[str, ...], out_dir: Path | None, hashsets: Path | None,
         trusted_keys: Path | None, require_trusted_hashsets: bool, rules: Path | None,
         key_file: Path | None, case: str | None, officer: str | None, subject: str | None,
         since: dt.datetime | None, time_budget: float | None,
         stop_on_first_red: bool, no_containers: bool, max_expanded_mb: int, max_ratio: float,
         max_members: int, max_depth: int, no_artefacts: bool, thumbnails: bool,
         resume_dir: Path | None, unsigned: bool, quick_pass_only: bool, no_quick_pass: bool,
         sample: float | None, sample_seed: int | None, unlock_files: tuple[Path, ...],
         boot_facts: Path | None, as_json: bool) -> None:
    """Scan disks, images (raw, .001, E01, VMDK, VHD(X), QCOW2, VDI, DMG) or folders, read-only,
    and write a report.

    With no SOURCE, every attached disk except the boot stick is scanned.
    """
    console = Console(stderr=as_json)
    # Secrets come from files or the hidden prompt, never from the command line (argv is
    # visible to every process and is recorded in the report).
    keyring = KeyRing.from_files(list(unlock_files))
    if resume_dir is not None:
        if sources or out_dir:
            raise UsageError("--resume continues with the interrupted scan's own sources and "
                             "output folder; give no SOURCE and no --out.")
        key = _resume_key(resume_dir, key_file, unsigned)
        result = _run(console, [], resume_dir, None, quiet=as_json, key=key,
                      allow_unsigned=unsigned, keyring=keyring)
        if as_json:
            click.echo(json.dumps(result.report, ensure_ascii=False, indent=1))
        sys.exit(int(result.exit_code))
    if quick_pass_only and no_quick_pass:
        raise UsageError("--quick-pass-only and --no-quick-pass contradict each other; "
                         "give one of them.")
    if (sample is not None or sample_seed is not None) and no_quick_pass:
        raise UsageError("--sample applies to the quick pass, which --no-quick-pass skips; "
                         "give one of them.")
    hashsets = hashsets or data_dir("hashsets")
    rules = rules or data_dir("rules") or PACKAGED_RULES
    trusted_keys = trusted_keys or data_dir("keys", "trusted")
    signing_key = _signing_key(key_file)
    source_list, excluded = (list(sources), []) if sources else _default_sources(console)
    if unsigned:
        raise UsageError("--unsigned only applies to --resume; a new scan is unsigned when "
                         "no --key is given.")
    options = ScanOptions(hashsets=hashsets, trusted_keys=trusted_keys, rules=rules, case=case,
                          officer=officer, subject=subject, time_budget_min=time_budget,
                          stop_on_first_red=stop_on_first_red,
                          since=since.replace(tzinfo=dt.UTC) if since else None,
                          command=shlex.join(["triage", *sys.argv[1:]]), excluded=excluded,
                          signing_key=signing_key,
                          require_trusted_hashsets=require_trusted_hashsets,
                          thumbnails=thumbnails, artefacts=not no_artefacts, keyring=keyring,
                          quick_pass=not no_quick_pass, quick_pass_only=quick_pass_only,
                          sample=sample, sample_seed=sample_seed,
                          boot=_boot_facts(boot_facts),
                          containers=None if no_containers else containers.ContainerLimits(
                              max_expanded_bytes=max_expanded_mb * 2**20, max_ratio=max_ratio,
                              max_members=max_members, max_depth=max_depth))
    reports = Path(os.environ[DATA_ENV], "reports") if os.environ.get(DATA_ENV) else None
    out = out_dir or default_out_dir(reports)
    _check_output_folder(out, explicit=out_dir is not None)
    result = _run(console, source_list, out, options, quiet=as_json)
    if as_json:
        click.echo(json.dumps(result.report, ensure_ascii=False, indent=1))
    sys.exit(int(result.exit_code))


def _boot_facts(path: Path | None) -> dict[str, Any] | None:
    """The stick console's boot facts, checked against the report schema's provenance.boot."""
    if path is None:
        return None
    try:
        facts = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"--boot-facts {path} cannot be read ({exc}); give the file the "
                         "stick's console wrote, or leave the option out.") from exc
    schema = report_schema()["properties"]["provenance"]["properties"]["boot"]
    try:
        jsonschema.validate(facts, schema)
    except jsonschema.ValidationError as exc:
        raise UsageError(f"--boot-facts {path} is not a boot-facts file ({exc.message}); give "
                         "the file the stick's console wrote, or leave the option out.") from exc
    return facts


def _check_output_folder(out: Path, *, explicit: bool) -> None:
    """Refuse, in one sentence, an output folder that cannot be written, before any work starts.

    An explicit --out whose parent folder is missing is refused rather than created: it is most
    often a USB drive that is not mounted, and the report would land on the wrong disk.
    """
    if explicit and not out.exists() and out.parent.exists() and not out.parent.is_dir():
        raise UsageError(f"{out.parent} is a file, not a folder; choose another --out.")
    if explicit and not out.exists() and not out.parent.is_dir():
        raise UsageError(f"the output folder's parent {out.parent} does not exist (is the drive "
                         "mounted?); create it or choose another --out.")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise UsageError(f"cannot write the output folder {out} ({why.lower()}); choose a "
                         "writable folder with --out.") from None


def _signing_key(key_file: Path | None) -> keys.SigningKey | None:
    """The key named by --key, else the stick's own; a protected key asks for its passphrase."""
    if key_file is None:
        stick = data_dir("keys")
        key_file = stick / "stick.key" if stick and (stick / "stick.key").is_file() else None
    if key_file is None:
        return None
    try:
        return keys.load_private(key_file)
    except InvalidInputError:
        if not sys.stdin.isatty():
            raise
        secret = click.prompt(f"Passphrase for {key_file}", hide_input=True)
        return keys.load_private(key_file, secret.encode("utf-8"))


def _interactive() -> bool:
    """Whether someone is at a terminal to answer a question."""
    return sys.stdin.isatty()


def _resume_key(out: Path, key_file: Path | None, unsigned: bool) -> keys.SigningKey | None:
    """The key to finish an interrupted scan with: --key, the stick's, or (when the scan began
    signed and none is at hand) the one the officer names when asked."""
    key = _signing_key(key_file)
    journal = Journal(out)
    signer = journal.signer() if journal.folder.is_dir() else None
    if key is None and signer is not None and not unsigned and _interactive():
        named = click.prompt(f"This scan began signed by key {signer}; key file to sign it with",
                             type=click.Path(path_type=Path, dir_okay=False))
        key = _signing_key(named)
    check_resume_key(journal, key, allow_unsigned=unsigned)
    return key


def _run(console: Console, sources: list[str], out: Path, options: ScanOptions | None, *,
         quiet: bool = False, key: keys.SigningKey | None = None,
         allow_unsigned: bool = False,
         keyring: KeyRing | None = None):  # noqa: ANN202 - ScanResult
    """A scan (or, with options None, the resumption of the one in `out`) with its screen."""
    from triage.console import LiveProgress, render_summary

    keyring = (options.keyring if options else keyring) or KeyRing()
    if options is not None:
        options.keyring = keyring

    def go(progress: ProgressSink):  # noqa: ANN202 - ScanResult
        if options is None:
            return resume_scan(out, progress, key, allow_unsigned=allow_unsigned,
                               keyring=keyring)
        return run_scan(sources, out, options, progress)

    def say(line: str) -> None:
        console.print(line, highlight=False, markup=False)

    if quiet:
        if sys.stdin.isatty():
            keyring.prompt = terminal_prompt(say=say)
        return go(ProgressSink())
    with LiveProgress(console, options.time_budget_min if options else None) as progress:
        if sys.stdin.isatty():
            keyring.prompt = terminal_prompt(say=say, pause=progress.paused)
        result = go(progress)
    render_summary(console, result.report, str(out),
                   signed=(options.signing_key if options else key) is not None)
    return result


@cli.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path),
              help="Where to keep the demo disk and report (default: a temporary folder).")
def demo(out_dir: Path | None) -> None:
    """Build a small demo disk of benign pictures and scan it (ends RED: it holds known files)."""
    from triage.demo.run import run_demo

    console = Console()
    work = out_dir or Path(tempfile.mkdtemp(prefix="triage-demo-"))
    result = run_demo(work, lambda sources, out, options: _run(console, sources, out, options))
    console.print(f"Check its signature: triage verify {result.out_dir} "
                  f"--trusted {work / 'trusted-keys'}", highlight=False)
    sys.exit(int(result.exit_code))


for _group in (*REPORT_COMMANDS, rules_group, hashset_group, keywords_group):
    cli.add_command(_group)


def main() -> None:
    """Console entry point: maps errors to exit codes (tracebacks only with --debug)."""
    debug = "--debug" in sys.argv[1:]
    try:
        # Without standalone mode click *returns* the code a command gave `ctx.exit(code)` instead
        # of exiting with it; dropping it made `rules check` exit 0 on errors.
        code = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Interrupted.", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(ExitCode.USAGE)
    except TriageError as exc:
        click.echo(f"triage: {exc}", err=True)
        sys.exit(int(exc.exit_code))
    except Exception as exc:  # noqa: BLE001 - the last line of defence, reported as a bug
        if debug:
            traceback.print_exc()
        click.echo(f"triage: internal error: {exc!r} (run with --debug for details; "
                   "please report it).", err=True)
        sys.exit(ExitCode.INTERNAL)
    sys.exit(code if isinstance(code, int) else ExitCode.OK)


if __name__ == "__main__":
    main()
