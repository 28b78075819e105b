//! Every format round-trips what it holds; imports report duplicates and bad entries one by
//! one; espanso's matches become prompts with our placeholders.

use std::collections::BTreeMap;

use promptdeck_protocol::{MemoryKv, Prompt, PromptId};
use proptest::prelude::*;

use super::*;

fn prompt(id: &str, title: &str, body: &str, tags: &[&str]) -> Prompt {
    serde_json::from_value(serde_json::json!({
        "id": id, "title": title, "body": body, "tags": tags,
        "createdAt": 1_700_000_000_000i64, "updatedAt": 1_700_000_500_000i64,
        "useCount": 3, "lastUsedAt": 1_700_000_900_000i64
    }))
    .expect("a prompt")
}

fn tricky() -> Vec<Prompt> {
    vec![
        prompt("01AAA", "Code review", "Review this diff:\n{{clipboard}}\n", &["code", "review"]),
        prompt("01BBB", "Quotes \"and\", commas: yes", "---\nnot front matter\n---\n", &[]),
        prompt("01CCC", "Ünïcödé — 日本語", "  leading and trailing spaces  ", &["i18n"]),
        prompt("01DDD", "Code review", "same title, other body", &[]),
    ]
}

/// The library an import makes from nothing: its mutations applied as the runtime would.
fn imported(read: Read) -> Vec<Prompt> {
    let plan = plan(read, &[], 42);
    assert_eq!((plan.duplicates.len(), plan.errors.len()), (0, 0), "{plan:?}");
    let mut kv = MemoryKv::default();
    for mutation in &plan.mutations {
        mutation.apply(&mut kv).expect("applies");
    }
    let mut prompts: Vec<Prompt> =
        kv.0.values().map(|v| serde_json::from_value(v.clone()).expect("a prompt")).collect();
    prompts.sort_by(|a, b| a.id.cmp(&b.id));
    prompts
}

fn through(format: Format, prompts: &[Prompt]) -> Vec<Prompt> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = match format {
        Format::Markdown => dir.path().join("export"),
        _ => dir.path().join("export.file"),
    };
    export(format, prompts, Some(&path)).expect("exported");
    imported(read(&path, format).expect("read back"))
}

#[test]
fn json_csv_and_markdown_bring_back_every_field() {
    for format in [Format::Json, Format::Csv, Format::Markdown] {
        assert_eq!(through(format, &tricky()), tricky(), "{format:?}");
    }
}

#[test]
fn without_out_json_and_csv_come_back_as_text_and_markdown_wants_a_folder() {
    let json = export(Format::Json, &tricky(), None).expect("json").expect("text");
    assert!(json.contains("\"promptdeck\": 1") && json.contains("Ünïcödé"));
    let csv = export(Format::Csv, &tricky(), None).expect("csv").expect("text");
    assert!(csv.starts_with("id,title,body,tags,"));
    let refused = export(Format::Markdown, &tricky(), None).expect_err("a folder is needed");
    assert!(matches!(refused, TransferError::MarkdownNeedsAFolder), "{refused}");
    let refused = export(Format::Espanso, &tricky(), None).expect_err("import only");
    assert!(matches!(refused, TransferError::EspansoIsImportOnly), "{refused}");
}

