//! Actor tests against a real replica file: supervision, superseding, back-pressure, order.

use std::time::Duration;

use futures::future::join_all;
use promptdeck_protocol::{CreatePrompt, Mutation, PromptId, UpdatePrompt};
use ractor::ActorRef;
use tokio::sync::oneshot;

use crate::cache::CacheMsg;
use crate::queue::QueueMsg;
use crate::{ChildState, Origin, PromptDraft, RequestError, Runtime, RuntimeConfig, RuntimeHandle};

mod restarts;

const WAIT: Duration = Duration::from_secs(10);

async fn start(dir: &tempfile::TempDir, capacity: usize) -> Runtime {
    let config = RuntimeConfig {
        queue_capacity: capacity,
        ..RuntimeConfig::new(dir.path().join("library.redb"))
    };
    Runtime::start(config).await.expect("runtime starts")
}

fn draft(title: &str) -> PromptDraft {
    PromptDraft { title: title.into(), body: format!("body of {title}"), tags: vec![] }
}

/// Parks the queue actor; requests sent meanwhile wait in its mailbox.
fn hold_queue(handle: &RuntimeHandle) -> oneshot::Sender<()> {
    let (release, held) = oneshot::channel();
    let queue: ActorRef<QueueMsg> = ActorRef::where_is(handle.names().queue()).expect("queue");
    queue.send_message(QueueMsg::Hold(held)).expect("sent");
    release
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervisor_restarts_a_panicking_cache_and_counts_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = start(&dir, 64).await;
    let handle = runtime.handle();
    handle.create(draft("survivor")).await.expect("created");

    let mut status = handle.subscribe();
    status.borrow_and_update();
    let cache: ActorRef<CacheMsg> =
        ActorRef::where_is(handle.names().cache("personal")).expect("cache");
    cache.send_message(CacheMsg::Panic).expect("sent");
    // The restarted cache reloads the library and publishes a new data version.
    let version_before = handle.status().data_version;
    tokio::time::timeout(WAIT, status.wait_for(|s| s.data_version > version_before))
        .await
        .expect("cache restarted in time")
        .expect("status board alive");

    let health = handle.health().await;
    let cache_health = health.actors.iter().find(|a| a.name == "CacheActor").expect("listed");
    assert_eq!(cache_health.restarts, 1);
    assert_eq!(cache_health.state, ChildState::Running);
    assert!(cache_health.last_error.as_deref().unwrap_or("").contains("panic"));
    let hits = handle.search(&Origin("w".into()), "survivor", 10).await.expect("searched");
    assert_eq!(hits.len(), 1, "the restarted cache holds the library");
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_search_from_the_same_window_supersedes_queued_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = start(&dir, 64).await;
    let handle = runtime.handle();
    for title in ["alpha", "beta", "gamma"] {
        handle.create(draft(title)).await.expect("created");
    }
    let release = hold_queue(&handle);
    let palette = Origin("palette".into());
    let library = Origin("library".into());
    let keystrokes = ["g", "ga", "gam", "gamm", "gamma"];
    // `join` polls its first future first: every search is in the mailbox before release.
    let (searches, ()) = futures::future::join(
        join_all(
            keystrokes
                .iter()
                .map(|q| handle.search(&palette, q, 10))
                .chain([handle.search(&library, "alpha", 10)]),
        ),
        async { release.send(()).expect("queue still held") },
    )
    .await;
    for stale in &searches[..4] {
        assert_eq!(stale, &Err(RequestError::Superseded));
    }
    let newest = searches[4].as_ref().expect("newest search answered");
    assert_eq!(newest[0].prompt.title, "gamma");
    let other_window = searches[5].as_ref().expect("other window not superseded");
    assert_eq!(other_window[0].prompt.title, "alpha");
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_busy_at_once_and_recovers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = start(&dir, 4).await;
    let handle = runtime.handle();
    let release = hold_queue(&handle);
    let waiting: Vec<_> = (0..4)
        .map(|i| {
            let handle = handle.clone();
            tokio::spawn(async move { handle.create(draft(&format!("queued {i}"))).await })
        })
        .collect();
    // The four permits are taken once the four requests sit in the held mailbox.
    tokio::time::timeout(WAIT, async {
        while handle.queue_depth() < 4 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("requests admitted");
    let busy = handle.create(draft("one too many")).await;
    assert_eq!(busy, Err(RequestError::Busy { capacity: 4 }));
    assert!(busy.expect_err("busy").to_string().contains("try again"));

    release.send(()).expect("held");
    for request in waiting {
        request.await.expect("task").expect("answered once released");
    }
    assert_eq!(handle.queue_depth(), 0);
    handle.create(draft("after")).await.expect("admitted again");
    assert_eq!(handle.status().prompt_count, 5);
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_requests_from_eight_windows_are_all_answered_writes_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = start(&dir, 1024).await;
    let handle = runtime.handle();
    let windows = (0..8).map(|w| {
        let handle = handle.clone();
        tokio::spawn(async move {
            let origin = Origin(format!("window-{w}"));
            let writes = (0..25).map(|i| handle.create(draft(&format!("w{w}-{i:02}"))));
            let reads =
                (0..100).map(|i| handle.search(&origin, if i % 2 == 0 { "w" } else { "" }, 5));
            let (writes, reads) = tokio::join!(join_all(writes), join_all(reads));
            (writes, reads)
        })
    });
    let mut answered = 0;
    for window in join_all(windows).await {
        let (writes, reads) = window.expect("window task");
        let ids: Vec<u64> = writes.iter().map(|w| w.as_ref().expect("write").mutation_id).collect();
        assert!(ids.windows(2).all(|p| p[0] < p[1]), "a window's writes applied in order: {ids:?}");
        for read in &reads {
            assert!(matches!(read, Ok(_) | Err(RequestError::Superseded)), "{read:?}");
        }
        assert!(reads.last().expect("read").is_ok(), "a window's last search is answered");
        answered += writes.len() + reads.len();
    }
    assert_eq!(answered, 1000);
    assert_eq!(handle.status().prompt_count, 200);
    assert_eq!(handle.status().pending, 200);
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_are_visible_to_the_next_read_and_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let origin = Origin("palette".into());
    let order_before = {
        let runtime = start(&dir, 64).await;
        let handle = runtime.handle();
        let first = handle.create(draft("first")).await.expect("created");
        handle.create(draft("second")).await.expect("created");
        handle.mark_used(&first.prompt_id).await.expect("marked");
        let renamed = Mutation::UpdatePrompt(UpdatePrompt {
            id: first.prompt_id.clone(),
            title: Some("first, renamed".into()),
            body: None,
            tags: None,
            updated_at: 1,
        });
        handle.mutate(renamed).await.expect("updated");
        let hits = handle.search(&origin, "", 10).await.expect("listed");
        assert_eq!(hits[0].prompt.title, "first, renamed", "read your own write at once");
        let full = handle.get(&first.prompt_id).await.expect("got").expect("exists");
        assert_eq!(full.body, "body of first");
        runtime.shutdown().await;
        hits.into_iter().map(|h| h.prompt.id).collect::<Vec<PromptId>>()
    };
    let runtime = start(&dir, 64).await;
    let handle = runtime.handle();
    assert!(handle.status().loaded);
    let order_after: Vec<PromptId> = handle
        .search(&origin, "", 10)
        .await
        .expect("listed")
        .into_iter()
        .map(|h| h.prompt.id)
        .collect();
    assert_eq!(order_after, order_before, "same prompts, same order");
    assert_eq!(handle.status().pending, 4);
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_write_is_a_clear_error_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = start(&dir, 64).await;
    let handle = runtime.handle();
    let huge = PromptDraft { title: "huge".into(), body: "x".repeat(10 << 20), tags: vec![] };
    let err = handle.create(huge).await.expect_err("refused");
    assert!(err.to_string().contains("limit"), "{err}");
    let gone = PromptId::parse("nope").expect("id");
    let err = handle.update(&gone, draft("x")).await.expect_err("refused");
    assert!(matches!(&err, RequestError::NoSuchPrompt(id) if *id == gone), "{err:?}");
    assert_eq!(handle.status().prompt_count, 0);
    assert_eq!(handle.status().pending, 0);
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reports_every_actor_and_the_counters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = start(&dir, 64).await;
    let handle = runtime.handle();
    let receipt = handle.create(draft("one")).await.expect("created");
    handle.get(&receipt.prompt_id).await.expect("got");
    let health = handle.health().await;
    let names: Vec<&str> = health.actors.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["CacheActor", "RequestQueueActor", "AuthActor", "SyncActor"]);
    let cache = health.cache.expect("cache stats");
    assert_eq!((cache.hits, cache.indexed), (1, 1));
    assert_eq!(health.status.pending, 1);
    assert_eq!(health.queue_capacity, 64);
    assert!(health.rss_bytes.unwrap_or(0) > 1 << 20);
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_character_query_is_cut_and_answered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = start(&dir, 64).await;
    let handle = runtime.handle();
    handle.create(draft("summary of the week")).await.expect("created");
    let origin = Origin("test".into());
    // What matters is the first MAX_QUERY_CHARS characters, multi-byte ones included.
    let query = format!("summ{}", "é".repeat(1_000_000));
    let hits = handle.search(&origin, &query, 10).await.expect("answered");
    assert!(hits.is_empty(), "the cut query still has to match as a whole");
    let query = format!("summary{}", " ".repeat(1_000_000));
    let hits = handle.search(&origin, &query, 10).await.expect("answered");
    assert_eq!(hits.len(), 1, "trailing blanks past the cut change nothing");
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_batch_leaves_no_stale_prompt_in_the_cache() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = start(&dir, 64).await;
    let handle = runtime.handle();
    let early = handle.create(draft("early")).await.expect("created").prompt_id;
    assert_eq!(handle.get(&early).await.expect("got").expect("exists").body, "body of early");

    // The edit comes first in a batch far larger than the cache of full prompts holds.
    let edit = Mutation::UpdatePrompt(UpdatePrompt {
        id: early.clone(),
        title: Some("early, edited".into()),
        body: Some("edited body".into()),
        tags: None,
        updated_at: 2,
    });
    let creates = (0..3_000).map(|n| {
        Mutation::CreatePrompt(CreatePrompt {
            id: PromptId::parse(format!("batch{n}")).expect("id"),
            title: format!("batch {n}"),
            body: format!("body {n}"),
            tags: vec![],
            created_at: 1,
        })
    });
    let applied = handle.mutate_all(std::iter::once(edit).chain(creates).collect()).await;
    assert_eq!(applied.expect("applied"), 3_001);

    let full = handle.get(&early).await.expect("got").expect("exists");
    assert_eq!((full.title.as_str(), full.body.as_str()), ("early, edited", "edited body"));
    let first = handle.get(&PromptId::parse("batch0").expect("id")).await.expect("got");
    assert_eq!(first.expect("exists").body, "body 0");
    let hits = handle.search(&Origin("w".into()), "early", 10).await.expect("searched");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].prompt.title, "early, edited");
    assert_eq!(handle.status().prompt_count, 3_001);
    runtime.shutdown().await;
}

