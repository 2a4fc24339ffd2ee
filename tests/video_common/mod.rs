//! What the video-in tests share: a synthetic scene (a checkered square moving over a textured
//! background), its H.264 made by the OpenH264 encoder, and a small RTSP server on loopback
//! (blocking std threads) that plays it over RTP/TCP interleaved (RFC 2326 10.12, RFC 6184
//! single NAL unit and FU-A packets) and misbehaves on request.
#![allow(dead_code, unreachable_pub)] // each test file uses a part; shared by path

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use openh264::encoder::{
    BitRate, Encoder, EncoderConfig, FrameRate, IntraFramePeriod, RateControlMode,
};
use openh264::formats::YUVBuffer;
use openh264::OpenH264API;

/// Scene texture: a hash of the position, blocks of 3 × 3 pixels.
pub fn texture(x: usize, y: usize, seed: usize) -> u8 {
    let h = (x / 3 * 7919 + y / 3 * 104_729 + seed * 1_299_709) % 1_000_003;
    (h % 200) as u8 + 20
}

/// The target's box in frame `k` of a `w × h` scene: left, top, width, height.
pub fn target_at(k: usize, w: usize, h: usize) -> (usize, usize, usize, usize) {
    let (bw, bh) = (w / 8, h / 8);
    let x = w / 4 + (k * w / 320) % (w / 2);
    let y = h / 4 + (k * h / 720) % (h / 2);
    (x, y, bw, bh)
}

/// Frame `k`'s luma plane.
pub fn luma(k: usize, w: usize, h: usize) -> Vec<u8> {
    let (tx, ty, bw, bh) = target_at(k, w, h);
    let cell = (bw / 5).max(2);
    let mut img = vec![0u8; w * h];
    for y in 0..h {
        for x in 0..w {
            let inside = (tx..tx + bw).contains(&x) && (ty..ty + bh).contains(&y);
            img[y * w + x] = if inside {
                if (x - tx) / cell % 2 == (y - ty) / cell % 2 {
                    230
                } else {
                    30
                }
            } else {
                texture(x + k, y, 1) / 2 + 60
            };
        }
    }
    img
}

/// An encoder for `w × h` at 30 frames/s: a key frame every `key_every` frames.
pub fn encoder(bps: u32, key_every: u32) -> Encoder {
    let config = EncoderConfig::new()
        .bitrate(BitRate::from_bps(bps))
        .max_frame_rate(FrameRate::from_hz(30.0))
        .rate_control_mode(RateControlMode::Bitrate)
        .skip_frames(false)
        .intra_frame_period(IntraFramePeriod::from_num_frames(key_every));
    Encoder::with_api_config(OpenH264API::from_source(), config).expect("encoder")
}

/// One luma plane as an I420 picture (grey chroma).
pub fn yuv(luma: &[u8], w: usize, h: usize) -> YUVBuffer {
    let mut v = luma.to_vec();
    v.extend(std::iter::repeat_n(128u8, 2 * (w / 2) * (h / 2)));
    YUVBuffer::from_vec(v, w, h)
}

/// `frames` frames of the scene, each as Annex B bytes.
pub fn encode_scene(w: usize, h: usize, frames: usize, key_every: u32) -> Vec<Vec<u8>> {
    let bps = (w * h * 4) as u32; // ≈ 4 bits per pixel per second: a clean picture
    let mut enc = encoder(bps, key_every);
    (0..frames)
        .map(|k| {
            enc.encode(&yuv(&luma(k, w, h), w, h))
                .expect("encode")
                .to_vec()
        })
        .collect()
}

/// The NAL units of an Annex B frame (start codes of 3 or 4 bytes).
pub fn nals(annexb: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut start = None;
    while i + 3 <= annexb.len() {
        if annexb[i] == 0 && annexb[i + 1] == 0 && annexb[i + 2] == 1 {
            if let Some(s) = start {
                let mut e = i;
                while e > s && annexb[e - 1] == 0 {
                    e -= 1;
                }
                out.push(annexb[s..e].to_vec());
            }
            i += 3;
            start = Some(i);
        } else {
            i += 1;
        }
    }
    if let Some(s) = start {
        out.push(annexb[s..].to_vec());
    }
    out
}

