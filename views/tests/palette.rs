//! The palette in iced_test's simulator: what it shows and what it asks for.

use std::collections::HashMap;

use iced::keyboard::key::{Named, NativeCode, Physical};
use iced::keyboard::{self, Key, Location, Modifiers};
use iced_test::selector::id;
use iced_test::{Error, Simulator, simulator};
use promptdeck_protocol::{Prompt, PromptId, PromptKey, PromptSummary};
use promptdeck_views::palette::{
    Action, INPUT_ID, Message, Scope, State, VISIBLE_ROWS, WINDOW_SIZE,
};
use promptdeck_views::{Indicator, fill};

fn summary(id: &str, title: &str) -> PromptSummary {
    PromptSummary {
        id: PromptId::parse(id).expect("id"),
        title: title.into(),
        preview: format!("preview of {title}"),
        tags: vec!["work".into()],
        body_bytes: 10,
        use_count: 0,
        last_used_at: None,
        updated_at: 0,
        space: String::new(),
    }
}

/// A prompt of the one workspace these tests list.
fn key(id: &str) -> PromptKey {
    PromptKey { space: String::new(), id: PromptId::parse(id).expect("id") }
}

fn library() -> Vec<PromptSummary> {
    vec![
        summary("a", "Summarise article"),
        summary("b", "Code review"),
        summary("c", "Polite reply"),
    ]
}

/// What the view sent, less the pointer's place: every click puts the pointer somewhere,
/// and these tests are about what was clicked and typed.
fn sent(ui: Simulator<'_, Message>) -> Vec<Message> {
    ui.into_messages().filter(|m| !matches!(m, Message::PointerAt(_))).collect()
}

/// Feeds what the simulated user did back into the state, returning the actions.
fn apply(state: &mut State, messages: Vec<Message>) -> Vec<Action> {
    messages.into_iter().map(|m| state.update(m)).collect()
}

#[test]
fn first_frame_lists_the_library_it_was_opened_with() -> Result<(), Error> {
    let state = State::new(Some(library()), Indicator::LocalOnly);
    let mut ui = simulator(state.view());
    for title in ["Summarise article", "Code review", "Polite reply"] {
        ui.find(title)?;
    }
    Ok(())
}

#[test]
fn typing_asks_for_a_search_and_shows_only_its_results() -> Result<(), Error> {
    let mut state = State::new(Some(library()), Indicator::LocalOnly);
    let mut ui = simulator(state.view());
    ui.click(id(INPUT_ID))?;
    let _ = ui.typewrite("sum");
    let messages: Vec<Message> = sent(ui);
    let actions = apply(&mut state, messages);
    let scope = Scope::Workspace(String::new());
    assert_eq!(actions.last(), Some(&Action::Search { query: "sum".into(), scope }));
    assert_eq!(state.query(), "sum");

    state.show_results("sum", Ok(vec![summary("a", "Summarise article")]));
    let mut ui = simulator(state.view());
    // The matched characters are drawn apart from the rest of the title.
    ui.find("Sum")?;
    ui.find("marise article")?;
    assert!(ui.find("Code review").is_err(), "filtered out");
    Ok(())
}

#[test]
fn arrows_move_the_selection_and_enter_inserts_it() -> Result<(), Error> {
    let mut state = State::new(Some(library()), Indicator::LocalOnly);
    let mut ui = simulator(state.view());
    ui.click(id(INPUT_ID))?;
    for key in [Named::ArrowDown, Named::ArrowDown, Named::ArrowDown, Named::ArrowUp] {
        let _ = ui.tap_key(key);
    }
    let messages: Vec<Message> = sent(ui);
    assert_eq!(messages, [Message::Down, Message::Down, Message::Down, Message::Up]);
    apply(&mut state, messages);
    assert_eq!(
        state.selected().map(|p| p.title.as_str()),
        Some("Code review"),
        "clamped at the end"
    );

    let mut ui = simulator(state.view());
    ui.click(id(INPUT_ID))?;
    let _ = ui.tap_key(Named::Enter);
    let messages: Vec<Message> = sent(ui);
    let actions = apply(&mut state, messages);
    assert_eq!(actions, [Action::Choose { prompt: key("b"), copy: false }]);
    Ok(())
}

