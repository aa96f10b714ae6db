"""TF.js graph models to ONNX: the graph reader (`tfjs`) and the translation (`to_onnx`)."""
