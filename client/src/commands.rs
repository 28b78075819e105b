//! Subcommands: ask the running instance and print its answer.

use std::io::{Read, Write};
use std::process::ExitCode;

use promptdeck_protocol::diff::{Content, what_changed};
use promptdeck_protocol::{Limits, PromptSummary, ValidationError};
use promptdeck_storage::history;
use serde_json::Value;

use crate::cli::Command;
use crate::control::{self, ControlRequest, ControlResponse};
use crate::local_time::to_the_minute;
use crate::profile::Profile;

pub fn run(profile: &Profile, command: Command) -> ExitCode {
    let socket = profile.control_path();
    // The two commands that take more than one request.
    match command {
        Command::Login => return sign_in(&socket),
        Command::Logout { remove_local_data: true } => {
            return sign_out_and_remove(profile);
        }
        _ => {}
    }
    let (request, json) = match into_request(command) {
        Ok(pair) => pair,
        Err(error) => return fail(&error),
    };
    let answer = control::request(&socket, &request);
    match answer {
        Ok(ControlResponse::Failed { error }) => fail(&error),
        Ok(response) => {
            print(response, json);
            ExitCode::SUCCESS
        }
        Err(error) => fail(&error.to_string()),
    }
}

fn into_request(command: Command) -> Result<(ControlRequest, bool), String> {
    Ok(match command {
        Command::Palette => (ControlRequest::Palette, false),
        Command::Library => (ControlRequest::Library, false),
        Command::Settings => (ControlRequest::Settings, false),
        Command::Capture => (ControlRequest::Capture, false),
        Command::Status { json } => (ControlRequest::Status, json),
        Command::List { json, space } => (ControlRequest::List { space }, json),
        Command::Edit { id, title, body, tags, space } => {
            let body = match body.as_deref() {
                Some("-") => Some(read_stdin()?),
                _ => body,
            };
            let tags = (!tags.is_empty()).then_some(tags);
            if title.is_none() && body.is_none() && tags.is_none() {
                return Err("nothing to change: give --title, --body or --tag".into());
            }
            let body = body.map(within_limit).transpose()?;
            (ControlRequest::Edit { id, title, body, tags, space }, false)
        }
        Command::Delete { id, space } => (ControlRequest::Delete { id, space }, false),
        Command::History { id, json, space } => (ControlRequest::History { id, space }, json),
        Command::Restore { id, version, space } => {
            (ControlRequest::Restore { id, version, space }, false)
        }
        Command::Deleted { json, space } => (ControlRequest::Deleted { space }, json),
        Command::Space { space } => (ControlRequest::Space { space }, false),
        Command::Quit => (ControlRequest::Quit, false),
        Command::Import { path, format, skip_invalid, dry_run, space } => {
            // The instance reads the file: it may be far larger than a request may be.
            let path = std::path::absolute(&path)
                .map_err(|e| format!("cannot resolve {}: {e}", path.display()))?;
            (ControlRequest::Import { path, format, skip_invalid, dry_run, space }, false)
        }
        Command::Export { format, out, space } => {
            let out = match out {
                Some(out) => Some(
                    std::path::absolute(&out)
                        .map_err(|e| format!("cannot resolve {}: {e}", out.display()))?,
                ),
                None => None,
            };
            (ControlRequest::Export { format, out, space }, false)
        }
        Command::Sync => (ControlRequest::Sync, false),
        Command::Login => (ControlRequest::SignIn, false),
        Command::Logout { .. } => (ControlRequest::SignOut, false),
        Command::InstallDesktop { .. } => {
            return Err("install-desktop needs no running instance; run it on its own".into());
        }
        Command::Add { title, body, tags, space } => {
            let body = match body {
                Some(body) => body,
                None => read_stdin()?,
            };
            (ControlRequest::Add { title, body: within_limit(body)?, tags, space }, false)
        }
    })
}

/// `body`, if it is within the limit the runtime applies: checked before megabytes cross
/// the socket.
fn within_limit(body: String) -> Result<String, String> {
    if body.len() > Limits::BODY_BYTES {
        let error = ValidationError::BodyTooLarge { size: body.len() };
        return Err(format!("{error}; nothing was saved"));
    }
    Ok(body)
}

/// Starts the sign-in, shows its URL for when no browser opens, and waits for its end.
#[allow(clippy::print_stdout)]
fn sign_in(socket: &std::path::Path) -> ExitCode {
    let url = match control::request(socket, &ControlRequest::SignIn) {
        Ok(ControlResponse::Done { message }) => message,
        Ok(ControlResponse::Failed { error }) => return fail(&error),
        Ok(other) => return fail(&format!("unexpected answer: {other:?}")),
        Err(error) => return fail(&error.to_string()),
    };
    println!("Sign in in your browser. If it did not open, open this address:\n\n  {url}\n");
    match control::request(socket, &ControlRequest::AwaitSignIn) {
        Ok(ControlResponse::Done { message }) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Ok(ControlResponse::Failed { error }) => fail(&error),
        Ok(other) => fail(&format!("unexpected answer: {other:?}")),
        Err(error) => fail(&error.to_string()),
    }
}

