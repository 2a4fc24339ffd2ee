//! The RTSP 1.0 side of one client connection (RFC 2326), sans-IO: requests parsed by the
//! `rtsp-types` crate in, responses and what to do next out.
//!
//! OPTIONS, DESCRIBE (an SDP with `sprop-parameter-sets` and `packetization-mode=1`), SETUP
//! (RTP over the RTSP connection, `RTP/AVP/TCP;interleaved=…`, or over UDP to the client's ports
//! on loopback), PLAY, PAUSE, TEARDOWN, and GET_PARAMETER / SET_PARAMETER as keep-alives. One
//! stream, `path` (`/main.264` like the A8 mini); the aggregate URL and `…/trackID=0` both
//! name it. No authentication (the A8 mini asks for none).

use rtsp_types::headers::{self, RtpLowerTransport, Transport, Transports};
use rtsp_types::{Method, Request, Response, StatusCode, Version};

/// What the stream is: for the SDP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamInfo {
    /// The URL path, e.g. `/main.264`.
    pub path: String,
    /// The sequence parameter set (NAL unit, no start code).
    pub sps: Vec<u8>,
    /// The picture parameter set.
    pub pps: Vec<u8>,
    /// Frames per second.
    pub fps: u32,
    /// Picture size, pixels.
    pub width: usize,
    /// Picture size, pixels.
    pub height: usize,
}

/// Where the RTP and RTCP packets of a session go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RtpTarget {
    /// Interleaved in the RTSP connection, on these channels.
    Interleaved {
        /// The RTP channel.
        rtp: u8,
        /// The RTCP channel.
        rtcp: u8,
    },
    /// UDP datagrams to these ports of the client's address.
    Udp {
        /// The client's RTP port.
        rtp: u16,
        /// The client's RTCP port.
        rtcp: u16,
    },
}

/// What the connection does after a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Nothing more than the response.
    Reply,
    /// The client asked for UDP: bind two ports, then answer with [`RtspSession::udp_ready`].
    BindUdp,
    /// Start (or go on) sending.
    Play,
    /// Stop sending, keep the session.
    Pause,
    /// Stop sending and close the connection after the response.
    Teardown,
}

/// The RTSP state of one connection.
#[derive(Clone, Debug)]
pub struct RtspSession {
    id: String,
    ssrc: u32,
    target: Option<RtpTarget>,
    pending_udp: Option<(u16, u16)>,
    playing: bool,
}

/// The session timeout we announce, seconds.
pub const SESSION_TIMEOUT_S: u64 = 60;

impl RtspSession {
    /// A session with this id (printable, no `;`) and SSRC.
    pub fn new(id: String, ssrc: u32) -> Self {
        Self {
            id,
            ssrc,
            target: None,
            pending_udp: None,
            playing: false,
        }
    }

    /// Where packets go, once set up.
    pub fn target(&self) -> Option<RtpTarget> {
        self.target
    }

    /// Whether the client is playing.
    pub fn playing(&self) -> bool {
        self.playing
    }

    /// Handles one request; `base` is the URL the client used without the path
    /// (`rtsp://host:port`).
    pub fn handle(
        &mut self,
        req: &Request<Vec<u8>>,
        info: &StreamInfo,
        base: &str,
    ) -> (Response<Vec<u8>>, Action) {
        let path_ok = req.request_uri().is_none_or(|u| {
            let p = u.path().trim_end_matches('/');
            p == info.path || p.starts_with(&format!("{}/", info.path)) || p.is_empty()
        });
        if !path_ok {
            return (
                self.reply(req, StatusCode::NotFound).empty_body(),
                Action::Reply,
            );
        }
        let session_ok = req
            .header(&headers::SESSION)
            .is_none_or(|v| v.as_str().split(';').next().map(str::trim) == Some(&self.id));
        if !session_ok {
            return (
                self.reply(req, StatusCode::SessionNotFound).empty_body(),
                Action::Reply,
            );
        }
        match req.method() {
            Method::Options => (
                self.reply(req, StatusCode::Ok)
                    .header(
                        headers::PUBLIC,
                        "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER",
                    )
                    .empty_body(),
                Action::Reply,
            ),
            Method::Describe => {
                let url = format!("{base}{}/", info.path);
                let sdp = sdp(info);
                (
                    self.reply(req, StatusCode::Ok)
                        .header(headers::CONTENT_BASE, url)
                        .header(headers::CONTENT_TYPE, "application/sdp")
                        .build(sdp.into_bytes()),
                    Action::Reply,
                )
            }
            Method::Setup => self.setup(req),
            Method::Play if self.target.is_some() => {
                self.playing = true;
                (
                    self.with_session(self.reply(req, StatusCode::Ok))
                        .header(headers::RANGE, "npt=0.000-")
                        .empty_body(),
                    Action::Play,
                )
            }
            Method::Pause if self.target.is_some() => {
                self.playing = false;
                (
                    self.with_session(self.reply(req, StatusCode::Ok)).empty_body(),
                    Action::Pause,
                )
            }
            Method::Play | Method::Pause => (
                self.reply(req, StatusCode::MethodNotValidInThisState)
                    .empty_body(),
                Action::Reply,
            ),
            Method::Teardown => {
                self.playing = false;
                (
                    self.reply(req, StatusCode::Ok).empty_body(),
                    Action::Teardown,
                )
            }
            Method::GetParameter | Method::SetParameter => (
                self.with_session(self.reply(req, StatusCode::Ok)).empty_body(),
                Action::Reply,
            ),
            _ => (
                self.reply(req, StatusCode::NotImplemented).empty_body(),
                Action::Reply,
            ),
        }
    }

