//! Every earlier version of a prompt kept, whether the change was made here or pulled, in
//! the change's own transaction; deleted prompts listed for thirty days; old versions pruned
//! only beyond the last hundred.

use promptdeck_protocol::wire::{Cookie, JsonText, PatchOp, PullResponse};
use promptdeck_protocol::{
    CreatePrompt, DeletePrompt, MarkPromptUsed, Mutation, PromptId, UpdatePrompt,
};
use promptdeck_storage::Replica;
use promptdeck_storage::history::{DELETED_DAYS, KEEP_VERSIONS, Keep, Origin};
use redb::ReadableDatabase;
use serde_json::json;

const DAY: i64 = 24 * 60 * 60 * 1000;

fn id(s: &str) -> PromptId {
    PromptId::parse(s).expect("valid id")
}

fn create(name: &str, title: &str) -> Mutation {
    Mutation::CreatePrompt(CreatePrompt {
        id: id(name),
        title: title.into(),
        body: "first body".into(),
        tags: vec![],
        created_at: 1,
    })
}

fn edit(name: &str, title: Option<&str>, body: Option<&str>, at: i64) -> Mutation {
    Mutation::UpdatePrompt(UpdatePrompt {
        id: id(name),
        title: title.map(Into::into),
        body: body.map(Into::into),
        tags: None,
        updated_at: at,
    })
}

fn open(dir: &tempfile::TempDir) -> Replica {
    Replica::open(dir.path().join("library.redb")).expect("opens").0
}

fn titles(replica: &Replica, name: &str) -> Vec<(u64, String, bool)> {
    let history = replica.history(&id(name)).expect("reads");
    history.into_iter().map(|e| (e.number, e.title, e.current)).collect()
}

/// Edits made here keep what the prompt held before each; a use, which changes no content,
/// keeps nothing; each version says where the change that made it came from.
#[test]
fn each_edit_keeps_the_version_it_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let replica = open(&dir);
    replica.mutate(&create("a", "One"), 10.0).expect("created");
    replica.mutate(&edit("a", Some("Two"), None, 20), 20.0).expect("edited");
    let used = Mutation::MarkPromptUsed(MarkPromptUsed { id: id("a"), at: 25 });
    replica.mutate(&used, 25.0).expect("used");
    replica.mutate(&edit("a", None, Some("second body"), 30), 30.0).expect("edited");
    drop(replica);

    let replica = open(&dir);
    let history = replica.history(&id("a")).expect("reads");
    let seen: Vec<(u64, &str, &str, bool)> =
        history.iter().map(|e| (e.number, e.title.as_str(), e.body.as_str(), e.current)).collect();
    assert_eq!(
        seen,
        [
            (1, "One", "first body", false),
            (2, "Two", "first body", false),
            (3, "Two", "second body", true)
        ],
        "a use is not a version"
    );
    assert_eq!(history[0].made_by, None, "the first one's maker is not known");
    assert_eq!(history[2].made_by, Some(Origin::ThisDevice));
    assert_eq!(history[1].saved_at, 20, "when that version was made");
}

/// A deleted prompt is listed as recently deleted with its last version, until it is
/// brought back (created again under its id), and its history goes on from there.
#[test]
fn a_deleted_prompt_is_listed_with_its_last_version_until_brought_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let replica = open(&dir);
    replica.mutate(&create("a", "Kept"), 10.0).expect("created");
    replica.mutate(&create("b", "Gone"), 10.0).expect("created");
    replica.mutate(&edit("b", Some("Gone, edited"), None, 20), 20.0).expect("edited");
    replica.mutate(&Mutation::DeletePrompt(DeletePrompt { id: id("b") }), 30.0).expect("gone");
    let deleted = replica.recently_deleted(40).expect("reads");
    assert_eq!(deleted.len(), 1, "{deleted:?}");
    assert_eq!((deleted[0].id.as_str(), deleted[0].title.as_str()), ("b", "Gone, edited"));
    assert_eq!((deleted[0].deleted_at, deleted[0].version), (30, 2));
    assert_eq!(
        titles(&replica, "b"),
        [(1, "Gone".into(), false), (2, "Gone, edited".into(), false)]
    );

    let back = Mutation::CreatePrompt(CreatePrompt {
        id: id("b"),
        title: "Gone, edited".into(),
        body: "first body".into(),
        tags: vec![],
        created_at: 1,
    });
    replica.mutate(&back, 50.0).expect("brought back");
    assert!(replica.recently_deleted(60).expect("reads").is_empty());
    assert_eq!(titles(&replica, "b").last(), Some(&(3, "Gone, edited".into(), true)));
    assert!(replica.recently_deleted(30 + DELETED_DAYS * DAY + 1).expect("reads").is_empty());
}

