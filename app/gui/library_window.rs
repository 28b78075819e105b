//! The library window: opening it, and what its actions ask of the runtime.

use std::sync::Arc;

use iced::Task;
use iced::window;
use promptdeck_actors::{RequestError, Scope};
use promptdeck_protocol::Prompt;
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
