"""Frames of videos (PyAV): at scene changes and at a fixed interval, as PNG members."""

from __future__ import annotations

import io
from collections.abc import Iterator

import av
import numpy as np

from triage.containers.buffers import BytesContent, ContentFile
from triage.containers.formats import Context, Found, issue
from triage.ledger.records import Problem
from triage.model import Content

_ERRORS = (av.FFmpegError, OSError, ValueError, EOFError, IndexError, MemoryError)
# Scene changes are judged on tiny grey thumbnails: cheap, and blind to noise and compression.
_THUMB = 32
# 8-bit pixel formats whose first plane is the grey (luma) picture: thumbnails come straight
# from it, 5x cheaper than a scaler call per frame (bench/containers_bench.py).
_LUMA_FIRST = {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12",
               "nv21", "gray"}


def _thumb(frame: av.VideoFrame) -> np.ndarray:
    """A _THUMB x _THUMB grey thumbnail (block means of the luma plane)."""
    if frame.format.name not in _LUMA_FIRST or frame.width < _THUMB or frame.height < _THUMB:
        small = frame.reformat(width=_THUMB, height=_THUMB, format="gray").to_ndarray()
        return small.astype(np.float32)
    plane = frame.planes[0]
    luma = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[: frame.height,
                                                                        : frame.width]
    step = max(1, min(frame.width, frame.height) // (_THUMB * 4))  # ~4 samples per block side
    luma = luma[::step, ::step]
    bh, bw = luma.shape[0] // _THUMB, luma.shape[1] // _THUMB
    blocks = luma[: bh * _THUMB, : bw * _THUMB].reshape(_THUMB, bh, _THUMB, bw)
    return blocks.mean(axis=(1, 3), dtype=np.float32)


def frame_name(seconds: float) -> str:
    """The member name of the frame shown at `seconds`: 'frame@12.480s'."""
    return f"frame@{seconds:.3f}s"


def read_video(content: Content, ctx: Context) -> Iterator[Found | Problem]:
    """Frames at scene changes and every interval, at most the frame limit, as PNG pictures."""
    limits = ctx.budget.limits
    try:
        container = av.open(ContentFile(content), mode="r", metadata_errors="ignore")
    except _ERRORS as exc:
        yield issue(ctx, None, f"not a decodable video ({exc}); its frames were not examined",
                    "corrupt")
        return
    with container:
        if not container.streams.video:
            return  # audio only (an .m4a or a .webm of sound): no pictures to look at
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if _duration(container, stream) > limits.video_full_decode_s:
            stream.codec_context.skip_frame = "NONKEY"
        previous: np.ndarray | None = None
        next_due = 0.0
        taken = decoded = 0
        seconds = 0.0
        try:
            for frame in _frames(container, stream):
                decoded += 1
                if decoded > limits.video_max_decoded:
                    yield issue(
                        ctx, None, f"stopped after {limits.video_max_decoded} decoded frames "
                                f"(at {seconds:.3f} s); later frames were not examined",
                                "limit")
                    return
                seconds = float(frame.time) if frame.time is not None else seconds
                thumb = _thumb(frame)
                cut = previous is None or float(
                    np.abs(thumb - previous).mean()) > limits.video_scene_diff
                previous = thumb
                if not cut and seconds < next_due:
                    continue
                out = io.BytesIO()
                frame.to_image().save(out, format="PNG", compress_level=1)
                data = out.getvalue()
                ctx.budget.take_bytes(len(data))
                yield Found(frame_name(seconds), None, BytesContent(data),
                            {"video_time_s": round(seconds, 3), "scene_change": cut})
                taken += 1
                next_due = seconds + limits.video_interval_s
                if taken >= limits.video_max_frames:
                    yield issue(ctx, None, f"frame limit ({limits.video_max_frames}) reached at "
                                f"{seconds:.3f} s; later frames were not sampled", "limit",
                                not_examined=False)
                    return
        except _ERRORS as exc:
            yield issue(ctx, None, f"damaged video after {seconds:.3f} s ({exc}); the rest was not "
                        "examined", "corrupt")


def _frames(container: av.container.InputContainer, stream: av.video.stream.VideoStream
            ) -> Iterator[av.VideoFrame]:
    """The stream's decoded frames, passing over empty packets inside the stream.

    Theora marks a repeated frame with a zero-length packet (GNOME's own help videos are full
    of them); FFmpeg's decoder refuses such a packet (EINVAL), which would end the video at its
    first still moment. Only the demuxer's last, timeless empty packet is a real flush.
    """
    for packet in container.demux(stream):
        if packet.size == 0 and packet.pts is not None:
            continue  # "show the previous frame again": nothing new to look at
        yield from packet.decode()


def _duration(container: av.container.InputContainer, stream: av.video.stream.VideoStream
              ) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return 0.0
