//! The store invariants of design §5, against real redb files.

use promptdeck_protocol::{
    CreatePrompt, DeletePrompt, Mutation, MutatorError, PromptId, UpdatePrompt,
};
use promptdeck_storage::{CURRENT_SCHEMA_VERSION, Change, Replica, StoreError};
use redb::{Database, TableDefinition};

fn id(s: &str) -> PromptId {
    PromptId::parse(s).expect("valid id")
}

fn create(name: &str) -> Mutation {
    Mutation::CreatePrompt(CreatePrompt {
        id: id(name),
        title: format!("Title {name}"),
        body: format!("Body {name}"),
        tags: vec!["tag".into()],
        created_at: 1,
    })
}

fn open(path: &std::path::Path) -> Replica {
    let (replica, report) = Replica::open(path).expect("opens");
    assert_eq!(report.moved_aside, None);
    replica
}

#[test]
fn local_mutation_commits_pending_and_view_together() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("library.redb");
    let commit = open(&path).mutate(&create("a"), 12.5).expect("commits");
    assert_eq!(commit.pending.id, 1);
    assert!(matches!(&commit.changes.0[..], [Change::Put { key, .. }] if key == "prompt/a"));

    let replica = open(&path);
    let pending = replica.pending().expect("reads pending");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].mutation, create("a"));
    assert_eq!(pending[0].timestamp, 12.5);
    assert_eq!(replica.prompt(&id("a")).expect("reads").expect("exists").title, "Title a");
    assert_eq!(replica.sync_state().expect("reads").next_mutation_id, 2);
}

#[test]
fn mutation_ids_count_up_by_one_per_client() {
    let dir = tempfile::tempdir().expect("tempdir");
    let replica = open(&dir.path().join("library.redb"));
    let ids: Vec<u64> = ["a", "b", "c"]
        .iter()
        .map(|n| replica.mutate(&create(n), 0.0).expect("commits").pending.id)
        .collect();
    assert_eq!(ids, [1, 2, 3]);
    let client = replica.sync_state().expect("reads").client_id;
    assert!(replica.pending().expect("reads").iter().all(|p| p.client_id == client));
}

#[test]
fn rejected_mutation_leaves_nothing_behind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let replica = open(&dir.path().join("library.redb"));
    replica.mutate(&create("a"), 0.0).expect("commits");
    let update_missing = Mutation::UpdatePrompt(UpdatePrompt {
        id: id("missing"),
        title: Some("x".into()),
        body: None,
        tags: None,
        updated_at: 2,
    });
    let err = replica.mutate(&update_missing, 0.0).expect_err("refused");
    assert!(matches!(err, StoreError::Rejected(MutatorError::NotFound(_))), "{err}");
    assert_eq!(replica.pending_count().expect("reads"), 1);
    assert_eq!(replica.sync_state().expect("reads").next_mutation_id, 2);
}

#[test]
fn reopen_keeps_every_prompt_and_pending_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("library.redb");
    {
        let replica = open(&path);
        for name in ["c", "a", "b"] {
            replica.mutate(&create(name), 0.0).expect("commits");
        }
        replica.mutate(&Mutation::DeletePrompt(DeletePrompt { id: id("a") }), 0.0).expect("ok");
    }
    let replica = open(&path);
    let titles: Vec<String> =
        replica.prompts().expect("reads").into_iter().map(|p| p.title).collect();
    assert_eq!(titles, ["Title b", "Title c"]);
    let order: Vec<&str> = replica
        .pending()
        .expect("reads")
        .iter()
        .map(|p| p.mutation.name())
        .collect::<Vec<_>>()
        .into_iter()
        .collect();
    assert_eq!(order, ["createPrompt", "createPrompt", "createPrompt", "deletePrompt"]);
}

#[test]
fn foreign_file_is_moved_aside_and_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("library.redb");
    std::fs::write(&path, b"this is not a database, it is a shopping list\n".repeat(200))
        .expect("writes");
    let (replica, report) = Replica::open(&path).expect("opens anyway");
    let aside = report.moved_aside.expect("reported");
    assert!(aside.to.exists(), "the damaged file is kept at {}", aside.to.display());
    assert!(std::fs::read(&aside.to).expect("reads").starts_with(b"this is not a database"));
    assert_eq!(aside.kept_pending, 0);
    replica.mutate(&create("a"), 0.0).expect("the fresh replica works");
}

