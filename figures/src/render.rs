//! Records in, Markdown out: `docs/figures.md` and the README's headline table.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::{Build, Figure, Goal, Kind, Record, Scale, Section, Unit};

/// Marks the README's table, which is rendered, not written.
const BEGIN: &str =
    "<!-- figures:begin (rendered by scripts/figures.sh from docs/figures.md's records) -->";
const END: &str = "<!-- figures:end -->";

/// Which records a rendering accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The published page: bench timings from release builds at full size only.
    Full,
    /// A check that every bench ran and wrote a record (CI's small run).
    Small,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("cannot read the records in {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a figures record: {source}")]
    Parse { path: PathBuf, source: serde_json::Error },
    #[error("{record} was measured in a debug build; rerun it with cargo bench")]
    DebugBuild { record: String },
    #[error("{record} is a small run's record; small runs are not figures")]
    SmallScale { record: String },
    #[error("no record from {0}: it did not run, or did not finish")]
    Missing(String),
    #[error("the README has no `{BEGIN}` ... `{END}` block for the table")]
    NoMarkers,
}

/// Every record in `dir` (not in its subdirectories), sorted by name.
pub fn load(dir: &Path) -> Result<Vec<Record>, RenderError> {
    let read_error = |source| RenderError::Read { path: dir.to_owned(), source };
    let mut records = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_error)? {
        let path = entry.map_err(read_error)?.path();
        if path.extension().is_none_or(|e| e != "json") || !path.is_file() {
            continue;
        }
        let text = std::fs::read(&path)
            .map_err(|source| RenderError::Read { path: path.clone(), source })?;
        let record = serde_json::from_slice(&text)
            .map_err(|source| RenderError::Parse { path: path.clone(), source })?;
        records.push(record);
    }
    records.sort_by(|a: &Record, b| a.source.cmp(&b.source));
    Ok(records)
}

/// Fails unless every record in `expected` is among `records`, and (in [`Mode::Full`]) every
/// bench record is a full-size release run.
pub fn check(records: &[Record], expected: &[String], mode: Mode) -> Result<(), RenderError> {
    if let Some(missing) = expected.iter().find(|e| !records.iter().any(|r| &r.source == *e)) {
        return Err(RenderError::Missing(missing.clone()));
    }
    if mode == Mode::Full {
        for record in records.iter().filter(|r| r.kind == Kind::Bench) {
            let name = record.source.clone();
            if record.build == Build::Debug {
                return Err(RenderError::DebugBuild { record: name });
            }
            if record.scale == Scale::Small {
                return Err(RenderError::SmallScale { record: name });
            }
        }
    }
    Ok(())
}

/// The whole page: where each record came from, then every figure by section.
pub fn page(records: &[Record]) -> String {
    let mut out = String::from(
        "# Figures\n\n\
         <!-- Rendered by scripts/figures.sh from target/bench-results/*.json: change the \
         benches and tests that write them, not this page. -->\n\n\
         Every number on this page was written by the bench or test named beside it, on the \
         commit, date and machine its record gives; nothing here is typed by hand. \
         `scripts/figures.sh` reruns the benches and renders the page and the README's table \
         again. Ratios compare two measurements from the same run. A goal not met says **not \
         met**.\n\n## Records\n\n\
         | record | reproduce | date (UTC) | commit | cores | build |\n|---|---|---|---|---|---|\n",
    );
    for r in records {
        let build = match r.build {
            Build::Release => "release",
            Build::Debug => "debug",
        };
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} | {} | {build} |",
            r.source, r.command, r.date, r.commit, r.cores
        );
    }
    let mut sections: Vec<Section> =
        records.iter().flat_map(|r| r.figures.iter().map(|f| f.section)).collect();
    sections.sort_unstable();
    sections.dedup();
    for section in sections {
        let _ = write!(
            out,
            "\n## {}\n\n| figure | prompts | value | detail | goal | verdict | record |\n\
             |---|---|---|---|---|---|---|\n",
            section.title()
        );
        for (record, figure) in figures(records).filter(|(_, f)| f.section == section) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                cell(&figure.name),
                figure.prompts.map(thousands).unwrap_or_default(),
                show(figure.value, &figure.unit),
                cell(figure.detail.as_deref().unwrap_or_default()),
                figure.goal.map(|g| goal(g, &figure.unit)).unwrap_or_default(),
                verdict(figure),
                record.source,
            );
        }
    }
    out
}

