"""Joint angles from 2D keypoints, in degrees.

Each angle is measured in the image plane at a joint ``b`` between the segments to ``a`` and ``c``
(``0`` = folded shut, ``180`` = straight). Only keypoints scoring at least `min_score` (and with
finite coordinates) are used: an angle whose three keypoints are not all confident is ``NaN``,
never a guess.

=================  ==============================  ==================================================
angle              keypoints (a - b - c)           meaning
=================  ==============================  ==================================================
``left_knee``      hip - knee - ankle              180 = straight leg, ~90 = thigh and shin square
``left_hip``       shoulder - hip - knee           180 = standing straight, ~90 = sitting
``left_elbow``     shoulder - elbow - wrist        180 = straight arm
``left_shoulder``  hip - shoulder - elbow          ~0-20 = arm down by the side, 90 = out, 180 = overhead
``trunk_lean``     mid-hip -> mid-shoulder         0 = upright, 90 = horizontal (vs. image vertical)
=================  ==============================  ==================================================

(and ``right_*`` likewise). ``knee``, ``hip``, ``elbow`` and ``shoulder`` are the mean of the left
and right angles where both are known, else the one that is. Angles are 2D: a limb bending
towards or away from the camera looks straighter than it is.

**3D angles** (:func:`joint_angles_3d`): the same angles from the poses' 3D keypoints
(``Pose.keypoints_3d``, metres, BlazePose), measured in space, so they do not depend on where the
camera stands; ``trunk_lean`` is then the mid-hip -> mid-shoulder line against the model's
vertical (its y axis, pointing down as in the image). Models without 3D keypoints have none.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from movenet.skeletons import COCO_17, Skeleton
from movenet.types import Keypoint, Pose

__all__ = [
    "ANGLE_NAMES",
    "JOINTS",
    "PosesInput",
    "FramePoses",
    "angle_between",
    "angle_between_3d",
    "angles_from_keypoints",
    "angles_from_keypoints_3d",
    "joint_angles",
    "joint_angles_3d",
    "keypoint_array",
    "keypoint_array_3d",
    "pose_angles",
    "select_pose",
    "stack_signal",
    "tilt_from_vertical",
]

#: The angles measured at one joint: name -> (a, b, c) keypoint names, the angle being at b.
JOINTS: dict[str, tuple[str, str, str]] = {
    f"{side}_{joint}": (f"{side}_{a}", f"{side}_{b}", f"{side}_{c}")
    for joint, (a, b, c) in {
        "knee": ("hip", "knee", "ankle"),
        "hip": ("shoulder", "hip", "knee"),
        "elbow": ("shoulder", "elbow", "wrist"),
        "shoulder": ("hip", "shoulder", "elbow"),
    }.items()
    for side in ("left", "right")
}

#: Left/right means.
_COMBINED = ("knee", "hip", "elbow", "shoulder")

#: Every key of :func:`joint_angles`' result, in display order.
ANGLE_NAMES: tuple[str, ...] = (
    *(name for joint in _COMBINED for name in (f"left_{joint}", f"right_{joint}", joint)),
    "trunk_lean",
)

#: One frame's detector output (a list of poses, one pose, or nothing).
FramePoses = Sequence[Pose] | Pose | None
PosesInput = Sequence[FramePoses]


def angle_between(a: npt.ArrayLike, b: npt.ArrayLike, c: npt.ArrayLike) -> np.ndarray:
    """The angle at `b` between ``b -> a`` and ``b -> c``, in degrees (0 to 180).

    `a`, `b`, `c` are ``(..., 2)`` arrays of x, y (in the image) or ``(..., 3)`` of x, y, z (in
    space); the result has shape ``(...)``. It is ``NaN`` where a point is ``NaN`` or a segment
    has zero length."""
    pa, pb, pc = (np.asarray(p, dtype=np.float64) for p in (a, b, c))
    u = pa - pb
    v = pc - pb
    if u.shape[-1] == 2:  # the cross product of the plane vectors with z = 0: only its z is not 0
        cross = np.abs(u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0])
    else:
        cross = np.linalg.norm(np.cross(u, v), axis=-1)
    with np.errstate(invalid="ignore"):
        out = np.degrees(np.arctan2(cross, (u * v).sum(axis=-1)))  # exact at 0 and 180, unlike arccos
        degenerate = (np.linalg.norm(u, axis=-1) == 0) | (np.linalg.norm(v, axis=-1) == 0)
    return np.where(degenerate, np.nan, out)


#: The former name of :func:`angle_between` on 3D points (it takes both).
angle_between_3d = angle_between


def tilt_from_vertical(top: npt.ArrayLike, bottom: npt.ArrayLike) -> np.ndarray:
    """The angle between the segment ``bottom -> top`` and the image's upward vertical, in degrees:
    0 = `top` straight above `bottom`, 90 = level, 180 = straight below. ``NaN`` where a point is
    ``NaN`` or the points coincide. Image y grows downwards."""
    d = np.asarray(top, dtype=np.float64) - np.asarray(bottom, dtype=np.float64)
    up = -d[..., 1]
    with np.errstate(invalid="ignore"):
        out = np.degrees(np.arctan2(np.abs(d[..., 0]), up))
    return np.where((d[..., 0] == 0) & (d[..., 1] == 0), np.nan, out)


def select_pose(frame: FramePoses) -> Pose | None:
    """The pose analysed in one frame: `frame` itself if it is a :class:`Pose`, else the
    highest-scoring pose of the list (the single-pose models return at most one), else ``None``."""
    if frame is None or isinstance(frame, Pose):
        return frame
    if len(frame) == 0:
        return None
    return max(frame, key=lambda p: p.score)


def poses_skeleton(poses_per_frame: PosesInput) -> Skeleton:
    """The skeleton of the analysed poses (COCO_17 when there is none); ValueError if they mix skeletons."""
    skeletons = {pose.skeleton for pose in map(select_pose, poses_per_frame) if pose is not None}
    if len(skeletons) > 1:
        raise ValueError(f"poses of different skeletons: {', '.join(sorted(s.name for s in skeletons))}")
    return skeletons.pop() if skeletons else COCO_17


def keypoint_array(poses_per_frame: PosesInput, min_score: float = 0.3) -> np.ndarray:
    """An ``(N, K, 2)`` array of keypoint x, y per frame (K keypoints of the poses' skeleton, 17
    for COCO), ``NaN`` where the frame has no pose, the keypoint scores below `min_score`, or its
    coordinates are not finite."""
    return _keypoint_table([select_pose(f) for f in poses_per_frame], min_score, lambda pose: pose.keypoints, 2)


def keypoint_array_3d(poses_per_frame: PosesInput, min_score: float = 0.3) -> np.ndarray | None:
    """An ``(N, K, 3)`` array of the 3D keypoints (x, y, z, metres) per frame, ``NaN`` where the
    frame has no pose, the keypoint scores below `min_score` or is not finite; None when no pose
    has 3D keypoints (a model without them)."""
    poses = [select_pose(f) for f in poses_per_frame]
    if not any(p is not None and p.keypoints_3d is not None for p in poses):
        return None
    return _keypoint_table(poses, min_score, lambda pose: pose.keypoints_3d or (), 3)


def _keypoint_table(poses: Sequence[Pose | None], min_score: float,
                    keypoints: Callable[[Pose], Sequence[Keypoint]], dims: int) -> np.ndarray:
    """The (N, K, dims) table of each frame's selected pose (None: no pose)."""
    count = poses_skeleton(poses).num_keypoints
    out = np.full((len(poses), count, dims), np.nan)
    for i, pose in enumerate(poses):
        if pose is None:
            continue
        for k, kp in enumerate(keypoints(pose)[:count]):
            values = (kp.x, kp.y) if dims == 2 else (kp.x, kp.y, math.nan if kp.z is None else kp.z)
            if kp.score >= min_score and all(map(math.isfinite, values)):
                out[i, k] = values
    return out