#[test]
fn clicking_a_row_inserts_it() -> Result<(), Error> {
    let mut state = State::new(Some(library()), Indicator::LocalOnly);
    let mut ui = simulator(state.view());
    ui.click("Polite reply")?;
    let messages: Vec<Message> = sent(ui);
    let actions = apply(&mut state, messages);
    assert_eq!(actions, [Action::Choose { prompt: key("c"), copy: false }]);
    Ok(())
}

#[test]
fn escape_closes_even_from_the_focused_search_box() -> Result<(), Error> {
    let mut state = State::new(Some(library()), Indicator::LocalOnly);
    let mut ui = simulator(state.view());
    ui.click(id(INPUT_ID))?;
    let _ = ui.tap_key(Named::Escape);
    let messages: Vec<Message> = sent(ui);
    let actions = apply(&mut state, messages);
    assert_eq!(actions, [Action::Close]);
    Ok(())
}

#[test]
fn before_the_first_data_it_says_it_is_loading() -> Result<(), Error> {
    let state = State::new(None, Indicator::LocalOnly);
    let mut ui = simulator(state.view());
    ui.find("Loading your library…")?;
    Ok(())
}

#[test]
fn a_runtime_error_is_shown_not_an_empty_list() -> Result<(), Error> {
    let mut state = State::new(None, Indicator::Unavailable);
    state.show_results("", Err("no answer in time".into()));
    let mut ui = simulator(state.view());
    ui.find("Promptdeck is unavailable: no answer in time")?;
    Ok(())
}

#[test]
fn an_empty_library_says_how_to_fill_it_and_no_match_says_so() -> Result<(), Error> {
    let mut state = State::new(Some(vec![]), Indicator::LocalOnly);
    let mut ui = simulator(state.view());
    ui.find("Your library is empty. Capture a selection with Ctrl+Shift+C, or add prompts in the library.")?;
    drop(ui);
    state.update(Message::QueryChanged("zzz".into()));
    state.show_results("zzz", Ok(vec![]));
    let mut ui = simulator(state.view());
    ui.find("No prompt matches “zzz”.")?;
    Ok(())
}

#[test]
fn an_answer_to_an_older_query_is_dropped() {
    let mut state = State::new(Some(library()), Indicator::LocalOnly);
    state.update(Message::QueryChanged("co".into()));
    state.update(Message::QueryChanged("cod".into()));
    state.show_results("co", Ok(vec![]));
    assert_eq!(state.selected().map(|p| p.title.as_str()), Some("Summarise article"));
    state.show_results("cod", Ok(vec![summary("b", "Code review")]));
    assert_eq!(state.selected().map(|p| p.title.as_str()), Some("Code review"));
}

#[test]
fn offline_with_waiting_changes_says_so_beside_the_dot() -> Result<(), Error> {
    let mut state = State::new(Some(library()), Indicator::Offline { pending: 3 });
    let mut ui = simulator(state.view());
    ui.find("Offline · 3 changes waiting")?;
    ui.find("Summarise article").map(drop).expect("offline, the library is all there");
    drop(ui);

    state.set_indicator(Indicator::Synced);
    let mut ui = simulator(state.view());
    assert!(ui.find("Synced").is_err(), "a healthy state is only a dot");
    assert!(ui.find("Offline · 3 changes waiting").is_err());
    Ok(())
}

/// A key pressed with `modifiers` held, as the window system reports it.
fn pressed(key: impl Into<Key>, modifiers: Modifiers) -> iced::Event {
    let key = key.into();
    iced::Event::Keyboard(keyboard::Event::KeyPressed {
        key: key.clone(),
        modified_key: key,
        physical_key: Physical::Unidentified(NativeCode::Unidentified),
        location: Location::Standard,
        modifiers,
        repeat: false,
        text: None,
    })
}

fn ctrl(key: impl Into<Key>) -> iced::Event {
    pressed(key, Modifiers::CTRL)
}

