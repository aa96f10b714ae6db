"""`estimate_poses` validates `timestamp_ms` up front (issue 17, item 7): NaN, infinities, huge or
non-numeric values are refused with a message naming `timestamp_ms`, whether or not a pose is
found, and the detector's state is left as it was. `estimate_poses(None)` is the reference's
reset call (reference-spec 2.6 step 1): it resets and returns []."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from PIL import Image

from movenet.cli.common import example_image

from conftest import detector_on

BAD = [math.nan, math.inf, -math.inf, 1e300, -1e300, 10 ** 400, "12", b"12", [1.0], True, np.float64("nan"),
       complex(1, 0)]
GOOD = [0, 12, 12.5, np.float32(40.0), np.int64(80), 1.7e12]


@pytest.fixture(scope="module")
def person() -> np.ndarray:
    return np.asarray(Image.open(example_image()).convert("RGB"))


@pytest.mark.parametrize("model", ["lightning", "multipose", "blazepose-lite", "posenet"])
@pytest.mark.parametrize("bad", BAD, ids=[repr(b)[:12] for b in BAD])
def test_bad_timestamp_is_refused_up_front_naming_it(model: str, bad: Any, person: np.ndarray) -> None:
    detector = detector_on(model)
    assert len(detector.estimate_poses(person, 0)) == 1
    crop = getattr(detector, "crop_region", None)
    for image in (np.zeros((64, 64, 3), np.uint8), person):  # no pose found / a pose found
        with pytest.raises((TypeError, ValueError), match="timestamp_ms"):
            detector.estimate_poses(image, bad)
    assert getattr(detector, "crop_region", None) == crop  # nothing was done


@pytest.mark.parametrize("model", ["lightning", "multipose"])
def test_good_timestamps_and_none_as_the_reset_call(model: str, person: np.ndarray) -> None:
    detector = detector_on(model)
    for t in GOOD:
        assert len(detector.estimate_poses(person, t)) == 1
    assert detector.estimate_poses(None) == []  # the reference's reset call: state forgotten
    if model == "lightning":
        assert detector.crop_region is None  # type: ignore[attr-defined]
    else:
        assert detector.tracker.get_tracks() == []  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="timestamp_ms"):
        detector.estimate_poses(None, math.nan)
