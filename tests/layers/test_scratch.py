"""Per-thread scratch buffers: reused in a thread, separate between threads, huge ones not kept."""

from __future__ import annotations

import threading

from triage.layers.scratch import KEEP_MAX, Scratch


def test_a_buffer_is_reused_and_grown_on_demand() -> None:
    scratch = Scratch()
    first = scratch.bytes("a", 1000)
    again = scratch.bytes("a", 500)
    assert again.base is first.base or again.base is first  # the same memory, a shorter view
    bigger = scratch.bytes("a", 5000)
    assert bigger.size == 5000
    assert scratch.words("w", (3, 4)).shape == (3, 4)


def test_threads_get_their_own_buffers() -> None:
    scratch = Scratch()
    held: list[object] = []
    all_in = threading.Barrier(2)

    def grab() -> None:
        held.append(scratch.bytes("a", 4096))
        all_in.wait()  # both buffers alive at once: their addresses cannot coincide

    threads = [threading.Thread(target=grab) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    held.append(scratch.bytes("a", 4096))
    assert len({array.ctypes.data for array in held}) == 3  # type: ignore[attr-defined]


def test_a_huge_buffer_is_not_kept() -> None:
    scratch = Scratch()
    scratch.bytes("a", 1024)
    huge = scratch.bytes("a", KEEP_MAX + 1)
    assert huge.size == KEEP_MAX + 1
    assert scratch.bytes("a", 1024).ctypes.data != huge.ctypes.data
