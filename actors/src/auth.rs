//! AuthActor: signs in through the system browser (OAuth 2.0 code flow with PKCE and a
//! loopback redirect), keeps the refresh token in the vault and the access token in memory,
//! and refreshes ahead of expiry. Every caller asks through the mailbox, so a refresh runs
//! once however many callers need a token at the same moment, and a rotated refresh token
//! is never used twice.

mod keyring;
mod provider;
mod redirect;
mod vault;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use tokio::task::JoinHandle;

pub use provider::{ProviderSettings, SignInSource};
pub use vault::TokenVault;

use crate::status::{Account, StatusBoard};
use provider::{Grant, Provider};
use redirect::Loopback;
use vault::{Kept, StoredSignIn, VaultError};

/// What `status` says while the keyring holds a sign-in a sign-out could not remove.
fn keyring_kept() -> String {
    format!(
        "{} still holds the signed-out sign-in; it is not used, and removed as soon as the keyring answers",
        keyring::NAME
    )
}

/// Opens a URL in the user's browser.
pub type BrowserOpener = Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// Why no token could be had.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AuthError {
    #[error("not signed in; sign in to sync")]
    NeedsSignIn,
    #[error("the sign-in provider cannot be reached: {0}")]
    Offline(String),
    #[error("the provider refused: {0}")]
    Refused(String),
    #[error(
        "the answer that reached Promptdeck does not belong to the sign-in it started (its state does not match)"
    )]
    StateMismatch,
    #[error("the sign-in was cancelled")]
    Cancelled,
    #[error("the sign-in did not finish within {0} seconds")]
    TimedOut(u64),
    #[error("this server needs no sign-in")]
    NotNeeded,
    #[error("{0}")]
    Provider(String),
    #[error(transparent)]
    Unencrypted(#[from] crate::transport::Unencrypted),
    #[error(transparent)]
    Untrusted(#[from] crate::transport::Untrusted),
}

pub(crate) enum AuthMsg {
    /// Reads the saved sign-in; sent by the actor to itself as it starts. No reply.
    Load,
    /// Reply: a token valid now (`None` when the server needs none), refreshed first if it
    /// is due.
    AccessToken(RpcReplyPort<Result<Option<String>, AuthError>>),
    /// The server refused this token. Reply: a fresh one; if the token was already
    /// replaced, the replacement, without another refresh.
    Rejected(String, RpcReplyPort<Result<Option<String>, AuthError>>),
    /// The access token is due for refresh; sent by the actor to itself. No reply.
    RefreshDue,
    /// Starts a browser sign-in, or joins the one under way. Reply: the URL opened.
    SignIn(RpcReplyPort<Result<String, AuthError>>),
    /// Reply: how the sign-in under way ends (at once if none is), and where the sign-in
    /// is kept.
    AwaitSignIn(RpcReplyPort<Result<String, AuthError>>),
    /// The browser sign-in's outcome; from its task. No reply.
    SignInEnded(Result<(Grant, Provider), AuthError>),
    CancelSignIn,
    /// Forgets the tokens; sync stops. Reply: once the vault is cleared, or what of it the
    /// keyring kept (removed later).
    SignOut(RpcReplyPort<Result<SignedOut, AuthError>>),
    /// Tries again to remove what a sign-out left in the keyring; sent by the actor to
    /// itself. No reply.
    FinishSignOut,
    /// Signs in as `config` says from now on, or not at all (no server, a fixed token): a
    /// sign-in under way ends, the tokens in memory go, and the saved sign-in is read
    /// again. Reply: once done.
    Configure(Option<AuthConfig>, RpcReplyPort<()>),
    /// Fails the actor, as a bug would, so tests can watch the supervisor restart it.
    #[cfg(test)]
    Fail,
}

/// How a sign-out ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignedOut {
    /// Nothing of the sign-in is left on this device.
    Completely,
    /// The keyring did not remove the saved sign-in: it is not used, and removed as soon as
    /// the keyring answers. That, and why, for the user.
    KeyringPending(String),
}

/// Tells every SyncActor that the account changed, so each shows it at once.
pub(crate) type AccountChanged = Arc<dyn Fn() + Send + Sync>;

#[derive(Clone)]
pub struct AuthConfig {
    pub source: SignInSource,
    pub vault: TokenVault,
    pub open_browser: BrowserOpener,
    /// How long a browser sign-in may take before it is given up.
    pub sign_in_timeout: Duration,
    /// The share of an access token's lifetime after which it is refreshed.
    pub refresh_at: f64,
    /// The user accepts a provider in plain HTTP on another machine (see
    /// [`crate::check_encrypted`]).
    pub allow_unencrypted_http: bool,
    /// Certificate authorities trusted beside the public and the system's.
    pub ca_file: Option<crate::CaFile>,
}

