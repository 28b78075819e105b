//! `promptdeck-app`: the app itself, windows, tray, hotkeys and the runtime. People type
//! `promptdeck`, which hands over to this program to start it (see `promptdeck.rs`); it
//! answers the other commands as `promptdeck` does, so either may be run.

use std::process::ExitCode;

use clap::Parser;
use promptdeck::settings::Effective;
use promptdeck_client::cli::{Cli, Command};
use promptdeck_client::profile::Profile;

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
        Some(Command::InstallDesktop { package_root: Some(root), .. }) => {
            install_into_package(&root)
        }
        Some(Command::InstallDesktop { autostart, bind, unbind, package_root: None }) => {
            let installed = install_desktop(autostart);
            if installed != ExitCode::SUCCESS || !(bind || unbind) {
                return installed;
            }
            if unbind {
                return compositor_bindings(None);
            }
            match Effective::resolve(&cli, &profile.settings_path()) {
                Ok(effective) => compositor_bindings(Some(&effective.desktop)),
                Err(e) => {
                    eprintln!("promptdeck: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Some(command) => promptdeck_client::commands::run(&profile, command),
        None => start_app(cli, profile),
    }
}

/// Starts the app with the command line over settings.toml over the defaults; settings
/// that cannot work are refused before anything starts.
fn start_app(cli: Cli, profile: Profile) -> ExitCode {
    let refused = |e: promptdeck::settings::SettingsError| {
        eprintln!("promptdeck: {e}");
        ExitCode::from(2)
    };
    let effective = match Effective::resolve(&cli, &profile.settings_path()) {
        Ok(effective) => effective,
        Err(e) => return refused(e),
    };
    promptdeck::run::start(profile, cli, effective).unwrap_or_else(|e| {
        eprintln!("promptdeck: {e:#}");
        ExitCode::FAILURE
    })
}

#[cfg(all(unix, not(target_os = "macos")))]
fn install_desktop(autostart: bool) -> ExitCode {
    said_written(promptdeck::desktop::freedesktop::entries::install(autostart))
}

#[cfg(all(unix, not(target_os = "macos")))]
fn install_into_package(root: &std::path::Path) -> ExitCode {
    said_written(promptdeck::desktop::freedesktop::entries::install_into_package(root))
}

/// Says which desktop entries were written, or why they could not be.
#[cfg(all(unix, not(target_os = "macos")))]
#[allow(clippy::print_stdout)]
fn said_written(
    written: Result<
        promptdeck::desktop::freedesktop::entries::Installed,
        promptdeck::desktop::freedesktop::entries::EntryError,
    >,
) -> ExitCode {
    match written {
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

/// The compositor's bindings of the hotkeys in `hotkeys`, or their removal with `None`.
#[cfg(all(unix, not(target_os = "macos")))]
#[allow(clippy::print_stdout)]
fn compositor_bindings(hotkeys: Option<&promptdeck::settings::DesktopSettings>) -> ExitCode {
    use promptdeck::desktop::wayland::bindings;
    let done = match hotkeys {
        Some(hotkeys) => bindings::bind(&hotkeys.palette_hotkey, &hotkeys.capture_hotkey),
        None => bindings::unbind(),
    };
    match done {
        Ok(bound) => {
            bound.lines.iter().for_each(|line| println!("{line}"));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("promptdeck: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Windows and macOS builds are not packaged as a tree of files to write entries into.
#[cfg(any(windows, target_os = "macos"))]
fn install_into_package(_: &std::path::Path) -> ExitCode {
    eprintln!("promptdeck: --package-root writes a Linux package's desktop entry");
    ExitCode::from(2)
}

/// Windows and macOS hear the hotkeys through the app itself: nothing for a compositor to
/// hold.
#[cfg(any(windows, target_os = "macos"))]
fn compositor_bindings(_: Option<&promptdeck::settings::DesktopSettings>) -> ExitCode {
    eprintln!(
        "promptdeck: on Windows and macOS the app registers its hotkeys itself; there is \
         nothing to bind"
    );
    ExitCode::from(2)
}

/// On macOS, the LaunchAgent (with `--autostart`), or its removal.
#[cfg(target_os = "macos")]
#[allow(clippy::print_stdout)]
fn install_desktop(autostart: bool) -> ExitCode {
    use promptdeck::desktop::launch_agent;
    let done = if autostart {
        launch_agent::install().map(|path| println!("wrote {}", path.display()))
    } else {
        launch_agent::remove().map(|removed| {
            if let (true, Some(path)) = (removed, launch_agent::path()) {
                println!("removed {}", path.display());
            }
        })
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("promptdeck: {e}");
            ExitCode::FAILURE
        }
    }
}

/// On Windows, the Run key's value (with `--autostart`), or its removal.
#[cfg(windows)]
#[allow(clippy::print_stdout)]
fn install_desktop(autostart: bool) -> ExitCode {
    use promptdeck::desktop::windows::run_key;
    let done = if autostart {
        run_key::install().map(|()| println!("wrote {}", run_key::location()))
    } else {
        run_key::remove().map(|removed| {
            if removed {
                println!("removed {}", run_key::location());
            }
        })
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("promptdeck: {e}");
            ExitCode::FAILURE
        }
    }
}
