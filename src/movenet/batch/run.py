"""`run_batch`: a whole archive of videos and photos to tidy pose files, resumable, on every core
of this machine or on a Ray cluster. The steps: expand the inputs, keep what an earlier run
finished (same options, same input file), check the options once by building a detector, run the
rest (:mod:`movenet.batch.local` or :mod:`movenet.batch.ray_runner`), keep the manifest current
as inputs finish, and with an exercise write the analysis summary."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from movenet.batch.inputs import InputItem, collect_inputs, largest_first
from movenet.batch.manifest import MANIFEST_FIELDS, is_complete, manifest_path, read_manifest, write_manifest
from movenet.batch.outputs import sweep_temporaries
from movenet.batch.settings import FORMATS, BatchError, DetectorOptions, TaskOptions, package_version
from movenet.batch.task import PoseWorker, output_path
from movenet.registry import option_names

__all__ = ["BatchSummary", "run_batch"]

EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED = 0, 2, 130
_MANIFEST_EVERY_S = 0.5  # rewrite the manifest at most this often (and always at the end)


@dataclass
class BatchSummary:
    """What a batch run did. `rows` are the manifest rows, in input order."""

    out: Path
    manifest: Path
    rows: list[dict[str, Any]]
    interrupted: bool = False
    wall_s: float = 0.0
    analysis_summary: Path | None = None
    not_run: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.get("status") == status)

    @property
    def done(self) -> int:
        return self.count("done")

    @property
    def failed(self) -> int:
        return self.count("failed")

    @property
    def skipped(self) -> int:
        return self.count("skipped")

    @property
    def frames(self) -> int:
        """Frames processed in this run (skipped inputs not counted)."""
        return sum(int(r.get("frames") or 0) for r in self.rows if r.get("status") != "skipped")

    @property
    def exit_code(self) -> int:
        """0 all done, 2 some input failed, 130 interrupted."""
        if self.interrupted:
            return EXIT_INTERRUPTED
        return EXIT_FAILED if self.failed else EXIT_OK


class _StopSignals:
    """Ctrl-C and SIGTERM stop the run (as KeyboardInterrupt), but never in the middle of recording
    a finished input: inside :meth:`critical` the interrupt waits for the block to end. Only in
    the main thread (elsewhere signals cannot be caught; the run then just runs)."""

    def __init__(self) -> None:
        self._depth = 0
        self._pending = False
        self._previous: dict[int, Any] = {}

    def _handler(self, signum: int, frame: Any) -> None:
        if self._depth:
            self._pending = True
        else:
            raise KeyboardInterrupt

    def __enter__(self) -> _StopSignals:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)

    @contextlib.contextmanager
    def critical(self, *, raise_after: bool = True) -> Iterator[None]:
        """Hold interrupts during the block; raise one that came, after it (unless told not to)."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if not self._depth and self._pending:
                self._pending = False
                if raise_after:
                    raise KeyboardInterrupt


def _prepare_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise BatchError(f"{out}: --out must be a folder, and this is a file")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".movenet-write-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise BatchError(f"{out}: cannot write to the output folder ({exc.strerror or exc})") from exc


def _check_options(options: TaskOptions, workers: int | None, threads: int | None) -> None:
    if options.format not in FORMATS:
        raise BatchError(f"unknown format {options.format!r}; use one of: {', '.join(FORMATS)}")
    if options.format == "parquet":
        try:
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            raise BatchError("Parquet output needs pyarrow: pip install 'movenet[batch]' "
                             "(or choose --format jsonl or csv)") from None
    if options.analyze is not None:
        from movenet.analysis import EXERCISES

        if options.analyze not in EXERCISES:
            raise BatchError(f"unknown exercise {options.analyze!r}; use one of: {', '.join(sorted(EXERCISES))}")
    if workers is not None and workers < 1:
        raise BatchError(f"--workers must be at least 1, not {workers}")
    if threads is not None and threads < 1:
        raise BatchError(f"--threads must be at least 1, not {threads}")


