"""What one batch run computes: the detector options, the output format and the analysis, and the
hash of everything that changes the numbers (a rerun redoes an input whose hash differs)."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from movenet.api import EngineOptions
from movenet.errors import MovenetError

__all__ = ["FORMATS", "BatchError", "DetectorOptions", "TaskOptions", "package_version"]

#: Output formats and their file suffixes.
FORMATS: dict[str, str] = {"parquet": ".parquet", "jsonl": ".jsonl", "csv": ".csv"}


class BatchError(MovenetError, ValueError):
    """A batch run cannot start: no inputs, an unwritable output folder, a bad option. One line."""


@dataclass(frozen=True)
class DetectorOptions:
    """The `movenet.create_detector` arguments of a batch run: the model, the engine, and the
    model options that were given (``(name, value)`` pairs, sorted; the model's own defaults
    apply to the others, and an option the model does not take is an error)."""

    model: str = "lightning"
    backend: str = "onnxruntime"
    precision: str = "fp32"
    options: tuple[tuple[str, Any], ...] = ()
    # Where the files are and how many threads run them do not change the numbers: not hashed.
    model_dir: str | None = field(default=None, compare=False)
    threads: int | None = field(default=None, compare=False)

    @classmethod
    def given(cls, model: str, options: Mapping[str, Any], **engine: Any) -> DetectorOptions:  # noqa: ANN401
        """From `options` with the values that were not given (None) left out."""
        return cls(model=model, options=tuple(sorted((k, v) for k, v in options.items() if v is not None)), **engine)

    def model_options(self) -> dict[str, Any]:
        return dict(self.options)

    def engine(self) -> EngineOptions:
        return EngineOptions(backend=self.backend, threads=self.threads, precision=self.precision,
                             model_dir=self.model_dir)


@dataclass(frozen=True)
class TaskOptions:
    """Everything the per-input task needs besides the input: detector, format, analysis."""

    detector: DetectorOptions = field(default_factory=DetectorOptions)
    format: str = "parquet"
    analyze: str | None = None  # an exercise name of movenet.analysis.EXERCISES
    analysis_min_score: float = 0.3

    @property
    def suffix(self) -> str:
        return FORMATS[self.format]

    def options_hash(self) -> str:
        """16 hex digits over the options that change an output (not threads or the model folder)."""
        det = {k: v for k, v in asdict(self.detector).items() if k not in ("model_dir", "threads")}
        payload = {"detector": det, "format": self.format, "analyze": self.analyze,
                   "analysis_min_score": self.analysis_min_score if self.analyze else None}
        text = json.dumps(payload, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@functools.cache
def package_version() -> str:
    """The movenet version that runs (the package's own ``__version__``: a source tree on the path
    wins over the installed distribution's metadata)."""
    import movenet

    return str(movenet.__version__)
