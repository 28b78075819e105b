//! `figures`: renders `docs/figures.md` and the README's headline table from the records the
//! benches and tests wrote. `scripts/figures.sh` runs the benches and then this.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use promptdeck_figures::{Mode, RenderError, check, headline, load, page, splice};

#[derive(Parser)]
#[command(about = "Render docs/figures.md and the README's table from bench and test records")]
struct Args {
    /// Where the records are.
    #[arg(long, default_value = "target/bench-results")]
    records: PathBuf,
    /// The page to write.
    #[arg(long)]
    page: Option<PathBuf>,
    /// The README whose figures block is replaced by the headline table.
    #[arg(long)]
    readme: Option<PathBuf>,
    /// Records that must be there (comma-separated): a bench that did not finish fails.
    #[arg(long, value_delimiter = ',')]
    expect: Vec<String>,
    /// Accept records from small runs and debug builds (proves the benches ran; writes nothing
    /// unless asked to).
    #[arg(long)]
    small: bool,
}

#[derive(Debug, thiserror::Error)]
enum Error {
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("figures: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), Error> {
    let records = load(&args.records)?;
    let mode = if args.small { Mode::Small } else { Mode::Full };
    check(&records, &args.expect, mode)?;
    let write = |path: &PathBuf, text: String| {
        std::fs::write(path, text).map_err(|source| Error::Write { path: path.clone(), source })
    };
    if let Some(path) = &args.page {
        write(path, page(&records))?;
    }
    if let Some(path) = &args.readme {
        let readme = std::fs::read_to_string(path)
            .map_err(|source| Error::Write { path: path.clone(), source })?;
        write(path, splice(&readme, &headline(&records))?)?;
    }
    eprintln!(
        "figures: {} records, {} figures",
        records.len(),
        records.iter().map(|r| r.figures.len()).sum::<usize>()
    );
    Ok(())
}
