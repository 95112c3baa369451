"""Loading, matching and writing results, checked against the command line."""

import csv
import json
import threading
import time

import pytest

import dualmatch
from conftest import SAMPLE

PROVEN = {"max-fit", "max-placed"}


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def pairs(rows):
    return sorted((r["learner"], r["workplace"], r["programme"], r["school"]) for r in rows)


@pytest.fixture(scope="module")
def sample():
    return dualmatch.load(SAMPLE)


@pytest.mark.parametrize("policy", dualmatch.policies())
def test_every_policy_places_as_the_cli_does(sample, cli, tmp_path, policy):
    out = tmp_path / "out"
    cli("match", SAMPLE, "--out", out, "--policy", policy, "--seed", 7, "--no-timings")
    result = sample.match(policy=policy, seed=7)
    p = result.placements
    assert pairs(p.to_dict("records")) == pairs(read_csv(out / "placements.csv"))
    summary = json.loads((out / "summary.json").read_text())
    assert result.placed == summary["placed"] == len(p)
    assert result.total_score == pytest.approx(summary["total_score"], abs=1e-9)
    assert result.optimal == summary["optimal"]
    assert result.optimal or policy not in PROVEN
    assert p["learner"].is_unique
    assert result.placed + len(result.unplaced) == sample.counts["learners"]
    assert set(p.columns) >= {"learner", "workplace", "programme", "school", "score", "distance_km"}
    assert set(result.unplaced.columns) >= {"learner", "reason"}
    if result.optimal:
        assert result.proof["gap"] == pytest.approx(0, abs=1e-6)
    else:
        assert result.proof is None


def test_the_readme_check_prints_the_cli_count(cli, tmp_path):
    out = tmp_path / "out"
    cli("match", SAMPLE, "--out", out)
    summary = json.loads((out / "summary.json").read_text())
    assert dualmatch.load(str(SAMPLE)).match().placed == summary["placed"]


def test_to_dir_writes_the_files_of_the_cli(sample, cli, tmp_path):
    out = tmp_path / "cli"
    cli("match", SAMPLE, "--out", out, "--no-timings")
    mine = tmp_path / "py"
    sample.match().to_dir(mine)
    names = sorted(p.name for p in out.iterdir())
    assert sorted(p.name for p in mine.iterdir()) == names
    assert "placements.csv" in names and "summary.json" in names
    for name in names:
        if name.endswith((".csv", ".json", ".html")) and not name.startswith("."):
            assert (mine / name).read_bytes() == (out / name).read_bytes(), name
    with pytest.raises(OSError):
        sample.match().to_dir(mine)  # exists: refused without force
    sample.match(policy="stable").to_dir(mine, force=True)
    assert json.loads((mine / "summary.json").read_text())["policy"] == "stable"


def test_to_dir_never_writes_over_the_season(sample):
    with pytest.raises(OSError):
        sample.match().to_dir(SAMPLE, force=True)
    assert (SAMPLE / "learners.csv").exists()


def test_results_are_deterministic_for_a_seed(sample):
    a = sample.match(policy="random-serial", seed=11)
    b = sample.match(policy="random-serial", seed=11, threads=1)
    assert a.placements.equals(b.placements)
    # Another seed draws another lottery (checked so the test can fail).
    others = [sample.match(policy="random-serial", seed=s).placements for s in range(12, 15)]
    assert any(not a.placements.equals(o) for o in others)


def test_a_bad_season_raises_season_error_with_lines(sample_copy):
    learners = sample_copy / "learners.csv"
    lines = learners.read_text(encoding="utf-8").splitlines()
    cells = lines[4].split(",")
    cells[6] = "very"  # readiness of the learner on line 5
    lines[4] = ",".join(cells)
    learners.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(dualmatch.SeasonError) as err:
        dualmatch.load(sample_copy)
    assert isinstance(err.value, ValueError)
    errors = [p for p in err.value.problems if p.severity == "error"]
    assert [(p.file.endswith("learners.csv"), p.line, p.field) for p in errors] == [(True, 5, "readiness")]
    assert errors[0].message
    assert dualmatch.validate(sample_copy) == err.value.problems


