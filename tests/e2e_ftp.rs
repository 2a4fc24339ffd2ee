//! End to end over loopback: the camera definition URI from CAMERA_INFORMATION, then the file
//! downloaded from the camera component of the running bridge (simulated camera) with MAVLink
//! FTP bursts, as QGroundControl does it.
#![allow(clippy::disallowed_methods)] // real time: this is the end-to-end test

mod gcs;

use std::time::{Duration, Instant};

use gcs::p;
use mavlink::dialects::common::{MavCmd, MavMessage, MavResult, FILE_TRANSFER_PROTOCOL_DATA};
use siyi_bridge::config::Config;
use siyi_bridge::core::settings::definition;
use siyi_bridge::core::settings::ftp::payload::{opcode, Payload};
use siyi_bridge::io::endpoint::Endpoint;

/// Through the bridge: the definition URI from CAMERA_INFORMATION, then the file downloaded
/// from the camera component over loopback UDP, as QGroundControl does it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bridge_serves_its_definition_over_udp() {
    let config = Config::simulated(vec![Endpoint::UdpIn("127.0.0.1:0".parse().expect("addr"))]);
    let wait = Duration::from_secs(10);
    let (_running, mut c) = gcs::start_bridge(config, wait).await;
    let r = c
        .command(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[259.0]))
        .await;
    assert_eq!(r, MavResult::MAV_RESULT_ACCEPTED);
    let info = c
        .expect_msg(|m| match m {
            MavMessage::CAMERA_INFORMATION(i) => Some(i.clone()),
            _ => None,
        })
        .await;
    let uri = info.cam_definition_uri.to_str().expect("utf-8").to_owned();
    let path = format!("/{}", uri.strip_prefix("mftp://").expect("an mftp URI"));
    let t0 = Instant::now();
    let mut seq = 0u16;
    let cam_sys = c.cam_sys;
    let exchange = move |q: Payload| {
        MavMessage::FILE_TRANSFER_PROTOCOL(FILE_TRANSFER_PROTOCOL_DATA {
            target_network: 0,
            target_system: cam_sys,
            target_component: 100,
            payload: q.encode(),
        })
    };
    let open_msg = exchange(Payload::request(
        seq,
        0,
        opcode::OPEN_FILE_RO,
        path.len() as u8,
        0,
        path.as_bytes(),
    ));
    c.send(&open_msg).await;
    let ack = next_ftp(&mut c).await;
    assert_eq!(ack.opcode, opcode::ACK);
    let size = u32::from_le_bytes(ack.data().try_into().expect("4 bytes")) as usize;
    let mut file = Vec::new();
    while file.len() < size {
        seq = seq.wrapping_add(2);
        let burst = exchange(Payload::request(
            seq,
            ack.session,
            opcode::BURST_READ_FILE,
            239,
            file.len() as u32,
            &[],
        ));
        c.send(&burst).await;
        loop {
            let a = next_ftp(&mut c).await;
            assert_eq!(a.opcode, opcode::ACK, "{a:?}");
            assert_eq!(a.offset as usize, file.len(), "no loss on loopback");
            file.extend_from_slice(a.data());
            if a.burst_complete == 1 {
                seq = a.seq;
                break;
            }
        }
    }
    let reset = exchange(Payload::request(
        seq.wrapping_add(1),
        0,
        opcode::RESET_SESSIONS,
        0,
        0,
        &[],
    ));
    c.send(&reset).await;
    assert_eq!(next_ftp(&mut c).await.req_opcode, opcode::RESET_SESSIONS);
    assert_eq!(file, definition::XML.as_bytes());
    assert!(t0.elapsed() < wait);
}

async fn next_ftp(c: &mut gcs::Gcs) -> Payload {
    c.expect_msg(|m| match m {
        MavMessage::FILE_TRANSFER_PROTOCOL(f) => {
            assert_eq!((f.target_system, f.target_component), (255, 190));
            Some(Payload::decode(&f.payload))
        }
        _ => None,
    })
    .await
}
