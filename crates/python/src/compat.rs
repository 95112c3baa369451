//! The hospital–resident game of the `matching` package, solved by the
//! optimiser's [`dualmatch::optimiser::hr`]; the Python half
//! (`dualmatch.matching_compat`) maps names to indices and back.

use dualmatch::optimiser::hr::{Game, Optimal};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// A game over indices: residents' lists of hospitals, hospitals' lists of
/// residents, capacities.
#[pyclass(frozen, module = "dualmatch")]
pub struct HrGame {
    game: Game,
}

#[pymethods]
impl HrGame {
    #[new]
    fn new(py: Python<'_>, resident_prefs: Vec<Vec<u32>>, hospital_prefs: Vec<Vec<u32>>, capacities: Vec<i64>) -> Self {
        let capacities: Vec<u32> = capacities.iter().map(|&c| c.clamp(0, u32::MAX as i64) as u32).collect();
        let game = py.detach(|| Game::new(&resident_prefs, &hospital_prefs, &capacities));
        Self { game }
    }

    /// List entries ignored: repeated, or not ranked back.
    fn ignored(&self) -> usize {
        self.game.ignored()
    }

    /// Each resident's hospital in the `optimal` ("resident" or "hospital") stable matching.
    fn solve(&self, py: Python<'_>, optimal: &str) -> PyResult<Vec<Option<u32>>> {
        let side = match optimal {
            "resident" => Optimal::Resident,
            "hospital" => Optimal::Hospital,
            other => {
                return Err(PyValueError::new_err(format!(
                    "optimal must be \"resident\" or \"hospital\", not {other:?}"
                )))
            }
        };
        Ok(py.detach(|| self.game.solve(side)))
    }

    /// The blocking pairs (resident, hospital) of a matching (each resident's hospital).
    fn blocking_pairs(&self, py: Python<'_>, matching: Vec<Option<u32>>) -> Vec<(u32, u32)> {
        py.detach(|| self.game.blocking_pairs(&matching))
    }
}
