//! The control socket: one JSON line in, one JSON line out, from the same user only.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use promptdeck_actors::{MutationReceipt, Origin, PromptDraft, RuntimeHandle, SignedOut};
use promptdeck_protocol::{Mutation, PromptId, UpdatePrompt, now_millis};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot};

use promptdeck_client::control::{ControlRequest, ControlResponse};

use crate::command::UiCommand;
use crate::gui::report::UiReport;
use crate::settings::SettingsError;
use crate::transfer::{self, Format};

/// A request is one line; a prompt body may be up to 1 MiB and JSON escaping can double it.
pub const MAX_REQUEST_BYTES: u64 = 4 * 1024 * 1024;
/// A client that connects and says nothing is dropped after this long.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// A client that does not read its answer is dropped after this long.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// The first wait after a failed accept; it doubles up to [`MAX_ACCEPT_BACKOFF`].
const ACCEPT_BACKOFF: Duration = Duration::from_millis(10);
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);
/// The most prompts `list` returns.
pub const LIST_LIMIT: usize = 100_000;

/// What the socket server needs to answer.
pub struct ControlContext {
    pub runtime: RuntimeHandle,
    /// `None` when running headless.
    pub ui: Option<mpsc::UnboundedSender<UiCommand>>,
    /// Fired once when a client asks the instance to quit.
    pub quit: mpsc::UnboundedSender<()>,
    /// What the windows show: None until they first report, and always when headless.
    pub ui_report: tokio::sync::watch::Receiver<Option<UiReport>>,
    /// Why the last edit of settings.toml was not applied, until one is.
    pub settings_problem: tokio::sync::watch::Receiver<Option<SettingsError>>,
}