#[test]
fn ctrl_enter_copies_the_selection_instead_of_inserting_it() -> Result<(), Error> {
    let mut state = State::new(Some(library()), Indicator::LocalOnly);
    let mut ui = simulator(state.view());
    ui.click(id(INPUT_ID))?;
    let _ = ui.tap_key(Named::ArrowDown);
    let _ = ui.simulate([ctrl(Named::Enter)]);
    let messages: Vec<Message> = sent(ui);
    assert_eq!(messages, [Message::Down, Message::Copy], "the search box did not also submit");
    let actions = apply(&mut state, messages);
    assert_eq!(actions.last(), Some(&Action::Choose { prompt: key("b"), copy: true }));
    Ok(())
}

#[test]
fn ctrl_and_a_digit_inserts_that_row_and_rows_show_their_digit() -> Result<(), Error> {
    let mut state = State::new(Some(library()), Indicator::LocalOnly);
    let mut ui = simulator(state.view());
    // Beside each row's tags.
    for hint in ["#work  Ctrl+1", "#work  Ctrl+2", "#work  Ctrl+3"] {
        ui.find(hint)?;
    }
    ui.click(id(INPUT_ID))?;
    let _ = ui.simulate([ctrl(Key::Character("3".into())), ctrl(Key::Character("9".into()))]);
    let messages: Vec<Message> = sent(ui);
    assert_eq!(messages, [Message::QuickPick(3), Message::QuickPick(9)]);
    let actions = apply(&mut state, messages);
    assert_eq!(
        actions,
        [Action::Choose { prompt: key("c"), copy: false }, Action::None],
        "the third row; there is no ninth"
    );
    Ok(())
}

#[test]
fn ctrl_e_asks_to_edit_the_selected_prompt() -> Result<(), Error> {
    let mut state = State::new(Some(library()), Indicator::LocalOnly);
    let mut ui = simulator(state.view());
    ui.click(id(INPUT_ID))?;
    let _ = ui.simulate([ctrl(Key::Character("e".into()))]);
    let messages: Vec<Message> = sent(ui);
    assert_eq!(messages, [Message::EditSelected], "the search box did not get an 'e'");
    let actions = apply(&mut state, messages);
    assert_eq!(actions, [Action::Edit(key("a"))]);
    Ok(())
}

#[test]
fn the_selected_prompt_is_previewed_in_full_and_follows_the_selection() -> Result<(), Error> {
    let mut state = State::new(Some(library()), Indicator::LocalOnly);
    let first = key("a");
    assert_eq!(state.wanted_preview(), Some(first.clone()), "the app is asked for the body");
    let mut ui = simulator(state.view());
    ui.find("preview of Summarise article")?;
    drop(ui);

    state.show_preview(first.clone(), "Summarise this article\nin three bullet points.");
    assert_eq!(state.wanted_preview(), None);
    let mut ui = simulator(state.view());
    ui.find("Summarise this article\nin three bullet points.")?;
    drop(ui);

    assert_eq!(state.update(Message::Down), Action::Preview(key("b")), "the move asks for it");
    state.show_preview(first, "a late answer for the old selection");
    let mut ui = simulator(state.view());
    assert!(ui.find("a late answer for the old selection").is_err(), "dropped");
    ui.find("preview of Code review")?;
    drop(ui);
    state.show_preview(key("b"), "Review this diff");
    assert_eq!(state.update(Message::Down), Action::Preview(key("c")));
    assert_eq!(state.update(Message::Up), Action::None, "b's body is shown already");

    state.update(Message::QueryChanged("co".into()));
    let answer = state.show_results("co", Ok(vec![summary("c", "Polite reply")]));
    assert_eq!(answer, Action::Preview(key("c")), "new results ask for their first body");
    Ok(())
}

