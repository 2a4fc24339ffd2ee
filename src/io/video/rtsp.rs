//! The camera's RTSP stream with `retina`: RTP over the RTSP TCP connection (interleaved), H.264
//! depacketised by retina into AVCC frames, which [`super::nal`] checks and frames again. A
//! session goes DESCRIBE → SETUP (TCP) → PLAY → frames; whatever ends it is said in words
//! ([`VideoState`]) and the client reconnects after [`backoff`] (0.5, 1, 2, 4, 8, then every
//! 10 s; back to 0.5 s after a session that delivered frames). Each step has a deadline
//! ([`RtspConfig::step_timeout`]); no frame for [`RtspConfig::stall`] is a stall.
//!
//! Only H.264 is taken; an H.265 stream (the A8 mini can be set either way and keeps the path
//! `main.264`) is refused with the fix ([`WRONG_CODEC_FIX`]) and retried every 10 s (the user
//! may change the setting and power-cycle the camera).

use std::time::{Duration, Instant, SystemTime};

use futures_util::StreamExt;
use retina::client::{
    Credentials, PlayOptions, Session, SessionOptions, SetupOptions, TcpTransportOptions, Transport,
};
use retina::codec::{CodecItem, FrameFormat, ParametersRef};
use url::Url;

use super::clock::{CaptureClock, CaptureSource};
use super::decode::{FOUR_K_PIXELS, MAX_PIXELS};
use super::nal::{avc_config_units, avcc_units, AccessUnit};

/// What to do when the stream is H.265, in words.
pub const WRONG_CODEC_FIX: &str = "set STREAM_CODEC = H.264 in QGC's camera settings (the gear of the video), then power-cycle the camera";

/// Where and how to pull the video.
#[derive(Debug, Clone)]
pub struct RtspConfig {
    /// `rtsp://host:port/path`.
    pub url: Url,
    /// User and password, when the server asks for them.
    pub credentials: Option<(String, String)>,
    /// The sensor-to-network latency subtracted from arrival times (see [`super::clock`]).
    pub latency: Duration,
    /// No frame for this long is a stall (the session is dropped and made again).
    pub stall: Duration,
    /// Each of connect + DESCRIBE, SETUP and PLAY must finish within this.
    pub step_timeout: Duration,
}

impl RtspConfig {
    /// The defaults for `url`: no credentials, 150 ms latency, 3 s stall, 5 s per step.
    pub fn new(url: Url) -> Self {
        Self {
            url,
            credentials: None,
            latency: super::clock::DEFAULT_LATENCY,
            stall: Duration::from_secs(3),
            step_timeout: Duration::from_secs(5),
        }
    }
}

/// The video's state, each said in words by its `Display`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VideoState {
    /// Connecting (attempt n, from 1).
    Connecting(u32),
    /// Nothing listens at the address, or it cannot be reached.
    NoServer(String),
    /// The server answered with an error status.
    Refused(u16, String),
    /// The server asks for a user and password.
    Credentials,
    /// The stream is not H.264.
    WrongCodec(String),
    /// The server sent no video stream in its description.
    NoVideo,
    /// Playing: the first frame arrived with this picture size.
    Playing(u32, u32),
    /// The picture size changed mid-stream.
    Resized((u32, u32), (u32, u32)),
    /// The picture is larger than the decoder takes; frames are dropped.
    TooLarge(u32, u32),
    /// No frame for this long; reconnecting.
    Stalled(Duration),
    /// The session ended for another reason (the words of the error).
    Ended(String),
}

