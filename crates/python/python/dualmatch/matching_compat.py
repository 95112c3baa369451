"""A drop-in for the ``matching`` package's hospital-resident game.

>>> from dualmatch.matching_compat import HospitalResident
>>> game = HospitalResident.create_from_dictionaries(
...     {"A": ["C"], "S": ["C", "M"], "D": ["C", "M", "G"], "J": ["C", "G", "M"], "L": ["M", "C", "G"]},
...     {"M": ["D", "L", "S", "J"], "C": ["D", "A", "S", "L", "J"], "G": ["D", "J", "L"]},
...     {"M": 2, "C": 2, "G": 2},
... )
>>> game.solve()
{M: [L, S], C: [D, A], G: [J]}

The game and its answer are ``matching``'s (``HospitalResident`` 1.4):
``solve(optimal="resident" | "hospital")`` returns a dict-like matching from
each hospital to its residents (in the hospital's order of preference), and
keys and values are players with ``.name``, ``.prefs``, ``.matching`` (and
``.capacity`` for hospitals). The stable matching is computed by deferred
acceptance in Rust (``dualmatch_optimiser::hr``).

Acceptability: a pair is acceptable when the resident ranks the hospital and
the hospital ranks the resident (first of repeated entries). Lists that are
not reciprocated, and empty lists, are allowed: such entries are ignored,
with one warning that counts them. This is the game ``matching`` plays with
``clean=True``; with ``clean=False`` ``matching`` fails on such lists, while
this module gives the answer of the cleaned game. Names that are not
players raise ``KeyError``, as in ``matching``.
"""

from __future__ import annotations

import warnings
from typing import Any, Dict, Hashable, Iterable, List, Mapping, Optional, Sequence

from . import _dualmatch as _rs

__all__ = [
    "Hospital",
    "HospitalResident",
    "MatchingError",
    "MultipleMatching",
    "Player",
    "PreferencesChangedWarning",
]


class MatchingError(Exception):
    """A matching that is not valid; the problems are its attributes
    (``unacceptable_matches``, ``oversubscribed_hospitals``)."""

    def __init__(self, **kwargs: Any):
        for key, val in kwargs.items():
            setattr(self, key, val)
        self.message = kwargs
        super().__init__(self.message)


class PreferencesChangedWarning(UserWarning):
    """List entries were ignored (not reciprocated, repeated or empty lists)."""


class _Named:
    __slots__ = ("name", "_pref_names", "_prefs", "_lookup", "matching")

    def __init__(self, name: Hashable):
        self.name = name
        self._pref_names: Sequence[Hashable] = []
        self._prefs: Optional[List["_Named"]] = None
        self._lookup: Optional[Mapping[Hashable, "_Named"]] = None

    def __repr__(self) -> str:
        return str(self.name)

    def set_prefs(self, players: Sequence["_Named"]) -> None:
        """Set the player's preferences to a list of players."""
        self._prefs = list(players)
        self._pref_names = [p.name for p in players]

    @property
    def prefs(self) -> List["_Named"]:
        """The player's preferences, as players (resolved on first use)."""
        if self._prefs is None:
            lookup = self._lookup or {}
            self._prefs = [lookup[n] for n in self._pref_names]
        return self._prefs

    @property
    def pref_names(self) -> List[Hashable]:
        """The names in :attr:`prefs`."""
        return [p.name for p in self.prefs]

    def prefers(self, player: "_Named", other: "_Named") -> bool:
        """Whether this player ranks ``player`` above ``other``."""
        prefs = self.prefs
        return prefs.index(player) < prefs.index(other)


class Player(_Named):
    """A resident: ``.name``, ``.prefs`` (hospitals), ``.matching`` (a hospital or None)."""

    __slots__ = ()

    def __init__(self, name: Hashable):
        super().__init__(name)
        self.matching: Optional["Hospital"] = None


class Hospital(_Named):
    """A hospital: ``.name``, ``.capacity``, ``.prefs`` (residents), ``.matching`` (a list of residents)."""

    __slots__ = ("capacity", "_original_capacity")

    def __init__(self, name: Hashable, capacity: int):
        super().__init__(name)
        self.capacity = capacity
        self._original_capacity = capacity
        self.matching: List[Player] = []


class MultipleMatching(dict):
    """The answer: each hospital mapped to its residents (a dict)."""

    def __repr__(self) -> str:
        return "{" + ", ".join(f"{h!r}: {list(rs)!r}" for h, rs in self.items()) + "}"


