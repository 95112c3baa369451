"""dualmatch for Python: placement matching for dual learning.

Load a season (a CSV directory, a JSON file, a workbook, or pandas
DataFrames), match it under any policy, compare policies over seeds, and
re-match during the season; results come back as pandas DataFrames.
Everything runs in the Rust engine (the ``dualmatch`` crate's façade), with
the GIL released while it works; results are deterministic for a seed.

>>> import dualmatch
>>> season = dualmatch.load("data/sample")          # doctest: +SKIP
>>> result = season.match(policy="max-fit")          # doctest: +SKIP
>>> result.placements.head()                         # doctest: +SKIP

``dualmatch.matching_compat`` is a drop-in for the ``matching`` package's
hospital-resident game. See docs/python.md for a walk-through.
"""

from __future__ import annotations

import io
import json
import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

import pandas as pd

from . import _dualmatch as _rs
from ._dualmatch import InfeasibleError, Problem, SeasonError

__all__ = [
    "InfeasibleError",
    "Problem",
    "Rematch",
    "Result",
    "Season",
    "SeasonError",
    "compare",
    "generate",
    "load",
    "policies",
    "validate",
]

PathLike = Union[str, "os.PathLike[str]"]

#: The season's tables, in the order a season directory lists them.
TABLES = ("programmes", "schools", "learners", "workplaces", "recognitions", "candidates", "outcomes")

def policies() -> List[str]:
    """The names of the allocation policies (``max-fit``, ``stable``, ...)."""
    return list(_rs.policies())


def load(path: PathLike) -> "Season":
    """Read a season: a directory of CSV files, a JSON file or an ``.xlsx``
    workbook. Raises :class:`SeasonError` (with ``.problems``) if it has errors."""
    return Season(_rs.load(os.fspath(path)), name=os.fspath(path))


def generate(
    preset: str = "flanders",
    seed: int = 0,
    learners: Optional[int] = None,
    workplaces: Optional[int] = None,
    schools: Optional[int] = None,
) -> "Season":
    """A synthetic season, as ``dualmatch generate --preset PRESET --seed SEED``
    makes it (presets ``tiny``, ``flanders``, ``national``; counts may be changed)."""
    inner = _rs.generate(preset, seed, learners, workplaces, schools)
    return Season(inner, name=f"generated:{preset}:{seed}")


def validate(season: Union[PathLike, "Season"]) -> List[Problem]:
    """Every problem of a season at a path, errors and warnings, without raising.
    For a :class:`Season` already loaded: its warnings."""
    if isinstance(season, Season):
        return season.validate()
    return list(_rs.validate_path(os.fspath(season)))


def _cell_text(value: Any) -> Any:
    if isinstance(value, (list, tuple, set)):
        return ";".join(str(v) for v in value)
    return value


