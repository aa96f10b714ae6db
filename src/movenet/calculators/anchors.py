"""SSD anchor generation (TF.js ``shared/calculators/create_ssd_anchors.ts``, after MediaPipe's
``ssd_anchors_calculator.cc``; spec §4.1)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["SsdAnchorConfig", "create_ssd_anchors"]


@dataclass(frozen=True)
class SsdAnchorConfig:
    """The anchor options of the reference (``AnchorConfig``)."""

    num_layers: int
    min_scale: float
    max_scale: float
    input_size_height: int
    input_size_width: int
    anchor_offset_x: float
    anchor_offset_y: float
    strides: tuple[int, ...]
    aspect_ratios: tuple[float, ...]
    feature_map_height: tuple[int, ...] = field(default=())
    feature_map_width: tuple[int, ...] = field(default=())
    reduce_boxes_in_lowest_layer: bool = False
    interpolated_scale_aspect_ratio: float = 1.0
    fixed_anchor_size: bool = False


def _scale(min_scale: float, max_scale: float, stride_index: int, num_strides: int) -> float:
    if num_strides == 1:
        return (min_scale + max_scale) * 0.5
    return min_scale + (max_scale - min_scale) * stride_index / (num_strides - 1)


def create_ssd_anchors(config: SsdAnchorConfig) -> np.ndarray:
    """The anchors as an ``(N, 4)`` float64 array of ``(x_center, y_center, width, height)``,
    normalized to the model input, in the reference's order."""
    rows: list[tuple[float, float, float, float]] = []
    strides = config.strides
    layer_id = 0
    while layer_id < config.num_layers:
        heights: list[float] = []
        widths: list[float] = []
        ratios: list[float] = []
        scales: list[float] = []
        # Consecutive layers with the same stride share one feature map.
        last = layer_id
        while last < len(strides) and strides[last] == strides[layer_id]:
            scale = _scale(config.min_scale, config.max_scale, last, len(strides))
            if last == 0 and config.reduce_boxes_in_lowest_layer:
                ratios += [1.0, 2.0, 0.5]
                scales += [0.1, scale, scale]
            else:
                for ratio in config.aspect_ratios:
                    ratios.append(ratio)
                    scales.append(scale)
                if config.interpolated_scale_aspect_ratio > 0.0:
                    scale_next = 1.0 if last == len(strides) - 1 else _scale(
                        config.min_scale, config.max_scale, last + 1, len(strides))
                    scales.append(math.sqrt(scale * scale_next))
                    ratios.append(config.interpolated_scale_aspect_ratio)
            last += 1
        for ratio, scale in zip(ratios, scales, strict=True):
            root = math.sqrt(ratio)
            heights.append(scale / root)
            widths.append(scale * root)
        if config.feature_map_height:
            fm_h = config.feature_map_height[layer_id]
            fm_w = config.feature_map_width[layer_id]
        else:
            stride = strides[layer_id]
            fm_h = math.ceil(config.input_size_height / stride)
            fm_w = math.ceil(config.input_size_width / stride)
        for y in range(fm_h):
            for x in range(fm_w):
                for k in range(len(heights)):
                    x_center = (x + config.anchor_offset_x) / fm_w
                    y_center = (y + config.anchor_offset_y) / fm_h
                    if config.fixed_anchor_size:
                        rows.append((x_center, y_center, 1.0, 1.0))
                    else:
                        rows.append((x_center, y_center, widths[k], heights[k]))
        layer_id = last
    return np.array(rows, dtype=np.float64).reshape(-1, 4)
