//! The command line and control socket, against the real binary running headless.

mod support;

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::process::Command;

use support::{Instance, cli, stderr, stdout, titles};

fn add(instance: &Instance, title: &str, body: &str) {
    let out = instance.cli(&["add", "--title", title, "--body", body, "--tag", "test"]);
    assert!(out.status.success(), "add failed: {}", stderr(&out));
}

const ALL_FOUR: [&str; 4] = ["CacheActor", "RequestQueueActor", "AuthActor", "SyncActor"];

fn actor_names(health: &serde_json::Value) -> Vec<String> {
    let actors = health["actors"].as_array().expect("actors");
    actors.iter().map(|a| a["name"].as_str().expect("name").to_owned()).collect()
}

#[test]
fn every_configuration_runs_all_four_actors() {
    // A fixed token, a server that signs in (here unreachable), and no server at all.
    let configurations: [&[&str]; 3] = [
        &["--server", "http://127.0.0.1:9", "--server-token", "s3cret"],
        &["--server", "http://127.0.0.1:9"],
        &[],
    ];
    for args in configurations {
        let dir = tempfile::tempdir().expect("tempdir");
        let instance = Instance::start(dir.path(), args);
        let health = support::status(dir.path()).expect("status");
        assert_eq!(actor_names(&health), ALL_FOUR, "{args:?}");
        assert!(instance.cli(&["quit"]).status.success());
        assert!(instance.wait_exit().success());
    }
}

#[test]
fn add_list_status_and_quit_through_the_socket() {
    let dir = tempfile::tempdir().expect("tempdir");
    let instance = Instance::start(dir.path(), &[]);
    add(&instance, "Summarise", "Summarise this article in three bullet points");
    add(&instance, "Review", "Review this diff for bugs");
    assert_eq!(titles(&instance), ["Review", "Summarise"]);

    let human = instance.cli(&["list"]);
    assert!(stdout(&human).contains("Summarise #test"), "{}", stdout(&human));

    let status = instance.cli(&["status", "--json"]);
    let health: serde_json::Value = serde_json::from_slice(&status.stdout).expect("JSON");
    assert_eq!(health["status"]["promptCount"], 2);
    assert_eq!(health["status"]["pending"], 2);
    assert_eq!(actor_names(&health), ALL_FOUR, "a local profile runs all four actors");
    assert_eq!(health["actors"][0]["restarts"], 0);
    assert!(health["cache"]["hits"].is_u64() && health["cache"]["misses"].is_u64());
    assert_eq!(health["queueDepth"], 0);
    assert!(health["ui"].is_null(), "a headless instance has no windows to report");
    assert!(health["rssBytes"].as_u64().expect("rss") > 1_000_000);

    let quit = instance.cli(&["quit"]);
    assert!(quit.status.success());
    assert!(instance.wait_exit().success());
    assert!(!dir.path().join("run/control.sock").exists(), "socket removed on quit");
}

#[test]
fn the_socket_and_its_directory_are_private_to_the_user() {
    let dir = tempfile::tempdir().expect("tempdir");
    let _instance = Instance::start(dir.path(), &[]);
    let mode = |p: &str| {
        std::fs::metadata(dir.path().join(p)).expect("exists").permissions().mode() & 0o777
    };
    assert_eq!(mode("run"), 0o700);
    assert_eq!(mode("run/control.sock"), 0o600);
}

#[test]
fn a_second_instance_for_the_same_profile_defers_to_the_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = Instance::start(dir.path(), &[]);
    let second = cli(dir.path(), &["--headless"], None);
    assert!(second.status.success());
    assert!(stderr(&second).contains("already running"), "{}", stderr(&second));
    add(&first, "still here", "the first instance keeps serving");
    assert_eq!(titles(&first), ["still here"]);
}

#[test]
fn two_profiles_run_side_by_side() {
    let (a, b) = (tempfile::tempdir().expect("tempdir"), tempfile::tempdir().expect("tempdir"));
    let (one, two) = (Instance::start(a.path(), &[]), Instance::start(b.path(), &[]));
    add(&one, "only in one", "x");
    assert_eq!(titles(&one), ["only in one"]);
    assert!(titles(&two).is_empty());
}

#[test]
fn a_body_from_stdin_must_be_utf8_and_nothing_is_saved_otherwise() {
    let dir = tempfile::tempdir().expect("tempdir");
    let instance = Instance::start(dir.path(), &[]);
    let ok = cli(dir.path(), &["add", "--title", "piped"], Some("héllo from a pipe\n".as_bytes()));
    assert!(ok.status.success(), "{}", stderr(&ok));
    let bad = cli(dir.path(), &["add", "--title", "binary"], Some(&[0x66, 0xff, 0xfe, 0x00]));
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("not valid UTF-8"), "{}", stderr(&bad));
    assert_eq!(titles(&instance), ["piped"]);
}

