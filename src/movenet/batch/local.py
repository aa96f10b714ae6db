"""Running the per-input task on every core of this machine: a pool of worker processes, each of
which loads the networks once (the pool's initializer) and runs inputs one after the other with
``cores // workers`` inference threads.

Stopping: the parent owns the decision. Ctrl-C or SIGTERM in the parent sets a shared event that
workers check after every frame; the input in progress is abandoned (its temporary file deleted)
and nothing more starts. Workers ignore SIGINT (the terminal sends it to the whole group) and
leave by themselves when the parent disappears (SIGKILL), deleting their temporary file. A worker
that dies (a crash in a decoder, the OOM killer) costs the input it was running, which is recorded
as failed; the pool is rebuilt for the rest.
"""

from __future__ import annotations

import multiprocessing
import os
import queue as queue_module
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from movenet.batch.inputs import InputItem
from movenet.batch.settings import BatchError, TaskOptions
from movenet.batch.task import Interrupted, PoseWorker
from movenet.runtime import available_cores

__all__ = ["run_local", "threads_per_worker"]


def threads_per_worker(workers: int, cores: int | None = None) -> int:
    """Inference threads of each of `workers` processes: the cores shared out, at least one."""
    return max(1, (cores or available_cores()) // max(1, workers))


# -- inside a worker process -------------------------------------------------------------------

_state: dict[str, Any] = {"worker": None, "queue": None, "stop": None, "busy": False, "terminating": False}


def _terminate() -> None:
    """Leave as soon as no input is half written (the task checks `terminating` after each frame)."""
    _state["terminating"] = True
    if not _state["busy"]:
        os._exit(0)


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:  # the parent died (killed): nobody will read our results
            _terminate()
            return


def _init_worker(options: TaskOptions, threads: int, progress_queue: Any, stop: Any, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda signum, frame: _terminate())
    threading.Thread(target=_watch_parent, args=(parent,), name="movenet-parent-watch", daemon=True).start()
    _state.update(queue=progress_queue, stop=stop)
    _state["worker"] = PoseWorker(options, threads)


def _run_item(item: InputItem, out: Path) -> dict[str, Any]:
    q, stop = _state["queue"], _state["stop"]
    pending = [0, time.monotonic()]

    def progress(count: int) -> None:
        pending[0] += count
        now = time.monotonic()
        if now - pending[1] >= 0.2:
            q.put(("frames", pending[0]))
            pending[0], pending[1] = 0, now

    def should_stop() -> bool:
        return bool(_state["terminating"]) or stop.is_set()

    _state["busy"] = True
    q.put(("start", item.source))
    try:
        return _state["worker"].run(item, out, should_stop=should_stop, progress=progress)
    except Interrupted:
        return {"source": item.source, "status": "interrupted"}
    finally:
        if pending[0]:
            q.put(("frames", pending[0]))
        _state["busy"] = False
        if _state["terminating"]:
            os._exit(0)


# -- in the parent -----------------------------------------------------------------------------


def _died_row(item: InputItem) -> dict[str, Any]:
    return {"source": item.source, "path": item.path, "kind": item.kind, "status": "failed",
            "error": f"{item.path}: the worker process died while processing it (crash or killed)",
            "frames": 0, "frames_with_pose": 0, "wall_s": 0.0}


class _PoolRun:
    """One process pool over some inputs; tells which inputs a broken pool lost."""

    def __init__(self, ctx: Any, options: TaskOptions, threads: int, progress_queue: Any, stop: Any,
                 on_result: Callable[[dict[str, Any]], None], on_frames: Callable[[int], None]) -> None:
        self._ctx, self._options, self._threads = ctx, options, threads
        self._queue, self._stop = progress_queue, stop
        self._on_result, self._on_frames = on_result, on_frames

    def _drain(self, started: set[str]) -> None:
        while True:
            try:
                kind, value = self._queue.get_nowait()
            except queue_module.Empty:
                return
            if kind == "frames":
                self._on_frames(value)
            else:
                started.add(value)

    def run(self, items: Sequence[InputItem], out: Path, workers: int
            ) -> tuple[bool, list[InputItem], list[InputItem]]:
        """(interrupted, inputs lost in a broken pool while running, inputs not started)."""
        started: set[str] = set()
        finished: set[str] = set()
        broken = False

        def collect(future: Future[dict[str, Any]], item: InputItem) -> None:
            nonlocal broken
            if item.source in finished:
                return
            try:
                row = future.result()
            except BrokenProcessPool:
                broken = True
                return
            except Exception as exc:  # e.g. a result that cannot be sent back: that input fails
                row = {**_died_row(item), "error": f"{item.path}: {type(exc).__name__}: {exc}"}
            finished.add(item.source)
            if row.get("status") != "interrupted":
                self._on_result(row)

        pool = ProcessPoolExecutor(max_workers=max(1, min(workers, len(items))), mp_context=self._ctx,
                                   initializer=_init_worker,
                                   initargs=(self._options, self._threads, self._queue, self._stop, os.getpid()))
        futures = {pool.submit(_run_item, item, out): item for item in items}
        try:
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                self._drain(started)
                for future in done:
                    collect(future, futures[future])
        except KeyboardInterrupt:
            self._stop.set()  # workers abandon their input at the next frame
            pool.shutdown(wait=True, cancel_futures=True)
            self._drain(started)
            for future, item in futures.items():
                if future.done() and not future.cancelled():
                    collect(future, item)
            return True, [], []
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        self._drain(started)
        if not broken:
            return False, [], []
        lost = [i for i in items if i.source in started and i.source not in finished]
        rest = [i for i in items if i.source not in started and i.source not in finished]
        return False, lost, rest


def run_local(items: Sequence[InputItem], out: Path, options: TaskOptions, *, workers: int, threads: int,
              on_result: Callable[[dict[str, Any]], None], on_frames: Callable[[int], None] = lambda n: None
              ) -> bool:
    """Run `items` on `workers` processes; `on_result` gets each finished row (done or failed) as
    it comes, `on_frames` counts of frames processed. Returns True when the run was interrupted
    (Ctrl-C, SIGTERM) before the end.

    When a worker dies, every input then running is suspect: each is run again alone in a fresh
    one-worker pool, so that only the input that kills its process is recorded as failed."""
    ctx = multiprocessing.get_context("spawn")  # no fork of a parent holding threads and locks
    pools = _PoolRun(ctx, options, threads, ctx.Queue(), ctx.Event(), on_result, on_frames)
    queue = list(items)
    suspects: list[InputItem] = []
    while queue or suspects:
        if suspects:
            item = suspects.pop(0)
            interrupted, lost, rest = pools.run([item], out, 1)
            if lost or rest:
                on_result(_died_row(item))
        else:
            interrupted, lost, rest = pools.run(queue, out, workers)
            if (lost or rest) and not lost and len(rest) == len(queue):
                raise BatchError("the worker processes stopped before processing anything (see the messages above; "
                                 "a script that calls run_batch must do it under `if __name__ == '__main__':`, "
                                 "since the workers are started as new Python processes that import it)")
            suspects, queue = lost, rest
        if interrupted:
            return True
    return False
