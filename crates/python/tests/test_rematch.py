"""rematch: changes during the season, around the placements that stay."""

import pandas as pd

import dualmatch
from conftest import SAMPLE


def test_a_learner_who_left_is_unplaced_and_the_rest_stay(cli, tmp_path):
    season = dualmatch.load(SAMPLE)
    before = season.match()
    gone = before.placements["learner"].iloc[0]
    changes = pd.DataFrame([{"event": "learner_left", "learner": gone, "workplace": None, "programme": None, "seats": None}])
    after = season.rematch(previous=before, changes=changes)
    assert gone not in set(after.placements["learner"])
    assert after.kept == before.placed - 1
    lost = after.changes
    assert lost[lost["learner"] == gone]["change"].tolist() == ["lost"]
    # The same from files, as the command line does it.
    out = tmp_path / "first"
    before.to_dir(out)
    path = tmp_path / "changes.csv"
    changes.to_csv(path, index=False)
    again = season.rematch(previous=out, changes=path)
    pd.testing.assert_frame_equal(again.placements, after.placements)
    cli("rematch", SAMPLE, "--previous", out, "--changes", path, "--out", tmp_path / "second")
    theirs = pd.read_csv(tmp_path / "second" / "placements.csv", dtype=str)
    assert sorted(theirs["learner"]) == sorted(after.placements["learner"])


def test_bad_changes_raise_season_error():
    season = dualmatch.load(SAMPLE)
    changes = pd.DataFrame([{"event": "learner_left", "learner": "NOBODY"}])
    try:
        season.rematch(previous=season.match(), changes=changes)
    except dualmatch.SeasonError as e:
        assert e.problems
    else:
        raise AssertionError("an unknown learner was accepted")
