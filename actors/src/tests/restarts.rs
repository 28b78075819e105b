//! Each actor killed through a test-only fault, as a bug would kill it: the supervisor
//! starts it again, the status names it while it is down (the windows show "unavailable"),
//! requests made meanwhile complete or get a clear error, and nothing acknowledged is lost.
//!
//! The restart backoff is an hour here, so an actor stays down until the test itself asks
//! for the restart the timer would send: what is checked "while it is down" is checked
//! while it is down, however slow the machine.

use std::time::Duration;

use ractor::ActorRef;

use super::{WAIT, draft};
use crate::auth::AuthMsg;
use crate::cache::CacheMsg;
use crate::queue::QueueMsg;
use crate::supervisor::{Child, SupervisorMsg};
use crate::sync::SyncMsg;
use crate::{
    Account, ChildState, Origin, RequestError, Runtime, RuntimeConfig, RuntimeHandle,
    RuntimeStatus, SyncConfig, SyncStatus,
};

async fn start_held(config: RuntimeConfig) -> Runtime {
    let config = RuntimeConfig { restart_backoff: Duration::from_secs(3600), ..config };
    Runtime::start(config).await.expect("runtime starts")
}

async fn wait_for(handle: &RuntimeHandle, what: &str, check: impl Fn(&RuntimeStatus) -> bool) {
    let mut status = handle.subscribe();
    tokio::time::timeout(WAIT, status.wait_for(|s| check(s)))
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}: {:?}", handle.status()))
        .expect("status board alive");
}

/// Waits until the status names `label` as down, and says so for the windows.
async fn wait_down(handle: &RuntimeHandle, label: &str) {
    wait_for(handle, &format!("{label} down"), |s| s.unavailable.iter().any(|l| l == label)).await;
}

/// Sends the restart the backoff timer would, then waits until `label` runs again.
async fn restart(handle: &RuntimeHandle, child: Child, label: &str) {
    let supervisor: ActorRef<SupervisorMsg> =
        ActorRef::where_is(handle.names().supervisor()).expect("supervisor");
    supervisor.send_message(SupervisorMsg::Restart(child)).expect("sent");
    wait_for(handle, &format!("{label} up"), |s| s.unavailable.is_empty()).await;
}