#[test]
fn a_ten_megabyte_prompt_gets_a_clear_error_and_the_library_is_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let instance = Instance::start(dir.path(), &[]);
    add(&instance, "kept", "small");
    let huge = vec![b'x'; 10 * 1024 * 1024];
    let out = cli(dir.path(), &["add", "--title", "huge"], Some(&huge));
    assert!(!out.status.success());
    assert!(stderr(&out).contains("limit"), "{}", stderr(&out));
    assert_eq!(titles(&instance), ["kept"]);
}

#[test]
fn garbage_on_the_socket_gets_an_error_and_the_instance_keeps_serving() {
    let dir = tempfile::tempdir().expect("tempdir");
    let instance = Instance::start(dir.path(), &[]);
    let socket = dir.path().join("run/control.sock");
    for garbage in
        [&b"{\"command\":\"format-disk\"}\n"[..], b"\xff\xfe\x00\n", b"not json at all\n"]
    {
        let mut stream = UnixStream::connect(&socket).expect("connects");
        stream.write_all(garbage).expect("writes");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("reads");
        let answer: serde_json::Value = serde_json::from_str(&answer).expect("a JSON answer");
        assert_eq!(answer["outcome"], "failed", "{answer}");
    }
    // A client that connects and says nothing does not block the others.
    let _silent = UnixStream::connect(&socket).expect("connects");
    add(&instance, "after garbage", "fine");
    assert_eq!(titles(&instance), ["after garbage"]);
}

#[test]
fn a_reader_that_stops_early_is_no_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let instance = Instance::start(dir.path(), &[]);
    add(&instance, "One", "1");
    add(&instance, "Two", "2");
    // `promptdeck list | head -0`: the reading end is gone before anything is written.
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let listed = Command::new(env!("CARGO_BIN_EXE_promptdeck"))
        .arg("list")
        .env("PROMPTDECK_DATA_DIR", dir.path())
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("runs");
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(stderr(&listed).is_empty(), "no panic, no complaint: {}", stderr(&listed));
}

#[test]
fn windows_commands_on_a_headless_instance_explain_themselves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let _instance = Instance::start(dir.path(), &[]);
    for command in ["palette", "library", "capture"] {
        let out = cli(dir.path(), &[command], None);
        assert!(!out.status.success());
        assert!(stderr(&out).contains("headless"), "{command}: {}", stderr(&out));
    }
}

#[test]
fn commands_without_a_running_instance_say_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = cli(dir.path(), &["list"], None);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("not running"), "{}", stderr(&out));
}

#[test]
fn kill_9_and_restart_keeps_every_prompt_in_the_same_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let instance = Instance::start(dir.path(), &[]);
    for i in 0..20 {
        add(&instance, &format!("prompt {i:02}"), "body");
    }
    let before = titles(&instance);
    instance.kill_9();
    let restarted = Instance::start(dir.path(), &[]);
    assert_eq!(titles(&restarted), before);
    let status = restarted.cli(&["status", "--json"]);
    let health: serde_json::Value = serde_json::from_slice(&status.stdout).expect("JSON");
    assert_eq!(health["status"]["pending"], 20, "unsynced changes survive too");
}

#[test]
fn a_damaged_library_is_moved_aside_and_the_app_starts_fresh() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("library.redb"), vec![0xAB; 64 * 1024]).expect("writes");
    let instance = Instance::start(dir.path(), &[]);
    add(&instance, "fresh", "works");
    assert_eq!(titles(&instance), ["fresh"]);
    let kept = std::fs::read_dir(dir.path())
        .expect("ls")
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().starts_with("library.redb.damaged-"));
    assert!(kept, "the damaged file is kept beside the new one");
}

fn titles_inside(instance: &Instance) -> Vec<String> {
    support::titles_listed(&instance.cli_inside(&["list", "--json"]))
}

/// An instance whose profile is on a tmpfs of its own, `size` as mount's `-o size=` takes
/// it, `filler` bytes of it taken by a file named `filler` the test may free later.
fn on_a_small_disk(dir: &std::path::Path, size: &str, filler: usize) -> Instance {
    let data = dir.display().to_string();
    let mounts = format!(
        "mount -t tmpfs -o size={size} tmpfs {data} && head -c {filler} /dev/zero > {data}/filler"
    );
    Instance::start_confined(dir, &mounts)
}

/// Adds a prompt through the confined instance; its id.
fn add_inside(instance: &Instance, title: &str, body: &str) -> String {
    let added = instance.cli_inside(&["add", "--title", title, "--body", body]);
    assert!(added.status.success(), "{}", stderr(&added));
    stdout(&added).trim().trim_start_matches("added ").to_owned()
}

