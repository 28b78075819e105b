//! The library window and its editor in iced_test's simulator.

use iced_test::selector::id;
use iced_test::{Error, simulator};
use promptdeck_protocol::{Prompt, PromptId, PromptSummary};
use promptdeck_views::account::Request;
use promptdeck_views::editor::{BODY_ID, Draft, TAGS_ID, TITLE_ID};
use promptdeck_views::library::{Action, Message, State};
use promptdeck_views::{Account, Indicator, editor};

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