def _midpoint(xy: np.ndarray, left: str, right: str, skeleton: Skeleton = COCO_17) -> np.ndarray:
    """Mean of two keypoints; NaN unless both are known (one side alone is not the middle)."""
    return (xy[:, skeleton.index_of(left)] + xy[:, skeleton.index_of(right)]) / 2.0


def angles_from_keypoints(xy: np.ndarray, skeleton: Skeleton = COCO_17) -> dict[str, np.ndarray]:
    """All angles of :data:`ANGLE_NAMES` from an ``(N, K, 2)`` keypoint array of `skeleton`
    (``NaN`` = unknown); the joints are found by name."""
    return _angles(xy, skeleton, 2)


def angles_from_keypoints_3d(xyz: np.ndarray, skeleton: Skeleton) -> dict[str, np.ndarray]:
    """All angles of :data:`ANGLE_NAMES` from an ``(N, K, 3)`` 3D keypoint array of `skeleton`
    (see the module docstring, "3D angles")."""
    return _angles(xyz, skeleton, 3)


def _angles(points: np.ndarray, skeleton: Skeleton, dims: int) -> dict[str, np.ndarray]:
    """Each joint's angle on both sides and the two combined (joints found by name in `skeleton`),
    and the trunk's lean: against the image's vertical in 2D, the model's (y points down) in 3D."""
    points = np.asarray(points, dtype=np.float64)
    count = skeleton.num_keypoints
    if points.ndim != 3 or points.shape[1:] != (count, dims):
        raise ValueError(f"expected an (N, {count}, {dims}) keypoint array, got shape {points.shape}")
    out: dict[str, np.ndarray] = {}
    for joint in _COMBINED:
        for side in ("left", "right"):
            a, b, c = (points[:, skeleton.index_of(n)] for n in JOINTS[f"{side}_{joint}"])
            out[f"{side}_{joint}"] = angle_between(a, b, c)
        out[joint] = stack_signal(out, (f"left_{joint}", f"right_{joint}"))
    shoulders = _midpoint(points, "left_shoulder", "right_shoulder", skeleton)
    hips = _midpoint(points, "left_hip", "right_hip", skeleton)
    if dims == 2:
        out["trunk_lean"] = tilt_from_vertical(shoulders, hips)
    else:
        out["trunk_lean"] = angle_between(shoulders, hips, hips + np.array([0.0, -1.0, 0.0]))
    return {name: out[name] for name in ANGLE_NAMES}


