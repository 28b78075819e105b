//! The floor the palette is measured against: a bare iced daemon that, each time it is
//! asked on a profile's control socket, answers as the app does and opens one undecorated
//! window drawing one line of text where the palette draws its first row, in the palette's
//! theme (dark, the title in the theme's text colour on the selected row's colour: the
//! bench's "first row drawn" check looks for that text's pixels in both), and closes it on
//! Escape. Nothing else: no runtime, no search, no list. Kept (`Window::Kept`), it makes its
//! window hidden at start and shows and hides it, as the palette does on X11. It is asked by
//! the very command that asks the app, `promptdeck palette` on its own profile directory, so
//! both triggers start the same program and speak the same protocol.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use promptdeck_client::control::ControlResponse;
use promptdeck_client::profile::Profile;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use iced::futures::stream;
use iced::widget::{column, container, space, text};
use iced::window::{self, Level, Mode, Position, Settings};
use iced::{Border, Element, Length, Subscription, Task, Theme, keyboard};

/// Where the palette and the floor draw their first row's title, from their window's
/// corner: x, y, width, height. Both benches read it there.
pub const FIRST_ROW: [u16; 4] = [20, 64, 300, 40];

/// Whether `pixels`, read from [`FIRST_ROW`], show the row's title: light text on the
/// selection colour, in the palette and in the floor (both dark-themed, so no background is
/// bright).
pub fn first_row_drawn(pixels: impl Iterator<Item = [u8; 3]>) -> bool {
    pixels.filter(|px| px.iter().all(|&c| c > 200)).count() > 30
}

/// Whether the floor opens a new window each time, keeps one hidden between openings, or
/// (on a Wayland compositor with layer-shell) keeps a surface of its own as the palette does
/// there, drawn by the app's own host of such surfaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    New,
    Kept,
    // Made by the Wayland bench only; the X11 one shares this file.
    #[allow(dead_code)]
    Surface,
}

/// Set in the floor app a bench starts (the bench itself, run again): its profile directory.
const APP: &str = "PALETTE_BENCH_FLOOR_APP";
/// Set in the floor app that keeps its window ("window") or its surface ("surface").
const KEPT: &str = "PALETTE_BENCH_FLOOR_KEPT";

/// Plays the floor app if this process was started as one, and says whether it was: a
/// bench calls this first.
pub fn play_part() -> bool {
    let Some(dir) = std::env::var_os(APP) else { return false };
    let socket = Profile { data_dir: dir.into() }.control_path();
    match std::env::var(KEPT).as_deref() {
        Ok("surface") => run_on_surface(socket),
        Ok(_) => run(socket, Window::Kept).expect("the floor app runs"),
        Err(_) => run(socket, Window::New).expect("the floor app runs"),
    }
    true
}

/// This bench's executable: run again, it plays the floor app.
pub fn bench() -> PathBuf {
    std::env::current_exe().expect("this bench")
}

/// Tells `command`, running `bench()` with the environment of its window system, to be the
/// floor app answering on the profile directory `dir`'s control socket.
pub fn as_app<'c>(command: &'c mut Command, dir: &Path, kind: Window) -> &'c mut Command {
    command.env(APP, dir);
    match kind {
        Window::New => {}
        Window::Kept => {
            command.env(KEPT, "window");
        }
        Window::Surface => {
            command.env(KEPT, "surface");
        }
    }
    command
}

/// Starts the floor app `command` for the profile directory `dir` and waits until it
/// listens there.
pub fn start(mut command: Command, dir: &Path) -> Child {
    let socket = Profile { data_dir: dir.to_owned() }.control_path();
    let child = command.spawn().expect("starts the floor app");
    let started = Instant::now();
    // Bound means listening; a request now is answered.
    while !socket.exists() {
        assert!(started.elapsed() < Duration::from_secs(20), "the floor app did not come up");
        std::thread::sleep(Duration::from_millis(10));
    }
    child
}

/// Runs the floor app until killed, answering on `socket`.
fn run(socket: PathBuf, kind: Window) -> iced::Result {
    iced::daemon(move || Floor::boot(socket.clone(), kind), Floor::update, Floor::view)
        .title(|_: &Floor, _| "floor".to_owned())
        .theme(|_: &Floor, _| Theme::Dark)
        .subscription(Floor::subscription)
        .run()
}

struct Floor {
    kind: Window,
    /// The window on screen.
    window: Option<window::Id>,
    /// The kept window while it is hidden.
    hidden: Option<window::Id>,
}

#[derive(Debug, Clone)]
enum Message {
    Open,
    Key(keyboard::Event),
}

