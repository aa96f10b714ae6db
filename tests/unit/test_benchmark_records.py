"""The README's live-page table is the one `benchmarks/live_page.py --table` prints from the
committed run (benchmarks/live_page_results.json), so neither is edited without the other."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_live_page_table_is_the_committed_run() -> None:
    spec = importlib.util.spec_from_file_location("live_page", ROOT / "benchmarks" / "live_page.py")
    assert spec is not None and spec.loader is not None
    live_page = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(live_page)
    results = json.loads((ROOT / "benchmarks" / "live_page_results.json").read_text())
    table = live_page.markdown_table(results)
    assert len(table.splitlines()) == 2 + len(results["models"])
    assert table in (ROOT / "README.md").read_text()
