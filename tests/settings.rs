//! settings.toml edited while the app runs: sync starts, moves and stops without a restart;
//! a file that cannot work changes nothing and `status` says why until it is fixed.

mod support;

use support::server::start_server;
use support::{Instance, WAIT, eventually, status};

fn sync_state(dir: &std::path::Path) -> Option<String> {
    Some(status(dir)?["status"]["sync"]["state"].as_str()?.to_owned())
}

#[test]
fn editing_settings_toml_applies_without_a_restart() {
    let dirs = [(); 2].map(|_| tempfile::tempdir().expect("tempdir"));
    let server = start_server(dirs[0].path());
    let profile = dirs[1].path();
    let settings = profile.join("settings.toml");
    let instance = Instance::start(profile, &[]);
    assert!(instance.cli(&["add", "--title", "Written locally", "--body", "x"]).status.success());
    assert_eq!(sync_state(profile).as_deref(), Some("localOnly"));

    std::fs::write(&settings, format!("[sync]\nserver = \"http://{server}\"\n")).expect("written");
    eventually("sync to start and push the waiting prompt", WAIT, || {
        let health = status(profile)?;
        (health["status"]["sync"]["state"] == "idle" && health["status"]["pending"] == 0)
            .then_some(())
    });

    std::fs::write(&settings, "[sync]\nserver = \"not a url\"\n").expect("written");
    let problem = eventually("the bad file to be reported", WAIT, || {
        status(profile)?["settingsProblem"].as_str().map(str::to_owned)
    });
    assert!(problem.contains("not a URL"), "{problem}");
    assert_eq!(sync_state(profile).as_deref(), Some("idle"), "the previous settings stay");

    std::fs::write(&settings, "[paste]\nmethod = \"copy-only\"\n").expect("written");
    eventually("sync to stop and the problem to clear", WAIT, || {
        let health = status(profile)?;
        (health["status"]["sync"]["state"] == "localOnly" && health["settingsProblem"].is_null())
            .then_some(())
    });
    let list = instance.cli(&["list"]);
    assert!(support::stdout(&list).contains("Written locally"));
}
