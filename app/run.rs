//! Starting an instance: lock the profile, start the runtime and the control socket, then
//! the windows (or nothing, headless) until Quit.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use promptdeck_actors::{AuthConfig, BrowserOpener, Runtime, RuntimeConfig, TokenVault};
use promptdeck_client::cli::Cli;
use promptdeck_client::control::{ControlRequest, ControlResponse};
use tokio::sync::mpsc;

use crate::command::UiCommand;
use crate::control::{self, ControlContext};
use crate::desktop::WindowSystem;
use crate::profile::Profile;
use crate::settings::Effective;
use crate::settings::SettingsError;

/// How the line saying the instance is ready (its control socket bound) starts in the log,
/// target included: at trace level, libraries log lines holding "ready" (hyper-util's
/// "connection is ready") before it. Tests and benches wait for this.
pub const READY_LINE: &str = "promptdeck::run: ready ";

/// Runs the instance for `profile`, or shows the one already running and exits.
pub fn start(profile: Profile, cli: Cli, effective: Effective) -> anyhow::Result<ExitCode> {
    crate::os::lean_allocator();
    let headless = cli.headless;
    let repaired = crate::profile::prepare(&profile)?;
    let Some(_lock) = profile.lock()? else {
        return Ok(show_running_instance(&profile));
    };
    if !headless && let WindowSystem::Missing(reason) = WindowSystem::probe() {
        anyhow::bail!(
            "no display to open windows on ({reason}); start it in a desktop session, or with \
             --headless to run the library, sync and commands without windows"
        );
    }
    let _log_guard = crate::logging::init(&profile)?;
    if !repaired.is_empty() {
        tracing::warn!(
            files = repaired.len(),
            "the profile was open to other users; now it is yours only"
        );
    }
    let first_start = !profile.library_path().exists();
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("promptdeck-runtime")
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut config = RuntimeConfig::new(profile.library_path());
    config.more_workspaces = crate::profile::workspaces(&profile, &effective).split_off(1);
    config.active_space = effective.workspaces.active.clone();
    config.sync = effective.sync.clone();
    config.auth = auth_config(&profile, &effective);
    config.keep_history = effective.keep_history;
    config.learning = effective.desktop.learn;
    let runtime = tokio.block_on(Runtime::start(config)).context("cannot open the library")?;
    if let Some(aside) = &runtime.open_report().moved_aside {
        eprintln!(
            "promptdeck: the library file was damaged; it was kept at {} and a new one started \
             ({} unsynced changes kept)",
            aside.to.display(),
            aside.kept_pending
        );
    }
    let (quit_tx, mut quit_rx) = mpsc::unbounded_channel();
    let (ui_tx, ui_rx) = mpsc::unbounded_channel();
    // None until the windows first report: a headless instance, or one whose windows are still
    // starting, says nothing about windows rather than something untrue.
    let (report_tx, report_rx) = tokio::sync::watch::channel(None);
    let (problem_tx, problem_rx) = tokio::sync::watch::channel(None);
    let context = Arc::new(ControlContext {
        runtime: runtime.handle(),
        ui: (!headless).then(|| ui_tx.clone()),
        quit: quit_tx.clone(),
        ui_report: report_rx,
        settings_problem: problem_rx,
    });
    let listener = {
        let _enter = tokio.enter();
        let path = profile.control_path();
        crate::os::listen(&path).with_context(|| format!("cannot listen on {}", path.display()))?
    };
    tokio.spawn(control::serve(listener, context));
    tokio.spawn(forward_signals(quit_tx));
    let (changed_tx, changed_rx) = mpsc::unbounded_channel();
    let _watcher = crate::watch::settings(&profile.settings_path(), changed_tx)
        .inspect_err(
            |reason| tracing::warn!(%reason, "settings.toml edits apply at the next start"),
        )
        .ok();
    let applier = SettingsApplier {
        cli,
        profile: profile.clone(),
        runtime: runtime.handle(),
        ui: (!headless).then(|| ui_tx.clone()),
        problem: problem_tx,
        applied: effective.clone(),
    };
    tokio.spawn(applier.run(changed_rx));
    tracing::info!(data_dir = %profile.data_dir.display(), headless, "ready");

    if headless {
        tokio.block_on(quit_rx.recv());
    } else {
        let ui = ui_tx.clone();
        tokio.spawn(async move {
            if quit_rx.recv().await.is_some() {
                let _ = ui.send(UiCommand::Quit);
            }
        });
        let _enter = tokio.enter();
        let start = crate::gui::Start {
            ui_tx,
            ui_rx,
            first_start,
            settings: effective.desktop,
            settings_file: profile.settings_path(),
            grant_file: profile.desktop_grant_path(),
            report: report_tx,
        };
        crate::gui::run(runtime.handle(), start)?;
    }
    tracing::info!("shutting down");
    tokio.block_on(runtime.shutdown());
    crate::os::forget(&profile.control_path());
    Ok(ExitCode::SUCCESS)
}

