"""Every judgement-call number of the rule engine, in one place with where it comes from."""

from __future__ import annotations

# Upper bound on bytes a content or entropy condition may read from the start of a file.
# The issue asks for "a bounded prefix"; 1 MiB covers browser prefs.js (typically < 200 KiB)
# while keeping the worst case per file to one small read from a USB-attached disk.
MAX_PREFIX = 1024 * 1024

# Default `within` for content keywords and regexes: config files that evidence a setting
# (torrc, qBittorrent.ini, prefs.js entries near the top) fit well inside 64 KiB.
DEFAULT_WITHIN = 64 * 1024

# Default entropy sample. 64 KiB gives a stable estimate (random data measures > 7.99
# bits/byte; the estimator's bias is ~255 / (2 n ln 2) = 0.003 bits at this n).
DEFAULT_ENTROPY_SAMPLE = 64 * 1024

# Fewer bytes than this cannot show container-like entropy reliably (max log2(n) bits and
# a bias of ~0.045 bits/byte at 4 KiB), so an entropy condition is false below it.
MIN_ENTROPY_SAMPLE = 4096

# Bytes read for the built-in header check (longest signature in content.KNOWN_HEADERS is 40).
HEADER_BYTES = 64

# A file rule matching more than this share of the ordinary-files corpus (corpus.py) is
# rejected as over-broad: it would bury real findings. Half is far above any shipped rule
# (the broadest, browser profiles, matches under 10%).
OVERBROAD_FRACTION = 0.5

# Files at least this big are "large" for dispatch: a rule needing `size: {min: >= this}`
# is only evaluated for large files. 1 MiB is the shipped encrypted-container threshold.
LARGE_FILE = 1024 * 1024

# Paths kept as examples in one aggregate (count) finding, so the report stays small.
AGGREGATE_EXAMPLES = 5

# Line numbers of a keyword list named in one finding (the rest are counted): a list whose
# every line matched is a broken list or a broken history, and its finding stays readable.
KEYWORD_LINES_SHOWN = 50
