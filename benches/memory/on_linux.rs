//! The memory bench's body; `benches/memory.rs` says what it measures.

#[path = "../support/corpus.rs"]
mod corpus;
#[path = "../support/tools.rs"]
mod tools;
#[path = "../support/xvfb.rs"]
mod xvfb;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use promptdeck_figures::{Figure, Goal, Kind, Section, Unit, report};

/// The app itself, not the command line that hands over to it: heaptrack follows the
/// program it starts, and the code counted is this file's.
const BIN: &str = env!("CARGO_BIN_EXE_promptdeck-app");

/// The two ways Promptdeck runs.
#[derive(Clone, Copy)]
enum Process {
    /// As people run it: windows, hotkeys, the palette made and hidden.
    App,
    /// `--headless`: the runtime and its socket only.
    Headless,
}

impl Process {
    fn name(self) -> &'static str {
        match self {
            Process::App => {
                "the app as people run it (Xvfb, windows closed, the palette made and hidden, hotkeys live)"
            }
            Process::Headless => "the headless runtime (no window, tray or hotkeys)",
        }
    }

    /// The command that starts it on the profile `data_dir`; under heaptrack, recording to
    /// `heaptrack_file`, when that is given.
    fn command(self, data_dir: &Path, display: &str, heaptrack_file: Option<&Path>) -> Command {
        let mut command = match heaptrack_file {
            None => Command::new(BIN),
            Some(file) => {
                let mut heaptrack = Command::new("heaptrack");
                heaptrack.arg("-o").arg(file).arg(BIN).stdout(Stdio::null());
                heaptrack
            }
        };
        command.env("PROMPTDECK_DATA_DIR", data_dir).env("DISPLAY", display);
        if let Process::Headless = self {
            command.arg("--headless");
        }
        command
    }
}

#[allow(clippy::print_stdout)]
pub fn main() {
    for tool in ["Xvfb", "heaptrack", "heaptrack_print"] {
        tools::require(tool);
    }
    let mut report = report!(Kind::Bench, "memory", "cargo bench --bench memory");
    let scale = report.scale();
    let size = scale.pick(10_000, 1_000);
    // Long enough for the hidden palette's first frame and the runtime's first status
    // publication; neither grows after.
    let settle = scale.pick(Duration::from_secs(3), Duration::from_secs(1));
    let (mut xvfb, display, _conn, _) = xvfb::start();
    let dir = tempfile::tempdir().expect("tempdir");
    corpus::seed_profile(dir.path(), size);
    let app = Idle::of(Process::App, dir.path(), &display, settle);
    app.report(&mut report, Process::App, size);
    Idle::of(Process::Headless, dir.path(), &display, settle).report(
        &mut report,
        Process::Headless,
        size,
    );
    // The goal at ten times the library: under three times the figure above plus the index.
    let large = scale.pick(100_000, 2_000);
    let dir = tempfile::tempdir().expect("tempdir");
    corpus::seed_profile(dir.path(), large);
    let larger = Idle::of(Process::App, dir.path(), &display, settle);
    larger.report(&mut report, Process::App, large);
    let index = larger.heap.of(Owner::SearchIndex);
    let allowed = 3 * app.mappings.total() + index;
    let against = format!(
        "{:.1} MB against 3 x {:.1} MB + {:.1} MB",
        mb(larger.mappings.total()),
        mb(app.mappings.total()),
        mb(index),
    );
    println!("memory {large:>6} prompts, the app: {against}");
    report.add(
        Figure::new(
            Section::Memory,
            format!("idle RSS of the app at {large} prompts over three times its figure at {size} plus its search index at {large}, same run"),
            larger.mappings.total() as f64 / allowed as f64,
            Unit::Ratio,
        )
        .prompts(large)
        .detail(against)
        .goal(Goal::AtMost(1.0)),
    );
    let _ = xvfb.kill();
    let _ = xvfb.wait();
    println!("memory: record {}", report.write().expect("writes its record").display());
}

/// One idle process's memory: its mappings from one start, its live heap from another.
struct Idle {
    mappings: Mappings,
    heap: Heap,
}

impl Idle {
    fn of(process: Process, data_dir: &Path, display: &str, settle: Duration) -> Self {
        let mappings = resident(process, data_dir, display, settle);
        let heap = live_heap(process, data_dir, display, settle);
        Self { mappings, heap }
    }

