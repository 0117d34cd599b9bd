"""Case-insensitive path globs with `**`, compiled once to regexes, plus a dispatch anchor."""

from __future__ import annotations

import re
from dataclasses import dataclass

_WILD = re.compile(r"[*?\[]")

# Path components too common to be worth dispatching on: almost every file of a user
# profile has one of them, so a rule anchored on them would run for nearly every record.
COMMON_COMPONENTS = frozenset({
    "", "users", "home", "appdata", "roaming", "local", "locallow", "library",
    "application support", "program files", "program files (x86)", "programdata",
    "windows", "documents", "desktop", "downloads", ".config", ".local", "share",
    "usr", "opt", "etc", "var", "applications", "caches", "preferences", "containers",
    "group containers", "data", "root",
})


class GlobError(ValueError):
    """A glob that cannot be compiled; the message names what to change."""


@dataclass(frozen=True, slots=True)
class Glob:
    """One compiled glob and the cheapest literal fact a matching path must have."""

    text: str
    regex: re.Pattern[str]  # fullmatch semantics over the whole lower-case path
    floating: str | None  # for globs starting with '**': the rest, to `search` (much faster)
    component: str | None  # a lower-case literal component every matching path contains
    extension: str | None  # else: the lower-case extension every matching path's name has
    substring: str | None  # else: '/' + the literal start of a component (e.g. '/.' for '.*')
    # Plain string tests for the commonest shapes, much faster than any regex:
    inside: str | None = None  # '**/a/b/**': '/a/b/' occurs in the path + '/'
    suffix: str | None = None  # '**/a/b': the path ends with '/a/b'

    def matches(self, lower_path: str) -> bool:
        """The test the `path` condition runs (it combines many globs into fewer tests)."""
        if self.inside is not None:
            return self.inside in lower_path + "/"
        if self.suffix is not None:
            return lower_path.endswith(self.suffix)
        if self.floating is not None:
            return re.search(self.floating, lower_path, re.DOTALL) is not None
        return self.regex.fullmatch(lower_path) is not None


def _component_regex(part: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(part):
        ch = part[i]
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = part.find("]", i + 2)
            if end < 0:
                raise GlobError(f"unclosed '[' in glob component '{part}'")
            body = part[i + 1 : end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\").replace("/", "") + "]")
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def compile_glob(text: str) -> Glob:
    """Compile a glob matched against the whole '/'-separated path, ignoring case.

    `**` is any number of whole folders (zero included), `*` and `?` stay inside one
    component. A glob not starting with '/' may match at any depth, like `**/` before it.
    """
    if not isinstance(text, str) or not text.strip():
        raise GlobError("a path glob must be non-empty text")
    lowered = text.lower().replace("\\", "/")
    if not lowered.startswith(("/", "**")):
        lowered = "**/" + lowered
    parts = lowered.split("/")[1:] if lowered.startswith("/") else lowered.split("/")
    pieces: list[str] = []
    for index, part in enumerate(parts):
        if part == "**":
            # Two '**' in a row mean the same as one; collapsing them avoids backtracking.
            if index == 0 or parts[index - 1] != "**":
                # At the end nothing can follow, so never give folders back (possessive).
                pieces.append("(?:/[^/]+)*+" if index == len(parts) - 1 else "(?:/[^/]+)*")
        elif "**" in part:
            raise GlobError(f"'**' must be a whole path component, not part of '{part}'")
        elif part == "":
            raise GlobError(f"empty component (double '/') in glob '{text}'")
        else:
            pieces.append("/" + _component_regex(part))
    try:
        regex = re.compile("".join(pieces), re.DOTALL)
    except re.error as exc:
        raise GlobError(f"glob '{text}' is not valid: {exc.msg}") from exc
    # A leading '**' matches any run of whole folders, so the rest may start at any '/':
    # searching for it (with the rest's literal prefix) beats backtracking over the run.
    floating = "".join(pieces[1:]) + r"\Z" if parts[0] == "**" and len(parts) > 1 else None
    inner = parts[1:-1] if len(parts) > 2 and parts[-1] == "**" else parts[1:]
    inside = suffix = None
    if parts[0] == "**" and inner and not any(p == "**" or _WILD.search(p) for p in inner):
        if parts[-1] == "**" and len(parts) > 2:
            inside = "/" + "/".join(inner) + "/"
        else:
            suffix = "/" + "/".join(inner)
    return Glob(text, regex, floating, *_anchor(parts), inside=inside, suffix=suffix)


def _anchor(parts: list[str]) -> tuple[str | None, str | None, str | None]:
    literal = [p for p in parts if p != "**" and not _WILD.search(p)]
    rare = [p for p in literal if p not in COMMON_COMPONENTS]
    if rare:
        return rare[-1], None, None
    last = parts[-1] if parts else ""
    if last.startswith("*.") and not _WILD.search(last[2:]) and "." not in last[2:]:
        return None, last[2:], None
    if literal:
        return literal[-1], None, None
    prefixes = [_WILD.split(p, 1)[0] for p in parts if p != "**"]
    longest = max(prefixes, key=len, default="")
    return None, None, ("/" + longest) if longest else None
