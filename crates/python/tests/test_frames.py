"""Seasons from pandas DataFrames: round trips and problems with lines."""

import pandas as pd
import pytest

import dualmatch
from conftest import SAMPLE

NAMES = ("learners", "workplaces", "recognitions", "schools", "programmes")


def frames_of(folder, **read):
    names = NAMES + tuple(n for n in ("outcomes",) if (folder / f"{n}.csv").exists())
    return {name: pd.read_csv(folder / f"{name}.csv", **read) for name in names}


def test_frames_read_by_pandas_match_as_the_directory():
    direct = dualmatch.load(SAMPLE)
    for read in ({}, {"dtype": str, "keep_default_na": False}):
        season = dualmatch.Season.from_frames(**frames_of(SAMPLE, **read))
        assert season.counts == direct.counts
        for policy in ("max-fit", "stable"):
            a = season.match(policy=policy).placements
            b = direct.match(policy=policy).placements
            pd.testing.assert_frame_equal(a, b)
    # The sample has an outcomes.csv, so its placements carry trust.
    assert "trust" in direct.match().placements.columns


def test_a_generated_season_round_trips_through_frames():
    season = dualmatch.generate("tiny", seed=5)
    tables = season.tables()
    assert set(tables) >= set(NAMES)
    again = dualmatch.Season.from_frames(**tables)
    assert again.counts == season.counts
    pd.testing.assert_frame_equal(again.match().placements, season.match().placements)
    # ... and through frames with lists for the list columns.
    learners = tables["learners"].copy()
    learners["preferences"] = [[w for w in p.split(";") if w] for p in learners["preferences"]]
    tables["learners"] = learners
    pd.testing.assert_frame_equal(
        dualmatch.Season.from_frames(**tables).match().placements, season.match().placements
    )


def test_a_bad_frame_raises_season_error_with_its_line():
    frames = frames_of(SAMPLE)
    learners = frames["learners"].copy()
    learners["max_commute_km"] = learners["max_commute_km"].astype(object)
    learners.loc[7, "max_commute_km"] = "far"
    frames["learners"] = learners
    with pytest.raises(dualmatch.SeasonError) as err:
        dualmatch.Season.from_frames(**frames)
    errors = [p for p in err.value.problems if p.severity == "error"]
    assert [(p.file, p.line, p.field) for p in errors] == [("learners (DataFrame)", 9, "max_commute_km")]
    assert dualmatch.Season.validate_frames(**frames) == err.value.problems


def test_a_missing_column_and_a_missing_table_are_problems():
    frames = frames_of(SAMPLE)
    frames["schools"] = frames["schools"].drop(columns=["lat"])
    problems = dualmatch.Season.validate_frames(**{k: v for k, v in frames.items() if k != "programmes"})
    found = {(p.file, p.field) for p in problems if p.severity == "error"}
    assert ("schools (DataFrame)", "lat") in found
    assert any(p.file == "programmes" for p in problems if p.severity == "error")


def test_candidates_frame_is_used():
    season = dualmatch.load(SAMPLE)
    scored = season.match().placements
    candidates = scored[["learner", "workplace", "programme"]].copy()
    candidates["score"] = 50.0
    frames = frames_of(SAMPLE)
    supplied = dualmatch.Season.from_frames(**frames, candidates=candidates)
    r = supplied.match()
    assert r.candidate_source == "supplied"
    assert r.total_score == pytest.approx(50.0 * r.placed)
    assert set(r.placements["learner"]) <= set(candidates["learner"])
