//! The floor the palette is measured against: a bare iced daemon that, each time a client
//! connects to its socket, opens one undecorated window drawing one line of text where the
//! palette draws its first row, and closes it on Escape. Nothing else: no runtime, no
//! search, no list.

use std::path::PathBuf;

use iced::futures::stream;
use iced::widget::{column, container, space, text};
use iced::window::{self, Level, Position, Settings};
use iced::{Element, Size, Subscription, Task, keyboard};

/// Runs the floor app until killed, listening on `socket`.
pub fn run(socket: PathBuf) -> iced::Result {
    iced::daemon(move || Floor::boot(socket.clone()), Floor::update, Floor::view)
        .title(|_: &Floor, _| "floor".to_owned())
        .subscription(Floor::subscription)
        .run()
}

/// Asks the floor app at `socket` for its window, as `promptdeck palette` asks the app.
pub fn trigger(socket: PathBuf) {
    // Connecting is the request: the floor accepts and opens its window.
    std::os::unix::net::UnixStream::connect(socket).expect("the floor listens");
}

struct Floor {
    window: Option<window::Id>,
}

#[derive(Debug, Clone)]
enum Message {
    Open,
    Key(keyboard::Event),
}

impl Floor {
    fn boot(socket: PathBuf) -> (Self, Task<Message>) {
        (Floor { window: None }, Task::run(requests(socket), |()| Message::Open))
    }

    fn update(&mut self, message: Message) -> Task<Message> {
        match message {
            Message::Open if self.window.is_none() => {
                let (id, open) = window::open(Settings {
                    size: Size::new(900.0, 460.0),
                    position: Position::Centered,
                    decorations: false,
                    resizable: false,
                    level: Level::AlwaysOnTop,
                    ..Settings::default()
                });
                self.window = Some(id);
                open.discard()
            }
            Message::Key(keyboard::Event::KeyPressed {
                key: keyboard::Key::Named(keyboard::key::Named::Escape),
                ..
            }) => match self.window.take() {
                Some(id) => window::close(id),
                None => Task::none(),
            },
            Message::Open | Message::Key(_) => Task::none(),
        }
    }

    fn view(&self, _window: window::Id) -> Element<'_, Message> {
        let line = text("Summarise article").size(16);
        container(column![space().height(72), line]).padding([0, 24]).into()
    }

    fn subscription(&self) -> Subscription<Message> {
        keyboard::listen().map(Message::Key)
    }
}

/// One item per client that connects.
fn requests(socket: PathBuf) -> impl iced::futures::Stream<Item = ()> {
    stream::unfold(None, move |listener: Option<tokio::net::UnixListener>| {
        let socket = socket.clone();
        async move {
            let listener = match listener {
                Some(listener) => listener,
                None => tokio::net::UnixListener::bind(&socket).expect("binds the floor socket"),
            };
            listener.accept().await.ok()?;
            Some(((), Some(listener)))
        }
    })
}
