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

fn workspaces(dir: &std::path::Path) -> Option<(String, Vec<String>)> {
    let health = status(dir)?;
    let active = health["status"]["activeSpace"].as_str()?.to_owned();
    let spaces = health["status"]["workspaces"].as_array()?;
    Some((active, spaces.iter().filter_map(|w| w["space"].as_str().map(str::to_owned)).collect()))
}

#[test]
fn workspaces_come_from_settings_toml_switch_from_the_command_line_and_are_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let profile = dir.path();
    let settings = profile.join("settings.toml");
    std::fs::write(&settings, "# mine\n[workspaces]\nspaces = [\"team\"]\n").expect("written");
    let instance = Instance::start(profile, &[]);
    let (active, spaces) = workspaces(profile).expect("status");
    assert_eq!((active.as_str(), spaces), ("personal", vec!["personal".into(), "team".into()]));

    let add = |args: &[&str]| assert!(instance.cli(args).status.success(), "{args:?}");
    add(&["add", "--title", "Diary", "--body", "x"]);
    add(&["add", "--space", "team", "--title", "Release notes", "--body", "y"]);
    assert_eq!(support::titles(&instance), ["Diary"], "the active workspace is listed");
    let listed = support::stdout(&instance.cli(&["space"]));
    assert!(
        listed.contains("* personal  (1 prompt)") && listed.contains("  team  (1 prompt)"),
        "{listed}"
    );

    assert!(instance.cli(&["space", "team"]).status.success());
    assert_eq!(support::titles(&instance), ["Release notes"]);
    let kept = eventually("the switch to be kept in settings.toml", WAIT, || {
        let text = std::fs::read_to_string(&settings).ok()?;
        text.contains("active = \"team\"").then_some(text)
    });
    assert!(kept.starts_with("# mine\n"), "the rest of the file stays: {kept}");
    let refused = instance.cli(&["space", "nowhere"]);
    assert!(!refused.status.success() && support::stderr(&refused).contains("no workspace"));
    let refused = instance.cli(&["add", "--space", "nowhere", "--title", "t", "--body", "b"]);
    assert!(!refused.status.success(), "nothing is added to a workspace that does not exist");

    // A workspace added to the file while running opens at once; a bad name changes nothing.
    std::fs::write(&settings, "[workspaces]\nspaces = [\"team\", \"oss\"]\nactive = \"team\"\n")
        .expect("written");
    eventually("the new workspace to open", WAIT, || {
        (workspaces(profile)?.1 == ["personal", "team", "oss"]).then_some(())
    });
    for bad in ["../escape", "..\\escape"] {
        let text = format!("[workspaces]\nspaces = [{bad:?}]\n");
        std::fs::write(&settings, text).expect("written");
        let problem = eventually("the bad name to be reported", WAIT, || {
            let problem = status(profile)?["settingsProblem"].as_str()?.to_owned();
            problem.contains(&format!("{bad:?}")).then_some(problem)
        });
        let expected = ["cannot name a space", "shared on promptdeck-server only"];
        assert!(expected.iter().any(|e| problem.contains(e)), "{problem}");
    }
    assert_eq!(workspaces(profile).expect("status").1, ["personal", "team", "oss"]);
    assert!(
        !profile.join("escape.redb").exists() && !profile.join("spaces/../escape.redb").exists()
    );
    std::fs::write(&settings, "[workspaces]\nspaces = [\"team\", \"oss\"]\nactive = \"team\"\n")
        .expect("written");
    eventually("the problem to clear", WAIT, || {
        status(profile)?["settingsProblem"].is_null().then_some(())
    });

    assert!(instance.cli(&["quit"]).status.success());
    assert!(instance.wait_exit().success());
    let instance = Instance::start(profile, &[]);
    assert_eq!(workspaces(profile).expect("status").0, "team", "the active workspace is kept");
    assert_eq!(support::titles(&instance), ["Release notes"]);
    assert!(profile.join("spaces/team.redb").exists());
}