/// Signs out, stops the instance, and deletes the library file once the instance has let
/// go of the profile.
#[allow(clippy::print_stdout)]
fn sign_out_and_remove(profile: &Profile) -> ExitCode {
    let socket = profile.control_path();
    for request in [ControlRequest::SignOut, ControlRequest::Quit] {
        match control::request(&socket, &request) {
            Ok(ControlResponse::Failed { error }) => return fail(&error),
            Err(error) => return fail(&error.to_string()),
            Ok(_) => {}
        }
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let _lock = loop {
        match profile.lock() {
            Ok(Some(lock)) => break lock,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Ok(None) => return fail("signed out, but the instance did not stop; nothing removed"),
            Err(e) => return fail(&format!("signed out, but {e:#}; nothing removed")),
        }
    };
    match profile.remove_local_data() {
        Ok(removed) if removed.is_empty() => {
            println!("signed out; there was no library on this device");
            ExitCode::SUCCESS
        }
        Ok(_) => {
            let library = profile.library_path();
            println!(
                "signed out; removed the library from this device ({}), with every workspace, the damaged copies set aside and the logs",
                library.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(&format!("signed out, but {e:#}")),
    }
}

fn read_stdin() -> Result<String, String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the body from standard input: {e}"))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "the body on standard input is not valid UTF-8 (bad byte at offset {}); \
             nothing was saved",
            e.utf8_error().valid_up_to()
        )
    })
}

fn fail(error: &str) -> ExitCode {
    eprintln!("promptdeck: {error}");
    ExitCode::FAILURE
}

/// Writes the answer to standard output. A reader that stops early (`promptdeck list | head`)
/// is not an error: the rest is simply not written.
fn print(response: ControlResponse, json: bool) {
    let text = match response {
        ControlResponse::Done { message } => message,
        ControlResponse::Status { health } if json => format!("{health:#}"),
        ControlResponse::Status { health } => describe_health(&health),
        ControlResponse::List { prompts } if json => {
            serde_json::to_string_pretty(&prompts).unwrap_or_default()
        }
        ControlResponse::List { prompts } if prompts.is_empty() => return,
        ControlResponse::List { prompts } => {
            prompts.iter().map(describe_prompt).collect::<Vec<_>>().join("\n")
        }
        ControlResponse::History { versions } if json => {
            serde_json::to_string_pretty(&versions).unwrap_or_default()
        }
        ControlResponse::History { versions } => describe_history(&versions),
        ControlResponse::Deleted { prompts } if json => {
            serde_json::to_string_pretty(&prompts).unwrap_or_default()
        }
        ControlResponse::Deleted { prompts } if prompts.is_empty() => return,
        ControlResponse::Deleted { prompts } => {
            prompts.iter().map(describe_deleted).collect::<Vec<_>>().join("\n")
        }
        ControlResponse::Failed { .. } => return,
    };
    let mut out = std::io::stdout().lock();
    let written = writeln!(out, "{text}").and_then(|()| out.flush());
    if let Err(e) = written
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("promptdeck: cannot write the answer: {e}");
    }
}

fn describe_prompt(prompt: &PromptSummary) -> String {
    let tags: String = prompt.tags.iter().map(|t| format!(" #{t}")).collect();
    format!("{}  {}{tags}", prompt.id, prompt.title)
}

fn content(e: &history::Entry) -> Content<'_> {
    Content { title: &e.title, body: &e.body, tags: &e.tags, then_deleted: e.deleted_at.is_some() }
}

/// One line a version: its number, when it was saved, where the change came from, what it
/// changed from the one before, and its title.
fn describe_history(versions: &[history::Entry]) -> String {
    let mut lines = Vec::with_capacity(versions.len());
    let mut before: Option<&history::Entry> = None;
    for version in versions {
        let changed = what_changed(before.map(content), content(version));
        let by = version.made_by.map_or("", history::Origin::words);
        let mark = match (version.current, version.deleted_at) {
            (true, _) => "  (current)".to_owned(),
            (false, Some(at)) => format!("  (then deleted {})", to_the_minute(at)),
            (false, None) => String::new(),
        };
        lines.push(format!(
            "v{:<3} {}  {by:<11}  {changed:<28}  {}{mark}",
            version.number,
            to_the_minute(version.saved_at),
            version.title
        ));
        before = Some(version);
    }
    lines.join("\n")
}

fn describe_deleted(deleted: &history::Deleted) -> String {
    format!("{}  {}  deleted {}", deleted.id, deleted.title, to_the_minute(deleted.deleted_at))
}

fn describe_health(health: &Value) -> String {
    let status = &health["status"];
    let workspaces = status["workspaces"].as_array().cloned().unwrap_or_default();
    let mut lines: Vec<String> = workspaces
        .iter()
        .map(|w| {
            let active = w["space"] == status["activeSpace"];
            format!(
                "{} {}: {} prompts, {} pending, sync: {}",
                if active { "*" } else { " " },
                w["space"].as_str().unwrap_or("?"),
                w["promptCount"],
                w["pending"],
                w["sync"]["state"].as_str().unwrap_or("?")
            )
        })
        .collect();
    match status["account"].as_str() {
        Some("signedIn") => lines.push("account: signed in".into()),
        Some("signingIn") => lines.push("account: signing in (in the browser)".into()),
        Some("signedOut") => lines.push("account: signed out; run `promptdeck login`".into()),
        _ => {}
    }
    for actor in health["actors"].as_array().into_iter().flatten() {
        let space = actor["space"].as_str().map(|s| format!(" [{s}]")).unwrap_or_default();
        lines.push(format!(
            "{}{space}: {} ({} restarts)",
            actor["name"].as_str().unwrap_or("?"),
            actor["state"].as_str().unwrap_or("?"),
            actor["restarts"]
        ));
    }
    let cache = &health["cache"];
    lines.push(format!("cache: {} hits, {} misses", cache["hits"], cache["misses"]));
    lines.push(format!("queue: {} of {}", health["queueDepth"], health["queueCapacity"]));
    if let Some(rss) = health["rssBytes"].as_u64() {
        lines.push(format!("memory: {:.1} MB resident", rss as f64 / 1e6));
    }
    lines.join("\n")
}