/// The runtime keeps what was typed into a prompt's fields, per workspace, for the form to
/// offer first next time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn field_values_typed_come_back_through_the_runtime() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = start(&dir, 64).await;
    let handle = runtime.handle();
    let receipt = handle.create(draft("letter")).await.expect("created");
    let id = receipt.prompt_id;
    assert!(handle.field_values(&id).await.expect("asked").is_empty());
    for name in ["Ada", "Grace"] {
        let typed = vec![("name".to_owned(), name.to_owned())];
        handle.remember_fields(&id, typed).await.expect("remembered");
    }
    let kept = handle.field_values(&id).await.expect("asked");
    assert_eq!(kept["name"], ["Grace", "Ada"]);
    let elsewhere = handle.in_space("nowhere").field_values(&id).await;
    assert!(matches!(elsewhere, Err(RequestError::NoSuchWorkspace(_))), "{elsewhere:?}");
    runtime.shutdown().await;
}

/// A prompt picked for a query leads that query's hits at once, still after a restart
/// (the cache starts from the store), and not after learning is forgotten.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pick_learned_through_the_runtime_leads_its_query_and_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let origin = Origin("palette".into());
    let first_for = |hits: Vec<crate::SearchHit>| hits[0].prompt.title.clone();
    let picked = {
        let runtime = start(&dir, 64).await;
        let handle = runtime.handle();
        let notes = handle.create(draft("release notes")).await.expect("created");
        handle.mark_used(&notes.prompt_id).await.expect("used");
        let plan = handle.create(draft("release plan")).await.expect("created");
        let hits = handle.search(&origin, "rel", 10).await.expect("searched");
        assert_eq!(first_for(hits), "release notes", "used before, so first");
        handle.learn("release", &plan.prompt_id).await.expect("learned");
        let hits = handle.search(&origin, "rel", 10).await.expect("searched");
        assert_eq!(first_for(hits), "release plan", "picked for a query that starts so");
        runtime.shutdown().await;
        plan.prompt_id
    };
    let runtime = start(&dir, 64).await;
    let handle = runtime.handle();
    let hits = handle.search(&origin, "release", 10).await.expect("searched");
    assert_eq!(hits[0].prompt.id, picked, "learned still, after a restart");
    handle.set_learning(false).await.expect("forgotten");
    let hits = handle.search(&origin, "release", 10).await.expect("searched");
    assert_eq!(first_for(hits), "release notes", "forgotten");
    assert!(!handle.status().learning);
    handle.set_learning(true).await.expect("on again");
    let hits = handle.search(&origin, "release", 10).await.expect("searched");
    assert_eq!(first_for(hits), "release notes", "nothing learned comes back");
    handle.learn("release", &picked).await.expect("learned");
    let hits = handle.search(&origin, "release", 10).await.expect("searched");
    assert_eq!(hits[0].prompt.id, picked, "learning again");
    runtime.shutdown().await;
}

