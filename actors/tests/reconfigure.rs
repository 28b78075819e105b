//! Settings that change while the app runs: the runtime starts syncing, moves to another
//! server and space (whose library then replaces the local one, waiting changes going
//! there), and stops syncing, without a restart and without losing a change.

mod support;

use promptdeck_actors::{RequestError, Runtime, RuntimeConfig, SyncConfig, SyncStatus};
use support::{TestServer, draft, titles, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_starts_moves_and_stops_with_the_settings() {
    let dirs = [(); 3].map(|_| tempfile::tempdir().expect("tempdir"));
    let first = TestServer::start(&dirs[0].path().join("one.db"), None);
    let second = TestServer::start(&dirs[1].path().join("two.db"), None);
    let runtime = Runtime::start(RuntimeConfig::new(dirs[2].path().join("library.redb")))
        .await
        .expect("starts");
    let handle = runtime.handle();
    handle.create(draft("Written before any server")).await.expect("saved");
    assert_eq!(handle.status().sync, SyncStatus::LocalOnly);

    handle
        .reconfigure_sync(Some(SyncConfig::new(&first.url(), "personal")), None)
        .await
        .expect("on");
    wait_until(&handle, "the first server to take the waiting change", |s| {
        s.sync == SyncStatus::Idle && s.pending == 0 && s.last_synced_at.is_some()
    })
    .await;

    handle
        .reconfigure_sync(Some(SyncConfig::new(&second.url(), "team")), None)
        .await
        .expect("moved");
    handle.create(draft("Written after the move")).await.expect("saved");
    handle.sync_now().await.expect("the second server answers");
    wait_until(&handle, "synced with the second server", |s| s.pending == 0).await;

    // What each server holds, seen by a fresh device.
    for (server, space, expected) in [
        (&first, "personal", vec!["Written before any server"]),
        (&second, "team", vec!["Written after the move"]),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = RuntimeConfig::new(dir.path().join("library.redb"));
        config.sync = Some(SyncConfig::new(&server.url(), space));
        let other = Runtime::start(config).await.expect("starts");
        other.handle().sync_now().await.expect("pulls");
        assert_eq!(titles(&other.handle()).await, expected, "{space}");
        other.shutdown().await;
    }

    handle.reconfigure_sync(None, None).await.expect("off");
    assert_eq!(handle.status().sync, SyncStatus::LocalOnly);
    handle.create(draft("Local again")).await.expect("saved");
    assert_eq!(handle.sync_now().await, Err(RequestError::NoSync), "no server to sync with");
    // The library is the space's: the first space's prompt is on the first server, not here.
    assert_eq!(titles(&handle).await, ["Local again", "Written after the move"]);
    let health = handle.health().await;
    let names: Vec<&str> = health.actors.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        ["CacheActor", "RequestQueueActor", "AuthActor", "SyncActor"],
        "all four run"
    );
    assert!(health.actors.iter().all(|a| a.restarts == 0), "nothing counted as a crash");
    runtime.shutdown().await;
}
