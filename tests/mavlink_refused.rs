//! A ground station that is not there yet: `run --mavlink udpout:…` into a port nobody listens on
//! sends only heartbeats there (the log says so once), and everything again from the first frame
//! the ground station sends. The bridge is the real binary (`run --simulate`), synchronised on
//! its log line and on frames, never on sleeps; 127.0.0.1 and ephemeral ports only.

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use mavlink::dialects::common::MavMessage;
use mavlink::{MavHeader, MavlinkVersion};

/// Longest wait for one log line or one frame.
const WAIT: Duration = Duration::from_secs(10);

struct Bridge(Child);

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The next frame on `sock` and who sent it (panics after [`WAIT`]).
fn frame(sock: &UdpSocket) -> (MavMessage, std::net::SocketAddr) {
    let mut buf = [0u8; 2048];
    let (n, from) = sock.recv_from(&mut buf).expect("a frame within the wait");
    let (_, msg): (MavHeader, MavMessage) = mavlink::MavlinkReader::new(&buf[..n])
        .read_message(MavlinkVersion::V2)
        .expect("a MAVLink 2 frame");
    (msg, from)
}

#[test]
fn a_refusing_ground_station_port_gets_heartbeats_only_until_it_answers() {
    // A port that refuses: bound once to learn a free number, then closed.
    let port = UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_siyi-bridge"))
        .args(["run", "--simulate", "--no-state", "--tracker-api", "off"])
        .args(["--sim-web", "off", "--sim-boot-ms", "100"])
        .args(["--mavlink", &format!("udpout:127.0.0.1:{port}")])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut bridge = Bridge(child);
    let stderr = bridge.0.stderr.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let said = format!("no ground station listens on 127.0.0.1:{port} (connection refused)");
    loop {
        let line = lines.recv_timeout(WAIT).expect("the refusal is logged");
        if line.contains(&said) {
            assert!(line.contains("only heartbeats go there"), "{line}");
            break;
        }
    }

    // The ground station starts on that port and listens without a word: heartbeats only
    // (camera and gimbal, 1 Hz each), none of the gimbal's 10 Hz attitude statuses.
    let gcs = UdpSocket::bind(("127.0.0.1", port)).unwrap();
    gcs.set_read_timeout(Some(WAIT)).unwrap();
    let mut bridge_addr = None;
    for _ in 0..4 {
        let (msg, from) = frame(&gcs);
        assert!(
            matches!(msg, MavMessage::HEARTBEAT(_)),
            "only heartbeats while refused: {msg:?}"
        );
        bridge_addr = Some(from);
    }

    // It answers: everything again.
    let mut hb = Vec::new();
    let header = MavHeader {
        system_id: 255,
        component_id: 190,
        sequence: 0,
    };
    let msg = MavMessage::HEARTBEAT(mavlink::dialects::common::HEARTBEAT_DATA {
        mavtype: mavlink::dialects::common::MavType::MAV_TYPE_GCS,
        ..Default::default()
    });
    mavlink::write_versioned_msg(&mut hb, MavlinkVersion::V2, header, &msg).unwrap();
    gcs.send_to(&hb, bridge_addr.unwrap()).unwrap();
    let others = (0..50)
        .map(|_| frame(&gcs).0)
        .filter(|m| !matches!(m, MavMessage::HEARTBEAT(_)))
        .count();
    assert!(
        others > 10,
        "heard: the streams flow again ({others} of 50)"
    );
    let _ = bridge.0.kill();
    drop(lines);
}
