//! The desktop's worker: a thread of its own that owns the clipboard and the keys typed into
//! other applications, and does one job at a time from a channel. An insertion waits for
//! the window manager, the target application and the clipboard's owner (up to some 0.7 s
//! in all); here that waiting holds up only the next insertion, never the windows.

use std::sync::mpsc;

use promptdeck_actors::PromptDraft;
use tokio::sync::oneshot;

use super::capture::{self, CaptureError};
use super::insertion::{self, Inserted};
use super::{Clipboard, DesktopError, Insertion, Keys};

/// What the worker is asked to do; each job answers on its own channel.
pub enum Job {
    Insert(Insertion, oneshot::Sender<Result<Inserted, DesktopError>>),
    Capture(oneshot::Sender<Result<PromptDraft, CaptureError>>),
    /// The clipboard's text, for a search box of ours that has no clipboard of its own.
    ReadText(oneshot::Sender<Option<String>>),
    /// Text copied from a search box of ours.
    Copy(String),
}

/// The sending side; the thread ends when every clone is dropped.
#[derive(Clone)]
pub struct Worker {
    jobs: mpsc::Sender<Job>,
}

impl Worker {
    pub fn start(
        keys: Result<Box<dyn Keys>, DesktopError>,
        clipboard: Result<Box<dyn Clipboard>, DesktopError>,
    ) -> Self {
        let (jobs, queue) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("promptdeck-desktop".into())
            .spawn(move || work(queue, keys, clipboard));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "the desktop worker could not start; nothing can be inserted");
        }
        Self { jobs }
    }

    /// Sends `job`, which answers nothing.
    pub fn tell(&self, job: Job) {
        if self.jobs.send(job).is_err() {
            tracing::warn!("the desktop worker has stopped; the job was dropped");
        }
    }

    /// Sends `job` and waits for its `answer`, without blocking the caller's thread.
    pub fn ask<T>(
        &self,
        job: Job,
        answer: oneshot::Receiver<T>,
    ) -> impl Future<Output = Result<T, DesktopError>> + use<T> {
        let sent = self.jobs.send(job);
        async move {
            sent.map_err(|_| DesktopError::WorkerGone)?;
            answer.await.map_err(|_| DesktopError::WorkerGone)
        }
    }
}

fn work(
    queue: mpsc::Receiver<Job>,
    keys: Result<Box<dyn Keys>, DesktopError>,
    mut clipboard: Result<Box<dyn Clipboard>, DesktopError>,
) {
    for job in queue {
        match job {
            Job::Insert(insertion, reply) => {
                let done = match &mut clipboard {
                    Ok(clipboard) => insertion::deliver(insertion, clipboard.as_mut(), &keys),
                    Err(e) => Err(e.clone()),
                };
                let _ = reply.send(done);
            }
            Job::Capture(reply) => {
                let drafted = match &mut clipboard {
                    Ok(clipboard) => {
                        clipboard.selection().map(|text| capture::draft_from_selection(&text))
                    }
                    Err(e) => Err(CaptureError::Unavailable(e.to_string())),
                };
                let _ = reply.send(drafted);
            }
            Job::ReadText(reply) => {
                let _ = reply.send(clipboard.as_mut().ok().and_then(|c| c.text()));
            }
            Job::Copy(text) => match &mut clipboard {
                Ok(clipboard) => {
                    if let Err(e) = clipboard.put(&text) {
                        tracing::warn!(error = %e, "the copied text could not go on the clipboard");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "nothing can be copied here"),
            },
        }
    }
}