/// After thirty days a deleted prompt's versions go, and only then.
#[test]
fn a_prompt_deleted_thirty_days_ago_is_forgotten() {
    let dir = tempfile::tempdir().expect("tempdir");
    let replica = open(&dir);
    replica.mutate(&create("b", "Gone"), 10.0).expect("created");
    replica.mutate(&Mutation::DeletePrompt(DeletePrompt { id: id("b") }), 30.0).expect("gone");
    assert_eq!(replica.forget_long_deleted(30 + DELETED_DAYS * DAY - 1).expect("ok"), 0);
    assert_eq!(replica.recently_deleted(31).expect("reads").len(), 1);
    assert_eq!(replica.forget_long_deleted(31 + DELETED_DAYS * DAY).expect("ok"), 1);
    assert!(replica.history(&id("b")).expect("reads").is_empty());
}

/// Past the last hundred versions, those older than ninety days go; younger ones stay.
#[test]
fn versions_beyond_the_last_hundred_go_only_once_older_than_ninety_days() {
    let dir = tempfile::tempdir().expect("tempdir");
    let replica = open(&dir);
    replica.mutate(&create("a", "v0"), 1.0).expect("created");
    let extra = 5;
    for n in 1..=(KEEP_VERSIONS as i64 + extra) {
        // The first edits long ago, the rest recent.
        let at = if n <= extra { n } else { 200 * DAY + n };
        replica.mutate(&edit("a", Some(&format!("v{n}")), None, at), at as f64).expect("ok");
    }
    let history = replica.history(&id("a")).expect("reads");
    assert_eq!(history.len(), KEEP_VERSIONS + 1, "the last hundred and the current");
    assert_eq!(history[0].title, format!("v{extra}"));

    let dir = tempfile::tempdir().expect("tempdir");
    let replica = open(&dir);
    replica.mutate(&create("a", "v0"), 1.0).expect("created");
    for n in 1..=(KEEP_VERSIONS as i64 + extra) {
        replica.mutate(&edit("a", Some(&format!("v{n}")), None, n), n as f64).expect("ok");
    }
    let history = replica.history(&id("a")).expect("reads");
    assert_eq!(history.len(), KEEP_VERSIONS + extra as usize + 1, "all younger than 90 days");
}

/// The bounds are the user's: with three versions and no days, only the last three stay.
#[test]
fn the_history_kept_follows_the_bounds_set() {
    let dir = tempfile::tempdir().expect("tempdir");
    let replica = open(&dir);
    replica.keep_history(Keep { versions: 3, days: 0 });
    replica.mutate(&create("a", "v0"), 1.0).expect("created");
    for n in 1..=6_i64 {
        replica.mutate(&edit("a", Some(&format!("v{n}")), None, n), n as f64).expect("ok");
    }
    let titles: Vec<String> = titles(&replica, "a").into_iter().map(|(_, t, _)| t).collect();
    assert_eq!(titles, ["v3", "v4", "v5", "v6"], "three kept, and the current");
}

