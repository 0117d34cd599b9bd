"""Every judgement the perceptual matcher makes, in one place, with where each number comes from."""

from __future__ import annotations

# PDQ: Meta's published operating point (pdq/README.md in ThreatExchange, "hashing.pdf"):
# two hashes at Hamming distance <= 31 of 256 are the same picture, and a hash whose quality
# is below 50 describes a near-featureless picture and should not be matched at all.
PDQ_MATCH_DISTANCE = 31
PDQ_QUALITY_FLOOR = 50

# pHash (64-bit DCT hash of imagehash): 10, the radius issue 4 names. bench/perceptual/calibrate.py
# measured every goal transform within 10 bits except one watermarked texture (18), but also the
# second shot of a stereo pair at 4 and flat pictures at 0: pHash alone is never enough.
PHASH_MATCH_DISTANCE = 10

# The decision rule (rules.py), chosen by the grid in bench/perceptual/calibrate.py over 34
# photo references x 33 transforms against 140 distractors: PDQ within 31 above the quality
# floor, or PDQ within 72 *and* pHash within 10 with both qualities >= 20. The closest unrelated
# pair by PDQ was the stereo pair at 84 (pHash 4), so 72 keeps a 12-bit margin; 76 and 80 found
# a few more crops but with less margin. A quality floor of 0 matched flat pictures to a flat
# reference; 20 and 30 matched none, and 20 also found darkened copies of a blurred photo.
# Issue 20 (calibrate_wide.py, 10,400 distractors): wallpapers of a reference scene under other
# shapes came within PDQ 68, 70 and 72 with pHash <= 10 and matched at 72; 63 keeps 5 bits under
# the closest of them (calibrate.py's grid row B=63 lost no goal on issue 4's transforms).
PDQ_CORROBORATED_DISTANCE = 63
CORROBORATED_QUALITY_FLOOR = 20
# Issue 20: a featureless picture (blank, flat colour, near-black) never matches by any way of
# the rule, whatever its distances: every way needs both PDQ qualities at least this. It is the
# corroborated way's floor above (the lowest any way accepted), so no calibrated match is lost.
FEATURELESS_QUALITY = CORROBORATED_QUALITY_FLOOR
# A third way, for textures (bench: a watermark on skimage's brick photo moved pHash 18 and PDQ
# 44, failing both ways above): PDQ within 47 *and* pHash within 22, both qualities >= 50, for
# the picture as stored. Unrelated pictures sit near 128 of 256 and 32 of 64. calibrate.py's
# second grid (A2/P2/Q3) found no false match anywhere (even A2 63 with no pHash bound), so the
# bounds come from margins: the closest pair that must not match with quality >= 50 was 84
# apart by PDQ (the stereo pair), 37 bits beyond 47; pHash 22 keeps 4 bits over the watermark
# and is 2.5 sd under chance (32 +- 4, about 1 unrelated pair in 150). 47 = 16 chunks x 3 - 1
# is the widest radius the PDQ index answers with 2-bit probes (index.py); that search is 12x
# slower than one at 31 (index_bench.py: 1,031 against 12,844 queries/s over 1,000,000
# hashes), so this way skips the 7 flips and rotations: 1 slow query per picture, not 8 (a
# watermarked *and* mirrored copy of a texture is not among issue 4's goals).
PDQ_NEAR_DISTANCE = 47
PHASH_NEAR_DISTANCE = 22
# A reference with no pHash (an imported PDQ list) has nothing to corroborate it, so PDQ alone
# must be closer than Meta's 31: issue 4's trial saw PDQ <= 31 with the quality floor match 1 of
# 86 unrelated pictures; 24 found every re-compressed copy in the bench (table "pdq<=24").
PDQ_ALONE_DISTANCE = 24

# PDQ conformance: Meta's test notes accept hashes within 10 bits of the C++ reference for
# pictures of quality >= 80 ("different languages or libraries give different hashes").
PDQ_CONFORMANCE_TOLERANCE = 10

# Decoding. Pillow raises DecompressionBombError above twice this; we refuse above it outright.
# 200 MP covers the largest phone sensors sold today (200 MP); a bigger claim is a hostile or
# corrupt header, and decoding it would take gigabytes on a machine shared by two workers.
MAX_PICTURE_PIXELS = 200_000_000
# PDQ drifts 2-12 bits when a picture is decoded below 512 px (measured in issue 4; here, 12 MP
# grainy photos drift up to 16 bits at 1/4 scale and 34 at 1/8), so JPEG's DCT-domain
# downscaling stops at the smallest scale that keeps both sides >= 512 px. Decoding cost is
# mostly entropy decoding, which no scale skips: 1/8 saved 1 ms of 18 on a 12 MP photo.
PDQ_DECODE_MIN_SIDE = 512
# Animated pictures: the first frame and a few more spread across the animation, because a
# known picture may be one frame of a GIF or WebP slideshow. Each extra frame costs a hash.
MAX_FRAMES = 4

