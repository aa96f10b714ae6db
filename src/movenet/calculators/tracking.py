"""Pose trackers: give each detected person an id that persists across frames
(``pose-detection/src/calculators/{tracker,bounding_box_tracker,keypoint_tracker}.ts``).

Two similarity measures are offered, as in the reference:

* :class:`BoundingBoxTracker` (the default for MoveNet MultiPose): intersection over union of the
  detection boxes (5.3);
* :class:`KeypointTracker`: object keypoint similarity (OKS) of the keypoints (5.4).

Both share the greedy algorithm of :class:`Tracker` (5.2): drop tracks older than ``max_age``,
compute the similarity of every detection to every track, link each detection (in the given
order) to the most similar still-unlinked track whose similarity is at least
``min_similarity``, start a new track (new id) for every detection left over, and keep the
``max_tracks`` most recently updated tracks.

The trackers know nothing about detectors or images: a detection is a :class:`Detection`, i.e.
a (K, 3) array of keypoints ``(x, y, score)`` normalized to [0, 1] plus, for the bounding-box
tracker, a box ``(y_min, x_min, y_max, x_max, width, height)``. All arithmetic is float64 in the
reference's order of operations, so ids match the reference.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from movenet.calculators.filters import MILLISECOND_TO_MICRO_SECONDS
from movenet.skeletons import COCO_17, Skeleton

__all__ = [
    "COCO_KEYPOINT_FALLOFF",
    "TRACKER_TYPES",
    "BoundingBoxTracker",
    "Detection",
    "KeypointTracker",
    "KeypointTrackerParams",
    "Track",
    "Tracker",
    "TrackerConfig",
    "create_tracker",
    "default_tracker_config",
    "normalize_tracker_type",
    "resolve_tracker_config",
    "validate_tracker_config",
]

#: Per-keypoint OKS falloff (the COCO keypoint-evaluation sigmas), in COCO keypoint order.
COCO_KEYPOINT_FALLOFF: tuple[float, ...] = COCO_17.oks_sigmas or ()

#: Tracker type names, as in the reference's ``TrackerType`` enum.
TRACKER_TYPES: tuple[str, ...] = ("boundingBox", "keypoint")



# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeypointTrackerParams:
    """Parameters of the OKS similarity (``keypointTrackerParams`` of the reference)."""

    #: Keypoints scoring below this are ignored by the OKS (and the track's area uses the
    #: keypoints scoring strictly above it).
    keypoint_confidence_threshold: float = 0.3
    #: Per-keypoint falloff (one per keypoint, all > 0).
    keypoint_falloff: tuple[float, ...] = COCO_KEYPOINT_FALLOFF
    #: The OKS is 0 when fewer keypoints than this are valid in both poses.
    min_number_of_keypoints: int = 4


@dataclass(frozen=True)
class TrackerConfig:
    """Tracker configuration (``TrackerConfig`` of the reference).

    The field defaults are the bounding-box tracker's. Use :func:`default_tracker_config` for
    MoveNet's defaults of either type and :func:`dataclasses.replace` to change some fields. A
    ``TrackerConfig`` given to a detector is used whole (for a keypoint tracker, missing
    ``keypoint_tracker_params`` mean the defaults); a mapping is merged field by field onto the
    type's defaults instead, as the reference merges a user's ``trackerConfig``.
    """

    #: Most tracks kept (the most recently updated ones).
    max_tracks: int = 18
    #: A track not updated for longer than this (milliseconds) is dropped.
    max_age: float = 1000
    #: Least similarity (IoU or OKS) for a detection to continue a track.
    min_similarity: float = 0.15
    #: OKS parameters; required by (and only used by) the keypoint tracker.
    keypoint_tracker_params: KeypointTrackerParams | None = None


#: MoveNet's defaults per tracker type (``pose-detection/src/movenet/constants.ts``).
_DEFAULTS: dict[str, TrackerConfig] = {
    "boundingBox": TrackerConfig(max_tracks=18, max_age=1000, min_similarity=0.15),
    "keypoint": TrackerConfig(max_tracks=18, max_age=1000, min_similarity=0.2,
                              keypoint_tracker_params=KeypointTrackerParams()),
}

_TYPE_ALIASES = {
    "boundingbox": "boundingBox", "bounding_box": "boundingBox", "bounding-box": "boundingBox",
    "box": "boundingBox", "bbox": "boundingBox", "iou": "boundingBox",
    "keypoint": "keypoint", "keypoints": "keypoint", "oks": "keypoint",
}  # fmt: skip


def normalize_tracker_type(tracker_type: str) -> str:
    """'boundingBox' or 'keypoint' from a tracker type name (case-insensitive; 'bounding_box',
    'box', 'bbox', 'iou', 'keypoints' and 'oks' are accepted too)."""
    name = _TYPE_ALIASES.get(str(tracker_type).strip().lower())
    if name is None:
        raise ValueError(
            f"Tracker type not supported by MoveNet: {tracker_type!r} (use 'boundingBox' or 'keypoint')"
        )
    return name


def default_tracker_config(tracker_type: str = "boundingBox", skeleton: Skeleton = COCO_17) -> TrackerConfig:
    """MoveNet's default configuration for a tracker type: 18 tracks, 1000 ms, and a minimum
    similarity of 0.15 (IoU, 'boundingBox') or 0.2 (OKS, 'keypoint', with threshold 0.3, at
    least 4 keypoints and the falloffs of `skeleton`: its OKS sigmas)."""
    base = _DEFAULTS[normalize_tracker_type(tracker_type)]
    if base.keypoint_tracker_params is None or skeleton == COCO_17:
        return base
    if skeleton.oks_sigmas is None:
        raise ValueError(f"the keypoint tracker needs OKS sigmas, which the {skeleton.name} skeleton does not define")
    return replace(base, keypoint_tracker_params=replace(base.keypoint_tracker_params,
                                                         keypoint_falloff=skeleton.oks_sigmas))


_FIELD_NAMES = {
    "max_tracks": "max_tracks", "maxTracks": "max_tracks",
    "max_age": "max_age", "maxAge": "max_age",
    "min_similarity": "min_similarity", "minSimilarity": "min_similarity",
    "keypoint_tracker_params": "keypoint_tracker_params",
    "keypointTrackerParams": "keypoint_tracker_params",
    "bounding_box_tracker_params": None, "boundingBoxTrackerParams": None, "trackerParams": None,
}  # fmt: skip
_PARAM_NAMES = {
    "keypoint_confidence_threshold": "keypoint_confidence_threshold",
    "keypointConfidenceThreshold": "keypoint_confidence_threshold",
    "keypoint_falloff": "keypoint_falloff", "keypointFalloff": "keypoint_falloff",
    "min_number_of_keypoints": "min_number_of_keypoints",
    "minNumberOfKeypoints": "min_number_of_keypoints",
}  # fmt: skip


def _as_mapping(obj: Any, names: Mapping[str, str | None], what: str) -> dict[str, Any]:
    """User fields (snake_case or the reference's camelCase) to our names; None values are unset."""
    if isinstance(obj, (TrackerConfig, KeypointTrackerParams)):
        items = dict(vars(obj))
    elif isinstance(obj, Mapping):
        items = dict(obj)
    else:
        raise TypeError(f"{what} must be a {'TrackerConfig' if what == 'tracker_config' else 'mapping'}"
                        f" or a mapping, not {type(obj).__name__}")
    out: dict[str, Any] = {}
    for key, value in items.items():
        if key not in names:
            raise ValueError(f"unknown {what} field {key!r}; expected one of {', '.join(sorted(names))}")
        name = names[key]
        if name is not None and value is not None:
            out[name] = value
    return out


def resolve_tracker_config(tracker_type: str = "boundingBox",
                           user: TrackerConfig | Mapping[str, Any] | None = None,
                           skeleton: Skeleton = COCO_17) -> TrackerConfig:
    """The configuration a MoveNet tracker of `tracker_type` uses, given the user's `user`.

    As the reference's ``merge*TrackerConfig``: each of ``max_tracks``, ``max_age`` and
    ``min_similarity`` comes from `user` when it is set (not None), else from the type's
    default; for the keypoint tracker each field of ``keypoint_tracker_params`` likewise. A
    bounding-box configuration keeps no keypoint parameters. `user` may be a
    :class:`TrackerConfig` or a mapping with snake_case or camelCase keys (``maxTracks``, ...).
    """
    kind = normalize_tracker_type(tracker_type)
    base = default_tracker_config(kind, skeleton)
    if user is None:
        return base
    fields = _as_mapping(user, _FIELD_NAMES, "tracker_config")
    params_in = fields.pop("keypoint_tracker_params", None)
    merged = replace(base, **fields)
    if kind == "keypoint":
        params = base.keypoint_tracker_params or KeypointTrackerParams()
        if params_in is not None:
            params = replace(params, **_as_mapping(params_in, _PARAM_NAMES, "keypoint_tracker_params"))
        merged = replace(merged, keypoint_tracker_params=params)
    else:
        merged = replace(merged, keypoint_tracker_params=None)
    return merged


def _js(value: Any) -> str:
    """A number as JavaScript prints it in a template string (1.0 -> '1', 0.1 -> '0.1')."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def validate_tracker_config(config: TrackerConfig) -> None:
    """Raise ValueError as the reference's ``validateTrackerConfig`` does (same messages, with
    the reference's typo "parameterto" fixed)."""
    if config.max_tracks < 1:
        raise ValueError(f"Must specify 'maxTracks' to be at least 1, but encountered {_js(config.max_tracks)}")
    if config.max_age <= 0:
        raise ValueError(f"Must specify 'maxAge' to be positive, but encountered {_js(config.max_age)}")
    params = config.keypoint_tracker_params
    if params is not None:
        thr = params.keypoint_confidence_threshold
        if thr < 0 or thr > 1:
            raise ValueError(
                f"Must specify 'keypointConfidenceThreshold' to be in the range [0, 1], but encountered {_js(thr)}"
            )
        if params.min_number_of_keypoints < 1:
            raise ValueError(
                "Must specify 'minNumberOfKeypoints' to be at least 1, but encountered "
                f"{_js(params.min_number_of_keypoints)}"
            )
        for falloff in params.keypoint_falloff:
            if falloff <= 0.0:
                raise ValueError(
                    f"Must specify each keypoint falloff parameter to be positive but encountered {_js(falloff)}"
                )


# --------------------------------------------------------------------------------------------
# Detections and tracks
# --------------------------------------------------------------------------------------------


def _keypoints_array(keypoints: Any) -> np.ndarray:
    arr = np.array(keypoints, dtype=np.float64)
    if arr.size == 0:
        arr = arr.reshape(0, 3)
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise ValueError(f"keypoints must be a (K, 3) array of x, y, score; got shape {arr.shape}")
    return arr


def _box_array(box: Any) -> np.ndarray | None:
    if box is None:
        return None
    arr = np.array(box, dtype=np.float64).reshape(-1)
    if arr.shape == (4,):
        y_min, x_min, y_max, x_max = arr
        arr = np.array([y_min, x_min, y_max, x_max, x_max - x_min, y_max - y_min])
    if arr.shape != (6,):
        raise ValueError("box must be (y_min, x_min, y_max, x_max[, width, height])")
    return arr


@dataclass(frozen=True, eq=False)
class Detection:
    """One detected person as the trackers see it.

    keypoints: (K, 3) float64 ``x, y, score``, normalized to the image.
    box: ``(y_min, x_min, y_max, x_max, width, height)`` float64 or None. The IoU uses the
        stored width and height, not ones recomputed from the corners (as the reference).
    """

    keypoints: np.ndarray
    box: np.ndarray | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "keypoints", _keypoints_array(self.keypoints))
        object.__setattr__(self, "box", _box_array(self.box))

    @classmethod
    def from_box(cls, y_min: float, x_min: float, y_max: float, x_max: float, width: float | None = None,
                 height: float | None = None, keypoints: Any = ()) -> Detection:
        """A detection from box corners (width and height default to ``x_max - x_min`` and
        ``y_max - y_min``)."""
        w = x_max - x_min if width is None else width
        h = y_max - y_min if height is None else height
        return cls(keypoints=keypoints, box=np.array([y_min, x_min, y_max, x_max, w, h], dtype=np.float64))


