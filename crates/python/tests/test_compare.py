"""compare: a tidy frame, one row per season × policy × seed."""

import pytest

import dualmatch
from conftest import SAMPLE


@pytest.fixture(scope="module")
def sample():
    return dualmatch.load(SAMPLE)


def test_compare_shape(sample):
    policies = ["max-fit", "stable", "random-serial", "first-come", "greedy"]
    frame = sample.compare(policies=policies, seeds=range(4))
    assert len(frame) == len(policies) * 4
    assert list(frame.columns[:4]) == ["season", "policy", "seed", "randomised"]
    assert {"placed", "placement_rate", "min_school_rate", "jain_index", "blocking_pairs", "runtime_s"} <= set(frame)
    assert sorted(frame.groupby(["policy", "seed"]).size().unique()) == [1]
    assert frame["error"].isna().all()
    fixed = frame[~frame["randomised"]]
    assert "max-fit" in set(fixed["policy"]) and "random-serial" not in set(fixed["policy"])
    assert (fixed.groupby("policy")["total_score"].nunique() == 1).all()


def test_compare_rows_are_the_runs_of_match(sample):
    frame = sample.compare(policies=["random-serial", "max-fit"], seeds=[3, 9])
    for row in frame.itertuples():
        run = sample.match(policy=row.policy, seed=row.seed)
        assert row.placed == run.placed
        assert row.total_score == pytest.approx(run.total_score)
    lottery = frame[frame["policy"] == "random-serial"]
    assert lottery["seed"].tolist() == [3, 9]


def test_compare_over_seasons():
    seasons = [dualmatch.generate("tiny", seed=s) for s in (1, 2)]
    frame = dualmatch.compare(seasons, policies=["max-fit", "boston"], seeds=range(3))
    assert len(frame) == 2 * 2 * 3
    assert frame["season"].nunique() == 2


def test_compare_reports_unmet_floors_per_run(sample):
    frame = sample.compare(
        policies=["max-fit"], constraints={"school": [{"school": "S01", "programme": "P13", "min": 10_000}]}
    )
    assert frame["error"].notna().all() and frame["placed"].isna().all()
