"""Temporal filters (``pose-detection/src/shared/filters/``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from movenet.calculators.filters import (
    CROP_FILTER_ALPHA,
    KEYPOINT_FILTER_CONFIG,
    KeypointsOneEuroFilter,
    LowPassFilter,
    OneEuroConfig,
    timestamp_ms_to_us,
)

from reference_filters import OneEuroFilter

# ---------------------------------------------------------------------------------------------
# constants and timestamps
# ---------------------------------------------------------------------------------------------


def test_constants() -> None:
    assert CROP_FILTER_ALPHA == 0.9
    c = KEYPOINT_FILTER_CONFIG
    assert (c.frequency, c.min_cutoff, c.beta, c.derivate_cutoff) == (30, 2.5, 300.0, 2.5)
    assert (c.threshold_cutoff, c.threshold_beta, c.disable_value_scaling) == (0.5, 5.0, True)
    assert c.min_allowed_object_scale is None


def test_timestamp_ms_to_us_truncates() -> None:
    assert timestamp_ms_to_us(0) == 0
    assert timestamp_ms_to_us(33.3333) == 33333
    assert timestamp_ms_to_us(66.6666) == 66666
    assert timestamp_ms_to_us(1.0009) == 1000
    assert timestamp_ms_to_us(-1.5009) == -1500  # toward zero, like Math.trunc
    assert isinstance(timestamp_ms_to_us(12.5), int)
    # The golden video's timestamps: k * 33.3333 ms.
    assert [timestamp_ms_to_us(k * 33.3333) for k in range(4)] == [0, 33333, 66666, 99999]


# ---------------------------------------------------------------------------------------------
# LowPassFilter (4.1)
# ---------------------------------------------------------------------------------------------


def test_low_pass_first_value_passes_then_blends() -> None:
    f = LowPassFilter(0.9)
    assert not f.has_last_raw_value()
    assert f.apply(10.0) == 10.0
    assert f.has_last_raw_value()
    assert f.last_raw_value() == 10.0
    assert f.apply(20.0) == 10.0 + 0.9 * (20.0 - 10.0)
    assert f.last_raw_value() == 20.0
    prev = 10.0 + 0.9 * 10.0
    assert f.apply(0.0) == prev + 0.9 * (0.0 - prev)


def test_low_pass_threshold_is_asinh_soft_clamp() -> None:
    f = LowPassFilter(0.5)
    f.apply(1.0)
    out = f.apply(3.0, threshold=0.25)
    assert out == 1.0 + 0.5 * 0.25 * math.asinh((3.0 - 1.0) / 0.25)
    # A small step is almost linear, a big one is compressed.
    g = LowPassFilter(0.5)
    g.apply(0.0)
    assert g.apply(1e-4, threshold=10.0) == pytest.approx(0.5e-4, rel=1e-9)
    h = LowPassFilter(0.5)
    h.apply(0.0)
    assert h.apply(1000.0, threshold=1.0) < 5.0


def test_low_pass_apply_with_alpha_persists_and_reset() -> None:
    f = LowPassFilter(0.9)
    f.apply(0.0)
    assert f.apply_with_alpha(1.0, 0.25) == 0.25
    assert f.alpha == 0.25
    assert f.apply(1.0) == 0.25 + 0.25 * (1.0 - 0.25)
    f.reset()
    assert not f.has_last_raw_value()
    assert f.apply(7.0) == 7.0


# ---------------------------------------------------------------------------------------------
# OneEuroFilter (4.2)
# ---------------------------------------------------------------------------------------------


def movenet_filter() -> OneEuroFilter:
    return OneEuroFilter.from_config(KEYPOINT_FILTER_CONFIG)


def test_alpha_of_movenet_config() -> None:
    f = movenet_filter()
    assert f.alpha(2.5) == pytest.approx(0.343659, abs=5e-7)
    assert f.alpha(2.5) == 1.0 / (1.0 + 30 / (2 * math.pi * 2.5))


def test_spec_derived_check_values() -> None:
    f = movenet_filter()
    inputs = [(0.5, 0.0), (0.5, 33.3333), (0.6, 66.6666), (0.6, 99.9999), (0.6, 133.3332)]
    outs = [f.apply(v, timestamp_ms_to_us(ms), 1.0) for v, ms in inputs]
    assert outs == pytest.approx([0.5, 0.5, 0.598487, 0.599966, 0.599999], abs=5e-7)
    # Frequency re-estimated from the last step (99999 -> 133333 us), and it persists.
    assert f.frequency == 1 / (33334 * 1e-6)


def test_shared_one_euro_test_7_2_g() -> None:
    f = OneEuroFilter(30, 15.5, 20.2, 21.5, 0.02, 0.5)
    out0 = f.apply(-1.0, 1, 1.0)
    out1 = f.apply(2.0, 15, 1.0)
    out2 = f.apply(-3.0, 33, 1.0)
    assert out0 == -1.0
    assert -1.0 < out1 < 2.0
    assert -3.0 < out2 < 2.0
    assert out1 == pytest.approx(0.2558837, abs=5e-8)
    assert out2 == pytest.approx(-0.9891271, abs=5e-8)


def test_timestamp_zero_and_repeats_return_value_without_state_change() -> None:
    f = movenet_filter()
    assert f.apply(0.3, 0) == 0.3  # lastTimestamp starts at 0: t = 0 is never filtered
    assert f.last_timestamp == 0
    assert f.apply(0.5, 1000.9) == 0.5  # first accepted sample: passes through (t = 1000)
    assert f.last_timestamp == 1000
    assert f.frequency == 30.0  # not re-estimated: the previous timestamp was 0
    assert f.apply(0.9, 1000) == 0.9  # same timestamp
    assert f.apply(0.9, 500) == 0.9  # backwards
    assert f.last_timestamp == 1000
    # The next accepted sample filters against 0.5 (the ignored ones left no trace).
    g = movenet_filter()
    g.apply(0.5, 1000)
    assert f.apply(0.6, 2000) == g.apply(0.6, 2000)
    assert f.frequency == 1000.0


def test_derivative_uses_raw_previous_value() -> None:
    # Without a threshold and with beta = 0 the cutoff is fixed; the derivative filter only
    # matters through beta, so use beta > 0 and compare with a hand computation.
    f = OneEuroFilter(10.0, 1.0, 2.0, 1.0)
    f.apply(0.0, 100_000)
    y1 = f.apply(1.0, 200_000)
    freq = 1 / (100_000 * 1e-6)
    a_d = 1.0 / (1.0 + freq / (2 * math.pi * 1.0))
    d1 = (1.0 - 0.0) * 1.0 * freq
    ed1 = 0.0 + a_d * (d1 - 0.0)
    a1 = 1.0 / (1.0 + freq / (2 * math.pi * (1.0 + 2.0 * abs(ed1))))
    assert y1 == 0.0 + a1 * (1.0 - 0.0)
    y2 = f.apply(1.0, 300_000)
    d2 = (1.0 - 1.0) * 1.0 * freq  # raw previous value 1.0, not the filtered y1
    ed2 = ed1 + a_d * (d2 - ed1)
    a2 = 1.0 / (1.0 + freq / (2 * math.pi * (1.0 + 2.0 * abs(ed2))))
    assert y2 == y1 + a2 * (1.0 - y1)


def test_threshold_beta_required() -> None:
    with pytest.raises(ValueError):
        OneEuroFilter(30, 1, 1, 1, threshold_cutoff=0.5)


# ---------------------------------------------------------------------------------------------
# KeypointsOneEuroFilter (4.3), vectorized
# ---------------------------------------------------------------------------------------------


def _scalar_reference(config: OneEuroConfig, n: int, d: int) -> list[list[OneEuroFilter]]:
    return [[OneEuroFilter.from_config(config) for _ in range(d)] for _ in range(n)]


CONFIGS = [
    KEYPOINT_FILTER_CONFIG,
    OneEuroConfig(30, 15.5, 20.2, 21.5, 0.02, 0.5),
    OneEuroConfig(30, 1.0, 0.007, 1.0),  # no threshold
    OneEuroConfig(25, 0.5, 1.5, 3.0, 0.1, 2.0, disable_value_scaling=False),
    OneEuroConfig(25, 0.5, 1.5, 3.0, disable_value_scaling=False, min_allowed_object_scale=0.3),
]


@pytest.mark.parametrize("config", CONFIGS)
def test_vectorized_identical_to_scalar(config: OneEuroConfig) -> None:
    rng = np.random.default_rng(7)
    vec = KeypointsOneEuroFilter(config)
    n, d = 17, 2
    scal = _scalar_reference(config, n, d)
    t = 0
    for step in range(80):
        # Mostly increasing timestamps, with repeats, steps back and a zero start.
        r = rng.random()
        if step == 0:
            t = 0
        elif r < 0.1:
            pass
        elif r < 0.15:
            t -= int(rng.integers(1, 5000))
        else:
            t += int(rng.integers(1, 60000))
        ts = t + float(rng.random())  # fractional microseconds are truncated
        object_scale = float(rng.choice([1.0, 0.5, 0.2, 2.0]))
        values = np.cumsum(rng.normal(0, 0.02, (n, d)), axis=0) + rng.normal(0, 0.3, (n, d))
        if rng.random() < 0.1:
            values *= 50.0  # large jumps exercise the asinh clamp
        got = vec.apply(values, ts, object_scale)
        if config.disable_value_scaling:
            scale = 1.0
        elif config.min_allowed_object_scale is not None and object_scale < config.min_allowed_object_scale:
            scale = math.nan  # unfiltered
        else:
            scale = 1.0 / object_scale
        for i in range(n):
            for j in range(d):
                want = values[i, j] if math.isnan(scale) else scal[i][j].apply(values[i, j], ts, scale)
                assert got[i, j] == want, (step, i, j)
        assert got.dtype == np.float64 and got.shape == (n, d)


def test_vectorized_reset_and_shape_change() -> None:
    f = KeypointsOneEuroFilter(KEYPOINT_FILTER_CONFIG)
    a = np.full((17, 2), 0.5)
    b = np.full((17, 2), 0.6)
    assert (f.apply(a, 33333) == a).all()  # first sample passes through
    filtered = f.apply(b, 66666)
    assert (filtered != b).all() and (filtered > 0.5).all()
    f.reset()
    assert (f.apply(b, 99999) == b).all()  # fresh filters
    # A different keypoint count rebuilds the filters: the next sample passes through.
    c = np.full((6, 2), 0.1)
    assert (f.apply(c, 133332) == c).all()
    assert (f.apply(np.full((6, 2), 0.2), 166665) != 0.2).all()


def test_vectorized_does_not_alias_input() -> None:
    f = KeypointsOneEuroFilter(KEYPOINT_FILTER_CONFIG)
    a = np.full((17, 2), 0.5)
    out = f.apply(a, 1000)
    out[:] = 9.0
    assert (a == 0.5).all()
    b = np.full((17, 2), 0.6)
    out2 = f.apply(b, 2000)
    assert (out2 < 0.6).all() and (out2 > 0.5).all()