#[test]
fn a_prompt_edited_since_its_body_came_is_previewed_again() -> Result<(), Error> {
    let mut state = State::new(Some(library()), Indicator::LocalOnly);
    state.show_preview(key("a"), "the body before the edit");
    assert_eq!(state.wanted_preview(), None);

    // The same prompt, listed again after an edit (here, or synced from another device).
    let mut edited = library();
    edited[0].updated_at = 5;
    let answer = state.show_results("", Ok(edited.clone()));
    assert_eq!(answer, Action::Preview(key("a")), "the edited body is asked for");
    state.show_preview(key("a"), "the body after the edit");
    let mut ui = simulator(state.view());
    ui.find("the body after the edit")?;
    drop(ui);
    assert_eq!(state.show_results("", Ok(edited)), Action::None, "listed unchanged: kept");
    Ok(())
}

#[test]
fn a_palette_reset_on_closing_keeps_the_body_it_has_of_its_first_prompt() -> Result<(), Error> {
    let mut closed = State::new(Some(library()), Indicator::LocalOnly);
    closed.show_preview(key("a"), "the first prompt's body");

    let mut kept = State::new(Some(library()), Indicator::LocalOnly);
    kept.keep_preview_of(&closed);
    assert_eq!(kept.wanted_preview(), None, "nothing to fetch again");
    let mut ui = simulator(kept.view());
    ui.find("the first prompt's body")?;
    drop(ui);

    // Edited since: the body at hand is not that of the prompt listed now.
    let mut edited = library();
    edited[0].updated_at = 5;
    let mut fresh = State::new(Some(edited), Indicator::LocalOnly);
    fresh.keep_preview_of(&closed);
    assert_eq!(fresh.wanted_preview(), Some(key("a")));
    Ok(())
}

fn shift(key: impl Into<Key>) -> iced::Event {
    pressed(key, Modifiers::SHIFT)
}

/// A prompt whose body asks for a name and a tone.
fn letter(id: &str, title: &str) -> Prompt {
    serde_json::from_value(serde_json::json!({
        "id": id, "title": title, "body": "Dear {{name}}, {{tone:formal|casual|curt}} {{date}}",
        "tags": [], "createdAt": 1, "updatedAt": 1
    }))
    .expect("prompt")
}

#[test]
fn a_chosen_prompt_without_fields_is_delivered_at_once() {
    let mut state = State::new(Some(library()), Indicator::LocalOnly);
    let mut plain = letter("a", "Summarise article");
    plain.body = "Summarise {{clipboard}} on {{date}}".into();
    let action = state.chosen(key("a"), &plain, &HashMap::new(), true);
    assert_eq!(action, Action::Deliver { prompt: key("a"), values: vec![], copy: true });
    assert!(!state.is_filling(), "no form for placeholders the moment fills");
}

#[test]
fn a_prompt_with_fields_asks_for_them_and_enter_delivers_the_values() -> Result<(), Error> {
    let mut state = State::new(Some(library()), Indicator::LocalOnly);
    let b = key("b");
    let first = state.chosen(b.clone(), &letter("b", "Code review"), &HashMap::new(), false);
    assert_eq!(first, Action::Focus(fill::input_id(0)));
    assert!(state.is_filling());

    let mut ui = simulator(state.view());
    ui.find("Fill in “Code review”")?;
    ui.find("Dear , formal {{date}}")?;
    ui.find("formal")?;
    assert!(ui.find("Polite reply").is_err(), "the form replaces the list");
    ui.click(id(fill::input_id(0)))?;
    let _ = ui.typewrite("Ada");
    let _ = ui.tap_key(Named::Tab);
    let _ = ui.tap_key(Named::ArrowDown);
    let _ = ui.tap_key(Named::ArrowDown);
    let messages: Vec<Message> = sent(ui);
    let actions = apply(&mut state, messages);
    assert!(actions.contains(&Action::Focus(fill::input_id(1))), "Tab moves on: {actions:?}");

    let mut ui = simulator(state.view());
    ui.find("Dear Ada, curt {{date}}")?;
    ui.click(id(fill::input_id(1)))?;
    let _ = ui.tap_key(Named::Enter);
    let messages: Vec<Message> = sent(ui);
    let actions = apply(&mut state, messages);
    let values =
        vec![("name".to_owned(), "Ada".to_owned()), ("tone".to_owned(), "curt".to_owned())];
    assert_eq!(actions.last(), Some(&Action::Deliver { prompt: b, values, copy: false }));
    assert!(!state.is_filling(), "delivered, the form is gone");
    Ok(())
}