#[test]
fn a_full_disk_refuses_a_write_clearly_keeps_everything_and_recovers_once_space_frees() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A 1 MiB disk of its own, a third of it taken by a file the test frees later.
    let instance = on_a_small_disk(dir.path(), "1m", 350_000);
    let body = "x".repeat(60_000);
    let mut saved = Vec::new();
    let refused = loop {
        let title = format!("Prompt {}", saved.len());
        let add = instance.cli_inside(&["add", "--title", &title, "--body", &body]);
        if !add.status.success() {
            break stderr(&add);
        }
        saved.push(title);
        assert!(saved.len() < 40, "a 1 MiB disk never filled");
    };
    assert!(
        refused.contains("disk that holds the library is full")
            && refused.contains("nothing was saved"),
        "{refused}"
    );
    let mut listed = titles_inside(&instance);
    listed.sort();
    saved.sort();
    assert_eq!(listed, saved, "every acknowledged prompt is still there, nothing half-saved");

    let freed = Command::new("nsenter")
        .args(["--target", &instance.child.id().to_string(), "--mount", "rm"])
        .arg(dir.path().join("filler"))
        .status()
        .expect("nsenter");
    assert!(freed.success());
    let add = instance.cli_inside(&["add", "--title", "After the cleanup", "--body", "small"]);
    assert!(add.status.success(), "writes work again without a restart: {}", stderr(&add));
    assert_eq!(titles_inside(&instance).len(), saved.len() + 1);
    assert!(instance.cli_inside(&["quit"]).status.success());
}

/// On a disk too full for a write, the history gives way before the prompt: the oldest
/// versions are forgotten to make room and the command says so; each prompt's newest
/// version stays and every kept one still rebuilds, every prompt acknowledged is listed,
/// and once nothing more can be forgotten the write is refused as before. The disk is a
/// real one: a 2 MiB tmpfs.
#[test]
fn a_full_disk_gives_up_the_oldest_history_for_a_new_prompt_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    // redb doubles its file as it grows: room for it to reach 560 KB, not 1.1 MB.
    let instance = on_a_small_disk(dir.path(), "2m", 1_000_000);
    // Bodies with nothing in common: each version keeps the whole of the one it replaced.
    let body = |n: usize| char::from(b'a' + n as u8).to_string().repeat(20_000);
    let draft = add_inside(&instance, "Draft", &body(0));
    let mut said = String::new();
    for n in 1..=5 {
        let edit = instance.cli_inside(&["edit", &draft, "--body", &body(n)]);
        assert!(
            edit.status.success(),
            "edit {n}: {} {:?}",
            stderr(&edit),
            instance.stderr_so_far()
        );
        said.push_str(&stdout(&edit));
    }
    let mut saved = vec!["Draft".to_owned()];
    let refused = loop {
        let title = format!("Prompt {}", saved.len());
        let add = instance.cli_inside(&["add", "--title", &title, "--body", &body(9)]);
        if !add.status.success() {
            break stderr(&add);
        }
        said.push_str(&stdout(&add));
        saved.push(title);
        assert!(saved.len() < 40, "a 1 MiB disk never filled");
    };
    assert!(
        said.contains("oldest versions of prompts' history were forgotten to make room"),
        "no write made room: {said}"
    );
    assert!(refused.contains("disk that holds the library is full"), "{refused}");
    let mut listed = titles_inside(&instance);
    listed.sort();
    saved.sort();
    assert_eq!(listed, saved, "every acknowledged prompt is still there");

    let history = instance.cli_inside(&["history", &draft, "--json"]);
    let versions: Vec<serde_json::Value> =
        serde_json::from_str(&stdout(&history)).expect("history as JSON");
    let numbers: Vec<u64> = versions.iter().filter_map(|v| v["number"].as_u64()).collect();
    assert!(numbers.len() < 6 && numbers.first() != Some(&1), "the oldest went: {numbers:?}");
    assert_eq!(numbers[numbers.len() - 2..], [5, 6], "the newest stayed: {numbers:?}");
    let current = versions.last().expect("the current version");
    assert_eq!(current["body"], body(5), "the prompt itself is whole");
    for version in &versions {
        let n = version["number"].as_u64().expect("numbered") as usize - 1;
        assert_eq!(version["body"], body(n), "version {} rebuilds", n + 1);
    }
    assert!(instance.cli_inside(&["quit"]).status.success());
}

