//! Promptdeck syncing with a Replicache backend that is not promptdeck-server
//! (tests/backends/, in Node): its own URL layout with the space in the path, a raw token,
//! object cookies, plain-text push answers. Promptdeck and the official client converge
//! through it, with the backend's poke stream and, without one, by polling.

mod support;

use std::time::Duration;

use promptdeck_actors::{Endpoints, SyncConfig};
use support::converge::both_sides_edit_and_converge;
use support::node::{JsBackend, OfficialClient};
use support::{runtime_with, wait_until};

/// Promptdeck configured as a web client of `backend` would be.
fn settings(backend: &JsBackend, pokes: bool, poll_interval: Duration) -> SyncConfig {
    let endpoints = Endpoints {
        push: backend.endpoint("push"),
        pull: backend.endpoint("pull"),
        poke: pokes.then(|| backend.endpoint("poke")),
    };
    SyncConfig {
        authorization: Some(JsBackend::TOKEN.into()),
        poll_interval,
        ..SyncConfig::with_endpoints(endpoints, "team space")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_backends_poke_stream_both_clients_converge() {
    let backend = JsBackend::start(&[]);
    // A poll interval far beyond the test: only pokes can bring changes in time.
    converge(settings(&backend, true, Duration::from_secs(3600))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_poke_stream_polling_brings_changes_and_string_cookies_work() {
    let backend = JsBackend::start(&["--no-poke", "--cookie", "string"]);
    converge(settings(&backend, false, Duration::from_secs(1))).await;
}

async fn converge(sync: SyncConfig) {
    let dir = tempfile::tempdir().expect("tempdir");
    let ours = runtime_with(dir.path(), sync.clone()).await;
    let mut theirs = OfficialClient::start(
        &sync.url(&sync.endpoints.push),
        &sync.url(&sync.endpoints.pull),
        JsBackend::TOKEN,
    );
    both_sides_edit_and_converge(&ours.handle(), &mut theirs).await;
}

/// A backend of the user's own is not promptdeck-server and says nothing of `learnPick`,
/// so nothing learned is sent to it: a pick leads on this device and queues no mutation;
/// with the settings' word that it runs the learning mutators, it is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_of_ones_own_is_sent_what_is_learned_only_when_the_settings_say_it_runs_it() {
    let backend = JsBackend::start(&[]);
    for learning in [None, Some(true)] {
        let dir = tempfile::tempdir().expect("tempdir");
        let sync = SyncConfig { learning, ..settings(&backend, true, Duration::from_secs(3600)) };
        let ours = runtime_with(dir.path(), sync).await;
        let device = ours.handle();
        let id = device.create(support::draft("release plan")).await.expect("created").prompt_id;
        device.sync_now().await.expect("synced");
        wait_until(&device, "the prompt pushed", |s| s.pending == 0).await;
        assert_eq!(device.status().learning_syncs, learning == Some(true));
        device.learn("release", &id).await.expect("learned");
        let queued = device.status().pending;
        assert_eq!(queued, u64::from(learning == Some(true)), "sent only when said ({learning:?})");
        ours.shutdown().await;
    }
}
