//! Promptdeck's screens. Each has a `State`, a `Message`, an `update` that says what it
//! wants done (an `Action`), and a `view`. No I/O: the app turns actions into requests to
//! the runtime and feeds the answers back.

pub mod account;
pub mod editor;
pub mod excerpt;
pub mod fill;
pub mod history;
pub mod indicator;
pub mod library;
pub mod palette;
pub mod settings;
pub mod theme;
pub mod widget;

pub use account::Account;
pub use indicator::Indicator;

/// Something a screen shows that arrives later: before the first answer, the answer, or
/// why there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum Loadable<T> {
    Loading,
    Loaded(T),
    Failed(String),
}