#[test]
fn duplicates_and_bad_entries_are_reported_one_by_one_and_skipped() {
    let existing = vec![prompt("01AAA", "Code review", "Review this diff", &[])];
    let json = serde_json::json!({"promptdeck": 1, "prompts": [
        {"id": "01AAA", "title": "Another title", "body": "x"},
        {"title": "Code review", "body": "Review this diff"},
        {"title": "New one", "body": "fresh"},
        {"title": "New one", "body": "fresh"},
        {"title": "t".repeat(1001), "body": "too long a title"},
        {"title": "Bad tag", "body": "b", "tags": ["has space"]},
        {"title": "No body"},
        {"body": "Untitled body\nsecond line"}
    ]});
    let plan = plan(json::read(&json.to_string()).expect("read"), &existing, 7);
    assert_eq!(plan.prompts, 2, "{plan:?}");
    assert_eq!(plan.duplicates.len(), 3, "{:?}", plan.duplicates);
    assert!(
        plan.duplicates[0].starts_with("prompts[0]: ") && plan.duplicates[0].contains("same id")
    );
    assert!(plan.duplicates[1].contains("same title and text"));
    assert!(plan.duplicates[2].starts_with("prompts[3]: "));
    assert_eq!(plan.errors.len(), 3, "{:?}", plan.errors);
    assert!(plan.errors.iter().any(|e| e.starts_with("prompts[6]: ") && e.contains("body")));
    assert!(
        plan.errors.iter().any(|e| e.starts_with("prompts[4]: ") && e.contains("limit is 1000"))
    );
    assert!(plan.errors.iter().any(|e| e.starts_with("prompts[5]: ") && e.contains("has space")));
    let created: Vec<String> = plan
        .mutations
        .iter()
        .filter_map(|m| match m {
            Mutation::CreatePrompt(c) => Some(c.title.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(created, ["New one", "Untitled body"], "a missing title is the first line");
}

/// A prompt whose every text starts as a spreadsheet formula, or as its guard.
fn formula_prompt(id: &str, title: &str, body: &str) -> Prompt {
    prompt(id, title, body, &[])
}

#[test]
fn csv_cells_a_spreadsheet_would_run_are_written_inert_and_read_back_exactly() {
    let prompts = vec![
        formula_prompt("a", "=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0"),
        formula_prompt("b", "-2+3", "@SUM(1)"),
        formula_prompt("c", "\tTabbed", "\rreturn"),
        formula_prompt("d", "'=already quoted", "''"),
        formula_prompt("e", "'plain quote", "'"),
    ];
    let text = export(Format::Csv, &prompts, None).expect("csv").expect("text");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    for record in reader.records() {
        for cell in record.expect("a row").iter() {
            let first = cell.chars().next();
            assert!(
                !first.is_some_and(|c| ['=', '+', '-', '@', '\t', '\r'].contains(&c)),
                "a cell a spreadsheet would run: {cell:?}"
            );
        }
    }
    let read = csv_format::read(&text).expect("read");
    let back: Vec<(String, String)> =
        read.items.into_iter().map(|item| (item.title, item.body)).collect();
    let written: Vec<(String, String)> = prompts.into_iter().map(|p| (p.title, p.body)).collect();
    assert_eq!(back, written, "every text comes back exactly");
}

#[test]
fn csv_needs_its_columns_and_names_bad_rows() {
    let refused = csv_format::read("name,text\na,b\n").expect_err("no title column");
    assert!(refused.to_string().contains("\"title\""), "{refused}");
    let read = csv_format::read("Title,Body,Tags,use_count\nA,\"x, y\",#a b,2\nB,z,,many\n")
        .expect("read");
    assert_eq!(read.items.len(), 1);
    assert_eq!(read.items[0].tags, ["a", "b"]);
    assert_eq!(read.items[0].body, "x, y");
    assert_eq!(read.unreadable, ["row 3: use_count \"many\" is not a number"]);
}

#[test]
fn markdown_files_without_front_matter_or_with_foreign_keys_are_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("plain-note.md"), "Just a body\n").expect("written");
    std::fs::write(
        dir.path().join("vault.md"),
        "---\naliases: [x]\ntitle: From a vault\ntags: writing, draft\ncreated: 2026-01-02T03:04:05Z\n---\nBody",
    )
    .expect("written");
    std::fs::write(dir.path().join("broken.md"), "---\ntitle: [unclosed\n---\nx").expect("written");
    std::fs::write(dir.path().join("ignored.txt"), "not markdown").expect("written");
    let read = read(dir.path(), Format::Markdown).expect("read");
    assert_eq!(read.items.len(), 2);
    assert_eq!(
        (read.items[0].title.as_str(), read.items[0].body.as_str()),
        ("plain note", "Just a body\n")
    );
    assert_eq!(read.items[1].title, "From a vault");
    assert_eq!(read.items[1].tags, ["writing", "draft"]);
    assert_eq!(read.items[1].created_at, Some(1_767_323_045_000));
    assert_eq!(read.unreadable.len(), 1);
    assert!(read.unreadable[0].starts_with("broken.md: "), "{:?}", read.unreadable);
}

#[test]
fn espanso_matches_become_prompts_with_our_placeholders() {
    let yaml = r#"
matches:
  - trigger: ":greet"
    replace: "Hello {{name}}, today is {{today}}. {{clip}} $|$"
    vars:
      - name: today
        type: date
        params:
          format: "%d/%m/%Y"
      - name: clip
        type: clipboard
      - name: name
        type: shell
        params:
          cmd: "whoami"
  - triggers: [":sig", ":signature"]
    label: Signature
    replace: "{{who}}"
    vars:
      - name: who
        type: echo
        params:
          echo: "Ada {{Lovelace}}"
  - trigger: ":form"
    form: "Dear [[name]], [[tone]] regards"
    form_fields:
      tone:
        type: choice
        values: [warm, kind]
  - trigger: ":img"
    image_path: "/tmp/cat.png"
"#;
    let read = espanso::read(yaml).expect("read");
    let bodies: Vec<(&str, &str)> =
        read.items.iter().map(|i| (i.title.as_str(), i.body.as_str())).collect();
    assert_eq!(
        bodies,
        [
            (":greet", "Hello {{name}}, today is {{date:%d/%m/%Y}}. {{clipboard}} {{cursor}}"),
            ("Signature", "Ada \\{{Lovelace}}"),
            (":form", "Dear {{name}}, {{tone:warm|kind}} regards"),
        ]
    );
    assert!(read.items.iter().all(|i| i.tags == ["espanso"]));
    assert_eq!(read.unreadable, ["matches[3]: an image match; only text is imported"]);
    assert!(espanso::read("matches: 12").is_err());
}

#[test]
fn a_file_that_is_not_utf8_is_refused_with_where() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.json");
    std::fs::write(&path, b"[{\"body\": \"ok \xff\"}]").expect("written");
    let refused = read(&path, Format::Json).expect_err("refused");
    assert!(matches!(refused, TransferError::NotUtf8 { offset: 14, .. }), "{refused}");
}