impl std::fmt::Display for VideoState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Connecting(n) => write!(f, "video: connecting (attempt {n})"),
            Self::NoServer(why) => write!(f, "video: no video server at the stream address ({why})"),
            Self::Refused(code, why) => write!(f, "video: the server refused the stream: {code} {why}"),
            Self::Credentials => write!(f, "video: the server asks for a user name and password (RTSP 401); put them in the stream address (rtsp://user:password@host/...)"),
            Self::WrongCodec(c) => write!(f, "video: the camera streams {c}, the built-in tracker needs H.264: {WRONG_CODEC_FIX}"),
            Self::NoVideo => write!(f, "video: the server's description holds no video stream"),
            Self::Playing(w, h) => {
                write!(f, "video: playing H.264 {w}x{h}")?;
                if (*w as usize) * (*h as usize) >= FOUR_K_PIXELS {
                    write!(f, " (4K: decoding costs about 9 times a 720p frame; 1280x720 is enough for tracking)")?;
                }
                Ok(())
            }
            Self::Resized((a, b), (c, d)) => write!(f, "video: the picture size changed from {a}x{b} to {c}x{d}; the tracker starts again on the new size"),
            Self::TooLarge(w, h) => write!(f, "video: {w}x{h} is above the decoder's {MAX_PIXELS}-pixel limit; frames are dropped (set the camera to 1080p or 720p)"),
            Self::Stalled(d) => write!(f, "video: no frame for {:.1} s (stalled); reconnecting", d.as_secs_f64()),
            Self::Ended(why) => write!(f, "video: the stream ended ({why}); reconnecting"),
        }
    }
}

/// One H.264 frame off the network.
#[derive(Debug, Clone)]
pub struct EncodedFrame {
    /// Its NAL units (parameter sets prepended when they change), checked.
    pub unit: AccessUnit,
    /// When the picture was taken, on our clock.
    pub capture: Instant,
    /// How `capture` was estimated.
    pub capture_source: CaptureSource,
    /// The RTP time since the session started, seconds.
    pub rtp_s: f64,
    /// The picture size the SDP / SPS announce.
    pub size: (u32, u32),
    /// RTP packets lost before it.
    pub loss: u16,
}

/// What the client tells its user.
#[derive(Debug, Clone)]
pub enum VideoEvent {
    /// A state change, in words.
    State(VideoState),
    /// A frame.
    Frame(EncodedFrame),
}

/// The wait before reconnect attempt `n` (from 1): 0.5, 1, 2, 4, 8 s, then 10 s.
pub fn backoff(attempt: u32) -> Duration {
    let ms = 500u64.saturating_mul(1 << attempt.saturating_sub(1).min(5));
    Duration::from_millis(ms.min(10_000))
}

/// How a session ended.
#[derive(Debug)]
enum End {
    /// The sink wants no more.
    Stop,
    /// Said in words; `played` when frames arrived.
    State(VideoState, bool),
}

/// Runs [`run`] on a thread of its own (`video-rtsp`, with a single-threaded tokio runtime), never
/// in the caller's loop, until `sink` returns false or `stop` is set (polled every 50 ms as well,
/// so a stalled server cannot hold the thread).
pub fn spawn(
    config: RtspConfig,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    sink: impl FnMut(VideoEvent) -> bool + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    use std::sync::atomic::Ordering;
    std::thread::Builder::new()
        .name("video-rtsp".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            let watch = async {
                while !stop.load(Ordering::Relaxed) {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            };
            rt.block_on(async {
                tokio::select! {
                    () = run(config, sink) => {}
                    () = watch => {}
                }
            });
        })
}

/// Pulls video until `sink` returns false, reconnecting after failures; states and frames go
/// to `sink`.
pub async fn run(config: RtspConfig, mut sink: impl FnMut(VideoEvent) -> bool) {
    let mut attempt = 0u32;
    let mut clock = CaptureClock::new(config.latency);
    loop {
        attempt += 1;
        if !sink(VideoEvent::State(VideoState::Connecting(attempt))) {
            return;
        }
        clock.reset();
        let (state, played) = match session(&config, &mut clock, &mut sink).await {
            End::Stop => return,
            End::State(s, played) => (s, played),
        };
        let slow = matches!(state, VideoState::WrongCodec(_) | VideoState::Credentials);
        if !sink(VideoEvent::State(state)) {
            return;
        }
        if played {
            attempt = 1;
        }
        let wait = if slow { backoff(99) } else { backoff(attempt) };
        tokio::time::sleep(wait).await;
    }
}

