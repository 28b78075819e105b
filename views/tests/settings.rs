//! The settings window in iced_test's simulator.

use iced::keyboard::key::Named;
use iced_test::selector::id;
use iced_test::{Error, simulator};
use promptdeck_views::Account;
use promptdeck_views::account::Request;
use promptdeck_views::settings::{Action, Appearance, Form, Message, PALETTE_HOTKEY_ID, State};

fn form() -> Form {
    Form {
        palette_hotkey: "ctrl+shift+space".into(),
        capture_hotkey: "ctrl+shift+c".into(),
        copy_only: false,
        theme: Appearance::Dark,
        learn: true,
        remember_search: 0,
        launch_at_login: false,
        server: String::new(),
        space: String::new(),
        allow_unencrypted_http: false,
    }
}

fn apply(state: &mut State, messages: Vec<Message>) -> Vec<Action> {
    messages.into_iter().map(|m| state.update(m)).filter(|a| *a != Action::None).collect()
}

#[test]
fn changes_are_saved_as_one_form() -> Result<(), Error> {
    let mut state = State::new(form(), Account::NotNeeded);
    let mut ui = simulator(state.view());
    ui.find("ctrl+shift+space")?;
    ui.click(id(PALETTE_HOTKEY_ID))?;
    let _ = ui.typewrite("+p");
    ui.click("Only copy; I paste myself")?;
    ui.click("Light")?;
    ui.click("Don't learn; forget what was learned, synced too")?;
    ui.click("Start Promptdeck when I log in")?;
    ui.click("Also plain http:// elsewhere: prompts and tokens readable on the way")?;
    let messages: Vec<Message> = ui.into_messages().collect();
    apply(&mut state, messages);

    let mut ui = simulator(state.view());
    ui.click("Save")?;
    let messages: Vec<Message> = ui.into_messages().collect();
    let actions = apply(&mut state, messages);
    let expected = Form {
        palette_hotkey: "ctrl+shift+space+p".into(),
        copy_only: true,
        theme: Appearance::Light,
        learn: false,
        launch_at_login: true,
        allow_unencrypted_http: true,
        ..form()
    };
    assert_eq!(actions, [Action::Save(expected)]);
    Ok(())
}

#[test]
fn revert_undoes_and_a_saved_form_has_nothing_to_save() -> Result<(), Error> {
    let mut state = State::new(form(), Account::SignedOut);
    state.update(Message::Server("http://sync.example".into()));
    let mut ui = simulator(state.view());
    ui.click("Revert")?;
    let messages: Vec<Message> = ui.into_messages().collect();
    apply(&mut state, messages);
    assert_eq!(state.form(), &form());

    let mut ui = simulator(state.view());
    ui.click("Save")?;
    let messages: Vec<Message> = ui.into_messages().collect();
    assert!(apply(&mut state, messages).is_empty(), "nothing changed, nothing to save");

    let mut ui = simulator(state.view());
    ui.click("Sign in")?;
    let _ = ui.tap_key(Named::Escape);
    let messages: Vec<Message> = ui.into_messages().collect();
    assert_eq!(apply(&mut state, messages), [Action::Account(Request::SignIn), Action::Close]);
    Ok(())
}

#[test]
fn problems_and_the_outcome_of_a_save_are_shown() -> Result<(), Error> {
    let mut state = State::new(form(), Account::NotNeeded);
    state.set_problems(vec![
        "the capture hotkey ctrl+shift+c is taken by another application".into(),
    ]);
    state.update(Message::CaptureHotkey("nonsense".into()));
    state.saved(Err("the capture hotkey \"nonsense\" is not a shortcut; nothing was saved".into()));
    {
        let mut ui = simulator(state.view());
        ui.find("the capture hotkey ctrl+shift+c is taken by another application")?;
        ui.find("the capture hotkey \"nonsense\" is not a shortcut; nothing was saved")?;
    }
    state.saved(Ok("Saved; applied.".into()));
    simulator(state.view()).find("Saved; applied.")?;
    Ok(())
}

#[test]
fn the_theme_can_follow_the_desktop() -> Result<(), Error> {
    let mut state = State::new(form(), Account::NotNeeded);
    let mut ui = simulator(state.view());
    ui.click("Like the desktop")?;
    let messages: Vec<Message> = ui.into_messages().collect();
    assert_eq!(messages, [Message::Theme(Appearance::System)]);
    apply(&mut state, messages);
    let mut ui = simulator(state.view());
    ui.click("Save")?;
    let messages: Vec<Message> = ui.into_messages().collect();
    let actions = apply(&mut state, messages);
    assert_eq!(actions, [Action::Save(Form { theme: Appearance::System, ..form() })]);
    Ok(())
}
