"""TF-exact image kernels: numpy ports of the TF.js kernels the pose pipelines use, computed
in the same precision and order of operations so that model inputs match bit for bit."""

from movenet.ops.transform import image_transform

__all__ = ["image_transform"]