fn classify(e: &retina::Error) -> VideoState {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or("").to_string();
    match e.status_code() {
        Some(401) => VideoState::Credentials,
        Some(code) => VideoState::Refused(code, first),
        None if text.contains("refused") || text.contains("Unable to connect") => {
            VideoState::NoServer(first)
        }
        None => VideoState::Ended(first),
    }
}

async fn step<T>(
    config: &RtspConfig,
    what: &str,
    f: impl std::future::Future<Output = Result<T, retina::Error>>,
) -> Result<T, End> {
    match tokio::time::timeout(config.step_timeout, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(End::State(classify(&e), false)),
        Err(_) => Err(End::State(
            VideoState::NoServer(format!(
                "no answer to {what} within {:.0} s",
                config.step_timeout.as_secs_f64()
            )),
            false,
        )),
    }
}

async fn session(
    config: &RtspConfig,
    clock: &mut CaptureClock,
    sink: &mut impl FnMut(VideoEvent) -> bool,
) -> End {
    match session_inner(config, clock, sink).await {
        Ok(end) | Err(end) => end,
    }
}

async fn session_inner(
    config: &RtspConfig,
    clock: &mut CaptureClock,
    sink: &mut impl FnMut(VideoEvent) -> bool,
) -> Result<End, End> {
    let mut url = config.url.clone();
    let mut creds = config.credentials.clone();
    if !url.username().is_empty() {
        let user = percent(url.username());
        let pass = percent(url.password().unwrap_or(""));
        creds = Some((user, pass));
        let _ = url.set_username("");
        let _ = url.set_password(None);
    }
    let options = SessionOptions::default()
        .creds(creds.map(|(username, password)| Credentials { username, password }))
        .user_agent("siyi-bridge".into());
    let mut described = step(config, "DESCRIBE", Session::describe(url, options)).await?;
    let Some(index) = described
        .streams()
        .iter()
        .position(|s| s.media() == "video")
    else {
        return Err(End::State(VideoState::NoVideo, false));
    };
    let codec = described.streams()[index]
        .encoding_name()
        .to_ascii_lowercase();
    if codec != "h264" {
        let name = match codec.as_str() {
            "h265" | "hevc" => "H.265".to_string(),
            other => other.to_string(),
        };
        return Err(End::State(VideoState::WrongCodec(name), false));
    }
    let setup = SetupOptions::default()
        .transport(Transport::Tcp(TcpTransportOptions::default()))
        .frame_format(FrameFormat::MP4);
    step(config, "SETUP", described.setup(index, setup)).await?;
    let playing = step(config, "PLAY", described.play(PlayOptions::default())).await?;
    let mut demuxed = playing
        .demuxed()
        .map_err(|e| End::State(classify(&e), false))?;
    let mut size: Option<(u32, u32)> = None;
    let mut params: Vec<Vec<u8>> = Vec::new();
    let mut played = false;
    let mut unit = AccessUnit::new();
    loop {
        let item = match tokio::time::timeout(config.stall, demuxed.next()).await {
            Err(_) => return Err(End::State(VideoState::Stalled(config.stall), played)),
            Ok(None) => {
                return Err(End::State(
                    VideoState::Ended("the server closed the connection".into()),
                    played,
                ))
            }
            Ok(Some(Err(e))) => return Err(End::State(classify(&e), played)),
            Ok(Some(Ok(item))) => item,
        };
        match item {
            CodecItem::Rtcp(rtcp) => {
                let Some(ts) = rtcp.rtp_timestamp() else {
                    continue;
                };
                let sr = rtcp
                    .pkts()
                    .next()
                    .and_then(|p| p.as_sender_report().ok().flatten());
                if let Some(sr) = sr {
                    let ntp = sr.ntp_timestamp().0;
                    let sender_wall = ntp_to_unix_s(ntp);
                    let our_wall = wall_s(SystemTime::UNIX_EPOCH, rtcp.ctx().received_wall());
                    clock.on_sender_report(
                        ts.elapsed_secs(),
                        sender_wall,
                        our_wall,
                        rtcp.ctx().received(),
                    );
                    if let Some(note) = clock.note() {
                        tracing::info!("video: {note}");
                    }
                }
            }
            CodecItem::VideoFrame(frame) => {
                if frame.has_new_parameters() || size.is_none() {
                    if let Some(ParametersRef::Video(p)) = demuxed.streams()[index].parameters() {
                        let new = p.pixel_dimensions();
                        params = avc_config_units(p.extra_data())
                            .map(|v| v.into_iter().map(<[u8]>::to_vec).collect())
                            .unwrap_or_default();
                        let state = match size {
                            None => VideoState::Playing(new.0, new.1),
                            Some(old) if old != new => VideoState::Resized(old, new),
                            Some(_) => VideoState::Playing(new.0, new.1),
                        };
                        let changed = size != Some(new);
                        size = Some(new);
                        if changed && !sink(VideoEvent::State(state)) {
                            return Ok(End::Stop);
                        }
                        if (new.0 as usize) * (new.1 as usize) > MAX_PIXELS
                            && !sink(VideoEvent::State(VideoState::TooLarge(new.0, new.1)))
                        {
                            return Ok(End::Stop);
                        }
                    }
                }
                let Some(dims) = size else { continue };
                if (dims.0 as usize) * (dims.1 as usize) > MAX_PIXELS {
                    continue;
                }
                unit.clear();
                if frame.is_random_access_point() || frame.has_new_parameters() {
                    for p in &params {
                        let _ = unit.push(p);
                    }
                }
                // A malformed frame (a length past the end, a bad header) is dropped whole:
                // the decoder sees only checked units.
                let Ok(nals) = avcc_units(frame.data()) else {
                    continue;
                };
                if nals.iter().any(|n| unit.push(n).is_err()) {
                    continue;
                }
                played = true;
                let rtp_s = frame.timestamp().elapsed_secs();
                let (capture, capture_source) = clock.on_frame(rtp_s, frame.end_ctx().received());
                let out = EncodedFrame {
                    unit: unit.clone(),
                    capture,
                    capture_source,
                    rtp_s,
                    size: dims,
                    loss: frame.loss(),
                };
                if !sink(VideoEvent::Frame(out)) {
                    return Ok(End::Stop);
                }
            }
            _ => {}
        }
    }
}

