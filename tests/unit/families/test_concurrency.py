"""One detector used from two threads at once (issue 17, item 10): refused with a clear error, never
silently wrong; one detector per thread on a shared network is the way, and gives the sequential
results."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from PIL import Image

from movenet.cli.common import example_image

from conftest import detector_on, get_network

ROUNDS = 30


@pytest.fixture(scope="module")
def images() -> list[np.ndarray]:
    rgb = np.asarray(Image.open(example_image()).convert("RGB"))
    return [rgb, np.ascontiguousarray(rgb[:, ::-1]), np.ascontiguousarray(rgb[::-1])]  # one size: shared buffers


def _as_data(poses: list[Any]) -> list[dict[str, Any]]:
    return [p.to_dict() for p in poses]


def _hammer(calls: list[Callable[[], Any]]) -> tuple[list[tuple[int, Any]], list[BaseException]]:
    """Run calls[k] on thread k, ROUNDS times each, every round started together (a barrier)."""
    barrier = threading.Barrier(len(calls))
    results: list[tuple[int, Any]] = []
    errors: list[BaseException] = []

    def work(k: int) -> None:
        for _ in range(ROUNDS):
            barrier.wait()
            try:
                results.append((k, calls[k]()))
            except Exception as exc:  # noqa: BLE001 - collected and checked below
                errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return results, errors


def _check_errors(errors: list[BaseException]) -> None:
    from movenet.families.concurrency import ConcurrentUseError

    assert errors, "two threads entered one detector at once and nothing said so"
    for exc in errors:
        assert isinstance(exc, ConcurrentUseError) and isinstance(exc, RuntimeError), repr(exc)
        assert "one detector per thread" in str(exc) and "build_detector" in str(exc)


def test_multipose_detector_from_two_threads_is_refused_never_wrong(images: list[np.ndarray]) -> None:
    detector = detector_on("multipose", tracker=None, enable_smoothing=False)
    expected = [_as_data(detector.estimate_poses(image)) for image in images[:2]]
    assert expected[0] != expected[1] and all(expected)
    results, errors = _hammer([lambda: detector.estimate_poses(images[0]), lambda: detector.estimate_poses(images[1])])
    for k, poses in results:  # every call that ran gave its own image's poses
        assert _as_data(poses) == expected[k]
    _check_errors(errors)
    assert _as_data(detector.estimate_poses(images[0])) == expected[0]  # and it still works afterwards


def test_single_pose_detector_from_two_threads_is_refused(images: list[np.ndarray]) -> None:
    detector = detector_on("lightning")
    results, errors = _hammer([lambda: detector.estimate_poses(images[0]), lambda: detector.reset()])
    _check_errors(errors)
    detector.reset()
    assert len(detector.estimate_poses(images[0])) == 1


def test_one_detector_used_by_threads_in_turn_is_fine(images: list[np.ndarray]) -> None:
    detector = detector_on("lightning")
    out: list[Any] = []
    for image in images[:2]:  # one thread after the other: no error
        t = threading.Thread(target=lambda image=image: out.append(detector.estimate_poses(image)))
        t.start()
        t.join()
    assert [len(p) for p in out] == [1, 1]


def test_one_detector_per_thread_on_a_shared_network_gives_the_sequential_results(images: list[np.ndarray]) -> None:
    get_network("lightning")  # loaded once, shared by both detectors
    streams = [[(images[k % 3], 33.3 * i) for i in range(12)] for k in (0, 1)]
    streams[1] = [(images[(i // 4) % 3], t) for i, (_, t) in enumerate(streams[1])]

    def run(stream: list[tuple[np.ndarray, float]]) -> list[Any]:
        detector = detector_on("lightning")
        return [_as_data(detector.estimate_poses(image, t)) for image, t in stream]

    expected = [run(s) for s in streams]
    got: dict[int, list[Any]] = {}
    threads = [threading.Thread(target=lambda k=k: got.__setitem__(k, run(streams[k]))) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert [got[0], got[1]] == expected
