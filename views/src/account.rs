//! Whether this device is signed in to sync, and the one button that changes it.

use iced::Element;
use iced::widget::{button, row, text};

use crate::theme;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Account {
    /// Sync signs in nowhere (no server, a fixed token, or a server that wants none).
    #[default]
    NotNeeded,
    SignedOut,
    /// The browser is open at the provider.
    SigningIn,
    SignedIn,
}

/// What the account button asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    SignIn,
    CancelSignIn,
    SignOut,
}

/// The account's state in words with its button; nothing when no sign-in is needed. A
/// failed sign-in's reason stays beside the button until the next attempt.
pub fn view<'a>(account: Account, error: Option<&'a str>) -> Element<'a, Request> {
    let (words, label, request) = match account {
        Account::NotNeeded => return row![].into(),
        Account::SignedOut => ("Signed out", "Sign in", Request::SignIn),
        Account::SigningIn => {
            ("Finish signing in in your browser…", "Cancel", Request::CancelSignIn)
        }
        Account::SignedIn => ("Signed in", "Sign out", Request::SignOut),
    };
    let mut line = row![].spacing(8).align_y(iced::Center);
    if let Some(error) = error {
        line = line.push(text(error).size(12).style(theme::error));
    }
    line.push(text(words).size(12).style(theme::muted))
        .push(button(text(label).size(12)).padding([2, 8]).on_press(request))
        .into()
}
