//! End to end: SiyiLink + the UDP shell against the simulator over real sockets on 127.0.0.1
//! (ephemeral ports), with 20 % of the camera's frames dropped and 30 ms delays. Every operation
//! must end with a definite outcome; tokio timeouts bound everything.

use std::time::Duration;

use siyi_bridge::core::link::{
    LinkConfig, LinkControl, LinkEvent, LinkHealth, OpOutcome, Operation, Owner, SiyiLink,
};
use siyi_bridge::io::siyi::{clock_now, drive_until, DriveStats, SiyiSocket};
use siyi_bridge::sim::{server, SimConfig};
use siyi_protocol::{Decidegrees, MotionMode, ZoomDirection};

#[tokio::test]
async fn every_operation_ends_over_lossy_udp() {
    let sim = SimConfig {
        boot_time_ms: 0,
        drop_probability: 0.2,
        reply_delay_ms: 30,
        seed: 42,
        ..SimConfig::default()
    };
    let (addr, sim_task) = server::spawn("127.0.0.1:0".parse().unwrap(), sim)
        .await
        .expect("simulator binds");
    let mut socket = SiyiSocket::connect(addr, Some("127.0.0.1:0".parse().unwrap()))
        .await
        .expect("socket");
    let mut link = SiyiLink::new(LinkConfig::default(), clock_now());
    let mut stats = DriveStats::default();

    let up = drive_until(
        &mut link,
        &mut socket,
        clock_now() + Duration::from_secs(10),
        &mut stats,
        |l, _, _| (l.health() == LinkHealth::Up).then_some(()),
    )
    .await;
    assert!(up.is_some(), "link up within 10 s");

    let ops = [
        Operation::TakePhoto,
        Operation::StartRecording,
        Operation::ZoomTo { factor: 2.5 },
        Operation::ZoomContinuous(ZoomDirection::In),
        Operation::ZoomContinuous(ZoomDirection::Stop),
        Operation::GimbalRates {
            yaw_speed: 20,
            pitch_speed: -10,
        },
        Operation::GimbalRates {
            yaw_speed: 0,
            pitch_speed: 0,
        },
        Operation::GimbalAngles {
            yaw: Decidegrees(300),
            pitch: Decidegrees(-450),
        },
        Operation::Center,
        Operation::SetMotionMode(MotionMode::Lock),
        Operation::StopRecording,
    ];
    let mut outcomes = Vec::new();
    for op in ops {
        let id = link.start(clock_now(), Owner::Tool, op);
        let outcome = tokio::time::timeout(
            Duration::from_secs(15),
            drive_until(
                &mut link,
                &mut socket,
                clock_now() + Duration::from_secs(12),
                &mut stats,
                |_, _, e| match e {
                    LinkEvent::OpFinished { id: i, outcome, .. } if i == id => Some(outcome),
                    _ => None,
                },
            ),
        )
        .await
        .expect("driver returns in time");
        let outcome = outcome.unwrap_or_else(|| panic!("{op:?} never finished"));
        assert!(
            !matches!(outcome, OpOutcome::Rejected { .. }),
            "{op:?} rejected while up: {outcome:?}"
        );
        outcomes.push((op, outcome));
    }
    println!("{outcomes:#?}");
    println!("{:?}", link.stats());
    assert_eq!(link.operations_in_progress(), 0);
    // Over 20 % loss the link retried rather than failed: most operations succeed.
    let ok = outcomes
        .iter()
        .filter(|(_, o)| matches!(o, OpOutcome::Succeeded { .. }))
        .count();
    assert!(ok >= 8, "only {ok} of {} succeeded", outcomes.len());
    sim_task.abort();
}
