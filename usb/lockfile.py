"""Write usb/requirements.lock: every downloaded wheel or sdist pinned by version and SHA-256."""

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


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] != "requirements":
        print("usage: lockfile.py requirements FOLDER", file=sys.stderr)
        return 2
    print("# Python dependencies of triage on the stick, pinned by hash "
          "(rewritten by build_usb.sh --update-lock).")
    print("\n".join(lock_lines(Path(argv[2]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
