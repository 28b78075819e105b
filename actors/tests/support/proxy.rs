//! A TCP proxy that passes traffic to the server, or misbehaves the way networks and
//! servers do: refused connections, errors, garbage, silence, answers cut off after the
//! work was done, and requests held so a test can kill the client at a chosen moment.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Pass everything through.
    None,
    /// Close every connection at once, as a host that is down would.
    Refuse,
    /// Answer 500 without reaching the server.
    ServerError,
    /// Answer 200 with a body that is not JSON.
    Garbage,
    /// Accept and never answer.
    Hang,
    /// Forward the request, let the server do the work, then cut the answer off.
    CutAfterWork,
    /// Answer 200 with an endless body (well, 64 MiB) of JSON whitespace, chunked, with no
    /// length announced.
    Oversized,
    /// Pass everything, late and slowly: each request waits, and answers trickle back in
    /// small pieces, as on a bad mobile link.
    Slow,
    /// Read the request, then reset the connection (TCP RST) without an answer.
    Reset,
    /// Answer 500, say a hundred megabytes of body follow, send the start of it, then go
    /// silent: a client that reads an error's whole body waits (and holds what it read).
    StallingError,
    /// Hold every push (it never reaches the server); pass the rest.
    HoldPushes,
    /// Hold every poke stream's request, never answering it; pass pushes and pulls.
    HoldPokes,
    /// Pass pushes; hold every pull that comes after a push was answered, so the client
    /// sits between its push and its pull.
    HoldPullsAfterPush,
}

/// How a [`Fault::StallingError`]'s body starts.
pub const STALLING_ERROR: &str = "the backend is on fire";

/// What the proxy has seen, for tests to wait on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Pushes the server answered through the proxy.
    pub pushes_answered: u32,
    /// Requests held and never forwarded.
    pub held: u32,
}

pub struct FaultProxy {
    pub addr: SocketAddr,
    fault: Arc<Mutex<Fault>>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
    traffic: Arc<watch::Sender<Traffic>>,
    accept: JoinHandle<()>,
}

impl FaultProxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let addr = listener.local_addr().expect("addr");
        let fault = Arc::new(Mutex::new(Fault::None));
        let connections: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let traffic = Arc::new(watch::Sender::new(Traffic::default()));
        let (f, c, t) = (fault.clone(), connections.clone(), traffic.clone());
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let mode = *f.lock().expect("lock");
                c.lock().expect("lock").push(tokio::spawn(serve(
                    client,
                    upstream,
                    mode,
                    t.clone(),
                )));
            }
        });
        Self { addr, fault, connections, traffic, accept }
    }

    /// Switches behaviour and drops every open connection, so pooled keep-alive
    /// connections cannot slip past the new fault.
    pub fn set(&self, fault: Fault) {
        *self.fault.lock().expect("lock") = fault;
        for connection in self.connections.lock().expect("lock").drain(..) {
            connection.abort();
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn traffic(&self) -> Traffic {
        *self.traffic.borrow()
    }

    /// Waits until the traffic satisfies `check`.
    pub async fn wait_for(&self, check: impl Fn(&Traffic) -> bool) -> Traffic {
        let mut seen = self.traffic.subscribe();
        let found = tokio::time::timeout(super::WAIT, seen.wait_for(|t| check(t)))
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for traffic; saw {:?}", self.traffic()));
        *found.expect("the proxy is alive")
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.set(Fault::None);
    }
}

async fn serve(
    mut client: TcpStream,
    upstream: SocketAddr,
    fault: Fault,
    traffic: Arc<watch::Sender<Traffic>>,
) {
    let reply = |head: &str, body: &str| {
        format!(
            "HTTP/1.1 {head}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    match fault {
        Fault::None => {
            let Ok(mut server) = TcpStream::connect(upstream).await else { return };
            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
        }
        Fault::Refuse => {}
        Fault::Slow => {
            let Ok(server) = TcpStream::connect(upstream).await else { return };
            tokio::time::sleep(std::time::Duration::from_millis(150)).await;
            drip(client, server).await;
        }
        Fault::Reset => {
            if read_request(&mut client).await.is_some() {
                // A zero linger makes the close a reset rather than an orderly end.
                let _ = client.set_zero_linger();
            }
        }
        Fault::ServerError => {
            answer(client, reply("500 Internal Server Error", "{\"error\":\"boom\"}")).await
        }
        Fault::Garbage => answer(client, reply("200 OK", "<html>not json")).await,
        Fault::Hang => hang(client).await,
        Fault::CutAfterWork => {
            let Ok(mut server) = TcpStream::connect(upstream).await else { return };
            let Some(request) = read_request(&mut client).await else { return };
            if server.write_all(&request).await.is_err() {
                return;
            }
            // The server answers only once its transaction committed.
            let mut head = [0u8; 12];
            let Ok(n) = server.read(&mut head).await else { return };
            let _ = client.write_all(&head[..n]).await;
            // Returning drops both sockets: the answer is cut off after its first bytes.
        }
        Fault::Oversized => {
            if read_request(&mut client).await.is_none() {
                return;
            }
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
            if client.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let chunk = format!("10000\r\n{}\r\n", " ".repeat(0x10000));
            for _ in 0..1024 {
                // The client hangs up once it has seen enough.
                if client.write_all(chunk.as_bytes()).await.is_err() {
                    return;
                }
            }
        }
        Fault::StallingError => {
            if read_request(&mut client).await.is_none() {
                return;
            }
            let start = format!("{STALLING_ERROR} {}", "x".repeat(8192));
            let head = format!(
                "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{start}",
                100 << 20
            );
            if client.write_all(head.as_bytes()).await.is_ok() {
                hang(client).await;
            }
        }
        Fault::HoldPushes | Fault::HoldPokes | Fault::HoldPullsAfterPush => {
            serve_one_request(client, upstream, fault, &traffic).await
        }
    }
}

/// Passes requests on at once and answers back 512 bytes at a time, 20 ms apart.
async fn drip(client: TcpStream, server: TcpStream) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upstream = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
    });
    let mut piece = [0u8; 512];
    while let Ok(n @ 1..) = server_read.read(&mut piece).await {
        if client_write.write_all(&piece[..n]).await.is_err() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    upstream.abort();
}

