//! Issue 7 over real loopback sockets: who gets answers (peer table, spoofing, connected
//! `udpout`, MAVLink 2 signing) and endpoints that come back (`tcpout`). Distinct loopback source
//! ports stand in for spoofers; every wait is bounded and waits on a condition, never a sleep.
#![allow(clippy::disallowed_methods)] // real time: this is the end-to-end test

mod gcs;

use std::time::{Duration, Instant};

use gcs::{command_long, heartbeat, is_camera_heartbeat, p, Gcs};
use mavlink::dialects::common::{MavCmd, MavMessage, MavResult};
use mavlink::MavHeader;
use siyi_bridge::app;
use siyi_bridge::config::Config;
use siyi_bridge::core::mavlink::wire::FrameSplitter;
use siyi_bridge::core::mavlink::Inbound;
use siyi_bridge::io::endpoint::Endpoint;
use siyi_bridge::io::mavlink::signing::SigningKey;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, UdpSocket};

const WAIT: Duration = Duration::from_secs(15);
const KEY_HEX: &str = "5a5a5a5a000102030405060708090a0b0c0d0e0f101112131415161718191a1b";

fn config(ep: Endpoint, signing_key: Option<SigningKey>) -> Config {
    Config {
        signing_key,
        ..Config::simulated(vec![ep])
    }
}

fn key_bytes(hex: &str) -> [u8; 32] {
    let mut k = [0u8; 32];
    for (i, b) in k.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex");
    }
    k
}

fn request_message(id: f32) -> MavMessage {
    command_long(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[id]), 0)
}

/// Defects 5/6: a 1-byte or garbage datagram registers nothing and gets zero bytes back; a
/// real GCS keeps getting heartbeats.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spoofed_garbage_gets_zero_bytes_back() {
    let running = app::spawn(config(
        Endpoint::UdpIn("127.0.0.1:0".parse().unwrap()),
        None,
    ))
    .await
    .expect("bridge starts");
    let addr = running.mavlink_local[0].expect("udp socket");
    let spoofed: Vec<Gcs> = {
        let mut v = Vec::new();
        for _ in 0..4 {
            v.push(Gcs::new(addr, WAIT).await);
        }
        v
    };
    spoofed[0].sock.send_to(&[0x00], addr).await.unwrap();
    spoofed[1].sock.send_to(&[0xFD], addr).await.unwrap();
    spoofed[2]
        .sock
        .send_to(&vec![0xFD; 60_000], addr)
        .await
        .unwrap();
    // A well-formed header with a bad CRC.
    let mut bad = Vec::new();
    mavlink::write_v2_msg(&mut bad, MavHeader::default(), &heartbeat()).unwrap();
    let last = bad.len() - 1;
    bad[last] ^= 0xFF;
    spoofed[3].sock.send_to(&bad, addr).await.unwrap();

    let mut gcs = Gcs::new(addr, WAIT).await;
    gcs.send(&heartbeat()).await;
    gcs.heartbeats(3).await;
    for (i, s) in spoofed.iter().enumerate() {
        assert!(s.got_nothing(), "spoofed source {i} got bytes back");
    }
    running.stop().await.expect("stop");
}

/// Defect 5: 32 other loopback ports chattering valid and invalid frames do not push out a GCS
/// that keeps heartbeating (before: any datagram registered a peer and the oldest was dropped).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chattering_ports_do_not_evict_a_talking_gcs() {
    let running = app::spawn(config(
        Endpoint::UdpIn("127.0.0.1:0".parse().unwrap()),
        None,
    ))
    .await
    .expect("bridge starts");
    let addr = running.mavlink_local[0].expect("udp socket");
    let mut gcs = Gcs::new(addr, WAIT).await;
    gcs.send(&heartbeat()).await;
    gcs.heartbeats(1).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let chatter = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut socks = Vec::new();
            for _ in 0..32 {
                socks.push(UdpSocket::bind("127.0.0.1:0").await.expect("bind"));
            }
            let mut hb = Vec::new();
            mavlink::write_v2_msg(&mut hb, MavHeader::default(), &heartbeat()).unwrap();
            let end = Instant::now() + WAIT + WAIT;
            let mut tick = tokio::time::interval(Duration::from_millis(10));
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && Instant::now() < end {
                tick.tick().await;
                for s in &socks {
                    let _ = s.send_to(&hb, addr).await;
                    let _ = s.send_to(&[0xFD; 64], addr).await;
                }
            }
        })
    };
    // The GCS heartbeats at about 1 Hz (each time it hears the camera) and must keep hearing it.
    for _ in 0..4 {
        gcs.heartbeats(1).await;
        gcs.send(&heartbeat()).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = chatter.await;
    running.stop().await.expect("stop");
}

