//! Workspaces: several libraries (spaces) in one profile, each with its own store file,
//! cache and SyncActor; searches in the active one or in all; switching without a fetch.

mod support;

use std::path::Path;

use promptdeck_actors::{
    Origin, RequestError, Runtime, RuntimeConfig, RuntimeHandle, Scope, SyncConfig, SyncStatus,
    WorkspaceConfig,
};
use support::{TestServer, draft, titles, wait_until};

fn config(dir: &Path, more: &[&str]) -> RuntimeConfig {
    let mut config = RuntimeConfig::new(dir.join("library.redb"));
    config.more_workspaces = more
        .iter()
        .map(|space| WorkspaceConfig {
            space: space.to_string(),
            library_path: dir.join(format!("{space}.redb")),
        })
        .collect();
    config
}

/// (space, title) of every hit, best first.
async fn found(handle: &RuntimeHandle, query: &str, scope: Scope) -> Vec<(String, String)> {
    let hits = handle.search_in(&Origin("test".into()), query, 50, scope).await.expect("searched");
    hits.into_iter().map(|h| (h.prompt.space, h.prompt.title)).collect()
}

fn pair(space: &str, title: &str) -> (String, String) {
    (space.to_owned(), title.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_workspace_keeps_its_own_library_and_the_active_one_is_searched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = Runtime::start(config(dir.path(), &["team"])).await.expect("starts");
    let handle = runtime.handle();
    let status = handle.status();
    assert_eq!(status.active_space, "personal", "the first workspace is active by default");
    let spaces: Vec<&str> = status.workspaces.iter().map(|w| w.space.as_str()).collect();
    assert_eq!(spaces, ["personal", "team"]);

    handle.create(draft("Review my diary")).await.expect("saved in personal");
    handle.switch_to("team").expect("switched");
    handle.create(draft("Review the release notes")).await.expect("saved in team");
    handle.in_space("personal").create(draft("Plan a trip")).await.expect("saved by name");

    assert_eq!(
        found(&handle, "review", Scope::Active).await,
        [pair("team", "Review the release notes")]
    );
    let mut everywhere = found(&handle, "review", Scope::All).await;
    everywhere.sort();
    assert_eq!(
        everywhere,
        [pair("personal", "Review my diary"), pair("team", "Review the release notes")],
        "a search of all workspaces says where each hit lives"
    );
    assert_eq!(titles(&handle.in_space("personal")).await, ["Plan a trip", "Review my diary"]);

    let status = handle.status();
    assert_eq!((status.active_space.as_str(), status.prompt_count), ("team", 1));
    let counts: Vec<usize> = status.workspaces.iter().map(|w| w.library.prompt_count).collect();
    assert_eq!(counts, [2, 1]);

    // A prompt found in another workspace is changed there, not in the active one.
    let diary =
        handle.in_space("personal").search(&Origin("t".into()), "diary", 1).await.expect("found");
    let diary = &diary[0].prompt;
    handle.in_space(&diary.space).mark_used(&diary.id).await.expect("marked");
    let used = handle.in_space("personal").get(&diary.id).await.expect("read").expect("there");
    assert_eq!(used.use_count, 1);
    assert_eq!(handle.get(&diary.id).await.expect("read"), None, "not in the active workspace");

    let unknown = handle.switch_to("nowhere");
    assert!(
        matches!(unknown, Err(RequestError::NoSuchWorkspace(ref m)) if m == "nowhere"),
        "{unknown:?}"
    );
    let unknown = handle.in_space("nowhere").create(draft("lost?")).await;
    assert!(matches!(unknown, Err(RequestError::NoSuchWorkspace(_))), "{unknown:?}");
    assert_eq!(handle.status().active_space, "team", "a failed switch changes nothing");
    runtime.shutdown().await;

    // Each library is its own file and comes back after a restart, the chosen one active.
    assert!(dir.path().join("team.redb").exists());
    let mut again = config(dir.path(), &["team"]);
    again.active_space = Some("team".into());
    let runtime = Runtime::start(again).await.expect("starts again");
    let handle = runtime.handle();
    assert_eq!(titles(&handle).await, ["Review the release notes"]);
    assert_eq!(titles(&handle.in_space("personal")).await, ["Plan a trip", "Review my diary"]);
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_workspace_syncs_its_own_space_and_switching_needs_no_server() {
    let dirs = [(); 4].map(|_| tempfile::tempdir().expect("tempdir"));
    let server = TestServer::start(&dirs[0].path().join("server.db"), None);
    let mut setup = config(dirs[1].path(), &["team"]);
    setup.sync = Some(SyncConfig::new(&server.url(), "personal"));
    let runtime = Runtime::start(setup).await.expect("starts");
    let handle = runtime.handle();
    handle.create(draft("Mine only")).await.expect("saved");
    handle.in_space("team").create(draft("For the team")).await.expect("saved");
    handle.sync_now().await.expect("every workspace syncs");
    wait_until(&handle, "both workspaces synced", |s| {
        s.workspaces.iter().all(|w| w.library.pending == 0 && w.library.sync == SyncStatus::Idle)
    })
    .await;
    let health = handle.health().await;
    let syncs: Vec<_> =
        health.actors.iter().filter(|a| a.name == "SyncActor").map(|a| a.space.clone()).collect();
    assert_eq!(syncs, [Some("personal".into()), Some("team".into())]);

    // Another device that syncs only the team space sees only the team's prompt.
    let mut teammate = RuntimeConfig::new(dirs[2].path().join("library.redb"));
    teammate.sync = Some(SyncConfig::new(&server.url(), "team"));
    let teammate = Runtime::start(teammate).await.expect("starts");
    teammate.handle().sync_now().await.expect("pulls");
    assert_eq!(titles(&teammate.handle()).await, ["For the team"]);
    teammate.handle().create(draft("From a teammate")).await.expect("saved");
    teammate.handle().sync_now().await.expect("pushes");
    teammate.shutdown().await;
    handle.in_space("team").sync_now().await.expect("pulls the teammate's prompt");

    // With the server gone, switching still shows the other library at once.
    server.stop();
    handle.switch_to("team").expect("switched");
    assert_eq!(titles(&handle).await, ["For the team", "From a teammate"]);
    assert_eq!(handle.status().prompt_count, 2);

    // A workspace added while running opens, loads and syncs; one removed closes.
    let more = vec![
        WorkspaceConfig {
            space: "personal".into(),
            library_path: dirs[1].path().join("library.redb"),
        },
        WorkspaceConfig { space: "oss".into(), library_path: dirs[3].path().join("oss.redb") },
    ];
    handle.reconfigure(more, None, None).await.expect("reconfigured");
    let status = handle.status();
    let spaces: Vec<&str> = status.workspaces.iter().map(|w| w.space.as_str()).collect();
    assert_eq!(spaces, ["personal", "oss"]);
    assert_eq!(status.active_space, "personal", "the active workspace left; the first took over");
    handle.switch_to("oss").expect("the new one is there");
    handle.create(draft("Open source")).await.expect("saved");
    assert_eq!(titles(&handle).await, ["Open source"]);
    assert_eq!(titles(&handle.in_space("personal")).await, ["Mine only"]);
    let health = handle.health().await;
    assert!(health.actors.iter().all(|a| a.restarts == 0), "{:?}", health.actors);
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_workspaces_need_urls_that_name_the_space() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut setup = config(dir.path(), &["team"]);
    let endpoints = promptdeck_actors::Endpoints {
        push: "http://127.0.0.1:9/push".into(),
        pull: "http://127.0.0.1:9/pull".into(),
        poke: None,
    };
    setup.sync = Some(SyncConfig::with_endpoints(endpoints, "personal"));
    let refused = Runtime::start(setup).await.err().expect("refused").to_string();
    assert!(refused.contains("{space}"), "{refused}");

    let mut twice = config(dir.path(), &["personal"]);
    twice.more_workspaces[0].library_path = dir.path().join("other.redb");
    let refused = Runtime::start(twice).await.err().expect("refused").to_string();
    assert!(refused.contains("listed twice"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_space_another_user_shared_is_a_workspace_addressed_owner_slash_name() {
    let dirs = [(); 3].map(|_| tempfile::tempdir().expect("tempdir"));
    let database = dirs[0].path().join("server.db");
    let auth = promptdeck_server::Auth::from_pairs(&["a-token=alice".into(), "b-token=bob".into()])
        .expect("auth");
    let server = TestServer::with_auth(&database, auth);
    let device = |dir: &Path, token: &str, shared: &str| {
        let mut setup = RuntimeConfig::new(dir.join("library.redb"));
        setup.more_workspaces = vec![WorkspaceConfig {
            space: shared.to_owned(),
            library_path: dir.join("shared.redb"),
        }];
        setup.sync = Some(SyncConfig {
            authorization: Some(format!("Bearer {token}")),
            ..SyncConfig::new(&server.url(), "personal")
        });
        Runtime::start(setup)
    };
    let alice = device(dirs[1].path(), "a-token", "team").await.expect("starts");
    let bob = device(dirs[2].path(), "b-token", "alice/team").await.expect("starts");
    let (alice, bob) = (alice.handle(), bob.handle());
    alice.create(draft("Alice's own")).await.expect("saved");
    alice.in_space("team").create(draft("For the team")).await.expect("saved");
    alice.sync_now().await.expect("both of alice's spaces sync");
    bob.create(draft("Bob's own")).await.expect("saved");
    bob.in_space("personal").sync_now().await.expect("bob's personal space is his");
    let refused = bob.in_space("alice/team").sync_now().await;
    assert!(refused.is_err(), "not shared yet: {refused:?}");

    let space = promptdeck_server::SpaceKey::parse("alice/team").expect("an address");
    let url = format!("sqlite://{}", database.display());
    promptdeck_server::grant(&url, &space, "bob").await.expect("granted");
    bob.in_space("alice/team").sync_now().await.expect("shared now");
    assert_eq!(titles(&bob.in_space("alice/team")).await, ["For the team"]);
    bob.in_space("alice/team").create(draft("Bob for the team")).await.expect("saved");
    bob.in_space("alice/team").sync_now().await.expect("pushed");
    alice.in_space("team").sync_now().await.expect("pulled");
    assert_eq!(titles(&alice.in_space("team")).await, ["Bob for the team", "For the team"]);
    assert_eq!(titles(&alice).await, ["Alice's own"], "one user's personal is not another's");
    assert_eq!(titles(&bob).await, ["Bob's own"]);
}