/// A change pulled from the server keeps what the prompt held before it here, marked as
/// synced; a first pull keeps nothing (there was nothing before).
#[test]
fn a_pulled_change_keeps_the_version_it_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let replica = open(&dir);
    let prompt = |title: &str| {
        JsonText::from_value(&json!({"id": "a", "title": title, "body": "b", "tags": [],
            "createdAt": 1, "updatedAt": 1, "useCount": 0, "lastUsedAt": null}))
    };
    let first = PullResponse {
        cookie: Cookie(json!(1)),
        last_mutation_id_changes: Default::default(),
        patch: vec![PatchOp::Clear, PatchOp::Put { key: "prompt/a".into(), value: prompt("Web") }],
    };
    replica.apply_pull(&Cookie(json!(null)), &first).expect("applied");
    assert_eq!(titles(&replica, "a"), [(1, "Web".into(), true)], "nothing kept on a first pull");
    let second = PullResponse {
        cookie: Cookie(json!(2)),
        last_mutation_id_changes: Default::default(),
        patch: vec![PatchOp::Put { key: "prompt/a".into(), value: prompt("Web, edited") }],
    };
    replica.apply_pull(&Cookie(json!(1)), &second).expect("applied");
    let third = PullResponse {
        cookie: Cookie(json!(3)),
        last_mutation_id_changes: Default::default(),
        patch: vec![PatchOp::Del { key: "prompt/a".into() }],
    };
    replica.apply_pull(&Cookie(json!(2)), &third).expect("applied");
    let history = replica.history(&id("a")).expect("reads");
    let seen: Vec<(&str, Option<Origin>, Option<i64>)> =
        history.iter().map(|e| (e.title.as_str(), e.made_by, e.deleted_at.map(|_| 0))).collect();
    assert_eq!(seen, [("Web", None, None), ("Web, edited", Some(Origin::Synced), Some(0))]);
    let deleted = replica.recently_deleted(promptdeck_protocol::now_millis()).expect("reads");
    assert_eq!(deleted[0].deleted_by, Origin::Synced);
}

/// A kept body is the few characters that tell it from the next version's; one that does
/// not rebuild to what was kept (the current body changed behind the history's back) is
/// left out rather than shown wrong.
#[test]
fn versions_are_kept_small_and_one_that_does_not_rebuild_is_left_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("library.redb");
    let replica = open(&dir);
    let long = "word ".repeat(4_000);
    let body = |n: usize| format!("{long}edit {n}");
    replica.mutate(&create("a", "Long"), 1.0).expect("created");
    for n in 0..5 {
        replica.mutate(&edit("a", None, Some(&body(n)), 10 + n as i64), 10.0).expect("edited");
    }
    let history = replica.history(&id("a")).expect("reads");
    assert_eq!(
        history.iter().map(|e| e.body.clone()).skip(1).collect::<Vec<_>>(),
        (0..5).map(body).collect::<Vec<_>>()
    );
    drop(replica);
    let db = redb::Database::open(&path).expect("opens");
    {
        let txn = db.begin_read().expect("txn");
        let table: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("history");
        let table = txn.open_table(table).expect("table");
        let largest = redb::ReadableTable::iter(&table)
            .expect("iter")
            .map(|entry| entry.expect("entry").1.value().len())
            .max()
            .expect("versions");
        assert!(largest < 400, "a version of a 20 kB body kept in {largest} bytes");
    }
    {
        let txn = db.begin_write().expect("txn");
        let view: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("view");
        // As long as the body it replaces, so only the kept hash tells it apart.
        let changed_body = format!("{}edit 4", long.replace("word", "WORD"));
        let changed = json!({"id": "a", "title": "Long", "body": changed_body, "tags": [],
            "createdAt": 1, "updatedAt": 99, "useCount": 0, "lastUsedAt": null});
        txn.open_table(view)
            .expect("table")
            .insert("prompt/a", serde_json::to_vec(&changed).expect("json").as_slice())
            .expect("put");
        txn.commit().expect("commit");
    }
    drop(db);
    let replica = open(&dir);
    let history = replica.history(&id("a")).expect("reads");
    let bodies: Vec<&str> = history.iter().map(|e| e.body.as_str()).collect();
    assert_eq!(
        bodies.len(),
        1,
        "nothing rebuilt wrong is shown: {:?}",
        &bodies[..bodies.len() - 1]
    );
    assert!(bodies[0].starts_with("WORD"));
}