/// The README's table: the headline figures, each with its verdict.
pub fn headline(records: &[Record]) -> String {
    let mut out =
        String::from("| figure | prompts | value | goal | verdict |\n|---|---|---|---|---|\n");
    for (_, figure) in figures(records).filter(|(_, f)| f.headline) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            cell(&figure.name),
            figure.prompts.map(thousands).unwrap_or_default(),
            show(figure.value, &figure.unit),
            figure.goal.map(|g| goal(g, &figure.unit)).unwrap_or_default(),
            verdict(figure),
        );
    }
    out
}

/// `readme` with the text between its figure markers replaced by `table`.
pub fn splice(readme: &str, table: &str) -> Result<String, RenderError> {
    let start = readme.find(BEGIN).ok_or(RenderError::NoMarkers)? + BEGIN.len();
    let end = start + readme[start..].find(END).ok_or(RenderError::NoMarkers)?;
    Ok(format!("{}\n{table}{}", &readme[..start], &readme[end..]))
}

fn figures(records: &[Record]) -> impl Iterator<Item = (&Record, &Figure)> {
    records.iter().flat_map(|r| r.figures.iter().map(move |f| (r, f)))
}

fn verdict(figure: &Figure) -> &'static str {
    match figure.goal {
        Some(goal) if goal.met(figure.value) => "met",
        Some(_) => "**not met**",
        None => "",
    }
}

fn goal(goal: Goal, unit: &Unit) -> String {
    match goal {
        Goal::AtMost(limit) => format!("≤ {}", show(limit, unit)),
        Goal::AtLeast(floor) => format!("≥ {}", show(floor, unit)),
    }
}

