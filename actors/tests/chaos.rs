//! Chaos network: three devices edit the same library for a while (`PROMPTDECK_CHAOS_SECS`,
//! 20 by default; the proof script runs minutes) through a proxy that keeps switching
//! between passing, lateness and slow drips, resets, 500s, garbage, silence, answers cut
//! after the server did the work, and refusals. Then the network heals: every device ends
//! with the server's library, and the server processed every mutation exactly once.

mod support;

use std::time::Duration;

use promptdeck_actors::{PromptDraft, RequestError, RuntimeHandle, SyncStatus};
use promptdeck_figures::{Figure, Goal, Kind, Section, report};
use support::proxy::{Fault, FaultProxy};
use support::version::server_version;
use support::{TestServer, dirs, runtime, wait_until};

const FAULTS: [Fault; 10] = [
    Fault::None,
    Fault::None,
    Fault::Slow,
    Fault::Reset,
    Fault::ServerError,
    Fault::Garbage,
    Fault::Hang,
    Fault::CutAfterWork,
    Fault::Refuse,
    Fault::Slow,
];

/// Edits for `until`: creates, edits of its own and others' prompts, uses, a few deletes.
/// Returns how many mutations it made (every one is saved locally at once).
async fn edit_until(device: RuntimeHandle, name: char, until: tokio::time::Instant) -> u64 {
    let mut made = 0;
    let mut n = 0;
    while tokio::time::Instant::now() < until {
        n += 1;
        let known = device.all_prompts().await.expect("reads");
        let pick = (!known.is_empty()).then(|| known[fastrand::usize(..known.len())].clone());
        let edited = pick.as_ref().map(|prompt| prompt.id.clone());
        let outcome = match (fastrand::u8(..10), pick) {
            (0..=3, _) | (_, None) => {
                let draft = PromptDraft {
                    title: format!("{name}{n}"),
                    body: format!("written by {name}"),
                    tags: vec![name.to_string()],
                };
                device.create(draft).await.map(drop)
            }
            (4..=6, Some(prompt)) => {
                let draft = PromptDraft {
                    title: prompt.title.clone(),
                    body: format!(
                        "{} / edited by {name}{n}",
                        prompt.body.chars().take(200).collect::<String>()
                    ),
                    tags: prompt.tags.clone(),
                };
                device.update(&prompt.id, draft).await.map(drop)
            }
            (7..=8, Some(prompt)) => device.mark_used(&prompt.id).await.map(drop),
            (_, Some(prompt)) => device.delete(&prompt.id).await.map(drop),
        };
        match outcome {
            Ok(()) => made += 1,
            // Another device deleted the prompt and a pull brought that in between the read
            // and the edit: the edit is refused here, as it would be on the server, and was
            // never a mutation to count. The refusal names the missing prompt: a read after it
            // would race the next pull.
            Err(RequestError::NoSuchPrompt(id)) if edited.as_ref() == Some(&id) => {}
            Err(e) => panic!("a local write never fails for the network: {e:?}"),
        }
        tokio::time::sleep(Duration::from_millis(fastrand::u64(40..160))).await;
    }
    made
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_devices_through_a_chaotic_network_converge_with_every_mutation_applied_once() {
    let seconds: u64 =
        std::env::var("PROMPTDECK_CHAOS_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(20);
    let (root, db) = dirs();
    let server = TestServer::start(&db, None);
    let proxy = FaultProxy::start(server.addr).await;
    let mut devices = Vec::new();
    for name in ['a', 'b', 'c'] {
        devices.push(runtime(&root.path().join(name.to_string()), &proxy.url()).await);
    }
    let until = tokio::time::Instant::now() + Duration::from_secs(seconds);
    let editors: Vec<_> = devices
        .iter()
        .zip(['a', 'b', 'c'])
        .map(|(device, name)| tokio::spawn(edit_until(device.handle(), name, until)))
        .collect();
    let mut switches = 0;
    while tokio::time::Instant::now() < until {
        proxy.set(FAULTS[fastrand::usize(..FAULTS.len())]);
        switches += 1;
        tokio::time::sleep(Duration::from_millis(fastrand::u64(150..500))).await;
    }
    let mut made = 0;
    for editor in editors {
        made += editor.await.expect("the editor ran");
    }

    proxy.set(Fault::None);
    let handles: Vec<RuntimeHandle> = devices.iter().map(|d| d.handle()).collect();
    // Two passes: the second pulls what the others pushed in the first. A round already under
    // way when the network healed may still end in the fault it started in; the next goes
    // through.
    for _ in 0..2 {
        for device in &handles {
            let mut rounds = 0;
            while let Err(e) = device.sync_now().await {
                rounds += 1;
                assert!(rounds < 5, "no round through the healed network: {e}");
            }
        }
    }
    for device in &handles {
        wait_until(device, "caught up", |s| s.pending == 0 && s.sync == SyncStatus::Idle).await;
    }

    let libraries: Vec<_> = futures::future::join_all(handles.iter().map(|d| d.all_prompts()))
        .await
        .into_iter()
        .map(|l| {
            let mut l = l.expect("reads");
            l.sort_by(|a, b| a.id.cmp(&b.id));
            l
        })
        .collect();
    assert!(libraries[0] == libraries[1] && libraries[1] == libraries[2], "the devices agree");

    let fresh = runtime(&root.path().join("fresh"), &server.url()).await;
    fresh.handle().sync_now().await.expect("pulls straight from the server");
    let mut on_server = fresh.handle().all_prompts().await.expect("reads");
    on_server.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(on_server, libraries[0], "and agree with the server");

    let processed = server_version(&server.url(), "shared").await;
    assert_eq!(processed, made as i64, "{made} mutations, each processed exactly once");
    assert!(switches >= seconds, "the network kept changing: {switches} switches");
    let command = format!("PROMPTDECK_CHAOS_SECS={seconds} cargo test --workspace --test chaos");
    let mut report = report!(Kind::Test, "chaos", &command);
    report.add(
        Figure::count(
            Section::Reliability,
            "chaos network: mutations three devices made through a proxy switching between lateness, drips, resets, 500s, garbage, silence, cut answers and refusals",
            made,
            "mutations",
        )
        .detail(format!("{seconds} s, {switches} switches of fault")),
    );
    report.add(
        Figure::count(
            Section::Reliability,
            "chaos network: mutations lost or processed twice (the server's version against the count made; devices and server compared prompt by prompt)",
            0,
            "mutations",
        )
        .goal(Goal::AtMost(0.0))
        .headline(),
    );
    report.write().expect("writes its record");
    for device in devices {
        device.shutdown().await;
    }
    fresh.shutdown().await;
}