/// Forgetting needs a few new pages too: where the library file has none free and the
/// disk cannot grow it, the room kept aside beside the library (`library.redb.reserve`,
/// 256 KiB) is given back to the disk for the forgetting, so the edit still goes through.
/// A 1 MiB tmpfs, on which redb's file cannot double again; without the reserve, the
/// fourth edit is refused.
#[test]
fn the_room_kept_aside_lets_history_give_way_when_the_library_file_has_none_free() {
    let dir = tempfile::tempdir().expect("tempdir");
    let instance = on_a_small_disk(dir.path(), "1m", 87_856);
    let reserve = dir.path().join("library.redb.reserve");
    let reserved = || {
        let pid = instance.child.id().to_string();
        let mut test = Command::new("nsenter");
        test.args(["--target", &pid, "--mount", "test", "-e"]).arg(&reserve);
        test.status().expect("nsenter").success()
    };
    assert!(reserved(), "kept aside at start");
    let body = |n: usize| char::from(b'a' + n as u8).to_string().repeat(50_000);
    let draft = add_inside(&instance, "Draft", &body(0));
    let made_room = (1..20).any(|n| {
        let edit = instance.cli_inside(&["edit", &draft, "--body", &body(n)]);
        assert!(edit.status.success(), "edit {n} refused: {}", stderr(&edit));
        stdout(&edit).contains("forgotten to make room")
    });
    assert!(made_room, "the disk never filled");
    assert!(!reserved(), "given back to the disk");
    assert!(instance.cli_inside(&["quit"]).status.success());
}

#[test]
fn a_read_only_profile_is_refused_at_start_with_its_library_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let instance = Instance::start(dir.path(), &[]);
    add(&instance, "kept", "safe");
    assert!(instance.cli(&["quit"]).status.success());
    assert!(instance.wait_exit().success());
    let library = dir.path().join("library.redb");
    let before = std::fs::read(&library).expect("library");

    let data = dir.path().display().to_string();
    let started = Command::new("unshare")
        .args(["--mount", "sh", "-c"])
        .arg(format!(
            "mount --bind {data} {data} && mount -o remount,bind,ro {data} && exec \"$0\" --headless"
        ))
        .arg(env!("CARGO_BIN_EXE_promptdeck"))
        .env("PROMPTDECK_DATA_DIR", dir.path())
        .output()
        .expect("unshare runs");
    assert!(!started.status.success());
    let said = stderr(&started);
    assert!(said.contains("Read-only file system"), "{said}");
    assert_eq!(std::fs::read(&library).expect("library"), before, "the library is untouched");
    let instance = Instance::start(dir.path(), &[]);
    assert_eq!(titles(&instance), ["kept"]);
}