def _preflight(options: TaskOptions) -> None:
    """Build one detector here, so that bad options, a missing engine (e.g. no CUDA) or missing
    model files fail once, with one line, before any worker starts (and files are fetched and
    converted once, not by every worker at the same time)."""
    PoseWorker(options, threads=1)


def _full_row(row: dict[str, Any], options: TaskOptions, item: InputItem | None, out: Path) -> dict[str, Any]:
    """`row` with every manifest column (a row made by the runner for a dead worker lacks some)."""
    full = {name: row.get(name) for name, _ in MANIFEST_FIELDS}
    defaults = {"model": options.detector.model, "backend": options.detector.backend,
                "precision": options.detector.precision, "version": package_version(),
                "options_hash": options.options_hash()}
    for key, value in defaults.items():
        if full[key] is None:
            full[key] = value
    if item is not None:
        if full["path"] is None:
            full["path"] = item.path
        if full["output"] is None:
            full["output"] = output_path(out, item, options).relative_to(out).as_posix()
    return full


def _smoothing_given(model: str, smoothing: bool) -> bool | None:
    """``enable_smoothing`` as given: False where the model has the switch and smoothing is off,
    else not given. Smoothing is a setting of the command, as in track (PoseNet has none)."""
    if smoothing:
        return None
    try:
        return False if "enable_smoothing" in option_names(model) else None
    except ValueError:  # an unknown model: the options check names it
        return False