#[test]
fn damaged_view_keeps_readable_pending_mutations() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("library.redb");
    let client_id = {
        let replica = open(&path);
        replica.mutate(&create("a"), 0.0).expect("commits");
        replica.mutate(&create("b"), 0.0).expect("commits");
        replica.sync_state().expect("reads").client_id
    };
    {
        // Replace the view table with one of another type: unreadable as a view.
        let db = Database::create(&path).expect("opens raw");
        let txn = db.begin_write().expect("txn");
        txn.delete_table(TableDefinition::<&str, &[u8]>::new("view")).expect("deleted");
        txn.open_table(TableDefinition::<u64, u64>::new("view")).expect("created");
        txn.commit().expect("commits");
    }
    let (replica, report) = Replica::open(&path).expect("opens");
    let aside = report.moved_aside.expect("moved aside");
    assert_eq!(aside.kept_pending, 2);
    assert_eq!(replica.pending_count().expect("reads"), 2);
    assert_eq!(replica.prompts().expect("reads").len(), 2, "view rebuilt from pending");
    let sync = replica.sync_state().expect("reads");
    assert_eq!(sync.client_id, client_id, "same client, so the server dedupes");
    assert!(sync.cookie.is_null(), "the next pull brings the base back");
}

#[test]
fn newer_schema_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("library.redb");
    drop(open(&path));
    set_schema_version(&path, b"99");
    let err = Replica::open(&path).err().expect("refused");
    assert!(
        matches!(err, StoreError::NewerSchema { found: 99, supported, .. } if supported == CURRENT_SCHEMA_VERSION),
        "{err}"
    );
    assert!(err.to_string().contains("update Promptdeck"), "{err}");
    assert!(path.exists());
}

fn set_schema_version(path: &std::path::Path, version: &[u8]) {
    let db = Database::create(path).expect("opens raw");
    let txn = db.begin_write().expect("txn");
    {
        let mut meta = txn.open_table(TableDefinition::<&str, &[u8]>::new("meta")).expect("t");
        meta.insert("schemaVersion", version).expect("insert");
    }
    txn.commit().expect("commits");
}

fn schema_version(path: &std::path::Path) -> Vec<u8> {
    use redb::ReadableDatabase;
    let db = Database::create(path).expect("opens raw");
    let txn = db.begin_read().expect("txn");
    let meta = txn.open_table(TableDefinition::<&str, &[u8]>::new("meta")).expect("t");
    meta.get("schemaVersion").expect("reads").expect("present").value().to_vec()
}

#[test]
fn a_schema_1_file_keeps_its_library_and_is_marked_for_this_build() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("library.redb");
    {
        let replica = open(&path);
        replica.mutate_all(&[create("a"), create("b")], 0.0).expect("commits");
    }
    set_schema_version(&path, b"1");
    let prompts = open(&path).prompts().expect("reads");
    assert_eq!(prompts.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(schema_version(&path), CURRENT_SCHEMA_VERSION.to_string().into_bytes());
}

#[test]
fn a_second_open_of_the_same_file_is_in_use_not_damage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("library.redb");
    let _first = open(&path);
    let err = Replica::open(&path).err().expect("refused");
    assert!(matches!(err, StoreError::InUse(_)), "{err}");
    assert!(
        !dir.path()
            .read_dir()
            .expect("ls")
            .any(|e| { e.expect("entry").file_name().to_string_lossy().contains("damaged") })
    );
}

#[test]
fn an_unwritable_directory_is_an_io_error_naming_the_path() {
    let err = Replica::open("/proc/promptdeck-cannot-live-here/library.redb").err().expect("fails");
    assert!(matches!(err, StoreError::Io { .. }), "{err}");
    assert!(err.to_string().contains("/proc/promptdeck-cannot-live-here"), "{err}");
}

#[test]
fn a_batch_applies_all_or_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let replica = open(&dir.path().join("library.redb"));
    let changes = replica.mutate_all(&[create("a"), create("b")], 0.0).expect("applies");
    assert_eq!(changes.0.len(), 2);
    let err = replica.mutate_all(&[create("c"), create("a")], 0.0).expect_err("a exists");
    assert!(matches!(err, StoreError::Rejected(MutatorError::AlreadyExists(_))), "{err}");
    assert!(replica.prompt(&id("c")).expect("reads").is_none(), "c rolled back with the batch");
    let ids: Vec<u64> = replica.pending().expect("reads").iter().map(|p| p.id).collect();
    assert_eq!(ids, [1, 2]);
    assert_eq!(replica.sync_state().expect("reads").next_mutation_id, 3);
}

