//! The library window and its editor in iced_test's simulator.

use iced_test::selector::id;
use iced_test::{Error, simulator};
use promptdeck_protocol::{Prompt, PromptId, PromptSummary};
use promptdeck_views::account::Request;
use promptdeck_views::editor::{BODY_ID, Draft, TAGS_ID, TITLE_ID};
use promptdeck_views::library::{Action, DeletedPrompt, Message, State};
use promptdeck_views::{Account, Indicator, editor, history};

fn prompt() -> Prompt {
    serde_json::from_value(serde_json::json!({
        "id": "p1", "title": "Code review", "body": "Review this diff", "tags": ["code"],
        "createdAt": 1, "updatedAt": 1
    }))
    .expect("prompt")
}

fn state_with_prompt() -> State {
    State::new(Some(vec![PromptSummary::from(&prompt())]), Indicator::LocalOnly)
}

fn apply(state: &mut State, messages: Vec<Message>) -> Vec<Action> {
    messages.into_iter().map(|m| state.update(m)).filter(|a| *a != Action::None).collect()
}

#[test]
fn a_new_prompt_is_typed_and_saved_as_a_draft() -> Result<(), Error> {
    let mut state = state_with_prompt();
    state.update(Message::New);
    let mut ui = simulator(state.view());
    ui.find("New prompt")?;
    ui.click(id(TITLE_ID))?;
    let _ = ui.typewrite("Translate");
    ui.click(id(BODY_ID))?;
    let _ = ui.typewrite("Translate to French");
    ui.click(id(TAGS_ID))?;
    let _ = ui.typewrite("#lang, writing");
    ui.click("Save")?;
    let messages: Vec<Message> = ui.into_messages().collect();
    let actions = apply(&mut state, messages);
    assert_eq!(
        actions,
        [Action::Save {
            draft: Draft {
                id: None,
                title: "Translate".into(),
                body: "Translate to French".into(),
                tags: vec!["lang".into(), "writing".into()],
            },
            space: String::new(),
        }]
    );
    Ok(())
}

#[test]
fn selecting_a_prompt_opens_it_and_an_edit_keeps_its_id() -> Result<(), Error> {
    let mut state = state_with_prompt();
    let mut ui = simulator(state.view());
    ui.click("Code review")?;
    let messages: Vec<Message> = ui.into_messages().collect();
    let actions = apply(&mut state, messages);
    let opened = PromptId::parse("p1").expect("id");
    assert_eq!(actions, [Action::Open { id: opened, space: String::new() }]);

    state.open(&prompt());
    let mut ui = simulator(state.view());
    ui.find("Edit prompt")?;
    ui.click(id(TITLE_ID))?;
    let _ = ui.typewrite(" (strict)");
    ui.click("Save")?;
    let messages: Vec<Message> = ui.into_messages().collect();
    let actions = apply(&mut state, messages);
    let [Action::Save { draft, .. }] = &actions[..] else {
        panic!("expected one save, got {actions:?}")
    };
    assert_eq!(draft.id, Some(PromptId::parse("p1").expect("id")));
    assert_eq!(draft.title, "Code review (strict)");
    assert_eq!(draft.body, "Review this diff");
    assert_eq!(draft.tags, ["code"]);
    Ok(())
}

#[test]
fn delete_asks_to_delete_the_open_prompt() -> Result<(), Error> {
    let mut state = state_with_prompt();
    state.update(Message::Select(PromptId::parse("p1").expect("id")));
    state.open(&prompt());
    let mut ui = simulator(state.view());
    ui.click("Delete")?;
    let messages: Vec<Message> = ui.into_messages().collect();
    let actions = apply(&mut state, messages);
    let deleted = PromptId::parse("p1").expect("id");
    assert_eq!(actions, [Action::Delete { id: deleted, space: String::new() }]);
    Ok(())
}

#[test]
fn a_failed_save_shows_the_error_and_keeps_the_text() -> Result<(), Error> {
    let mut state = state_with_prompt();
    state.update(Message::Select(PromptId::parse("p1").expect("id")));
    state.open(&prompt());
    state.finished_edit(Err(
        "the prompt body is 10485760 bytes; the limit is 1048576 bytes (1 MiB)".into(),
    ));
    let mut ui = simulator(state.view());
    ui.find("the prompt body is 10485760 bytes; the limit is 1048576 bytes (1 MiB)")?;
    ui.find("Edit prompt")?;
    Ok(())
}

#[test]
fn saving_an_empty_prompt_explains_instead_of_saving() -> Result<(), Error> {
    let mut state = state_with_prompt();
    state.update(Message::New);
    let actions = apply(&mut state, vec![Message::Editor(editor::Message::Save)]);
    assert!(actions.is_empty());
    let mut ui = simulator(state.view());
    ui.find("Give the prompt a title or a body before saving.")?;
    Ok(())
}

