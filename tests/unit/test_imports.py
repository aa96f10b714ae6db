"""The package has no import cycle (the layer contract itself is `lint-imports`, pyproject.toml)."""

from __future__ import annotations

import pytest


def test_no_import_cycle_in_the_package() -> None:
    grimp = pytest.importorskip("grimp")  # comes with import-linter (the dev extra)
    graph = grimp.build_graph("movenet")
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if graph.chain_exists(importer=imported, imported=module):
                cycles.append(f"{module} <-> {imported}")
    assert cycles == []
