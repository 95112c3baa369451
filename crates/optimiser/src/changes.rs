//! `changes.csv`: the events of a season since an earlier run, for
//! re-matching (`event,learner,workplace,programme,seats`).

use dualmatch_core::dialect::Dialect;
use dualmatch_core::{GroupId, LearnerId, Season, WorkplaceId};

/// One line of `changes.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// The learner's agreement with the site ended; the learner needs another site.
    AgreementEnded(LearnerId, WorkplaceId),
    /// The learner left; their seat is freed.
    LearnerLeft(LearnerId),
    /// A new learner (also added to the season's learners).
    LearnerAdded(LearnerId),
    /// Seats added (positive) or withdrawn (negative) at a recognition.
    Seats(GroupId, i64),
}

/// Every problem in a changes file, each as `FILE:LINE: what is wrong`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.join("\n"))]
pub struct ChangesError(pub Vec<String>);

/// The events of `changes.csv`.
const EVENTS: [&str; 5] = ["agreement_ended", "learner_left", "learner_added", "seats_withdrawn", "seats_added"];

/// Parses `changes.csv` text against a season, reporting every problem with
/// its line. The delimiter (`,`, `;` or tab) is taken from the header line
/// ([`Dialect::sniff`]); decode the file with
/// [`dualmatch_core::dialect::decode_whole`] first.
pub fn parse(text: &str, file: &str, s: &Season) -> Result<Vec<Change>, ChangesError> {
    let text = text.trim_start_matches('\u{feff}');
    let dialect = Dialect::sniff(text.as_bytes(), &["event", "learner", "workplace", "programme", "seats"]);
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .delimiter(dialect.delimiter)
        .from_reader(text.as_bytes());
    let headers = rdr.headers().map_err(|e| ChangesError(vec![format!("{file}: {e}")]))?.clone();
    let col = |n: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(n));
    let Some(ev) = col("event") else {
        let names: Vec<&str> = headers.iter().collect();
        let close = dualmatch_core::season::closest_name("event", &names)
            .map(|c| format!(" (did you mean the header's {c:?}? rename it to \"event\")"))
            .unwrap_or_default();
        return Err(ChangesError(vec![format!(
            "{file}:1: no \"event\" column{close}; the header is event,learner,workplace,programme,seats"
        )]));
    };
    let (lc, wc, pc, sc) = (col("learner"), col("workplace"), col("programme"), col("seats"));
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2; // header is line 1; rows counted, so CRLF files number correctly
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("{file}:{line}: {e}"));
                continue;
            }
        };
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("").to_string();
        let learner = || {
            let id = get(lc);
            s.learner_by_id(&id)
                .ok_or_else(|| format!("{file}:{line}: learner: unknown learner {id:?}; use an id from learners.csv"))
        };
        let workplace = |id: String| {
            s.workplace_by_id(&id).ok_or_else(|| format!("{file}:{line}: workplace: unknown workplace {id:?}"))
        };
        let event = get(Some(ev)).to_ascii_lowercase();
        let change = match event.as_str() {
            "agreement_ended" => learner().and_then(|l| workplace(get(wc)).map(|w| Change::AgreementEnded(l, w))),
            "learner_left" => learner().map(Change::LearnerLeft),
            "learner_added" => learner().map(Change::LearnerAdded),
            "seats_withdrawn" | "seats_added" => workplace(get(wc)).and_then(|w| {
                let pid = get(pc);
                let p = s
                    .programme_by_id(&pid)
                    .ok_or_else(|| format!("{file}:{line}: programme: unknown programme {pid:?}"))?;
                let g = s.group_of(w, p).ok_or_else(|| {
                    format!(
                        "{file}:{line}: {} is not recognised for {pid}; add the recognition to recognitions.csv",
                        s.workplace(w).id
                    )
                })?;
                let n: i64 =
                    get(sc).parse().ok().filter(|n| *n >= 0).ok_or_else(|| {
                        format!("{file}:{line}: seats: {:?} is not a whole number of 0 or more", get(sc))
                    })?;
                Ok(Change::Seats(g, if event == "seats_added" { n } else { -n }))
            }),
            other => {
                let close = dualmatch_core::season::closest_name(other, &EVENTS)
                    .map(|e| format!("did you mean {e}? "))
                    .unwrap_or_default();
                Err(format!(
                    "{file}:{line}: event: {other:?} is not an event; {close}use agreement_ended, learner_left, learner_added, seats_withdrawn or seats_added"
                ))
            }
        };
        match change {
            Ok(c) => out.push(c),
            Err(p) => problems.push(p),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(ChangesError(problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn season() -> Season {
        let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/base");
        dualmatch_core::season::load(&base).unwrap().season
    }

    #[test]
    fn any_dialect_and_did_you_mean() {
        let s = season();
        let l01 = s.learner_by_id("L01").unwrap();
        // Semicolons, CRLF and a BOM, as Excel writes it.
        let text = "\u{feff}event;learner;workplace;programme;seats\r\nlearner_left;L01;;;\r\n";
        assert_eq!(parse(text, "c.csv", &s).unwrap(), vec![Change::LearnerLeft(l01)]);
        // Windows-1252 bytes decoded first, with tabs.
        let bytes = b"event\tlearner\tremark\nlearner_left\tL01\tcaf\xE9\n";
        let (text, enc) = dualmatch_core::dialect::decode_whole(bytes);
        assert_eq!(enc, dualmatch_core::dialect::Encoding::Windows1252);
        assert_eq!(parse(&text, "c.csv", &s).unwrap(), vec![Change::LearnerLeft(l01)]);
        // A misspelt event or column gets a "did you mean".
        let e = parse("event,learner\nlearner_lef,L01\n", "c.csv", &s).unwrap_err().to_string();
        assert!(e.contains("c.csv:2: event: \"learner_lef\" is not an event; did you mean learner_left?"), "{e}");
        let e = parse("events,learner\nlearner_left,L01\n", "c.csv", &s).unwrap_err().to_string();
        assert!(
            e.contains("no \"event\" column (did you mean the header's \"events\"? rename it to \"event\")"),
            "{e}"
        );
    }
}
