"""Secrets the officer hands in to unlock volumes: kept in memory only, never printed."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from triage.errors import UsageError

# The kinds of secret (names of kinds, not secrets).
RECOVERY_PASSWORD = "recovery password"  # noqa: S105
PASSPHRASE = "passphrase"  # noqa: S105
STARTUP_KEY = "startup key"  # a BitLocker .BEK file (startup or recovery key)

# A BitLocker recovery password: 8 groups of 6 digits; each group is a multiple of 11 below
# 720896 (11 * 65536), so a typing slip in one group is caught before any attempt.
_RECOVERY_SHAPE = re.compile(r"^\d{6}(-\d{6}){7}$")
_RECOVERY_GROUP_MODULUS = 11
_RECOVERY_GROUP_LIMIT = 11 * 65536
_MAC_RECOVERY_SHAPE = re.compile(r"[0-9A-Za-z]{4}(-[0-9A-Za-z]{4}){5}")
# A .BEK file is small binary FVE metadata; a line-per-secret text file is text.
BEK_MAX_BYTES = 64 * 1024
_BEK_VERSION = 1
SKIP = "skip"


@dataclass(frozen=True)
class Secret:
    """One secret; its repr and str never show the value (it may end up in a traceback)."""

    kind: str  # RECOVERY_PASSWORD, PASSPHRASE or STARTUP_KEY
    value: str = field(repr=False)  # the text, or for STARTUP_KEY the .BEK file's path
    origin: str = ""  # where it came from ("unlock file 2, line 3", "typed"), never the value

    def __str__(self) -> str:
        return f"{self.kind} ({self.origin})" if self.origin else self.kind


def recovery_password_problem(text: str) -> str | None:
    """Why `text` is not a well-formed BitLocker recovery password, or None when it is."""
    text = text.strip()
    if not _RECOVERY_SHAPE.match(text):
        return "a recovery password is 8 groups of 6 digits separated by '-'"
    for number, group in enumerate(text.split("-"), start=1):
        value = int(group)
        if value % _RECOVERY_GROUP_MODULUS or value >= _RECOVERY_GROUP_LIMIT:
            return f"group {number} of the recovery password has a typing error; check it"
    return None


def looks_like_recovery_password(text: str) -> bool:
    """Whether `text` is shaped like a recovery password (digits and dashes, 55 characters)."""
    return bool(re.fullmatch(r"[\d\s-]{48,60}", text.strip())) and sum(
        c.isdigit() for c in text) == 48


def looks_like_mac_recovery_key(text: str) -> bool:
    """Whether `text` is shaped like a FileVault recovery key: 6 groups of 4 letters and digits
    (macOS shows it as `ABCD-EFGH-IJKL-MNOP-QRST-UVWX`)."""
    return bool(_MAC_RECOVERY_SHAPE.fullmatch(text.strip()))


def classify(text: str, origin: str) -> Secret:
    """A typed or listed secret: a recovery password when shaped like one, else a passphrase.

    A recovery password with a typing slip is refused (UsageError) rather than tried.
    """
    if looks_like_recovery_password(text):
        cleaned = "-".join(re.findall(r"\d{6}", re.sub(r"\s", "", text)))
        problem = recovery_password_problem(cleaned)
        if problem is not None:
            raise UsageError(f"{origin}: {problem}.")
        return Secret(RECOVERY_PASSWORD, cleaned, origin)
    return Secret(PASSPHRASE, text, origin)


def _is_bek(data: bytes) -> bool:
    # A .BEK file is an FVE metadata block: size (4), version 1 (4), header size 0x30 (4).
    return (len(data) >= 48 and int.from_bytes(data[4:8], "little") == _BEK_VERSION
            and int.from_bytes(data[8:12], "little") == 0x30
            and int.from_bytes(data[0:4], "little") == len(data))


def load_unlock_file(path: Path, number: int) -> list[Secret]:
    """The secrets in one --unlock-file: a .BEK key file, or one secret per line."""
    try:
        data = path.read_bytes()[: BEK_MAX_BYTES + 1]
    except OSError as exc:
        raise UsageError(f"cannot read the unlock file {path} ({exc.strerror}); "
                         "check the path.") from exc
    if _is_bek(data) or path.suffix.lower() == ".bek":
        return [Secret(STARTUP_KEY, str(path), f"unlock file {number}")]
    if len(data) > BEK_MAX_BYTES:
        raise UsageError(f"the unlock file {path} is too large; it should hold one recovery "
                         "password or passphrase per line, or be a .BEK key file.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"the unlock file {path} is neither text nor a BitLocker .BEK key "
                         "file; give one recovery password or passphrase per line.") from exc
    secrets = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        line = line.rstrip("\r\n")
        if line.strip():
            secrets.append(classify(line, f"unlock file {number}, line {line_no}"))
    return secrets


# Asks for one more secret for a locked volume: given what the officer should be told (kind,
# key IDs...), returns a Secret, or None for "skip".
Prompt = Callable[[dict[str, object]], Secret | None]


@dataclass
class KeyRing:
    """Every secret of one scan, and the prompt to ask for more (None: never ask)."""

    secrets: list[Secret] = field(default_factory=list)
    prompt: Prompt | None = None

    @classmethod
    def from_files(cls, paths: list[Path], prompt: Prompt | None = None) -> KeyRing:
        secrets = [s for n, p in enumerate(paths, start=1) for s in load_unlock_file(p, n)]
        return cls(secrets, prompt)

    def __repr__(self) -> str:
        return f"KeyRing({len(self.secrets)} secrets, prompt={self.prompt is not None})"

    def ask(self, facts: dict[str, object]) -> Secret | None:
        """One more secret for the locked volume described by `facts`, or None (skip/none)."""
        if self.prompt is None:
            return None
        secret = self.prompt(facts)
        if secret is not None:
            self.secrets.append(secret)  # another volume may share the password
        return secret