/// Standard base64 (for `sprop-parameter-sets`).
pub fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in data.chunks(3) {
        let n = u32::from(c[0]) << 16
            | u32::from(*c.get(1).unwrap_or(&0)) << 8
            | u32::from(*c.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= c.len() {
                s.push(T[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// How the server behaves.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// Plays the frames, then keeps the connection open until the client leaves.
    Play,
    /// Plays the frames one per period (a camera's frame clock), then stays open.
    Paced(std::time::Duration),
    /// Plays the frames, then closes the connection.
    PlayThenClose,
    /// Plays this many frames, then sends nothing (the connection stays open).
    StallAfter(usize),
    /// Answers DESCRIBE with this status line (`404 Not Found`).
    Status(String),
    /// Asks for credentials (401 with a digest challenge).
    Unauthorized,
    /// Describes an H.265 stream.
    H265,
    /// Accepts the connection and never answers.
    Silent,
}

/// A running server.
pub struct Server {
    /// `rtsp://127.0.0.1:PORT/main.264`.
    pub url: String,
    /// Connections accepted so far.
    pub connections: Arc<AtomicUsize>,
    /// Connections the client has closed so far (EOF seen).
    pub closed: Arc<AtomicUsize>,
}

/// Serves `frames` (Annex B each) in `mode` on an ephemeral loopback port, every connection
/// the same way, until the process ends.
pub fn serve(mode: Mode, frames: Vec<Vec<u8>>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let url = format!("rtsp://127.0.0.1:{port}/main.264");
    let connections = Arc::new(AtomicUsize::new(0));
    let closed = Arc::new(AtomicUsize::new(0));
    let frames = Arc::new(frames);
    let (c, d, u) = (connections.clone(), closed.clone(), url.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            c.fetch_add(1, Ordering::SeqCst);
            let (mode, frames, d, u) = (mode.clone(), frames.clone(), d.clone(), u.clone());
            std::thread::spawn(move || {
                connection(stream, &mode, &frames, &u);
                d.fetch_add(1, Ordering::SeqCst);
            });
        }
    });
    Server {
        url,
        connections,
        closed,
    }
}

/// One request: method and CSeq, or `None` at EOF. Interleaved `$` data is skipped.
fn request(r: &mut BufReader<TcpStream>) -> Option<(String, String, String)> {
    loop {
        let buf = r.fill_buf().ok()?;
        if buf.is_empty() {
            return None;
        }
        if buf[0] == b'$' {
            let mut head = [0u8; 4];
            r.read_exact(&mut head).ok()?;
            let mut body = vec![0; usize::from(u16::from_be_bytes([head[2], head[3]]))];
            r.read_exact(&mut body).ok()?;
            continue;
        }
        let mut first = String::new();
        r.read_line(&mut first).ok()?;
        let (mut cseq, mut transport) = (String::new(), String::new());
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).ok()? == 0 {
                return None;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                match k.trim().to_ascii_lowercase().as_str() {
                    "cseq" => cseq = v.trim().to_string(),
                    "transport" => transport = v.trim().to_string(),
                    _ => {}
                }
            }
        }
        let method = first.split(' ').next().unwrap_or("").to_string();
        if method.is_empty() {
            continue;
        }
        return Some((method, cseq, transport));
    }
}

