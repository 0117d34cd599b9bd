"""The error family users can see, and the process exit codes they map to."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes of every `triage` command (documented in README.md, tested in test_cli)."""

    OK = 0  # finished; nothing found (GREEN) or command succeeded
    INTERNAL = 1  # a bug: an unexpected exception
    USAGE = 2  # bad command line
    EVIDENCE = 3  # evidence could not be opened or read at all, and nothing was found
    INVALID_INPUT = 4  # invalid rules, hash sets or keys
    OUTPUT = 5  # the output folder could not be written (its disk is full)
    FINDINGS = 10  # finished with findings or gaps (verdict RED or AMBER), unless EVIDENCE
    INTERRUPTED = 130  # stopped by the user (Ctrl-C)


class TriageError(Exception):
    """An error with a one-sentence message for the user and the exit code it maps to."""

    exit_code: ExitCode = ExitCode.INTERNAL


class EvidenceError(TriageError):
    """Evidence could not be opened or is not usable (not found, not a disk image...)."""

    exit_code = ExitCode.EVIDENCE


class InvalidInputError(TriageError):
    """Rules, hash sets, keys or configuration given by the user are invalid."""

    exit_code = ExitCode.INVALID_INPUT


class UsageError(TriageError):
    """The command line asks for something impossible."""

    exit_code = ExitCode.USAGE


class OutputError(TriageError):
    """The output disk filled up; what was written before it is intact and still valid."""

    exit_code = ExitCode.OUTPUT