/// Accepts connections until the listener is dropped.
pub async fn serve(mut listener: crate::os::ControlListener, context: Arc<ControlContext>) {
    let mut backoff = ACCEPT_BACKOFF;
    loop {
        let stream = match listener.accept().await {
            Ok(stream) => {
                backoff = ACCEPT_BACKOFF;
                stream
            }
            Err(e) => {
                // Out of file descriptors, say: accepting again at once fails again at
                // once, and would spin a core and flood the log until one is freed.
                tracing::warn!(error = %e, retry_ms = backoff.as_millis() as u64, "control socket accept failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_ACCEPT_BACKOFF);
                continue;
            }
        };
        tokio::spawn(answer(stream, context.clone()));
    }
}

async fn answer(
    stream: impl AsyncRead + AsyncWrite + Send + 'static,
    context: Arc<ControlContext>,
) {
    let (read, mut write) = tokio::io::split(stream);
    let response = match read_request(read).await {
        Ok(request) => dispatch(request, &context).await,
        Err(error) => ControlResponse::failed(error),
    };
    let mut line = serde_json::to_vec(&response)
        .unwrap_or_else(|e| serde_json::to_vec(&ControlResponse::failed(e)).unwrap_or_default());
    line.push(b'\n');
    // A client that asks and never reads would hold this task (and the answer) for ever.
    match tokio::time::timeout(WRITE_TIMEOUT, write.write_all(&line)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::debug!(error = %e, "control client left before its answer"),
        Err(_) => tracing::warn!("a control client did not read its answer; dropped"),
    }
}

/// Why a request on the socket was not taken.
#[derive(Debug, thiserror::Error)]
enum BadRequest {
    #[error("no request within {} s", READ_TIMEOUT.as_secs())]
    Silent,
    #[error("could not read the request: {0}")]
    Unreadable(std::io::Error),
    #[error("the request is larger than {} MiB", MAX_REQUEST_BYTES >> 20)]
    TooLarge,
    #[error("the request is not UTF-8: {0}")]
    NotUtf8(std::str::Utf8Error),
    #[error("not a Promptdeck control request: {0}")]
    NotARequest(serde_json::Error),
}

async fn read_request(read: impl AsyncRead + Unpin) -> Result<ControlRequest, BadRequest> {
    let mut reader = BufReader::new(read.take(MAX_REQUEST_BYTES));
    let mut line = Vec::new();
    match tokio::time::timeout(READ_TIMEOUT, reader.read_until(b'\n', &mut line)).await {
        Err(_) => return Err(BadRequest::Silent),
        Ok(Err(e)) => return Err(BadRequest::Unreadable(e)),
        Ok(Ok(_)) => {}
    }
    if line.last() != Some(&b'\n') && line.len() as u64 >= MAX_REQUEST_BYTES {
        return Err(BadRequest::TooLarge);
    }
    let text = std::str::from_utf8(&line).map_err(BadRequest::NotUtf8)?;
    serde_json::from_str(text.trim_end()).map_err(BadRequest::NotARequest)
}

async fn dispatch(request: ControlRequest, context: &ControlContext) -> ControlResponse {
    tracing::info!(command = request.name(), "control request");
    match request {
        ControlRequest::Status => {
            let health = context.runtime.health().await;
            let ui = context.ui_report.borrow().clone();
            match (serde_json::to_value(health), serde_json::to_value(ui)) {
                (Ok(mut health), Ok(ui)) => {
                    health["ui"] = ui;
                    let problem =
                        context.settings_problem.borrow().as_ref().map(ToString::to_string);
                    health["settingsProblem"] = problem.into();
                    ControlResponse::Status { health }
                }
                (Err(e), _) | (_, Err(e)) => ControlResponse::failed(e),
            }
        }
        ControlRequest::List { space } => {
            let origin = Origin("cli".into());
            match in_space(context, space).search(&origin, "", LIST_LIMIT).await {
                Ok(hits) => {
                    ControlResponse::List { prompts: hits.into_iter().map(|h| h.prompt).collect() }
                }
                Err(e) => ControlResponse::failed(e),
            }
        }
        ControlRequest::Edit { id, title, body, tags, space } => {
            let edit = |id: PromptId| {
                Mutation::UpdatePrompt(UpdatePrompt {
                    id,
                    title,
                    body,
                    tags,
                    updated_at: now_millis(),
                })
            };
            match PromptId::parse(id) {
                Ok(id) => match in_space(context, space).mutate(edit(id)).await {
                    Ok(receipt) => done(&receipt, format!("edited {}", receipt.prompt_id)),
                    Err(e) => ControlResponse::failed(e),
                },
                Err(e) => ControlResponse::failed(e),
            }
        }
        ControlRequest::Delete { id, space } => match PromptId::parse(id) {
            Ok(id) => match in_space(context, space).delete(&id).await {
                Ok(receipt) => done(
                    &receipt,
                    format!(
                        "deleted {0}; `promptdeck restore {0}` brings it back",
                        receipt.prompt_id
                    ),
                ),
                Err(e) => ControlResponse::failed(e),
            },
            Err(e) => ControlResponse::failed(e),
        },
        ControlRequest::History { id, space } => match PromptId::parse(id) {
            Ok(id) => match in_space(context, space).history(&id).await {
                Ok(versions) if versions.is_empty() => ControlResponse::failed(format!(
                    "there is no prompt {id}, nor any history of one"
                )),
                Ok(versions) => ControlResponse::History { versions },
                Err(e) => ControlResponse::failed(e),
            },
            Err(e) => ControlResponse::failed(e),
        },
        ControlRequest::Restore { id, version, space } => match PromptId::parse(id) {
            Ok(id) => match in_space(context, space).restore(&id, version).await {
                Ok(receipt) => done(&receipt, format!("restored {}", receipt.prompt_id)),
                Err(e) => ControlResponse::failed(e),
            },
            Err(e) => ControlResponse::failed(e),
        },
        ControlRequest::Deleted { space } => {
            match in_space(context, space).recently_deleted().await {
                Ok(prompts) => ControlResponse::Deleted { prompts },
                Err(e) => ControlResponse::failed(e),
            }
        }
        ControlRequest::Space { space } => workspace(context, space),
        ControlRequest::Add { title, body, tags, space } => {
            match in_space(context, space).create(PromptDraft { title, body, tags }).await {
                Ok(receipt) => done(&receipt, format!("added {}", receipt.prompt_id)),
                Err(e) => ControlResponse::failed(e),
            }
        }
        ControlRequest::Sync => match context.runtime.sync_now().await {
            Ok(()) => ControlResponse::Done { message: "synced".into() },
            Err(e) => ControlResponse::failed(e),
        },
        ControlRequest::SignIn => match context.runtime.sign_in().await {
            Ok(url) => ControlResponse::Done { message: url },
            Err(e) => ControlResponse::failed(e),
        },
        ControlRequest::AwaitSignIn => match context.runtime.wait_for_sign_in().await {
            Ok(kept) => ControlResponse::Done { message: format!("signed in; syncing ({kept})") },
            Err(e) => ControlResponse::failed(e),
        },
        ControlRequest::SignOut => match context.runtime.sign_out().await {
            Ok(SignedOut::Completely) => ControlResponse::Done {
                message: "signed out; the library stays on this device".into(),
            },
            Ok(SignedOut::KeyringPending(why)) => ControlResponse::Done {
                message: format!("signed out; the library stays on this device, but {why}"),
            },
            Err(e) => ControlResponse::failed(e),
        },
        ControlRequest::Import { path, format, skip_invalid, dry_run, space } => {
            let runtime = in_space(context, space);
            import(&runtime, path, format, skip_invalid, dry_run).await
        }
        ControlRequest::Export { format, out, space } => {
            export(&in_space(context, space), format, out).await
        }
        ControlRequest::Quit => {
            let _ = context.quit.send(());
            ControlResponse::Done { message: "quitting".into() }
        }
        ControlRequest::Palette => to_ui(context, UiCommand::OpenPalette, "opening the palette"),
        ControlRequest::Library => to_ui(context, UiCommand::OpenLibrary, "showing the library"),
        ControlRequest::Settings => to_ui(context, UiCommand::OpenSettings, "showing the settings"),
        ControlRequest::Capture => capture(context).await,
    }
}

/// The runtime, working on `space` or on the active workspace.
fn in_space(context: &ControlContext, space: Option<String>) -> RuntimeHandle {
    context.runtime.in_space(space.as_deref().unwrap_or_default())
}

/// Switches to `space`, or lists the workspaces with the active one marked.
fn workspace(context: &ControlContext, space: Option<String>) -> ControlResponse {
    if let Some(space) = space {
        return match context.runtime.switch_to(&space) {
            Ok(()) => ControlResponse::Done { message: format!("the active workspace is {space}") },
            Err(e) => ControlResponse::failed(e),
        };
    }
    let status = context.runtime.status();
    let lines: Vec<String> = status
        .workspaces
        .iter()
        .map(|w| {
            let mark = if w.space == status.active_space { "*" } else { " " };
            let count = w.library.prompt_count;
            let noun = if count == 1 { "prompt" } else { "prompts" };
            format!("{mark} {}  ({count} {noun})", w.space)
        })
        .collect();
    ControlResponse::Done { message: lines.join("\n") }
}

fn to_ui(context: &ControlContext, command: UiCommand, message: &str) -> ControlResponse {
    let Some(ui) = &context.ui else {
        return ControlResponse::failed(
            "this instance runs headless and has no windows; start promptdeck without --headless",
        );
    };
    match ui.send(command) {
        Ok(()) => ControlResponse::Done { message: message.into() },
        Err(_) => ControlResponse::failed("the windows are shutting down"),
    }
}

async fn capture(context: &ControlContext) -> ControlResponse {
    let (reply, answer) = oneshot::channel();
    if let ControlResponse::Failed { error } = to_ui(context, UiCommand::Capture(Some(reply)), "") {
        return ControlResponse::Failed { error };
    }
    match answer.await {
        Ok(Ok(title)) => ControlResponse::Done { message: format!("saved: {title}") },
        Ok(Err(error)) => ControlResponse::failed(error),
        Err(_) => ControlResponse::failed("the capture was dropped"),
    }
}

async fn import(
    runtime: &RuntimeHandle,
    path: PathBuf,
    format: Option<Format>,
    skip_invalid: bool,
    dry_run: bool,
) -> ControlResponse {
    let format = match format.map_or_else(|| transfer::guess_format(&path), Ok) {
        Ok(format) => format,
        Err(e) => return ControlResponse::failed(e),
    };
    let read = match tokio::task::spawn_blocking(move || transfer::read(&path, format)).await {
        Ok(Ok(read)) => read,
        Ok(Err(e)) => return ControlResponse::failed(e),
        Err(e) => return ControlResponse::failed(e),
    };
    let existing = match runtime.all_prompts().await {
        Ok(existing) => existing,
        Err(e) => return ControlResponse::failed(e),
    };
    // Checking every entry of a large file is work for a blocking thread, not for one the
    // socket, sync and windows share.
    let now = promptdeck_protocol::now_millis();
    let mut plan =
        match tokio::task::spawn_blocking(move || transfer::plan(read, &existing, now)).await {
            Ok(plan) => plan,
            Err(e) => return ControlResponse::failed(e),
        };
    let blocked = !plan.errors.is_empty() && !skip_invalid;
    let (count, mutations) = (plan.prompts, plan.mutations.len());
    let verdict = if blocked {
        format!(
            "nothing was imported: {} entries cannot be; fix them or add --skip-invalid",
            plan.errors.len()
        )
    } else if dry_run {
        format!(
            "would import {count} prompts ({mutations} changes); nothing was imported (--dry-run)"
        )
    } else if count == 0 {
        "nothing new to import".to_owned()
    } else {
        match runtime.mutate_all(std::mem::take(&mut plan.mutations)).await {
            Ok(_) => format!("imported {count} prompts"),
            Err(e) => return ControlResponse::failed(format!("nothing was imported: {e}")),
        }
    };
    let report = import_report(&verdict, &plan);
    if blocked {
        ControlResponse::failed(report)
    } else {
        ControlResponse::Done { message: report }
    }
}

/// Entries of each kind a report lists; a file of 100k duplicates gets a bounded answer.
const REPORTED_ENTRIES: usize = 50;

/// The verdict, then the duplicates and the entries that could not be imported (the first
/// [`REPORTED_ENTRIES`] of each, and how many more).
fn import_report(verdict: &str, plan: &transfer::ImportPlan) -> String {
    let mut lines = vec![verdict.to_owned()];
    let mut section = |heading: String, entries: &[String]| {
        if !entries.is_empty() {
            lines.push(heading);
            lines.extend(entries.iter().take(REPORTED_ENTRIES).map(|e| format!("  {e}")));
            if entries.len() > REPORTED_ENTRIES {
                lines.push(format!("  … and {} more", entries.len() - REPORTED_ENTRIES));
            }
        }
    };
    section(format!("{} duplicates skipped:", plan.duplicates.len()), &plan.duplicates);
    section(format!("{} entries cannot be imported:", plan.errors.len()), &plan.errors);
    section(
        format!("{} entries imported with less than they claim:", plan.trimmed.len()),
        &plan.trimmed,
    );
    lines.join("\n")
}

async fn export(runtime: &RuntimeHandle, format: Format, out: Option<PathBuf>) -> ControlResponse {
    let prompts = match runtime.all_prompts().await {
        Ok(mut prompts) => {
            prompts.sort_by(|a, b| a.title.cmp(&b.title).then_with(|| a.id.cmp(&b.id)));
            prompts
        }
        Err(e) => return ControlResponse::failed(e),
    };
    let count = prompts.len();
    let written = tokio::task::spawn_blocking(move || {
        transfer::export(format, &prompts, out.as_deref()).map(|text| (text, out))
    })
    .await;
    match written {
        Ok(Ok((Some(text), _))) => ControlResponse::Done { message: text },
        Ok(Ok((None, out))) => {
            let place = out.map(|p| p.display().to_string()).unwrap_or_default();
            ControlResponse::Done { message: format!("exported {count} prompts to {place}") }
        }
        Ok(Err(e)) => ControlResponse::failed(e),
        Err(e) => ControlResponse::failed(e),
    }
}

/// A write done, in `words`, and what it cost the history when the disk was full.
fn done(receipt: &MutationReceipt, words: String) -> ControlResponse {
    let message = match receipt.history_notice() {
        Some(notice) => format!("{words}\n{notice}"),
        None => words,
    };
    ControlResponse::Done { message }
}
