"""Registry hives for the tests: the hivex project's minimal hive with keys merged in by
hivexregedit (Debian's libwin-hivex-perl), so every byte is written by a real registry tool."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

MINIMAL = Path(__file__).resolve().parents[1] / "data" / "hivex" / "minimal"
HIVEXREGEDIT = shutil.which("hivexregedit")


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _reg_value(name: str, value: object) -> str:
    key = "@" if name == "" else _quoted(name)  # '@' is the key's default value
    if isinstance(value, str):
        return f"{key}={_quoted(value)}"
    if isinstance(value, int):
        return f"{key}=dword:{value:08x}"
    if isinstance(value, tuple):  # (type number, bytes)
        kind, data = value
        return f"{key}=hex({kind:x}):" + ",".join(f"{b:02x}" for b in data)
    raise TypeError(value)


def make_hive(target: Path, keys: dict[str, dict[str, object]]) -> Path:
    """A hive at `target` holding `keys` ({'\\A\\B': {value name: value}}), parents included."""
    assert HIVEXREGEDIT is not None
    shutil.copyfile(MINIMAL, target)
    target.chmod(0o644)
    wanted: dict[str, dict[str, object]] = {}
    for path, values in keys.items():
        parts = path.strip("\\").split("\\")
        for depth in range(1, len(parts)):
            wanted.setdefault("\\" + "\\".join(parts[:depth]), {})
        wanted.setdefault("\\" + "\\".join(parts), {}).update(values)
    lines = ["Windows Registry Editor Version 5.00", ""]
    for path in sorted(wanted, key=lambda p: p.count("\\")):
        lines.append(f"[{path}]")
        lines.extend(_reg_value(name, value) for name, value in wanted[path].items())
        lines.append("")
    reg = target.with_suffix(".reg")
    reg.write_text("\n".join(lines) + "\n", encoding="utf-8")
    subprocess.run([HIVEXREGEDIT, "--merge", str(target), str(reg)], check=True,  # noqa: S603
                   capture_output=True)
    reg.unlink()
    return target
