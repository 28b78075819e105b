use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches, Parser};
use promptdeck_server::{
    Auth, Limits, OidcConfig, Quotas, Server, ServerConfig, ServerError, SpaceKey, TlsFiles,
};
use tracing_subscriber::fmt::writer::BoxMakeWriter;

/// A Replicache backend for Promptdeck libraries.
#[derive(Debug, Parser)]
#[command(name = "promptdeck-server", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "PROMPTDECK_SERVER_LISTEN", default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// `sqlite://FILE` (created if missing) or `postgres://...`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://promptdeck-server.db",
        global = true
    )]
    database: String,
    /// Without one, serve.
    #[command(subcommand)]
    admin: Option<Admin>,
    /// A bearer token and the user it signs in, as TOKEN=USER; repeat for several, or
    /// comma-separate them in PROMPTDECK_TOKENS. Other users see a command line: prefer the
    /// variable or --tokens-file.
    #[arg(
        long = "token",
        env = "PROMPTDECK_TOKENS",
        value_delimiter = ',',
        value_name = "TOKEN=USER",
        hide_env_values = true
    )]
    tokens: Vec<String>,
    /// A file of TOKEN=USER lines (blank lines and # comments skipped), readable by its
    /// owner only.
    #[arg(long, env = "PROMPTDECK_TOKENS_FILE", value_name = "FILE")]
    tokens_file: Option<PathBuf>,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key); without it, serve plain
    /// HTTP, for loopback or behind a reverse proxy that does TLS.
    #[arg(long, env = "PROMPTDECK_TLS_CERT", value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "PROMPTDECK_TLS_KEY", value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
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
    /// Seconds for a TLS handshake, for a request's headers, and for the idle time between
    /// two requests on one connection.
    #[arg(long, value_name = "SECONDS", default_value_t = Limits::default().header_timeout.as_secs())]
    header_timeout: u64,
    /// Seconds for a request's body once its headers are in.
    #[arg(long, value_name = "SECONDS", default_value_t = Limits::default().body_timeout.as_secs())]
    body_timeout: u64,
    /// Open connections in all; more are closed at once.
    #[arg(long, value_name = "N", default_value_t = Limits::default().connections)]
    max_connections: usize,
    /// Open connections from one address (behind a reverse proxy, all come from the
    /// proxy's: raise it to --max-connections there).
    #[arg(long, value_name = "N", default_value_t = Limits::default().connections_per_address)]
    max_connections_per_address: usize,
    /// Pushes and pulls one user may have in flight; more get 429.
    #[arg(long, value_name = "N", default_value_t = Limits::default().requests_per_user)]
    max_requests_per_user: usize,
    /// Poke streams one user may hold open; more get 429.
    #[arg(long, value_name = "N", default_value_t = Limits::default().poke_streams_per_user)]
    max_poke_streams_per_user: usize,
    /// Poke streams open in all; more get 429.
    #[arg(long, value_name = "N", default_value_t = Limits::default().poke_streams)]
    max_poke_streams: usize,
    /// Seconds between checks that a poke stream of a shared space may still follow it.
    #[arg(long, value_name = "SECONDS", default_value_t = Limits::default().poke_recheck.as_secs())]
    poke_recheck: u64,
    /// Mutations processed from one push; the client pushes the rest again.
    #[arg(long, value_name = "N", default_value_t = Limits::default().mutations_per_push)]
    max_mutations_per_push: usize,
    /// Prompts one space may hold; a push that would add more is refused with 413.
    #[arg(long, value_name = "N", default_value_t = Limits::default().quotas.prompts_per_space)]
    max_prompts_per_space: u64,
    /// Bytes of prompts one user may keep in all the spaces they own (writes of users they
    /// share a space with count against them); a push that would add more is refused with
    /// 413.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().quotas.bytes_per_user)]
    max_bytes_per_user: u64,
}

/// What an operator does to the database, with or without a server running on it.
#[derive(Debug, clap::Subcommand)]
enum Admin {
    /// Share a space with another user: they push, pull and follow it as its owner does.
    /// The space is created, empty, if its owner has not written it yet.
    Grant {
        /// The space, as its owner's user name (a token's user, or an OpenID `sub`), a
        /// slash, and its name: `alice/team`.
        #[arg(value_name = "OWNER/SPACE")]
        space: String,
        /// The user to share it with.
        user: String,
    },
    /// Take a grant back: the user's next push, pull or poke stream of the space is refused.
    Revoke {
        #[arg(value_name = "OWNER/SPACE")]
        space: String,
        user: String,
    },
    /// List every shared space and whom it is shared with, one `OWNER/SPACE USER` a line.
    Grants,
}