/// A kept version made current again is an ordinary edit (it is pending for sync and its
/// replaced content becomes a version in turn); a deleted prompt comes back under its id;
/// a version that is not there is refused, changing nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_restored_is_an_edit_and_a_deleted_prompt_comes_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = start(&dir, 64).await;
    let handle = runtime.handle();
    let id = handle.create(draft("first title")).await.expect("created").prompt_id;
    let renamed = Mutation::UpdatePrompt(UpdatePrompt {
        id: id.clone(),
        title: Some("second title".into()),
        body: Some("second body".into()),
        tags: None,
        updated_at: 2,
    });
    handle.mutate(renamed).await.expect("edited");
    let pending_before = handle.status().pending;
    handle.restore(&id, Some(1)).await.expect("restored");
    let now = handle.get(&id).await.expect("got").expect("exists");
    assert_eq!((now.title.as_str(), now.body.as_str()), ("first title", "body of first title"));
    assert_eq!(handle.status().pending, pending_before + 1, "an edit, to sync like any");
    let history = handle.history(&id).await.expect("history");
    let titles: Vec<&str> = history.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(titles, ["first title", "second title", "first title"]);

    let refused = handle.restore(&id, Some(9)).await.expect_err("no version 9");
    assert!(matches!(refused, RequestError::Rejected(_)), "{refused:?}");
    let refused = handle.restore(&id, Some(3)).await.expect_err("the current one");
    assert!(refused.to_string().contains("current"), "{refused}");

    handle
        .mutate(Mutation::DeletePrompt(promptdeck_protocol::DeletePrompt { id: id.clone() }))
        .await
        .expect("deleted");
    let deleted = handle.recently_deleted().await.expect("listed");
    assert_eq!(deleted.iter().map(|d| &d.id).collect::<Vec<_>>(), [&id]);
    handle.restore(&id, None).await.expect("brought back");
    let back = handle.get(&id).await.expect("got").expect("back");
    assert_eq!(back.title, "first title");
    assert!(handle.recently_deleted().await.expect("listed").is_empty());
    let hits = handle.search(&Origin("w".into()), "first", 10).await.expect("searched");
    assert_eq!(hits.len(), 1, "in the index again");
    runtime.shutdown().await;
}