@dataclass(eq=False)
class Track:
    """A tracked person: its id, when it was last seen (µs; NaN for a frame without timestamp)
    and copies of the keypoints and box of its last detection."""

    id: int
    last_timestamp: float
    keypoints: np.ndarray
    box: np.ndarray | None = field(default=None)


# --------------------------------------------------------------------------------------------
# Similarities, vectorized over (detections, tracks)
# --------------------------------------------------------------------------------------------


def iou_matrix(pose_boxes: np.ndarray, track_boxes: np.ndarray) -> np.ndarray:
    """IoU of every pose box against every track box: (N, 6) x (T, 6) -> (N, T) (``bounding_box_tracker.ts``).

    Boxes are ``(y_min, x_min, y_max, x_max, width, height)``; areas use the stored width and
    height. No overlap (``x_min >= x_max`` or ``y_min >= y_max`` of the intersection) gives 0.
    """
    p = pose_boxes[:, None, :]
    t = track_boxes[None, :, :]
    x_min = np.maximum(p[..., 1], t[..., 1])
    y_min = np.maximum(p[..., 0], t[..., 0])
    x_max = np.minimum(p[..., 3], t[..., 3])
    y_max = np.minimum(p[..., 2], t[..., 2])
    overlap = ~((x_min >= x_max) | (y_min >= y_max))
    intersection = (x_max - x_min) * (y_max - y_min)
    area_pose = p[..., 4] * p[..., 5]
    area_track = t[..., 4] * t[..., 5]
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = intersection / (area_pose + area_track - intersection)
    return np.where(overlap, iou, 0.0)


