//! The tracker API socket (docs/tracker-api.md): a TCP listener whose connections are turned
//! into numbered line streams for the core, and lines back. It decides nothing: which
//! connection may stay, what a line means and when to close are the core's calls
//! (`core::tracking`).
//!
//! Lines are split by [`BoundedLines`], a `tokio_util` decoder bounded at the API's maximum line
//! length: a longer line is discarded up to its newline and reported as `Line(conn, None)`, and
//! the connection goes on (`tokio_util`'s own line codecs end the stream after such an error);
//! bytes that are not UTF-8 are passed on lossily (the core counts them as bad lines).

use std::io;
use std::net::SocketAddr;

use bytes::{Buf as _, BytesMut};
use futures_util::StreamExt as _;
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::codec::{Decoder, FramedRead};

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

/// What [`listen`]'s caller receives from the tracker connections.
pub type TrackerRx = mpsc::Receiver<TrackerIn>;

/// Listens on `addr` (port 0 = any). Returns the bound address, the accept task and the stream
/// of connection events.
pub async fn listen(addr: SocketAddr) -> io::Result<(SocketAddr, JoinHandle<()>, TrackerRx)> {
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
    // Lines are small and answers wait for them: no Nagle delay (40 ms with delayed ACKs).
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!(target: "tracking", conn, "TCP_NODELAY not set: {e}");
    }
    let (read, mut writer) = stream.into_split();
    let mut lines = FramedRead::new(read, BoundedLines::default());
    let (write_tx, mut write_rx) = mpsc::channel(WRITE_QUEUE);
    if tx.send(TrackerIn::Opened(conn, write_tx)).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            read = lines.next() => match read {
                Some(Ok(line)) => {
                    if tx.send(TrackerIn::Line(conn, line)).await.is_err() {
                        return;
                    }
                }
                Some(Err(e)) => {
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

/// Splits a byte stream into lines of at most [`MAX_LINE_BYTES`] (without the `\n` or a `\r`
/// before it). A longer line is skipped up to its newline and yields `None` once.
#[derive(Debug, Default)]
pub struct BoundedLines {
    /// Inside a line that is too long: skip up to the next newline.
    discarding: bool,
    /// Bytes of the buffer already searched for a newline.
    scanned: usize,
}

impl Decoder for BoundedLines {
    type Item = Option<String>;
    type Error = io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Self::Item>, Self::Error> {
        loop {
            let found = buf
                .get(self.scanned..)
                .and_then(|rest| rest.iter().position(|b| *b == b'\n'))
                .map(|i| i + self.scanned);
            match found {
                Some(end) => {
                    let line = buf.split_to(end + 1);
                    self.scanned = 0;
                    if std::mem::take(&mut self.discarding) {
                        // The end of a line that was too long: reported when it started.
                        continue;
                    }
                    let text = line.get(..end).unwrap_or_default();
                    let text = String::from_utf8_lossy(text);
                    return Ok(Some(Some(text.trim_end_matches('\r').to_owned())));
                }
                None if buf.len() > MAX_LINE_BYTES => {
                    buf.advance(buf.len());
                    self.scanned = 0;
                    if !std::mem::replace(&mut self.discarding, true) {
                        return Ok(Some(None));
                    }
                    return Ok(None);
                }
                None => {
                    self.scanned = buf.len();
                    return Ok(None);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(codec: &mut BoundedLines, chunks: &[&[u8]]) -> Vec<Option<String>> {
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for c in chunks {
            buf.extend_from_slice(c);
            while let Some(item) = codec.decode(&mut buf).expect("never fails") {
                out.push(item);
            }
        }
        out
    }

    #[test]
    fn lines_in_any_chunks_and_long_lines_skipped_once() {
        let long = vec![b'x'; MAX_LINE_BYTES * 3];
        let input = [
            b"a\r\nb".as_slice(),
            b"c\n",
            &long,
            &long,
            b"tail\nok\n",
            b"\xff\n",
        ];
        let out = decode_all(&mut BoundedLines::default(), &input);
        assert_eq!(
            out,
            vec![
                Some("a".to_owned()),
                Some("bc".to_owned()),
                None,
                Some("ok".to_owned()),
                Some("\u{fffd}".to_owned()),
            ]
        );
        // Exactly at the limit is a line; one byte more is not.
        let at = vec![b'y'; MAX_LINE_BYTES];
        let out = decode_all(&mut BoundedLines::default(), &[&at, b"\n"]);
        assert_eq!(out, vec![Some("y".repeat(MAX_LINE_BYTES))]);
        let over = vec![b'y'; MAX_LINE_BYTES + 1];
        let out = decode_all(&mut BoundedLines::default(), &[&over, b"\nz\n"]);
        assert_eq!(out, vec![None, Some("z".to_owned())]);
    }
}