impl AuthConfig {
    pub const DEFAULT_SIGN_IN_TIMEOUT: Duration = Duration::from_secs(300);

    pub fn new(source: SignInSource, vault: TokenVault, open_browser: BrowserOpener) -> Self {
        Self {
            source,
            vault,
            open_browser,
            sign_in_timeout: Self::DEFAULT_SIGN_IN_TIMEOUT,
            refresh_at: 0.8,
            allow_unencrypted_http: false,
            ca_file: None,
        }
    }
}

pub(crate) struct AuthActor;

pub(crate) struct AuthArgs {
    /// `None`: this profile signs in nowhere; the actor says so.
    pub config: Option<AuthConfig>,
    pub status: StatusBoard,
    pub account_changed: AccountChanged,
}

/// An access token and when it must be replaced, by the wall clock: monotonic timers stop
/// while the machine sleeps, the token's lifetime does not.
struct AccessToken {
    secret: String,
    refresh_after: Option<SystemTime>,
    expires_at: Option<SystemTime>,
}

struct SignInFlow {
    url: String,
    task: JoinHandle<()>,
    waiting: Vec<RpcReplyPort<Result<String, AuthError>>>,
}

pub(crate) struct AuthState {
    config: Option<AuthConfig>,
    status: StatusBoard,
    account_changed: AccountChanged,
    /// Made at its first use: loading the system's certificates costs a start milliseconds,
    /// and a library that syncs with no one never uses it.
    http: Option<reqwest::Client>,
    /// Where to sign in; `Some(None)` once the server said it needs no sign-in.
    provider: Option<Option<Provider>>,
    stored: Option<StoredSignIn>,
    access: Option<AccessToken>,
    flow: Option<SignInFlow>,
    refresh_timer: Option<JoinHandle<Result<(), ractor::MessagingErr<AuthMsg>>>>,
    failed_refreshes: u32,
    /// Where the refresh token is, once it was saved or read in this run.
    kept: Option<Kept>,
    /// The pause before trying again to remove what a sign-out left in the keyring.
    finish_sign_out_after: Duration,
}

/// The first and the longest pause between tries to remove a sign-in from the keyring.
const FINISH_SIGN_OUT_FIRST: Duration = Duration::from_secs(1);
const FINISH_SIGN_OUT_MOST: Duration = Duration::from_secs(60);

impl Actor for AuthActor {
    type Msg = AuthMsg;
    type State = AuthState;
    type Arguments = AuthArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<AuthMsg>,
        args: AuthArgs,
    ) -> Result<AuthState, ActorProcessingErr> {
        // A keyring can take seconds to answer (or to give up on an unlock prompt): the
        // tree must not wait for it to start. Loading is the first message in the mailbox,
        // so every request for a token comes after it.
        myself.send_message(AuthMsg::Load)?;
        Ok(AuthState {
            http: None,
            provider: None,
            config: args.config,
            status: args.status,
            account_changed: args.account_changed,
            stored: None,
            access: None,
            flow: None,
            refresh_timer: None,
            failed_refreshes: 0,
            kept: None,
            finish_sign_out_after: FINISH_SIGN_OUT_FIRST,
        })
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<AuthMsg>,
        state: &mut AuthState,
    ) -> Result<(), ActorProcessingErr> {
        if let Some(flow) = state.flow.take() {
            flow.task.abort();
        }
        state.refresh_timer.iter().for_each(JoinHandle::abort);
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<AuthMsg>,
        message: AuthMsg,
        state: &mut AuthState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            AuthMsg::Load => state.load(&myself).await,
            AuthMsg::AccessToken(reply) => {
                let _ = reply.send(state.access_token(&myself).await);
            }
            AuthMsg::Rejected(token, reply) => {
                let _ = reply.send(state.after_rejection(&myself, &token).await);
            }
            AuthMsg::RefreshDue => state.refresh_due(&myself).await,
            AuthMsg::SignIn(reply) => {
                let _ = reply.send(state.start_sign_in(&myself).await);
            }
            AuthMsg::AwaitSignIn(reply) => match &mut state.flow {
                Some(flow) => flow.waiting.push(reply),
                None if state.config.is_none() => drop(reply.send(Err(AuthError::NotNeeded))),
                None if state.stored.is_some() => drop(reply.send(Ok(state.kept_in()))),
                None => drop(reply.send(Err(AuthError::NeedsSignIn))),
            },
            AuthMsg::SignInEnded(outcome) => state.end_sign_in(&myself, outcome).await,
            AuthMsg::CancelSignIn => {
                if let Some(flow) = &state.flow {
                    flow.task.abort();
                }
                state.end_sign_in(&myself, Err(AuthError::Cancelled)).await;
            }
            AuthMsg::SignOut(reply) => {
                let _ = reply.send(state.sign_out(&myself).await);
            }
            AuthMsg::FinishSignOut => state.finish_sign_out(&myself).await,
            AuthMsg::Configure(config, reply) => {
                state.configure(&myself, config).await;
                let _ = reply.send(());
            }
            #[cfg(test)]
            AuthMsg::Fail => return Err("a test failed this AuthActor".into()),
        }
        Ok(())
    }
}