def _frame_csv(frame: pd.DataFrame) -> bytes:
    """A DataFrame as the CSV file of a season table: lists joined with
    ``;``, missing values as empty cells."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(_cell_text)
    return out.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _tables(frames: Mapping[str, Optional[pd.DataFrame]]) -> List[tuple]:
    tables = []
    for name in TABLES:
        frame = frames.get(name)
        if frame is None:
            continue
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"{name} must be a pandas DataFrame, not {type(frame).__name__}")
        tables.append((name, f"{name} (DataFrame)", _frame_csv(frame)))
    return tables


def _constraints(constraints: Union[None, PathLike, Mapping[str, Any]]):
    """(constraints.toml text, name in messages), or None."""
    if constraints is None:
        return None
    if isinstance(constraints, Mapping):
        return (_rs.constraints_toml(json.dumps(constraints)), "constraints (dict)")
    path = os.fspath(constraints)
    with open(path, encoding="utf-8") as f:
        return (f.read(), path)


class Season:
    """A validated season. Make one with :func:`load`, :func:`generate` or
    :meth:`Season.from_frames`."""

    def __init__(self, inner: "_rs._Season", name: str = "season"):
        self._inner = inner
        #: How the season is named in ``compare``'s ``season`` column.
        self.name = name

    @classmethod
    def load(cls, path: PathLike) -> "Season":
        """Same as :func:`dualmatch.load`."""
        return load(path)

    @classmethod
    def from_frames(
        cls,
        learners: pd.DataFrame,
        workplaces: pd.DataFrame,
        recognitions: pd.DataFrame,
        schools: pd.DataFrame,
        programmes: pd.DataFrame,
        candidates: Optional[pd.DataFrame] = None,
        name: str = "frames",
        outcomes: Optional[pd.DataFrame] = None,
    ) -> "Season":
        """A season from DataFrames with the columns of the CSV files
        (docs/format.md). Problems name the table as ``"learners (DataFrame)"``
        and the line as in its CSV form: the header is line 1, so the frame's
        first row is line 2. Raises :class:`SeasonError` if it has errors."""
        frames = dict(
            learners=learners,
            workplaces=workplaces,
            recognitions=recognitions,
            schools=schools,
            programmes=programmes,
            candidates=candidates,
            outcomes=outcomes,
        )
        return cls(_rs.from_csv_tables(_tables(frames)), name=name)

    @staticmethod
    def validate_frames(**frames: Optional[pd.DataFrame]) -> List[Problem]:
        """Every problem of a season given as DataFrames (the arguments of
        :meth:`from_frames`), without raising."""
        unknown = set(frames) - set(TABLES)
        if unknown:
            raise TypeError(f"unknown tables {sorted(unknown)}; the tables are {', '.join(TABLES)}")
        return list(_rs.validate_tables(_tables(frames)))

    def validate(self) -> List[Problem]:
        """The problems found loading this season. A season that loaded has no
        errors, so these are warnings; use :func:`dualmatch.validate` on a path
        or :meth:`validate_frames` to see the errors of a bad season."""
        return list(self._inner.warnings())

    @property
    def path(self) -> Optional[str]:
        """The path the season was read from, if any."""
        p = self._inner.path()
        return None if p is None else os.fspath(p)

    @property
    def counts(self) -> Dict[str, int]:
        """How many learners, workplaces, schools, programmes and recognitions."""
        keys = ("learners", "workplaces", "schools", "programmes", "recognitions")
        return dict(zip(keys, self._inner.counts()))

    def tables(self) -> Dict[str, pd.DataFrame]:
        """A generated season's tables as DataFrames (the CSV files
        ``dualmatch generate`` writes); ``from_frames`` reads them back."""
        tables = self._inner.tables()
        if tables is None:
            raise ValueError("tables() is for generated seasons; read a loaded season's files with pandas")
        return {name: pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False) for name, data in tables}

    def __repr__(self) -> str:
        c = self.counts
        return f"<dualmatch.Season {self.name!r}: {c['learners']} learners, {c['workplaces']} workplaces>"

    def explain(self, learner: str, top: int = 5) -> Dict[str, Any]:
        """Why learner ``learner`` gets the sites she gets (``dualmatch explain``):
        a dict with ``best`` (a DataFrame of the ``top`` best sites with the
        points each score component adds), ``rejected`` (the other sites by
        reason, in words), ``eligible``, ``recognised_sites`` and
        ``no_candidate`` (why there is none, if so). An unknown learner raises
        :class:`SeasonError`."""
        e = dict(self._inner.explain(learner, top))
        e["best"] = pd.DataFrame(e["best"])
        return e

    def match(
        self,
        policy: str = "max-fit",
        constraints: Union[None, PathLike, Mapping[str, Any]] = None,
        seed: int = 0,
        improve: bool = False,
        threads: Optional[int] = None,
    ) -> "Result":
        """Place the learners under ``policy`` (see :func:`policies`).
        ``constraints`` is a constraints.toml path or a dict of the same shape.
        Raises :class:`SeasonError` for bad constraints and
        :class:`InfeasibleError` when they cannot all be met."""
        inner = self._inner.solve(policy, seed, _constraints(constraints), improve, threads)
        return Result(inner, self)

    def compare(
        self,
        policies: Optional[Sequence[str]] = None,
        seeds: Iterable[int] = range(1),
        constraints: Union[None, PathLike, Mapping[str, Any]] = None,
        improve: bool = False,
        threads: Optional[int] = None,
    ) -> pd.DataFrame:
        """Policies side by side: a tidy frame with one row per policy × seed
        (a deterministic policy's one run is repeated for every seed, with
        ``randomised`` False), with the metrics of ``dualmatch compare``."""
        policies = list(policies) if policies is not None else _rs.policies()
        seeds = [int(s) for s in seeds]
        if not seeds:
            raise ValueError("seeds must name at least one seed")
        runs = json.loads(self._inner.compare(policies, seeds, _constraints(constraints), improve, threads))
        figure_names = list(_rs.compare_columns())
        rows = []
        for run in runs:
            row = {"season": self.name, "policy": run["policy"], "seed": run["seed"], "randomised": run["randomised"]}
            figures = run.get("figures")
            if figures is not None:
                row.update(dict(figures))
                row["error"] = None
            else:
                row.update({c: None for c in figure_names})
                row["error"] = run.get("error")
            row["runtime_s"] = run["runtime_s"]
            rows.append(row)
        columns = ["season", "policy", "seed", "randomised", *figure_names, "error", "runtime_s"]
        return pd.DataFrame(rows, columns=columns)

    def rematch(
        self,
        previous: Union["Result", PathLike],
        changes: Union[pd.DataFrame, PathLike],
        allow_moves: Optional[int] = None,
        objective: str = "max-fit",
        threads: Optional[int] = None,
    ) -> "Rematch":
        """Re-place the learners affected by ``changes`` (a changes.csv path or
        a DataFrame with its columns: event, learner, workplace, programme,
        seats), keeping every still-valid placement of ``previous`` (a
        :class:`Result` or a result directory), or moving at most
        ``allow_moves`` of them when that raises the total."""
        if isinstance(previous, Result):
            p = previous.placements
            prev = list(zip(p["learner"], p["workplace"], p["programme"]))
        else:
            prev = list(_rs.read_previous(os.fspath(previous)))
        if isinstance(changes, pd.DataFrame):
            change_text = (_frame_csv(changes).decode("utf-8"), "changes (DataFrame)")
        else:
            path = os.fspath(changes)
            with open(path, encoding="utf-8") as f:
                change_text = (f.read(), path)
        return Rematch(self._inner.rematch(prev, change_text, allow_moves, objective, threads))


def compare(
    seasons: Iterable["Season"],
    policies: Optional[Sequence[str]] = None,
    seeds: Iterable[int] = range(1),
    **options: Any,
) -> pd.DataFrame:
    """:meth:`Season.compare` over several seasons, in one tidy frame (one row
    per season × policy × seed)."""
    seeds = list(seeds)
    frames = [s.compare(policies=policies, seeds=seeds, **options) for s in seasons]
    return pd.concat(frames, ignore_index=True)


class _Outcome:
    """What a match and a re-match have in common."""

    def __init__(self, inner: Any):
        self._inner = inner
        self._placements: Optional[pd.DataFrame] = None
        self._unplaced: Optional[pd.DataFrame] = None

    @property
    def placements(self) -> pd.DataFrame:
        """One row per placed learner: learner, workplace, programme, school,
        score, distance_km, mentor (None at a site without mentors), days (at
        the workplace), and the score's components (readiness, location,
        capacity, partnership, preference; empty for supplied scores), and
        trust when the season has an outcomes.csv."""
        if self._placements is None:
            self._placements = pd.DataFrame(self._inner.placements())
        return self._placements.copy()

    @property
    def unplaced(self) -> pd.DataFrame:
        """One row per unplaced learner: learner, school, programme, reason."""
        if self._unplaced is None:
            self._unplaced = pd.DataFrame(self._inner.unplaced())
        return self._unplaced.copy()

    @property
    def placed(self) -> int:
        """How many learners are placed."""
        return self._inner.placed()

    @property
    def total_score(self) -> float:
        """The sum of the placed pairs' fit scores."""
        return self._inner.total_score()

    @property
    def proof(self) -> Optional[Dict[str, Any]]:
        """The proof of optimality (max-fit, max-placed, a re-match): method,
        bound, gap, components, largest_component, max_placeable; None otherwise."""
        return self._inner.proof()