/// `%xx` escapes of a URL's user or password undone.
fn percent(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if let [b'%', a, b, ..] = bytes[i..] {
            if let (Some(a), Some(b)) = (hex(a), hex(b)) {
                out.push((a * 16 + b) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An NTP timestamp (seconds since 1900 in 32.32 fixed point) as seconds since 1970.
fn ntp_to_unix_s(ntp: u64) -> f64 {
    const UNIX_FROM_NTP_S: f64 = 2_208_988_800.0;
    (ntp >> 32) as f64 + (ntp & 0xffff_ffff) as f64 / 4_294_967_296.0 - UNIX_FROM_NTP_S
}

fn wall_s(epoch: SystemTime, w: retina::WallTime) -> f64 {
    SystemTime::from(w)
        .duration_since(epoch)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_schedule() {
        let s: Vec<u64> = (1..=8).map(|n| backoff(n).as_millis() as u64).collect();
        assert_eq!(s, [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
    }

    #[test]
    fn url_credentials_are_unescaped_and_ntp_converted() {
        assert_eq!(percent("a%40b%3"), "a@b%3");
        assert_eq!(percent("plain"), "plain");
        let ntp_2020: u64 = (2_208_988_800u64 + 1_577_836_800) << 32 | (1 << 31);
        assert!((ntp_to_unix_s(ntp_2020) - 1_577_836_800.5).abs() < 1e-6);
    }

    #[test]
    fn states_in_words() {
        assert!(VideoState::WrongCodec("H.265".into())
            .to_string()
            .contains("STREAM_CODEC = H.264"));
        assert!(VideoState::Playing(3840, 2160).to_string().contains("4K"));
        assert!(!VideoState::Playing(1280, 720).to_string().contains("4K"));
    }
}
