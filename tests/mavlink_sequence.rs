//! Each MAVLink component of the bridge numbers its own frames (issue 21, found through PX4):
//! with the camera (100) and the gimbal (154) both talking, every receiver must see each
//! component's sequence numbers consecutive, or it counts the other's frames as lost. The whole
//! core against the simulator, on virtual time.

mod camera_common;

use std::collections::BTreeMap;
use std::time::Duration;

use camera_common::FakeLink;
use mavlink::dialects::common::MavCmd;
use siyi_bridge::core::camera::CameraConfig;
use siyi_bridge::core::gimbal::{GimbalComponent, GimbalConfig};
use siyi_bridge::core::link::LinkConfig;
use siyi_bridge::sim::SimConfig;
use siyi_bridge::testing::SimWorld;

#[test]
fn camera_and_gimbal_each_number_their_own_frames() {
    let now = FakeLink::t0();
    let camera = CameraConfig {
        system_id: Some(1),
        ..CameraConfig::default()
    };
    let mut w = SimWorld::with(camera, LinkConfig::default(), SimConfig::default(), now, 0);
    let gimbal = GimbalConfig {
        system_id: Some(1),
        ..GimbalConfig::default()
    };
    w.bridge.set_gimbal(GimbalComponent::new(gimbal, now));
    for _ in 0..20 {
        w.gcs_heartbeat();
        // Requests between the periodic messages interleave the two components' frames.
        w.command(
            MavCmd::MAV_CMD_REQUEST_MESSAGE,
            [259.0, 0., 0., 0., 0., 0., 0.],
        );
        w.command(
            MavCmd::MAV_CMD_REQUEST_MESSAGE,
            [262.0, 0., 0., 0., 0., 0., 0.],
        );
        w.run(Duration::from_millis(500));
    }
    let mut by_comp: BTreeMap<u8, Vec<u8>> = BTreeMap::new();
    for &(comp, seq, _) in &w.sequences {
        by_comp.entry(comp).or_default().push(seq);
    }
    assert_eq!(by_comp.keys().copied().collect::<Vec<_>>(), vec![100, 154]);
    for (comp, seqs) in &by_comp {
        assert!(
            seqs.len() > 40,
            "component {comp}: only {} frames",
            seqs.len()
        );
        assert_eq!(seqs[0], 0, "component {comp} starts at 0");
        for pair in seqs.windows(2) {
            assert_eq!(
                pair[1],
                pair[0].wrapping_add(1),
                "component {comp}: {} follows {}",
                pair[1],
                pair[0]
            );
        }
    }
    // The two components' frames interleave (a shared counter would give both gaps).
    let switches = w.sequences.windows(2).filter(|p| p[0].0 != p[1].0).count();
    assert!(switches > 20, "only {switches} switches between components");
}
