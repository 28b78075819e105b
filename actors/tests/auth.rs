//! Signing in for real: a runtime syncing with a promptdeck-server that checks access
//! tokens from a real OpenID provider on loopback (tests/oauth/provider.mjs). The browser
//! step is played by an HTTP client that follows the provider's redirect to the app's
//! loopback listener, as a browser would.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use promptdeck_actors::{
    Account, AuthConfig, AuthError, BrowserOpener, RequestError, Runtime, RuntimeConfig,
    RuntimeStatus, SignInSource, SyncConfig, SyncStatus, TokenVault,
};
use promptdeck_server::{Auth, OidcConfig};
use support::oidc::{AUDIENCE, CLIENT_ID, Provider};
use support::{TestServer, draft, titles, wait_until};

/// A browser that follows every redirect, as a user who already consented would see.
fn browser() -> (BrowserOpener, Arc<AtomicUsize>) {
    let opened = Arc::new(AtomicUsize::new(0));
    let count = opened.clone();
    let open: BrowserOpener = Arc::new(move |url: &str| {
        count.fetch_add(1, Ordering::SeqCst);
        let url = url.to_owned();
        tokio::spawn(async move {
            let _ = reqwest::get(url).await;
        });
        Ok(())
    });
    (open, opened)
}

/// A browser that first reaches the app with the provider's answer under another `state`,
/// as a forged link or a page probing the port would, then with the real answer.
fn forging_browser() -> (BrowserOpener, tokio::sync::oneshot::Receiver<u16>) {
    let (page_tx, page) = tokio::sync::oneshot::channel();
    let page_tx = std::sync::Mutex::new(Some(page_tx));
    let open: BrowserOpener = Arc::new(move |url: &str| {
        let (url, page_tx) = (url.to_owned(), page_tx.lock().expect("lock").take());
        tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client");
            let answer = http.get(url).send().await.expect("the provider answers");
            let location = answer.headers()["location"].to_str().expect("text").to_owned();
            let genuine = reqwest::Url::parse(&location).expect("a URL");
            let mut callback = genuine.clone();
            let pairs: Vec<(String, String)> = callback
                .query_pairs()
                .map(|(k, v)| {
                    let v = if k == "state" { "forged".into() } else { v.into_owned() };
                    (k.into_owned(), v)
                })
                .collect();
            callback.query_pairs_mut().clear().extend_pairs(pairs);
            let status = http.get(callback).send().await.expect("the app answers").status();
            if let Some(tx) = page_tx {
                let _ = tx.send(status.as_u16());
            }
            let _ = http.get(genuine).send().await;
        });
        Ok(())
    });
    (open, page)
}

fn server(dir: &Path, provider: &Provider) -> TestServer {
    let oidc = OidcConfig {
        client_id: Some(CLIENT_ID.into()),
        // Expired means expired: the client must refresh, not lean on the server's leeway.
        clock_skew: Duration::ZERO,
        ..OidcConfig::new(&provider.issuer, AUDIENCE)
    };
    TestServer::with_auth(&dir.join("server.db"), Auth::oidc(oidc).expect("oidc"))
}

async fn signing_in(dir: &Path, server: &TestServer, open: BrowserOpener) -> Runtime {
    let mut config = RuntimeConfig::new(dir.join("library.redb"));
    config.sync = Some(SyncConfig {
        request_timeout: Duration::from_secs(5),
        ..SyncConfig::new(&server.url(), "shared")
    });
    let source = SignInSource::Server(server.url());
    config.auth = Some(AuthConfig {
        sign_in_timeout: Duration::from_secs(20),
        ..AuthConfig::new(source, TokenVault::file_in(dir), open)
    });
    Runtime::start(config).await.expect("runtime starts")
}

/// A runtime that signs in where the server at `url` says, trusting `ca` if given.
async fn signing_in_at(
    dir: &Path,
    url: &str,
    ca_file: Option<promptdeck_actors::CaFile>,
) -> Runtime {
    let mut config = RuntimeConfig::new(dir.join("library.redb"));
    config.sync = Some(SyncConfig { ca_file: ca_file.clone(), ..SyncConfig::new(url, "shared") });
    let nowhere: BrowserOpener = Arc::new(|_| Err("no browser here".into()));
    let source = SignInSource::Server(url.to_owned());
    config.auth =
        Some(AuthConfig { ca_file, ..AuthConfig::new(source, TokenVault::file_in(dir), nowhere) });
    Runtime::start(config).await.expect("runtime starts")
}

