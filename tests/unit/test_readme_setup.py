"""The README's set-up is two commands (issue 17, item 1): the first installs and runs the main job,
the second runs the tests and must work right after the first, so the first must install what the
tests need (pytest, and the libraries of the tests that would otherwise be skipped)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

REPO = Path(__file__).resolve().parents[2]


def _setup_commands() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "no bash block in the README's Set-up section"
    return [line.split("#", 1)[0].strip() for line in block.group(1).splitlines() if line.strip()]


def _requirement_names(extras: set[str], optional: dict[str, list[str]], seen: set[str] | None = None) -> set[str]:
    """Distribution names the extras install, following self-references such as movenet[web]."""
    seen = set() if seen is None else seen
    names: set[str] = set()
    for extra in extras - seen:
        seen.add(extra)
        for requirement in optional.get(extra, []):
            name = re.match(r"[A-Za-z0-9_.\-]+", requirement).group(0).lower()  # type: ignore[union-attr]
            inner = re.search(r"\[([^\]]+)\]", requirement)
            if name == "movenet" and inner:
                names |= _requirement_names({e.strip() for e in inner.group(1).split(",")}, optional, seen)
            else:
                names.add(name)
    return names


def test_the_first_command_installs_what_the_second_needs() -> None:
    first, second = _setup_commands()
    assert second == "python -m pytest -q"
    install = re.search(r"pip install -e (\S+)", first)
    assert install, first
    spec = install.group(1).strip("\"'")
    extras = set(re.findall(r"\[([^\]]*)\]", spec)[0].split(",")) if "[" in spec else set()
    assert "movenet detect" in first
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    installed = _requirement_names({e.strip() for e in extras}, pyproject["project"]["optional-dependencies"])
    installed |= {re.match(r"[A-Za-z0-9_.\-]+", r).group(0).lower()  # type: ignore[union-attr]
                  for r in pyproject["project"]["dependencies"]}
    for needed in ("pytest", "hypothesis", "httpx", "fastapi", "uvicorn", "websockets", "pycocotools"):
        assert needed in installed, f"{first!r} does not install {needed}, which the tests need"