def keypoints_area(keypoints: np.ndarray, threshold: float) -> np.ndarray:
    """Area of the box around the keypoints scoring strictly above `threshold`, per pose:
    (..., K, 3) -> (...). As the reference's ``Math.min(1.0, ...xs)`` / ``Math.max(0.0, ...xs)``,
    the minimum starts from 1 and the maximum from 0, so with no such keypoint the area is
    (0 - 1) * (0 - 1) = 1."""
    valid = keypoints[..., 2] > threshold
    xs = keypoints[..., 0]
    ys = keypoints[..., 1]
    min_x = np.minimum(1.0, np.where(valid, xs, np.inf).min(axis=-1, initial=np.inf))
    max_x = np.maximum(0.0, np.where(valid, xs, -np.inf).max(axis=-1, initial=-np.inf))
    min_y = np.minimum(1.0, np.where(valid, ys, np.inf).min(axis=-1, initial=np.inf))
    max_y = np.maximum(0.0, np.where(valid, ys, -np.inf).max(axis=-1, initial=-np.inf))
    return (max_x - min_x) * (max_y - min_y)


def oks_matrix(pose_keypoints: np.ndarray, track_keypoints: np.ndarray, params: KeypointTrackerParams) -> np.ndarray:
    """OKS of every pose against every track: (N, K, 3) x (T, K, 3) -> (N, T) (``keypoint_tracker.ts``).

    The scale is the area of the *track's* confident keypoints (+1e-6). Keypoint i counts when
    neither score is below the threshold (a score equal to it counts, unlike for the area).
    Fewer than ``min_number_of_keypoints`` valid keypoints give 0, else the mean of
    ``exp(-d^2 / (2 * area * (2 * falloff_i)^2))``.
    """
    num_kp = pose_keypoints.shape[-2]
    if track_keypoints.shape[-2] != num_kp:
        raise ValueError(f"poses have {num_kp} keypoints but tracks have {track_keypoints.shape[-2]}")
    falloff = np.asarray(params.keypoint_falloff, dtype=np.float64)
    if falloff.shape[0] < num_kp:
        raise ValueError(f"keypoint_falloff has {falloff.shape[0]} values for {num_kp} keypoints")
    falloff = falloff[:num_kp]
    thr = params.keypoint_confidence_threshold
    box_area = keypoints_area(track_keypoints, thr) + 1e-6  # (T,)
    p = pose_keypoints[:, None, :, :]
    t = track_keypoints[None, :, :, :]
    valid = ~((p[..., 2] < thr) | (t[..., 2] < thr))  # (N, T, K); NaN scores count, as in JS
    dx = p[..., 0] - t[..., 0]
    dy = p[..., 1] - t[..., 1]
    d_squared = dx * dx + dy * dy
    x = 2 * falloff
    denominator = (2 * box_area)[:, None] * (x * x)[None, :]  # (T, K)
    contribution = np.where(valid, np.exp(-1 * d_squared / denominator[None, :, :]), 0.0)
    # The reference sums sequentially; cumsum is sequential too (np.sum is pairwise).
    total = np.cumsum(contribution, axis=-1)[..., -1] if num_kp else np.zeros(valid.shape[:2])
    count = valid.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        oks = total / count
    return np.where(count < params.min_number_of_keypoints, 0.0, oks)


