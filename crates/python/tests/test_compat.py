"""dualmatch.matching_compat against the `matching` package (a test
dependency only): the same stable matching, pair for pair."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matching.games import HospitalResident as Reference

from dualmatch.matching_compat import HospitalResident, MatchingError


def answer(matching):
    """{hospital name: [resident names, in the hospital's order]}, empty lists left out."""
    return {h.name: [r.name for r in rs] for h, rs in matching.items() if rs}


def reference(resident_prefs, hospital_prefs, capacities, optimal, clean=True):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        game = Reference.create_from_dictionaries(resident_prefs, hospital_prefs, capacities, clean=clean)
        return answer(game.solve(optimal=optimal))


def ours(resident_prefs, hospital_prefs, capacities, optimal):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        game = HospitalResident.create_from_dictionaries(resident_prefs, hospital_prefs, capacities)
    result = game.solve(optimal=optimal)
    assert game.check_validity()
    assert game.check_stability()
    return answer(result)


@st.composite
def games(draw):
    """Random games: incomplete and asymmetric lists (not reciprocated),
    more residents than places and the reverse, capacities 1 to 5,
    residents (and hospitals) with empty lists."""
    n_res = draw(st.integers(1, 12))
    n_hosp = draw(st.integers(1, 6))
    residents = [f"r{i}" for i in range(n_res)]
    hospitals = [f"h{j}" for j in range(n_hosp)]
    resident_prefs = {r: draw(st.permutations(hospitals).flatmap(lambda p: st.integers(0, len(p)).map(lambda k: p[:k]))) for r in residents}
    hospital_prefs = {h: draw(st.permutations(residents).flatmap(lambda p: st.integers(0, len(p)).map(lambda k: p[:k]))) for h in hospitals}
    capacities = {h: draw(st.integers(1, 5)) for h in hospitals}
    return resident_prefs, hospital_prefs, capacities


@settings(max_examples=400, deadline=None)
@given(games(), st.sampled_from(["resident", "hospital"]))
def test_the_same_matching_as_matching(game, optimal):
    assert ours(*game, optimal) == reference(*game, optimal)


@settings(max_examples=200, deadline=None)
@given(games())
def test_mutually_ranked_games_need_no_cleaning(game):
    """Lists made mutual beforehand: `matching` without cleaning agrees too."""
    resident_prefs, hospital_prefs, capacities = game
    resident_prefs = {r: [h for h in hs if r in hospital_prefs[h]] for r, hs in resident_prefs.items()}
    hospital_prefs = {h: [r for r in rs if h in resident_prefs[r]] for h, rs in hospital_prefs.items()}
    resident_prefs = {r: hs for r, hs in resident_prefs.items() if hs}
    hospital_prefs = {h: [r for r in rs if r in resident_prefs] for h, rs in hospital_prefs.items()}
    hospital_prefs = {h: rs for h, rs in hospital_prefs.items() if rs}
    resident_prefs = {r: [h for h in hs if h in hospital_prefs] for r, hs in resident_prefs.items()}
    resident_prefs = {r: hs for r, hs in resident_prefs.items() if hs}
    for optimal in ("resident", "hospital"):
        assert ours(resident_prefs, hospital_prefs, capacities, optimal) == reference(
            resident_prefs, hospital_prefs, capacities, optimal, clean=False
        )


README_GAME = (
    {"A": ["C"], "S": ["C", "M"], "D": ["C", "M", "G"], "J": ["C", "G", "M"], "L": ["M", "C", "G"]},
    {"M": ["D", "L", "S", "J"], "C": ["D", "A", "S", "L", "J"], "G": ["D", "J", "L"]},
    {"M": 2, "C": 2, "G": 2},
)


def test_the_documentation_example():
    game = HospitalResident.create_from_dictionaries(*README_GAME)
    result = game.solve()
    assert repr(result) == "{M: [L, S], C: [D, A], G: [J]}"
    assert answer(result) == reference(*README_GAME, "resident", clean=False)
    assert answer(game.solve(optimal="hospital")) == reference(*README_GAME, "hospital", clean=False)
    hospital = next(iter(result))
    assert hospital.name == "M" and hospital.capacity == 2
    assert [r.name for r in result[hospital]] == ["L", "S"]
    assert result[hospital][0].matching is hospital


def test_the_performance_example_with_numpy_lists():
    prng = np.random.default_rng(0)
    num_residents, num_hospitals = 400, 20
    resident_prefs = {r: np.argsort(prng.random(size=num_hospitals)) for r in range(num_residents)}
    hospital_prefs = {h: np.argsort(prng.random(size=num_residents)) for h in range(num_hospitals)}
    capacities = {h: num_hospitals for h in hospital_prefs}
    for optimal in ("resident", "hospital"):
        assert ours(resident_prefs, hospital_prefs, capacities, optimal) == reference(
            resident_prefs, hospital_prefs, capacities, optimal, clean=False
        )


def test_a_resident_who_ranks_no_hospital():
    resident_prefs = {"A": [], "B": ["X"], "C": ["X"]}
    hospital_prefs = {"X": ["C", "A", "B"]}
    capacities = {"X": 1}
    with pytest.warns(UserWarning):
        game = HospitalResident.create_from_dictionaries(resident_prefs, hospital_prefs, capacities)
    result = game.solve()
    assert answer(result) == {"X": ["C"]} == reference(resident_prefs, hospital_prefs, capacities, "resident")
    assert game.residents[0].matching is None


def test_unknown_names_raise_key_error_as_in_matching():
    with pytest.raises(KeyError):
        HospitalResident.create_from_dictionaries({"A": ["nowhere"]}, {"X": ["A"]}, {"X": 1})


def test_check_stability_finds_the_blocking_pairs_of_matching():
    game = HospitalResident.create_from_dictionaries(*README_GAME)
    ref = Reference.create_from_dictionaries(*README_GAME)
    for g in (game, ref):
        result = g.solve()
        hospital = next(h for h in result if h.name == "G")
        resident = hospital.matching[0]
        resident.matching = None
        hospital.matching = []
        assert g.check_stability() is False
    names = lambda g: sorted((r.name, h.name) for r, h in g.blocking_pairs)
    assert names(game) == names(ref) and names(game)


def test_check_validity_reports_oversubscription():
    game = HospitalResident.create_from_dictionaries(*README_GAME)
    result = game.solve()
    hospital = next(h for h in result if h.name == "G")
    extra = [r for r in game.residents if r.name in ("A", "S")]
    hospital.matching = hospital.matching + extra
    for r in extra:
        r.matching = hospital
    with pytest.raises(MatchingError) as err:
        game.check_validity()
    assert err.value.oversubscribed_hospitals and err.value.unacceptable_matches


def test_optimal_must_be_a_side():
    game = HospitalResident.create_from_dictionaries(*README_GAME)
    with pytest.raises(ValueError):
        game.solve(optimal="both")


@pytest.mark.parametrize(
    "game, expected",
    [
        # Groups choosing topics (matching's issue 67): a popular topic fills
        # with its two favourites, two topics stay empty.
        (
            (
                {"g1": ["law", "privacy"], "g2": ["privacy", "ethics"], "g3": ["privacy", "media"]},
                {"ethics": ["g2"], "law": ["g1"], "privacy": ["g3", "g2", "g1"], "media": ["g3"]},
                {"ethics": 2, "law": 2, "privacy": 2, "media": 2},
            ),
            {"law": ["g1"], "privacy": ["g3", "g2"]},
        ),
        # A resident who loses every hospital during the algorithm.
        (({"a": ["x"], "b": ["x", "y"]}, {"x": ["b", "a"], "y": ["b"]}, {"x": 1, "y": 1}), {"x": ["b"]}),
    ],
)
def test_the_examples_of_matchings_test_suite(game, expected):
    for optimal in ("resident", "hospital"):
        assert ours(*game, optimal) == reference(*game, optimal, clean=False)
    assert ours(*game, "resident") == expected
