"""The sample season has mentors and rhythms: placements name each
learner's mentor and days, and a policy that does not honour them is refused
with the policies that do."""

import dualmatch
import pytest
from conftest import REAL_SAMPLE


@pytest.fixture(scope="module")
def season():
    return dualmatch.load(REAL_SAMPLE)


def test_placements_name_a_mentor_of_the_site(season, cli, tmp_path):
    frame = season.match().placements
    assert {"mentor", "days"} <= set(frame.columns)
    placed = frame[frame["workplace"].notna()] if "workplace" in frame else frame
    assert len(placed) > 0 and placed["mentor"].notna().all()
    # Each mentor id starts with its site's id (the generator's naming), and
    # the CLI names the same mentors.
    assert (placed.apply(lambda r: r["mentor"].startswith(r["workplace"]), axis=1)).all()
    out = tmp_path / "r"
    cli("match", REAL_SAMPLE, "--out", out, "--no-advice")
    import csv

    with open(out / "placements.csv", newline="", encoding="utf-8") as f:
        by_cli = {r["learner"]: r["mentor"] for r in csv.DictReader(f)}
    assert by_cli == dict(zip(placed["learner"], placed["mentor"]))


@pytest.mark.parametrize("policy", ["fair-share", "stable-workplace", "rank-maximal"])
def test_a_policy_that_does_not_honour_mentors_is_refused(season, policy):
    with pytest.raises(dualmatch.SeasonError) as err:
        season.match(policy=policy)
    assert "does not honour mentors" in str(err.value) and "stable" in str(err.value)
