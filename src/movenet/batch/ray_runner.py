"""Running the per-input task on a Ray cluster (``pip install 'movenet[ray]'``): a pool of actors,
each holding one :class:`~movenet.batch.task.PoseWorker` (networks loaded once per actor), fed the
inputs by ``ray.util.ActorPool``; the rows come back to the driver, which keeps the manifest.

The actors write the outputs themselves, so the inputs and the output folder must be at the same
paths on every node (a shared file system); on one machine that is always so. `address` goes to
``ray.init``: None joins the cluster of ``RAY_ADDRESS`` or of this machine and else starts one,
"auto" joins a running cluster (an error if there is none), "local" always starts a private
instance, anything else is a cluster address (``ray://host:10001`` or ``host:6379``).
A Ray already initialised in this process (``ray.init(...)`` before ``run_batch``) is used as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from movenet.batch.inputs import InputItem
from movenet.batch.outputs import remove_stale_temporaries
from movenet.batch.settings import BatchError, TaskOptions
from movenet.batch.task import Interrupted, PoseWorker, analysis_path, output_path

__all__ = ["PoseActor", "run_on_ray"]


class PoseActor:
    """The Ray actor: one detector, inputs one after the other."""

    def __init__(self, options: TaskOptions, threads: int) -> None:
        self._worker = PoseWorker(options, threads)

    def ready(self) -> bool:
        return True

    def run(self, item: InputItem, out: str) -> dict[str, Any]:
        try:
            return self._worker.run(item, Path(out))
        except Interrupted:  # pragma: no cover - actors are stopped by being killed
            return {"source": item.source, "status": "interrupted"}


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise BatchError(f"--ray needs Ray ({exc}): pip install 'movenet[ray]'") from exc
    return ray


def run_on_ray(items: Sequence[InputItem], out: Path, options: TaskOptions, *, address: str | None = None,
               workers: int | None = None, threads: int | None = None,
               on_result: Callable[[dict[str, Any]], None]) -> bool:
    """Run `items` on Ray actors (`workers` of them, default: one per CPU of the cluster, each with
    `threads` inference threads, default 1). Returns True when interrupted (Ctrl-C)."""
    ray = _import_ray()
    from ray.util import ActorPool

    started_here = False
    if not ray.is_initialized():
        try:
            ray.init(address=address, log_to_driver=False)
        except Exception as exc:  # ConnectionError, ValueError: no cluster at that address
            where = f"at {address!r}" if address else "here"
            raise BatchError(f"cannot start or reach a Ray cluster {where}: {' '.join(str(exc).split())}") from exc
        started_here = True
    actors: list[Any] = []
    submitted: list[InputItem] = []
    done: set[str] = set()
    try:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        count = max(1, min(workers or cpus, len(items)))
        per_actor = threads or 1
        actor_class = ray.remote(num_cpus=per_actor)(PoseActor)
        actors = [actor_class.remote(options, per_actor) for _ in range(count)]
        ray.get([a.ready.remote() for a in actors])  # model loading errors surface here, once
        pool = ActorPool(actors)
        submitted = list(items)
        rows = pool.map_unordered(lambda actor, item: actor.run.remote(item, str(out)), submitted)
        for row in rows:
            done.add(row["source"])
            if row.get("status") != "interrupted":
                on_result(row)
        return False
    except KeyboardInterrupt:
        return True
    except ray.exceptions.RayError as exc:  # an actor died or could not start
        text = " ".join(str(exc).split())
        raise BatchError(f"the Ray run stopped: {text[:500]}") from exc
    finally:
        for actor in actors:
            ray.kill(actor)
        for item in submitted:  # a killed actor leaves its temporary files behind
            if item.source not in done:
                remove_stale_temporaries(output_path(out, item, options))
                remove_stale_temporaries(analysis_path(out, item))
        if started_here:
            ray.shutdown()
