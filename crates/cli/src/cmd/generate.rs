//! `dualmatch generate`: write a synthetic season.

use std::process::ExitCode;

use dualmatch_core::season::SeasonDoc;
use dualmatch_core::synth::{self, Preset, SynthParams};

use crate::args::{GenerateArgs, Global, PresetArg, SeasonFormat};
use crate::exit::{self, usage};
use crate::output::{self, StagedDir};

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
    match args.format {
        SeasonFormat::Csv => output::check_overwrite(&args.out, args.force)?,
        SeasonFormat::Json => {
            output::check_overwrite(&args.out, args.force)?;
            if args.out.is_dir() {
                return Err(usage(format!("{} is a directory; --format json writes one file", args.out.display())));
            }
        }
    }
    if args.scenario {
        if args.format == SeasonFormat::Json {
            return Err(usage("--scenario writes CSV directories; leave out --format json"));
        }
        let sweep = synth::scenarios(&params, &args.scarcity, &args.school_counts).map_err(|e| usage(e.to_string()))?;
        let dir = StagedDir::new(&args.out, args.force)?;
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
    let doc = synth::generate(&params);
    match args.format {
        SeasonFormat::Csv => write_csv_dir(&doc, &args)?,
        SeasonFormat::Json => output::write_file_atomic(&args.out, |w| doc.write_json(w))?,
    }
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
    }
    Ok(ExitCode::from(exit::OK))
}

fn write_csv_dir(doc: &SeasonDoc, args: &GenerateArgs) -> anyhow::Result<()> {
    let dir = StagedDir::new(&args.out, args.force)?;
    for table in doc.tables() {
        dir.write(&table.file_name(), |w| doc.write_csv_table(table, w))?;
    }
    dir.commit()?;
    Ok(())
}
