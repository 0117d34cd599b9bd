"""Container expansion speed: members/s and video frames/s, ours beside a bare baseline."""

from __future__ import annotations

import argparse
import io
import sys
import tarfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import av

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.containers import builders as b  # noqa: E402
from triage.containers import ContainerLimits, Member, expand  # noqa: E402


def best(fn: Callable[[], int], repeat: int) -> tuple[float, int]:
    """Best wall time of `repeat` runs, and the count the function returned."""
    times, count = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        count = fn()
        times.append(time.perf_counter() - start)
    return min(times), count


def ours(name: str, data: bytes, limits: ContainerLimits | None = None) -> Callable[[], int]:
    def run() -> int:
        rec, content = b.record(name, data)
        count = 0
        for item in expand(rec, content, limits=limits):
            if isinstance(item, Member) and item.content is not None:
                item.content.read(0, item.content.size)  # what the stages will do, at least
                count += 1
        return count
    return run


def zip_baseline(data: bytes) -> Callable[[], int]:
    def run() -> int:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(1 for info in archive.infolist() if archive.read(info) is not None)
    return run


def tar_baseline(data: bytes) -> Callable[[], int]:
    def run() -> int:
        count = 0
        with tarfile.open(fileobj=io.BytesIO(data), mode="r|gz") as archive:
            for info in archive:
                handle = archive.extractfile(info)
                if handle is not None:
                    handle.read()
                    count += 1
        return count
    return run


def decode_baseline(data: bytes) -> Callable[[], int]:
    def run() -> int:
        with av.open(io.BytesIO(data)) as video:
            stream = video.streams.video[0]
            stream.thread_type = "AUTO"
            return sum(1 for _ in video.decode(stream))
    return run


def make_video(seconds: int, fps: int, size: tuple[int, int]) -> bytes:
    scenes = [b.picture(seed, size) for seed in range(seconds // 5 + 1)]
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as video:
        stream = video.add_stream("libx264", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for index in range(seconds * fps):
            frame = av.VideoFrame.from_image(scenes[index // (5 * fps)])
            for packet in stream.encode(frame):
                video.mux(packet)
        for packet in stream.encode():
            video.mux(packet)
    return out.getvalue()


def row(label: str, unit: str, mine: tuple[float, int], base: tuple[float, int]) -> None:
    ours_rate, base_rate = mine[1] / mine[0], base[1] / base[0]
    print(f"{label:<34} {ours_rate:>10.0f} {base_rate:>10.0f} {unit:<10} "
          f"{ours_rate / base_rate:>6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--video-seconds", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pictures = {f"photos/{n:05d}.jpg": b.jpeg(n % 50) for n in range(args.members)}
    zipped = b.zip_bytes(pictures)
    tarred = b.tar_gz_bytes(pictures)
    nested = b.zip_bytes({"inner.zip": zipped})
    video = make_video(args.video_seconds, 25, (1280, 720))
    every = ContainerLimits(video_interval_s=0.0, video_max_frames=10**9)
    print(f"{'':<34} {'ours':>10} {'baseline':>10} {'unit':<10} {'ratio':>6}")
    row("zip, deflated jpegs", "members/s", best(ours("a.zip", zipped), args.repeat),
        best(zip_baseline(zipped), args.repeat))
    row("tar.gz, jpegs", "members/s", best(ours("a.tar.gz", tarred), args.repeat),
        best(tar_baseline(tarred), args.repeat))
    row("zip inside zip (counted: inner)", "members/s", best(ours("n.zip", nested), args.repeat),
        best(zip_baseline(zipped), args.repeat))
    decoded = best(decode_baseline(video), args.repeat)
    sampled = best(ours("v.mp4", video), args.repeat)
    # Ours decodes every frame too; its rate is decoded frames over its own time.
    row("video 720p, sampled (defaults)", "frames/s",
        (sampled[0], decoded[1]), decoded)
    every_frame = best(ours("v.mp4", video, every), 1)
    row("video 720p, every frame to PNG", "frames/s", every_frame, decoded)
    print(f"\nvideo: {args.video_seconds} s, 25 fps, {decoded[1]} frames; default sampling "
          f"kept {sampled[1]} frames. Baselines: zipfile/tarfile reads, bare PyAV decode.")


if __name__ == "__main__":
    main()
