//! `promptdeck login` and `logout` with the real binary, a real server that checks access
//! tokens, and a real OpenID provider on loopback. $BROWSER is a script that plays the
//! browser with curl, as the system browser would, following the provider's redirect back
//! to the app. With every log at trace level, no code, verifier or token appears anywhere.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

#[cfg(all(unix, not(target_os = "macos")))]
use support::bus::{Keyring, SessionBus};
use support::oidc::Provider;
use support::signin::{curl_browser, headless_instance, start_server};
use support::{Instance, WAIT, eventually, status, stderr, stdout};

fn account(data_dir: &Path) -> Option<(String, String)> {
    let status = status(data_dir)?;
    let account = status["status"]["account"].as_str()?.to_owned();
    let sync = status["status"]["sync"]["state"].as_str()?.to_owned();
    Some((account, sync))
}

#[test]
fn login_syncs_logout_forgets_and_no_secret_reaches_a_log() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    let provider = Provider::start();
    let dirs = [(); 3].map(|_| tempfile::tempdir().expect("tempdir"));
    let server = start_server(dirs[0].path(), &provider.issuer);
    let browser = curl_browser(dirs[1].path());
    let profile = dirs[2].path();
    let instance = headless_instance(profile, &server, &browser, "trace");

    let added = instance.cli(&["add", "--title", "Before login", "--body", "kept"]);
    assert!(added.status.success(), "{}", stderr(&added));
    eventually("a sign-in is asked for", WAIT, || {
        let (account, sync) = account(profile)?;
        (account == "signedOut" && sync == "needsSignIn").then_some(())
    });

    let login = instance.cli(&["login"]);
    assert!(login.status.success(), "login failed: {}", stderr(&login));
    let said = stdout(&login);
    assert!(said.contains("code_challenge=") && said.contains("signed in"), "{said}");
    let visited = std::fs::read_to_string(dirs[1].path().join("visited")).expect("browsed");
    assert_eq!(visited.trim(), "200", "the browser ended on the app's thank-you page");
    eventually("the early prompt is pushed", WAIT, || {
        let status = status(profile)?;
        let synced = status["status"]["pending"] == 0
            && status["status"]["sync"]["state"] == "idle"
            && status["status"]["account"] == "signedIn";
        synced.then_some(())
    });
    let token_file = profile.join("sign-in.json");
    let mode = std::fs::metadata(&token_file).expect("kept").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    let logout = instance.cli(&["logout"]);
    assert!(logout.status.success(), "{}", stderr(&logout));
    assert!(!token_file.exists(), "the refresh token is forgotten");
    eventually("sync waits for a sign-in", WAIT, || {
        let (account, sync) = account(profile)?;
        (account == "signedOut" && sync == "needsSignIn").then_some(())
    });
    let list = instance.cli(&["list"]);
    assert!(stdout(&list).contains("Before login"), "the library stays");

    let quit = instance.cli(&["quit"]);
    assert!(quit.status.success());
    let mut instance = instance;
    assert!(instance.child.wait().expect("exits").success());
    let mut logs = String::new();
    for entry in std::fs::read_dir(profile.join("logs")).expect("a log directory") {
        logs += &std::fs::read_to_string(entry.expect("entry").path()).expect("a log");
    }
    assert!(logs.contains("sign-in started in the browser") && logs.contains("signed out"));
    logs += &instance.stderr_so_far().join("\n");
    logs += &format!("{said}{}{}", stderr(&login), stdout(&logout));
    assert!(logs.lines().count() > 50, "trace logging was on");
    let secrets = rt.block_on(provider.secrets());
    assert!(secrets.len() >= 4, "code, verifier, access and refresh tokens: {}", secrets.len());
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "a secret reached the logs");
    }
    assert!(!logs.contains("eyJ"), "no JWT of any kind reached the logs");
}

/// The Secret Service keyring, on a private session bus: Linux desktops'.
#[test]
#[cfg(all(unix, not(target_os = "macos")))]
fn a_sign_out_the_keyring_cannot_finish_says_so_and_is_finished_when_it_answers() {
    let provider = Provider::start();
    let dirs = [(); 4].map(|_| tempfile::tempdir().expect("tempdir"));
    let server = start_server(dirs[0].path(), &provider.issuer);
    let browser = curl_browser(dirs[1].path());
    let bus = SessionBus::without_activation();
    let profile = dirs[3].path();
    let env =
        [("BROWSER", browser.to_str().expect("path")), ("DBUS_SESSION_BUS_ADDRESS", &bus.address)];
    let args = ["--headless", "--server", &server];
    let signed_in_to_keyring = |instance: &Instance| {
        let login = instance.cli(&["login"]);
        assert!(stdout(&login).contains("kept in the desktop keyring"), "{}", stdout(&login));
    };
    let unfinished = |expected: bool| {
        eventually("the sign-out's state", WAIT, || {
            let status = status(profile)?;
            let left = !status["status"]["signOutUnfinished"].is_null();
            (status["status"]["account"] == "signedOut" && left == expected).then_some(())
        })
    };
    let quit = |instance: Instance| {
        assert!(instance.cli(&["quit"]).status.success());
        let mut instance = instance;
        instance.child.wait().expect("exits");
    };

    // The keyring stops between the sign-in and the sign-out; the next start, with the
    // keyring back, removes the sign-in instead of signing in with it.
    let keyring = Keyring::start(&bus, dirs[2].path());
    let instance = Instance::spawn(profile, &args, &env);
    signed_in_to_keyring(&instance);
    drop(keyring);
    let logout = instance.cli(&["logout"]);
    assert!(logout.status.success(), "{}", stderr(&logout));
    let said = stdout(&logout);
    assert!(said.contains("did not remove the saved sign-in"), "{said}");
    unfinished(true);
    quit(instance);
    let keyring = Keyring::start(&bus, dirs[2].path());
    let instance = Instance::spawn(profile, &args, &env);
    unfinished(false);

    // While running: the sign-out is finished once the keyring answers again.
    signed_in_to_keyring(&instance);
    drop(keyring);
    assert!(instance.cli(&["logout"]).status.success());
    unfinished(true);
    let _keyring = Keyring::start(&bus, dirs[2].path());
    unfinished(false);
    quit(instance);
    let instance = Instance::spawn(profile, &args, &env);
    unfinished(false);
    let visits = std::fs::read_to_string(dirs[1].path().join("visited")).expect("browsed");
    assert_eq!(visits.lines().count(), 2, "two sign-ins, each asked for");
    drop(instance);
}

