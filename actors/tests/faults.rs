//! Sync through a misbehaving network and server: the client keeps every pending change,
//! shows the trouble, and once things are healthy catches up with each change applied on
//! the server exactly once.

mod support;

use promptdeck_actors::{Runtime, RuntimeConfig, RuntimeStatus, SyncConfig, SyncStatus};
use support::proxy::{Fault, FaultProxy, STALLING_ERROR};
use support::{TestServer, dirs, draft, runtime, titles, wait_until};

fn troubled(status: &RuntimeStatus) -> bool {
    matches!(status.sync, SyncStatus::Offline { .. } | SyncStatus::Error { .. })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_keeps_pending_changes_and_catching_up_applies_each_once() {
    let (root, db) = dirs();
    let server = TestServer::start(&db, None);
    let proxy = FaultProxy::start(server.addr).await;
    let a = runtime(&root.path().join("a"), &proxy.url()).await;
    let b = runtime(&root.path().join("b"), &server.url()).await;
    let (a, b) = (a.handle(), b.handle());
    let used = a.create(draft("Counted")).await.expect("created").prompt_id;
    wait_until(&a, "the first push", |s| s.pending == 0 && s.last_synced_at.is_some()).await;

    let faults =
        [Fault::ServerError, Fault::Garbage, Fault::Hang, Fault::CutAfterWork, Fault::Oversized];
    for (n, fault) in faults.into_iter().enumerate() {
        proxy.set(fault);
        a.create(draft(&format!("During {fault:?}")))
            .await
            .expect("local writes never wait for the server");
        a.mark_used(&used).await.expect("marked");
        wait_until(&a, &format!("A to show trouble under {fault:?}"), troubled).await;
        let pending = a.status().pending;
        assert!(pending >= 2, "{fault:?}: pending changes kept, found {pending}");
        assert_eq!(a.status().prompt_count, n + 2, "{fault:?}: the local library has everything");
    }

    // After five faults in a row the automatic retry may be half a minute away (backoff);
    // the user's "Sync now" goes at once.
    proxy.set(Fault::None);
    a.sync_now().await.expect("a round through the healed network");
    wait_until(&a, "A to catch up", |s| s.pending == 0 && matches!(s.sync, SyncStatus::Idle)).await;
    // A has nothing pending, so its view is the server's state; B pulls after that.
    let on_server = a.get(&used).await.expect("reads").expect("exists");
    assert_eq!(
        on_server.use_count, 5,
        "each markPromptUsed applied exactly once, retries included"
    );
    b.sync_now().await.expect("B pulls");
    assert_eq!(b.status().prompt_count, 6);
    assert_eq!(titles(&a).await, titles(&b).await);
    assert_eq!(b.get(&used).await.expect("reads").expect("exists").use_count, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_whose_body_never_ends_is_reported_from_its_start_at_once() {
    let (root, db) = dirs();
    let server = TestServer::start(&db, None);
    let proxy = FaultProxy::start(server.addr).await;
    proxy.set(Fault::StallingError);
    let mut config = RuntimeConfig::new(root.path().join("a").join("library.redb"));
    // Longer than the test waits: only a client that stops reading sees the error in time.
    config.sync = Some(SyncConfig {
        request_timeout: std::time::Duration::from_secs(600),
        ..SyncConfig::new(&proxy.url(), "shared")
    });
    let a = Runtime::start(config).await.expect("runtime starts");
    let a = a.handle();
    a.create(draft("Kept")).await.expect("created");
    wait_until(
        &a,
        "the error's start in the status",
        |s| matches!(&s.sync, SyncStatus::Error { message } if message.contains(STALLING_ERROR)),
    )
    .await;
    assert_eq!(a.status().pending, 1, "the change waits for a healthy server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poke_stream_that_never_answers_is_opened_again() {
    let (root, db) = dirs();
    let server = TestServer::start(&db, None);
    let proxy = FaultProxy::start(server.addr).await;
    proxy.set(Fault::HoldPokes);
    let mut config = RuntimeConfig::new(root.path().join("a").join("library.redb"));
    config.sync = Some(SyncConfig {
        poke_idle_timeout: std::time::Duration::from_millis(300),
        ..SyncConfig::new(&proxy.url(), "shared")
    });
    let a = Runtime::start(config).await.expect("runtime starts");
    let a = a.handle();
    // Each held request is one opening of the stream: a second means the first was given up.
    proxy.wait_for(|traffic| traffic.held >= 2).await;
    assert!(!a.status().live_updates, "a silent stream is not live");
    a.create(draft("Synced without pokes")).await.expect("created");
    wait_until(&a, "pushes and pulls to go on", |s| s.pending == 0).await;
}