/// What was typed into a prompt's fields comes back the most recent first, once each, at
/// most five, survives reopening, and never leaks into the synced tables.
#[test]
fn field_values_are_kept_most_recent_first_on_this_device_only() {
    use promptdeck_storage::fields::{KEPT_VALUES, MAX_VALUE_CHARS};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("library.redb");
    let replica = open(&path);
    assert!(replica.field_values(&id("a")).expect("reads").is_empty(), "nothing typed yet");
    let typed = |name: &str, tone: &str| {
        vec![("name".to_owned(), name.to_owned()), ("tone".to_owned(), tone.to_owned())]
    };
    for (name, tone) in [("Ada", "formal"), ("Grace", "formal"), ("Ada", "casual")] {
        replica.remember_fields(&id("a"), &typed(name, tone)).expect("remembers");
    }
    replica.remember_fields(&id("ab"), &typed("Other", "")).expect("remembers");
    replica.remember_fields(&id("a"), &typed("", &"x".repeat(MAX_VALUE_CHARS + 1))).expect("skips");
    drop(replica);

    let replica = open(&path);
    let kept = replica.field_values(&id("a")).expect("reads");
    assert_eq!(kept["name"], ["Ada", "Grace"], "the last first, each once; empty not kept");
    assert_eq!(kept["tone"], ["casual", "formal"], "an overlong value is not kept");
    assert_eq!(replica.field_values(&id("ab")).expect("reads")["name"], ["Other"], "per prompt");
    for n in 0..10 {
        replica.remember_fields(&id("a"), &[("name".into(), format!("n{n}"))]).expect("ok");
    }
    let names = &replica.field_values(&id("a")).expect("reads")["name"];
    assert_eq!(names.len(), KEPT_VALUES);
    assert_eq!(names[0], "n9");
    assert!(replica.pending().expect("reads").is_empty(), "nothing to sync");
    assert!(replica.prompts().expect("reads").is_empty());
}

#[test]
fn a_damaged_field_entry_is_left_out_and_started_afresh() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("library.redb");
    open(&path).remember_fields(&id("a"), &[("tone".into(), "formal".into())]).expect("ok");
    {
        let db = Database::open(&path).expect("opens");
        let txn = db.begin_write().expect("txn");
        let table: TableDefinition<&str, &[u8]> = TableDefinition::new("field_values");
        txn.open_table(table)
            .expect("table")
            .insert("a\u{0}name", b"{not json".as_slice())
            .expect("put");
        txn.commit().expect("commit");
    }
    let replica = open(&path);
    let kept = replica.field_values(&id("a")).expect("a damaged entry does not fail the read");
    assert_eq!(kept.get("name"), None);
    assert_eq!(kept["tone"], ["formal"]);
    replica.remember_fields(&id("a"), &[("name".into(), "Ada".into())]).expect("starts afresh");
    assert_eq!(replica.field_values(&id("a")).expect("reads")["name"], ["Ada"]);
}

/// A query's picks come back the latest first, once each, at most three; queries are
/// learned as words in lowercase; past the kept number the one picked longest ago goes;
/// they survive reopening, never reach the synced tables, and can be forgotten.
#[test]
fn picks_are_learned_per_query_the_latest_first_on_this_device_only() {
    use promptdeck_storage::learned::{KEPT_QUERIES, PICKS_PER_QUERY, Pick};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("library.redb");
    let replica = open(&path);
    assert!(replica.learned_picks().expect("reads").is_empty(), "nothing learned yet");
    for (at, prompt) in ["a", "b", "a", "c", "d"].into_iter().enumerate() {
        replica.learn_pick("Meeting  Notes", &id(prompt), at as i64).expect("learns");
    }
    replica.learn_pick("   ", &id("a"), 9).expect("an empty query is not learned");
    drop(replica);

    let replica = open(&path);
    let learned = replica.learned_picks().expect("reads");
    let picks: Vec<&str> = learned[0].1.iter().map(|p: &Pick| p.prompt.as_str()).collect();
    assert_eq!(learned.len(), 1, "{learned:?}");
    assert_eq!(learned[0].0, "meeting notes");
    assert_eq!(picks, ["d", "c", "a"], "the latest first, each once, at most {PICKS_PER_QUERY}");
    for n in 0..=KEPT_QUERIES {
        replica.learn_pick(&format!("query {n}"), &id("a"), 100 + n as i64).expect("learns");
    }
    let learned = replica.learned_picks().expect("reads");
    assert_eq!(learned.len(), KEPT_QUERIES);
    assert!(!learned.iter().any(|(query, _)| query == "meeting notes"), "the oldest forgotten");
    assert!(replica.pending().expect("reads").is_empty(), "nothing to sync");
    replica.forget_learned().expect("forgets");
    assert!(replica.learned_picks().expect("reads").is_empty());
}