/// Defect 7: `udpout` is a connected socket; a stranger's command to its port is neither
/// executed nor answered (before: it was taken as coming from the configured peer).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udpout_ignores_strangers() {
    let mut peer = Gcs::new("127.0.0.1:9".parse().unwrap(), WAIT).await;
    let peer_addr = peer.sock.local_addr().unwrap();
    let running = app::spawn(config(Endpoint::UdpOut(peer_addr), None))
        .await
        .expect("bridge starts");
    let bridge = running.mavlink_local[0].expect("udp socket");
    assert!(
        bridge.ip().is_loopback(),
        "loopback peer → bound to 127.0.0.1: {bridge}"
    );
    peer.heartbeats(1).await;
    let mut stranger = Gcs::new(bridge, WAIT).await;
    stranger.send(&heartbeat()).await;
    stranger.send(&request_message(259.0)).await;
    let mut acks = 0;
    let mut seen = 0;
    peer.wait_frame(|_, m| {
        if matches!(m, Some(MavMessage::COMMAND_ACK(_))) {
            acks += 1;
        }
        if m.is_some_and(is_camera_heartbeat) {
            seen += 1;
        }
        (seen >= 3).then_some(())
    })
    .await
    .expect("heartbeats");
    assert_eq!(acks, 0, "the stranger's command was executed");
    assert!(stranger.got_nothing());
    // The configured peer itself is heard.
    peer.to = bridge;
    peer.send(&request_message(259.0)).await;
    let r = peer
        .wait_frame(|_, m| match m {
            Some(MavMessage::COMMAND_ACK(a)) => Some(a.result),
            _ => None,
        })
        .await;
    assert!(r.is_some(), "the peer's own command is answered");
    running.stop().await.expect("stop");
}

