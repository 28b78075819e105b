//! The Wayland palette bench's body; `benches/palette_sway.rs` says what it measures.

#[path = "../support/corpus.rs"]
mod corpus;
#[path = "../support/floor.rs"]
mod floor;
#[path = "../support/screencopy.rs"]
mod screencopy;
#[path = "../support/stats.rs"]
mod stats;
#[path = "../support/tools.rs"]
mod tools;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use promptdeck_figures::{Figure, Goal, Kind, Scale, Section, Unit, report};
use screencopy::{Picture, Rect, Screen};
use stats::Timings;

/// Issue 17's goals: within 1.5x of the floor made the same way, and under a frame at 60 Hz.
const FLOOR_GOAL: f64 = 1.5;
const FIRST_ROW_GOAL_MS: f64 = 16.0;
const BIN: &str = env!("CARGO_BIN_EXE_promptdeck");
/// sway will not run as root; as root, it and its clients run as the user the Wayland test
/// (tests/wayland/sway.sh) runs them as.
const SWAY_USER: &str = "promptdeck-sway";
/// Set in every process the bench starts under its compositor.
const CLIENT: &str = "PALETTE_BENCH_SWAY_CLIENT";
/// Set for this bench run again to seed a profile: "<prompts> <profile directory>".
const SEED: &str = "PALETTE_BENCH_SWAY_SEED";
/// Long enough for the slowest opening, short of leaving a run hanging.
const LIMIT: Duration = Duration::from_secs(10);

#[allow(clippy::print_stdout)]
pub fn main() {
    if floor::play_part() || seed_asked() {
        return;
    }
    // This bench run again without a part to play would start a compositor of its own, and
    // so on without end.
    assert!(std::env::var_os(CLIENT).is_none(), "a client of the bench's compositor ran the bench");
    for tool in ["sway", "wtype"] {
        tools::require(tool);
    }
    let mut report = report!(Kind::Bench, "palette_sway", "cargo bench --bench palette_sway");
    let scale = report.scale();
    let runs = scale.pick(25, 3);
    let session = Session::start();
    let (screen, empty) = Screen::connect(&session.wayland_socket());
    let background = empty.corner();
    assert!(empty.centred_window(background).is_none(), "the screen is not empty at the start");
    let mut openings = Openings { screen, background, session: &session };

    let floor_dir = session.dir("floor");
    let mut command = session.command(floor::bench());
    floor::as_app(&mut command, &floor_dir, floor::Window::Surface).stderr(Stdio::null());
    let floor_app = Running(floor::start(command, &floor_dir));
    // Asked by the command that asks the app, on the floor's profile directory.
    let floor = openings.time("floor (a bare layer surface, kept)", runs, || {
        run(session.command(BIN).arg("palette").env("PROMPTDECK_DATA_DIR", &floor_dir));
    });
    drop(floor_app);
    report.add(
        Figure::ms(
            Section::Palette,
            "the floor under headless sway (240 Hz): a bare layer surface drawing one line, asked by `promptdeck palette` (a new process), kept between openings and drawn by the app's own surface host, as the palette's is on Wayland",
            floor.drawn,
        )
        .detail(floor.detail()),
    );

    for size in sizes(scale) {
        let profile = session.dir(&format!("profile-{size}"));
        seed_apart(&profile, size);
        session.give(&profile);
        let mut command = session.command(BIN);
        let app = Running(tools::start_ready(command.env("PROMPTDECK_DATA_DIR", &profile)));
        let what = format!("palette {size:>6} prompts, `promptdeck palette`");
        let timings = openings.time(&what, runs, || {
            let mut trigger = session.command(BIN);
            run(trigger.arg("palette").env("PROMPTDECK_DATA_DIR", &profile));
        });
        drop(app);
        let ratio = timings.drawn.as_secs_f64() / floor.drawn.as_secs_f64();
        println!("  {ratio:.2}x the floor made the same way");
        let drawn = Figure::ms(
            Section::Palette,
            "palette under headless sway (240 Hz): `promptdeck palette` (what sway's binding of the hotkey runs) to its first row drawn, a layer surface kept between openings",
            timings.drawn,
        )
        .prompts(size)
        .detail(timings.detail())
        .goal(Goal::AtMost(FIRST_ROW_GOAL_MS));
        let against_floor = Figure::new(
            Section::Palette,
            "palette under headless sway (240 Hz) over the floor made the same way (a layer surface kept between openings), same run",
            ratio,
            Unit::Ratio,
        )
        .prompts(size)
        .goal(Goal::AtMost(FLOOR_GOAL));
        match size >= 10_000 {
            true => {
                report.add(drawn.headline());
                report.add(against_floor.headline());
            }
            false => {
                report.add(drawn);
                report.add(against_floor);
            }
        }
    }
    println!("palette_sway: record {}", report.write().expect("writes its record").display());
}