#[test]
fn in_the_form_shift_tab_goes_back_a_choice_can_be_clicked_and_escape_returns_to_the_list()
-> Result<(), Error> {
    let mut state = State::new(Some(library()), Indicator::LocalOnly);
    let c = key("c");
    state.chosen(c.clone(), &letter("c", "Polite reply"), &HashMap::new(), true);

    let mut ui = simulator(state.view());
    ui.click("casual")?;
    ui.click(id(fill::input_id(1)))?;
    let _ = ui.simulate([shift(Named::Tab)]);
    let messages: Vec<Message> = sent(ui);
    let actions = apply(&mut state, messages);
    assert!(actions.contains(&Action::Focus(fill::input_id(0))), "{actions:?}");
    let mut ui = simulator(state.view());
    ui.click(id(fill::input_id(0)))?;
    let _ = ui.tap_key(Named::Enter);
    let messages: Vec<Message> = sent(ui);
    let actions = apply(&mut state, messages);
    let values = vec![("name".to_owned(), String::new()), ("tone".to_owned(), "casual".to_owned())];
    assert_eq!(actions.last(), Some(&Action::Deliver { prompt: c.clone(), values, copy: true }));

    state.chosen(c, &letter("c", "Polite reply"), &HashMap::new(), false);
    let mut ui = simulator(state.view());
    ui.click(id(fill::input_id(0)))?;
    let _ = ui.tap_key(Named::Escape);
    let messages: Vec<Message> = sent(ui);
    let actions = apply(&mut state, messages);
    assert_eq!(actions.last(), Some(&Action::Focus(INPUT_ID.into())));
    assert!(!state.is_filling());
    simulator(state.view()).find("Polite reply")?;
    Ok(())
}

#[test]
fn ctrl_shift_p_pins_the_selected_prompt() -> Result<(), Error> {
    let mut state = State::new(Some(library()), Indicator::LocalOnly);
    let mut ui = simulator(state.view());
    ui.click(id(INPUT_ID))?;
    let _ = ui.tap_key(Named::ArrowDown);
    let _ = ui.simulate([pressed(Key::Character("P".into()), Modifiers::CTRL | Modifiers::SHIFT)]);
    let messages: Vec<Message> = sent(ui);
    let actions = apply(&mut state, messages);
    assert_eq!(actions.last(), Some(&Action::TogglePin(key("b"))));
    Ok(())
}

fn workspaces() -> Vec<String> {
    vec!["personal".into(), "team".into()]
}

#[test]
fn with_one_workspace_no_chips_show_and_ctrl_tab_does_nothing() -> Result<(), Error> {
    let mut state = State::new(Some(library()), Indicator::LocalOnly);
    state.set_workspaces(vec!["personal".into()], "personal");
    let mut ui = simulator(state.view());
    assert!(ui.find("All workspaces").is_err());
    ui.click(id(INPUT_ID))?;
    let _ = ui.simulate([ctrl(Named::Tab)]);
    let messages: Vec<Message> = sent(ui);
    assert_eq!(apply(&mut state, messages), [Action::None]);
    assert_eq!(state.scope(), Scope::Workspace("personal".into()));
    Ok(())
}