#[test]
fn the_library_lists_prompts_and_says_when_loading_or_empty() -> Result<(), Error> {
    let state = State::new(None, Indicator::LocalOnly);
    simulator(state.view()).find("Loading your library…")?;
    let state = State::new(Some(vec![]), Indicator::LocalOnly);
    simulator(state.view()).find("No prompts yet. Create one with “New prompt”.")?;
    let state = state_with_prompt();
    simulator(state.view()).find("#code ")?;
    Ok(())
}

#[test]
fn escape_leaves_the_editor_first_then_closes_the_window() -> Result<(), Error> {
    use iced::keyboard::key::Named;
    let mut state = state_with_prompt();
    state.update(Message::New);
    let mut ui = simulator(state.view());
    let _ = ui.tap_key(Named::Escape);
    let messages: Vec<Message> = ui.into_messages().collect();
    assert!(apply(&mut state, messages).is_empty(), "the editor closed, not the window");
    let mut ui = simulator(state.view());
    ui.find("Select a prompt to edit it, or create a new one.")?;
    let _ = ui.tap_key(Named::Escape);
    let messages: Vec<Message> = ui.into_messages().collect();
    assert_eq!(apply(&mut state, messages), [Action::Close]);
    Ok(())
}

#[test]
fn the_editor_points_at_a_broken_placeholder_and_clears_once_it_is_fixed() -> Result<(), Error> {
    use iced::widget::text_editor::{Action as EditorAction, Edit, Motion};
    let mut broken = prompt();
    broken.body = "Summarise {{topic".into();
    let mut state = editor::State::edit(&broken);
    let mut ui = simulator(state.view());
    ui.find(
        "Placeholders: this {{ is never closed with }} (at character 10). Until fixed, it inserts as written.",
    )?;
    drop(ui);

    state.update(editor::Message::BodyEdited(EditorAction::Move(Motion::DocumentEnd)));
    for brace in ['}', '}'] {
        state.update(editor::Message::BodyEdited(EditorAction::Edit(Edit::Insert(brace))));
    }
    assert_eq!(state.template_problem(), None, "Summarise {{{{topic}}}} parses");
    let mut ui = simulator(state.view());
    assert!(ui.find("Placeholders: this {{ is never closed with }} (at character 10). Until fixed, it inserts as written.").is_err());
    Ok(())
}

#[test]
fn the_account_button_signs_in_cancels_or_signs_out_as_the_state_is() -> Result<(), Error> {
    let mut state = state_with_prompt();
    assert!(simulator(state.view()).find("Sign in").is_err(), "no button when none is needed");
    let cases = [
        (Account::SignedOut, "Signed out", "Sign in", Request::SignIn),
        (Account::SigningIn, "Finish signing in in your browser…", "Cancel", Request::CancelSignIn),
        (Account::SignedIn, "Signed in", "Sign out", Request::SignOut),
    ];
    for (account, words, label, request) in cases {
        state.set_account(account);
        let mut ui = simulator(state.view());
        ui.find(words)?;
        ui.click(label)?;
        let messages: Vec<Message> = ui.into_messages().collect();
        assert_eq!(apply(&mut state, messages), [Action::Account(request)]);
    }
    state.set_account(Account::SignedOut);
    state.account_request_failed("the provider refused: access_denied".into());
    let mut ui = simulator(state.view());
    ui.find("the provider refused: access_denied")?;
    ui.click("Sign in")?;
    let messages: Vec<Message> = ui.into_messages().collect();
    apply(&mut state, messages);
    assert!(simulator(state.view()).find("the provider refused: access_denied").is_err());
    Ok(())
}

#[test]
fn the_switcher_changes_workspace_and_an_open_prompt_saves_where_it_came_from() -> Result<(), Error>
{
    let mut state = state_with_prompt();
    let single = simulator(state.view()).find("personal").is_err();
    assert!(single, "no switcher before there are several workspaces");
    state.set_workspaces(vec!["personal".into(), "team".into()], "personal");
    state.update(Message::Select(PromptId::parse("p1").expect("id")));
    state.open(&prompt());
    let mut ui = simulator(state.view());
    ui.find("personal")?;
    ui.click("team")?;
    let messages: Vec<Message> = ui.into_messages().collect();
    assert_eq!(apply(&mut state, messages), [Action::SwitchWorkspace("team".into())]);
    state.set_workspaces(vec!["personal".into(), "team".into()], "team");
    let saved_in = |state: &mut State| {
        let mut ui = simulator(state.view());
        ui.click(id(TITLE_ID)).expect("the title");
        let _ = ui.typewrite("x");
        ui.click("Save").expect("the save button");
        let messages: Vec<Message> = ui.into_messages().collect();
        match &apply(state, messages)[..] {
            [Action::Save { space, .. }] => space.clone(),
            other => panic!("expected one save, got {other:?}"),
        }
    };
    assert_eq!(saved_in(&mut state), "personal", "the edit still saves into its own workspace");
    state.update(Message::New);
    assert_eq!(saved_in(&mut state), "team", "a new prompt goes to the active workspace");
    Ok(())
}

