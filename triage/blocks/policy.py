"""Judgement calls of the block quick pass, in one place, each with its source."""

from __future__ import annotations

# Blocks are 4 KiB at 4 KiB-aligned offsets: the cluster size of NTFS, ext4, exFAT and most
# FAT32 volumes, so every whole cluster of a known file is one block on the disk (Garfinkel et
# al., DFRWS 2010, section 5; Young et al., IEEE Computer 2012, use 4 KiB for the same reason).
BLOCK_SIZE = 4096

# The quick pass reads this much at a time (the issue asks >= 1 MiB; 4 MiB keeps the syscall
# count negligible and is still a small buffer per worker).
READ_CHUNK = 4 << 20
# A worker takes this much of the disk per task: large enough that reads stay sequential within
# it, small enough that two or eight workers share a 1 GB partition evenly.
SEGMENT = 64 << 20

# --sample reads whole units of this size chosen at random. Reading random 4 KiB blocks is
# slower than reading everything (measured here: 10% of a 512 MiB file in random 4 KiB reads
# took 3.7x the time of the full sequential read; in 1 MiB reads 0.33x), and on a spinning disk
# far worse, so the unit is large and the stated confidence counts units, not blocks.
SAMPLE_UNIT = 1 << 20

# Non-probative blocks (Garfinkel & McCarrin, DFRWS 2015; Gutierrez-Villarreal, NPS thesis
# 2015): blocks that recur in unrelated files raise false identifications. Dropped at the lab:
# constant and short-period blocks (padding, whitespace, tables of one value), "ramps" (counters
# of 4-byte integers, the hashdb ramp rule), and blocks of low byte entropy. 3 bits/byte keeps
# compressed pictures (~7.9) and text (~4.5) and drops sparse structures.
ENTROPY_MIN_BITS = 3.0
PERIODS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048)
RAMP_FRACTION = 0.5  # more than half of the 4-byte integers one more than the previous

# For very large sets: at most this many distinctive blocks of one file are kept, spread evenly
# over the file (so a partly overwritten file keeps some), chosen as each file is added (the
# build streams: triage/blocks/build.py). 64 blocks x 1,000,000 references is a 64-million-row
# filter whose lookup structures (Bloom words <= 256 MiB, bucket starts, 32-bit tails) stay
# under the 500 MB memory goal (bench/blockfilter_bench.py), and a sampled pass at p = 0.1 over
# 64 separate units finds a file with probability 1 - 0.9**64 = 99.9%. Capped files and the
# blocks over the limit are counted in the statistics.
MAX_BLOCKS_PER_FILE = 64

# RED needs this many distinct distinctive blocks of one reference file in one place. A single
# distinct block is already strong evidence (the "distinct block" of Garfinkel et al. 2010 and
# Young et al. 2012), but Garfinkel & McCarrin (2015) found that in a million-file database
# common structures still slipped through the filters; several different blocks of the same file
# cannot come together by chance. Fewer is an AMBER lead for the file scan to confirm.
RED_MIN_BLOCKS = 4

# The lookup structures' sizes (bits per key, bucket rows) are in triage/blocks/layout.py.

# Below this many bytes to read, one process does it all: starting worker processes (each
# imports numpy and opens the evidence) costs about a second, more than they would save.
PARALLEL_MIN = 512 << 20