#[test]
fn ctrl_tab_walks_the_workspaces_then_all_of_them_and_back() -> Result<(), Error> {
    let mut state = State::new(Some(library()), Indicator::LocalOnly);
    state.set_workspaces(workspaces(), "personal");
    let _ = state.update(Message::QueryChanged("rev".into()));
    let mut ui = simulator(state.view());
    ui.find("personal")?;
    ui.find("All workspaces")?;
    ui.click(id(INPUT_ID))?;
    let _ = ui.simulate([ctrl(Named::Tab), ctrl(Named::Tab), ctrl(Named::Tab)]);
    let _ = ui.simulate([pressed(Named::Tab, Modifiers::CTRL | Modifiers::SHIFT)]);
    let messages: Vec<Message> = sent(ui);
    let actions = apply(&mut state, messages);
    assert_eq!(
        actions,
        [
            Action::Rescope { query: "rev".into(), scope: Scope::Workspace("team".into()) },
            Action::Rescope { query: "rev".into(), scope: Scope::All },
            Action::Rescope { query: "rev".into(), scope: Scope::Workspace("personal".into()) },
            Action::Rescope { query: "rev".into(), scope: Scope::All },
        ],
        "each step searches the query again where it now looks"
    );
    assert_eq!(state.scope(), Scope::All);
    Ok(())
}

#[test]
fn a_chip_click_switches_and_rows_from_all_workspaces_say_where_they_live() -> Result<(), Error> {
    let mut state = State::new(Some(library()), Indicator::LocalOnly);
    state.set_workspaces(workspaces(), "personal");
    let mut ui = simulator(state.view());
    ui.click("team")?;
    let messages: Vec<Message> = sent(ui);
    let actions = apply(&mut state, messages);
    assert_eq!(
        actions,
        [Action::Rescope { query: String::new(), scope: Scope::Workspace("team".into()) }]
    );

    let _ = state.update(Message::ScopeChosen(Scope::All));
    let mut rows = library();
    rows[0].space = "personal".into();
    rows[1].space = "team".into();
    rows[2].space = "team".into();
    state.show_results("", Ok(rows));
    let mut ui = simulator(state.view());
    ui.find("personal")?;
    let _ = ui.tap_key(Named::ArrowDown);
    let _ = ui.simulate([ctrl(Key::Character("2".into()))]);
    let messages: Vec<Message> = sent(ui);
    let actions = apply(&mut state, messages);
    let chosen = PromptKey { space: "team".into(), id: PromptId::parse("b").expect("id") };
    assert_eq!(
        actions.last(),
        Some(&Action::Choose { prompt: chosen, copy: false }),
        "the row's workspace goes with it"
    );
    Ok(())
}

#[test]
fn a_match_deep_in_a_long_body_is_what_the_preview_shows() -> Result<(), Error> {
    let mut state = State::new(Some(library()), Indicator::LocalOnly);
    state.update(Message::QueryChanged("zanzibar".into()));
    state.show_results("zanzibar", Ok(library()));
    let body = format!(
        "{}Pack for Zanzibarquux in June.\n{}",
        "You are a guide.\n".repeat(300),
        "More.\n".repeat(50)
    );
    state.show_preview(key("a"), &body);
    let mut ui = simulator(state.view());
    let shown = format!("… Pack for Zanzibarquux in June.\n{}", "More.\n".repeat(50));
    ui.find(shown.as_str())?;
    drop(ui);

    state.update(Message::QueryChanged("guide".into()));
    state.show_results("guide", Ok(library()));
    let mut ui = simulator(state.view());
    assert!(ui.find(shown.as_str()).is_err(), "a query matching the start shows the start");
    ui.find(body.chars().take(2000).collect::<String>().as_str())?;
    Ok(())
}

/// Whether the text `content` is on screen whole: laid out inside the window, not clipped.
fn whole_on_screen(ui: &mut iced_test::Simulator<'_, Message>, content: &str) -> bool {
    let Ok(target) = ui.find(content) else {
        return false;
    };
    let bounds = target.bounds();
    // Within a hundredth of a pixel: clipping rounds.
    let unclipped = target.visible_bounds().is_some_and(|visible| {
        (visible.y - bounds.y).abs() < 0.01 && (visible.height - bounds.height).abs() < 0.01
    });
    unclipped && bounds.y + bounds.height <= WINDOW_SIZE.height
}

