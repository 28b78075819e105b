use std::process::ExitCode;

use clap::Parser;
use promptdeck::cli::{Cli, Command};
use promptdeck::profile::Profile;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let profile = match Profile::resolve(cli.data_dir.clone()) {
        Ok(profile) => profile,
        Err(e) => {
            eprintln!("promptdeck: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let sync = match cli.sync_config() {
        Ok(sync) => sync,
        Err(e) => {
            eprintln!("promptdeck: {e}");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Some(Command::InstallDesktop { autostart }) => install_desktop(autostart),
        Some(command) => promptdeck::client::run(&profile, command),
        None => {
            let settings = promptdeck::gui::Settings {
                palette_hotkey: cli.palette_hotkey,
                capture_hotkey: cli.capture_hotkey,
                paste: cli.paste_method,
            };
            promptdeck::run::start(profile, cli.headless, sync, settings).unwrap_or_else(|e| {
                eprintln!("promptdeck: {e:#}");
                ExitCode::FAILURE
            })
        }
    }
}

#[allow(clippy::print_stdout)]
fn install_desktop(autostart: bool) -> ExitCode {
    match promptdeck::install::install(autostart) {
        Ok(installed) => {
            installed.files.iter().for_each(|file| println!("wrote {}", file.display()));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("promptdeck: {e}");
            ExitCode::FAILURE
        }
    }
}
