//! `dualmatch._dualmatch`: the compiled half of the Python package
//! `dualmatch`. It is a door onto the engine façade (the `dualmatch` crate)
//! and holds no domain logic: seasons are loaded and validated by the
//! façade's core, solved, compared and re-matched by its `Engine`, result
//! directories are written by the command line's own writers
//! (`dualmatch_cli::write_match_result`), and the `matching`-compatible
//! game is the optimiser's `hr` module. The Python half
//! (`python/dualmatch/`) turns the columns returned here into pandas
//! DataFrames.
//!
//! Every long computation runs with the GIL released (`Python::detach`).
#![deny(missing_docs)]

mod compat;
mod errors;
mod run;
mod season;

use pyo3::prelude::*;

/// The compiled module.
#[pymodule]
fn _dualmatch(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("SeasonError", py.get_type::<errors::SeasonError>())?;
    m.add("InfeasibleError", py.get_type::<errors::InfeasibleError>())?;
    m.add_class::<errors::Problem>()?;
    m.add_class::<season::PySeason>()?;
    m.add_class::<run::PyRun>()?;
    m.add_class::<run::PyRematch>()?;
    m.add_class::<compat::HrGame>()?;
    m.add_function(wrap_pyfunction!(season::load, m)?)?;
    m.add_function(wrap_pyfunction!(season::from_csv_tables, m)?)?;
    m.add_function(wrap_pyfunction!(season::generate, m)?)?;
    m.add_function(wrap_pyfunction!(season::validate_path, m)?)?;
    m.add_function(wrap_pyfunction!(season::validate_tables, m)?)?;
    m.add_function(wrap_pyfunction!(season::policies, m)?)?;
    m.add_function(wrap_pyfunction!(season::read_previous, m)?)?;
    m.add_function(wrap_pyfunction!(season::compare_columns, m)?)?;
    m.add_function(wrap_pyfunction!(season::constraints_toml, m)?)?;
    Ok(())
}