/// How sync signs in, when it does through a provider.
fn auth_config(profile: &Profile, effective: &Effective) -> Option<AuthConfig> {
    let source = effective.sign_in.clone()?;
    let vault = TokenVault::in_profile(&profile.data_dir);
    let sync = effective.sync.as_ref();
    Some(AuthConfig {
        allow_unencrypted_http: sync.is_some_and(|s| s.allow_unencrypted_http),
        ca_file: sync.and_then(|s| s.ca_file.clone()),
        ..AuthConfig::new(source, vault, system_browser())
    })
}

/// Applies `settings.toml` whenever it changes: sync and sign-in to the runtime, hotkeys and
/// paste to the windows. A file that cannot work changes nothing and says why in `status`.
struct SettingsApplier {
    cli: Cli,
    profile: Profile,
    runtime: promptdeck_actors::RuntimeHandle,
    ui: Option<mpsc::UnboundedSender<UiCommand>>,
    problem: tokio::sync::watch::Sender<Option<SettingsError>>,
    applied: Effective,
}

impl SettingsApplier {
    async fn run(mut self, mut changed: mpsc::UnboundedReceiver<()>) {
        let mut status = self.runtime.subscribe();
        let mut active = status.borrow_and_update().active_space.clone();
        loop {
            tokio::select! {
                edited = changed.recv() => {
                    if edited.is_none() {
                        return;
                    }
                    // An editor's save is several events; take them as one.
                    while let Ok(Some(())) =
                        tokio::time::timeout(std::time::Duration::from_millis(100), changed.recv()).await
                    {
                    }
                    self.apply().await;
                }
                alive = status.changed() => {
                    if alive.is_err() {
                        return;
                    }
                    let now = status.borrow_and_update().active_space.clone();
                    if now != active {
                        active = now;
                        self.keep_active(&active);
                    }
                }
            }
        }
    }

    /// A switch of workspace (palette, library window, CLI) is kept for the next start.
    fn keep_active(&mut self, space: &str) {
        if self.applied.workspaces.active.as_deref() == Some(space) {
            return;
        }
        match crate::settings::save_active_workspace(&self.profile.settings_path(), space) {
            Ok(()) => self.applied.workspaces.active = Some(space.to_owned()),
            Err(reason) => {
                tracing::warn!(%reason, "the active workspace is not kept for the next start")
            }
        }
    }

    fn tell_ui(&self, command: UiCommand) {
        if let Some(ui) = &self.ui {
            let _ = ui.send(command);
        }
    }

    async fn apply(&mut self) {
        let new = match Effective::resolve(&self.cli, &self.profile.settings_path()) {
            Ok(new) => new,
            Err(reason) => {
                tracing::warn!(%reason, "settings.toml not applied; the previous settings stay");
                self.tell_ui(UiCommand::SettingsProblem(Some(reason.clone())));
                self.problem.send_replace(Some(reason));
                return;
            }
        };
        if self.problem.send_replace(None).is_some() {
            self.tell_ui(UiCommand::SettingsProblem(None));
        }
        if new == self.applied {
            return;
        }
        let tree = |e: &Effective| (e.sync.clone(), e.sign_in.clone(), e.workspaces.more.clone());
        if tree(&new) != tree(&self.applied) {
            let auth = auth_config(&self.profile, &new);
            let workspaces = crate::profile::workspaces(&self.profile, &new);
            if let Err(e) = self.runtime.reconfigure(workspaces, new.sync.clone(), auth).await {
                tracing::error!(error = %e, "the new sync settings could not be applied");
                self.problem.send_replace(Some(SettingsError::NotApplied(e)));
                return;
            }
        }
        if let Some(active) = &new.workspaces.active
            && new.workspaces.active != self.applied.workspaces.active
            && let Err(e) = self.runtime.switch_to(active)
        {
            tracing::warn!(error = %e, "the active workspace was not switched");
        }
        if new.desktop != self.applied.desktop {
            self.tell_ui(UiCommand::ApplySettings(new.desktop.clone()));
        }
        tracing::info!("settings applied");
        self.applied = new;
    }
}

/// Opens sign-in pages in the user's browser ($BROWSER first, then the desktop's default).
fn system_browser() -> BrowserOpener {
    Arc::new(|url: &str| {
        let url = url.to_owned();
        // A text browser in $BROWSER may run until it is closed: never on the actor's thread.
        std::thread::Builder::new()
            .name("promptdeck-browser".into())
            .spawn(move || {
                if let Err(e) = webbrowser::open(&url) {
                    tracing::warn!(error = %e, "no browser opened; run `promptdeck login` to see the sign-in address");
                }
            })
            .map(drop)
            .map_err(|e| e.to_string())
    })
}

async fn forward_signals(quit: mpsc::UnboundedSender<()>) {
    crate::os::stop_requested().await;
    let _ = quit.send(());
}

/// A second launch for the same profile shows the first one's library and exits.
fn show_running_instance(profile: &Profile) -> ExitCode {
    match promptdeck_client::control::request(&profile.control_path(), &ControlRequest::Library) {
        Ok(ControlResponse::Failed { error }) => {
            eprintln!("promptdeck: already running for this profile ({error})");
            ExitCode::SUCCESS
        }
        Ok(_) => {
            eprintln!("promptdeck: already running for this profile; showing its library");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("promptdeck: another instance holds this profile but does not answer: {e}");
            ExitCode::FAILURE
        }
    }
}
