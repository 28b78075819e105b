use std::net::SocketAddr;

use clap::Parser;
use promptdeck_server::{Auth, OidcConfig, Server, ServerConfig};

/// A Replicache backend for Promptdeck libraries.
#[derive(Debug, Parser)]
#[command(name = "promptdeck-server", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "PROMPTDECK_SERVER_LISTEN", default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// `sqlite://FILE` (created if missing) or `postgres://...`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://promptdeck-server.db")]
    database: String,
    /// A bearer token and the user it signs in, as TOKEN=USER; repeat for several.
    #[arg(long = "token", value_name = "TOKEN=USER")]
    tokens: Vec<String>,
    /// No tokens: every request is the one local user. Only on a loopback address, and only
    /// for requests addressed to a loopback name, with no Origin, and with JSON bodies.
    #[arg(long)]
    insecure_local: bool,
    /// Accept access tokens (JWTs) from this OpenID provider; the user is the token's `sub`.
    #[arg(
        long,
        env = "PROMPTDECK_OIDC_ISSUER",
        value_name = "URL",
        requires = "oidc_audience",
        conflicts_with_all = ["tokens", "insecure_local"]
    )]
    oidc_issuer: Option<String>,
    /// The audience (`aud`) the provider puts in tokens meant for this server.
    #[arg(long, env = "PROMPTDECK_OIDC_AUDIENCE", requires = "oidc_issuer")]
    oidc_audience: Option<String>,
    /// Where the provider publishes its keys, if not in its discovery document.
    #[arg(long, env = "PROMPTDECK_OIDC_JWKS_URL", value_name = "URL", requires = "oidc_issuer")]
    oidc_jwks_url: Option<String>,
    /// The client id Promptdeck signs in as, told to clients by GET /api/config.
    #[arg(long, env = "PROMPTDECK_OIDC_CLIENT_ID", requires = "oidc_issuer")]
    oidc_client_id: Option<String>,
    /// The scopes Promptdeck asks for, space-separated.
    #[arg(long, env = "PROMPTDECK_OIDC_SCOPES", default_value = "openid offline_access")]
    oidc_scopes: String,
    /// Seconds a token is still taken after it expires, for clocks that disagree.
    #[arg(long, env = "PROMPTDECK_OIDC_CLOCK_SKEW", value_name = "SECONDS", default_value_t = promptdeck_server::CLOCK_SKEW.as_secs())]
    oidc_clock_skew: u64,
}

impl Args {
    fn auth(&self) -> Result<Auth, promptdeck_server::ServerError> {
        if self.insecure_local {
            return Ok(Auth::InsecureLocal);
        }
        let (Some(issuer), Some(audience)) = (&self.oidc_issuer, &self.oidc_audience) else {
            return Auth::from_pairs(&self.tokens);
        };
        Auth::oidc(OidcConfig {
            jwks_url: self.oidc_jwks_url.clone(),
            client_id: self.oidc_client_id.clone(),
            scopes: self.oidc_scopes.split_whitespace().map(str::to_owned).collect(),
            clock_skew: std::time::Duration::from_secs(self.oidc_clock_skew),
            ..OidcConfig::new(issuer, audience)
        })
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PROMPTDECK_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let auth = args.auth()?;
    let config = ServerConfig { listen: args.listen, database_url: args.database, auth };
    let server = Server::start(config).await?;
    tracing::info!(addr = %server.local_addr(), "listening");
    server.serve_until_signal().await
}