impl AuthState {
    /// Ends what the old configuration started and reads the saved sign-in of the new one.
    async fn configure(&mut self, myself: &ActorRef<AuthMsg>, config: Option<AuthConfig>) {
        if let Some(flow) = &self.flow {
            flow.task.abort();
        }
        self.end_sign_in(myself, Err(AuthError::Cancelled)).await;
        self.refresh_timer.take().iter().for_each(JoinHandle::abort);
        self.provider = None;
        self.stored = None;
        self.access = None;
        self.kept = None;
        self.failed_refreshes = 0;
        self.http = None;
        self.config = config;
        self.load(myself).await;
    }

    async fn load(&mut self, myself: &ActorRef<AuthMsg>) {
        let Some(config) = &self.config else {
            self.status.update(|s| s.account = Account::NotNeeded);
            return;
        };
        let loaded = config.vault.load().await.unwrap_or_else(|reason| {
            tracing::warn!(%reason, "the saved sign-in cannot be used");
            None
        });
        if config.vault.removal_pending() {
            self.status.update(|s| s.sign_out_unfinished = Some(keyring_kept()));
            self.schedule_finish_sign_out(myself);
        }
        let account = if loaded.is_some() { Account::SignedIn } else { Account::SignedOut };
        self.status.update(|s| s.account = account);
        if let Some((stored, kept)) = loaded {
            self.provider = Some(Some(stored.provider.clone()));
            self.stored = Some(stored);
            self.kept = Some(kept);
            // An access token now, so the first sync does not wait for one.
            self.refresh_due(myself).await;
        }
    }

    async fn access_token(
        &mut self,
        myself: &ActorRef<AuthMsg>,
    ) -> Result<Option<String>, AuthError> {
        if let Some(access) = &self.access
            && !access.due()
        {
            return Ok(Some(access.secret.clone()));
        }
        if self.stored.is_none() {
            return match self.provider().await? {
                None => Ok(None),
                Some(_) => Err(AuthError::NeedsSignIn),
            };
        }
        match self.refresh(myself).await {
            // A token that is due but not expired still works while the provider is away.
            Err(AuthError::Offline(reason)) => match &self.access {
                Some(access) if !access.expired() => Ok(Some(access.secret.clone())),
                _ => Err(AuthError::Offline(reason)),
            },
            other => other.map(Some),
        }
    }

    async fn after_rejection(
        &mut self,
        myself: &ActorRef<AuthMsg>,
        token: &str,
    ) -> Result<Option<String>, AuthError> {
        match &self.access {
            Some(access) if access.secret != token => Ok(Some(access.secret.clone())),
            _ if self.stored.is_none() => Err(AuthError::NeedsSignIn),
            _ => self.refresh(myself).await.map(Some),
        }
    }

    async fn refresh_due(&mut self, myself: &ActorRef<AuthMsg>) {
        if self.stored.is_none() || self.access.as_ref().is_some_and(|a| !a.due()) {
            return;
        }
        if let Err(AuthError::Offline(reason)) = self.refresh(myself).await {
            let delay = Duration::from_secs(1 << self.failed_refreshes.min(5));
            self.failed_refreshes += 1;
            tracing::info!(%reason, retry_in_s = delay.as_secs(), "cannot refresh the sign-in yet");
            self.schedule_refresh(myself, delay);
        }
    }

    /// The client requests to the provider go through, trusting the configured authority.
    fn http(&mut self) -> Result<reqwest::Client, AuthError> {
        if let Some(http) = &self.http {
            return Ok(http.clone());
        }
        let ca = self.config.as_ref().and_then(|c| c.ca_file.as_ref());
        let http = provider::http_client(ca)?;
        self.http = Some(http.clone());
        Ok(http)
    }

