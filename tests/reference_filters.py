"""A scalar port of the reference's one-euro filter (``shared/filters/one_euro_filter.ts``), one
value stream: the twin the vectorized :class:`movenet.calculators.filters.KeypointsOneEuroFilter`
is checked against (test-only; the package runs the vectorized filter)."""

from __future__ import annotations

import math

from movenet.calculators.filters import MICRO_SECONDS_TO_SECOND, LowPassFilter, OneEuroConfig

_TWO_PI = 2 * math.pi  # the reference computes ``2 * Math.PI * cutoff`` left to right


class OneEuroFilter:
    """The one-euro filter of the reference (``one_euro_filter.ts``), one scalar value stream."""

    def __init__(
        self,
        frequency: float,
        min_cutoff: float,
        beta: float,
        derivate_cutoff: float,
        threshold_cutoff: float | None = None,
        threshold_beta: float | None = None,
    ) -> None:
        if threshold_cutoff is not None and threshold_beta is None:
            # The reference would compute NaN thresholds here.
            raise ValueError("threshold_beta is required when threshold_cutoff is set")
        self.frequency = float(frequency)
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.derivate_cutoff = derivate_cutoff
        self.threshold_cutoff = threshold_cutoff
        self.threshold_beta = threshold_beta
        self._x = LowPassFilter(self._get_alpha(min_cutoff))
        self._dx = LowPassFilter(self._get_alpha(derivate_cutoff))
        self.last_timestamp = 0

    @classmethod
    def from_config(cls, config: OneEuroConfig) -> OneEuroFilter:
        return cls(
            config.frequency,
            config.min_cutoff,
            config.beta,
            config.derivate_cutoff,
            config.threshold_cutoff,
            config.threshold_beta,
        )

    def _get_alpha(self, cutoff: float) -> float:
        return 1.0 / (1.0 + (self.frequency / (_TWO_PI * cutoff)))

    def alpha(self, cutoff: float) -> float:
        """``1 / (1 + frequency / (2π·cutoff))`` with the current frequency."""
        return self._get_alpha(cutoff)

    def apply(self, value: float, timestamp_us: float, value_scale: float = 1.0) -> float:
        """Filter ``value`` taken at ``timestamp_us`` (truncated to an integer). A timestamp not
        after the previous accepted one returns ``value`` unchanged with no state update."""
        t = math.trunc(timestamp_us)
        if self.last_timestamp >= t:
            return value
        if self.last_timestamp != 0 and t != 0:
            self.frequency = 1 / ((t - self.last_timestamp) * MICRO_SECONDS_TO_SECOND)
        self.last_timestamp = t

        if self._x.has_last_raw_value():
            d_value = (value - self._x.last_raw_value()) * value_scale * self.frequency
        else:
            d_value = 0.0
        ed_value = self._dx.apply_with_alpha(d_value, self._get_alpha(self.derivate_cutoff))
        cutoff = self.min_cutoff + self.beta * abs(ed_value)
        threshold: float | None = None
        if self.threshold_cutoff is not None:
            assert self.threshold_beta is not None
            threshold = self.threshold_cutoff + self.threshold_beta * abs(ed_value)
        return self._x.apply_with_alpha(value, self._get_alpha(cutoff), threshold)