def test_a_missing_season_raises_season_error(tmp_path):
    with pytest.raises(dualmatch.SeasonError) as err:
        dualmatch.load(tmp_path / "nothing")
    assert err.value.problems[0].file.endswith("nothing")


def test_bad_constraints_raise_season_error(sample, tmp_path):
    path = tmp_path / "constraints.toml"
    path.write_text('[[school]]\nschool = "S01"\nprogramme = "P01"\nmax = "many"\n')
    with pytest.raises(dualmatch.SeasonError) as err:
        sample.match(constraints=path)
    assert err.value.problems and err.value.problems[0].file == str(path)
    assert err.value.problems[0].line is not None


def test_constraints_as_a_dict_or_a_file_agree(sample, cli, tmp_path):
    text = '[[school]]\nschool = "S01"\nprogramme = "P13"\nmax = 0\n'
    path = tmp_path / "constraints.toml"
    path.write_text(text)
    by_dict = sample.match(constraints={"school": [{"school": "S01", "programme": "P13", "max": 0}]})
    by_file = sample.match(constraints=path)
    assert by_dict.placements.equals(by_file.placements)
    p = by_dict.placements
    assert not ((p["school"] == "S01") & (p["programme"] == "P13")).any()
    base = sample.match().placements
    assert ((base["school"] == "S01") & (base["programme"] == "P13")).any()
    out = tmp_path / "out"
    cli("match", SAMPLE, "--out", out, "--constraints", path)
    assert pairs(p.to_dict("records")) == pairs(read_csv(out / "placements.csv"))


def test_unmet_floors_raise_infeasible_error(sample):
    floors = {"school": [{"school": "S01", "programme": "P13", "min": 10_000}]}
    with pytest.raises(dualmatch.InfeasibleError) as err:
        sample.match(constraints=floors)
    assert err.value.conflicts


def test_blocking_pairs_count_as_the_metrics(sample):
    greedy = sample.match(policy="greedy")
    pairs_ = greedy.blocking_pairs()
    assert list(pairs_.columns) == ["learner", "workplace"]
    assert len(pairs_) == greedy.metrics["blocking_pairs"] > 0
    assert len(sample.match(policy="stable").blocking_pairs()) == 0


def test_metrics_have_the_compare_figures(sample):
    m = sample.match().metrics
    assert m["placed"] == sample.match().placed
    assert {"rank", "commute_km", "fairness", "blocking_pairs", "by_school"} <= set(m)


def test_the_gil_is_released_while_solving():
    season = dualmatch.generate("flanders", seed=3)
    window = {}

    def solve():
        window["start"] = time.perf_counter()
        season.match(policy="max-fit")
        window["end"] = time.perf_counter()

    worker = threading.Thread(target=solve)
    ticks = []
    worker.start()
    while worker.is_alive():
        ticks.append(time.perf_counter())
    worker.join()
    start, end = window["start"], window["end"]
    inside = [t for t in ticks if start < t < end]
    # This thread ran Python code throughout the solve, which it could not
    # do if the solve held the GIL (it would run in one switch interval at most).
    assert inside and inside[-1] - inside[0] > 0.5 * (end - start) > 0


def test_explain_says_what_the_cli_says(sample, cli):
    import re

    text = cli("explain", SAMPLE, "--learner", "L000001").stdout + cli("explain", SAMPLE, "--learner", "L000001").stderr
    e = sample.explain("L000001", top=5)
    assert e["best"]["workplace"].tolist() == re.findall(r"^\s+\d+\. (W\d+)", text, re.M)
    assert f"; {e['eligible']} eligible" in text
    assert e["rejected"] and all(r in text for r in e["rejected"])
    points = e["best"].filter(like="_points").sum(axis=1)
    assert (abs(points - e["best"]["score"]) < 1e-6).all()
    with pytest.raises(dualmatch.SeasonError):
        sample.explain("NOBODY")
