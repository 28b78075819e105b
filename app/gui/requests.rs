//! What the windows ask of the runtime and the desktop, as tasks whose answers come back as
//! messages. Nothing here waits on the UI thread.

use std::collections::HashMap;

use iced::Task;
use iced::window;
use promptdeck_actors::{Origin, PromptDraft, RequestError, RuntimeHandle, Scope, SearchHit};
use promptdeck_protocol::{PromptId, PromptKey, PromptSummary};
use promptdeck_storage::history;
use promptdeck_views::history as history_view;
use promptdeck_views::{account, editor, library, palette};
use tokio::sync::oneshot;

use super::Message;
use crate::command::CaptureFailed;
use crate::desktop::{Delivery, Desktop, DesktopError, Insertion};
use promptdeck_client::local_time::to_the_minute;

/// How many prompts the palette lists.
pub const PALETTE_ROWS: usize = 50;

/// Why a chosen prompt was not inserted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InsertFailed {
    #[error(transparent)]
    Runtime(#[from] RequestError),
    #[error("the prompt was deleted meanwhile")]
    Deleted,
    #[error(transparent)]
    Desktop(#[from] DesktopError),
}

fn summaries(hits: Vec<SearchHit>) -> Vec<PromptSummary> {
    hits.into_iter().map(|h| h.prompt).collect()
}

/// The palette's first frame: the best prompts for an empty query.
pub fn first_page(runtime: &RuntimeHandle) -> Task<Message> {
    let runtime = runtime.clone();
    Task::perform(
        async move { runtime.search(&Origin("recent".into()), "", PALETTE_ROWS).await.map(summaries) },
        Message::FirstPage,
    )
}

/// The palette's search, in the workspace it shows or in all of them.
pub fn palette_search(
    runtime: &RuntimeHandle,
    window: window::Id,
    query: String,
    scope: palette::Scope,
) -> Task<Message> {
    let scope = match scope {
        palette::Scope::All => Scope::All,
        palette::Scope::Workspace(space) if space.is_empty() => Scope::Active,
        palette::Scope::Workspace(space) => Scope::Space(space),
    };
    search(runtime, window, query, PALETTE_ROWS, scope)
}

/// Runs a window's search; an answer superseded by a newer keystroke produces no message.
pub fn search(
    runtime: &RuntimeHandle,
    window: window::Id,
    query: String,
    limit: usize,
    scope: Scope,
) -> Task<Message> {
    let runtime = runtime.clone();
    let origin = Origin(format!("{window:?}"));
    Task::future(async move {
        match runtime.search_in(&origin, &query, limit, scope).await {
            Err(RequestError::Superseded) => None,
            result => Some(Message::Searched { window, query, result: result.map(summaries) }),
        }
    })
    .and_then(Task::done)
}

/// The body of the palette's selected prompt, for its preview. A prompt deleted meanwhile
/// keeps its one-line preview.
pub fn preview(runtime: &RuntimeHandle, window: window::Id, key: PromptKey) -> Task<Message> {
    let runtime = runtime.in_space(&key.space);
    Task::future(async move {
        let found = runtime.get(&key.id).await.ok().flatten();
        found.map(|prompt| Message::Previewed(window, key, prompt))
    })
    .and_then(Task::done)
}

/// The prompt chosen in the palette, in full.
pub fn choose(
    runtime: &RuntimeHandle,
    window: window::Id,
    key: PromptKey,
    copy: bool,
) -> Task<Message> {
    let runtime = runtime.in_space(&key.space);
    let fetch = async move {
        let (found, recent) = tokio::join!(runtime.get(&key.id), runtime.field_values(&key.id));
        // What was typed before is a convenience: without it the form starts at defaults.
        let recent = recent
            .inspect_err(|e| tracing::warn!(error = %e, "the fields' last values are unavailable"))
            .unwrap_or_default();
        (found, recent, key)
    };
    Task::perform(fetch, move |(found, recent, key)| Message::Chosen {
        window,
        key,
        found,
        recent,
        copy,
    })
}

/// Fetches the prompt, fills it in and delivers it on the desktop's worker, then counts
/// the use and learns it was picked for the query `picked_for`, if given.
pub fn insert(
    runtime: &RuntimeHandle,
    desktop: &Desktop,
    id: PromptId,
    fields: HashMap<String, String>,
    delivery: Delivery,
    picked_for: Option<String>,
) -> Task<Message> {
    let (runtime, inserter) = (runtime.clone(), desktop.inserter());
    Task::perform(
        async move {
            let prompt = runtime.get(&id).await?.ok_or(InsertFailed::Deleted)?;
            if !fields.is_empty() {
                let typed = fields.iter().map(|(f, v)| (f.clone(), v.clone())).collect();
                if let Err(e) = runtime.remember_fields(&id, typed).await {
                    tracing::warn!(error = %e, "could not keep what was typed into the fields");
                }
            }
            let body = prompt.body.clone();
            let inserted = inserter.insert(Insertion { body, fields, delivery }).await?;
            // Learned before the use is counted: the use changes the library, and the
            // searches that change sets off must already rank the pick.
            if let Some(query) = picked_for.filter(|query| !query.trim().is_empty())
                && let Err(e) = runtime.learn(&query, &id).await
            {
                tracing::warn!(error = %e, "could not learn the pick");
            }
            if let Err(e) = runtime.mark_used(&id).await {
                tracing::warn!(error = %e, "could not record the use");
            }
            Ok(inserted)
        },
        Message::Inserted,
    )
}

/// Turns learning on or off, as the settings now ask; off forgets what was learned.
pub fn set_learning(runtime: &RuntimeHandle, on: bool) -> Task<Message> {
    let runtime = runtime.clone();
    Task::future(async move {
        match runtime.set_learning(on).await {
            Ok(()) if on => tracing::info!("the palette learns again"),
            Ok(()) => tracing::info!("forgot what the palette learned"),
            Err(e) => tracing::warn!(error = %e, "could not turn learning {}", if on { "on" } else { "off" }),
        }
    })
    .discard()
}

/// Saves the selection as a prompt and says so; `reply` hears the outcome too.
pub fn capture(
    runtime: &RuntimeHandle,
    desktop: &Desktop,
    reply: Option<oneshot::Sender<Result<String, CaptureFailed>>>,
) -> Task<Message> {
    let runtime = runtime.clone();
    let drafted = desktop.capture();
    let notifier = desktop.notifier();
    Task::perform(
        async move {
            let saved = async {
                let draft = drafted.await?;
                let title = draft.title.clone();
                runtime.create(draft).await?;
                Ok::<_, CaptureFailed>(title)
            }
            .await;
            if let Ok(title) = &saved {
                let title = title.clone();
                // The bus call blocks; the capture is saved and answered however it goes.
                tokio::task::spawn_blocking(move || notifier.saved(&title));
            }
            if let Some(reply) = reply {
                let _ = reply.send(saved.clone());
            }
            saved
        },
        Message::Captured,
    )
}

pub fn open(
    runtime: &RuntimeHandle,
    window: window::Id,
    id: PromptId,
    space: &str,
) -> Task<Message> {
    let runtime = runtime.in_space(space);
    Task::perform(async move { runtime.get(&id).await }, move |result| {
        Message::Opened(window, result)
    })
}

/// Saves the library's draft: a new prompt, or an edit of the one it was opened from.
pub fn save(
    runtime: &RuntimeHandle,
    window: window::Id,
    draft: editor::Draft,
    space: &str,
) -> Task<Message> {
    let runtime = runtime.in_space(space);
    let editor::Draft { id, title, body, tags } = draft;
    let prompt = PromptDraft { title, body, tags };
    Task::perform(
        async move {
            let saved = match id {
                Some(id) => runtime.update(&id, prompt).await,
                None => runtime.create(prompt).await,
            };
            saved.map(drop)
        },
        move |result| Message::Edited(window, result),
    )
}

pub fn delete(
    runtime: &RuntimeHandle,
    window: window::Id,
    id: PromptId,
    space: &str,
) -> Task<Message> {
    let runtime = runtime.in_space(space);
    Task::perform(async move { runtime.delete(&id).await.map(drop) }, move |result| {
        Message::Edited(window, result)
    })
}

/// Fetches the versions of `id` for the library's history, their times in words.
pub fn history(
    runtime: &RuntimeHandle,
    window: window::Id,
    id: PromptId,
    space: &str,
) -> Task<Message> {
    let runtime = runtime.in_space(space);
    Task::perform(
        async move {
            let versions = runtime.history(&id).await;
            let shown = versions.map(|versions| versions.into_iter().map(shown_version).collect());
            (id, shown.map_err(|e| e.to_string()))
        },
        move |(id, versions)| Message::HistoryListed(window, id, versions),
    )
}

fn shown_version(entry: history::Entry) -> history_view::Version {
    history_view::Version {
        number: entry.number,
        saved: to_the_minute(entry.saved_at),
        made_by: entry.made_by.map_or("", history::Origin::words).to_owned(),
        title: entry.title,
        body: entry.body,
        tags: entry.tags,
        current: entry.current,
        deleted: entry.deleted_at.map(to_the_minute),
    }
}

/// Fetches the prompts deleted lately in `space`, for the library's "Recently deleted".
pub fn recently_deleted(runtime: &RuntimeHandle, window: window::Id, space: &str) -> Task<Message> {
    let runtime = runtime.in_space(space);
    Task::perform(
        async move {
            let deleted = runtime.recently_deleted().await.map_err(|e| e.to_string())?;
            let shown = deleted.into_iter().map(|d| library::DeletedPrompt {
                id: d.id,
                title: d.title,
                deleted: to_the_minute(d.deleted_at),
            });
            Ok(shown.collect())
        },
        move |deleted| Message::DeletedListed(window, deleted),
    )
}

/// Makes `version` of `id` current again, or brings a deleted `id` back.
pub fn restore(
    runtime: &RuntimeHandle,
    window: window::Id,
    id: PromptId,
    version: Option<u64>,
    space: &str,
) -> Task<Message> {
    let runtime = runtime.in_space(space);
    Task::perform(
        async move {
            let restored = runtime.restore(&id, version).await.map(drop).map_err(|e| e.to_string());
            (id, restored)
        },
        move |(id, restored)| Message::Restored(window, id, restored),
    )
}

/// Adds or removes the prompt's `pinned` tag; the palette re-sorts when the change lands.
pub fn toggle_pin(runtime: &RuntimeHandle, key: PromptKey) -> Task<Message> {
    let runtime = runtime.in_space(&key.space);
    Task::future(async move {
        if let Err(e) = runtime.toggle_pin(&key.id).await {
            tracing::warn!(error = %e, "the pin did not change");
        }
    })
    .discard()
}

pub fn sync_now(runtime: &RuntimeHandle) -> Task<Message> {
    let runtime = runtime.clone();
    Task::future(async move {
        if let Err(e) = runtime.sync_now().await {
            tracing::warn!(error = %e, "sync now failed");
        }
    })
    .discard()
}

/// Signs in (waiting for the browser), cancels, or signs out; the outcome goes to `window`
/// if it asked.
pub fn change_account(
    runtime: &RuntimeHandle,
    window: Option<window::Id>,
    request: account::Request,
) -> Task<Message> {
    let runtime = runtime.clone();
    Task::perform(
        async move {
            match request {
                account::Request::SignIn => match runtime.sign_in().await {
                    Ok(_) => runtime.wait_for_sign_in().await.map(drop),
                    Err(e) => Err(e),
                },
                account::Request::CancelSignIn => runtime.cancel_sign_in().await,
                account::Request::SignOut => runtime.sign_out().await.map(drop),
            }
        },
        move |result| Message::AccountChanged(window, result),
    )
}