#[test]
fn install_desktop_writes_a_valid_launcher_and_icon_and_autostart_on_request() {
    let home = tempfile::tempdir().expect("tempdir");
    let (data, config) = (home.path().join("data"), home.path().join("config"));
    let install = |extra: &[&str]| {
        let out = std::process::Command::new(support::BIN)
            .arg("install-desktop")
            .args(extra)
            .env("XDG_DATA_HOME", &data)
            .env("XDG_CONFIG_HOME", &config)
            .output()
            .expect("runs");
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let said = install(&["--autostart"]);
    let launcher = data.join("applications/promptdeck.desktop");
    let autostart = config.join("autostart/promptdeck.desktop");
    let icon = data.join("icons/hicolor/scalable/apps/promptdeck.svg");
    for file in [&launcher, &autostart, &icon] {
        assert!(file.exists(), "{} missing", file.display());
        assert!(said.contains(&file.display().to_string()), "not reported: {said}");
    }
    let entry = std::fs::read_to_string(&launcher).expect("reads");
    assert!(entry.contains(&format!("Exec=\"{}\"", support::BIN)), "{entry}");
    assert!(std::fs::read_to_string(&icon).expect("reads").starts_with("<svg"));
    let checked = std::process::Command::new("desktop-file-validate")
        .args([&launcher, &autostart])
        .output()
        .expect("desktop-file-validate is installed (scripts/install-deps.sh --test)");
    assert!(checked.status.success() && checked.stdout.is_empty(), "{}", stdout(&checked));

    install(&[]);
    assert!(launcher.exists() && !autostart.exists(), "without --autostart it is removed");
}

/// `install-desktop --bind` on GNOME: two custom shortcuts set through gsettings and listed
/// beside the user's own, not listed twice when run again, and taken out by `--unbind` with
/// the user's left alone. Stand-ins, said plainly: gsettings' keyfile backend in a temporary
/// folder for dconf, and no GNOME Shell to press the keys in.
#[test]
fn install_desktop_binds_gnome_shortcuts_beside_the_users_own() {
    let home = tempfile::tempdir().expect("tempdir");
    let config = home.path().join("config");
    let env = |command: &mut std::process::Command| {
        command
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", &config)
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CURRENT_DESKTOP", "ubuntu:GNOME")
            .env("GSETTINGS_BACKEND", "keyfile")
            .env_remove("SWAYSOCK")
            .env_remove("HYPRLAND_INSTANCE_SIGNATURE");
    };
    let gsettings = |args: &[&str]| {
        let mut command = std::process::Command::new("gsettings");
        env(&mut command);
        let out =
            command.args(args).output().expect("gsettings is installed (install-deps --test)");
        assert!(out.status.success(), "gsettings {args:?}: {}", stderr(&out));
        stdout(&out).trim().to_owned()
    };
    let promptdeck = |args: &[&str]| {
        let mut command = std::process::Command::new(support::BIN);
        env(&mut command);
        let out = command.args(args).output().expect("runs");
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let list = "org.gnome.settings-daemon.plugins.media-keys";
    let prefix = "/org/gnome/settings-daemon/plugins/media-keys/custom-keybindings";
    let entry = |name: &str| {
        format!("org.gnome.settings-daemon.plugins.media-keys.custom-keybinding:{prefix}/{name}/")
    };
    gsettings(&["set", list, "custom-keybindings", &format!("['{prefix}/custom0/']")]);
    gsettings(&["set", &entry("custom0"), "binding", "<Super>t"]);

    let bind = ["--palette-hotkey", "ctrl+alt+o", "--capture-hotkey", "ctrl+alt+k"];
    let said = promptdeck(&[&bind[..], &["install-desktop", "--bind"]].concat());
    assert!(said.contains("<Control><Alt>o") && said.contains("at once"), "{said}");
    promptdeck(&[&bind[..], &["install-desktop", "--bind"]].concat());
    let ours = [format!("{prefix}/promptdeck-palette/"), format!("{prefix}/promptdeck-capture/")];
    assert_eq!(
        gsettings(&["get", list, "custom-keybindings"]),
        format!("['{prefix}/custom0/', '{}', '{}']", ours[0], ours[1]),
        "listed once each, beside the user's own"
    );
    assert_eq!(gsettings(&["get", &entry("promptdeck-palette"), "binding"]), "'<Control><Alt>o'");
    assert_eq!(
        gsettings(&["get", &entry("promptdeck-capture"), "command"]),
        format!("'{} capture'", support::BIN)
    );

    let said = promptdeck(&["install-desktop", "--unbind"]);
    assert!(said.contains("removed GNOME's shortcut"), "{said}");
    assert_eq!(gsettings(&["get", list, "custom-keybindings"]), format!("['{prefix}/custom0/']"));
    assert_eq!(gsettings(&["get", &entry("promptdeck-palette"), "binding"]), "''");
    assert_eq!(gsettings(&["get", &entry("custom0"), "binding"]), "'<Super>t'");
}

/// Fuzzing the control socket: any line of bytes gets a JSON answer (an error, unless it
/// happens to be a real request) and the instance keeps serving. More cases with
/// `PROPTEST_CASES`.
#[test]
fn any_bytes_on_the_socket_get_an_answer_and_never_bring_the_instance_down() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    let dir = tempfile::tempdir().expect("tempdir");
    let instance = Instance::start(dir.path(), &[]);
    let socket = dir.path().join("run/control.sock");
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64);
    let mut runner = TestRunner::new(Config { cases, ..Config::default() });
    let lines = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        "\\{\"command\":\"\\PC{0,12}\"(,\"\\PC{0,8}\":\\PC{0,8})?\\}".prop_map(String::into_bytes),
    ];
    runner
        .run(&lines, |mut line| {
            line.push(b'\n');
            let mut stream = UnixStream::connect(&socket).expect("connects");
            stream.write_all(&line).expect("writes");
            let mut answer = String::new();
            stream.read_to_string(&mut answer).expect("reads");
            let answer: serde_json::Value = serde_json::from_str(&answer).expect("a JSON answer");
            prop_assert!(answer["outcome"].is_string(), "{}", answer);
            Ok(())
        })
        .expect("every line answered");
    add(&instance, "still serving", "yes");
    assert_eq!(titles(&instance), ["still serving"]);
}

#[test]
fn without_a_display_the_app_says_so_and_how_to_run_without_windows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = std::process::Command::new(support::BIN)
        .env("PROMPTDECK_DATA_DIR", dir.path())
        // A display no X server serves.
        .env("DISPLAY", ":9999")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let said = stderr(&out);
    assert!(said.contains("no display") && said.contains("--headless"), "{said}");
    assert!(!said.contains("panicked"), "{said}");
}

/// Every directory and file of a profile, with its mode, as far as `prepare` looks.
fn modes(dir: &std::path::Path, depth: usize, found: &mut Vec<(std::path::PathBuf, u32)>) {
    let metadata = std::fs::symlink_metadata(dir).expect("metadata");
    found.push((dir.to_owned(), metadata.permissions().mode() & 0o777));
    if metadata.is_dir() && depth > 0 {
        for entry in std::fs::read_dir(dir).expect("a directory") {
            modes(&entry.expect("an entry").path(), depth - 1, found);
        }
    }
}