/// Defect 7: with `--signing-key-file`, a signing client is answered (signed answers, also the
/// hand-built UNSUPPORTED ack); unsigned and wrong-key clients get nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_signed_peers_are_heard_and_answers_are_signed() {
    let key = SigningKey::from_hex(KEY_HEX).unwrap();
    let running = app::spawn(config(
        Endpoint::UdpIn("127.0.0.1:0".parse().unwrap()),
        Some(key),
    ))
    .await
    .expect("bridge starts");
    let addr = running.mavlink_local[0].expect("udp socket");

    let mut unsigned = Gcs::new(addr, WAIT).await;
    let mut wrong = Gcs::signed(addr, WAIT, Some(key_bytes(&"77".repeat(32)))).await;
    for p in [&mut unsigned, &mut wrong] {
        p.send(&heartbeat()).await;
        p.send(&request_message(259.0)).await;
    }

    let mut good = Gcs::signed(addr, WAIT, Some(key_bytes(KEY_HEX))).await;
    good.send(&heartbeat()).await;
    good.heartbeats(1).await; // `recv` checks every datagram's signature
    good.send(&request_message(259.0)).await;
    let r = good
        .wait_frame(|_, m| match m {
            Some(MavMessage::COMMAND_ACK(a)) if a.command == MavCmd::MAV_CMD_REQUEST_MESSAGE => {
                Some(a.result)
            }
            _ => None,
        })
        .await
        .expect("signed client answered");
    assert!(matches!(
        r,
        MavResult::MAV_RESULT_ACCEPTED | MavResult::MAV_RESULT_TEMPORARILY_REJECTED
    ));
    // An unknown command number: the hand-built UNSUPPORTED ack is signed too.
    let mut payload = [0u8; 33];
    payload[28..30].copy_from_slice(&42001u16.to_le_bytes());
    payload[31] = 100;
    // (The crate cannot build command 42001: patch a COMMAND_LONG frame by hand, then sign it.)
    let mut frame = mavlink::MAVLinkV2MessageRaw::new();
    frame.serialize_message_for_signing(
        MavHeader {
            system_id: 255,
            component_id: 190,
            sequence: 99,
        },
        &request_message(0.0),
    );
    let mut bytes = frame.into_inner();
    bytes[10..10 + 33].copy_from_slice(&payload);
    bytes[1] = 33;
    let crc = mavlink::calculate_crc(&bytes[1..43], 152);
    bytes[43..45].copy_from_slice(&crc.to_le_bytes());
    let mut frame = mavlink::MAVLinkV2MessageRaw::from_bytes_unparsed(bytes);
    good.signing.as_ref().unwrap().sign_message(&mut frame);
    good.sock.send_to(frame.raw_bytes(), addr).await.unwrap();
    let ok = good
        .wait_frame(|f, _| {
            (f.msg_id == 77 && f.payload.get(..2) == Some(&42001u16.to_le_bytes()[..]))
                .then_some(f.signed)
        })
        .await;
    assert_eq!(ok, Some(true), "signed UNSUPPORTED ack");

    good.heartbeats(2).await;
    assert!(unsigned.got_nothing(), "unsigned client got bytes");
    assert!(wrong.got_nothing(), "wrong-key client got bytes");
    running.stop().await.expect("stop");
}

/// Defect 8: an absent `tcpout` server at start is not fatal; when the server goes away the
/// bridge reconnects to a new listener on the same port and the heartbeat arrives again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcpout_reconnects() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap().port()
    };
    let running = app::spawn(config(Endpoint::TcpOut(format!("127.0.0.1:{port}")), None))
        .await
        .expect("an absent tcp server is not fatal");

    async fn session(port: u16) {
        let l = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("rebind");
        let (mut s, _) = tokio::time::timeout(WAIT, l.accept())
            .await
            .expect("the bridge connects")
            .unwrap();
        let mut splitter = FrameSplitter::default();
        let mut buf = [0u8; 1024];
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let n = tokio::time::timeout(left, s.read(&mut buf))
                .await
                .expect("camera heartbeat over tcp")
                .unwrap();
            assert!(n > 0, "closed by the bridge");
            splitter.push(&buf[..n]);
            let mut got = false;
            while let Some(f) = splitter.next_frame() {
                if let Inbound::Message(m) = Inbound::from_payload(f.version, f.msg_id, &f.payload)
                {
                    got |= is_camera_heartbeat(&m);
                }
            }
            if got {
                return;
            }
        }
    }
    session(port).await; // first connection (after failing at start)
    session(port).await; // server dropped, new one on the same port
    running.stop().await.expect("stop");
}

/// Defect 8: a missing serial device at start is not fatal (the bridge warns and keeps trying).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_serial_device_is_not_fatal() {
    let running = app::spawn(config(
        Endpoint::Serial {
            device: "/dev/siyi-bridge-test-no-such-device".into(),
            baud: 115_200,
        },
        None,
    ))
    .await
    .expect("a missing serial device is not fatal");
    running.stop().await.expect("still running, stops cleanly");
}

/// `udpin` bind failure at start stays fatal, naming the flag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udpin_bind_failure_is_fatal_and_names_the_flag() {
    let taken = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let e = match app::spawn(config(Endpoint::UdpIn(addr), None)).await {
        Ok(_) => panic!("bound a taken port"),
        Err(e) => format!("{e:#}"),
    };
    assert!(e.starts_with("--mavlink udpin:"), "{e}");
}
