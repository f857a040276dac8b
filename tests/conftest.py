"""Shared test fixtures: paths to the model corpus."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "models"


@pytest.fixture(autouse=True, scope="session")
def _model_cache_in_a_scratch_directory(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the test session's model cache out of the user's home."""
    os.environ["CBEC_SD_CACHE_DIR"] = str(tmp_path_factory.mktemp("model-cache"))


@pytest.fixture(autouse=True)
def _run_from_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Doctests and examples use paths relative to the repository root."""
    monkeypatch.chdir(ROOT)
