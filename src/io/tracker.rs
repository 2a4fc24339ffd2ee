//! The tracker API socket (docs/tracker-api.md): a TCP listener whose connections are turned
//! into numbered line streams for the core, and lines back. It decides nothing: which
//! connection may stay, what a line means and when to close are the core's calls
//! (`core::tracking`).
//!
//! Lines are split with `tokio_util`'s delimiter codec, bounded at the API's maximum line length:
//! a longer line is discarded up to its newline and reported as `Line(conn, None)`; bytes that are
//! not UTF-8 are passed on lossily (the core counts them as bad lines).

use std::io;
use std::net::SocketAddr;

use futures_util::StreamExt as _;
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::codec::{AnyDelimiterCodec, AnyDelimiterCodecError, FramedRead};

use crate::core::tracking::api::MAX_LINE_BYTES;
use crate::core::tracking::ConnId;

/// Lines queued for one tracker connection before further lines are dropped.
const WRITE_QUEUE: usize = 256;

/// What the listener hands the driver loop.
#[derive(Debug)]
pub enum TrackerIn {
    /// A connection opened; write to it through the sender.
    Opened(ConnId, mpsc::Sender<TrackerWrite>),
    /// A line (without newline); `None` = a line over the limit was discarded.
    Line(ConnId, Option<String>),
    /// The connection closed.
    Closed(ConnId),
}

/// What the driver loop sends to one connection.
#[derive(Debug)]
pub enum TrackerWrite {
    /// One line (the newline is added).
    Line(String),
    /// Close after the lines before.
    Close,
}

/// Listens on `addr` (port 0 = any). Returns the bound address, the accept task and the stream
/// of connection events.
pub async fn listen(
    addr: SocketAddr,
) -> io::Result<(SocketAddr, JoinHandle<()>, mpsc::Receiver<TrackerIn>)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let (tx, rx) = mpsc::channel(1024);
    let task = tokio::spawn(accept_loop(listener, tx));
    Ok((local, task, rx))
}

async fn accept_loop(listener: TcpListener, tx: mpsc::Sender<TrackerIn>) {
    let mut next: ConnId = 1;
    let mut errors = 0u64;
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let conn = next;
                next += 1;
                tracing::debug!(target: "tracking", conn, %peer, "tracker API connection");
                tokio::spawn(connection(conn, stream, tx.clone()));
            }
            Err(e) => {
                errors += 1;
                if errors == 1 || errors.is_power_of_two() {
                    tracing::warn!(target: "tracking", "tracker API accept failed ({errors} times): {e}");
                }
                // Out of file descriptors and the like: give the system a moment.
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
        if tx.is_closed() {
            return;
        }
    }
}

async fn connection(conn: ConnId, stream: TcpStream, tx: mpsc::Sender<TrackerIn>) {
    let codec =
        AnyDelimiterCodec::new_with_max_length(b"\n".to_vec(), b"\n".to_vec(), MAX_LINE_BYTES);
    let (read, mut writer) = stream.into_split();
    let mut lines = FramedRead::new(read, codec);
    let (write_tx, mut write_rx) = mpsc::channel(WRITE_QUEUE);
    if tx.send(TrackerIn::Opened(conn, write_tx)).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            read = lines.next() => match read {
                Some(Ok(bytes)) => {
                    let line = String::from_utf8_lossy(&bytes).trim_end_matches('\r').to_owned();
                    if tx.send(TrackerIn::Line(conn, Some(line))).await.is_err() {
                        return;
                    }
                }
                Some(Err(AnyDelimiterCodecError::MaxChunkLengthExceeded)) => {
                    if tx.send(TrackerIn::Line(conn, None)).await.is_err() {
                        return;
                    }
                }
                Some(Err(AnyDelimiterCodecError::Io(e))) => {
                    tracing::debug!(target: "tracking", conn, "tracker connection error: {e}");
                    break;
                }
                None => break,
            },
            write = write_rx.recv() => match write {
                Some(TrackerWrite::Line(mut line)) => {
                    line.push('\n');
                    if writer.write_all(line.as_bytes()).await.is_err() {
                        break;
                    }
                }
                Some(TrackerWrite::Close) | None => {
                    let _ = writer.shutdown().await;
                    break;
                }
            },
        }
    }
    let _ = tx.send(TrackerIn::Closed(conn)).await;
}