def run_batch(inputs: Sequence[str | os.PathLike[str]] | str, out: str | os.PathLike[str], *,
              model: str = "lightning", workers: int | None = None, format: str = "parquet",
              backend: str = "onnxruntime", precision: str = "fp32", threads: int | None = None,
              smoothing: bool = True, min_pose_score: float | None = None, tracker: str | None = None,
              max_poses: int | None = None, multipose_max_dimension: int | None = None,
              model_options: Mapping[str, Any] | None = None, model_dir: str | None = None,
              analyze: str | None = None, min_score: float = 0.3, ray: str | bool | None = None, force: bool = False,
              progress: bool | None = None, log: Callable[[str], None] | None = None) -> BatchSummary:
    """Detect the poses in every video and image of `inputs` and write one file per input below `out`.

    inputs: folders (searched recursively), files, glob patterns (``**`` included) and text files
        (``.txt``, ``.lst``: one path a line, relative to the list's folder; ``#`` comments).
    out: the output folder; each input's file mirrors its path below the deepest folder holding
        all inputs, with the format's suffix added (``a/b.mp4`` -> ``out/a/b.mp4.parquet``).
    format: "parquet" (default; pyarrow), "jsonl" or "csv" (see :mod:`movenet.batch.outputs`).
    workers: processes on this machine (default: one per core), each with ``cores // workers``
        inference threads unless `threads` says otherwise; with `ray`, the number of actors
        (default: one per CPU of the cluster, one thread each).
    model, backend, precision, smoothing, min_pose_score, tracker, max_poses,
        multipose_max_dimension, model_dir: as for ``movenet track`` / ``movenet.create_detector``
        (None: not given, the model's default; ``tracker="none"``: no tracking); `model_options`:
        any other option of the model (e.g. ``{"score_threshold": 0.3}`` for PoseNet). An option
        the model does not take is a BatchError naming it.
    analyze: an exercise ("squat", ...): the analysis JSON of each video beside its output, and
        ``_analysis_summary.csv`` over all of them; `min_score` is the analysis' keypoint threshold.
    ray: None or False (processes on this machine); True (Ray: the cluster of ``RAY_ADDRESS`` or of
        this machine, else a new local instance), "auto" (a running cluster), "local" (a private
        Ray instance) or a cluster address. A Ray already initialised in this process is used.
    force: recompute everything (by default an input whose complete output exists for the same
        options and the same input file is skipped).
    progress: bars on stderr (default: when it is a terminal). `log`: gets a line per failed input.

    The workers are new Python processes (``spawn``) that import the caller's main module: call
    this under ``if __name__ == "__main__":`` in a script.

    Returns a :class:`BatchSummary`; its `exit_code` is 2 when an input failed. The manifest
    (``_manifest.parquet``, or ``.jsonl`` for the other formats) has one row per input.
    Raises :class:`BatchError` when the run cannot start (no inputs, unwritable `out`, bad options).
    """
    from movenet.batch.progress import BatchProgress

    start = time.perf_counter()
    given = {"enable_smoothing": _smoothing_given(model, smoothing), "min_pose_score": min_pose_score,
             "tracker": tracker, "max_poses": max_poses, "multipose_max_dimension": multipose_max_dimension,
             **(model_options or {})}
    options = TaskOptions(
        detector=DetectorOptions.given(model, given, backend=backend, precision=precision, model_dir=model_dir,
                                       threads=threads),
        format=format, analyze=analyze, analysis_min_score=min_score)
    _check_options(options, workers, threads)
    out_path = Path(out)
    items = collect_inputs([inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs), exclude=out_path)
    _prepare_out(out_path)
    out_path = out_path.resolve()
    sweep_temporaries(out_path)  # what killed runs left (never under a final name)
    manifest = manifest_path(out_path, format)
    previous = {} if force else read_manifest(out_path)
    by_source = {item.source: item for item in items}
    rows: dict[str, dict[str, Any]] = {}
    pending: list[InputItem] = []
    for item in items:
        kept = None if force else is_complete(item, out_path, options, previous.get(item.source))
        if kept is not None:
            rows[item.source] = _full_row(kept, options, item, out_path)
        else:
            pending.append(item)

    def ordered() -> list[dict[str, Any]]:
        return [rows[item.source] for item in items if item.source in rows]

    last_write = [0.0]

    def save(force_write: bool = False) -> None:
        now = time.monotonic()
        if force_write or now - last_write[0] >= _MANIFEST_EVERY_S:
            write_manifest(manifest, ordered())
            last_write[0] = now

    bars = BatchProgress(len(items), enabled=progress)
    for _ in range(len(items) - len(pending)):
        bars.input_done("skipped")

    stops = _StopSignals()

    def on_result(row: dict[str, Any]) -> None:
        with stops.critical():
            item = by_source.get(row["source"])
            rows[row["source"]] = _full_row(row, options, item, out_path)
            save()
        bars.input_done(row.get("status", "failed"))
        if row.get("status") == "failed":
            line = f"movenet: error: {row.get('error')}"
            if bars.enabled:
                bars.message(line)
            elif log is not None:
                log(line)

    interrupted = False
    summary_path = None
    try:
        with stops:
            try:
                save(force_write=True)
                if pending:
                    _preflight(options)
                    if workers != 1:
                        pending = largest_first(pending)
                    if ray is not None and ray is not False:
                        from movenet.batch.ray_runner import run_on_ray

                        address = None if ray is True else str(ray)

                        def on_ray_result(row: dict[str, Any]) -> None:
                            bars.frames(int(row.get("frames") or 0))  # actors report whole inputs
                            on_result(row)

                        interrupted = run_on_ray(pending, out_path, options, address=address, workers=workers,
                                                 threads=threads, on_result=on_ray_result)
                    else:
                        from movenet.batch.local import run_local, threads_per_worker
                        from movenet.runtime import available_cores

                        count = min(workers or available_cores(), len(pending))
                        interrupted = run_local(pending, out_path, options, workers=count,
                                                threads=threads or threads_per_worker(count),
                                                on_result=on_result, on_frames=bars.frames)
            except KeyboardInterrupt:
                interrupted = True
            finally:
                with stops.critical(raise_after=False):  # the run is over either way
                    save(force_write=True)
        if analyze is not None and not interrupted:
            from movenet.batch.analysis_summary import write_summary

            summary_path = write_summary(out_path, [r["analysis"] for r in ordered()
                                                    if r.get("analysis") and r.get("status") in ("done", "skipped")])
    finally:
        bars.close()
    return BatchSummary(out=out_path, manifest=manifest, rows=ordered(), interrupted=interrupted,
                        wall_s=time.perf_counter() - start, analysis_summary=summary_path,
                        not_run=[i.source for i in items if i.source not in rows])
