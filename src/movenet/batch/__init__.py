"""``movenet batch``: a whole archive of videos and photos to tidy pose files, resumable, on every
core of one machine or on a Ray cluster.

    from movenet.batch import run_batch
    summary = run_batch(["recordings/"], out="poses/", model="lightning", workers=2)

Modules: :mod:`~movenet.batch.inputs` (what to process), :mod:`~movenet.batch.task` (one input,
as ``movenet track`` / ``movenet detect``), :mod:`~movenet.batch.outputs` (Parquet, JSONL, CSV),
:mod:`~movenet.batch.manifest` (the run manifest and resuming), :mod:`~movenet.batch.local`
(processes), :mod:`~movenet.batch.ray_runner` (Ray actors), :mod:`~movenet.batch.run` (`run_batch`),
:mod:`~movenet.batch.reading` (`read_poses`: all outputs as one table).
"""

from movenet.batch.inputs import InputItem, collect_inputs
from movenet.batch.reading import read_output, read_poses
from movenet.batch.run import BatchSummary, run_batch
from movenet.batch.settings import BatchError, DetectorOptions, TaskOptions

__all__ = ["BatchError", "BatchSummary", "DetectorOptions", "InputItem", "TaskOptions", "collect_inputs",
           "read_output", "read_poses", "run_batch"]
