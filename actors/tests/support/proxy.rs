//! A TCP proxy that passes traffic to the server, or misbehaves the way networks and
//! servers do: errors, garbage, silence, answers cut off after the work was done.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Pass everything through.
    None,
    /// Answer 500 without reaching the server.
    ServerError,
    /// Answer 200 with a body that is not JSON.
    Garbage,
    /// Accept and never answer.
    Hang,
    /// Forward the request, let the server do the work, then cut the answer off.
    CutAfterWork,
}

pub struct FaultProxy {
    pub addr: SocketAddr,
    fault: Arc<Mutex<Fault>>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl FaultProxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let addr = listener.local_addr().expect("addr");
        let fault = Arc::new(Mutex::new(Fault::None));
        let connections: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (f, c) = (fault.clone(), connections.clone());
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let mode = *f.lock().expect("lock");
                c.lock().expect("lock").push(tokio::spawn(serve(client, upstream, mode)));
            }
        });
        Self { addr, fault, connections, accept }
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
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.set(Fault::None);
    }
}

async fn serve(mut client: TcpStream, upstream: SocketAddr, fault: Fault) {
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
        Fault::ServerError => {
            answer(client, reply("500 Internal Server Error", "{\"error\":\"boom\"}")).await
        }
        Fault::Garbage => answer(client, reply("200 OK", "<html>not json")).await,
        Fault::Hang => {
            let mut sink = [0u8; 4096];
            while client.read(&mut sink).await.is_ok_and(|n| n > 0) {}
        }
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
    }
}

/// One whole HTTP request: its head, then as many body bytes as Content-Length says.
async fn read_request(client: &mut TcpStream) -> Option<Vec<u8>> {
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