#[test]
fn a_damaged_learned_query_is_left_out_and_learned_afresh() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("library.redb");
    open(&path).learn_pick("standup", &id("a"), 1).expect("learns");
    {
        let db = Database::open(&path).expect("opens");
        let txn = db.begin_write().expect("txn");
        let table: TableDefinition<&str, &[u8]> = TableDefinition::new("learned_picks");
        txn.open_table(table)
            .expect("table")
            .insert("email", b"[{\"prompt\":".as_slice())
            .expect("put");
        txn.commit().expect("commit");
    }
    let replica = open(&path);
    let learned = replica.learned_picks().expect("a damaged entry does not fail the read");
    assert_eq!(learned.iter().map(|(q, _)| q.as_str()).collect::<Vec<_>>(), ["standup"]);
    replica.learn_pick("email", &id("b"), 2).expect("learns afresh");
    assert_eq!(replica.learned_picks().expect("reads").len(), 2);
}

#[test]
fn batches_hand_every_prompt_once_in_key_order_and_skip_an_unreadable_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("library.redb");
    let names: Vec<String> = (0..23).map(|n| format!("p{n:02}")).collect();
    {
        let replica = open(&path);
        let creates: Vec<Mutation> = names.iter().map(|n| create(n)).collect();
        replica.mutate_all(&creates, 0.0).expect("commits");
    }
    {
        let db = Database::create(&path).expect("opens raw");
        let txn = db.begin_write().expect("txn");
        let mut view = txn.open_table(TableDefinition::<&str, &[u8]>::new("view")).expect("t");
        view.insert("prompt/p07", b"{not json".as_slice()).expect("insert");
        drop(view);
        txn.commit().expect("commits");
    }
    let replica = open(&path);
    let mut sizes = Vec::new();
    let mut titles = Vec::new();
    replica
        .prompts_in_batches(5, |stored| {
            sizes.push(stored.len());
            titles.extend(stored.parse().into_iter().map(|p| p.title));
        })
        .expect("reads");
    assert_eq!(sizes, [5, 5, 5, 5, 3], "the unreadable value is counted where it is stored");
    let expected: Vec<String> =
        names.iter().filter(|n| *n != "p07").map(|n| format!("Title {n}")).collect();
    assert_eq!(titles, expected);
    let whole: Vec<String> =
        replica.prompts().expect("reads").into_iter().map(|p| p.title).collect();
    assert_eq!(titles, whole, "the same as the whole read");
}

#[test]
fn an_unreadable_unsynced_change_leaves_the_library_in_place_and_is_named_where_it_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("library.redb");
    open(&path).mutate_all(&[create("a"), create("b")], 0.0).expect("commits");
    {
        let db = Database::create(&path).expect("opens raw");
        let txn = db.begin_write().expect("txn");
        let mut pending = txn.open_table(TableDefinition::<u64, &[u8]>::new("pending")).expect("t");
        pending.insert(1_u64, b"{not json".as_slice()).expect("insert");
        drop(pending);
        txn.commit().expect("commits");
    }
    let replica = open(&path);
    assert_eq!(replica.prompts().expect("reads").len(), 2, "the library is all there");
    assert_eq!(replica.pending_count().expect("counts"), 2);
    let err = replica.pending().expect_err("unreadable");
    assert!(matches!(&err, StoreError::Corrupt(why) if why.contains("unsynced change 1")), "{err}");
    replica.mutate(&create("c"), 0.0).expect("edits still commit");
}
