"""TF-exact image kernels (the TF.js kernels the pose pipelines use, in the same float precision and
order of operations, so that model inputs match bit for bit), no model knowledge."""
