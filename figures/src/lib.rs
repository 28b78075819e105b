//! The one source of Promptdeck's figures. Every bench, and every test that counts something
//! the README reports, writes a [`Record`] of its [`Figure`]s as JSON into
//! `target/bench-results/`; `figures render` turns those files into `docs/figures.md` and the
//! README's headline table, verdicts included, so no number is typed by hand.

mod render;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use render::{Mode, RenderError, check, headline, load, page, splice};

/// Where records go instead of `target/bench-results/` when set.
pub const DIR_ENV: &str = "PROMPTDECK_FIGURES_DIR";
/// `small` runs every bench at a size that takes seconds, as CI does to keep them working.
pub const SCALE_ENV: &str = "PROMPTDECK_BENCH_SCALE";

/// How big a bench run is. Small runs prove a bench still works; their numbers are not
/// figures and are kept apart, in `small/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    Full,
    Small,
}

impl Scale {
    pub fn from_env() -> Self {
        match std::env::var(SCALE_ENV).as_deref() {
            Ok("small") => Scale::Small,
            _ => Scale::Full,
        }
    }

    /// `full` in a full run, `small` in a small one.
    pub fn pick<T>(self, full: T, small: T) -> T {
        match self {
            Scale::Full => full,
            Scale::Small => small,
        }
    }
}

/// The build that produced a record: timings from a debug build are not figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Build {
    Release,
    Debug,
}

impl Build {
    /// The build this crate, and so the bench or test linking it, was compiled as.
    pub fn current() -> Self {
        if cfg!(debug_assertions) { Build::Debug } else { Build::Release }
    }
}

/// What made a record: a bench measures time and memory, a test counts what it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Bench,
    Test,
}

/// The page's sections, in the order they are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Section {
    Palette,
    Search,
    Start,
    Memory,
    Sync,
    Server,
    Reliability,
}

