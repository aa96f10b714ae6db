"""The per-input work, the same on every runner: a video is one sequence exactly as
``movenet track`` runs it (decoded ahead on a thread, the crop loop, smoothing and tracking over its
timestamps), an image is independent exactly as ``movenet detect`` runs it; the poses go to the
output file (temporary name, renamed when complete) and, with an exercise, the analysis JSON.

A :class:`PoseWorker` loads the networks once (``movenet.create_detector``) and gives every input
a detector without temporal state: the single-pose detector after ``reset()``, or for MultiPose a
new detector on the same network (its track ids keep counting across ``reset()``, as in TF.js,
while ``movenet track`` starts them at 1).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from movenet.batch.inputs import InputItem
from movenet.batch.outputs import PoseWriter, open_writer, remove_stale_temporaries, replace_atomically, temporary_path
from movenet.batch.settings import TaskOptions, package_version
from movenet.errors import MovenetError
from movenet.types import Pose

__all__ = ["Interrupted", "PoseWorker", "analysis_path", "output_path"]

ANALYSIS_SUFFIX = ".analysis.json"


class Interrupted(Exception):
    """The run is stopping (Ctrl-C, SIGTERM): the input was abandoned, nothing kept of it."""


def output_path(out: Path, item: InputItem, options: TaskOptions) -> Path:
    """Where `item`'s poses go: its relative path below `out`, with the format's suffix added."""
    return out / (item.source + options.suffix)


def analysis_path(out: Path, item: InputItem) -> Path:
    return out / (item.source + ANALYSIS_SUFFIX)


def input_stat(path: str) -> tuple[int | None, int | None]:
    """(size in bytes, mtime in ns) of an input, (None, None) when it cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return None, None
    return st.st_size, st.st_mtime_ns


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _naming(item: InputItem, message: str) -> str:
    """`message`, starting with the input's path unless it names it already."""
    return message if item.path in message else f"{item.path}: {message}"