# --------------------------------------------------------------------------------------------
# Trackers
# --------------------------------------------------------------------------------------------


class Tracker:
    """The reference's base tracker (``calculators/tracker.ts``). Subclasses define :meth:`compute_similarity`.

    ``apply(detections, timestamp_us)`` returns the id of each detection. Ids start at 1 and
    are never reused, not even after :meth:`reset`.
    """

    def __init__(self, config: TrackerConfig) -> None:
        validate_tracker_config(config)
        self.config = config
        self.max_tracks = int(config.max_tracks)
        self.max_age_us = config.max_age * MILLISECOND_TO_MICRO_SECONDS  # the reference's ``maxAge * 1000``
        self.min_similarity = config.min_similarity
        self._tracks: list[Track] = []
        self._next_id = 1

    # -- the algorithm -------------------------------------------------------------------------

    def apply(self, poses: Sequence[Detection], timestamp_us: float | None) -> list[int]:
        """Link `poses` (in confidence order) to tracks at time `timestamp_us` (microseconds)
        and return their ids.

        `timestamp_us` None behaves as the reference's undefined timestamp: every stored track
        is too old (NaN age), so every pose starts a new track with a new id.
        """
        t = math.nan if timestamp_us is None else float(timestamp_us)
        self._filter_old_tracks(t)
        similarity = self.compute_similarity(poses)
        ids = self._assign_tracks(poses, similarity, t)
        self._update_tracks()
        return ids

    def _filter_old_tracks(self, t: float) -> None:
        # ``t - last <= maxAge``: equality keeps the track, NaN drops it.
        self._tracks = [tr for tr in self._tracks if t - tr.last_timestamp <= self.max_age_us]

    def _assign_tracks(self, poses: Sequence[Detection], similarity: np.ndarray, t: float) -> list[int]:
        num_tracks = similarity.shape[1] if similarity.ndim == 2 and len(poses) else 0
        unmatched = np.ones(num_tracks, dtype=bool)
        ids: list[int] = [0] * len(poses)
        unmatched_poses: list[int] = []
        for i, pose in enumerate(poses):
            if not unmatched.any():
                unmatched_poses.append(i)
                continue
            row = similarity[i]
            # Greatest similarity >= min_similarity among the unmatched tracks, first one on
            # ties (the reference's strict ``>`` from an initial maximum of -1).
            ok = unmatched & (row >= self.min_similarity) & (row > -1)
            if not ok.any():
                unmatched_poses.append(i)
                continue
            best = int(np.argmax(np.where(ok, row, -np.inf)))
            track = self._tracks[best]
            track.last_timestamp = t
            track.keypoints = pose.keypoints.copy()
            if pose.box is not None:  # Object.assign keeps the old box when the pose has none
                track.box = pose.box.copy()
            ids[i] = track.id
            unmatched[best] = False
        for i in unmatched_poses:
            track = self._create_track(poses[i], t)
            self._tracks.append(track)
            ids[i] = track.id
        return ids

    def _create_track(self, pose: Detection, t: float) -> Track:
        track = Track(id=self._next_id, last_timestamp=t, keypoints=pose.keypoints.copy(),
                      box=None if pose.box is None else pose.box.copy())
        self._next_id += 1
        return track

    def _update_tracks(self) -> None:
        # Stable sort, most recent first (NaN timestamps never mix with numbers: a NaN frame
        # drops every track and a numbered frame drops every NaN track, and Python's sort keeps
        # the order of NaN keys, like V8 with a NaN comparator result).
        self._tracks.sort(key=lambda tr: -tr.last_timestamp)
        del self._tracks[self.max_tracks:]

    def compute_similarity(self, poses: Sequence[Detection]) -> np.ndarray:
        """(len(poses), len(tracks)) similarities; shape (·, 0) or (0, ·) when either is empty."""
        raise NotImplementedError

    # -- state ---------------------------------------------------------------------------------

    def get_tracks(self) -> list[Track]:
        """The stored tracks, most recently updated first (a new list; the tracks themselves
        are shared)."""
        return list(self._tracks)

    def get_track_ids(self) -> set[int]:
        return {tr.id for tr in self._tracks}

    def reset(self) -> None:
        """Forget all tracks. Ids keep counting (as the reference): an id is never reused."""
        self._tracks = []

    @property
    def next_id(self) -> int:
        """The id the next new track will get."""
        return self._next_id


