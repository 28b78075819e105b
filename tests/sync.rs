//! Real `promptdeck` instances syncing through a real server on loopback, and killed at
//! the moments that matter.

mod support;

use std::time::Duration;

use support::node::JsBackend;
use support::proxy::{Fault, FaultProxy};
use support::server::{processed_on_server, start_server};
use support::{Instance, WAIT, cli, eventually, status, stderr, titles};

fn pending(dir: &std::path::Path) -> u64 {
    status(dir).expect("status")["status"]["pending"].as_u64().expect("a pending count")
}

fn add(instance: &Instance, title: &str) {
    let out = instance.cli(&["add", "--title", title, "--body", "typed before the crash"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

fn sorted_titles(instance: &Instance) -> Vec<String> {
    let mut titles = titles(instance);
    titles.sort();
    titles
}

#[test]
fn a_prompt_added_on_one_instance_is_listed_by_the_other_after_sync() {
    let root = tempfile::tempdir().expect("tempdir");
    let url = format!("http://{}", start_server(root.path()));
    let (a_dir, b_dir) = (root.path().join("a"), root.path().join("b"));
    let a = Instance::start(&a_dir, &["--server", &url]);
    let b = Instance::start(&b_dir, &["--server", &url]);

    let added = a.cli(&["add", "--title", "Shared prompt", "--body", "from A", "--tag", "sync"]);
    assert!(added.status.success(), "{}", stderr(&added));
    let synced = a.cli(&["sync"]);
    assert!(synced.status.success(), "{}", stderr(&synced));
    let synced = b.cli(&["sync"]);
    assert!(synced.status.success(), "{}", stderr(&synced));
    assert_eq!(titles(&b), ["Shared prompt"]);

    let health = status(&a_dir).expect("status");
    assert_eq!(health["status"]["pending"], 0, "acknowledged by the server");
    assert_eq!(health["status"]["sync"]["state"], "idle");
    let actors: Vec<&str> = health["actors"]
        .as_array()
        .expect("actors")
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert!(actors.contains(&"SyncActor"), "{actors:?}");
    eventually("B's live updates", Duration::from_secs(30), || {
        (status(&b_dir)?["status"]["liveUpdates"] == true).then_some(())
    });
}

#[test]
fn sync_without_a_server_says_how_to_set_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let _instance = Instance::start(dir.path(), &[]);
    let out = cli(dir.path(), &["sync"], None);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--server"), "{}", stderr(&out));
}

#[test]
fn killed_between_saving_and_pushing_then_restarted_offline_nothing_is_lost_or_doubled() {
    let root = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let server = start_server(root.path());
    let proxy = rt.block_on(FaultProxy::start(server));
    proxy.set(Fault::HoldPushes);
    let dir = root.path().join("a");
    let a = Instance::start(&dir, &["--server", &proxy.url()]);
    for title in ["One", "Two", "Three"] {
        add(&a, title);
    }
    rt.block_on(proxy.wait_for(|t| t.held >= 1));
    assert_eq!(pending(&dir), 3, "saved locally, not yet acknowledged");
    a.kill_9();
    assert_eq!(processed_on_server(&rt, server), 0, "no push got through");

    // Back up with the network down: the library and its waiting changes are all there.
    proxy.set(Fault::Refuse);
    let a = Instance::start(&dir, &["--server", &proxy.url()]);
    assert_eq!(sorted_titles(&a), ["One", "Three", "Two"]);
    eventually("the restarted instance to report it is offline", WAIT, || {
        let health = status(&dir)?;
        (health["status"]["sync"]["state"] == "offline" && health["status"]["pending"] == 3)
            .then_some(())
    });

    proxy.set(Fault::None);
    let synced = a.cli(&["sync"]);
    assert!(synced.status.success(), "{}", stderr(&synced));
    assert_eq!(pending(&dir), 0);
    assert_eq!(processed_on_server(&rt, server), 3, "each change processed exactly once");
    let b = Instance::start(&root.path().join("b"), &["--server", &format!("http://{server}")]);
    assert!(b.cli(&["sync"]).status.success());
    assert_eq!(sorted_titles(&b), ["One", "Three", "Two"]);
}

#[test]
fn killed_between_pushing_and_pulling_the_repeated_push_is_applied_once() {
    let root = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let server = start_server(root.path());
    let proxy = rt.block_on(FaultProxy::start(server));
    proxy.set(Fault::HoldPullsAfterPush);
    let dir = root.path().join("a");
    let a = Instance::start(&dir, &["--server", &proxy.url()]);
    add(&a, "One");
    // The server took the push; its acknowledgement would come with the pull, held here.
    rt.block_on(proxy.wait_for(|t| t.pushes_answered >= 1 && t.held >= 1));
    add(&a, "Two");
    add(&a, "Three");
    assert_eq!(pending(&dir), 3, "One is on the server but not yet acknowledged");
    assert_eq!(processed_on_server(&rt, server), 1);
    a.kill_9();

    proxy.set(Fault::None);
    let a = Instance::start(&dir, &["--server", &proxy.url()]);
    let synced = a.cli(&["sync"]);
    assert!(synced.status.success(), "{}", stderr(&synced));
    assert_eq!(pending(&dir), 0);
    assert_eq!(sorted_titles(&a), ["One", "Three", "Two"]);
    assert_eq!(
        processed_on_server(&rt, server),
        3,
        "One was pushed twice and processed once; Two and Three once each"
    );
}

#[test]
fn sync_settings_that_cannot_work_are_refused_before_anything_starts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let refused = |args: &[&str], why: &str| {
        let out = cli(dir.path(), args, None);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(stderr(&out).contains(why), "{args:?}: {}", stderr(&out));
    };
    refused(&["--headless", "--push-url", "http://h/push"], "--pull-url");
    refused(
        &[
            "--headless",
            "--server",
            "http://h",
            "--push-url",
            "http://h/a",
            "--pull-url",
            "http://h/b",
        ],
        "cannot be used with",
    );
    refused(
        &["--headless", "--push-url", "ftp://h/push", "--pull-url", "http://h/pull"],
        "must start with http",
    );
    refused(&["--headless", "--server", "not a url"], "not a URL");
    // Plain HTTP to another machine would carry the library and its tokens unencrypted.
    refused(&["--headless", "--server", "http://sync.invalid"], "--allow-unencrypted-http");
    let missing = dir.path().join("missing-ca.pem");
    let missing = missing.to_str().expect("UTF-8");
    let args = ["--headless", "--server", "https://h.invalid", "--ca-file", missing];
    refused(&args, "cannot read the CA file");
    let provider = [
        "--headless",
        "--push-url",
        "https://h.invalid/push",
        "--pull-url",
        "https://h.invalid/pull",
        "--oidc-issuer",
        "http://id.invalid",
        "--oidc-client-id",
        "promptdeck",
    ];
    refused(&provider, "the sign-in issuer: http://id.invalid/ is plain HTTP to another machine");
    assert!(!dir.path().join("library.redb").exists(), "nothing was created");
}

#[test]
fn instances_sync_through_another_replicache_backend_set_up_by_flags() {
    let root = tempfile::tempdir().expect("tempdir");
    let backend = JsBackend::start(&[]);
    let settings = [
        "--push-url".to_owned(),
        backend.endpoint("push"),
        "--pull-url".into(),
        backend.endpoint("pull"),
        "--poke-url".into(),
        backend.endpoint("poke"),
        "--space".into(),
        "team".into(),
        "--server-token".into(),
        JsBackend::TOKEN.into(),
        "--auth-scheme".into(),
        "raw".into(),
    ];
    let settings: Vec<&str> = settings.iter().map(String::as_str).collect();
    let (a_dir, b_dir) = (root.path().join("a"), root.path().join("b"));
    let a = Instance::start(&a_dir, &settings);
    let b = Instance::start(&b_dir, &settings);
    add(&a, "Through the other backend");
    assert!(a.cli(&["sync"]).status.success());
    assert_eq!(pending(&a_dir), 0, "the backend acknowledged the push");
    // B hears of it through the backend's poke stream, with no sync asked for.
    eventually("B to receive A's prompt", WAIT, || {
        let health = status(&b_dir)?;
        (health["status"]["promptCount"] == 1 && health["status"]["liveUpdates"] == true)
            .then_some(())
    });
    assert_eq!(titles(&b), ["Through the other backend"]);
}

#[test]
fn plain_http_to_another_machine_is_used_once_the_user_accepts_the_risk() {
    let root = tempfile::tempdir().expect("tempdir");
    let by_file = root.path().join("file");
    let accepting = "[sync]\nserver = \"http://sync.invalid\"\nallow_unencrypted_http = true\n";
    write_settings(&by_file, accepting, 0o600);
    let flagged = root.path().join("flag");
    let flag = ["--server", "http://sync.invalid", "--allow-unencrypted-http"];
    for instance in [Instance::start(&by_file, &[]), Instance::start(&flagged, &flag)] {
        add(&instance, "Kept while the server cannot be reached");
        assert_eq!(titles(&instance), ["Kept while the server cannot be reached"]);
    }
}

/// Writes `settings.toml` into the profile at `dir`, readable by its user only.
fn write_settings(dir: &std::path::Path, toml: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).expect("profile dir");
    let path = dir.join("settings.toml");
    std::fs::write(&path, toml).expect("writes");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn settings_toml_sets_up_sync_with_another_backend_and_the_command_line_overrides_it() {
    let root = tempfile::tempdir().expect("tempdir");
    let backend = JsBackend::start(&[]);
    let dir = root.path().join("a");
    let settings = format!(
        "[sync]\npush_url = \"{}\"\npull_url = \"{}\"\nspace = \"team\"\ntoken = \"{}\"\n\
         auth_scheme = \"raw\"\npoll_interval = 5\n\n[paste]\nmethod = \"copy-only\"\n",
        backend.endpoint("push"),
        backend.endpoint("pull"),
        JsBackend::TOKEN
    );
    write_settings(&dir, &settings, 0o600);
    let a = Instance::start(&dir, &[]);
    add(&a, "Set up by a file");
    let synced = a.cli(&["sync"]);
    assert!(synced.status.success(), "{}", stderr(&synced));
    assert_eq!(pending(&dir), 0, "the backend from settings.toml took the push");
    a.kill_9();

    // A token given on the command line replaces the file's: this one is wrong.
    let a = Instance::start(&dir, &["--server-token", "not-the-token"]);
    add(&a, "Pushed with the wrong token");
    let refused = a.cli(&["sync"]);
    assert!(!refused.status.success(), "the backend refused the command line's token");
    assert_eq!(pending(&dir), 1);
}

#[test]
fn a_settings_file_that_cannot_work_is_refused_with_its_reason() {
    let root = tempfile::tempdir().expect("tempdir");
    let cases = [
        ("[sync]\npushurl = \"http://h/push\"\n", 0o600, "unknown field `pushurl`"),
        ("[sync]\nserver = \"http://h\"\ntoken = \"secret\"\n", 0o644, "chmod 600"),
        (
            "[sync]\nserver = \"http://h\"\npush_url = \"http://h/a\"\npull_url = \"http://h/b\"\n",
            0o600,
            "either server or push_url",
        ),
        ("[paste]\nmethod = \"sometimes\"\n", 0o600, "unknown variant `sometimes`"),
        ("[sync]\nserver = \"http://sync.invalid\"\n", 0o600, "plain HTTP to another machine"),
        ("[sync\n", 0o600, "settings.toml"),
    ];
    for (n, (toml, mode, reason)) in cases.into_iter().enumerate() {
        let dir = root.path().join(format!("p{n}"));
        write_settings(&dir, toml, mode);
        let out = cli(&dir, &["--headless"], None);
        assert_eq!(out.status.code(), Some(2), "{toml}: {}", stderr(&out));
        assert!(stderr(&out).contains(reason), "{toml}: wanted {reason:?} in {}", stderr(&out));
        assert!(!dir.join("library.redb").exists(), "{toml}: nothing started");
    }
}
