//! Runtimes syncing through the real server on loopback, with real files on both sides.

mod support;

use std::time::{Duration, Instant};

use promptdeck_actors::SyncStatus;
use support::{TestServer, dirs, draft, runtime, titles, two_devices, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_created_on_one_device_reaches_another_by_poke_within_a_second() {
    let (root, db) = dirs();
    let server = TestServer::start(&db, None);
    let (a, b) = two_devices(root.path(), &server.url()).await;
    wait_until(&b, "B's live updates", |s| s.live_updates && s.last_synced_at.is_some()).await;

    let started = Instant::now();
    a.create(draft("From A")).await.expect("created on A");
    wait_until(&b, "the prompt on B", |s| s.prompt_count == 1).await;
    let latency = started.elapsed();
    assert!(latency < Duration::from_secs(1), "poke to store took {latency:?}");
    assert_eq!(titles(&b).await, ["From A"]);
    wait_until(&a, "A's push acknowledged", |s| s.pending == 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_made_offline_are_kept_and_reach_everyone_when_the_server_returns() {
    let (root, db) = dirs();
    let server = TestServer::start(&db, None);
    let (a, b) = two_devices(root.path(), &server.url()).await;
    a.create(draft("Before the outage")).await.expect("created");
    wait_until(&b, "the first prompt on B", |s| s.prompt_count == 1).await;
    wait_until(&a, "A's push acknowledged", |s| s.pending == 0).await;

    let addr = server.stop();
    a.create(draft("Written offline on A")).await.expect("a local write works offline");
    b.create(draft("Written offline on B")).await.expect("a local write works offline");
    wait_until(&a, "A to notice it is offline", |s| {
        matches!(s.sync, SyncStatus::Offline { .. }) && s.pending == 1
    })
    .await;
    assert_eq!(
        titles(&a).await,
        ["Before the outage", "Written offline on A"],
        "offline writes are visible at once"
    );

    let _server = TestServer::start(&db, Some(addr));
    wait_until(&a, "A to see B's offline write", |s| s.prompt_count == 3 && s.pending == 0).await;
    wait_until(&b, "B to see A's offline write", |s| s.prompt_count == 3 && s.pending == 0).await;
    assert_eq!(titles(&a).await, titles(&b).await);
    assert!(
        matches!(a.status().sync, SyncStatus::Idle | SyncStatus::Syncing),
        "{:?}",
        a.status().sync
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_server_forgets_this_device_its_unsynced_work_is_pushed_again() {
    let (root, db) = dirs();
    let server = TestServer::start(&db, None);
    let a = runtime(&root.path().join("a"), &server.url()).await;
    let a = a.handle();
    a.create(draft("Synced before")).await.expect("created");
    wait_until(&a, "the first push", |s| s.pending == 0 && s.last_synced_at.is_some()).await;

    // The server comes back with an empty database: it knows nothing of this client group.
    let addr = server.stop();
    let _fresh = TestServer::start(&root.path().join("fresh.db"), Some(addr));
    a.create(draft("Typed meanwhile")).await.expect("created");
    wait_until(&a, "the new client group to push", |s| s.pending == 0 && s.prompt_count == 1).await;
    assert_eq!(
        titles(&a).await,
        ["Typed meanwhile"],
        "the server's state is truth; nothing unsynced was lost"
    );

    let b = runtime(&root.path().join("b"), &format!("http://{addr}")).await;
    let b = b.handle();
    wait_until(&b, "a new device to get it", |s| s.prompt_count == 1).await;
    assert_eq!(titles(&b).await, ["Typed meanwhile"]);
}
