//! The pace of the bridge's MAVLink output (issue 21, found through PX4 SITL): PX4 forwards
//! what reaches it on the camera link through a buffer of about two messages per link, emptied
//! one message per 4 ms loop; sent back to back, most of an FTP burst and half of a PARAM_EXT
//! list were lost. Whole core against the simulator, on virtual time: a definition download and
//! PARAM_EXT lists asked all at once must pass a model of PX4's forwarding without a loss, and
//! the output never exceeds the pace.

use std::time::{Duration, Instant};

use mavlink::dialects::common::{
    MavMessage, FILE_TRANSFER_PROTOCOL_DATA, PARAM_EXT_REQUEST_LIST_DATA,
};
use mavlink::MavHeader;
use siyi_bridge::core::camera::Inbound;
use siyi_bridge::core::mavlink::outbound::Pace;
use siyi_bridge::core::settings::definition;
use siyi_bridge::core::settings::ftp::payload::{opcode, Payload, MAX_DATA_BYTES};
use siyi_bridge::sim::SimConfig;
use siyi_bridge::testing::SimWorld;

#[allow(clippy::disallowed_methods)] // the one real instant; all else is virtual time
fn t0() -> Instant {
    Instant::now()
}

fn gcs() -> MavHeader {
    MavHeader {
        system_id: 255,
        component_id: 190,
        sequence: 0,
    }
}

fn ftp(w: &mut SimWorld, p: &Payload) {
    let msg = MavMessage::FILE_TRANSFER_PROTOCOL(FILE_TRANSFER_PROTOCOL_DATA {
        target_network: 0,
        target_system: 1,
        target_component: 100,
        payload: p.encode(),
    });
    w.mavlink(SimWorld::GCS_PEER, gcs(), &Inbound::Message(msg));
}

fn ftp_replies(w: &SimWorld) -> Vec<Payload> {
    (w.out.iter())
        .filter_map(|t| match t.mav() {
            Some(MavMessage::FILE_TRANSFER_PROTOCOL(f)) => Some(Payload::decode(&f.payload)),
            _ => None,
        })
        .collect()
}

/// Messages PX4 would drop: a buffer of `cap` messages, one forwarded per `loop_` starting at
/// `phase`; `sent` are the instants the bridge sent at.
fn px4_drops(sent: &[Instant], cap: usize, loop_: Duration, phase: Duration) -> usize {
    let Some(&first) = sent.first() else {
        return 0;
    };
    let (mut buffered, mut drops) = (0usize, 0usize);
    let mut tick = first + phase;
    for &t in sent {
        while tick <= t {
            buffered = buffered.saturating_sub(1);
            tick += loop_;
        }
        if buffered == cap {
            drops += 1;
        } else {
            buffered += 1;
        }
    }
    drops
}

/// A booted world asked at once for the whole definition over FTP and ten PARAM_EXT lists;
/// (FTP data replies, PARAM_EXT values, the instants everything was sent at) after 3 s.
fn burst_world(pace: Pace) -> (usize, usize, Vec<Instant>) {
    let mut w = SimWorld::new(SimConfig::instant_boot(), t0());
    w.bridge.set_pace(pace);
    w.run(Duration::from_secs(8));
    w.gcs_heartbeat();
    w.run(Duration::from_millis(100));
    let path = definition::FILE_NAME;
    ftp(
        &mut w,
        &Payload::request(
            1,
            0,
            opcode::OPEN_FILE_RO,
            path.len() as u8,
            0,
            path.as_bytes(),
        ),
    );
    w.run(Duration::from_millis(100));
    let session = (ftp_replies(&w).iter())
        .find(|p| p.opcode == opcode::ACK && p.req_opcode == opcode::OPEN_FILE_RO)
        .expect("OpenFileRO acknowledged")
        .session;
    w.out.clear();
    let start = w.sequences.len();
    ftp(
        &mut w,
        &Payload::request(
            2,
            session,
            opcode::BURST_READ_FILE,
            MAX_DATA_BYTES as u8,
            0,
            &[],
        ),
    );
    for _ in 0..10 {
        let list = MavMessage::PARAM_EXT_REQUEST_LIST(PARAM_EXT_REQUEST_LIST_DATA {
            target_system: 1,
            target_component: 100,
        });
        w.mavlink(SimWorld::GCS_PEER, gcs(), &Inbound::Message(list));
    }
    w.run(Duration::from_secs(3));
    let data = (ftp_replies(&w).iter())
        .filter(|p| p.opcode == opcode::ACK && p.req_opcode == opcode::BURST_READ_FILE)
        .count();
    let values = (w.out.iter())
        .filter(|t| matches!(t.mav(), Some(MavMessage::PARAM_EXT_VALUE(_))))
        .count();
    let sent = w.sequences[start..].iter().map(|s| s.2).collect();
    (data, values, sent)
}

#[test]
fn a_burst_passes_px4s_forwarding_whole_and_never_exceeds_the_pace() {
    let (data, values, sent) = burst_world(Pace::PX4);
    let chunks = definition::XML.len().div_ceil(MAX_DATA_BYTES);
    assert_eq!(data, chunks, "the whole definition in one burst");
    assert_eq!(values, 60, "ten lists of six");
    for phase_us in (0..4000).step_by(250) {
        let phase = Duration::from_micros(phase_us);
        assert_eq!(
            px4_drops(&sent, 2, Duration::from_millis(4), phase),
            0,
            "PX4 (2 buffered, one per 4 ms, phase {phase:?}) drops none"
        );
    }
    let pace = Pace::PX4;
    for (i, a) in sent.iter().enumerate() {
        for (j, b) in sent.iter().enumerate().skip(i) {
            let n = (j - i + 1) as u64;
            assert!(
                n <= pace.most_within(b.duration_since(*a)),
                "{n} messages within {:?}",
                b.duration_since(*a)
            );
        }
    }
}

#[test]
fn unpaced_the_same_burst_loses_messages_in_the_px4_model() {
    // The model can fail: back to back (what the bridge did before), PX4 drops most of it.
    let (_, values, sent) = burst_world(Pace::UNPACED);
    assert_eq!(values, 60);
    let drops = px4_drops(&sent, 2, Duration::from_millis(4), Duration::from_millis(2));
    assert!(drops > 50, "only {drops} dropped");
}
