"""Response models and OpenAPI extras of the HTTP endpoints, for the API docs (``/openapi.json``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

__all__ = ["ERROR_RESPONSES", "IMAGE_BODY", "BoxOut", "ErrorOut", "FrameOut", "HealthOut", "KeypointOut", "MaskOut",
           "ModelOut", "ModelsOut", "PoseOut"]


class KeypointOut(BaseModel):
    name: str
    x: float
    y: float
    z: float | None = None
    score: float


class MaskOut(BaseModel):
    """A person mask, 8-bit grey PNG in base64 (value / 255 = probability), longer side <= 256."""

    width: int
    height: int
    png_base64: str


class BoxOut(BaseModel):
    x_min: float
    y_min: float
    x_max: float
    y_max: float
    width: float
    height: float


class PoseOut(BaseModel):
    score: float
    keypoints: list[KeypointOut]
    box: BoxOut | None = None
    id: int | None = None
    keypoints_3d: list[KeypointOut] | None = None
    segmentation: MaskOut | None = None


class FrameOut(BaseModel):
    index: int
    source: str | None
    width: int
    height: int
    poses: list[PoseOut]


class ErrorOut(BaseModel):
    error: str
    status: int


class ModelOut(BaseModel):
    name: str
    description: str
    input_size: int | None
    family: str
    keypoints: int
    options: list[str]
    available: bool
    loaded: bool


class ModelsOut(BaseModel):
    default: str
    models: list[ModelOut]


class HealthOut(BaseModel):
    status: str
    version: str
    models_loaded: list[str]
    streams: int


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": text}
    for code, text in ((400, "empty, corrupt or truncated image"), (413, "body or image too large"),
                       (415, "not an image"), (422, "unknown model or bad option"),
                       (503, "model weights not available"))
}
IMAGE_BODY = {"requestBody": {"required": True, "description": "the image file's bytes", "content": {
    mime: {"schema": {"type": "string", "format": "binary"}}
    for mime in ("image/jpeg", "image/png", "image/webp", "application/octet-stream")}}}
