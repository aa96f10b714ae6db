"""BlazePose smoothing (families/blazepose/filtering.py on calculators/smoothing.py): the
reference's parameters, object-scale rule and quirks (spec §7)."""

from __future__ import annotations

import numpy as np
import pytest

from movenet.calculators.smoothing import KeypointsSmoothingFilter, VisibilityFilter, object_scale
from movenet.families.blazepose import constants as C
from movenet.families.blazepose.filtering import LandmarkFilters

from reference_filters import OneEuroFilter

W, H = 1000, 667


def _frame(offset: float = 0.0, vis: float = 0.9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    lm = np.column_stack([rng.uniform(0.3, 0.7, 33) + offset, rng.uniform(0.2, 0.8, 33),
                          rng.uniform(-0.2, 0.2, 33), np.full(33, vis)])
    aux = np.array([[0.5 + offset, 0.7, 0.0, vis], [0.49 + offset, 0.28, 0.0, vis]])
    world = np.column_stack([rng.uniform(-0.5, 0.5, (33, 3)) + offset, np.full(33, vis)])
    return lm, aux, world


def test_visibility_runs_twice_per_frame_spec_values() -> None:
    """Spec §7.3: pose.jpg repeated at 0, 33.3333, 66.6666 ms: nose scores as published, only
    reproducible with the second (world) pass over the same filter."""
    raw = [0.9999717670007539, 0.9999908091145443, 0.9999931813001459]
    expected = [0.9999717670007539, 0.9999736712121329, 0.9999771646321512]
    filters = LandmarkFilters()
    for k, (v, e) in enumerate(zip(raw, expected, strict=True)):
        lm, aux, world = _frame(vis=v)
        world[:, 3] = v
        out = filters.apply(lm, aux, world, k * 33333.3, W, H)
        assert out.landmarks[0, 3] == pytest.approx(e, abs=1e-15)
        assert out.world[0, 3] == v  # world scores stay raw


def test_visibility_filter_is_a_low_pass_seeded_by_the_first_sample() -> None:
    f = VisibilityFilter(0.1)
    assert f.apply(np.array([0.2]))[0] == 0.2
    assert f.apply(np.array([1.0]))[0] == 0.2 + 0.1 * (1.0 - 0.2)
    f.reset()
    assert f.apply(np.array([0.6]))[0] == 0.6


def test_coordinates_match_scalar_one_euro_filters_in_pixels() -> None:
    """Each coordinate is a one-euro filter (min cutoff 0.05, beta 80) on pixel values with
    value scale 1/object scale; x, y come back normalized, z stays in pixels."""
    f = KeypointsSmoothingFilter(C.LANDMARKS_FILTER)
    scalars = [[OneEuroFilter.from_config(C.LANDMARKS_FILTER) for _ in range(3)] for _ in range(2)]
    from movenet.calculators.rects import Rect

    rect = Rect(0.5, 0.5, 0.3, 0.45, 0.1)
    scale = object_scale(rect, W, H)
    assert scale == (0.3 * W + 0.45 * H) / 2
    rng = np.random.default_rng(3)
    for k in range(1, 8):
        coords = rng.uniform(0, 1, (2, 3))
        out = f.apply(coords, k * 33333, (W, H), rect)
        for i in range(2):
            px = [coords[i, 0] * W, coords[i, 1] * H, coords[i, 2] * W]
            want = [s.apply(v, k * 33333, 1 / scale) for s, v in zip(scalars[i], px, strict=True)]
            assert out[i, 0] == want[0] / W and out[i, 1] == want[1] / H
            assert out[i, 2] == want[2]  # z in pixels (the reference's quirk)


def test_tiny_object_scale_disables_filtering() -> None:
    from movenet.calculators.rects import Rect

    f = KeypointsSmoothingFilter(C.LANDMARKS_FILTER)
    tiny = Rect(0.5, 0.5, 1e-10, 1e-10)
    a = np.array([[0.1, 0.2, 0.0]])
    b = np.array([[0.3, 0.4, 0.1]])
    f.apply(a, 1000, (W, H), tiny)
    out = f.apply(b, 2000, (W, H), tiny)
    assert np.array_equal(out[:, :2], b[:, :2]) and out[0, 2] == 0.1 * W


def test_first_frame_at_time_zero_passes_through_unfiltered() -> None:
    filters = LandmarkFilters()
    lm, aux, world = _frame()
    out0 = filters.apply(lm, aux, world, 0, W, H)
    # (x * W) / W: equal up to the float64 round trip, as in the reference.
    assert np.array_equal(out0.landmarks[:, 0], lm[:, 0] * W / W)
    assert np.array_equal(out0.landmarks[:, 2], lm[:, 2] * W)  # z in pixels
    assert np.array_equal(out0.world, world)
    lm1, aux1, world1 = _frame(0.05)
    out1 = filters.apply(lm1, aux1, world1, 33333, W, H)  # the first accepted sample: unchanged too
    assert np.allclose(out1.landmarks[:, :2], lm1[:, :2], rtol=0, atol=1e-15)
    lm2, aux2, world2 = _frame(0.1)
    out2 = filters.apply(lm2, aux2, world2, 66666, W, H)
    assert not np.allclose(out2.landmarks[:, :2], lm2[:, :2])


def test_reset_keeps_the_world_filter() -> None:
    filters = LandmarkFilters()
    for k in range(1, 4):
        filters.apply(*_frame(0.01 * k), k * 33333, W, H)
    filters.reset()
    lm, aux, world = _frame(0.5)
    out = filters.apply(lm, aux, world, 4 * 33333, W, H)
    assert np.allclose(out.landmarks[:, :2], lm[:, :2], rtol=0, atol=1e-15)  # 2D restarted
    assert not np.allclose(out.world[:, :3], world[:, :3])  # world filtered against the old track