    #[allow(clippy::print_stdout)]
    fn report(&self, report: &mut promptdeck_figures::Report, process: Process, size: usize) {
        let (mappings, heap) = (&self.mappings, &self.heap);
        println!(
            "memory {size:>6} prompts, {}: {:.1} MB resident; live heap {:.1} MB ({})",
            process.name(),
            mb(mappings.total()),
            mb(heap.total()),
            heap.detail()
        );
        let kept = mappings.anonymous.saturating_sub(heap.total());
        report.add(
            Figure::mb(
                Section::Memory,
                format!("idle RSS of {}, by kind of memory (/proc/PID/smaps)", process.name()),
                mappings.total(),
            )
            .prompts(size)
            .detail(format!(
                "the program's code {:.1} MB (clean pages of the binary, which the kernel can drop and read again); libraries and fonts {:.1}; window buffers (shared memory) {:.1}; anonymous {:.1}: the live heap {:.1} (second run, below) and {:.1} the allocator keeps and the threads' stacks",
                mb(mappings.code),
                mb(mappings.files),
                mb(mappings.shared),
                mb(mappings.anonymous),
                mb(heap.total()),
                mb(kept),
            )),
        );
        report.add(
            Figure::mb(
                Section::Memory,
                format!("live heap of {} once idle, by owner (heaptrack)", process.name()),
                heap.total(),
            )
            .prompts(size)
            .detail(heap.detail()),
        );
    }
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

/// `process`'s resident memory by kind, once idle.
fn resident(process: Process, data_dir: &Path, display: &str, settle: Duration) -> Mappings {
    let mut child = tools::start_ready(&mut process.command(data_dir, display, None));
    std::thread::sleep(settle);
    let mappings = Mappings::of(child.id());
    tools::quit(data_dir);
    child.wait().expect("exits");
    mappings
}

/// What a process's mappings hold in memory, in bytes.
#[derive(Default)]
struct Mappings {
    /// The binary's pages read from its file.
    code: u64,
    /// Other mapped files: shared libraries, fonts, locale data.
    files: u64,
    /// Shared memory: the windows' pixel buffers.
    shared: u64,
    /// Memory of no file: the heap, the allocator's arenas, thread stacks, the binary's
    /// relocated data.
    anonymous: u64,
}

impl Mappings {
    fn of(pid: u32) -> Self {
        let binary = std::fs::canonicalize(BIN).expect("the binary");
        let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).expect("smaps");
        let mut out = Mappings::default();
        let (mut path, mut rss) = (String::new(), 0);
        let kb = |line: &str| -> u64 {
            line.split_whitespace()
                .nth(1)
                .and_then(|n| n.parse::<u64>().ok())
                .expect("a size in kB")
                * 1024
        };
        for line in smaps.lines() {
            let first = line.split_whitespace().next().unwrap_or_default();
            if first.contains('-') && !first.ends_with(':') {
                path = line.split_whitespace().nth(5).unwrap_or_default().to_owned();
            } else if first == "Rss:" {
                rss = kb(line);
            } else if first == "Anonymous:" {
                let anonymous = kb(line);
                out.anonymous += anonymous;
                let of_file = rss - anonymous;
                if ["/dev/shm/", "/memfd:", "/SYSV"].iter().any(|p| path.starts_with(p)) {
                    out.shared += of_file;
                } else if Path::new(&path) == binary {
                    out.code += of_file;
                } else {
                    out.files += of_file;
                }
            }
        }
        out
    }

    fn total(&self) -> u64 {
        self.code + self.files + self.shared + self.anonymous
    }
}

/// Who holds the heap, told by the frames of the stack that allocated it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Owner {
    SearchIndex,
    PageCache,
    Windows,
    LogQueue,
    Rest,
}

impl Owner {
    const ALL: [Owner; 5] =
        [Owner::SearchIndex, Owner::PageCache, Owner::Windows, Owner::LogQueue, Owner::Rest];