fn version(number: u64, title: &str, body: &str, current: bool) -> history::Version {
    history::Version {
        number,
        saved: format!("2026-12-0{number} 10:00"),
        made_by: if number == 1 { String::new() } else { "synced".into() },
        title: title.into(),
        body: body.into(),
        tags: vec!["code".into()],
        current,
        deleted: None,
    }
}

/// The editor's History shows the prompt's versions, newest first, each with what it
/// changed; a version clicked shows its body against the one before, and Restore asks for
/// that version; once restored, the editor opens on the prompt again. Escape steps back.
#[test]
fn history_lists_versions_and_restores_the_one_chosen() -> Result<(), Error> {
    use iced::keyboard::key::Named;
    let p1 = PromptId::parse("p1").expect("id");
    let mut state = state_with_prompt();
    state.update(Message::Select(p1.clone()));
    state.open(&prompt());
    let mut ui = simulator(state.view());
    ui.click("History")?;
    let messages: Vec<Message> = ui.into_messages().collect();
    assert_eq!(
        apply(&mut state, messages),
        [Action::History { id: p1.clone(), space: String::new() }]
    );

    let versions = vec![
        version(1, "Code review", "Review this patch", false),
        version(2, "Code review", "Review this diff", true),
    ];
    state.show_history(&p1, Ok(versions));
    let mut ui = simulator(state.view());
    ui.find("History of “Code review” · 2 versions")?;
    ui.find("v2 · 2026-12-02 10:00 · synced · current")?;
    ui.find("body +1 -1 words")?;
    ui.find("first kept")?;
    assert!(ui.find("Restore version 2").is_err(), "the current one is not restored");
    ui.click("v1 · 2026-12-01 10:00")?;
    let messages: Vec<Message> = ui.into_messages().collect();
    apply(&mut state, messages);
    let mut ui = simulator(state.view());
    ui.click("Restore version 1")?;
    let messages: Vec<Message> = ui.into_messages().collect();
    let actions = apply(&mut state, messages);
    assert_eq!(
        actions,
        [Action::Restore { id: p1.clone(), version: Some(1), space: String::new() }]
    );

    assert_eq!(state.restored(p1.clone(), Err("the disk is full".into())), Action::None);
    simulator(state.view()).find("the disk is full")?;
    let reopened = state.restored(p1.clone(), Ok(()));
    assert_eq!(reopened, Action::Open { id: p1.clone(), space: String::new() });

    state.open(&prompt());
    state.show_history(&p1, Ok(vec![version(1, "Code review", "Review this diff", true)]));
    let mut ui = simulator(state.view());
    let _ = ui.tap_key(Named::Escape);
    let messages: Vec<Message> = ui.into_messages().collect();
    assert!(apply(&mut state, messages).is_empty(), "out of the history, not the window");
    simulator(state.view()).find("Edit prompt")?;
    Ok(())
}

/// "Recently deleted" lists the prompts deleted lately in the list's place, each with a
/// Restore that brings it back; "Back to the library" returns.
#[test]
fn recently_deleted_prompts_are_listed_and_brought_back() -> Result<(), Error> {
    let mut state = state_with_prompt();
    let mut ui = simulator(state.view());
    ui.click("Recently deleted")?;
    let messages: Vec<Message> = ui.into_messages().collect();
    assert_eq!(apply(&mut state, messages), [Action::ListDeleted { space: String::new() }]);
    simulator(state.view()).find("Loading the deleted prompts…")?;

    let gone = PromptId::parse("gone").expect("id");
    state.show_deleted(Ok(vec![DeletedPrompt {
        id: gone.clone(),
        title: "Old greeting".into(),
        deleted: "2026-12-01 09:00".into(),
    }]));
    let mut ui = simulator(state.view());
    ui.find("Old greeting")?;
    ui.find("deleted 2026-12-01 09:00")?;
    ui.click("Restore")?;
    let messages: Vec<Message> = ui.into_messages().collect();
    let actions = apply(&mut state, messages);
    assert_eq!(
        actions,
        [Action::Restore { id: gone.clone(), version: None, space: String::new() }]
    );
    assert_eq!(
        state.restored(gone.clone(), Ok(())),
        Action::Open { id: gone, space: String::new() }
    );
    simulator(state.view()).find("Code review")?;
    Ok(())
}