fn open_to_others(dir: &std::path::Path) -> Vec<(std::path::PathBuf, u32)> {
    let mut found = Vec::new();
    modes(dir, 2, &mut found);
    found.into_iter().filter(|(_, mode)| mode & 0o077 != 0).collect()
}

#[test]
fn a_profile_is_the_users_only_from_its_first_start_and_repaired_on_every_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let profile = dir.path().join("profile");
    let instance = Instance::start(&profile, &[]);
    assert!(instance.cli(&["add", "--title", "Private", "--body", "x"]).status.success());
    assert_eq!(open_to_others(&profile), [], "made user-only");
    assert!(instance.cli(&["quit"]).status.success());
    assert!(instance.wait_exit().success());

    // Another program (a backup restored, a umask of 022) leaves it open.
    for (path, mode) in [
        (profile.clone(), 0o755),
        (profile.join("library.redb"), 0o644),
        (profile.join("logs"), 0o755),
        (profile.join("library.redb.damaged-20261201T000000Z"), 0o644),
    ] {
        if !path.exists() {
            std::fs::write(&path, b"a damaged copy").expect("written");
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    // A --data-dir may hold what is not Promptdeck's: that is left as it is.
    let notes = profile.join("notes.txt");
    std::fs::write(&notes, b"mine").expect("written");
    std::fs::set_permissions(&notes, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    assert_ne!(open_to_others(&profile), []);
    let instance = Instance::start(&profile, &[]);
    assert_eq!(open_to_others(&profile), [(notes, 0o644)], "closed again at start, ours only");
    assert_eq!(titles(&instance), ["Private"], "and nothing lost");
}

/// The instance as a CLI sees it when the instance dies mid-request: a stand-in for a
/// killed instance, that takes the request and closes the connection without answering.
#[test]
fn a_cli_whose_instance_stops_before_answering_says_so_and_how_to_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = dir.path().join("run");
    std::fs::create_dir_all(&run).expect("run dir");
    let listener =
        std::os::unix::net::UnixListener::bind(run.join("control.sock")).expect("listens");
    let stand_in = std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("a client");
        let mut request = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(&stream), &mut request)
            .expect("the request");
        request
    });
    let out = cli(dir.path(), &["import", "/nonexistent.json"], None);
    assert!(stand_in.join().expect("answered").contains("\"import\""));
    assert!(!out.status.success());
    let said = stderr(&out);
    assert!(said.contains("stopped before it answered `import`"), "{said}");
    assert!(said.contains("promptdeck list"), "{said}");
}

/// Starts `promptdeck --headless` for `profile` and returns how the start ended.
fn start_refused(profile: &std::path::Path) -> std::process::Output {
    Command::new(support::BIN)
        .arg("--headless")
        .env("PROMPTDECK_DATA_DIR", profile)
        .output()
        .expect("runs")
}

#[test]
fn a_run_directory_that_is_a_link_or_another_users_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).expect("a directory");
    let linked = dir.path().join("linked");
    std::fs::create_dir_all(&linked).expect("a profile");
    std::os::unix::fs::symlink(&elsewhere, linked.join("run")).expect("linked");
    let out = start_refused(&linked);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("is a symbolic link"), "{}", stderr(&out));
    assert!(std::fs::read_dir(&elsewhere).expect("read").next().is_none(), "nothing made there");

    // Another user's run directory: only root can make one for the test.
    if rustix::process::getuid().is_root() {
        let theirs = dir.path().join("theirs");
        std::fs::create_dir_all(theirs.join("run")).expect("a profile");
        let nobody = Some(rustix::process::Uid::from_raw(65534));
        rustix::fs::chown(theirs.join("run"), nobody, None).expect("chown");
        let out = start_refused(&theirs);
        assert!(!out.status.success());
        assert!(stderr(&out).contains("belongs to another user"), "{}", stderr(&out));
    }
}

/// A stand-in for an instance that hangs: it takes the request and never answers.
#[test]
fn a_cli_whose_instance_does_not_answer_gives_up_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = dir.path().join("run");
    std::fs::create_dir_all(&run).expect("run dir");
    let listener =
        std::os::unix::net::UnixListener::bind(run.join("control.sock")).expect("listens");
    let _stand_in = std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("a client");
        let mut request = String::new();
        let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(&stream), &mut request);
        std::thread::park();
        drop(stream);
    });
    let started = std::time::Instant::now();
    let out = cli(dir.path(), &["status"], None);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("did not answer `status` within 10 s"), "{}", stderr(&out));
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "it gave up");
}

/// The instance's CPU time so far, in clock ticks, from /proc.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    // The fields after the command's name: utime and stime are the 12th and 13th of them.
    let after_name = stat.rsplit_once(')').expect("a name").1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
}