/// The Secret Service keyring, on a private session bus: Linux desktops'.
#[test]
#[cfg(all(unix, not(target_os = "macos")))]
fn with_a_desktop_keyring_the_sign_in_lives_there_and_outlasts_a_restart() {
    let provider = Provider::start();
    let dirs = [(); 4].map(|_| tempfile::tempdir().expect("tempdir"));
    let server = start_server(dirs[0].path(), &provider.issuer);
    let browser = curl_browser(dirs[1].path());
    let bus = SessionBus::start();
    let _keyring = Keyring::start(&bus, dirs[2].path());
    let profile = dirs[3].path();
    let env =
        [("BROWSER", browser.to_str().expect("path")), ("DBUS_SESSION_BUS_ADDRESS", &bus.address)];
    let args = ["--headless", "--server", &server];

    let instance = Instance::spawn(profile, &args, &env);
    let login = instance.cli(&["login"]);
    assert!(login.status.success(), "{}", stderr(&login));
    assert!(stdout(&login).contains("kept in the desktop keyring"), "{}", stdout(&login));
    assert!(!profile.join("sign-in.json").exists(), "no copy in a file");
    assert!(instance.cli(&["quit"]).status.success());
    let mut instance = instance;
    instance.child.wait().expect("exits");

    let instance = Instance::spawn(profile, &args, &env);
    assert!(instance.cli(&["add", "--title", "After a restart", "--body", "x"]).status.success());
    eventually("signed in from the keyring, and synced", WAIT, || {
        let status = status(profile)?;
        let synced = status["status"]["account"] == "signedIn"
            && status["status"]["pending"] == 0
            && status["status"]["sync"]["state"] == "idle";
        synced.then_some(())
    });
    let visits = std::fs::read_to_string(dirs[1].path().join("visited")).expect("browsed");
    assert_eq!(visits.lines().count(), 1, "the restart asked nobody to sign in");

    assert!(instance.cli(&["logout"]).status.success());
    assert!(instance.cli(&["quit"]).status.success());
    let mut instance = instance;
    instance.child.wait().expect("exits");
    let instance = Instance::spawn(profile, &args, &env);
    eventually("still signed out after a restart", WAIT, || {
        let (account, _) = account(profile)?;
        (account == "signedOut").then_some(())
    });
    drop(instance);
}

#[test]
fn logout_can_also_remove_this_devices_library() {
    let provider = Provider::start();
    let dirs = [(); 3].map(|_| tempfile::tempdir().expect("tempdir"));
    let server = start_server(dirs[0].path(), &provider.issuer);
    let browser = curl_browser(dirs[1].path());
    let profile = dirs[2].path();
    let env = [
        ("BROWSER", browser.to_str().expect("path")),
        ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent"),
    ];
    let args = ["--headless", "--server", &server];
    let instance = Instance::spawn(profile, &args, &env);
    assert!(instance.cli(&["login"]).status.success());
    assert!(instance.cli(&["add", "--title", "Private", "--body", "x"]).status.success());

    // A damaged copy an earlier start set aside holds the library too.
    let damaged = profile.join("library.redb.damaged-20261201T000000Z");
    std::fs::write(&damaged, b"an old copy").expect("written");
    assert!(profile.join("logs").exists());

    let logout = instance.cli(&["logout", "--remove-local-data"]);
    assert!(logout.status.success(), "{}", stderr(&logout));
    assert!(stdout(&logout).contains("removed the library"), "{}", stdout(&logout));
    let mut instance = instance;
    assert!(instance.child.wait().expect("exits").success(), "the instance quit");
    assert!(!profile.join("library.redb").exists());
    assert!(!profile.join("sign-in.json").exists());
    assert!(!damaged.exists(), "the damaged copy went too");
    assert!(!profile.join("logs").exists(), "the logs went too");

    let instance = Instance::spawn(profile, &args, &env);
    let list = instance.cli(&["list", "--json"]);
    assert_eq!(stdout(&list).trim(), "[]", "a fresh, empty library");
    eventually("signed out", WAIT, || (account(profile)?.0 == "signedOut").then_some(()));
}