async fn restarts_of(handle: &RuntimeHandle, name: &str) -> u32 {
    let health = handle.health().await;
    let child = health.actors.iter().find(|a| a.name == name).expect("listed");
    assert_eq!(child.state, ChildState::Running);
    child.restarts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_queue_is_restarted_and_requests_meanwhile_get_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = start_held(RuntimeConfig::new(dir.path().join("library.redb"))).await;
    let handle = runtime.handle();
    handle.create(draft("acknowledged")).await.expect("created");

    let queue: ActorRef<QueueMsg> = ActorRef::where_is(handle.names().queue()).expect("queue");
    queue.send_message(QueueMsg::Fail).expect("sent");
    wait_down(&handle, "RequestQueueActor").await;
    let refused = handle.create(draft("while down")).await;
    assert!(matches!(refused, Err(RequestError::Unavailable(_))), "{refused:?}");
    let refused = handle.search(&Origin("w".into()), "", 10).await;
    assert!(matches!(refused, Err(RequestError::Unavailable(_))), "{refused:?}");

    restart(&handle, Child::Queue, "RequestQueueActor").await;
    handle.create(draft("after")).await.expect("the restarted queue takes writes");
    let hits = handle.search(&Origin("w".into()), "", 10).await.expect("searched");
    let mut titles: Vec<String> = hits.into_iter().map(|h| h.prompt.title).collect();
    titles.sort();
    assert_eq!(titles, ["acknowledged", "after"]);
    assert_eq!(restarts_of(&handle, "RequestQueueActor").await, 1);
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_cache_is_restarted_and_the_store_answers_meanwhile() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = start_held(RuntimeConfig::new(dir.path().join("library.redb"))).await;
    let handle = runtime.handle();
    handle.create(draft("acknowledged")).await.expect("created");

    let cache: ActorRef<CacheMsg> =
        ActorRef::where_is(handle.names().cache("personal")).expect("cache");
    cache.send_message(CacheMsg::Panic).expect("sent");
    wait_down(&handle, "CacheActor (personal)").await;
    let origin = Origin("w".into());
    let hits = handle.search(&origin, "acknowledged", 10).await.expect("the store answers");
    assert_eq!(hits.len(), 1);
    handle.create(draft("while down")).await.expect("writes still go to the store");

    restart(&handle, Child::Cache("personal".into()), "CacheActor (personal)").await;
    wait_for(&handle, "the library reloaded", |s| s.loaded && s.prompt_count == 2).await;
    let hits = handle.search(&origin, "down", 10).await.expect("searched");
    assert_eq!(hits[0].prompt.title, "while down", "the restarted cache holds every write");
    assert_eq!(restarts_of(&handle, "CacheActor").await, 1);
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_auth_actor_is_restarted_and_says_again_that_no_sign_in_is_needed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = start_held(RuntimeConfig::new(dir.path().join("library.redb"))).await;
    let handle = runtime.handle();
    assert_eq!(handle.sign_in().await, Err(RequestError::NoSignIn));

    let auth: ActorRef<AuthMsg> = ActorRef::where_is(handle.names().auth()).expect("auth");
    auth.send_message(AuthMsg::Fail).expect("sent");
    wait_down(&handle, "AuthActor").await;
    let refused = handle.sign_in().await;
    assert!(matches!(refused, Err(RequestError::Unavailable(_))), "{refused:?}");
    handle.create(draft("while down")).await.expect("the library does not need the AuthActor");

    restart(&handle, Child::Auth, "AuthActor").await;
    assert_eq!(handle.sign_in().await, Err(RequestError::NoSignIn));
    assert_eq!(handle.status().account, Account::NotNeeded);
    assert_eq!(restarts_of(&handle, "AuthActor").await, 1);
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_sync_actor_is_restarted_and_pushes_what_was_written_meanwhile() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = promptdeck_server::Server::start(promptdeck_server::ServerConfig::new(
        "127.0.0.1:0".parse().expect("addr"),
        format!("sqlite://{}", dir.path().join("server.db").display()),
        promptdeck_server::Auth::InsecureLocal,
    ))
    .await
    .expect("server starts");
    let url = format!("http://{}", server.local_addr());
    tokio::spawn(server.serve_until(std::future::pending()));
    let mut config = RuntimeConfig::new(dir.path().join("library.redb"));
    config.sync = Some(SyncConfig::new(&url, "personal"));
    let runtime = start_held(config).await;
    let handle = runtime.handle();
    handle.create(draft("acknowledged")).await.expect("created");
    wait_for(&handle, "the first push", |s| s.pending == 0 && s.last_synced_at.is_some()).await;

    let sync: ActorRef<SyncMsg> =
        ActorRef::where_is(handle.names().sync("personal")).expect("sync");
    sync.send_message(SyncMsg::Fail).expect("sent");
    wait_down(&handle, "SyncActor (personal)").await;
    handle.create(draft("while down")).await.expect("written while sync is down");
    assert_eq!(handle.status().pending, 1, "kept for the push");
    let refused = handle.sync_now().await;
    assert!(matches!(refused, Err(RequestError::Unavailable(_))), "{refused:?}");

    restart(&handle, Child::Sync("personal".into()), "SyncActor (personal)").await;
    wait_for(&handle, "the change pushed", |s| s.pending == 0).await;
    handle.sync_now().await.expect("the restarted actor syncs");
    assert!(matches!(handle.status().sync, SyncStatus::Idle | SyncStatus::Syncing));
    assert_eq!(restarts_of(&handle, "SyncActor").await, 1);
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_profile_runs_all_four_actors_and_an_idle_sync() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = start_held(RuntimeConfig::new(dir.path().join("library.redb"))).await;
    let handle = runtime.handle();
    let health = handle.health().await;
    let names: Vec<&str> = health.actors.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["CacheActor", "RequestQueueActor", "AuthActor", "SyncActor"]);
    assert_eq!(handle.status().sync, SyncStatus::LocalOnly);
    assert_eq!(handle.sync_now().await, Err(RequestError::NoSync));
    runtime.shutdown().await;
}