#[test]
fn an_instance_out_of_file_descriptors_waits_instead_of_spinning_and_recovers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let instance = Instance::start_with_few_files(dir.path(), 64);
    let pid = instance.child.id();
    let socket = dir.path().join("run/control.sock");
    // Connections that say nothing: each holds one of the instance's descriptors for its
    // read timeout (5 s); past 64 the instance cannot accept, and the rest wait.
    let held: Vec<UnixStream> =
        (0..100).map(|_| UnixStream::connect(&socket).expect("connects")).collect();
    let before = cpu_ticks(pid);
    std::thread::sleep(std::time::Duration::from_secs(2));
    let spent = cpu_ticks(pid) - before;
    // A loop that accepts again at once burns a core: some 200 ticks in 2 s.
    assert!(spent < 50, "{spent} ticks in 2 s while out of descriptors");
    drop(held);
    let answered = support::eventually("the instance to answer again", support::WAIT, || {
        support::status(dir.path())
    });
    assert_eq!(answered["status"]["promptCount"], 0);
}

/// Async tasks alive in the instance, as `status --json` counts them.
fn tasks(dir: &std::path::Path) -> Option<u64> {
    support::status(dir)?["tasks"].as_u64()
}

#[test]
fn a_client_that_never_reads_its_answer_is_dropped_after_the_write_timeout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let instance = Instance::start(dir.path(), &[]);
    // A library whose list is larger than a socket's buffer, so writing it blocks.
    let prompts: Vec<serde_json::Value> = (0..1500)
        .map(|n| serde_json::json!({"title": format!("Prompt {n}"), "body": "x".repeat(400)}))
        .collect();
    let file = dir.path().join("many.json");
    std::fs::write(&file, serde_json::to_vec(&prompts).expect("json")).expect("written");
    let imported = instance.cli(&["import", file.to_str().expect("a path")]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let idle = tasks(dir.path()).expect("status");

    let mut reader = UnixStream::connect(dir.path().join("run/control.sock")).expect("connects");
    reader.write_all(b"{\"command\":\"list\"}\n").expect("asked");
    support::eventually("the answer to be stuck on the unread socket", support::WAIT, || {
        (tasks(dir.path())? > idle).then_some(())
    });
    // Within the write timeout (10 s), the task that held it ends.
    support::eventually("the stuck answer to be dropped", support::WAIT, || {
        (tasks(dir.path())? == idle).then_some(())
    });
    drop(reader);
}

/// Edits keep the versions they replace, `history` lists them with what changed, `restore`
/// makes one current again; a deleted prompt is listed by `deleted`, survives a kill -9 and
/// comes back with `restore`; a version or prompt that is not there is a clear error.
#[test]
fn history_restore_and_the_recently_deleted_through_the_cli() {
    let dir = tempfile::tempdir().expect("tempdir");
    let instance = Instance::start(dir.path(), &[]);
    add(&instance, "Summarise", "Summarise the meeting notes");
    let listed = instance.cli(&["list", "--json"]);
    let prompts: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("JSON");
    let id = prompts[0]["id"].as_str().expect("id").to_owned();
    let edited = instance.cli(&["edit", &id, "--body", "Summarise the call notes briefly"]);
    assert!(edited.status.success(), "{}", stderr(&edited));
    let edited = instance.cli(&["edit", &id, "--title", "Summary", "--tag", "work"]);
    assert!(edited.status.success(), "{}", stderr(&edited));
    assert!(!instance.cli(&["edit", &id]).status.success(), "nothing to change");

    let history = stdout(&instance.cli(&["history", &id]));
    let lines: Vec<&str> = history.lines().collect();
    assert_eq!(lines.len(), 3, "{history}");
    assert!(lines[1].contains("body +2 -1 words") && lines[1].contains("this device"), "{history}");
    assert!(lines[2].contains("title, tags") && lines[2].contains("(current)"), "{history}");
    let json: serde_json::Value =
        serde_json::from_slice(&instance.cli(&["history", &id, "--json"]).stdout).expect("JSON");
    assert_eq!(json[0]["body"], "Summarise the meeting notes");

    let restored = instance.cli(&["restore", &id, "--version", "1"]);
    assert!(restored.status.success(), "{}", stderr(&restored));
    assert_eq!(titles(&instance), ["Summarise"]);
    let missing = instance.cli(&["restore", &id, "--version", "42"]);
    assert!(stderr(&missing).contains("has no version 42"), "{}", stderr(&missing));
    let unknown = instance.cli(&["history", "nosuchprompt"]);
    assert!(stderr(&unknown).contains("no prompt nosuchprompt"), "{}", stderr(&unknown));

    let deleted = instance.cli(&["delete", &id]);
    assert!(stdout(&deleted).contains("promptdeck restore"), "{}", stdout(&deleted));
    assert!(titles(&instance).is_empty());
    instance.kill_9();
    let instance = Instance::start(dir.path(), &[]);
    let gone = stdout(&instance.cli(&["deleted"]));
    assert!(gone.contains(&id) && gone.contains("Summarise"), "{gone}");
    let back = instance.cli(&["restore", &id]);
    assert!(back.status.success(), "{}", stderr(&back));
    assert_eq!(titles(&instance), ["Summarise"]);
    assert!(stdout(&instance.cli(&["deleted"])).is_empty());
    assert_eq!(stdout(&instance.cli(&["history", &id])).lines().count(), 5, "v1-v4, and back");
}

