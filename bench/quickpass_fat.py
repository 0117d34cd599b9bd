"""What the quick pass misses on small-cluster FAT (issue 23): contiguous and fragmented files.

Run from the repository root:  python bench/quickpass_fat.py

Builds FAT16 volumes with 512 B, 1 KiB, 2 KiB and 4 KiB clusters (mkfs.vfat, mtools), writes
two known pictures contiguously and two into 3-cluster holes left by deleted files, runs the
quick pass and prints, per file, how many of its distinctive blocks were found.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from tests.blocks.disk import MTOOLS_ENV, _mcopy, picture  # noqa: E402
from tests.fixtures.tools import make_sparse, run  # noqa: E402
from triage.blocks.build import FilterBuilder  # noqa: E402
from triage.blocks.library import load_filters  # noqa: E402
from triage.blocks.store import write_filter  # noqa: E402
from triage.ledger import Ledger  # noqa: E402
from triage.plan.quickpass import QuickPassRequest, run_quick_pass  # noqa: E402


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    rows = []
    for cluster_sectors, label in ((1, "512 B"), (2, "1 KiB"), (4, "2 KiB"), (8, "4 KiB")):
        img = tmp / f"fat{cluster_sectors}.img"
        make_sparse(img, 32 << 20)
        run(["mkfs.vfat", "-F", "16", "-s", str(cluster_sectors), str(img)])
        pics = {f"c{cluster_sectors}_{i}.jpg": picture(500 + 10 * cluster_sectors + i)
                for i in range(4)}
        names = list(pics)
        # two contiguous pictures, then two fragmented ones: each written into holes of 3 clusters
        _mcopy(img, pics[names[0]], "/a.jpg", tmp)
        _mcopy(img, pics[names[1]], "/b.jpg", tmp)
        for n in range(12):
            _mcopy(img, b"h" * (3 * 512 * cluster_sectors), f"/h{n}.txt", tmp)
            _mcopy(img, b"k" * 512, f"/k{n}.txt", tmp)
        for n in range(12):
            run(["mdel", "-i", str(img), f"::/h{n}.txt"], env=MTOOLS_ENV)
        _mcopy(img, pics[names[2]], "/frag1.jpg", tmp)
        _mcopy(img, pics[names[3]], "/frag2.jpg", tmp)
        b = FilterBuilder()
        for name, data in pics.items():
            b.add_pieces(iter([data]), name, "A")
        compiled = b.compile()
        hs = tmp / f"hs{cluster_sectors}"
        write_filter(hs / "blocks" / "s", name="s", version="1", source="t", compiled=compiled,
                     references=b.references, categories=b.categories, stats=b.stats)
        state = Ledger()
        cov = run_quick_pass([str(img)], load_filters(hs, None), state, QuickPassRequest())
        kept = {r: int(k) for r, k in zip(b.references, compiled.ref_kept, strict=True)}
        seen = {f.reference: f.detail["blocks_seen"] for f in state.findings}
        phases = cov["sources"][0]["extra_phases"]
        for i, name in enumerate(names):
            kind = "contiguous" if i < 2 else "fragmented (3-cluster holes)"
            rows.append((label, kind, seen.get(name, 0), kept[name],
                     len(next(iter(phases.values()), [0]))))
    print("| cluster | file | distinctive blocks found | kept | phases read |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} |")


if __name__ == "__main__":
    main()
