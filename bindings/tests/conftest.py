"""Shared fixtures: the repository, the clickagg binary and the hand-computed case files."""
import os
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def clickagg_exe():
    exe = os.environ.get("CLICKAGG_EXE", str(ROOT / "build" / "host" / "cli" / "clickagg"))
    if not os.access(exe, os.X_OK):
        pytest.skip(f"no clickagg binary at {exe} (set CLICKAGG_EXE)")
    return exe


@pytest.fixture(scope="session")
def root():
    return ROOT
