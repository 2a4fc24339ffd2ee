//! The simulated camera's video end to end on 127.0.0.1 (ephemeral ports): a minimal RTSP client
//! of our own (OPTIONS, DESCRIBE, SETUP interleaved, PLAY) receives the SDP and the RTP, puts
//! the FU-A fragments back together, and the openh264 decoder shows the car where `scene.rs`
//! projects it.

use std::time::Duration;

use openh264::decoder::Decoder;
use openh264::formats::YUVSource;
use rtsp_types::Message;
use siyi_bridge::sim::scene::{self, SimPose};
use siyi_bridge::sim::stream::{self, SceneOptions, VideoConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

const W: usize = 320;
const H: usize = 180;

fn config() -> VideoConfig {
    VideoConfig {
        width: W,
        height: H,
        fps: 30,
        bitrate_bps: 1_500_000,
        scene: SceneOptions::default(),
        ..VideoConfig::default()
    }
}

/// Looking straight at the car at t = 0 (azimuth 0, elevation −20), 1.5× zoom: the car (azimuth
/// within ±25°) stays in the picture (±29.6°) whatever the scene time.
fn pose() -> SimPose {
    SimPose {
        yaw_deg: 0.0,
        pitch_deg: -20.0,
        zoom: 1.5,
        scene_time_s: 0.0,
    }
}

/// A test RTSP client over one TCP connection.
struct Client {
    tcp: TcpStream,
    buf: Vec<u8>,
    cseq: u32,
    session: Option<String>,
}

enum Got {
    Response(rtsp_types::Response<Vec<u8>>),
    Data(u8, Vec<u8>),
}

impl Client {
    async fn connect(addr: std::net::SocketAddr) -> Self {
        Self {
            tcp: TcpStream::connect(addr).await.expect("connect"),
            buf: Vec::new(),
            cseq: 0,
            session: None,
        }
    }

    async fn next(&mut self) -> Got {
        loop {
            match Message::<Vec<u8>>::parse(&self.buf) {
                Ok((msg, used)) => {
                    self.buf.drain(..used);
                    match msg {
                        Message::Response(r) => return Got::Response(r),
                        Message::Data(d) => {
                            return Got::Data(d.channel_id(), d.as_slice().to_vec())
                        }
                        Message::Request(r) => panic!("the server sent a request: {r:?}"),
                    }
                }
                Err(rtsp_types::ParseError::Incomplete(_)) => {}
                Err(e) => panic!("unparsable from the server: {e:?}"),
            }
            let mut chunk = [0u8; 16_384];
            let n = self.tcp.read(&mut chunk).await.expect("read");
            assert!(n > 0, "the server closed the connection");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    async fn request(
        &mut self,
        method: &str,
        url: &str,
        extra: &str,
    ) -> rtsp_types::Response<Vec<u8>> {
        self.cseq += 1;
        let session = self
            .session
            .as_ref()
            .map(|s| format!("Session: {s}\r\n"))
            .unwrap_or_default();
        let text = format!(
            "{method} {url} RTSP/1.0\r\nCSeq: {}\r\n{session}{extra}User-Agent: test\r\n\r\n",
            self.cseq
        );
        self.tcp.write_all(text.as_bytes()).await.expect("write");
        loop {
            if let Got::Response(r) = self.next().await {
                let cseq = r
                    .header(&rtsp_types::headers::CSEQ)
                    .map(|v| v.as_str().to_owned());
                assert_eq!(cseq, Some(self.cseq.to_string()), "{r:?}");
                if let Some(s) = r.header(&rtsp_types::headers::SESSION) {
                    let id = s.as_str().split(';').next().unwrap_or("").to_owned();
                    self.session = Some(id);
                }
                return r;
            }
        }
    }

    /// DESCRIBE, SETUP (interleaved 0-1), PLAY: the SDP.
    async fn play(&mut self, uri: &str) -> String {
        let r = self.request("OPTIONS", uri, "").await;
        assert_eq!(r.status(), rtsp_types::StatusCode::Ok);
        let r = self
            .request("DESCRIBE", uri, "Accept: application/sdp\r\n")
            .await;
        assert_eq!(r.status(), rtsp_types::StatusCode::Ok);
        let sdp = String::from_utf8(r.body().clone()).expect("SDP text");
        let base = r
            .header(&rtsp_types::headers::CONTENT_BASE)
            .map(|v| v.as_str().to_owned())
            .expect("Content-Base");
        let track = format!("{base}trackID=0");
        let r = self
            .request(
                "SETUP",
                &track,
                "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n",
            )
            .await;
        assert_eq!(r.status(), rtsp_types::StatusCode::Ok, "{r:?}");
        let r = self.request("PLAY", &base, "Range: npt=0.000-\r\n").await;
        assert_eq!(r.status(), rtsp_types::StatusCode::Ok);
        sdp
    }

    /// The next access unit: (RTP timestamp, NAL units); RTCP sender reports are collected.
    async fn access_unit(&mut self, reports: &mut Vec<(u64, u32)>) -> (u32, Vec<Vec<u8>>) {
        let mut nals = Vec::new();
        let mut partial: Option<Vec<u8>> = None;
        let mut ts = None;
        loop {
            let Got::Data(ch, p) = self.next().await else {
                panic!("a response without a request");
            };
            if ch == 1 {
                assert_eq!(p[1], 200, "an RTCP sender report");
                let ntp = u64::from_be_bytes(p[8..16].try_into().unwrap());
                let rtp = u32::from_be_bytes(p[16..20].try_into().unwrap());
                reports.push((ntp, rtp));
                continue;
            }
            assert_eq!(ch, 0);
            assert_eq!(p[0] >> 6, 2, "RTP version 2");
            assert_eq!(p[1] & 0x7f, 96);
            let t = u32::from_be_bytes(p[4..8].try_into().unwrap());
            assert!(ts.is_none_or(|x| x == t), "one timestamp per access unit");
            ts = Some(t);
            let payload = &p[12..];
            if payload[0] & 0x1f == 28 {
                let fu = payload[1];
                if fu & 0x80 != 0 {
                    partial = Some(vec![(payload[0] & 0xe0) | (fu & 0x1f)]);
                }
                let nal = partial.as_mut().expect("FU-A start");
                nal.extend_from_slice(&payload[2..]);
                if fu & 0x40 != 0 {
                    nals.extend(partial.take());
                }
            } else {
                nals.push(payload.to_vec());
            }
            if p[1] & 0x80 != 0 {
                assert!(partial.is_none(), "the marker bit ends an access unit");
                return (t, nals);
            }
        }
    }
}

fn annex_b(nals: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for n in nals {
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(n);
    }
    out
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let bytes: Vec<u8> = s.bytes().filter(|&c| c != b'=').collect();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= u32::from(val(c)) << (18 - 6 * i);
        }
        let keep = chunk.len() - 1;
        out.extend_from_slice(&n.to_be_bytes()[1..1 + keep]);
    }
    out
}

/// The mean luma of the decoded picture over the car's body band at `pose`, or `shift` car
/// widths beside it (towards the picture's centre).
fn body_luma(luma: &[u8], stride: usize, p: &SimPose, shift: f64) -> f64 {
    let mut b = scene::target_box(p).expect("the car in view");
    let towards = if b.center_x > 0.5 { -1.0 } else { 1.0 };
    b.center_x += towards * shift * b.width;
    let (x0, x1) = (
        ((b.center_x - b.width * 0.35) * W as f64) as usize,
        ((b.center_x + b.width * 0.35) * W as f64) as usize,
    );
    let y = ((b.center_y - b.height / 2.0 + b.height * 0.5) * H as f64) as usize;
    let sum: f64 = (x0..x1).map(|x| f64::from(luma[y * stride + x])).sum();
    sum / (x1 - x0) as f64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_receives_sdp_and_rtp_and_the_car_decodes_where_scene_projects_it() {
    let (_pose_tx, pose_rx) = watch::channel(pose());
    let server = stream::spawn(([127, 0, 0, 1], 0).into(), config(), pose_rx)
        .await
        .expect("server");
    assert!(server.uri.starts_with("rtsp://127.0.0.1:") && server.uri.ends_with("/main.264"));
    let run = async {
        let mut c = Client::connect(server.local).await;
        let sdp = c.play(&server.uri).await;
        assert!(sdp.contains("packetization-mode=1"), "{sdp}");
        let sprop = sdp
            .split("sprop-parameter-sets=")
            .nth(1)
            .and_then(|s| s.split(['\r', '\n', ';']).next())
            .expect("sprop-parameter-sets");
        let params: Vec<Vec<u8>> = sprop.split(',').map(base64_decode).collect();
        assert_eq!(params.len(), 2);
        assert_eq!(
            (params[0][0] & 0x1f, params[1][0] & 0x1f),
            (7, 8),
            "SPS, PPS"
        );

        let mut decoder = Decoder::new().expect("decoder");
        let mut reports = Vec::new();
        let mut first_ts = None;
        let mut checked = 0;
        // The first access unit is an IDR rendered at scene time 0; later ones at
        // (RTP time − first) / 90 kHz.
        for k in 0..45 {
            let (ts, nals) = c.access_unit(&mut reports).await;
            if k == 0 {
                assert!(nals.iter().any(|n| n[0] & 0x1f == 5), "starts at an IDR");
            }
            let t0 = *first_ts.get_or_insert(ts);
            let mut bytes = annex_b(&params);
            bytes.extend(annex_b(&nals));
            let Some(yuv) = decoder.decode(&bytes).expect("decodes") else {
                continue;
            };
            assert_eq!(yuv.dimensions(), (W, H));
            let scene_time_s = f64::from(ts.wrapping_sub(t0)) / 90_000.0;
            let p = SimPose {
                scene_time_s,
                ..pose()
            };
            let stride = yuv.strides().0;
            let body = body_luma(yuv.y(), stride, &p, 0.0);
            assert!(
                body > 180.0,
                "frame {k} (t = {scene_time_s:.3} s): car body luma {body}"
            );
            // Two car widths beside it: ground, not the car.
            let ground = body_luma(yuv.y(), stride, &p, 2.0);
            assert!(ground < 170.0, "frame {k}: ground luma {ground}");
            checked += 1;
        }
        assert!(checked >= 40, "{checked} pictures decoded");
        assert!(!reports.is_empty(), "a sender report came first");
        let (_, rtp) = reports[0];
        assert_eq!(
            rtp,
            first_ts.unwrap(),
            "the first report is of the first picture"
        );
        let r = c.request("TEARDOWN", &server.uri, "").await;
        assert_eq!(r.status(), rtsp_types::StatusCode::Ok);
    };
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("within 60 s");
    assert!(
        server
            .stats
            .frames
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 45
    );
    server.task.abort();
}

/// A client that never reads (a 4 KiB receive buffer) is dropped; another one plays on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_dropped_and_the_others_play_on() {
    let (_pose_tx, pose_rx) = watch::channel(pose());
    let cfg = VideoConfig {
        bitrate_bps: 3_000_000,
        scene: SceneOptions {
            noise: 20,
            ..SceneOptions::default()
        },
        ..config()
    };
    let server = stream::spawn(([127, 0, 0, 1], 0).into(), cfg, pose_rx)
        .await
        .expect("server");
    let run = async {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
        let tcp = socket.connect(server.local).await.expect("connect");
        let mut stuck = Client {
            tcp,
            buf: Vec::new(),
            cseq: 0,
            session: None,
        };
        stuck.play(&server.uri).await;
        let mut reader = Client::connect(server.local).await;
        reader.play(&server.uri).await;
        let mut reports = Vec::new();
        let mut last = None;
        let dropped = || {
            server
                .stats
                .dropped_clients
                .load(std::sync::atomic::Ordering::Relaxed)
        };
        // The reader plays on while the stuck client fills its buffers and is dropped.
        let mut after_drop = 0;
        while after_drop < 30 {
            let (ts, _) = reader.access_unit(&mut reports).await;
            if let Some(prev) = last {
                assert_ne!(ts, prev, "one timestamp per picture");
            }
            last = Some(ts);
            if dropped() >= 1 {
                after_drop += 1;
            }
        }
        // The stuck client: whatever was buffered, then the end of the connection.
        let mut sink = vec![0u8; 65_536];
        loop {
            match stuck.tcp.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("within 60 s");
    server.task.abort();
}

/// Beyond `max_clients` connections a client gets 503 Service Unavailable.
#[tokio::test]
async fn connections_beyond_the_limit_are_refused() {
    let (_pose_tx, pose_rx) = watch::channel(pose());
    let cfg = VideoConfig {
        max_clients: 1,
        ..config()
    };
    let server = stream::spawn(([127, 0, 0, 1], 0).into(), cfg, pose_rx)
        .await
        .expect("server");
    let run = async {
        let mut first = Client::connect(server.local).await;
        let r = first.request("OPTIONS", &server.uri, "").await;
        assert_eq!(r.status(), rtsp_types::StatusCode::Ok);
        let mut second = Client::connect(server.local).await;
        let r = second.request("OPTIONS", &server.uri, "").await;
        assert_eq!(r.status(), rtsp_types::StatusCode::ServiceUnavailable);
        drop(first);
        // The slot comes back once the first connection is gone.
        loop {
            let mut third = Client::connect(server.local).await;
            third.cseq = 0;
            let r = third.request("OPTIONS", &server.uri, "").await;
            if r.status() == rtsp_types::StatusCode::Ok {
                break;
            }
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("within 30 s");
    assert!(
        server
            .stats
            .refused
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 1
    );
    server.task.abort();
}

/// RTP over UDP (ffmpeg's default): SETUP with the client's ports, the pictures arrive as
/// datagrams from the server's, and decode.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rtp_over_udp_reaches_the_clients_ports_and_decodes() {
    let (_pose_tx, pose_rx) = watch::channel(pose());
    let server = stream::spawn(([127, 0, 0, 1], 0).into(), config(), pose_rx)
        .await
        .expect("server");
    let run = async {
        let rtp = tokio::net::UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("udp");
        let rtcp = tokio::net::UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("udp");
        let (a, b) = (
            rtp.local_addr().unwrap().port(),
            rtcp.local_addr().unwrap().port(),
        );
        let mut c = Client::connect(server.local).await;
        let r = c.request("DESCRIBE", &server.uri, "").await;
        assert_eq!(r.status(), rtsp_types::StatusCode::Ok);
        let track = format!("{}/trackID=0", server.uri);
        let r = c
            .request(
                "SETUP",
                &track,
                &format!("Transport: RTP/AVP;unicast;client_port={a}-{b}\r\n"),
            )
            .await;
        assert_eq!(r.status(), rtsp_types::StatusCode::Ok, "{r:?}");
        let transport = r
            .header(&rtsp_types::headers::TRANSPORT)
            .map(|v| v.as_str().to_owned())
            .unwrap_or_default();
        assert!(
            transport.contains(&format!("client_port={a}-{b}")),
            "{transport}"
        );
        assert!(transport.contains("server_port="), "{transport}");
        let r = c.request("PLAY", &server.uri, "").await;
        assert_eq!(r.status(), rtsp_types::StatusCode::Ok);
        // A sender report on the RTCP port.
        let mut buf = vec![0u8; 2048];
        let n = rtcp.recv(&mut buf).await.expect("RTCP");
        assert_eq!((n, buf[1]), (28, 200));
        // The first access unit: an IDR, which decodes.
        let mut nals: Vec<Vec<u8>> = Vec::new();
        let mut partial: Option<Vec<u8>> = None;
        loop {
            let n = rtp.recv(&mut buf).await.expect("RTP");
            let p = &buf[..n];
            let payload = &p[12..];
            if payload[0] & 0x1f == 28 {
                if payload[1] & 0x80 != 0 {
                    partial = Some(vec![(payload[0] & 0xe0) | (payload[1] & 0x1f)]);
                }
                let nal = partial.as_mut().expect("FU-A start (no loss on loopback)");
                nal.extend_from_slice(&payload[2..]);
                if payload[1] & 0x40 != 0 {
                    nals.extend(partial.take());
                }
            } else {
                nals.push(payload.to_vec());
            }
            if p[1] & 0x80 != 0 {
                break;
            }
        }
        assert!(nals.iter().any(|n| n[0] & 0x1f == 5), "an IDR first");
        let mut decoder = Decoder::new().expect("decoder");
        let yuv = decoder
            .decode(&annex_b(&nals))
            .expect("decodes")
            .expect("a picture");
        assert_eq!(yuv.dimensions(), (W, H));
        let body = body_luma(yuv.y(), yuv.strides().0, &pose(), 0.0);
        assert!(body > 180.0, "car body luma {body}");
        let r = c.request("TEARDOWN", &server.uri, "").await;
        assert_eq!(r.status(), rtsp_types::StatusCode::Ok);
    };
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("within 60 s");
    server.task.abort();
}

/// With `delay_ms`, each picture arrives that long after its capture time, which the sender
/// reports map from RTP time to the wall clock (NTP).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::disallowed_methods)] // the test reads the wall clock a client would
async fn the_delay_holds_pictures_and_sender_reports_tell_their_capture_time() {
    let (_pose_tx, pose_rx) = watch::channel(pose());
    let cfg = VideoConfig {
        delay_ms: 300,
        ..config()
    };
    let server = stream::spawn(([127, 0, 0, 1], 0).into(), cfg, pose_rx)
        .await
        .expect("server");
    let run = async {
        let mut c = Client::connect(server.local).await;
        c.play(&server.uri).await;
        let mut reports = Vec::new();
        let mut delays_ms = Vec::new();
        for _ in 0..20 {
            let (ts, _) = c.access_unit(&mut reports).await;
            let arrived = std::time::SystemTime::now();
            let &(ntp, rtp) = reports
                .last()
                .expect("a sender report before the first picture");
            // Capture time of this picture: the report's wall time plus the RTP time since.
            let since_s = f64::from(ts.wrapping_sub(rtp)) / 90_000.0;
            let secs =
                (ntp >> 32) as f64 - 2_208_988_800.0 + (ntp & 0xffff_ffff) as f64 / 4_294_967_296.0;
            let unix = arrived
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs_f64();
            delays_ms.push((unix - (secs + since_s)) * 1000.0);
        }
        let min = delays_ms.iter().copied().fold(f64::INFINITY, f64::min);
        assert!(
            min >= 295.0,
            "a picture came {min:.0} ms after its capture: {delays_ms:?}"
        );
        let mean = delays_ms.iter().sum::<f64>() / delays_ms.len() as f64;
        assert!(mean < 1500.0, "mean delay {mean:.0} ms: {delays_ms:?}");
    };
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("within 60 s");
    server.task.abort();
}
