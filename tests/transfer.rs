//! `promptdeck import` and `export` with the real binary: a library goes out as JSON, CSV
//! and Markdown and comes back the same in another profile; a second import finds only
//! duplicates; a file with a bad entry imports nothing unless asked; thousands of prompts go
//! in as one batch.

mod support;

use support::{Instance, status, stderr, stdout, titles};

fn export_json(instance: &Instance) -> serde_json::Value {
    let out = instance.cli(&["export", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

#[test]
fn a_library_goes_out_and_comes_back_the_same_in_every_format() {
    let dirs = [(); 5].map(|_| tempfile::tempdir().expect("tempdir"));
    let source = Instance::start(dirs[0].path(), &[]);
    for (title, body, tag) in [
        ("Code review", "Review this diff:\n{{clipboard}}", "code"),
        ("Letter", "Dear {{name}}, {{tone:formal|casual}}", "writing"),
        ("Quotes, \"commas\"", "---\nnot front matter\n---\n", "misc"),
    ] {
        // `--body=` so that a body starting with dashes is not taken for a flag.
        let body = format!("--body={body}");
        let added = source.cli(&["add", "--title", title, &body, "--tag", tag]);
        assert!(added.status.success(), "{}", stderr(&added));
    }
    let original = export_json(&source);
    let files = dirs[1].path();
    for (format, out) in [("json", "library.json"), ("csv", "library.csv"), ("markdown", "library")]
    {
        let out = files.join(out);
        let written =
            source.cli(&["export", "--format", format, "--out", out.to_str().expect("path")]);
        assert!(written.status.success(), "{format}: {}", stderr(&written));
        assert!(stdout(&written).contains("exported 3 prompts"), "{}", stdout(&written));
    }

    for (dir, file) in
        [(&dirs[2], "library.json"), (&dirs[3], "library.csv"), (&dirs[4], "library")]
    {
        let target = Instance::start(dir.path(), &[]);
        let path = files.join(file);
        let imported = target.cli(&["import", path.to_str().expect("path")]);
        assert!(imported.status.success(), "{file}: {}", stderr(&imported));
        assert_eq!(stdout(&imported).trim(), "imported 3 prompts", "{file}");
        assert_eq!(export_json(&target)["prompts"], original["prompts"], "{file} round-trips");

        let again = target.cli(&["import", path.to_str().expect("path")]);
        assert!(again.status.success());
        let said = stdout(&again);
        assert!(said.starts_with("nothing new to import\n3 duplicates skipped:"), "{said}");
    }
}

#[test]
fn one_bad_entry_stops_the_import_unless_asked_and_a_big_batch_goes_in_whole() {
    let dirs = [(); 2].map(|_| tempfile::tempdir().expect("tempdir"));
    let instance = Instance::start(dirs[0].path(), &[]);
    let csv = dirs[1].path().join("prompts.csv");
    let long_title = "t".repeat(1001);
    std::fs::write(
        &csv,
        format!("title,body\nGood one,fine\n{long_title},too long\nAnother,fine too\n"),
    )
    .expect("written");
    let path = csv.to_str().expect("path");

    let refused = instance.cli(&["import", path]);
    assert!(!refused.status.success());
    let said = stderr(&refused);
    assert!(
        said.contains("nothing was imported") && said.contains("row 3: the title is 1001"),
        "{said}"
    );
    assert!(titles(&instance).is_empty(), "nothing half-applied");

    let dry = instance.cli(&["import", path, "--skip-invalid", "--dry-run"]);
    assert!(stdout(&dry).starts_with("would import 2 prompts"), "{}", stdout(&dry));
    assert!(titles(&instance).is_empty());

    let taken = instance.cli(&["import", path, "--skip-invalid"]);
    assert!(taken.status.success(), "{}", stderr(&taken));
    assert!(stdout(&taken).starts_with("imported 2 prompts\n1 entries cannot be imported:"));
    assert_eq!(titles(&instance).len(), 2);

    let many: Vec<serde_json::Value> = (0..5000)
        .map(|i| serde_json::json!({"title": format!("Bulk {i:05}"), "body": format!("body {i}"), "tags": ["bulk"]}))
        .collect();
    let bulk = dirs[1].path().join("bulk.json");
    std::fs::write(&bulk, serde_json::to_vec(&many).expect("json")).expect("written");
    let imported = instance.cli(&["import", bulk.to_str().expect("path")]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    assert_eq!(stdout(&imported).trim(), "imported 5000 prompts");
    assert_eq!(titles(&instance).len(), 5002);

    let not_utf8 = dirs[1].path().join("latin1.json");
    std::fs::write(&not_utf8, b"[{\"body\": \"caf\xe9\"}]").expect("written");
    let refused = instance.cli(&["import", not_utf8.to_str().expect("path")]);
    assert!(stderr(&refused).contains("not valid UTF-8"), "{}", stderr(&refused));
    let unknown = instance.cli(&["import", "/nonexistent/notes.txt"]);
    assert!(stderr(&unknown).contains("--format"), "{}", stderr(&unknown));
}

#[test]
fn a_hundred_thousand_prompts_go_in_at_once_and_show_as_soon_as_the_import_answers() {
    let dirs = [(); 2].map(|_| tempfile::tempdir().expect("tempdir"));
    let instance = Instance::start(dirs[0].path(), &[]);
    let many: Vec<serde_json::Value> = (0..100_000)
        .map(|i| {
            let body =
                format!("Prompt number {i}: summarise the meeting notes below in three bullets.");
            serde_json::json!({"title": format!("Bulk {i:06}"), "body": body, "tags": ["bulk"]})
        })
        .collect();
    let bulk = dirs[1].path().join("bulk.json");
    std::fs::write(&bulk, serde_json::to_vec(&many).expect("json")).expect("written");
    let path = bulk.to_str().expect("path");

    let imported = instance.cli(&["import", path]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    assert_eq!(stdout(&imported).trim(), "imported 100000 prompts");
    // The answer is a promise that every view already shows the batch.
    let health = status(dirs[0].path()).expect("status");
    assert_eq!(health["status"]["promptCount"], 100_000, "{health}");
    assert_eq!(health["status"]["pending"], 100_000);
    assert_eq!(titles(&instance).len(), 100_000);

    let again = instance.cli(&["import", path]);
    assert!(again.status.success(), "{}", stderr(&again));
    let report = stdout(&again);
    assert!(
        report.starts_with("nothing new to import\n100000 duplicates skipped:"),
        "{}",
        &report[..200.min(report.len())]
    );
    assert!(report.ends_with("… and 99950 more\n"), "the report is bounded");
    assert!(report.lines().count() < 60);
}