    /// The provider to sign in with, asked for once per run (and known from the vault
    /// after a sign-in).
    async fn provider(&mut self) -> Result<Option<Provider>, AuthError> {
        if let Some(provider) = &self.provider {
            return Ok(provider.clone());
        }
        let http = self.http()?;
        let config = self.config.as_ref().ok_or(AuthError::NotNeeded)?;
        let provider =
            provider::resolve(&config.source, &http, config.allow_unencrypted_http).await?;
        if provider.is_none() {
            self.status.update(|s| s.account = Account::NotNeeded);
        }
        self.provider = Some(provider.clone());
        Ok(provider)
    }

    /// Trades the refresh token for a new access token; keeps a rotated refresh token
    /// before using what came with it.
    async fn refresh(&mut self, myself: &ActorRef<AuthMsg>) -> Result<String, AuthError> {
        let Some(stored) = self.stored.clone() else { return Err(AuthError::NeedsSignIn) };
        match stored.provider.refresh(&self.http()?, &stored.refresh_token).await {
            Ok(grant) => {
                tracing::info!("access token refreshed");
                self.failed_refreshes = 0;
                Ok(self.accept(myself, grant, stored.provider).await)
            }
            Err(AuthError::Refused(reason)) => {
                tracing::warn!(%reason, "the provider refused the refresh token; sign in again");
                // A keyring that keeps the dead token is said in the status, and retried.
                let _ = self.forget(myself).await;
                self.status.update(|s| s.account = Account::SignedOut);
                // Sync finds out now, not at its next round: the tray must say so at once.
                self.nudge_sync();
                Err(AuthError::NeedsSignIn)
            }
            Err(other) => Err(other),
        }
    }

    /// Takes a grant in: the refresh token to the vault, the access token to memory, and
    /// the next refresh on the timer. Returns the access token.
    async fn accept(
        &mut self,
        myself: &ActorRef<AuthMsg>,
        grant: Grant,
        provider: Provider,
    ) -> String {
        let refresh_token =
            grant.refresh_token.or_else(|| self.stored.as_ref().map(|s| s.refresh_token.clone()));
        let Some(config) = self.config.clone() else { return grant.access_token };
        if let Some(refresh_token) = refresh_token {
            let stored = StoredSignIn { refresh_token, provider: provider.clone() };
            match config.vault.save(&stored).await {
                Ok(kept) => self.kept = Some(kept),
                Err(reason) => tracing::error!(
                    %reason,
                    "the sign-in cannot be kept; it lasts until Promptdeck quits"
                ),
            }
            self.stored = Some(stored);
        }
        self.provider = Some(Some(provider));
        let now = SystemTime::now();
        let lifetime = grant.expires_in;
        self.access = Some(AccessToken {
            secret: grant.access_token.clone(),
            refresh_after: lifetime.map(|l| now + l.mul_f64(config.refresh_at)),
            expires_at: lifetime.map(|l| now + l),
        });
        if let Some(lifetime) = lifetime {
            self.schedule_refresh(myself, lifetime.mul_f64(config.refresh_at));
        }
        grant.access_token
    }

    fn schedule_refresh(&mut self, myself: &ActorRef<AuthMsg>, after: Duration) {
        self.refresh_timer.iter().for_each(JoinHandle::abort);
        self.refresh_timer = Some(myself.send_after(after, || AuthMsg::RefreshDue));
    }

    /// Where the sign-in is kept, in words for the user.
    fn kept_in(&self) -> String {
        match &self.kept {
            Some(kept) => format!("the sign-in is kept in {kept}"),
            None => "the sign-in lasts until Promptdeck quits: it could not be saved".into(),
        }
    }

    /// Drops the tokens and removes the saved sign-in; says so when the keyring kept it.
    async fn forget(&mut self, myself: &ActorRef<AuthMsg>) -> SignedOut {
        let mut signed_out = SignedOut::Completely;
        if let Some(config) = &self.config {
            match config.vault.clear(self.kept.as_ref()).await {
                Ok(()) => {}
                Err(kept @ VaultError::KeyringKept(_)) => {
                    tracing::warn!(reason = %kept, "trying again");
                    signed_out = SignedOut::KeyringPending(kept.to_string());
                    self.status.update(|s| s.sign_out_unfinished = Some(keyring_kept()));
                    self.finish_sign_out_after = FINISH_SIGN_OUT_FIRST;
                    self.schedule_finish_sign_out(myself);
                }
                Err(reason) => tracing::error!(%reason, "the saved sign-in cannot be removed"),
            }
        }
        self.stored = None;
        self.access = None;
        self.kept = None;
        self.refresh_timer.iter().for_each(JoinHandle::abort);
        self.refresh_timer = None;
        signed_out
    }