impl Admin {
    async fn run(self, database: &str) -> anyhow::Result<()> {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        match self {
            Admin::Grant { space, user } => {
                let space = SpaceKey::parse(&space)?;
                promptdeck_server::grant(database, &space, &user).await?;
                writeln!(out, "{user} may now use {space}")?;
            }
            Admin::Revoke { space, user } => {
                let space = SpaceKey::parse(&space)?;
                match promptdeck_server::revoke(database, &space, &user).await? {
                    true => writeln!(out, "{user} may no longer use {space}")?,
                    false => writeln!(out, "{space} was not shared with {user}; nothing changed")?,
                }
            }
            Admin::Grants => {
                for (space, user) in promptdeck_server::grants(database).await? {
                    writeln!(out, "{space} {user}")?;
                }
            }
        }
        Ok(())
    }
}

impl Args {
    fn auth(&self) -> Result<Auth, ServerError> {
        if self.insecure_local {
            return Ok(Auth::InsecureLocal);
        }
        let (Some(issuer), Some(audience)) = (&self.oidc_issuer, &self.oidc_audience) else {
            let mut pairs = self.tokens.clone();
            if let Some(file) = &self.tokens_file {
                pairs.extend(read_tokens_file(file)?);
            }
            return Auth::from_pairs(&pairs);
        };
        Auth::oidc(OidcConfig {
            jwks_url: self.oidc_jwks_url.clone(),
            client_id: self.oidc_client_id.clone(),
            scopes: self.oidc_scopes.split_whitespace().map(str::to_owned).collect(),
            clock_skew: Duration::from_secs(self.oidc_clock_skew),
            ..OidcConfig::new(issuer, audience)
        })
    }

    fn limits(&self) -> Limits {
        Limits {
            header_timeout: Duration::from_secs(self.header_timeout),
            body_timeout: Duration::from_secs(self.body_timeout),
            connections: self.max_connections,
            connections_per_address: self.max_connections_per_address,
            requests_per_user: self.max_requests_per_user,
            poke_streams_per_user: self.max_poke_streams_per_user,
            poke_streams: self.max_poke_streams,
            poke_recheck: Duration::from_secs(self.poke_recheck),
            mutations_per_push: self.max_mutations_per_push,
            quotas: Quotas {
                prompts_per_space: self.max_prompts_per_space,
                bytes_per_user: self.max_bytes_per_user,
            },
        }
    }

    fn tls(&self) -> Option<TlsFiles> {
        let (cert, key) = (self.tls_cert.clone()?, self.tls_key.clone()?);
        Some(TlsFiles { cert, key })
    }
}

/// The TOKEN=USER lines of a tokens file, which other users must not be able to read.
fn read_tokens_file(path: &Path) -> Result<Vec<String>, ServerError> {
    let unreadable = |e: std::io::Error| {
        ServerError::Config(format!("cannot read the tokens file {}: {e}", path.display()))
    };
    let metadata = std::fs::metadata(path).map_err(unreadable)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(ServerError::Config(format!(
                "the tokens file {} can be read by other users (mode {:o}); chmod 600 it",
                path.display(),
                mode & 0o777
            )));
        }
    }
    // Windows: the file's ACL is not read; keep it in a folder only its user can open.
    #[cfg(not(unix))]
    let _ = metadata;
    let text = std::fs::read_to_string(path).map_err(unreadable)?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let matches = Args::command().get_matches();
    let mut args = Args::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    // An operator command's output is what it prints; its log goes beside it.
    let log = match args.admin {
        Some(_) => BoxMakeWriter::new(std::io::stderr),
        None => BoxMakeWriter::new(std::io::stdout),
    };
    tracing_subscriber::fmt()
        .with_writer(log)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PROMPTDECK_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    if let Some(admin) = args.admin.take() {
        return admin.run(&args.database).await;
    }
    if matches.value_source("tokens") == Some(clap::parser::ValueSource::CommandLine) {
        tracing::warn!(
            "--token puts tokens where every user of this machine can read them (ps); \
             prefer PROMPTDECK_TOKENS or --tokens-file"
        );
    }
    let auth = args.auth()?;
    let config = ServerConfig {
        tls: args.tls(),
        limits: args.limits(),
        ..ServerConfig::new(args.listen, args.database.clone(), auth)
    };
    let server = Server::start(config).await?;
    tracing::info!(url = %server.url(), addr = %server.local_addr(), "listening");
    server.serve_until_signal().await
}