def joint_angles_3d(poses_per_frame: PosesInput, min_score: float = 0.3) -> dict[str, np.ndarray] | None:
    """The angles of :func:`joint_angles` from the poses' 3D keypoints (metres), per frame, in
    degrees; None when the poses have no 3D keypoints (models other than BlazePose)."""
    xyz = keypoint_array_3d(poses_per_frame, min_score)
    if xyz is None:
        return None
    return angles_from_keypoints_3d(xyz, poses_skeleton(poses_per_frame))


def joint_angles(poses_per_frame: PosesInput, min_score: float = 0.3) -> dict[str, np.ndarray]:
    """Joint angles per frame, in degrees: ``{name: array of N}`` for every name of
    :data:`ANGLE_NAMES` (see the module docstring).

    `poses_per_frame` holds one entry per frame: the detector's list of poses (the highest-scoring
    one is used), a single :class:`Pose`, or ``None`` / ``[]`` for a frame without a person. Angles
    needing a keypoint that scores below `min_score` are ``NaN``."""
    return angles_from_keypoints(keypoint_array(poses_per_frame, min_score), poses_skeleton(poses_per_frame))


def pose_angles(pose: Pose | None, min_score: float = 0.3) -> dict[str, float]:
    """The angles of one pose (one frame): ``{name: degrees}``, ``NaN`` where unknown."""
    return {name: float(values[0]) for name, values in joint_angles([pose], min_score).items()}


def stack_signal(angles: Mapping[str, np.ndarray], names: Sequence[str]) -> np.ndarray:
    """The mean of the named angle series, frame by frame, over those that are known (``NaN``
    where none is)."""
    if not names:
        raise ValueError("no angle names given")
    unknown = [n for n in names if n not in angles]
    if unknown:
        raise ValueError(f"unknown angle {unknown[0]!r}; known: {', '.join(angles)}")
    both = np.stack([np.asarray(angles[n], dtype=np.float64) for n in names])
    count = np.isfinite(both).sum(axis=0)
    total = np.where(np.isfinite(both), both, 0.0).sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)
