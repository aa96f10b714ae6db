"""`movenet bench` (movenet/bench.py): absurd options are refused with a one-line error before any
model is loaded; a short real run reports what it measured."""

from __future__ import annotations

import pytest

from movenet.bench import check_bench_options, run_benchmark
from movenet.cli.main import main

from conftest import get_network


@pytest.mark.parametrize("args, message", [
    (["--size", "320"], "expected WIDTHxHEIGHT"),
    (["--size", "0x480"], "expected WIDTHxHEIGHT"),
    (["--size", "axb"], "expected WIDTHxHEIGHT"),
    (["--frames", "0"], "--frames: must be at least 1"),
    (["--frames", "-3"], "--frames: must be at least 1"),
    (["--threads", "0"], "--threads: must be at least 1"),
])
def test_bad_bench_options_are_argument_errors(args: list[str], message: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--no-reference", *args])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_huge_frame_size_is_refused_before_the_clip_is_made(capsys: pytest.CaptureFixture[str]) -> None:
    # 60 frames of 99999x99999 would need ~1.8 TB: refused by name, not attempted.
    assert main(["bench", "--no-reference", "--size", "99999x99999"]) != 0
    err = capsys.readouterr().err
    assert "frame size 99999x99999 is over the limit" in err and "Traceback" not in err


@pytest.mark.parametrize("frames, size, rounds", [
    (0, (640, 480), 3), (True, (640, 480), 3), (10, (640,), 1), (10, (640, 0), 1), (10, (640.5, 480), 1),
    (10, (640, 480), 0),
])
def test_check_bench_options_names_the_bad_value(frames: object, size: object, rounds: object) -> None:
    with pytest.raises(ValueError):
        check_bench_options(frames, size, rounds)  # type: ignore[arg-type]


def test_short_real_run_reports_each_pipeline() -> None:
    get_network("lightning")  # skips when the weights are not fetched
    result = run_benchmark("lightning", frames=6, size=(320, 240), reference=False, rounds=2)
    assert result["frame_size"] == [320, 240]
    assert result["network_only"]["frames"] == 6 and result["end_to_end"]["frames"] == 6
    assert result["end_to_end"]["median_ms"] > 0 and result["network_only"]["median_ms"] > 0
    assert "reference" not in result
