use std::process::ExitCode;

use clap::Parser;
use promptdeck::cli::{Cli, Command};
use promptdeck::profile::Profile;
use promptdeck::settings::Settings;

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    let profile = match Profile::resolve(cli.data_dir.clone()) {
        Ok(profile) => profile,
        Err(e) => {
            eprintln!("promptdeck: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command.take() {
        Some(Command::InstallDesktop { autostart }) => install_desktop(autostart),
        Some(command) => promptdeck::client::run(&profile, command),
        None => start_app(&cli, profile),
    }
}

/// Starts the app with the command line over settings.toml over the defaults; settings
/// that cannot work are refused before anything starts.
fn start_app(cli: &Cli, profile: Profile) -> ExitCode {
    let refused = |e: String| {
        eprintln!("promptdeck: {e}");
        ExitCode::from(2)
    };
    let settings = match Settings::load(&profile.settings_path()) {
        Ok(settings) => settings,
        Err(e) => return refused(e),
    };
    let sync = match cli.sync_config(&settings.sync) {
        Ok(sync) => sync,
        Err(e) => return refused(e),
    };
    let sign_in = match &sync {
        Some(sync) => match cli.sign_in(&settings.sync, sync) {
            Ok(sign_in) => sign_in,
            Err(e) => return refused(e),
        },
        None => None,
    };
    let desktop = cli.desktop(&settings);
    promptdeck::run::start(profile, cli.headless, sync, sign_in, desktop).unwrap_or_else(|e| {
        eprintln!("promptdeck: {e:#}");
        ExitCode::FAILURE
    })
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