class HospitalResident:
    """The hospital-resident game (HR) of ``matching``, solved in Rust."""

    def __init__(self, residents: Sequence[Player], hospitals: Sequence[Hospital], clean: bool = False):
        self.residents = list(residents)
        self.hospitals = list(hospitals)
        self.clean = clean
        self.matching: Optional[MultipleMatching] = None
        self.blocking_pairs: Optional[List[tuple]] = None
        self._r_index = {id(r): i for i, r in enumerate(self.residents)}
        self._h_index = {id(h): i for i, h in enumerate(self.hospitals)}
        self._game = None

    @classmethod
    def create_from_dictionaries(
        cls,
        resident_prefs: Mapping[Hashable, Iterable[Hashable]],
        hospital_prefs: Mapping[Hashable, Iterable[Hashable]],
        capacities: Mapping[Hashable, int],
        clean: bool = False,
    ) -> "HospitalResident":
        """A game from ``{resident: [hospital, ...]}``, ``{hospital: [resident,
        ...]}`` (best first) and ``{hospital: capacity}``."""
        residents = [Player(name) for name in resident_prefs]
        hospitals = [Hospital(name, capacities[name]) for name in hospital_prefs]
        r_by_name = {r.name: r for r in residents}
        h_by_name = {h.name: h for h in hospitals}
        r_at = {r.name: i for i, r in enumerate(residents)}
        h_at = {h.name: i for i, h in enumerate(hospitals)}
        r_lists = []
        for r in residents:
            names = list(resident_prefs[r.name])
            r._pref_names, r._lookup = names, h_by_name
            r_lists.append(list(map(h_at.__getitem__, names)))
        h_lists = []
        for h in hospitals:
            names = list(hospital_prefs[h.name])
            h._pref_names, h._lookup = names, r_by_name
            h_lists.append(list(map(r_at.__getitem__, names)))
        game = cls.__new__(cls)
        game.residents, game.hospitals, game.clean = residents, hospitals, clean
        game.matching, game.blocking_pairs = None, None
        game._r_index = {id(r): i for i, r in enumerate(residents)}
        game._h_index = {id(h): i for i, h in enumerate(hospitals)}
        game._game = _rs.HrGame(r_lists, h_lists, [h.capacity for h in hospitals])
        game._warn_ignored()
        return game

    def _warn_ignored(self) -> None:
        ignored = self._game.ignored()
        if ignored:
            warnings.warn(
                PreferencesChangedWarning(
                    f"{ignored} preference list entries are not reciprocated or are repeated; "
                    "they are ignored (only mutually ranked pairs are acceptable)"
                ),
                stacklevel=3,
            )

    def _rust_game(self):
        if self._game is None:
            h_at, r_at = self._h_index, self._r_index
            r_lists = [[h_at[id(h)] for h in r.prefs] for r in self.residents]
            h_lists = [[r_at[id(r)] for r in h.prefs] for h in self.hospitals]
            self._game = _rs.HrGame(r_lists, h_lists, [h.capacity for h in self.hospitals])
            self._warn_ignored()
        return self._game

    def solve(self, optimal: str = "resident") -> MultipleMatching:
        """The resident-optimal (``optimal="resident"``) or hospital-optimal
        (``"hospital"``) stable matching, as ``{hospital: [residents]}``."""
        game = self._rust_game()
        assigned = game.solve(optimal)
        held: List[List[Player]] = [[] for _ in self.hospitals]
        for r, h in zip(self.residents, assigned):
            if h is None:
                r.matching = None
            else:
                hospital = self.hospitals[h]
                r.matching = hospital
                held[h].append(r)
        matching = MultipleMatching()
        for h, rs in zip(self.hospitals, held):
            if len(rs) > 1:
                rank: Dict[int, int] = {}
                for k, r in enumerate(h.prefs):
                    rank.setdefault(id(r), k)
                rs.sort(key=lambda r: rank[id(r)])
            h.matching = rs
            matching[h] = rs
        self.matching = matching
        return matching

    def check_validity(self) -> bool:
        """True if every match is on both players' lists and no hospital is
        over capacity; otherwise raises :class:`MatchingError`."""
        unacceptable = []
        for r in self.residents:
            if r.matching is not None and r.matching not in r.prefs:
                unacceptable.append(_not_in_prefs(r, r.matching))
        for h in self.hospitals:
            for r in h.matching:
                if r not in h.prefs:
                    unacceptable.append(_not_in_prefs(h, r))
        oversubscribed = [
            f"{h} is matched to {h.matching} which is over their capacity of {h.capacity}."
            for h in self.hospitals
            if len(h.matching) > h.capacity
        ]
        if unacceptable or oversubscribed:
            raise MatchingError(unacceptable_matches=unacceptable, oversubscribed_hospitals=oversubscribed)
        return True

    def check_stability(self) -> bool:
        """True if no acceptable (resident, hospital) pair blocks the current
        matching; the pairs are left in ``blocking_pairs``."""
        h_at = self._h_index
        current = [None if r.matching is None else h_at[id(r.matching)] for r in self.residents]
        pairs = sorted(self._rust_game().blocking_pairs(current))
        self.blocking_pairs = [(self.residents[r], self.hospitals[h]) for r, h in pairs]
        return not self.blocking_pairs


def _not_in_prefs(player: _Named, other: _Named) -> str:
    return f"{player} is matched to {other} but they do not appear in their preference list: {player.prefs}."
