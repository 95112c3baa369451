"""Shared fixtures: the repository, the sample season and the `dualmatch`
command line (to check the package against it)."""

import os
import pathlib
import shutil
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
SAMPLE = REPO / "data" / "sample"


def _cli_path() -> pathlib.Path:
    given = os.environ.get("DUALMATCH_BIN")
    if given:
        return pathlib.Path(given)
    path = REPO / "target" / "debug" / "dualmatch"
    if not path.exists():
        # Built here when the suite runs before `cargo build` (never skipped).
        subprocess.run(["cargo", "build", "-q", "-p", "dualmatch-cli", "--bin", "dualmatch"], cwd=REPO, check=True)
    return path


@pytest.fixture(scope="session")
def cli():
    """Runs the `dualmatch` binary; returns the completed process."""
    path = _cli_path()

    def run(*args, check=True):
        return subprocess.run([str(path), "--quiet", *map(str, args)], capture_output=True, text=True, check=check)

    return run


@pytest.fixture()
def sample_copy(tmp_path):
    """A copy of data/sample that a test may damage."""
    dest = tmp_path / "season"
    shutil.copytree(SAMPLE, dest)
    return dest
