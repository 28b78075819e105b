//! The Promptdeck desktop app: windows, tray, hotkeys, insertion, the control socket and
//! the command line, around the runtime in `promptdeck-actors`.

pub mod command;
pub mod control;
pub mod desktop;
mod files;
pub mod gui;
mod logging;
pub mod os;
pub mod profile;
pub mod run;
pub mod settings;
pub mod transfer;
mod watch;
