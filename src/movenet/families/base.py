"""What every family shares: the engine options, the provider of loaded networks, and the
detector interface (``pose-detection/src/pose_detector.ts``: ``estimatePoses``, ``reset``,
``dispose``).

A family's loader builds its detector from its options and a :class:`Networks`: the networks
come from there (loaded once per engine setting, shared where the provider is shared, e.g. by
all the web server's streams), so the same loader serves ``create_detector`` and the server.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from movenet.io.images import ImageSource
from movenet.models.quantize import Calibration
from movenet.models.store import check_precision
from movenet.runtime import Network, check_threads
from movenet.skeletons import Skeleton
from movenet.types import Pose

__all__ = ["DetectorLifecycle", "EngineOptions", "GraphLoader", "ModelEntry", "Networks", "PoseDetector"]


class PoseDetector(Protocol):
    """What every detector offers (the TF.js PoseDetector interface), usable as a context manager."""

    @property
    def model(self) -> str:
        """The registry name of the model the detector runs."""
        ...

    def estimate_poses(self, image: ImageSource | None, timestamp_ms: float | None = None, *,
                       flip_horizontal: bool = False) -> list[Pose]: ...

    def reset(self) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> PoseDetector: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...


class DetectorLifecycle:
    """``close()`` and the context-manager protocol for a detector: closing forgets the temporal
    state and drops the detector's references to its networks (shared networks stay loaded for
    their other users); a closed detector refuses to run."""

    closed = False

    def reset(self) -> None:  # overridden by every detector
        raise NotImplementedError

    def close(self) -> None:
        if self.closed:
            return
        self.reset()
        self.closed = True
        for name in ("network", "_heads_network"):
            if name in vars(self):
                setattr(self, name, None)

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError(f"this {type(self).__name__} is closed")

    def __enter__(self):  # noqa: ANN204 - the detector itself
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


@dataclass(frozen=True)
class EngineOptions:
    """Options of the inference engine, shared by all families (validated at construction).

    backend: "onnxruntime" (default) or "openvino"; threads: intra-op threads (None: all cores);
    precision: "fp32" (default, matches TF.js), "int8", "bf16", "fp16" (docs/performance.md);
    model_dir: folder with the TF.js model files (default $MOVENET_MODEL_DIR, else the cache);
    spin_wait: ONNX Runtime's worker threads busy-wait between operators (default; the fastest
    when the process has the cores to itself). False lets them sleep: what a process sharing its
    cores wants, e.g. the server next to a browser on the same laptop.
    """

    backend: str = "onnxruntime"
    threads: int | None = None
    precision: str = "fp32"
    model_dir: str | Path | None = None
    spin_wait: bool = True

    def __post_init__(self) -> None:
        check_precision(self.precision, self.backend)
        check_threads(self.threads)
        if not isinstance(self.spin_wait, bool):  # a string such as "no" would be taken as True
            raise ValueError(f"spin_wait must be True or False, got {self.spin_wait!r}")


#: Loads one graph by name on an engine: ``load(graph, engine) -> Network``.
GraphLoader = Callable[[str, EngineOptions], Network]


class Networks:
    """The loaded networks a detector runs on: each key loaded once (thread-safe) and shared by
    every detector built from this provider.

    graph(name): the catalog graph at the engine's precision, loaded by `load_graph`.
    get(key, load): a family-specific variant (e.g. MoveNet's heads network), loaded by `load`.
    """

    def __init__(self, engine: EngineOptions, load_graph: GraphLoader) -> None:
        self.engine = engine
        self._load_graph = load_graph
        self._networks: dict[str, Network] = {}
        self._lock = threading.Lock()

    def graph(self, name: str) -> Network:
        return self.get(name, lambda engine: self._load_graph(name, engine))

    def get(self, key: str, load: Callable[[EngineOptions], Network]) -> Network:
        network = self._networks.get(key)
        if network is not None:
            return network
        with self._lock:  # two first users of a network load it once
            network = self._networks.get(key)
            if network is None:
                network = load(self.engine)
                self._networks[key] = network
        return network

    def loaded(self) -> list[str]:
        """Keys of the networks loaded so far."""
        return list(self._networks)


@dataclass(frozen=True)
class ModelEntry:
    """One model as its family registers it (collected by :mod:`movenet.registry`).

    name: the canonical name ("lightning"); aliases: other accepted names, lower case (the TF.js
    model types, e.g. "singlepose.lightning"); family: the family's name ("movenet");
    skeleton: the keypoint layout of its poses; graphs: the catalog graphs it runs;
    options: its options class (a frozen dataclass whose fields are the accepted options);
    build: ``build(name, options, networks) -> PoseDetector``, on already loaded networks;
    calibration: ``calibration(graph) -> Calibration`` for its graphs' int8 files, if any;
    description, input_size: for listings (CLI, web); single_person: at most one pose a frame;
    keypoints_3d: its keypoints have ``z`` and its poses ``keypoints_3d`` (CSV columns, analysis).
    """

    name: str
    family: str
    aliases: tuple[str, ...]
    skeleton: Skeleton
    graphs: tuple[str, ...]
    options: type
    build: Callable[[str, Any, Networks], PoseDetector]
    description: str
    input_size: int | None = None
    calibration: Callable[[str], Calibration] | None = None
    single_person: bool = True
    keypoints_3d: bool = False