class BoundingBoxTracker(Tracker):
    """Tracker whose similarity is the IoU of the detection boxes (``bounding_box_tracker.ts``)."""

    def compute_similarity(self, poses: Sequence[Detection]) -> np.ndarray:
        if not poses or not self._tracks:
            return np.zeros((len(poses), 0))
        for pose in poses:
            if pose.box is None:
                raise ValueError("the bounding-box tracker needs a box for every detection")
        pose_boxes = np.stack([p.box for p in poses if p.box is not None])
        track_boxes = np.stack([_track_box(tr) for tr in self._tracks])
        return iou_matrix(pose_boxes, track_boxes)

    def iou(self, pose: Detection, track: Track | Detection) -> float:
        """IoU of one detection and one track (the reference's ``iou``)."""
        if pose.box is None or track.box is None:
            raise ValueError("both need a box")
        return float(iou_matrix(pose.box[None], track.box[None])[0, 0])


def _track_box(track: Track) -> np.ndarray:
    if track.box is None:
        raise ValueError(f"track {track.id} has no box")
    return track.box


class KeypointTracker(Tracker):
    """Tracker whose similarity is the object keypoint similarity, OKS (``keypoint_tracker.ts``)."""

    def __init__(self, config: TrackerConfig) -> None:
        if config.keypoint_tracker_params is None:
            config = replace(config, keypoint_tracker_params=KeypointTrackerParams())
        super().__init__(config)
        assert config.keypoint_tracker_params is not None
        self.params: KeypointTrackerParams = config.keypoint_tracker_params

    def compute_similarity(self, poses: Sequence[Detection]) -> np.ndarray:
        if not poses or not self._tracks:
            return np.zeros((len(poses), 0))
        pose_kp = np.stack([p.keypoints for p in poses])
        track_kp = np.stack([tr.keypoints for tr in self._tracks])
        return oks_matrix(pose_kp, track_kp, self.params)

    def oks(self, pose: Detection, track: Track | Detection) -> float:
        """OKS of one detection against one track (the reference's ``oks``)."""
        return float(oks_matrix(pose.keypoints[None], track.keypoints[None], self.params)[0, 0])

    def area(self, keypoints: Any) -> float:
        """Area of the box around the keypoints scoring above the threshold (the reference's
        ``area``)."""
        return float(keypoints_area(_keypoints_array(keypoints), self.params.keypoint_confidence_threshold))


def create_tracker(tracker_type: str = "boundingBox",
                   config: TrackerConfig | Mapping[str, Any] | None = None,
                   skeleton: Skeleton = COCO_17) -> Tracker:
    """A tracker of `tracker_type` ('boundingBox' or 'keypoint') with MoveNet's defaults (OKS
    falloffs from `skeleton`) merged with `config` (see :func:`resolve_tracker_config`)."""
    kind = normalize_tracker_type(tracker_type)
    resolved = resolve_tracker_config(kind, config, skeleton)
    if kind == "keypoint":
        return KeypointTracker(resolved)
    return BoundingBoxTracker(resolved)
