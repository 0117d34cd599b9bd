"""The stick's locks: pin Python distributions by SHA-256; compare Debian versions with the lock."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename


def pin(path: Path) -> tuple[str, str]:
    """(name==version, sha256) of one downloaded distribution file."""
    if path.name.endswith(".whl"):
        name, version, _build, _tags = parse_wheel_filename(path.name)
    else:
        name, version = parse_sdist_filename(path.name)
    return f"{canonicalize_name(name)}=={version}", hashlib.sha256(path.read_bytes()).hexdigest()


def lock_lines(folder: Path) -> list[str]:
    """One requirement line per distribution, sorted; the project itself is built, not locked."""
    lines = []
    for path in sorted(folder.iterdir()):
        requirement, digest = pin(path)
        if not requirement.startswith("triage=="):
            lines.append(f"{requirement} --hash=sha256:{digest}")
    return sorted(lines)


def debian_versions(text: str) -> dict[str, str]:
    """{package: version} from package=version lines (comments and blank lines skipped)."""
    pairs = (line.split("=", 1) for line in text.splitlines()
             if line.strip() and not line.startswith("#"))
    return {name: version for name, version in pairs}


def debian_changes(locked: dict[str, str], built: dict[str, str]) -> list[str]:
    """One line per package whose version differs between the lock and the build, sorted."""
    lines = []
    for name in sorted(set(locked) | set(built)):
        old, new = locked.get(name), built.get(name)
        if old == new:
            continue
        if old is None:
            lines.append(f"{name}: new, {new}")
        elif new is None:
            lines.append(f"{name}: gone (locked {old})")
        else:
            lines.append(f"{name}: {old} -> {new}")
    return lines


def main(argv: list[str]) -> int:
    if len(argv) == 4 and argv[1] == "compare":
        # Each Debian version the build took that differs from the lock; none: it matches.
        changes = debian_changes(debian_versions(Path(argv[2]).read_text(encoding="utf-8")),
                                 debian_versions(Path(argv[3]).read_text(encoding="utf-8")))
        print("\n".join(changes), end="\n" if changes else "")
        return 0
    if len(argv) != 3 or argv[1] != "requirements":
        print("usage: lockfile.py requirements FOLDER | compare LOCK BUILT", file=sys.stderr)
        return 2
    print("# Python dependencies of triage on the stick, pinned by hash "
          "(rewritten by build_usb.sh --update-lock).")
    print("\n".join(lock_lines(Path(argv[2]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
