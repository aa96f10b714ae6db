"""Progress of a batch run on stderr (tqdm): inputs done of all with an ETA, and frames with
frames/s. Shown only when stderr is a terminal; otherwise every call does nothing."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["BatchProgress"]


class BatchProgress:
    """Two bars: inputs (total known, ETA) and frames (rate)."""

    def __init__(self, total_inputs: int, *, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._inputs: Any = None
        self._frames: Any = None
        if not self.enabled:
            return
        try:
            from tqdm import tqdm
        except ImportError:  # the batch extra is missing: run without bars
            self.enabled = False
            return
        self._inputs = tqdm(total=total_inputs, unit="input", desc="inputs", position=0, dynamic_ncols=True,
                            file=sys.stderr)
        self._frames = tqdm(unit="frame", desc="frames", position=1, dynamic_ncols=True, file=sys.stderr)

    def frames(self, count: int) -> None:
        if self._frames is not None and count:
            self._frames.update(count)

    def input_done(self, status: str) -> None:
        if self._inputs is not None:
            self._inputs.update(1)
            if status == "failed":
                self._failed = getattr(self, "_failed", 0) + 1
                self._inputs.set_postfix(failed=self._failed)

    def message(self, text: str) -> None:
        """A line above the bars (or on stderr as it is, without them)."""
        if self._inputs is not None:
            self._inputs.write(text, file=sys.stderr)
        else:
            print(text, file=sys.stderr)

    def close(self) -> None:
        for bar in (self._inputs, self._frames):
            if bar is not None:
                bar.close()
        self._inputs = self._frames = None
