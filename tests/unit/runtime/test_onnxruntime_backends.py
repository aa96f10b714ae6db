"""The ONNX Runtime backends (movenet.runtime.onnxruntime, movenet.runtime.cuda) on a tiny model
built here: the CPU session's settings, and the CUDA backend's refusal to fall back silently."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from movenet.errors import ModelFileError
from movenet.runtime import create_backend


@pytest.fixture(scope="module")
def doubling_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """y = x + x on a [1, 4] float32 input."""
    graph = helper.make_graph([helper.make_node("Add", ["x", "x"], ["y"])], "double",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = tmp_path_factory.mktemp("model") / "double.onnx"
    onnx.save(model, path)
    return path


def test_cpu_backend_runs_with_its_settings(doubling_model: Path) -> None:
    network = create_backend(doubling_model, threads=2, spin_wait=False)
    x = np.arange(4, dtype=np.float32)[None]
    assert np.array_equal(network.run(x)[0], 2 * x)
    assert (network.name, network.input_name, network.output_names) == ("onnxruntime", "x", ["y"])
    options = network._session.get_session_options()  # type: ignore[attr-defined]
    assert options.intra_op_num_threads == 2
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    spinning = create_backend(doubling_model, threads=1)._session.get_session_options()  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError, match="allow_spinning"):  # not set: ONNX Runtime's default, spinning
        spinning.get_session_config_entry("session.intra_op.allow_spinning")


def test_a_file_that_is_not_a_model_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelFileError, match="bad.onnx: ONNX Runtime could not load the model"):
        create_backend(bad)


@pytest.mark.filterwarnings("ignore:Specified provider .CUDAExecutionProvider")
def test_cuda_backend_does_not_fall_back_to_the_cpu_silently(doubling_model: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Where ONNX Runtime lists CUDA but cannot start it (here: a CPU build told it has it), the
    session would quietly run on the CPU; the backend says so instead."""
    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("a real CUDA provider is present: this checks the CPU-only case")
    with pytest.raises(ImportError, match="no CUDAExecutionProvider"):
        importlib.import_module("movenet.runtime.cuda")
    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    monkeypatch.delitem(sys.modules, "movenet.runtime.cuda", raising=False)
    cuda = importlib.import_module("movenet.runtime.cuda")
    try:
        with pytest.raises(ModelFileError, match="double.onnx: ONNX Runtime could not start CUDA"):
            cuda.OnnxRuntimeCudaBackend(doubling_model, threads=1)
    finally:
        sys.modules.pop("movenet.runtime.cuda", None)  # the next import checks the real providers again


def test_physical_cores_counts_hyperthread_siblings_once() -> None:
    """physical_cores (the server's default thread count is one less) against the kernel's own
    sibling lists: each group of hyperthreads that share a core is one core."""
    from movenet.runtime import available_cores, physical_cores

    cores = physical_cores()
    assert 1 <= cores <= available_cores()
    topology = Path("/sys/devices/system/cpu")
    if not hasattr(os, "sched_getaffinity") or not (topology / "cpu0" / "topology").is_dir():
        pytest.skip("no Linux CPU topology here")
    siblings = {(topology / f"cpu{cpu}" / "topology" / "thread_siblings_list").read_text().strip()
                for cpu in os.sched_getaffinity(0)}
    assert cores == len(siblings)
