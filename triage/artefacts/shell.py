"""Shell histories (bash, zsh, fish, PowerShell's PSReadLine): commands, and programs they ran."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from triage.artefacts.base import Extractor, Origin
from triage.artefacts.record import Artefact

# Histories are text; a huge one is read up to this many bytes (a hostile file is not a log).
MAX_BYTES = 64 * 1024 * 1024
_ZSH_EXTENDED = re.compile(r"^: (\d+):\d+;(.*)$")
_BASH_TIME = re.compile(r"^#(\d{9,11})$")
_FISH_CMD = re.compile(r"^- cmd: (.*)$")
_FISH_WHEN = re.compile(r"^\s+when: (\d+)$")
_WRAPPERS = frozenset({"sudo", "doas", "env", "nohup", "time", "exec", "nice", "torsocks",
                       "proxychains", "proxychains4", "command"})
# What a shell does itself, starting no program: listed as shell commands, not programs run
# (noise in the listing and the timeline otherwise). PowerShell's cmdlets are Verb-Noun words;
# only in its history, where a bare 'Get-Date' is a cmdlet (elsewhere 'wg-quick' is a program).
_BUILTINS = frozenset({"cd", "pushd", "popd", "dirs", "echo", "printf", "export", "unset", "set",
                       "alias", "unalias", "source", ".", "exit", "logout", "history", "pwd",
                       "read", "type", "hash", "jobs", "fg", "bg", "wait", "umask", "ulimit",
                       "shopt", "builtin", "eval", "true", "false", "test", "[", "[[", "let",
                       "declare", "local", "return", "shift", "trap", "cls", "clear"})
_CMDLET = re.compile(r"^[A-Za-z]+-[A-Za-z][A-Za-z0-9]*$")


def program_of(command: str) -> str | None:
    """The program a command line runs: 'veracrypt' for 'sudo /usr/bin/veracrypt -t ...'."""
    words = command.strip().split()
    while words and (words[0] in _WRAPPERS or "=" in words[0] or words[0].startswith("-")):
        if words[0] in ("torsocks", "proxychains", "proxychains4"):
            return words[0]
        words = words[1:]
    if not words:
        return None
    return PurePosixPath(words[0].replace("\\", "/")).name or None


class ShellHistory(Extractor):
    name = "shell-history"
    patterns = ("*/.bash_history", "*/.zsh_history", "*/.zhistory", "*/.sh_history",
                "*/.local/share/fish/fish_history",
                "*/microsoft/windows/powershell/psreadline/consolehost_history.txt")

    def extract(self, copy: Path, origin: Origin) -> Iterator[Artefact]:
        with copy.open("rb") as handle:
            text = handle.read(MAX_BYTES).decode("utf-8", "replace")
        shell = self._shell(origin.path)
        when: float | None = None
        for line in text.splitlines():
            command = line
            if shell == "fish":
                found = _FISH_WHEN.match(line)
                if found:
                    when = float(found.group(1))
                    continue
                found = _FISH_CMD.match(line)
                if not found:
                    continue
                command = found.group(1)
            elif shell == "zsh":
                found = _ZSH_EXTENDED.match(line)
                if found:
                    when, command = float(found.group(1)), found.group(2)
            elif shell == "bash":
                found = _BASH_TIME.match(line)
                if found:
                    when = float(found.group(1))  # HISTTIMEFORMAT: the next command's time
                    continue
            if not command.strip():
                continue
            fields = {"command": command, "shell": shell}
            yield Artefact("shell-command", when, origin.address, origin.profile, fields)
            program = program_of(command)
            if program and (program in _BUILTINS
                            or (shell == "powershell" and _CMDLET.match(program))):
                program = None
            if program:
                yield Artefact("program-run", when, origin.address, origin.profile,
                               {"name": program, "path": command.split()[0] if command.split()
                                else "", "evidence": f"{shell} history"})
            if shell != "fish":
                when = None

    @staticmethod
    def _shell(path: str) -> str:
        lowered = path.lower()
        if "fish" in lowered:
            return "fish"
        if "zsh" in lowered or "zhistory" in lowered:
            return "zsh"
        if "powershell" in lowered:
            return "powershell"
        return "bash"
