"""The optional C helpers `_sectors` and `_cpu_crypto` (setup.py), or None where they were not
built (or, for `_cpu_crypto`, where this CPU lacks the instructions): numpy and OpenSSL then."""

from __future__ import annotations

from types import ModuleType

sectors: ModuleType | None
try:  # several times faster than the numpy passes it replaces, same bytes
    from triage.layers import _sectors as sectors
except ImportError:  # installed without a C compiler
    sectors = None

# Whole-sector AES on AES-NI (XTS and BitLocker's CBC in one pass, as fast as OpenSSL's XTS
# over one data unit) and BitLocker's key stretch on SHA-NI (5x hashlib's loop).
cpu_aes: ModuleType | None = None
cpu_sha: ModuleType | None = None
try:
    from triage.layers import _cpu_crypto
except ImportError:
    pass
else:
    cpu_aes = _cpu_crypto if _cpu_crypto.HAS_AES else None
    cpu_sha = _cpu_crypto if _cpu_crypto.HAS_SHA else None


def aes_engine() -> str:
    """Coverage's `encryption.engine` for a volume our own code decrypts: whose AES runs."""
    return "triage (AES-NI)" if cpu_aes is not None else "triage (cryptography AES)"