impl Floor {
    fn boot(socket: PathBuf, kind: Window) -> (Self, Task<Message>) {
        let mut floor = Floor { kind, window: None, hidden: None };
        let requests = Task::run(requests(socket), |()| Message::Open);
        if kind == Window::New {
            return (floor, requests);
        }
        let (id, open) = window::open(Settings { visible: false, ..settings() });
        floor.hidden = Some(id);
        (floor, Task::batch([open.discard(), requests]))
    }

    fn update(&mut self, message: Message) -> Task<Message> {
        match message {
            Message::Open if self.window.is_none() => {
                if let Some(id) = self.hidden.take() {
                    self.window = Some(id);
                    return window::set_mode(id, Mode::Windowed);
                }
                let (id, open) = window::open(settings());
                self.window = Some(id);
                open.discard()
            }
            Message::Key(keyboard::Event::KeyPressed {
                key: keyboard::Key::Named(keyboard::key::Named::Escape),
                ..
            }) => match (self.window.take(), self.kind) {
                (Some(id), Window::Kept) => {
                    self.hidden = Some(id);
                    window::set_mode(id, Mode::Hidden)
                }
                (Some(id), Window::New | Window::Surface) => window::close(id),
                (None, _) => Task::none(),
            },
            Message::Open | Message::Key(_) => Task::none(),
        }
    }

    fn view(&self, _window: window::Id) -> Element<'_, Message> {
        first_row()
    }

    fn subscription(&self) -> Subscription<Message> {
        keyboard::listen().map(Message::Key)
    }
}

/// The floor's one line, where the palette draws its first row, in its colours.
fn first_row<'a, M: 'a>() -> Element<'a, M> {
    let row = container(text("Summarise article").size(16))
        .padding([8, 12])
        .width(Length::Fill)
        .style(|theme: &Theme| {
            let palette = theme.extended_palette();
            container::Style {
                background: Some(palette.primary.weak.color.into()),
                text_color: Some(palette.background.base.text),
                border: Border { radius: 6.0.into(), ..Border::default() },
                ..container::Style::default()
            }
        });
    container(column![space().height(64), row]).padding([0, 16]).into()
}

/// The floor on a layer surface of its own, kept between openings, drawn by the app's host
/// of such surfaces (`promptdeck::gui::SurfaceHost`): shown at each request, hidden on
/// Escape. No iced daemon: nothing but the surface and the control socket.
fn run_on_surface(socket: PathBuf) {
    use iced::futures::StreamExt;
    use promptdeck::desktop::SurfaceEvent;
    let (surface, mut events) =
        promptdeck::desktop::wayland::palette_surface().expect("a compositor with layer-shell");
    let mut host =
        promptdeck::gui::SurfaceHost::new(surface, promptdeck_views::palette::WINDOW_SIZE);
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async move {
        let mut requests = Box::pin(requests(socket));
        let mut shown = false;
        loop {
            tokio::select! {
                Some(()) = requests.next() => {
                    if !shown {
                        host.show().expect("the floor's surface shows");
                        shown = true;
                    }
                }
                Some(event) = events.recv() => {
                    if let SurfaceEvent::Input(input) = &event {
                        host.observe(input);
                    }
                    if let SurfaceEvent::Input(iced::Event::Keyboard(keyboard::Event::KeyPressed {
                        key: keyboard::Key::Named(keyboard::key::Named::Escape),
                        ..
                    })) = event
                        && shown
                    {
                        let _ = host.hide().await;
                        shown = false;
                    }
                }
                else => return,
            }
            if shown {
                host.redraw(first_row::<()>(), &Theme::Dark);
            }
        }
    });
}

fn settings() -> Settings {
    Settings {
        size: promptdeck_views::palette::WINDOW_SIZE,
        position: Position::Centered,
        decorations: false,
        resizable: false,
        level: Level::AlwaysOnTop,
        ..Settings::default()
    }
}

/// One item per request: each client's line is answered at once, as the app answers
/// `palette` once its windows have the command, and the window opens after.
fn requests(socket: PathBuf) -> impl iced::futures::Stream<Item = ()> {
    stream::unfold(None, move |listener: Option<tokio::net::UnixListener>| {
        let socket = socket.clone();
        async move {
            let listener = match listener {
                Some(listener) => listener,
                None => {
                    let run = socket.parent().expect("the socket's directory");
                    std::fs::create_dir_all(run).expect("makes the floor's run directory");
                    tokio::net::UnixListener::bind(&socket).expect("binds the floor socket")
                }
            };
            let (stream, _) = listener.accept().await.ok()?;
            let (read, mut write) = stream.into_split();
            let mut request = String::new();
            BufReader::new(read).read_line(&mut request).await.ok()?;
            let done = ControlResponse::Done { message: "opening the floor".into() };
            let mut answer = serde_json::to_vec(&done).expect("an answer");
            answer.push(b'\n');
            write.write_all(&answer).await.ok()?;
            Some(((), Some(listener)))
        }
    })
}
