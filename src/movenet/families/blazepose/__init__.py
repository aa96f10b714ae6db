"""BlazePose (the TF.js ``tfjs`` runtime of ``@tensorflow-models/pose-detection``): 33
keypoints with depth, 3D world keypoints in metres and a person mask, from the person detector
and one of the lite/full/heavy landmark networks.

``BlazePoseDetector(detector_network, landmark_network, model_type="full", ...)`` takes two
loaded networks (:class:`movenet.runtime.Backend`); see :class:`BlazePoseOptions`.
``movenet.create_detector("blazepose-heavy", enable_segmentation=True)`` loads both networks by
name (the registry entries are in :mod:`movenet.families.blazepose.entry`).

Outputs match the reference (``pose-detection/src/blazepose_tfjs/detector.ts``), its quirks
included: the ROI carried across calls even without timestamps, the visibility filter applied
twice per frame, world scores unsmoothed, ``reset()`` keeping the world filter, keypoint z
multiplied by the image width once more whenever smoothing runs. Deliberate differences:

* ``reference_z=False`` opts out of the z quirk (z always in pixels, scaled like x); it is the
  default of ``create_detector`` (the detector class itself defaults to the reference's z);
* ``model_type`` and ``max_poses`` are checked when the options are made (the reference checks
  the model type only in the first landmark step; same message), and ``max_poses`` may also
  be passed to ``estimate_poses`` (ValueError unless 1, as in the reference);
* ``flip_horizontal`` mirrors the output (2D x to ``width - 1 - x``, 3D x negated, the mask),
  as MoveNet's extension does; the reference ignores it;
* a frame of another size restarts the mask smoothing (the reference throws).
"""

from movenet.families.blazepose.detector import BlazePoseDetector
from movenet.families.blazepose.options import BlazePoseOptions

__all__ = ["BlazePoseDetector", "BlazePoseOptions"]
