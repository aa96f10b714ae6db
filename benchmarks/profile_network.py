"""Where the network's time goes: ONNX Runtime's profiler on the converted model, one thread.

    python benchmarks/profile_network.py [--model lightning] [--precision fp32] [--runs 200]

Prints the total time per operator type, and for the convolutions their multiply-adds and
throughput (GFLOP/s = 2 x multiply-adds / time), the figures behind the README's note on why
Lightning's fp32 network bounds its speed-up over TF.js.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile

import numpy as np
import onnxruntime as ort

from movenet.models.store import model_path


def _shape(entry: dict) -> list[int]:
    """ORT profile shapes are ``{"float": [dims]}``."""
    return list(next(iter(entry.values())))


def profile(model: str, precision: str, runs: int) -> list[dict]:
    """Per-node kernel events of `runs` inferences on a random input (profiling on, one thread)."""
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    opts.enable_profiling = True
    opts.profile_file_prefix = os.path.join(tempfile.mkdtemp(prefix="movenet-profile-"), "ort")
    session = ort.InferenceSession(str(model_path(model, precision=precision)), opts,
                                   providers=["CPUExecutionProvider"])
    spec = session.get_inputs()[0]
    shape = [d if isinstance(d, int) else 256 for d in spec.shape]  # MultiPose: a 256x256 frame
    x = np.random.default_rng(0).integers(0, 256, shape).astype(np.int32)
    for _ in range(runs):
        session.run(None, {spec.name: x})
    path = session.end_profiling()
    with open(path) as fh:
        events = json.load(fh)
    os.remove(path)
    return [e for e in events if e.get("cat") == "Node" and e["name"].endswith("_kernel_time")]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="lightning", choices=["lightning", "thunder", "multipose"])
    ap.add_argument("--precision", default="fp32", choices=["fp32", "int8"])
    ap.add_argument("--runs", type=int, default=200)
    args = ap.parse_args()
    events = profile(args.model, args.precision, args.runs)
    per_op: collections.Counter[str] = collections.Counter()
    conv_us: collections.Counter[str] = collections.Counter()
    conv_macs: dict[str, int] = {}
    pointwise: set[str] = set()
    for e in events:
        op = e["args"]["op_name"]
        per_op[op] += e["dur"]
        if op == "Conv":
            node = e["name"][: -len("_kernel_time")]
            conv_us[node] += e["dur"]
            weight = _shape(e["args"]["input_type_shape"][1])  # out, in / groups, kh, kw
            out = _shape(e["args"]["output_type_shape"][0])  # also right for NCHWc-blocked outputs
            conv_macs[node] = int(np.prod(out)) * int(np.prod(weight[1:]))
            if weight[2:] == [1, 1]:
                pointwise.add(node)
    total = sum(per_op.values()) / args.runs
    print(f"{args.model} {args.precision}, one thread: {total / 1000:.2f} ms of kernel time per run")
    for op, us in per_op.most_common(8):
        print(f"  {op:24s} {us / args.runs / 1000:7.3f} ms")
    if conv_us:
        def gflops(nodes: set[str] | list[str]) -> float:
            return 2 * sum(conv_macs[n] for n in nodes) / (sum(conv_us[n] for n in nodes) / args.runs / 1e6) / 1e9

        macs = sum(conv_macs.values())
        print(f"convolutions: {macs / 1e6:.0f} M multiply-adds, {gflops(list(conv_macs)):.0f} GFLOP/s overall")
        rates = np.array([gflops([n]) for n in sorted(pointwise)])
        print(f"  1x1 convolutions: {sum(conv_macs[n] for n in pointwise) / macs:.0%} of the multiply-adds, "
              f"{gflops(pointwise):.0f} GFLOP/s overall, 10th-90th percentile per convolution "
              f"{np.percentile(rates, 10):.0f}-{np.percentile(rates, 90):.0f} GFLOP/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
