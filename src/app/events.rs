//! What the running bridge logs about the core's events (the words an operator reads).

use std::net::SocketAddr;

use crate::core::bridge::BridgeEvent;
use crate::core::camera::CameraEvent;
use crate::core::gimbal::GimbalEvent;
use crate::core::link::{recording_change_words, LinkEvent, Operation};
use crate::core::media::api::MediaKind;
use crate::core::media::MediaEvent;

pub(super) fn log_event(ev: &BridgeEvent, camera: SocketAddr) {
    use crate::core::link::LinkHealth;
    match ev {
        BridgeEvent::CameraSilent {
            silent_for,
            ever_heard,
        } => {
            let secs = silent_for.as_secs();
            if *ever_heard {
                tracing::warn!("the camera at {camera} has not answered for {secs} s — is it still powered and connected?")
            } else if camera.ip().is_loopback() {
                tracing::warn!("no answer from the camera at {camera} for {secs} s — is a simulator (`siyi-bridge sim`) running there?")
            } else {
                tracing::warn!("no answer from the camera at {camera} for {secs} s — is it powered, and is this machine on its network (192.168.144.x for the factory address)?")
            }
        }
        BridgeEvent::Link(LinkEvent::Health { from, to }) => match to {
            LinkHealth::Lost => {
                tracing::warn!("camera at {camera} lost: no answer (it was {from})")
            }
            LinkHealth::Up => tracing::info!("camera at {camera} answers: link up"),
            _ => tracing::info!("camera link: {to} (was {from})"),
        },
        BridgeEvent::Link(LinkEvent::Identified) => tracing::info!("camera identified"),
        BridgeEvent::Link(LinkEvent::Rebooted) => tracing::warn!("camera rebooted"),
        BridgeEvent::Link(LinkEvent::RecordingChanged { from, to }) => {
            tracing::info!("camera: {}", recording_change_words(*from, *to))
        }
        BridgeEvent::Link(LinkEvent::CommandUnanswered { cmd, fallback }) => {
            tracing::warn!("camera never answers {cmd}: {fallback}")
        }
        // The follow controller sends rates several times a second.
        BridgeEvent::Link(LinkEvent::OpFinished {
            op: Operation::GimbalRates { .. },
            outcome,
            ..
        }) => tracing::debug!("gimbal rates: {outcome}"),
        BridgeEvent::Link(LinkEvent::OpFinished { op, outcome, .. }) => {
            tracing::info!("camera: {op}: {outcome}")
        }
        BridgeEvent::Link(other) => tracing::debug!("camera link event {other:?}"),
        BridgeEvent::Camera(CameraEvent::SystemIdLearned(s)) => {
            tracing::info!("autopilot heard: using system id {s}")
        }
        // The camera's line says it for both components.
        BridgeEvent::Gimbal(GimbalEvent::SystemIdLearned(s)) => {
            tracing::debug!("gimbal: autopilot heard, using system id {s}")
        }
        BridgeEvent::Gimbal(GimbalEvent::ManagerSteppedDown) => {
            tracing::info!(
                "gimbal: an autopilot manages the gimbal; the bridge stops being its manager"
            )
        }
        BridgeEvent::Camera(CameraEvent::Persist(s)) => {
            tracing::debug!("image counter now {}", s.image_count)
        }
        BridgeEvent::Camera(CameraEvent::Media(ev)) => log_media(ev),
    }
}

fn log_media(ev: &MediaEvent) {
    match ev {
        MediaEvent::Found {
            kind: MediaKind::Photos,
            tag,
            file,
        } => tracing::info!("photo {tag} is {} on the card", file.path()),
        MediaEvent::Found { kind, file, .. } => {
            tracing::info!("{} saved as {} on the card", kind.noun(), file.path())
        }
        MediaEvent::GaveUp { kind, tag, why } => match kind {
            MediaKind::Photos => {
                tracing::info!(
                    "photo {tag}: file not found ({}); its URL stays empty",
                    why.text()
                )
            }
            MediaKind::Videos => tracing::info!("recording: file not found ({})", why.text()),
        },
        MediaEvent::Refused { what } => {
            tracing::warn!("camera web server listed a file that is not fetched: {what}")
        }
        MediaEvent::LimitExceeded { what } => {
            tracing::warn!("{what}; the card's storage figures stay unknown")
        }
        MediaEvent::ServerDown => tracing::warn!(
            "the camera's web server does not answer: photos are reported without file URLs"
        ),
        MediaEvent::ServerBack => tracing::info!("the camera's web server answers again"),
    }
}
