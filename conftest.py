"""Pytest collects every `*.scenario.toml` file as a test of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest


def pytest_addoption(parser: Any) -> None:
    parser.addoption("--update-goldens", action="store_true",
                     help="rewrite golden files from the current output (review the diff)")


def pytest_collect_file(parent: Any, file_path: Path) -> Any:
    if file_path.name.endswith(".scenario.toml"):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):  # type: ignore[misc]
    def collect(self) -> Any:
        yield ScenarioItem.from_parent(self, name=self.path.name)


class ScenarioItem(pytest.Item):  # type: ignore[misc]
    # pytest-lsp's pytest_runtest_call hook fails on items without `funcargs` (it returns
    # before yielding); scenario items take no fixtures
    funcargs: ClassVar[dict[str, Any]] = {}

    def runtest(self) -> None:
        from rrdsl.scenarios import run

        result = run(self.path)
        if not result.passed:
            raise ScenarioFailure(result)

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailure):
            r = excinfo.value.result
            return "\n".join([f"{r.path}: {r.title}", *r.failures, r.error or ""]).rstrip()
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario: {self.name}"


class ScenarioFailure(Exception):
    def __init__(self, result: Any):
        super().__init__(result.title)
        self.result = result