impl Section {
    pub fn title(self) -> &'static str {
        match self {
            Section::Palette => "Palette",
            Section::Search => "Search",
            Section::Start => "Cold start",
            Section::Memory => "Memory and CPU",
            Section::Sync => "Sync",
            Section::Server => "The sync server under load",
            Section::Reliability => "Reliability: what was tried and held",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Unit {
    Ms,
    Mb,
    /// One measurement over another, both from the same run.
    Ratio,
    /// How many of something (the noun): "refreshes", "requests held".
    Count(String),
    /// Something per second (the noun): "pushes".
    PerSecond(String),
}

/// A figure's target, from the issue that set it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Goal {
    AtMost(f64),
    AtLeast(f64),
}

impl Goal {
    pub fn met(self, value: f64) -> bool {
        match self {
            Goal::AtMost(limit) => value <= limit,
            Goal::AtLeast(floor) => value >= floor,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Figure {
    pub section: Section,
    /// What was measured, said so that it can be compared: what it includes, from where to where.
    pub name: String,
    pub value: f64,
    pub unit: Unit,
    /// The library's size, where the figure depends on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompts: Option<u64>,
    /// The spread and the sample count, or what else a reader needs ("p95 8.6 ms, 25 runs").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<Goal>,
    /// Shown in the README's table as well as on the page.
    #[serde(default)]
    pub headline: bool,
}

impl Figure {
    pub fn new(section: Section, name: impl Into<String>, value: f64, unit: Unit) -> Self {
        Figure {
            section,
            name: name.into(),
            value,
            unit,
            prompts: None,
            detail: None,
            goal: None,
            headline: false,
        }
    }

    pub fn ms(section: Section, name: impl Into<String>, took: Duration) -> Self {
        Figure::new(section, name, took.as_secs_f64() * 1e3, Unit::Ms)
    }

    pub fn mb(section: Section, name: impl Into<String>, bytes: u64) -> Self {
        Figure::new(section, name, bytes as f64 / 1e6, Unit::Mb)
    }

    pub fn count(section: Section, name: impl Into<String>, count: u64, noun: &str) -> Self {
        Figure::new(section, name, count as f64, Unit::Count(noun.into()))
    }

    pub fn prompts(mut self, prompts: usize) -> Self {
        self.prompts = Some(prompts as u64);
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn goal(mut self, goal: Goal) -> Self {
        self.goal = Some(goal);
        self
    }

    pub fn headline(mut self) -> Self {
        self.headline = true;
        self
    }
}

/// One bench's or test's figures, with what anyone needs to rerun and compare them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    /// The file's name without `.json`; unique among records.
    pub source: String,
    pub kind: Kind,
    /// The command that reproduces it.
    pub command: String,
    /// RFC 3339, UTC.
    pub date: String,
    /// `git describe`-style: the commit, `-dirty` when the tree had changes.
    pub commit: String,
    pub cores: usize,
    pub build: Build,
    pub scale: Scale,
    pub figures: Vec<Figure>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write figures to {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

/// A record being filled by a bench or test, written once it is done.
pub struct Report {
    record: Record,
    dir: PathBuf,
}

/// A [`Report`] for the calling bench or test target: `report!(Kind::Bench, "search",
/// "cargo bench --bench search")`. Its records go to `target/bench-results/`.
#[macro_export]
macro_rules! report {
    ($kind:expr, $source:expr, $command:expr) => {
        $crate::Report::new(
            $kind,
            $source,
            $command,
            ::std::path::Path::new(env!("CARGO_TARGET_TMPDIR")),
            ::std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
        )
    };
}

impl Report {
    /// `target_tmpdir` is Cargo's `target/tmp` for the calling target, `checkout` a directory
    /// inside the repository (for the commit).
    pub fn new(
        kind: Kind,
        source: &str,
        command: &str,
        target_tmpdir: &Path,
        checkout: &Path,
    ) -> Self {
        let scale = match kind {
            Kind::Bench => Scale::from_env(),
            Kind::Test => Scale::Full,
        };
        let mut dir = match std::env::var_os(DIR_ENV) {
            Some(dir) => PathBuf::from(dir),
            None => target_tmpdir.parent().unwrap_or(target_tmpdir).join("bench-results"),
        };
        if scale == Scale::Small {
            dir.push("small");
        }
        Report {
            record: Record {
                source: source.into(),
                kind,
                command: command.into(),
                date: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                commit: commit(checkout),
                cores: std::thread::available_parallelism().map_or(1, usize::from),
                build: Build::current(),
                scale,
                figures: Vec::new(),
            },
            dir,
        }
    }

    pub fn scale(&self) -> Scale {
        self.record.scale
    }

    pub fn add(&mut self, figure: Figure) {
        self.record.figures.push(figure);
    }

    /// Writes the record whole (to a temporary name, then renamed), so a reader never sees
    /// half of it; returns where.
    pub fn write(&self) -> Result<PathBuf, ReportError> {
        let path = self.dir.join(format!("{}.json", self.record.source));
        let partial = self.dir.join(format!(".{}.json.partial", self.record.source));
        let error = |source| ReportError::Write { path: path.clone(), source };
        std::fs::create_dir_all(&self.dir).map_err(error)?;
        let json = serde_json::to_vec_pretty(&self.record).expect("a record serialises");
        std::fs::write(&partial, json).map_err(error)?;
        std::fs::rename(&partial, &path).map_err(error)?;
        Ok(path)
    }
}

/// The checked-out commit, `-dirty` if the work tree differs from it, `unknown` outside git.
fn commit(checkout: &Path) -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(checkout)
            .args(args)
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    match git(&["rev-parse", "--short=7", "HEAD"]) {
        Some(commit) => match git(&["status", "--porcelain", "--untracked-files=no"]) {
            Some(changes) if !changes.is_empty() => format!("{commit}-dirty"),
            _ => commit,
        },
        None => "unknown".into(),
    }
}