    fn setup(&mut self, req: &Request<Vec<u8>>) -> (Response<Vec<u8>>, Action) {
        let Ok(Some(transports)) = req.typed_header::<Transports>() else {
            return (
                self.reply(req, StatusCode::BadRequest).empty_body(),
                Action::Reply,
            );
        };
        for t in transports.iter() {
            let Transport::Rtp(rtp) = t else { continue };
            match rtp.lower_transport {
                Some(RtpLowerTransport::Tcp) => {
                    let (a, b) = rtp.params.interleaved.unwrap_or((0, Some(1)));
                    let rtcp = b.unwrap_or(a.wrapping_add(1));
                    self.target = Some(RtpTarget::Interleaved { rtp: a, rtcp });
                    let value = format!(
                        "RTP/AVP/TCP;unicast;interleaved={a}-{rtcp};ssrc={:08X};mode=\"PLAY\"",
                        self.ssrc
                    );
                    return (
                        self.with_session(self.reply(req, StatusCode::Ok))
                            .header(headers::TRANSPORT, value)
                            .empty_body(),
                        Action::Reply,
                    );
                }
                None | Some(RtpLowerTransport::Udp) if !rtp.params.multicast => {
                    if let Some((a, b)) = rtp.params.client_port {
                        self.pending_udp = Some((a, b.unwrap_or(a.wrapping_add(1))));
                        let (resp, _) = self.unsupported(req);
                        return (resp, Action::BindUdp);
                    }
                }
                _ => {}
            }
        }
        self.unsupported(req)
    }

    fn unsupported(&self, req: &Request<Vec<u8>>) -> (Response<Vec<u8>>, Action) {
        (
            self.reply(req, StatusCode::UnsupportedTransport)
                .empty_body(),
            Action::Reply,
        )
    }

    /// Completes a SETUP that returned [`Action::BindUdp`]: `server` are the two ports bound
    /// (RTP, RTCP), or `None` when binding failed (then 461 Unsupported Transport, so the client
    /// may try TCP).
    pub fn udp_ready(
        &mut self,
        req: &Request<Vec<u8>>,
        server: Option<(u16, u16)>,
    ) -> Response<Vec<u8>> {
        let (Some((c_rtp, c_rtcp)), Some((s_rtp, s_rtcp))) = (self.pending_udp.take(), server)
        else {
            return self.unsupported(req).0;
        };
        self.target = Some(RtpTarget::Udp {
            rtp: c_rtp,
            rtcp: c_rtcp,
        });
        let value = format!(
            "RTP/AVP;unicast;client_port={c_rtp}-{c_rtcp};server_port={s_rtp}-{s_rtcp};ssrc={:08X};mode=\"PLAY\"",
            self.ssrc
        );
        self.with_session(self.reply(req, StatusCode::Ok))
            .header(headers::TRANSPORT, value)
            .empty_body()
    }

    fn reply(&self, req: &Request<Vec<u8>>, status: StatusCode) -> rtsp_types::ResponseBuilder {
        let mut b = Response::builder(Version::V1_0, status)
            .header(headers::SERVER, "siyi-bridge simulated A8 mini");
        if let Some(cseq) = req.header(&headers::CSEQ) {
            b = b.header(headers::CSEQ, cseq.as_str());
        }
        b
    }

    fn with_session(&self, b: rtsp_types::ResponseBuilder) -> rtsp_types::ResponseBuilder {
        b.header(
            headers::SESSION,
            format!("{};timeout={SESSION_TIMEOUT_S}", self.id),
        )
    }
}

trait EmptyBody {
    fn empty_body(self) -> Response<Vec<u8>>;
}

impl EmptyBody for rtsp_types::ResponseBuilder {
    fn empty_body(self) -> Response<Vec<u8>> {
        self.build(Vec::new())
    }
}

/// The SDP of the stream (RFC 4566; H.264 per RFC 6184 §8.2.1).
pub fn sdp(info: &StreamInfo) -> String {
    let profile = info.sps.get(1..4).map_or_else(
        || "42c01f".to_owned(),
        |p| format!("{:02x}{:02x}{:02x}", p[0], p[1], p[2]),
    );
    format!(
        "v=0\r\n\
         o=- 1 1 IN IP4 127.0.0.1\r\n\
         s=siyi-bridge simulated A8 mini\r\n\
         c=IN IP4 0.0.0.0\r\n\
         t=0 0\r\n\
         a=control:*\r\n\
         a=range:npt=0-\r\n\
         m=video 0 RTP/AVP {pt}\r\n\
         a=rtpmap:{pt} H264/90000\r\n\
         a=fmtp:{pt} packetization-mode=1;profile-level-id={profile};sprop-parameter-sets={sps},{pps}\r\n\
         a=framerate:{fps}\r\n\
         a=x-dimensions:{w},{h}\r\n\
         a=control:trackID=0\r\n",
        pt = super::rtp::PAYLOAD_TYPE,
        sps = base64(&info.sps),
        pps = base64(&info.pps),
        fps = info.fps,
        w = info.width,
        h = info.height,
    )
}

/// Standard base64 with padding (RFC 4648 §4).
pub fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * k)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