    fn schedule_finish_sign_out(&self, myself: &ActorRef<AuthMsg>) {
        myself.send_after(self.finish_sign_out_after, || AuthMsg::FinishSignOut);
    }

    /// Tries again to remove what a sign-out left in the keyring, waiting longer after
    /// each failure.
    async fn finish_sign_out(&mut self, myself: &ActorRef<AuthMsg>) {
        let Some(config) = &self.config else { return };
        if !config.vault.removal_pending() {
            return;
        }
        match config.vault.finish_removal().await {
            Ok(()) => {
                self.status.update(|s| s.sign_out_unfinished = None);
                self.finish_sign_out_after = FINISH_SIGN_OUT_FIRST;
            }
            Err(reason) => {
                tracing::debug!(%reason, "the keyring still keeps the signed-out sign-in");
                self.finish_sign_out_after =
                    (self.finish_sign_out_after * 2).min(FINISH_SIGN_OUT_MOST);
                self.schedule_finish_sign_out(myself);
            }
        }
    }

    async fn start_sign_in(&mut self, myself: &ActorRef<AuthMsg>) -> Result<String, AuthError> {
        if let Some(flow) = &self.flow {
            return Ok(flow.url.clone());
        }
        // Ask the server again: the provider it names may have changed since the last run.
        self.provider = None;
        let provider = self.provider().await?.ok_or(AuthError::NotNeeded)?;
        let loopback = Loopback::bind().await?;
        let redirect_uri = loopback.redirect_uri.clone();
        let authorization = provider.authorize(&redirect_uri)?;
        let config = self.config.as_ref().ok_or(AuthError::NotNeeded)?;
        if let Err(reason) = (config.open_browser)(&authorization.url) {
            tracing::warn!(%reason, "no browser could be opened; the sign-in URL must be opened by hand");
        }
        let timeout = config.sign_in_timeout;
        let (myself, http) = (myself.clone(), self.http()?);
        let url = authorization.url.clone();
        let task = tokio::spawn(async move {
            let signed_in = async {
                let code = loopback.code(authorization.state.secret().clone()).await?;
                let grant = provider
                    .exchange_code(&http, &redirect_uri, code, authorization.verifier)
                    .await?;
                Ok((grant, provider))
            };
            let outcome = tokio::time::timeout(timeout, signed_in)
                .await
                .unwrap_or(Err(AuthError::TimedOut(timeout.as_secs())));
            let _ = myself.cast(AuthMsg::SignInEnded(outcome));
        });
        tracing::info!("sign-in started in the browser");
        self.status.update(|s| s.account = Account::SigningIn);
        self.flow = Some(SignInFlow { url: url.clone(), task, waiting: Vec::new() });
        Ok(url)
    }

    async fn end_sign_in(
        &mut self,
        myself: &ActorRef<AuthMsg>,
        outcome: Result<(Grant, Provider), AuthError>,
    ) {
        let Some(flow) = self.flow.take() else { return };
        let outcome = match outcome {
            Ok((grant, provider)) => {
                // A new sign-in replaces the old one whole, even if it is for another account.
                self.stored = None;
                self.accept(myself, grant, provider).await;
                tracing::info!("signed in");
                self.nudge_sync();
                Ok(self.kept_in())
            }
            Err(e) => {
                tracing::warn!(error = %e, "sign-in ended without signing in");
                Err(e)
            }
        };
        let account = if self.stored.is_some() { Account::SignedIn } else { Account::SignedOut };
        self.status.update(|s| s.account = account);
        flow.waiting.into_iter().for_each(|w| drop(w.send(outcome.clone())));
    }

    async fn sign_out(&mut self, myself: &ActorRef<AuthMsg>) -> Result<SignedOut, AuthError> {
        if self.config.is_none() {
            return Err(AuthError::NotNeeded);
        }
        if let Some(flow) = &self.flow {
            flow.task.abort();
        }
        self.end_sign_in(myself, Err(AuthError::Cancelled)).await;
        let signed_out = self.forget(myself).await;
        self.status.update(|s| s.account = Account::SignedOut);
        tracing::info!("signed out; the library stays on this device");
        self.nudge_sync();
        Ok(signed_out)
    }

    /// Every workspace's SyncActor, so each shows the new account state at once.
    fn nudge_sync(&self) {
        (self.account_changed)();
    }
}

impl AccessToken {
    fn due(&self) -> bool {
        self.refresh_after.is_some_and(|at| SystemTime::now() >= at)
    }

    fn expired(&self) -> bool {
        self.expires_at.is_some_and(|at| SystemTime::now() >= at)
    }
}