    fn name(self) -> &'static str {
        match self {
            Owner::SearchIndex => "the search index (titles, tags, words, learned picks)",
            Owner::PageCache => "redb's page cache",
            Owner::Windows => "the windows (iced, winit, text layout and glyph caches)",
            Owner::LogQueue => "the log's line queue",
            Owner::Rest => "the rest (async runtime, actors, TLS roots, start-up)",
        }
    }

    /// `frames`, outermost first, as heaptrack_print writes a flame graph's stack.
    fn of(frames: &str) -> Self {
        let has = |names: &[&str]| names.iter().any(|name| frames.contains(name));
        if has(&["promptdeck::logging::init"]) {
            Owner::LogQueue
        } else if has(&["redb::", "redb.."]) {
            Owner::PageCache
        } else if has(&["promptdeck_actors::search", "PromptSummary"]) {
            Owner::SearchIndex
        } else if has(&[
            "iced",
            "winit",
            "cosmic_text",
            "tiny_skia",
            "softbuffer",
            "x11rb",
            "promptdeck::gui",
            "promptdeck::desktop",
        ]) {
            Owner::Windows
        } else {
            Owner::Rest
        }
    }
}

/// Bytes live on the heap, by owner.
struct Heap(std::collections::BTreeMap<Owner, u64>);

impl Heap {
    fn of(&self, owner: Owner) -> u64 {
        self.0.get(&owner).copied().unwrap_or(0)
    }

    fn total(&self) -> u64 {
        self.0.values().sum()
    }

    fn detail(&self) -> String {
        Owner::ALL
            .iter()
            .map(|owner| format!("{} {:.1} MB", owner.name(), mb(self.of(*owner))))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// `process`'s live heap once idle: run under heaptrack, killed, and what it had not freed
/// read back by owner.
fn live_heap(process: Process, data_dir: &Path, display: &str, settle: Duration) -> Heap {
    let out = tempfile::tempdir().expect("tempdir");
    let mut command = process.command(data_dir, display, Some(&out.path().join("idle")));
    let mut heaptrack = tools::start_ready(&mut command);
    std::thread::sleep(settle);
    let app = child_named(&heaptrack, "promptdeck-app");
    // Killed, not asked to quit: a clean exit frees what the idle process holds.
    rustix::process::kill_process(app, rustix::process::Signal::KILL).expect("kills the app");
    heaptrack.wait().expect("heaptrack finishes");
    let recording = std::fs::read_dir(out.path())
        .expect("heaptrack's folder")
        .map(|entry| entry.expect("entry").path())
        .find(|path| path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("idle")))
        .expect("heaptrack wrote its recording");
    live_by_owner(&recording, out.path())
}

/// The pid of `parent`'s child process whose command is `name`.
fn child_named(parent: &Child, name: &str) -> rustix::process::Pid {
    let children = std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", parent.id()))
        .expect("the children of heaptrack");
    children
        .split_whitespace()
        .filter_map(|pid| pid.parse::<i32>().ok())
        .find(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == name)
        })
        .and_then(rustix::process::Pid::from_raw)
        .unwrap_or_else(|| panic!("heaptrack runs no {name}: children {children}"))
}

/// The bytes `recording` says were never freed, by owner, through heaptrack_print's flame
/// graph of leaked bytes (one line per stack: frames, outermost first, then the bytes).
fn live_by_owner(recording: &Path, work: &Path) -> Heap {
    let stacks: PathBuf = work.join("stacks.txt");
    let printed = Command::new("heaptrack_print")
        .arg("--file")
        .arg(recording)
        .args(["--print-peaks=0", "--print-allocators=0", "--print-temporary=0"])
        .args(["--print-leaks=0", "--flamegraph-cost-type=leaked", "--print-flamegraph"])
        .arg(&stacks)
        .stdout(Stdio::null())
        .status()
        .expect("heaptrack_print runs");
    assert!(printed.success(), "heaptrack_print failed on {}", recording.display());
    let mut heap = std::collections::BTreeMap::new();
    for line in std::fs::read_to_string(&stacks).expect("the stacks").lines() {
        let (frames, bytes) = line.rsplit_once(' ').expect("frames, then bytes");
        let bytes: u64 = bytes.parse().expect("bytes");
        *heap.entry(Owner::of(frames)).or_insert(0) += bytes;
    }
    assert!(!heap.is_empty(), "heaptrack recorded no live allocation");
    Heap(heap)
}
