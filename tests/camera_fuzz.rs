//! Bad input never panics the camera component: arbitrary payloads for the message ids it reads,
//! arbitrary command parameters, arbitrary link outcomes, on virtual time.

mod camera_common;

use std::time::Duration;

use camera_common::{Rig, GCS};
use mavlink::dialects::common::MavCmd;
use mavlink::MavlinkVersion;
use proptest::prelude::*;
use siyi_bridge::core::camera::Inbound;
use siyi_bridge::core::link::{FailReason, LinkHealth, OpOutcome, RejectReason};
use siyi_bridge::testing::SpinGuard;

const IDS: [u32; 8] = [0, 33, 75, 76, 77, 259, 263, 511];

#[allow(deprecated)]
const CMDS: [MavCmd; 14] = [
    MavCmd::MAV_CMD_REQUEST_MESSAGE,
    MavCmd::MAV_CMD_REQUEST_CAMERA_INFORMATION,
    MavCmd::MAV_CMD_REQUEST_STORAGE_INFORMATION,
    MavCmd::MAV_CMD_REQUEST_CAMERA_IMAGE_CAPTURE,
    MavCmd::MAV_CMD_REQUEST_VIDEO_STREAM_INFORMATION,
    MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
    MavCmd::MAV_CMD_SET_CAMERA_MODE,
    MavCmd::MAV_CMD_IMAGE_START_CAPTURE,
    MavCmd::MAV_CMD_IMAGE_STOP_CAPTURE,
    MavCmd::MAV_CMD_VIDEO_START_CAPTURE,
    MavCmd::MAV_CMD_VIDEO_STOP_CAPTURE,
    MavCmd::MAV_CMD_SET_CAMERA_ZOOM,
    MavCmd::MAV_CMD_RESET_CAMERA_SETTINGS,
    MavCmd::MAV_CMD_VIDEO_START_STREAMING,
];

fn any_f32() -> impl Strategy<Value = f32> {
    prop_oneof![
        Just(f32::NAN),
        Just(f32::INFINITY),
        Just(f32::NEG_INFINITY),
        Just(f32::MAX),
        Just(-1.0f32),
        Just(0.0f32),
        Just(1.0f32),
        -1e7f32..1e7f32,
        any::<f32>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        // Fixed seed: a failure reproduces on every run; nothing is written into the tree.
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5171_0002),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn payloads_never_panic(id in prop::sample::select(IDS.to_vec()), bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let mut r = Rig::ready();
        let _ = r.feed_inbound(GCS, Inbound::from_payload(MavlinkVersion::V2, id, &bytes));
        let _ = r.feed_inbound(GCS, Inbound::from_payload(MavlinkVersion::V1, id, &bytes));
        r.advance(Duration::from_secs(3));
    }

    #[test]
    fn commands_and_outcomes_never_panic(
        steps in prop::collection::vec(
            (prop::sample::select(CMDS.to_vec()), prop::array::uniform7(any_f32()), 0u8..3, 0u8..4, 0u64..3000),
            1..12)
    ) {
        let mut r = Rig::ready();
        for (cmd, params, conf, outcome, wait_ms) in steps {
            r.command_to(cmd, params, 1, 100, conf);
            if let Some((id, _)) = r.link.started.last().copied() {
                let o = match outcome {
                    0 => OpOutcome::Succeeded { confirmed: true },
                    1 => OpOutcome::Failed {
                        reason: FailReason::NoSdCard,
                    },
                    2 => OpOutcome::TimedOut,
                    _ => OpOutcome::Rejected {
                        reason: RejectReason::NotFound,
                    },
                };
                r.finish(id, o);
            }
            if outcome == 3 {
                r.link.health = LinkHealth::Lost;
            } else {
                r.link.health = LinkHealth::Up;
            }
            r.advance(Duration::from_millis(wait_ms));
        }
        // The timer never spins: within 10 s there are at most a few hundred wake-ups.
        let mut wakes = 0;
        let end = r.now + Duration::from_secs(10);
        let mut guard = SpinGuard::new("camera_fuzz final timers", r.t0);
        while let Some(t) = r.cam().poll_timeout() {
            if t > end { break; }
            r.now = t.max(r.now);
            guard.tick(r.now, t);
            r.parts.handle_timeout(r.now, &mut r.link);
            r.drain();
            wakes += 1;
            prop_assert!(wakes < 1000, "busy timer");
        }
    }
}
