//! The library window: opening it, and what its actions ask of the runtime.

use std::sync::Arc;

use iced::Task;
use iced::window;
use promptdeck_actors::{RequestError, Scope};
use promptdeck_protocol::{Prompt, PromptId};
use promptdeck_views::history as history_view;
use promptdeck_views::library;

use super::windows::Window;
use super::{Message, Promptdeck, focus, requests, status, window_settings};

impl Promptdeck {
    /// Opens the library window listing the active workspace, or focuses the open one.
    pub(super) fn open_library(&mut self) -> Task<Message> {
        if let Some(id) = self.windows.library() {
            return focus(id, library::SEARCH_ID);
        }
        let indicator = status::indicator(&self.status);
        let mut state = library::State::new(None, indicator.clone());
        state.set_status(indicator, status::counts(&self.status));
        state.set_account(status::account(&self.status));
        state.set_workspaces(status::workspaces(&self.status), &self.status.active_space);
        let load = state.data_changed();
        let (id, open) = window::open(window_settings::library());
        self.windows.insert(id, Window::Library(state));
        let load = self.library_action(id, load);
        open.discard().chain(focus(id, library::SEARCH_ID)).chain(load)
    }

    pub(super) fn library_message(
        &mut self,
        id: window::Id,
        message: library::Message,
    ) -> Task<Message> {
        let Some(state) = self.windows.library_mut(id) else { return Task::none() };
        let action = state.update(message);
        self.library_action(id, action)
    }

    /// Does what the library in `id` asked for.
    pub(super) fn library_action(
        &mut self,
        id: window::Id,
        action: library::Action,
    ) -> Task<Message> {
        let runtime = &self.runtime;
        match action {
            library::Action::None => Task::none(),
            library::Action::Search(query) => {
                requests::search(runtime, id, query, library::LIST_LIMIT, Scope::Active)
            }
            library::Action::Open { id: prompt, space } => {
                requests::open(runtime, id, prompt, &space)
            }
            library::Action::Save { draft, space } => requests::save(runtime, id, draft, &space),
            library::Action::Delete { id: prompt, space } => {
                requests::delete(runtime, id, prompt, &space)
            }
            library::Action::SwitchWorkspace(space) => self.switch_workspace(&space),
            library::Action::History { id: prompt, space } => {
                requests::history(runtime, id, prompt, &space)
            }
            library::Action::ListDeleted { space } => {
                requests::recently_deleted(runtime, id, &space)
            }
            library::Action::Restore { id: prompt, version, space } => {
                requests::restore(runtime, id, prompt, version, &space)
            }
            library::Action::Account(request) => {
                requests::change_account(runtime, Some(id), request)
            }
            library::Action::Close => self.close(id),
        }
    }

    fn switch_workspace(&self, space: &str) -> Task<Message> {
        if let Err(e) = self.runtime.switch_to(space) {
            tracing::warn!(error = %e, "the workspace did not switch");
        }
        Task::none()
    }

    /// The prompt the library asked for, into its editor.
    pub(super) fn opened(
        &mut self,
        id: window::Id,
        result: Result<Option<Arc<Prompt>>, RequestError>,
    ) -> Task<Message> {
        if let (Some(state), Ok(Some(prompt))) = (self.windows.library_mut(id), result) {
            state.open(&prompt);
        }
        Task::none()
    }

    pub(super) fn history_listed(
        &mut self,
        id: window::Id,
        prompt: &PromptId,
        versions: Result<Vec<history_view::Version>, String>,
    ) -> Task<Message> {
        if let Some(state) = self.windows.library_mut(id) {
            state.show_history(prompt, versions);
        }
        Task::none()
    }

    pub(super) fn deleted_listed(
        &mut self,
        id: window::Id,
        deleted: Result<Vec<library::DeletedPrompt>, String>,
    ) -> Task<Message> {
        if let Some(state) = self.windows.library_mut(id) {
            state.show_deleted(deleted);
        }
        Task::none()
    }

    /// A version was made current, or a deleted prompt brought back: the editor opens on it.
    pub(super) fn restored(
        &mut self,
        id: window::Id,
        prompt: PromptId,
        result: Result<(), String>,
    ) -> Task<Message> {
        let Some(state) = self.windows.library_mut(id) else { return Task::none() };
        let action = state.restored(prompt, result);
        self.library_action(id, action)
    }

    /// A save or delete ended: the editor closes, or says why not.
    pub(super) fn edited(
        &mut self,
        id: window::Id,
        result: Result<(), RequestError>,
    ) -> Task<Message> {
        if let Some(state) = self.windows.library_mut(id) {
            state.finished_edit(result.map_err(|e| e.to_string()));
        }
        Task::none()
    }
}
