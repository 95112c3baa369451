//! `dualmatch generate`: write a synthetic season.

use std::process::ExitCode;

use dualmatch_core::synth::{self, Preset, SynthParams};

use crate::args::{GenerateArgs, Global, PresetArg, SeasonFormat};
use crate::exit::{self, usage};
use crate::output::{OutFile, StagedDir};

/// Where a season goes: a CSV directory, a directory of seasons
/// (`--scenario`) or one JSON file.
enum Out {
    Dir(StagedDir),
    Sweep(StagedDir),
    File(OutFile),
}

/// Runs the command.
pub fn run(args: GenerateArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let preset = match args.preset {
        PresetArg::Tiny => Preset::Tiny,
        PresetArg::Flanders => Preset::Flanders,
        PresetArg::National => Preset::National,
    };
    let mut params = SynthParams::preset(preset, args.seed);
    for (value, slot, name) in [
        (args.learners, &mut params.learners, "--learners"),
        (args.workplaces, &mut params.workplaces, "--workplaces"),
        (args.schools, &mut params.schools, "--schools"),
    ] {
        if let Some(v) = value {
            if v == 0 {
                return Err(usage(format!("{name} must be at least 1")));
            }
            *slot = v;
        }
    }
    // Checked and created before any work: a bad or unwritable --out fails now.
    let out = match (args.format, args.scenario) {
        (SeasonFormat::Json, true) => {
            return Err(usage("--scenario writes CSV directories; leave out --format json"));
        }
        (SeasonFormat::Csv, true) => Out::Sweep(StagedDir::new(&args.out, args.force, "generate", &[])?),
        (SeasonFormat::Csv, false) => Out::Dir(StagedDir::new(&args.out, args.force, "generate", &[])?),
        (SeasonFormat::Json, false) => Out::File(OutFile::new(&args.out, args.force, &[])?),
    };
    let doc = match out {
        Out::Sweep(dir) => {
            let sweep =
                synth::scenarios(&params, &args.scarcity, &args.school_counts).map_err(|e| usage(e.to_string()))?;
            for (name, doc) in &sweep {
                for table in doc.tables() {
                    dir.write(&format!("{name}/{}", table.file_name()), |w| doc.write_csv_table(table, w))?;
                }
            }
            dir.commit()?;
            if !global.quiet {
                let names: Vec<&str> = sweep.iter().map(|(n, _)| n.as_str()).collect();
                eprintln!("wrote {} seasons to {}: {}", sweep.len(), args.out.display(), names.join(", "));
            }
            return Ok(ExitCode::from(exit::OK));
        }
        Out::Dir(dir) => {
            let doc = generate(&params, &args);
            for table in doc.tables() {
                dir.write(&table.file_name(), |w| doc.write_csv_table(table, w))?;
            }
            dir.commit()?;
            doc
        }
        Out::File(file) => {
            let doc = generate(&params, &args);
            file.write(|w| doc.write_json(w))?;
            doc
        }
    };
    if !global.quiet {
        eprintln!(
            "wrote {} ({} learners, {} workplace sites, {} recognitions, {} programmes, {} schools)",
            args.out.display(),
            doc.learners.len(),
            doc.workplaces.len(),
            doc.recognitions.len(),
            doc.programmes.len(),
            doc.schools.len()
        );
        if let Some(rows) = &doc.outcomes {
            eprintln!("with outcomes.csv: {} agreements of {} past seasons", rows.len(), args.outcomes.unwrap_or(0));
        }
    }
    Ok(ExitCode::from(exit::OK))
}

/// The generated season with mentors and rhythms (`--mentors`,
/// `--rhythms`) and the outcomes of past seasons (`--outcomes N`) when asked
/// for; each from its own seeded stream, so the other tables stay the same.
fn generate(params: &SynthParams, args: &GenerateArgs) -> dualmatch_core::season::SeasonDoc {
    let mut doc = synth::generate(params);
    if args.rhythms {
        synth::add_rhythms(&mut doc, args.seed);
    }
    if args.mentors {
        synth::add_mentors(&mut doc, args.seed);
    }
    if let Some(n) = args.outcomes {
        doc.outcomes = Some(synth::past_outcomes(&doc, params.seed, n as usize));
    }
    doc
}