fn connection(stream: TcpStream, mode: &Mode, frames: &[Vec<u8>], url: &str) {
    let Ok(write_half) = stream.try_clone() else {
        return;
    };
    let out = Arc::new(Mutex::new(write_half));
    let mut r = BufReader::new(stream);
    let send = |text: String| {
        let _ = out.lock().expect("lock").write_all(text.as_bytes());
    };
    let sps_pps: Vec<Vec<u8>> = frames
        .first()
        .map(|f| {
            nals(f)
                .into_iter()
                .filter(|n| matches!(n[0] & 0x1f, 7 | 8))
                .collect()
        })
        .unwrap_or_default();
    loop {
        let Some((method, cseq, transport)) = request(&mut r) else {
            return;
        };
        if *mode == Mode::Silent {
            continue;
        }
        let ok = |extra: &str, body: &str| {
            format!(
                "RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\n{extra}Content-Length: {}\r\n\r\n{body}",
                body.len()
            )
        };
        match method.as_str() {
            "OPTIONS" => send(ok(
                "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER\r\n",
                "",
            )),
            "DESCRIBE" => match mode {
                Mode::Status(line) => send(format!("RTSP/1.0 {line}\r\nCSeq: {cseq}\r\n\r\n")),
                Mode::Unauthorized => send(format!(
                    "RTSP/1.0 401 Unauthorized\r\nCSeq: {cseq}\r\nWWW-Authenticate: Digest realm=\"cam\", nonce=\"abc\"\r\n\r\n"
                )),
                _ => {
                    let (codec, fmtp) = if *mode == Mode::H265 {
                        ("H265", String::new())
                    } else {
                        let sets: Vec<String> = sps_pps.iter().map(|n| base64(n)).collect();
                        (
                            "H264",
                            format!(
                                "a=fmtp:96 packetization-mode=1;sprop-parameter-sets={}\r\n",
                                sets.join(",")
                            ),
                        )
                    };
                    let sdp = format!(
                        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=test\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 {codec}/90000\r\n{fmtp}a=control:trackID=0\r\n"
                    );
                    send(ok(
                        &format!(
                            "Content-Base: {url}/\r\nContent-Type: application/sdp\r\n"
                        ),
                        &sdp,
                    ));
                }
            },
            "SETUP" => send(ok(
                &format!("Transport: {transport}\r\nSession: 4F3A12;timeout=60\r\n"),
                "",
            )),
            "PLAY" => {
                send(ok("Session: 4F3A12\r\n", ""));
                let pace = match mode {
                    Mode::Paced(d) => Some(*d),
                    _ => None,
                };
                let (count, close) = match mode {
                    Mode::StallAfter(n) => ((*n).min(frames.len()), false),
                    Mode::PlayThenClose => (frames.len(), true),
                    _ => (frames.len(), false),
                };
                let out2 = out.clone();
                let frames: Vec<Vec<u8>> = frames[..count].to_vec();
                // Frames go from their own thread, so keep-alive requests are answered.
                std::thread::spawn(move || {
                    let mut seq = 0u16;
                    for (k, f) in frames.iter().enumerate() {
                        if let (Some(d), true) = (pace, k > 0) {
                            std::thread::sleep(d); // the camera's frame clock, not a wait for sync
                        }
                        let ts = 3000 * k as u32;
                        let units = nals(f);
                        for (i, n) in units.iter().enumerate() {
                            for pkt in packetise(n, i + 1 == units.len()) {
                                let mut rtp = vec![0x80, 96, 0, 0];
                                if pkt.1 {
                                    rtp[1] |= 0x80;
                                }
                                rtp[2..4].copy_from_slice(&seq.to_be_bytes());
                                rtp.extend_from_slice(&ts.to_be_bytes());
                                rtp.extend_from_slice(&0x1234_5678u32.to_be_bytes());
                                rtp.extend_from_slice(&pkt.0);
                                seq = seq.wrapping_add(1);
                                let mut framed = vec![b'$', 0];
                                framed.extend_from_slice(&(rtp.len() as u16).to_be_bytes());
                                framed.extend_from_slice(&rtp);
                                // One lock per packet: replies never cut into RTP data.
                                if out2.lock().expect("lock").write_all(&framed).is_err() {
                                    return;
                                }
                            }
                        }
                    }
                    if close {
                        let _ = out2.lock().expect("lock").shutdown(std::net::Shutdown::Both);
                    }
                });
            }
            "TEARDOWN" => {
                send(ok("", ""));
                return;
            }
            _ => send(ok("", "")),
        }
    }
}

/// RTP payloads for one NAL unit (single NAL unit packet, or FU-A fragments of ≤ 1200 bytes),
/// each with its marker bit (set on the last packet of the frame's last unit).
fn packetise(nal: &[u8], last_of_frame: bool) -> Vec<(Vec<u8>, bool)> {
    const MAX: usize = 1200;
    if nal.len() <= MAX {
        return vec![(nal.to_vec(), last_of_frame)];
    }
    let header = nal[0];
    let chunks: Vec<&[u8]> = nal[1..].chunks(MAX).collect();
    let n = chunks.len();
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let mut p = vec![(header & 0xe0) | 28, header & 0x1f];
            if i == 0 {
                p[1] |= 0x80;
            }
            if i + 1 == n {
                p[1] |= 0x40;
            }
            p.extend_from_slice(c);
            (p, last_of_frame && i + 1 == n)
        })
        .collect()
}
