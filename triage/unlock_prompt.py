"""The hidden prompt for a locked volume's secret: what to ask the person for, then the secret."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from triage.layers.secrets import (
    SKIP,
    Prompt,
    Secret,
    classify,
    looks_like_recovery_password,
    recovery_password_problem,
)

# What to ask the person for, per kind of protector libbde reports (TPM ones cannot help here:
# the TPM is in the laptop, not on the image).
_ASK_BITLOCKER = {
    "recovery password": "the 48-digit recovery key (Microsoft account, printout, USB file)",
    "password": "the drive's BitLocker password",
    "startup key": "the .BEK startup key file (give it with --unlock-file)",
}


# What the prompt asks to be typed, in the words of each format ("recovery key" is BitLocker's).
_WHAT = {"bitlocker": "Recovery key or password", "luks1": "Passphrase", "luks2": "Passphrase",
         "filevault": "Password or recovery key", "apfs": "Password or recovery key"}
_ANY = "Password, passphrase or recovery key"


def describe(request: dict[str, Any]) -> list[str]:
    """Lines telling the officer which volume is locked and what to ask for (no secrets)."""
    kind, facts = request.get("kind", "?"), request.get("facts") or {}
    where = request.get("address") or "a volume"
    lines = [f"{where} is encrypted ({kind}) and locked."]
    if kind == "bitlocker":
        if facts.get("description"):
            lines.append(f"  BitLocker says: {facts['description']}"
                         + (f" (encrypted {facts['created']})" if facts.get("created") else ""))
        for protector in facts.get("key_protectors", []):
            lines.append(f"  key protector: {protector['kind']}, ID {protector['id']}")
        wanted = [_ASK_BITLOCKER[p["kind"]] for p in facts.get("key_protectors", [])
                  if p["kind"] in _ASK_BITLOCKER]
        lines.append("  Ask for: " + ("; or ".join(dict.fromkeys(wanted)) or
                                      "nothing here opens it (TPM only)") + ".")
    elif kind in ("luks1", "luks2"):
        slots = ", ".join(str(s["slot"]) for s in facts.get("key_slots", []))
        lines.append(f"  LUKS UUID {facts.get('uuid', '?')}, key slots in use: {slots or 'none'}")
        lines.append("  Ask for: the disk's passphrase (typed at boot on that computer).")
    elif kind == "filevault":
        names = ", ".join(v.get("name") or v["id"] for v in facts.get("logical_volumes", []))
        lines.append(f"  Core Storage volume(s): {names or '?'}")
        lines.append("  Ask for: a Mac user's login password, or the FileVault recovery key.")
    elif kind == "apfs":
        name, uuid = facts.get("volume") or "?", facts.get("uuid") or "?"
        lines.append(f"  APFS volume '{name}', UUID {uuid}")
        lines.append("  Ask for: the login password of a user of this Mac, or the FileVault "
                     "recovery key (6 groups of 4 letters and digits).")
    if request.get("tried"):
        lines.append(f"  {request['tried']} secret(s) tried so far did not open it.")
    return lines


def terminal_prompt(ask: Callable[[str], str] = getpass.getpass,
                    say: Callable[[str], None] = print,
                    pause: Callable[[], AbstractContextManager[Any]] = nullcontext) -> Prompt:
    """A Prompt asking on the terminal, input hidden; empty or `skip` leaves the volume locked.

    A recovery password with a typing slip is caught here and asked again, never tried.
    `pause` stops a live progress screen while the officer types.
    """

    def prompt(request: dict[str, Any]) -> Secret | None:
        with pause():
            for line in describe(request):
                say(line)
            while True:
                text = ask(f"  {_WHAT.get(request.get('kind', ''), _ANY)} (hidden; Enter or "
                           "'skip' to leave it locked): ")
                if not text.strip() or text.strip().lower() == SKIP:
                    say("  Left locked; the report lists it as not examined.")
                    return None
                if looks_like_recovery_password(text):
                    cleaned = "-".join(_groups(text))
                    problem = recovery_password_problem(cleaned)
                    if problem is not None:
                        say(f"  {problem}; type it again.")
                        continue
                return classify(text, "typed at the prompt")

    return prompt


def _groups(text: str) -> Iterator[str]:
    digits = "".join(c for c in text if c.isdigit())
    return (digits[n : n + 6] for n in range(0, len(digits), 6))