/// `promptdeck`, what a desktop's binding of the hotkey runs, links no window system: the
/// Xlib that iced's renderer loads from a constructor before `main` is in the app only.
#[test]
fn the_command_line_links_no_window_system() {
    let holds_xlib = |program: &str| {
        let bytes = std::fs::read(program).expect("the program");
        bytes.windows(b"libX11".len()).any(|w| w == b"libX11")
    };
    assert!(holds_xlib(env!("CARGO_BIN_EXE_promptdeck-app")), "the check finds it where it is");
    assert!(!holds_xlib(env!("CARGO_BIN_EXE_promptdeck")), "the command line names Xlib");
}

/// The programs' relocations are packed (build.rs): the app's 50,000 pointer fix-ups
/// would otherwise be 1.2 MB read at every start and kept resident.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod packed_relocations {
    const SHT_RELA: u32 = 4;
    const SHT_RELR: u32 = 19;

    #[test]
    fn the_programs_relocations_are_packed() {
        for program in [env!("CARGO_BIN_EXE_promptdeck-app"), env!("CARGO_BIN_EXE_promptdeck")] {
            let elf = std::fs::read(program).expect("the program");
            let sections = elf_section_types(&elf);
            assert!(sections.contains(&SHT_RELA), "the reader finds {program}'s relocations");
            assert!(sections.contains(&SHT_RELR), "{program} has no packed relocations");
        }
    }

    /// The type of every section of a little-endian 64-bit ELF file.
    fn elf_section_types(elf: &[u8]) -> Vec<u32> {
        assert_eq!(&elf[..6], b"\x7fELF\x02\x01", "a little-endian 64-bit ELF file");
        let u16_at = |at: usize| u16::from_le_bytes(elf[at..at + 2].try_into().expect("2 bytes"));
        let u32_at = |at: usize| u32::from_le_bytes(elf[at..at + 4].try_into().expect("4 bytes"));
        let u64_at = |at: usize| u64::from_le_bytes(elf[at..at + 8].try_into().expect("8 bytes"));
        let headers = usize::try_from(u64_at(0x28)).expect("an offset");
        let (size, count) = (usize::from(u16_at(0x3a)), usize::from(u16_at(0x3c)));
        (0..count).map(|i| u32_at(headers + i * size + 4)).collect()
    }
}

/// Starting the app through `promptdeck` hands the process itself over (exec): the pid a
/// launcher or a test holds is the app's, so its signals and exit reach the app.
#[test]
fn the_command_line_hands_its_process_over_to_the_app() {
    let dir = tempfile::tempdir().expect("tempdir");
    let instance = Instance::start(dir.path(), &[]);
    let running = std::fs::read_link(format!("/proc/{}/exe", instance.child.id())).expect("exe");
    let app = std::fs::canonicalize(env!("CARGO_BIN_EXE_promptdeck-app")).expect("the app");
    assert_eq!(running, app);
    // Either program answers the commands.
    add(&instance, "through the command line", "1");
    let listed = Command::new(env!("CARGO_BIN_EXE_promptdeck-app"))
        .args(["list", "--json"])
        .env("PROMPTDECK_DATA_DIR", dir.path())
        .output()
        .expect("runs");
    assert!(stdout(&listed).contains("through the command line"), "{}", stderr(&listed));
}

/// The command line alone answers every command; what needs the app says it is missing.
#[test]
fn the_command_line_without_the_app_beside_it_says_what_is_missing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let instance = Instance::start(dir.path(), &[]);
    let alone = tempfile::tempdir().expect("tempdir");
    let program = alone.path().join("promptdeck");
    std::fs::copy(env!("CARGO_BIN_EXE_promptdeck"), &program).expect("copied");
    let run = |args: &[&str]| {
        Command::new(&program)
            .args(args)
            .env("PROMPTDECK_DATA_DIR", dir.path())
            .output()
            .expect("runs")
    };
    let status = run(&["status", "--json"]);
    assert!(status.status.success(), "{}", stderr(&status));
    let started = run(&["--headless"]);
    assert!(!started.status.success());
    let said = stderr(&started);
    assert!(said.contains("promptdeck-app") && said.contains("missing"), "{said}");
    assert!(instance.cli(&["status"]).status.success(), "the running instance is untouched");
}
