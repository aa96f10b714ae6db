"""BlazePose (TF.js runtime) constants (``pose-detection/src/blazepose_tfjs/constants.ts``)."""

from __future__ import annotations

from movenet.calculators.anchors import SsdAnchorConfig
from movenet.calculators.detections import TensorsToDetectionsConfig
from movenet.calculators.filters import OneEuroConfig

MODEL_TYPES = ("lite", "full", "heavy")

DETECTOR_INPUT_SIZE = 224
LANDMARK_INPUT_SIZE = 256
#: Pose keypoints; the model gives 39 landmarks, 33-34 are the auxiliary (ROI) landmarks.
NUM_KEYPOINTS = 33
NUM_LANDMARKS = 39
AUXILIARY_LANDMARKS = slice(33, 35)

DETECTOR_ANCHOR_CONFIG = SsdAnchorConfig(
    num_layers=5,
    min_scale=0.1484375,
    max_scale=0.75,
    input_size_height=DETECTOR_INPUT_SIZE,
    input_size_width=DETECTOR_INPUT_SIZE,
    anchor_offset_x=0.5,
    anchor_offset_y=0.5,
    strides=(8, 16, 32, 32, 32),
    aspect_ratios=(1.0,),
    # The reference spells this option reduceBoxesInLowestlayer, so the generator reads its
    # default, false: the intended value anyway.
    reduce_boxes_in_lowest_layer=False,
    interpolated_scale_aspect_ratio=1.0,
    fixed_anchor_size=True,
)
NUM_ANCHORS = 2254

DETECTOR_DECODE_CONFIG = TensorsToDetectionsConfig(
    num_boxes=NUM_ANCHORS,
    num_coords=12,
    box_coord_offset=0,
    keypoint_coord_offset=4,
    num_keypoints=4,
    num_values_per_keypoint=2,
    x_scale=224.0,
    y_scale=224.0,
    w_scale=224.0,
    h_scale=224.0,
    reverse_output_order=True,
    apply_exponential_on_box_size=False,
    sigmoid_score=True,
    score_clipping_thresh=100.0,
    min_score_thresh=0.5,
    flip_vertically=False,
)
NMS_IOU_THRESHOLD = 0.3

#: Detection/landmarks -> ROI: 90 degrees target angle, scaled 1.25, square long side.
ROI_TARGET_ANGLE_DEGREE = 90.0
ROI_SCALE = 1.25

POSE_PRESENCE_SCORE = 0.5
#: Heatmap refinement (refineLandmarksFromHeatmap).
REFINE_KERNEL_SIZE = 7
REFINE_MIN_CONFIDENCE = 0.5

VISIBILITY_ALPHA = 0.1
LANDMARKS_FILTER = OneEuroConfig(frequency=30, min_cutoff=0.05, beta=80, derivate_cutoff=1.0,
                                 min_allowed_object_scale=1e-6)
AUXILIARY_FILTER = OneEuroConfig(frequency=30, min_cutoff=0.01, beta=10.0, derivate_cutoff=1.0,
                                 min_allowed_object_scale=1e-6)
WORLD_FILTER = OneEuroConfig(frequency=30, min_cutoff=0.1, beta=40, derivate_cutoff=1.0,
                             min_allowed_object_scale=1e-6, disable_value_scaling=True)

SEGMENTATION_SMOOTHING_RATIO = 0.7

#: The landmark network's outputs by signature name, and the graph nodes behind them.
LANDMARK_OUTPUTS = {
    "ld_3d": "Identity_2",
    "output_poseflag": "Identity_3",
    "activation_heatmap": "Identity",
    "world_3d": "Identity_4",
    "activation_segmentation": "Identity_1",
}
