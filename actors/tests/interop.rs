//! A Promptdeck runtime and the official `replicache` 15 client (in Node, driven through
//! tests/interop/driven.mjs) share a library through the real server: each sees the
//! other's prompts, and edits made on both sides at once converge to the same state.

mod support;

use support::converge::both_sides_edit_and_converge;
use support::node::OfficialClient;
use support::{TestServer, dirs, runtime};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promptdeck_and_the_official_client_see_each_others_prompts_and_converge() {
    let (root, db) = dirs();
    let server = TestServer::start(&db, None);
    let ours = runtime(&root.path().join("ours"), &server.url()).await;
    let url = |path: &str| format!("{}/api/replicache/{path}?space=shared", server.url());
    let mut theirs = OfficialClient::start(&url("push"), &url("pull"), "Bearer local");
    both_sides_edit_and_converge(&ours.handle(), &mut theirs).await;
}
