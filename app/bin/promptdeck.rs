//! `promptdeck`: the command people type, and what a desktop's binding of the hotkey runs.
//! It links no window system (no iced, no Xlib, whose loader runs before `main`), so
//! `promptdeck palette` costs what a small program costs to start; it hands starting the
//! app, and installing its desktop entries, to `promptdeck-app` beside it.

use std::process::ExitCode;

use clap::Parser;
use promptdeck_client::cli::{Cli, Command};
use promptdeck_client::profile::Profile;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None | Some(Command::InstallDesktop { .. }) => promptdeck_client::app::hand_over(),
        Some(command) => match Profile::resolve(cli.data_dir) {
            Ok(profile) => promptdeck_client::commands::run(&profile, command),
            Err(e) => {
                eprintln!("promptdeck: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}
