//! Promptdeck's command line, which asks the running instance over its control channel.
//! It links no window system: `promptdeck palette`, what a desktop's binding of the hotkey
//! runs, starts in the time a small program takes, and hands anything that needs the app
//! itself (starting it, installing its desktop entries) to `promptdeck-app`.

pub mod app;
pub mod cli;
pub mod commands;
pub mod connect;
pub mod control;
pub mod local_time;
pub mod profile;
