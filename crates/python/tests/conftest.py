"""Shared fixtures: the repository, the sample season and the `dualmatch`
command line (to check the package against it)."""

import atexit
import csv
import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
REAL_SAMPLE = REPO / "data" / "sample"


def _plain_sample() -> pathlib.Path:
    """data/sample without its mentors (mentors.csv) and rhythms (the
    schools' rhythm column): whole-week seats, for the tests of every policy
    and of the advice, which do not model mentors or rhythms. Removed when
    the run ends."""
    dest = pathlib.Path(tempfile.mkdtemp(prefix="dualmatch-plain-sample-"))
    atexit.register(shutil.rmtree, dest, True)
    for f in sorted(REAL_SAMPLE.iterdir()):
        if f.name == "mentors.csv" or not f.is_file():
            continue
        if f.name == "schools.csv":
            with open(f, newline="", encoding="utf-8") as src:
                rows = list(csv.reader(src))
            keep = [i for i, c in enumerate(rows[0]) if c != "rhythm"]
            with open(dest / f.name, "w", newline="", encoding="utf-8") as out:
                csv.writer(out, lineterminator="\n").writerows([[r[i] for i in keep] for r in rows])
        else:
            shutil.copy(f, dest / f.name)
    return dest


SAMPLE = _plain_sample()


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
    """A copy of the plain sample (SAMPLE) that a test may damage."""
    dest = tmp_path / "season"
    shutil.copytree(SAMPLE, dest)
    return dest
