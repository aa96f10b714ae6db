"""MoveNet constants shared by the detectors (``pose-detection/src/movenet/constants.ts``)."""

from movenet.models.catalog import CATALOG

#: Single-pose network input sizes (square), as pinned in the model catalog.
INPUT_SIZES: dict[str, int] = {name: spec.input_size for name, spec in CATALOG.items() if spec.input_size}
#: A keypoint counts towards the pose score (and the crop's body range) above this score.
MIN_CROP_KEYPOINT_SCORE = 0.2
#: Poses scoring below this are dropped (and the single-pose state reset).
DEFAULT_MIN_POSE_SCORE = 0.25
#: Multi-pose: longer side of the network input, a multiple of 32.
MULTIPOSE_DEFAULT_MAX_DIMENSION = 256