class PoseWorker:
    """One worker's detector and the per-input task (:meth:`run`)."""

    def __init__(self, options: TaskOptions, threads: int | None = None) -> None:
        from dataclasses import replace

        from movenet.api import build_detector, networks_for

        self.options = options
        det = options.detector
        # The networks load once per worker; every input gets a fresh detector on them.
        self._networks = networks_for(replace(det, threads=threads).engine())
        self._build = build_detector
        self.fresh_detector()  # loads the networks now, and fails early on a bad option

    def fresh_detector(self) -> Any:
        """A detector with no temporal state, on the networks loaded once."""
        det = self.options.detector
        return self._build(det.model, self._networks, **det.model_options())

    # -- the task ------------------------------------------------------------------------------

    def run(self, item: InputItem, out: Path, *, should_stop: Callable[[], bool] = lambda: False,
            progress: Callable[[int], None] | None = None) -> dict[str, Any]:
        """Process `item` into `out`; returns its manifest row (status "done" or "failed").

        Raises :class:`Interrupted` when `should_stop` turns true mid-input (its temporary file
        removed). A failing input (unreadable, corrupt, no video stream) is a "failed" row with
        the one-line error; its output and analysis files are removed, so that no file under a
        final name disagrees with the manifest."""
        options = self.options
        start = time.perf_counter()
        final = output_path(out, item, options)
        analysis_final = analysis_path(out, item)
        size, mtime = input_stat(item.path)
        row: dict[str, Any] = {
            "source": item.source, "path": item.path, "kind": item.kind, "output": final.relative_to(out).as_posix(),
            "status": "failed", "error": None, "frames": 0, "frames_with_pose": 0, "wall_s": 0.0,
            "model": options.detector.model, "backend": options.detector.backend,
            "precision": options.detector.precision, "version": package_version(),
            "options_hash": options.options_hash(), "input_bytes": size, "input_mtime_ns": mtime,
            "output_bytes": None, "analysis": None,
        }
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            row["error"] = f"{final.parent}: cannot create the output folder ({_one_line(exc)})"
            return row
        remove_stale_temporaries(final)
        remove_stale_temporaries(analysis_final)
        tmp = temporary_path(final)
        description = {"source": item.source, "kind": item.kind, "model": options.detector.model,
                       "backend": options.detector.backend, "precision": options.detector.precision,
                       "version": row["version"], "options_hash": row["options_hash"],
                       "input_bytes": size, "input_mtime_ns": mtime}
        writer: PoseWriter | None = None
        keep_poses = options.analyze is not None and item.kind == "video"
        history: list[list[Pose]] = []
        times: list[float] = []
        counts = {"frames": 0, "with_pose": 0}
        info: dict[str, Any] = {}
        try:
            writer = sink_writer = open_writer(options.format, tmp, item.source, description)

            def sink(index: int, t_ms: float | None, width: int, height: int, poses: list[Pose]) -> None:
                sink_writer.write(index, t_ms, width, height, poses)
                counts["frames"] += 1
                counts["with_pose"] += bool(poses)
                if keep_poses:
                    history.append(poses)
                    times.append(float(t_ms or 0.0))
                if progress is not None:
                    progress(1)
                if should_stop():
                    raise Interrupted(item.source)

            if item.kind == "image":
                info = self._image(item, sink)
            else:
                info = self._video(item, sink)
            summary = {"frames": counts["frames"], "frames_with_pose": counts["with_pose"], **info}
            writer.close(summary)
            writer = None
            if keep_poses:
                self._write_analysis(item, history, times, info, analysis_final)
                row["analysis"] = analysis_final.relative_to(out).as_posix()
            replace_atomically(tmp, final)
            row["status"] = "done"
            row["output_bytes"] = final.stat().st_size
        except Interrupted:
            self._discard(writer, tmp)
            raise
        except (MovenetError, OSError, ValueError) as exc:
            row["error"] = _naming(item, _one_line(exc))
            self._discard(writer, tmp, final, analysis_final)
        except Exception as exc:  # a bug must cost one input, not the archive
            row["error"] = _naming(item, f"internal error: {type(exc).__name__}: {_one_line(exc)}")
            self._discard(writer, tmp, final, analysis_final)
        row["frames"], row["frames_with_pose"] = counts["frames"], counts["with_pose"]
        row["wall_s"] = round(time.perf_counter() - start, 4)
        return row

    @staticmethod
    def _discard(writer: Any, *paths: Path) -> None:
        if writer is not None:
            writer.abort()
        for path in paths:
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass

    def _image(self, item: InputItem, sink: Callable[..., None]) -> dict[str, Any]:
        """As ``movenet detect``: load, reset, detect once (no timestamp)."""
        from movenet.io.images import load_image

        image = load_image(item.path)
        detector = self.fresh_detector()
        height, width = image.shape[:2]
        sink(0, None, width, height, detector.estimate_poses(image))
        return {"width": width, "height": height, "fps": None}

    def _video(self, item: InputItem, sink: Callable[..., None]) -> dict[str, Any]:
        """As ``movenet track``: one sequence, frames decoded ahead, poses at the frames' times."""
        from movenet.io.video import open_source, prefetch

        source = open_source(Path(item.path))
        detector = self.fresh_detector()
        frames = prefetch(source)
        try:
            for frame in frames:
                height, width = frame.image.shape[:2]
                sink(frame.index, frame.timestamp_ms, width, height,
                     detector.estimate_poses(frame.image, frame.timestamp_ms))
        finally:
            frames.close()  # stops the decoding thread before the source is closed
            source.close()
        return {"width": source.width, "height": source.height, "fps": source.fps}

    def _write_analysis(self, item: InputItem, history: list[list[Pose]], times: list[float],
                        info: dict[str, Any], final: Path) -> None:
        from movenet.analysis import analysis_to_json, analyze_poses

        assert self.options.analyze is not None
        analysis = analyze_poses(history, times, self.options.analyze, min_score=self.options.analysis_min_score,
                                 source=item.source)
        analysis.model = self.options.detector.model
        analysis.fps, analysis.width, analysis.height = info.get("fps"), info.get("width"), info.get("height")
        tmp = temporary_path(final)
        try:
            tmp.write_text(json.dumps(analysis_to_json(analysis), indent=1, allow_nan=False) + "\n", encoding="utf-8")
            replace_atomically(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
