"""Compiled helpers (optional): everything is in pyproject.toml except the C extensions.

Each extension is optional: a machine without a C compiler installs the pure-Python package,
whose numpy code gives the same bytes, only slower.
"""

from setuptools import Extension, setup

EXTENSIONS: list[Extension] = [
    # Block filter lookups, prefetched and without the GIL (triage/blocks/filter.py falls back
    # to numpy when this is missing).
    Extension("triage.blocks._probe", sources=["triage/blocks/_probe.c"], optional=True,
              extra_compile_args=["-O3"]),
    # XTS tweaks and CBC restarts for the sector decryptors (triage/layers/xts.py, bde_sectors.py).
    Extension("triage.layers._sectors", sources=["triage/layers/_sectors.c"], optional=True,
              extra_compile_args=["-O3"]),
    # Whole-sector AES-XTS and BitLocker AES-CBC, and BitLocker's key stretch, on AES-NI and
    # SHA-NI (triage/layers/xts.py, bde_sectors.py, bde_keys.py; checked for at run time).
    Extension("triage.layers._cpu_crypto", sources=["triage/layers/_cpu_crypto.c"],
              optional=True, extra_compile_args=["-O3"]),
    # pHash's Lanczos thumbnail, byte for byte as Pillow's (triage/perceptual/lanczos.py).
    # No FMA contraction: the weights must round as Pillow's plain double arithmetic does.
    Extension("triage.perceptual._lanczos", sources=["triage/perceptual/_lanczos.c"], optional=True,
              extra_compile_args=["-O3", "-ffp-contract=off"]),
]

setup(ext_modules=EXTENSIONS)