#[test]
fn formats_are_guessed_from_the_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let guess = |path: &Path| guess_format(path).ok();
    assert_eq!(guess(dir.path()), Some(Format::Markdown));
    assert_eq!(guess(Path::new("x.JSON")), Some(Format::Json));
    assert_eq!(guess(Path::new("x.csv")), Some(Format::Csv));
    assert_eq!(guess(Path::new("base.yml")), Some(Format::Espanso));
    let refused = guess_format(Path::new("notes.txt")).expect_err("unknown");
    assert!(matches!(refused, TransferError::UnknownFormat(_)), "{refused}");
}

fn any_prompt() -> impl Strategy<Value = Prompt> {
    let text = "\\PC{0,40}";
    let tag = "[a-z0-9_-]{1,8}";
    (
        "[0-9A-Z]{4,12}",
        text,
        "(\\PC|\n|\r\n){0,120}",
        proptest::collection::vec(tag, 0..4),
        0i64..4_000_000_000_000,
        0u64..4,
    )
        .prop_map(|(id, title, body, tags, created, uses)| {
            let value = serde_json::json!({
                "id": id, "title": title.trim(), "body": body, "tags": tags,
                "createdAt": created, "updatedAt": created + 1000,
                "useCount": uses, "lastUsedAt": if uses > 0 { Some(created + 2000) } else { None }
            });
            serde_json::from_value(value).expect("a prompt")
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_library_round_trips_through_every_format(
        prompts in proptest::collection::vec(any_prompt(), 1..6)
    ) {
        // One prompt per id and per title-and-body, as a library holds them.
        let mut unique: BTreeMap<PromptId, Prompt> = BTreeMap::new();
        for p in prompts {
            if p.title.is_empty() || unique.values().any(|q| q.title == p.title && q.body == p.body) {
                continue;
            }
            unique.insert(p.id.clone(), p);
        }
        let prompts: Vec<Prompt> = unique.into_values().collect();
        prop_assume!(!prompts.is_empty());
        for format in [Format::Json, Format::Csv, Format::Markdown] {
            prop_assert_eq!(through(format, &prompts), prompts.clone(), "{:?}", format);
        }
    }
}

/// An entry as a hostile file may hold it.
fn incoming(title: &str, use_count: u64) -> Incoming {
    Incoming {
        source: "prompts[0]".into(),
        title: title.into(),
        body: "body".into(),
        use_count,
        ..Incoming::default()
    }
}

#[test]
fn a_claimed_use_count_in_the_billions_is_capped_and_said() {
    let read = Read { items: vec![incoming("Busy", u64::MAX)], unreadable: vec![] };
    let plan = plan(read, &[], 1);
    let uses = plan.mutations.iter().filter(|m| matches!(m, Mutation::MarkPromptUsed(_))).count();
    assert_eq!(uses as u64, MAX_IMPORTED_USES);
    assert_eq!(plan.prompts, 1);
    assert!(plan.trimmed[0].contains("18446744073709551615 uses"), "{:?}", plan.trimmed);
}

#[test]
fn espanso_variables_never_expand_each_other() {
    // Each variable names the next one twice: expanded in turn, 30 of them make 2^30 copies.
    let mut yaml =
        String::from("matches:\n  - trigger: \":bomb\"\n    replace: \"{{v0}}\"\n    vars:\n");
    for n in 0..30 {
        let echo =
            if n == 29 { "x".to_owned() } else { format!("{{{{v{}}}}}{{{{v{}}}}}", n + 1, n + 1) };
        yaml.push_str(&format!(
            "      - name: v{n}\n        type: echo\n        params:\n          echo: \"{echo}\"\n"
        ));
    }
    let read = espanso::read(&yaml).expect("read");
    assert_eq!(read.items.len(), 1, "{:?}", read.unreadable);
    assert_eq!(read.items[0].body, "\\{{v1}}\\{{v1}}", "filled once, as written");
}

#[test]
fn espanso_variables_that_would_pass_the_body_limit_are_refused_as_they_build() {
    let big = "y".repeat(600 * 1024);
    let yaml = format!(
        "matches:\n  - trigger: \":big\"\n    replace: \"{{{{a}}}}{{{{a}}}}\"\n    vars:\n      - name: a\n        type: echo\n        params:\n          echo: \"{big}\"\n"
    );
    let read = espanso::read(&yaml).expect("read");
    assert!(read.items.is_empty());
    assert!(read.unreadable[0].contains("over the 1 MiB limit"), "{:?}", read.unreadable);
}

#[test]
fn a_file_over_the_import_cap_is_refused_unread() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("huge.json");
    // Sparse: as large as it says, with no disk behind it.
    std::fs::File::create(&path).expect("created").set_len(MAX_IMPORT_BYTES + 1).expect("sized");
    let refused = read(&path, Format::Json).expect_err("too large");
    assert!(matches!(refused, TransferError::TooLarge { .. }), "{refused}");
}

// Windows makes symbolic links for administrators only.
#[cfg(unix)]
#[test]
fn markdown_import_skips_symbolic_links_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("real.md"), "A real prompt").expect("written");
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, "a secret outside the folder").expect("written");
    std::os::unix::fs::symlink(&secret, dir.path().join("link.md")).expect("linked");
    let read = markdown::read(dir.path()).expect("read");
    let bodies: Vec<&str> = read.items.iter().map(|i| i.body.as_str()).collect();
    assert_eq!(bodies, ["A real prompt"]);
    assert!(read.unreadable[0].starts_with("link.md: a symbolic link"), "{:?}", read.unreadable);
}
