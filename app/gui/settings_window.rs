//! The settings window: opening it, saving its form, and showing what is not working.

use iced::Task;
use iced::window;
use promptdeck_views::settings as settings_view;

use super::preferences::{self, SavingFailed};
use super::windows::Window;
use super::{Message, Promptdeck, focus, requests, status, window_settings};
use crate::settings::{DesktopSettings, SettingsError};

impl Promptdeck {
    pub(super) fn open_settings(&mut self) -> Task<Message> {
        if let Some(id) = self.windows.settings() {
            return window::gain_focus(id);
        }
        let autostart = self.desktop.autostart();
        let form = preferences::form(&self.settings, &self.settings_file, autostart.as_ref());
        let state = settings_view::State::new(form, status::account(&self.status));
        let (id, open) = window::open(window_settings::settings());
        self.windows.insert(id, Window::Settings(state));
        self.show_settings_problems();
        open.discard().chain(focus(id, settings_view::PALETTE_HOTKEY_ID))
    }

    pub(super) fn settings_message(
        &mut self,
        id: window::Id,
        message: settings_view::Message,
    ) -> Task<Message> {
        let Some(state) = self.windows.settings_mut(id) else { return Task::none() };
        match state.update(message) {
            settings_view::Action::None => Task::none(),
            settings_view::Action::Close => self.close(id),
            settings_view::Action::Account(request) => {
                requests::change_account(&self.runtime, Some(id), request)
            }
            settings_view::Action::Save(form) => {
                let (file, autostart) = (self.settings_file.clone(), self.desktop.autostart());
                Task::perform(
                    async move {
                        let saved = tokio::task::spawn_blocking(move || {
                            preferences::save(&file, &form, autostart.as_ref())
                        });
                        saved
                            .await
                            .unwrap_or_else(|e| Err(SavingFailed::Interrupted(e.to_string())))
                    },
                    move |outcome| Message::SettingsSaved(id, outcome),
                )
            }
        }
    }

    pub(super) fn settings_saved(
        &mut self,
        id: window::Id,
        outcome: Result<String, SavingFailed>,
    ) -> Task<Message> {
        if let Some(state) = self.windows.settings_mut(id) {
            state.saved(outcome.map_err(|e| e.to_string()));
        }
        Task::none()
    }

    /// settings.toml changed while the app runs: hotkeys again, and the new paste method,
    /// theme and learning from now on; learning turned off forgets what was learned, here
    /// and where it synced.
    pub(super) fn settings_applied(&mut self, settings: DesktopSettings) -> Task<Message> {
        let learning = (self.settings.learn != settings.learn).then_some(settings.learn);
        self.apply_settings(settings);
        self.show_settings_problems();
        learning.map_or_else(Task::none, |on| requests::set_learning(&self.runtime, on))
    }

    pub(super) fn hotkeys_refused(&mut self, problem: String) -> Task<Message> {
        tracing::warn!(%problem, "global hotkeys");
        self.hotkey_problems.push(problem);
        self.show_settings_problems();
        Task::none()
    }

    pub(super) fn paste_refused(&mut self, problem: String) -> Task<Message> {
        tracing::warn!(%problem, "paste");
        self.desktop.paste_refused(problem);
        self.show_settings_problems();
        Task::none()
    }

    pub(super) fn settings_problem_changed(
        &mut self,
        problem: Option<SettingsError>,
    ) -> Task<Message> {
        self.settings_problem = problem;
        self.show_settings_problems();
        Task::none()
    }

    /// The settings window lists what is not working in the settings in force, and what
    /// this desktop lacks (hotkeys the app cannot hold, paste it cannot do) with what to do.
    fn show_settings_problems(&mut self) {
        let mut problems = self.hotkey_problems.clone();
        problems.extend(self.desktop.limits().iter().cloned());
        problems.extend(self.settings_problem.iter().map(|p| format!("settings.toml: {p}")));
        if let Some(id) = self.windows.settings()
            && let Some(state) = self.windows.settings_mut(id)
        {
            state.set_problems(problems);
        }
    }
}