/// Forwards or holds one request per connection, deciding by its path.
async fn serve_one_request(
    mut client: TcpStream,
    upstream: SocketAddr,
    fault: Fault,
    traffic: &watch::Sender<Traffic>,
) {
    let Some(request) = read_request(&mut client).await else { return };
    let end_of_line = request.windows(2).position(|w| w == b"\r\n").unwrap_or(0);
    let line = String::from_utf8_lossy(&request[..end_of_line]).into_owned();
    let (is_push, is_pull) = (line.contains("/push"), line.contains("/pull"));
    let hold = match fault {
        Fault::HoldPushes => is_push,
        Fault::HoldPokes => !is_push && !is_pull,
        _ => is_pull && traffic.borrow().pushes_answered > 0,
    };
    if hold {
        traffic.send_modify(|t| t.held += 1);
        return hang(client).await;
    }
    let Ok(mut server) = TcpStream::connect(upstream).await else { return };
    // One request per connection, so the next one is decided afresh.
    if server.write_all(&close_after(&request, end_of_line)).await.is_err() {
        return;
    }
    if !is_push && !is_pull {
        // The poke stream never ends: pass it on as it comes.
        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
        return;
    }
    let mut answer = Vec::new();
    if server.read_to_end(&mut answer).await.is_err() {
        return;
    }
    if is_push {
        traffic.send_modify(|t| t.pushes_answered += 1);
    }
    let _ = client.write_all(&answer).await;
}

/// The request with `Connection: close`, so the server ends the connection after answering.
fn close_after(request: &[u8], end_of_line: usize) -> Vec<u8> {
    let mut changed = request[..end_of_line + 2].to_vec();
    changed.extend_from_slice(b"Connection: close\r\n");
    changed.extend_from_slice(&request[end_of_line + 2..]);
    changed
}

async fn hang(mut client: TcpStream) {
    let mut sink = [0u8; 4096];
    while client.read(&mut sink).await.is_ok_and(|n| n > 0) {}
}

/// One whole HTTP request: its head, then as many body bytes as Content-Length says.
pub async fn read_request(client: &mut TcpStream) -> Option<Vec<u8>> {
    let mut request = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        let n = client.read(&mut buffer).await.ok().filter(|n| *n > 0)?;
        request.extend_from_slice(&buffer[..n]);
        let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
        let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        if request.len() >= end + 4 + length {
            return Some(request);
        }
    }
}

async fn answer(mut client: TcpStream, response: String) {
    let mut request = [0u8; 4096];
    let _ = client.read(&mut request).await;
    let _ = client.write_all(response.as_bytes()).await;
    let _ = client.shutdown().await;
}