/// Seeds the profile `dir` with `size` prompts in a process of its own. Seeded here, the
/// library would stay in this process's heap, and every trigger started from it (as another
/// user: a fork, not a vfork) would copy its page tables first, a cost that grows with the
/// library and would be counted as the palette's time.
fn seed_apart(dir: &Path, size: usize) {
    let status = Command::new(floor::bench())
        .env(SEED, format!("{size} {}", dir.display()))
        .status()
        .expect("runs the seeding");
    assert!(status.success(), "seeding {} failed", dir.display());
}

/// This run was asked to seed a profile: seeds it.
fn seed_asked() -> bool {
    let Ok(asked) = std::env::var(SEED) else { return false };
    let (size, dir) = asked.split_once(' ').expect("<prompts> <directory>");
    corpus::seed_profile(Path::new(dir), size.parse().expect("a number of prompts"));
    true
}

/// The library sizes to measure: `PALETTE_BENCH_SIZES=10000` (a comma-separated list) for
/// fewer or more.
fn sizes(scale: Scale) -> Vec<usize> {
    match std::env::var("PALETTE_BENCH_SIZES") {
        Ok(list) => {
            list.split(',').map(|n| n.trim().parse().expect("a number of prompts")).collect()
        }
        Err(_) => scale.pick(vec![1_000, 10_000], vec![1_000]),
    }
}

/// Windows opened and closed on the compositor's screen, timed by the frames it presents.
struct Openings<'a> {
    screen: Screen,
    /// The empty screen's colour.
    background: [u8; 3],
    session: &'a Session,
}

impl Openings<'_> {
    /// Opens a window with `trigger` `runs` times, closing it with Escape each time, and
    /// prints the medians.
    #[allow(clippy::print_stdout)]
    fn time(&mut self, what: &str, runs: usize, trigger: impl Fn()) -> Timings {
        let (mut mapped, mut drawn) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let (m, d) = self.open_and_close(&trigger);
            mapped.push(m);
            drawn.push(d);
        }
        let timings = Timings::of(&mut mapped, &mut drawn);
        println!("{what}: {timings}");
        timings
    }

    /// From `trigger` to the first frame presented with a window, and to the first with its
    /// first row's text.
    fn open_and_close(&mut self, trigger: &impl Fn()) -> (Duration, Duration) {
        let background = self.background;
        let started = screencopy::monotonic_now();
        trigger();
        let mut mapped = None;
        let drawn = self.screen.until(started, LIMIT, |picture: &Picture| {
            let Some(window) = picture.centred_window(background) else { return false };
            mapped.get_or_insert(picture.presented);
            let [x, y, width, height] = floor::FIRST_ROW.map(usize::from);
            let row = Rect { x: window.x + x, y: window.y + y, width, height };
            floor::first_row_drawn(picture.pixels(row))
        });
        let mapped = mapped.expect("seen with its window") - started;
        let drawn = drawn.presented - started;
        // sway gives a new window the keyboard as it maps it: Escape goes to it. wtype is a
        // new virtual keyboard each time, and the window's toolkit loses the first press
        // after a keyboard's keymap arrives (seen here: only Escape's release came); a Shift
        // takes that place.
        let closing = screencopy::monotonic_now();
        run(self.session.command("wtype").args(["-k", "Shift_L", "-k", "Escape"]));
        self.screen.until(closing, LIMIT, |picture| picture.centred_window(background).is_none());
        (mapped, drawn)
    }
}

/// A process stopped when it goes out of scope, so a failing bench leaves none behind.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A headless sway and the environment its clients run in: their own runtime and home
/// folders, as the compositor's user.
struct Session {
    work: tempfile::TempDir,
    /// The user and group the compositor and its clients run as; none: this process's.
    owner: Option<(u32, u32)>,
    /// The compositor's socket's name in the runtime folder, once it made one.
    socket: String,
    sway: Option<Running>,
}