# The content box (regions.py), measured on bench/perceptual/calibrate_wide.py's transforms.
# The reduced copy's longer side: a box edge lands within 2 px of 512 (0.4%), and finding the
# box costs ~2 ms of a 1 MP picture's ~15 ms (1024 px cost 4x that, for no better boxes).
BOX_REDUCED_SIDE = 512
# Sub-regions are hashed from the content reduced to at most this longer side (regions.py):
# PDQ's own grid is 64x64, so a quadrant of 256 px still gives it 4 pixels per sample.
REGION_SIDE = 512
# A pixel is "busy" when its second difference (x[i-1] - 2 x[i] + x[i+1]) along a row or
# column is above this (of 255) on the reduced copy: JPEG noise on a flat border and a blurred
# padding's smooth slopes (a Gaussian of sigma 8 px bends at most 255 / (4.1 sigma^2) = 1 per
# pixel) stay under it; grain, texture, edges and UI text do not.
BOX_GRADIENT = 3.0
# A row (column) belongs to the picture when this share of its pixels is busy, and at least
# BOX_BUSY_RELATIVE of the share in the picture's busiest rows (their 90th percentile): smooth
# generated scenes have 0.15-0.3 busy, grainy photos 0.5-0.9, flat or blurred borders < 0.03,
# and a row through a 10% caption box keeps 0.6 of its picture's share.
BOX_BUSY_FLOOR = 0.05
BOX_BUSY_RELATIVE = 0.3
# Gaps of non-busy rows up to this share of the side are bridged (a smooth band in a photo).
BOX_GAP = 0.02
# A straight edge (regions._snap): a line where at least BOX_EDGE_SHARE of the pixels along
# the box step by BOX_EDGE_STEP or more (of 255) between neighbouring rows. A picture pasted on
# a frame steps by 10-200 on nearly every pixel (the dark theme's 18 against a black surround
# still 13); a photo's own smooth or defocused areas step by 0-3.
BOX_EDGE_STEP = 8
BOX_EDGE_SHARE = 0.5
# An edge may pull a box side out any distance: the innermost straight line beyond a busy edge
# is the frame's (a reach of 35% of the box left phone screenshots of smooth scenes cut in half
# where their grain averaged away at 1/4 scale, and smooth microscopy inside black borders).
# Uniform borders are trimmed first (regions._uniform_trim): outer rows or columns spanning at
# most this many levels (JPEG noise on a flat border spans 2-6 at quality 85).
BOX_UNIFORM_RANGE = 10
# A UI bar the picture touches: at most this share of the box's side, and this share of its
# pixels within 3 levels of its median (desktop taskbars and address bars: 0.8-0.95; photo
# strips far less).
BOX_BAR_SHARE = 0.12
BOX_BAR_UNIFORM = 0.7
# Boxes smaller than this share of the frame's area are not pictures of their own (an icon).
BOX_MIN_AREA = 0.05
# Under this trim on every side the picture is its own content (no box hash).
BOX_MIN_TRIM = 0.02

# The two ways issue 20 adds (rules.py), both for the picture as stored, both needing the whole
# pictures' PDQ qualities >= PDQ_QUALITY_FLOOR, chosen by bench/perceptual/calibrate_wide.py:
# - the content box: PDQ of the query's box (or whole) within PDQ_MATCH_DISTANCE of the
#   reference's whole (or box), both above the quality floor: Meta's own threshold, applied to
#   the picture found inside borders, letterboxing or a screenshot frame.
# - sub-regions: at least REGION_AGREE of the 8 regions (quadrants and outer thirds) of the
#   picture each within REGION_DISTANCE of the reference's same region, every counted region
#   with quality >= PDQ_QUALITY_FLOOR on both sides. calibrate_wide.py's grid (distance 12-28,
#   2-5 regions): no distractor of 10,400 matched anywhere in it; 2 regions found 0.953 of the
#   caption group by this way alone at every distance, 3 regions 0.917-0.936. 20 bits (of 256)
#   is the middle of the flat part: as much recall as 28 with 8 bits more margin.
REGION_DISTANCE = 20
REGION_AGREE = 2