#[test]
fn the_list_shows_whole_rows_only_and_slides_by_rows_to_the_selection() -> Result<(), Error> {
    let library: Vec<PromptSummary> =
        (0..12).map(|n| summary(&format!("p{n}"), &format!("Prompt number {n}"))).collect();
    let mut state = State::new(Some(library), Indicator::LocalOnly);
    let mut ui = iced_test::Simulator::with_size(Default::default(), WINDOW_SIZE, state.view());
    for n in 0..VISIBLE_ROWS {
        assert!(whole_on_screen(&mut ui, &format!("Prompt number {n}")), "row {n}");
        assert!(whole_on_screen(&mut ui, &format!("preview of Prompt number {n}")), "row {n}");
    }
    assert!(ui.find(format!("Prompt number {VISIBLE_ROWS}").as_str()).is_err(), "no cut row");
    drop(ui);

    for _ in 0..VISIBLE_ROWS {
        state.update(Message::Down);
    }
    let mut ui = iced_test::Simulator::with_size(Default::default(), WINDOW_SIZE, state.view());
    assert!(ui.find("Prompt number 0").is_err(), "slid by one row");
    for n in 1..=VISIBLE_ROWS {
        assert!(whole_on_screen(&mut ui, &format!("preview of Prompt number {n}")), "row {n}");
    }
    Ok(())
}

#[test]
fn a_field_offers_the_values_last_typed_into_it_first() -> Result<(), Error> {
    let mut state = State::new(Some(library()), Indicator::LocalOnly);
    let b = key("b");
    let recent = HashMap::from([
        ("name".to_owned(), vec!["Grace".to_owned(), "Ada".to_owned()]),
        ("tone".to_owned(), vec!["curt".to_owned()]),
    ]);
    state.chosen(b.clone(), &letter("b", "Code review"), &recent, false);
    let mut ui = simulator(state.view());
    ui.find("Dear Grace, curt {{date}}")?;
    ui.find("Ada")?;
    ui.click(id(fill::input_id(0)))?;
    let _ = ui.tap_key(Named::ArrowDown);
    let messages: Vec<Message> = sent(ui);
    apply(&mut state, messages);
    let mut ui = simulator(state.view());
    ui.find("Dear Ada, curt {{date}}")?;
    ui.click(id(fill::input_id(0)))?;
    let _ = ui.tap_key(Named::Tab);
    let messages: Vec<Message> = sent(ui);
    apply(&mut state, messages);
    let mut ui = simulator(state.view());
    ui.click(id(fill::input_id(1)))?;
    let _ = ui.tap_key(Named::ArrowDown);
    let _ = ui.tap_key(Named::Enter);
    let messages: Vec<Message> = sent(ui);
    let actions = apply(&mut state, messages);
    let values =
        vec![("name".to_owned(), "Ada".to_owned()), ("tone".to_owned(), "formal".to_owned())];
    assert_eq!(
        actions.last(),
        Some(&Action::Deliver { prompt: b, values, copy: false }),
        "after the last value, the choices: curt, then formal"
    );
    Ok(())
}

/// A palette taking up its last search shows the query in its box, searches it, and
/// selects the prompt that was selected once the results hold it; when they no longer do,
/// the first.
#[test]
fn a_search_taken_up_again_shows_its_query_and_selects_its_prompt() -> Result<(), Error> {
    let mut state = State::new(Some(library()), Indicator::LocalOnly);
    state.update(Message::QueryChanged("re".into()));
    state.show_results("re", Ok(library()));
    state.update(Message::Down);
    let last = state.last_search();
    assert_eq!(last.selected, Some(key("b")));

    let mut reopened = State::new(Some(library()), Indicator::LocalOnly);
    let scope = Scope::Workspace(String::new());
    assert_eq!(reopened.resume(last.clone()), Action::Search { query: "re".into(), scope });
    reopened.show_results("re", Ok(library()));
    assert_eq!(reopened.selected().map(|p| p.id.as_str()), Some("b"));
    simulator(reopened.view()).find("re")?;

    let mut gone = State::new(Some(library()), Indicator::LocalOnly);
    gone.resume(last);
    gone.show_results("re", Ok(vec![summary("c", "Polite reply")]));
    assert_eq!(gone.selected().map(|p| p.id.as_str()), Some("c"), "the first, b being gone");
    Ok(())
}