impl Session {
    /// Starts sway on wlroots' headless backend with a 1280x800 output and no window
    /// borders, at 240 Hz so that its frames blur the times less, and waits for its Wayland socket.
    fn start() -> Self {
        let work = tempfile::tempdir().expect("tempdir");
        std::fs::set_permissions(work.path(), std::fs::Permissions::from_mode(0o755))
            .expect("the work folder opens to the compositor's user");
        let owner = rustix::process::geteuid().is_root().then(sway_user);
        let mut session = Session { work, owner, socket: String::new(), sway: None };
        let run = session.dir("run");
        std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).expect("user-only");
        let config = session.dir("home").join("sway.conf");
        std::fs::write(
            &config,
            "output HEADLESS-1 mode --custom 1280x800@240Hz\nxwayland disable\n\
             default_border none\ndefault_floating_border none\n",
        )
        .expect("writes sway's configuration");
        session.give(&config);
        let log = std::fs::File::create(session.work.path().join("sway.log")).expect("a log");
        let mut sway = session.command("sway");
        sway.env_remove("WAYLAND_DISPLAY")
            .arg("--config")
            .arg(&config)
            .env("WLR_BACKENDS", "headless")
            .env("WLR_RENDERER", "pixman")
            .env("WLR_LIBINPUT_NO_DEVICES", "1")
            .stdout(Stdio::null())
            .stderr(log);
        let mut sway = Running(sway.spawn().expect("starts sway"));
        let started = Instant::now();
        loop {
            // Its IPC socket comes after the Wayland one listens.
            let ipc = compositor_ipc_in(&run);
            if let (Some(socket), true) = (wayland_socket_in(&run), ipc) {
                session.socket = socket;
                break;
            }
            if let Ok(Some(status)) = sway.0.try_wait() {
                let log = std::fs::read_to_string(session.work.path().join("sway.log"));
                panic!("sway exited ({status}): {}", log.unwrap_or_default());
            }
            assert!(started.elapsed() < Duration::from_secs(20), "sway made no Wayland socket");
            std::thread::sleep(Duration::from_millis(10));
        }
        session.sway = Some(sway);
        session
    }

    fn wayland_socket(&self) -> PathBuf {
        self.work.path().join("run").join(&self.socket)
    }

    /// A folder of the work folder's, owned by the compositor's user.
    fn dir(&self, name: &str) -> PathBuf {
        let dir = self.work.path().join(name);
        std::fs::create_dir_all(&dir).expect("makes a folder");
        self.give(&dir);
        dir
    }

    /// Hands `path` and all under it to the compositor's user.
    fn give(&self, path: &Path) {
        let Some((uid, gid)) = self.owner else { return };
        std::os::unix::fs::chown(path, Some(uid), Some(gid)).expect("chown");
        if path.is_dir() {
            for entry in std::fs::read_dir(path).expect("lists a folder") {
                self.give(&entry.expect("an entry").path());
            }
        }
    }

    /// `program` as a client of the compositor: its user, and only the session's environment.
    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let dir = |name| self.work.path().join(name);
        let mut command = Command::new(program);
        command
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", dir("home"))
            .env("XDG_RUNTIME_DIR", dir("run"))
            .env("WAYLAND_DISPLAY", &self.socket)
            .env("XDG_CURRENT_DESKTOP", "sway")
            .env(CLIENT, "1");
        // CI's mark, by which it stops what a step leaves running.
        if let Some(mark) = std::env::var_os("PROMPTDECK_TEST_RUN") {
            command.env("PROMPTDECK_TEST_RUN", mark);
        }
        if let Some((uid, gid)) = self.owner {
            command.uid(uid).gid(gid);
        }
        command
    }
}

/// Runs `command` to its end; it must succeed.
fn run(command: &mut Command) {
    let status = command.stdout(Stdio::null()).status();
    assert!(status.expect("runs").success(), "{command:?} failed");
}

/// The name of the Wayland socket a compositor made in `run`, once there is one.
fn wayland_socket_in(run: &Path) -> Option<String> {
    std::fs::read_dir(run).ok()?.find_map(|entry| {
        let name = entry.ok()?.file_name().into_string().ok()?;
        (name.starts_with("wayland-") && !name.ends_with(".lock")).then_some(name)
    })
}

/// Whether sway made its IPC socket in `run`, the last of its start.
fn compositor_ipc_in(run: &Path) -> bool {
    std::fs::read_dir(run).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().starts_with("sway-ipc."))
    })
}

/// The user `SWAY_USER`'s ids, made a system user first if there is none.
fn sway_user() -> (u32, u32) {
    let id = |flag: &str| {
        let out = Command::new("id").args([flag, SWAY_USER]).output().expect("id runs");
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().parse::<u32>().expect("a number"))
    };
    if id("-u").is_none() {
        let made = Command::new("useradd")
            .args(["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SWAY_USER])
            .status();
        assert!(made.expect("useradd runs").success(), "cannot make the user {SWAY_USER}");
    }
    (id("-u").expect("the user exists"), id("-g").expect("the user has a group"))
}
