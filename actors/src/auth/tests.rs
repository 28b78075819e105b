//! The AuthActor alone against a real provider: the single-flight refresh is seen from the
//! provider's side, by counting its refresh requests.

use std::sync::Arc;
use std::time::Duration;

use ractor::Actor;
use ractor::rpc::CallResult;

use super::*;
use crate::status::RuntimeStatus;

#[path = "../../tests/support/oidc.rs"]
mod oidc;

const WAIT: Option<Duration> = Some(Duration::from_secs(30));

async fn signed_in(provider: &oidc::Provider, dir: &std::path::Path) -> ActorRef<AuthMsg> {
    let settings = ProviderSettings {
        issuer: provider.issuer.clone(),
        client_id: oidc::CLIENT_ID.into(),
        scopes: vec!["openid".into(), "offline_access".into()],
    };
    let open: BrowserOpener = Arc::new(|url: &str| {
        let url = url.to_owned();
        tokio::spawn(async move { reqwest::get(url).await.map(drop) });
        Ok(())
    });
    let config = AuthConfig::new(SignInSource::Provider(settings), TokenVault::file_in(dir), open);
    let status = StatusBoard::new(RuntimeStatus::default());
    let args = AuthArgs { config: Some(config), status, account_changed: Arc::new(|| {}) };
    let (auth, _) = Actor::spawn(None, AuthActor, args).await.expect("spawns");
    let url = auth.call(AuthMsg::SignIn, WAIT).await.expect("asked");
    assert!(matches!(url, CallResult::Success(Ok(_))));
    let signed_in = auth.call(AuthMsg::AwaitSignIn, WAIT).await.expect("asked");
    assert!(matches!(signed_in, CallResult::Success(Ok(_))));
    auth
}

async fn token(auth: &ActorRef<AuthMsg>, message: impl FnOnce(TokenReply) -> AuthMsg) -> String {
    match auth.call(message, WAIT).await.expect("asked") {
        CallResult::Success(Ok(Some(token))) => token,
        other => panic!("no token: {:?}", other.map(|_| ())),
    }
}

type TokenReply = RpcReplyPort<Result<Option<String>, AuthError>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_callers_refused_at_once_cause_one_refresh() {
    let provider = oidc::Provider::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let auth = signed_in(&provider, dir.path()).await;
    let first = token(&auth, AuthMsg::AccessToken).await;
    let before = provider.stats().await;

    let refused = (0..20).map(|_| {
        let first = first.clone();
        token(&auth, move |reply| AuthMsg::Rejected(first, reply))
    });
    let fresh = futures::future::join_all(refused).await;

    assert_ne!(fresh[0], first);
    assert!(fresh.iter().all(|t| *t == fresh[0]), "every caller got the one new token");
    assert_eq!(token(&auth, AuthMsg::AccessToken).await, fresh[0]);
    let after = provider.stats().await;
    assert_eq!(after.refreshes, before.refreshes + 1, "{after:?}");
    assert_eq!(after.reuses, 0);
    auth.stop(None);
}
