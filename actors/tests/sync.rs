//! Runtimes syncing through the real server on loopback, with real files on both sides.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use promptdeck_actors::{Origin, PromptDraft, RuntimeHandle, SyncConfig, SyncStatus};
use promptdeck_protocol::{Mutation, PromptId, UpdatePrompt, now_millis};
use promptdeck_server::ScratchBackend;
use support::proxy::{Fault, FaultProxy};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_changes_only_the_tags_so_a_title_edited_meanwhile_elsewhere_survives() {
    let (root, db) = dirs();
    let server = TestServer::start(&db, None);
    let proxy = FaultProxy::start(server.addr).await;
    let a = runtime(&root.path().join("a"), &proxy.url()).await.handle();
    let b = runtime(&root.path().join("b"), &server.url()).await.handle();
    let id = a.create(draft("Draft")).await.expect("created").prompt_id;
    wait_until(&b, "the prompt on B", |s| s.prompt_count == 1).await;

    // A pins while its pushes are held; B renames meanwhile, so the server runs A's pin
    // after B's rename.
    proxy.set(Fault::HoldPushes);
    a.toggle_pin(&id).await.expect("pinned");
    let renamed = PromptDraft { title: "Renamed on B".into(), ..draft("Draft") };
    b.update(&id, renamed).await.expect("renamed");
    wait_until(&b, "B's rename pushed", |s| s.pending == 0).await;
    proxy.set(Fault::None);
    wait_until(&a, "A's pin pushed", |s| s.pending == 0).await;
    a.sync_now().await.expect("A pulls");
    b.sync_now().await.expect("B pulls");
    for device in [&a, &b] {
        let prompt = device.get(&id).await.expect("read").expect("exists");
        assert_eq!(prompt.title, "Renamed on B", "the pin kept the rename");
        assert_eq!(prompt.tags, ["pinned"]);
    }

    a.toggle_pin(&id).await.expect("unpinned");
    assert!(a.get(&id).await.expect("read").expect("exists").tags.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_devices_editing_the_same_prompts_at_once_converge_on_sqlite() {
    three_devices_converge(ScratchBackend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_devices_editing_the_same_prompts_at_once_converge_on_postgres() {
    if let Some(backend) = ScratchBackend::postgres_for_tests() {
        three_devices_converge(backend).await;
    }
}

/// Three devices race on the same prompts (one of them offline for its part), then settle.
/// The conflicts are chosen so that the outcome does not depend on the order the server
/// saw them in: an edit of a deleted prompt does nothing, and edits of different fields
/// and use counts add up.
async fn three_devices_converge(backend: ScratchBackend) {
    let root = tempfile::tempdir().expect("tempdir");
    let database = backend.fresh_database(root.path()).await.expect("a database");
    let server = TestServer::on(database, None);
    let proxy = FaultProxy::start(server.addr).await;
    let a = runtime(&root.path().join("a"), &server.url()).await;
    let b = runtime(&root.path().join("b"), &server.url()).await;
    let c = runtime(&root.path().join("c"), &proxy.url()).await;
    let devices = [a.handle(), b.handle(), c.handle()];
    let [a, b, c] = &devices;

    let mut seeded = Vec::new();
    for n in 0..5 {
        seeded.push(a.create(draft(&format!("Seed {n}"))).await.expect("created").prompt_id);
    }
    for device in &devices {
        wait_until(device, "the seeds everywhere", |s| s.prompt_count == 5 && s.pending == 0).await;
    }

    proxy.set(Fault::Refuse);
    let [p0, p1, p2, p3, p4] = seeded.try_into().expect("five seeds");
    tokio::join!(
        async {
            edit(a, &p0, Some("A renamed 0"), None).await;
            edit(a, &p1, Some("A renamed 1"), None).await;
            a.delete(&p2).await.expect("deleted");
            a.mark_used(&p3).await.expect("used");
            a.create(draft("New on A")).await.expect("created");
            a.mark_used(&p3).await.expect("used");
        },
        async {
            edit(b, &p0, Some("B renamed 0"), None).await;
            edit(b, &p1, None, Some("B's body for 1")).await;
            b.create(draft("New on B")).await.expect("created");
        },
        async {
            c.delete(&p0).await.expect("deleted offline");
            edit(c, &p2, Some("C renamed a deleted prompt"), None).await;
            c.mark_used(&p3).await.expect("used offline");
            edit(c, &p4, None, Some("C's offline body for 4")).await;
            c.create(draft("New on C")).await.expect("created offline");
        },
    );
    wait_until(c, "C to be offline with its work", |s| {
        matches!(s.sync, SyncStatus::Offline { .. }) && s.pending == 5
    })
    .await;
    proxy.set(Fault::None);
    c.sync_now().await.expect("C back online");

    for device in &devices {
        wait_until(device, "every change acknowledged", |s| s.pending == 0).await;
    }
    // Everyone's pushes are in: one more pull each brings every device to the server's state.
    for device in &devices {
        device.sync_now().await.expect("a last round");
    }
    let libraries = [library(a).await, library(b).await, library(c).await];
    assert_eq!(libraries[0], libraries[1], "A and B differ");
    assert_eq!(libraries[0], libraries[2], "A and C differ");
    let library = &libraries[0];
    let titles: Vec<&str> = library.values().map(|p| p.0.as_str()).collect();
    assert_eq!(
        titles,
        ["A renamed 1", "New on A", "New on B", "New on C", "Seed 3", "Seed 4"],
        "deleted prompts stay deleted; nothing lost; nothing doubled"
    );
    let by_title = |t: &str| library.values().find(|p| p.0 == t).expect("present").clone();
    assert_eq!(by_title("A renamed 1").1, "B's body for 1", "edits of different fields merge");
    assert_eq!(by_title("Seed 3").2, 3, "every use counted once, offline ones too");
    assert_eq!(by_title("Seed 4").1, "C's offline body for 4");
}

async fn edit(device: &RuntimeHandle, id: &PromptId, title: Option<&str>, body: Option<&str>) {
    let update = UpdatePrompt {
        id: id.clone(),
        title: title.map(str::to_owned),
        body: body.map(str::to_owned),
        tags: None,
        updated_at: now_millis(),
    };
    device.mutate(Mutation::UpdatePrompt(update)).await.expect("edited");
}

/// Every prompt of a device as (title, body, use count), ordered by title.
async fn library(device: &RuntimeHandle) -> BTreeMap<String, (String, String, u64)> {
    let hits = device.search(&Origin("test".into()), "", 1000).await.expect("lists");
    let mut library = BTreeMap::new();
    for hit in hits {
        let prompt = device.get(&hit.prompt.id).await.expect("reads").expect("exists");
        let key = format!("{} {}", prompt.title, prompt.id);
        library.insert(key, (prompt.title.clone(), prompt.body.clone(), prompt.use_count));
    }
    library
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_space_keeps_the_new_prompt_here_says_why_and_takes_it_once_there_is_room() {
    let (root, db) = dirs();
    let quotas = promptdeck_server::Quotas {
        prompts_per_space: 1,
        ..promptdeck_server::Limits::default().quotas
    };
    let server = TestServer::with_limits(
        &db,
        promptdeck_server::Limits { quotas, ..promptdeck_server::Limits::default() },
    );
    let (a, b) = two_devices(root.path(), &server.url()).await;
    a.create(draft("The one that fits")).await.expect("created");
    wait_until(&b, "the first prompt on B", |s| s.prompt_count == 1 && s.pending == 0).await;
    b.create(draft("One too many")).await.expect("kept on this device");
    // The status moves on as B tries again; the error is read as it is seen.
    let mut board = b.subscribe();
    let full = |s: &promptdeck_actors::RuntimeStatus| matches!(&s.sync, SyncStatus::Error { message } if message.contains("413"));
    let seen = tokio::time::timeout(Duration::from_secs(30), board.wait_for(full))
        .await
        .expect("B says the space is full")
        .expect("status board alive")
        .sync
        .clone();
    let SyncStatus::Error { message } = seen else { unreachable!("waited for an error") };
    assert!(message.contains("holds 1 prompts") && !message.contains('{'), "{message}");
    assert_eq!(b.status().pending, 1, "nothing lost: the prompt waits on B");
    assert_eq!(titles(&b).await, ["One too many", "The one that fits"]);

    let fits = a.search(&Origin("t".into()), "fits", 1).await.expect("found")[0].prompt.id.clone();
    a.delete(&fits).await.expect("deleted");
    wait_until(&a, "A's delete pushed", |s| s.pending == 0).await;
    // B may be waiting out its back-off; the user's "sync now" tries at once.
    let _ = b.sync_now().await;
    wait_until(&b, "B's prompt taken by the server", |s| s.pending == 0 && s.prompt_count == 1)
        .await;
    wait_until(&a, "A to see it", |s| s.prompt_count == 1).await;
    assert_eq!(titles(&a).await, ["One too many"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_with_a_certificate_of_its_own_is_trusted_through_the_ca_file_named() {
    let (root, _) = dirs();
    let (server, ca) = TestServer::self_signed(root.path());
    let url = server.https_url();

    let untrusting =
        support::runtime_with(&root.path().join("a"), SyncConfig::new(&url, "s")).await;
    untrusting.handle().create(draft("Over TLS")).await.expect("saved here");
    let refused = untrusting.handle().sync_now().await.expect_err("an unknown issuer");
    let said = refused.to_string();
    assert!(said.contains("certificate") && said.contains("--ca-file"), "{said}");

    let sync = SyncConfig { ca_file: Some(ca), ..SyncConfig::new(&url, "s") };
    let trusting = support::runtime_with(&root.path().join("b"), sync).await;
    trusting.handle().create(draft("Trusted")).await.expect("saved here");
    trusting.handle().sync_now().await.expect("synced over TLS");
    assert_eq!(trusting.handle().status().pending, 0);

    let unreadable = promptdeck_actors::CaFile::read(&root.path().join("nothing.pem"));
    assert!(matches!(unreadable, Err(promptdeck_actors::CaFileError::Unreadable { .. })));
    std::fs::write(root.path().join("empty.pem"), "not a certificate").expect("written");
    let empty = promptdeck_actors::CaFile::read(&root.path().join("empty.pem"));
    assert!(matches!(empty, Err(promptdeck_actors::CaFileError::NotCertificates { .. })));
}

/// The first hit for `query` on `device`.
async fn first_for(device: &RuntimeHandle, query: &str) -> String {
    let hits = device.search(&Origin("test".into()), query, 10).await.expect("searched");
    hits.first().map(|hit| hit.prompt.title.clone()).unwrap_or_default()
}

/// promptdeck-server runs `learnPick`, so a prompt picked for a search on one device leads
/// that search, and those it starts, on the other; turning learning off on one forgets it
/// on both. The other device learned nothing itself: what leads there came by sync.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_picked_on_one_device_leads_the_same_search_on_another_until_forgotten() {
    let (root, db) = dirs();
    let server = TestServer::start(&db, None);
    let (a, b) = two_devices(root.path(), &server.url()).await;
    for device in [&a, &b] {
        wait_until(device, "learning to sync", |s| s.learning_syncs).await;
    }
    let notes = a.create(draft("release notes")).await.expect("created").prompt_id;
    a.mark_used(&notes).await.expect("used");
    let plan = a.create(draft("release plan")).await.expect("created").prompt_id;
    a.sync_now().await.expect("synced");
    b.sync_now().await.expect("synced");
    assert_eq!(first_for(&b, "rel").await, "release notes", "used, so first");

    a.learn("Release", &plan).await.expect("learned");
    a.sync_now().await.expect("synced");
    b.sync_now().await.expect("synced");
    assert_eq!(first_for(&b, "rel").await, "release plan", "picked on A, first on B");
    assert_eq!(first_for(&b, "release").await, "release plan");

    a.set_learning(false).await.expect("turned off");
    assert_eq!(first_for(&a, "rel").await, "release notes", "forgotten on A at once");
    a.sync_now().await.expect("synced");
    b.sync_now().await.expect("synced");
    assert_eq!(first_for(&b, "rel").await, "release notes", "and on B once synced");
    wait_until(&a, "A's forgetting acknowledged", |s| s.pending == 0).await;
}