/// A value in its unit, to the precision a reader can use.
fn show(value: f64, unit: &Unit) -> String {
    match unit {
        Unit::Ms if value >= 1000.0 => format!("{:.2} s", value / 1e3),
        Unit::Ms if value >= 100.0 => format!("{value:.0} ms"),
        Unit::Ms if value >= 10.0 => format!("{value:.1} ms"),
        Unit::Ms => format!("{value:.2} ms"),
        Unit::Mb => format!("{value:.1} MB"),
        // Two decimals would show a ratio of a few thousandths as 0.00x.
        Unit::Ratio if value > 0.0 && value < 0.1 => format!("{value:.4}x"),
        Unit::Ratio => format!("{value:.2}x"),
        Unit::Count(noun) => format!("{} {noun}", thousands(value.round() as u64)),
        Unit::PerSecond(noun) => format!("{} {noun}/s", thousands(value.round() as u64)),
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (at, digit) in digits.chars().enumerate() {
        if at > 0 && (digits.len() - at).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Text safe inside a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(source: &str, build: Build, scale: Scale, figures: Vec<Figure>) -> Record {
        Record {
            source: source.into(),
            kind: Kind::Bench,
            command: format!("cargo bench --bench {source}"),
            date: "2026-12-02T21:00:00Z".into(),
            commit: "abc1234".into(),
            cores: 2,
            build,
            scale,
            figures,
        }
    }

    fn keystroke(ms: f64) -> Figure {
        Figure::new(Section::Search, "search: per keystroke", ms, Unit::Ms)
            .prompts(100_000)
            .detail("p95 4.3 ms")
            .goal(Goal::AtMost(8.0))
            .headline()
    }

    #[test]
    fn verdicts_follow_the_values() {
        let records = vec![record("search", Build::Release, Scale::Full, vec![keystroke(1.2)])];
        let page = page(&records);
        assert!(page.contains("| search: per keystroke | 100,000 | 1.20 ms | p95 4.3 ms | ≤ 8.00 ms | met | search |"), "{page}");
        let slow = vec![record("search", Build::Release, Scale::Full, vec![keystroke(9.5)])];
        assert!(headline(&slow).contains("| 9.50 ms | ≤ 8.00 ms | **not met** |"));
    }

    #[test]
    fn only_headline_figures_reach_the_readme() {
        let quiet = Figure::count(Section::Reliability, "token refreshes", 612, "refreshes");
        let records =
            vec![record("soak", Build::Debug, Scale::Full, vec![quiet.clone(), keystroke(1.2)])];
        let table = headline(&records);
        assert!(table.contains("search: per keystroke") && !table.contains("token refreshes"));
        assert!(page(&records).contains("| token refreshes |  | 612 refreshes |"));
    }

    #[test]
    fn a_published_page_takes_release_runs_at_full_size_only() {
        let debug = [record("search", Build::Debug, Scale::Full, vec![])];
        assert!(matches!(check(&debug, &[], Mode::Full), Err(RenderError::DebugBuild { .. })));
        assert!(check(&debug, &[], Mode::Small).is_ok());
        let small = [record("search", Build::Release, Scale::Small, vec![])];
        assert!(matches!(check(&small, &[], Mode::Full), Err(RenderError::SmallScale { .. })));
        let expected = ["search".to_owned(), "palette".to_owned()];
        assert!(matches!(
            check(&small, &expected, Mode::Small),
            Err(RenderError::Missing(name)) if name == "palette"
        ));
    }

    #[test]
    fn the_readme_table_is_replaced_between_its_markers_only() {
        let readme = format!("intro\n{BEGIN}\nold table\n{END}\nrest\n");
        let spliced = splice(&readme, "| new |\n").expect("markers");
        assert_eq!(spliced, format!("intro\n{BEGIN}\n| new |\n{END}\nrest\n"));
        assert!(matches!(splice("no markers", "x"), Err(RenderError::NoMarkers)));
    }

    #[test]
    fn values_read_as_people_write_them() {
        assert_eq!(show(2403.0, &Unit::Ms), "2.40 s");
        assert_eq!(show(278.4, &Unit::Ms), "278 ms");
        assert_eq!(show(0.331, &Unit::Ms), "0.33 ms");
        assert_eq!(show(1472.4, &Unit::PerSecond("pushes".into())), "1,472 pushes/s");
        assert_eq!(show(1_000_000.0, &Unit::Count("mutations".into())), "1,000,000 mutations");
        assert_eq!(show(0.0028, &Unit::Ratio), "0.0028x", "a small ratio is not shown as 0");
        assert_eq!(show(1.594, &Unit::Ratio), "1.59x");
        assert_eq!(cell("a | b\nc"), "a \\| b c");
    }

    #[test]
    fn records_round_trip_through_their_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let checkout = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut report = crate::Report::new(
            Kind::Bench,
            "search",
            "cargo bench --bench search",
            &dir.path().join("tmp"),
            checkout,
        );
        report.add(keystroke(1.2));
        let path = report.write().expect("writes");
        assert_eq!(path, dir.path().join("bench-results/search.json"));
        std::fs::write(dir.path().join("bench-results/notes.txt"), "not a record").expect("w");
        let records = load(&dir.path().join("bench-results")).expect("loads");
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].figures, vec![keystroke(1.2)]);
        assert_ne!(records[0].commit, "unknown", "run inside the repository");
        std::fs::write(dir.path().join("bench-results/bad.json"), "{").expect("w");
        assert!(matches!(
            load(&dir.path().join("bench-results")),
            Err(RenderError::Parse { path, .. }) if path.ends_with("bad.json")
        ));
    }
}
