"""Model-agnostic calculators (ports of TF.js ``shared/calculators`` and ``shared/filters``), skeleton-aware:
filters (smoothing), trackers, SSD anchors, detection decoding and NMS, rotated rects and their
matrices, image-to-tensor, landmark decoding and projection, segmentation masks, landmark smoothing."""
