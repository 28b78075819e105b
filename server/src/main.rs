use std::net::SocketAddr;

use clap::Parser;
use promptdeck_server::{Auth, Server, ServerConfig};

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
    /// No tokens: every request is the one local user. Only on a loopback address.
    #[arg(long)]
    insecure_local: bool,
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
    let auth =
        if args.insecure_local { Auth::InsecureLocal } else { Auth::from_pairs(&args.tokens)? };
    let config = ServerConfig { listen: args.listen, database_url: args.database, auth };
    let server = Server::start(config).await?;
    tracing::info!(addr = %server.local_addr(), "listening");
    server.serve_until_signal().await
}