class Result(_Outcome):
    """The result of :meth:`Season.match`."""

    def __init__(self, inner: "_rs._Run", season: Season):
        super().__init__(inner)
        #: The season it was made from.
        self.season = season
        self._metrics: Optional[Dict[str, Any]] = None
        self.policy, self.seed, self.improve = inner.options()

    @property
    def optimal(self) -> bool:
        """True for a proven optimum (max-fit and max-placed carry a proof)."""
        return self._inner.proof() is not None

    @property
    def metrics(self) -> Dict[str, Any]:
        """Every metric of ``dualmatch compare`` (rates by school and
        programme, rank profile, commute, fairness, stability)."""
        if self._metrics is None:
            self._metrics = json.loads(self._inner.metrics())
        return json.loads(json.dumps(self._metrics))

    @property
    def candidate_source(self) -> str:
        """``supplied`` (the season's candidates) or ``scored``."""
        return self._inner.candidate_source()

    def blocking_pairs(self) -> pd.DataFrame:
        """Every blocking pair (learner, workplace) under the stable reading:
        the learner prefers the site and the site would take her."""
        pairs = self._inner.blocking_pairs()
        return pd.DataFrame(pairs, columns=["learner", "workplace"])

    def to_dir(
        self,
        path: PathLike,
        force: bool = False,
        xlsx: bool = False,
        by_school: bool = False,
        advice: bool = True,
        rhythm_advice: bool = False,
    ) -> None:
        """Write the result directory ``dualmatch match`` writes (placements.csv,
        unplaced.csv, summary.json, report.html, seat values and advice for
        max-fit; results.xlsx and by-school/ when asked; the rhythm advice with
        ``rhythm_advice=True``, as ``--rhythm-advice``), atomically, by the
        command line's own writers. summary.json has no timings (as with
        ``--no-timings``). An existing ``path`` is replaced only with
        ``force=True`` and only if dualmatch wrote it."""
        self._inner.to_dir(os.fspath(path), force, xlsx, by_school, advice, rhythm_advice)

    def __repr__(self) -> str:
        return f"<dualmatch.Result {self.policy}: {self.placed} placed, total score {self.total_score:.2f}>"


class Rematch(_Outcome):
    """The result of :meth:`Season.rematch` (placements and unplaced learners
    after the changes, and the proof of the re-match)."""

    @property
    def changes(self) -> pd.DataFrame:
        """Every learner whose placement changed: learner, change (moved,
        gained, lost), workplace_before, workplace_after."""
        return pd.DataFrame(self._inner.changes())

    @property
    def kept(self) -> int:
        """Learners placed at the same site as before."""
        return self._inner.kept()

    @property
    def moves(self) -> Optional[Dict[str, Any]]:
        """With ``allow_moves``: limit, moves made, bound and gap."""
        m = self._inner.moves()
        return None if m is None else dict(zip(("limit", "moves", "bound", "gap"), m))