fn synced(status: &RuntimeStatus) -> bool {
    status.pending == 0 && status.sync == SyncStatus::Idle && status.last_synced_at.is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_through_the_browser_syncs_and_survives_a_restart_without_asking_again() {
    let provider = Provider::start();
    let dirs = [(); 2].map(|_| tempfile::tempdir().expect("tempdir"));
    let server = server(dirs[0].path(), &provider);
    let profile = dirs[1].path();
    let (open, opened) = browser();
    let runtime = signing_in(profile, &server, open).await;
    let handle = runtime.handle();

    wait_until(&handle, "a sign-in is asked for", |s| s.sync == SyncStatus::NeedsSignIn).await;
    assert_eq!(handle.status().account, Account::SignedOut);
    handle.create(draft("Written before signing in")).await.expect("saved locally");

    let url = handle.sign_in().await.expect("the sign-in starts");
    assert!(url.contains("code_challenge_method=S256") && url.contains("state="), "{url}");
    handle.wait_for_sign_in().await.expect("signed in");
    assert_eq!(handle.status().account, Account::SignedIn);
    wait_until(&handle, "the early edit is pushed", synced).await;

    let token_file = profile.join("sign-in.json");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&token_file).expect("the refresh token is kept").permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    runtime.shutdown().await;

    let (open, opened_after_restart) = browser();
    let runtime = signing_in(profile, &server, open).await;
    let handle = runtime.handle();
    wait_until(&handle, "the saved sign-in to be read", |s| s.account == Account::SignedIn).await;
    handle.create(draft("Written after a restart")).await.expect("saved");
    wait_until(&handle, "the new edit is pushed", synced).await;
    handle.sync_now().await.expect("the server takes the token");

    // Another device of the same user sees both.
    let other = tempfile::tempdir().expect("tempdir");
    let (open, _) = browser();
    let second = signing_in(other.path(), &server, open).await;
    second.handle().sign_in().await.expect("starts");
    second.handle().wait_for_sign_in().await.expect("signed in");
    wait_until(&second.handle(), "the library arrives", |s| s.prompt_count == 2).await;
    assert_eq!(
        titles(&second.handle()).await,
        ["Written after a restart", "Written before signing in"]
    );

    assert_eq!(opened.load(Ordering::SeqCst), 1);
    assert_eq!(opened_after_restart.load(Ordering::SeqCst), 0, "no sign-in after a restart");
    let stats = provider.stats().await;
    assert_eq!(stats.sign_ins, 2, "{stats:?}");
    assert!(stats.refreshes >= 1, "the restart refreshed: {stats:?}");
    assert_eq!(stats.refused, 0, "{stats:?}");
    second.shutdown().await;
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_with_another_state_is_ignored_and_the_real_one_still_signs_in() {
    let provider = Provider::start();
    let dirs = [(); 2].map(|_| tempfile::tempdir().expect("tempdir"));
    let server = server(dirs[0].path(), &provider);
    let (open, page) = forging_browser();
    let runtime = signing_in(dirs[1].path(), &server, open).await;
    let handle = runtime.handle();

    handle.sign_in().await.expect("the sign-in starts");
    handle.wait_for_sign_in().await.expect("the real answer signs in");
    assert_eq!(page.await.expect("the browser saw a page"), 400, "the forged one was refused");
    assert_eq!(handle.status().account, Account::SignedIn);
    assert_eq!(provider.stats().await.sign_ins, 1, "one code exchanged: the real one");
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_refresh_token_needs_a_sign_in_and_loses_no_edit() {
    let provider = Provider::start();
    let dirs = [(); 2].map(|_| tempfile::tempdir().expect("tempdir"));
    let server = server(dirs[0].path(), &provider);
    provider.lifetime(2, 2).await;
    let (open, opened) = browser();
    let runtime = signing_in(dirs[1].path(), &server, open).await;
    let handle = runtime.handle();
    handle.sign_in().await.expect("starts");
    handle.wait_for_sign_in().await.expect("signed in");
    wait_until(&handle, "synced", synced).await;

    provider.revoke_all().await;
    wait_until(&handle, "the refused refresh is noticed", |s| {
        s.sync == SyncStatus::NeedsSignIn && s.account == Account::SignedOut
    })
    .await;
    for title in ["One", "Two", "Three"] {
        handle.create(draft(title)).await.expect("saved locally while signed out");
    }
    wait_until(&handle, "the edits wait", |s| s.pending == 3).await;
    assert!(handle.sync_now().await.is_err(), "no sync without a sign-in");
    assert!(!dirs[1].path().join("sign-in.json").exists(), "the refused token is forgotten");

    handle.sign_in().await.expect("starts again");
    handle.wait_for_sign_in().await.expect("signed in again");
    wait_until(&handle, "the waiting edits are pushed", synced).await;
    assert_eq!(titles(&handle).await, ["One", "Three", "Two"]);
    assert_eq!(opened.load(Ordering::SeqCst), 2);
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_nobody_finishes_can_be_cancelled_and_times_out() {
    let provider = Provider::start();
    let dirs = [(); 2].map(|_| tempfile::tempdir().expect("tempdir"));
    let server = server(dirs[0].path(), &provider);
    let opened = Arc::new(AtomicUsize::new(0));
    let count = opened.clone();
    let nowhere: BrowserOpener = Arc::new(move |_: &str| {
        count.fetch_add(1, Ordering::SeqCst);
        Err("no browser here".into())
    });
    let mut config = RuntimeConfig::new(dirs[1].path().join("library.redb"));
    config.sync = Some(SyncConfig::new(&server.url(), "shared"));
    let source = SignInSource::Server(server.url());
    config.auth = Some(AuthConfig {
        sign_in_timeout: Duration::from_secs(1),
        ..AuthConfig::new(source, TokenVault::file_in(dirs[1].path()), nowhere)
    });
    let runtime = Runtime::start(config).await.expect("starts");
    let handle = runtime.handle();

    let url = handle.sign_in().await.expect("starts without a browser: the URL is given");
    assert_eq!(handle.sign_in().await.expect("joins"), url, "a second ask joins the first");
    assert_eq!(handle.status().account, Account::SigningIn);
    let waiting = tokio::spawn({
        let handle = handle.clone();
        async move { handle.wait_for_sign_in().await }
    });
    handle.cancel_sign_in().await.expect("cancelled");
    let ended = waiting.await.expect("joined").expect_err("not signed in");
    // The waiter asked before or after the cancel: either way it hears it is not signed in.
    let ended = ended.to_string();
    assert!(ended.contains("cancelled") || ended.contains("not signed in"), "{ended}");
    wait_until(&handle, "signed out again", |s| s.account == Account::SignedOut).await;

    handle.sign_in().await.expect("starts again");
    let timed_out = handle.wait_for_sign_in().await.expect_err("nobody signed in");
    assert!(timed_out.to_string().contains("did not finish within 1 seconds"), "{timed_out}");
    assert_eq!(handle.status().account, Account::SignedOut);
    assert_eq!(opened.load(Ordering::SeqCst), 2);
    assert_eq!(provider.stats().await.sign_ins, 0);
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_stops_sync_and_keeps_the_library() {
    let provider = Provider::start();
    let dirs = [(); 2].map(|_| tempfile::tempdir().expect("tempdir"));
    let server = server(dirs[0].path(), &provider);
    let (open, _) = browser();
    let runtime = signing_in(dirs[1].path(), &server, open).await;
    let handle = runtime.handle();
    handle.sign_in().await.expect("starts");
    handle.wait_for_sign_in().await.expect("signed in");
    handle.create(draft("Kept")).await.expect("saved");
    wait_until(&handle, "synced", synced).await;

    handle.sign_out().await.expect("signed out");
    assert_eq!(handle.status().account, Account::SignedOut);
    assert!(!dirs[1].path().join("sign-in.json").exists());
    handle.create(draft("After signing out")).await.expect("saved locally");
    wait_until(&handle, "sync waits for a sign-in", |s| {
        s.sync == SyncStatus::NeedsSignIn && s.pending == 1
    })
    .await;
    assert_eq!(titles(&handle).await, ["After signing out", "Kept"]);
    runtime.shutdown().await;
}

/// Tokens that expire every few seconds, for as long as `PROMPTDECK_AUTH_SOAK_SECS` says
/// (two minutes by default): half the time the provider tells the truth about their lifetime and the
/// client refreshes ahead; half the time it claims they last longer, so the server refuses
/// them and the client refreshes on the 401 and retries. No mutation fails, nobody is asked
/// to sign in again, and the other device ends with every prompt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_expiring_every_few_seconds_never_fail_a_mutation_or_ask_to_sign_in() {
    let seconds: u64 =
        std::env::var("PROMPTDECK_AUTH_SOAK_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(120);
    let provider = Provider::start();
    let dirs = [(); 3].map(|_| tempfile::tempdir().expect("tempdir"));
    let server = server(dirs[0].path(), &provider);
    provider.lifetime(3, 3).await;
    let mut devices = Vec::new();
    for dir in &dirs[1..] {
        let (open, _) = browser();
        let runtime = signing_in(dir.path(), &server, open).await;
        runtime.handle().sign_in().await.expect("starts");
        runtime.handle().wait_for_sign_in().await.expect("signed in");
        devices.push(runtime);
    }
    let (writer, reader) = (devices[0].handle(), devices[1].handle());
    let troubles = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    for mut status in [writer.subscribe(), reader.subscribe()] {
        let troubles = troubles.clone();
        tokio::spawn(async move {
            while status.changed().await.is_ok() {
                let s = status.borrow_and_update().clone();
                let signed_out = s.account != Account::SignedIn;
                // Offline is the network's doing (a slow machine can time a request out);
                // anything the sign-in causes shows as one of these.
                let failing = matches!(s.sync, SyncStatus::NeedsSignIn | SyncStatus::Error { .. });
                if signed_out || failing {
                    troubles.lock().expect("lock").push(format!("{:?} {:?}", s.sync, s.account));
                }
            }
        });
    }

    let started = tokio::time::Instant::now();
    let half = Duration::from_secs(seconds / 2);
    let mut written = 0;
    // The provider's counts when it began to overstate lifetimes.
    let mut lying = None;
    while started.elapsed() < Duration::from_secs(seconds) {
        if lying.is_none() && started.elapsed() > half {
            provider.lifetime(2, 20).await;
            lying = Some(provider.stats().await);
        }
        writer.create(draft(&format!("Soak {written:04}"))).await.expect("saved");
        written += 1;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    writer.sync_now().await.expect("the last round goes through");
    wait_until(&writer, "every edit is acknowledged", |s| s.pending == 0).await;
    wait_until(&reader, "the other device has every prompt", |s| s.prompt_count == written).await;

    let stats = provider.stats().await;
    for device in devices {
        device.shutdown().await;
    }
    assert_eq!(*troubles.lock().expect("lock"), Vec::<String>::new());
    assert_eq!(stats.sign_ins, 2, "nobody signed in again: {stats:?}");
    assert_eq!(stats.refused, 0, "{stats:?}");
    assert_eq!(stats.reuses, 0, "no refresh token was used twice: {stats:?}");
    assert!(stats.refreshes >= seconds / 3, "tokens were refreshed all along: {stats:?}");
    // Told 20 s, a token is refreshed ahead at 16 s; the many more refreshes while it really
    // lived 2 s were each set off by the server's 401.
    let refreshed_on_401 =
        stats.refreshes - lying.expect("the soak reached its second half").refreshes;
    assert!(refreshed_on_401 >= seconds / 8, "{refreshed_on_401} refreshes after 401s: {stats:?}");
}

/// The server ends a poke stream when its token expires. Told the token lasts an hour, the
/// client reopens the stream with that token, is refused, and opens it at once with a fresh
/// one: the other device hears of an edit through the stream, not at the next poll a minute
/// later (before, the stream stayed shut, backing off further with each refusal).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poke_stream_ended_by_its_token_opens_again_with_a_fresh_one() {
    let provider = Provider::start();
    let dirs = [(); 3].map(|_| tempfile::tempdir().expect("tempdir"));
    let server = server(dirs[0].path(), &provider);
    provider.lifetime(2, 3600).await;
    let mut devices = Vec::new();
    for dir in &dirs[1..] {
        let (open, _) = browser();
        let runtime = signing_in(dir.path(), &server, open).await;
        runtime.handle().sign_in().await.expect("starts");
        runtime.handle().wait_for_sign_in().await.expect("signed in");
        devices.push(runtime);
    }
    let (writer, reader) = (devices[0].handle(), devices[1].handle());
    wait_until(&reader, "the poke stream opens", |s| s.live_updates).await;
    wait_until(&reader, "the server ends it as its token expires", |s| !s.live_updates).await;
    wait_until(&reader, "it opens again", |s| s.live_updates).await;
    assert!(provider.stats().await.refreshes >= 1, "with a fresh token");

    writer.create(draft("Heard through the stream")).await.expect("saved");
    wait_until(&reader, "the other device has it", |s| s.prompt_count == 1).await;
    let stats = provider.stats().await;
    for device in devices {
        device.shutdown().await;
    }
    assert_eq!((stats.sign_ins, stats.refused), (2, 0), "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_refused_for_its_certificate_says_so_instead_of_offline() {
    let dirs = [(); 3].map(|_| tempfile::tempdir().expect("tempdir"));
    let (server, ca) = TestServer::self_signed(dirs[0].path());

    let untrusting = signing_in_at(dirs[1].path(), &server.https_url(), None).await;
    let refused = untrusting.handle().sign_in().await.expect_err("an unknown issuer");
    assert!(matches!(refused, RequestError::SignIn(AuthError::Untrusted(_))), "{refused:?}");
    let said = refused.to_string();
    assert!(said.contains("certificate is not trusted") && said.contains("--ca-file"), "{said}");
    untrusting.shutdown().await;

    // Trusted, the same request reaches the server, which needs no sign-in.
    let trusting = signing_in_at(dirs[2].path(), &server.https_url(), Some(ca)).await;
    assert_eq!(trusting.handle().sign_in().await, Err(RequestError::NoSignIn));
    trusting.shutdown().await;
}
