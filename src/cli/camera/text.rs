//! What `siyi-bridge camera` prints: the camera's state, clamped values and the no-reply error.

use std::net::SocketAddr;
use std::time::Instant;

use crate::core::link::{record_state_words, CameraState, ZoomSource};
use crate::io::siyi::DEFAULT_CAMERA_ADDR;

/// `value` within `min…max`, and the sentence that says so when it was outside.
pub(super) fn clamped(
    what: &str,
    value: f32,
    min: f32,
    max: f32,
    unit: &str,
) -> (f32, Option<String>) {
    let sent = value.clamp(min, max);
    // The minus sign, not a hyphen: "−135…135°".
    let limit = |v: f32| format!("{v}").replace('-', "−");
    let given = |v: f32| format!("{v:.1}").replace('-', "−");
    let note = (sent != value).then(|| {
        format!(
            "{what} {}{unit} is outside {}…{}{unit}, sent {}{unit}",
            given(value),
            limit(min),
            limit(max),
            given(sent)
        )
    });
    (sent, note)
}

/// The error when the camera did not answer at all: the address tried, and for the factory
/// address (the default) where the simulator is.
pub(super) fn no_reply(camera: SocketAddr, timeout_ms: u64) -> String {
    let factory = DEFAULT_CAMERA_ADDR.parse::<SocketAddr>().ok() == Some(camera);
    if factory {
        format!(
            "no reply from {camera} (the A8 mini's factory address, used without --camera) within {} — is the camera powered and is this machine on 192.168.144.x? For `siyi-bridge sim`, add --camera 127.0.0.1:37260",
            human_ms(timeout_ms)
        )
    } else {
        format!(
            "no reply from {camera} within {} — is a camera or `siyi-bridge sim` answering at that address (--camera)?",
            human_ms(timeout_ms)
        )
    }
}

/// Where a zoom reading came from, in words.
pub(super) fn zoom_source_words(src: ZoomSource) -> &'static str {
    match src {
        ZoomSource::CurrentZoomReply => "read from the camera",
        ZoomSource::ManualZoomAck => "from the camera's zoom acknowledgement",
        ZoomSource::Commanded => "as commanded; the camera gave no reading",
    }
}

/// `20 s` or `1500 ms`.
pub(crate) fn human_ms(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}

pub(super) fn print_attitude(st: &CameraState, now: Instant) -> std::io::Result<()> {
    match st.attitude {
        Some(a) => outln!(
            "yaw {:+.1}° (right +)  pitch {:+.1}°  roll {:+.1}°  ({} ms old)",
            // + 0.0: a yaw of zero reads 0.0, not -0.0.
            -a.value.yaw.degrees() + 0.0,
            a.value.pitch.degrees(),
            a.value.roll.degrees(),
            a.age(now).as_millis()
        )?,
        None => outln!("no attitude reading yet")?,
    }
    Ok(())
}

pub(super) fn print_info(st: &CameraState, now: Instant) -> std::io::Result<()> {
    let or_unknown = |v: Option<String>| v.unwrap_or_else(|| "unknown".into());
    outln!(
        "model:       {}",
        or_unknown(st.model.map(|m| m.to_string()))
    )?;
    outln!(
        "hardware id: {}",
        or_unknown(st.hardware_id.map(|h| h.as_text()))
    )?;
    outln!(
        "firmware:    camera {}  gimbal {}",
        or_unknown(st.camera_fw.map(|f| f.to_string())),
        or_unknown(st.gimbal_fw.map(|f| f.to_string()))
    )?;
    outln!(
        "recording:   {}",
        or_unknown(st.record.map(|r| record_state_words(r.value)))
    )?;
    outln!(
        "motion mode: {}",
        or_unknown(
            st.motion_mode
                .and_then(|m| m.value.name())
                .map(str::to_owned)
        )
    )?;
    outln!(
        "mounting:    {}",
        or_unknown(
            st.mounting
                .and_then(|m| m.value.name())
                .map(|n| n.replace('_', " "))
        )
    )?;
    outln!(
        "zoom:        {} (max {})",
        or_unknown(
            st.zoom
                .map(|(z, src)| format!("{} ({})", z.value, zoom_source_words(src)))
        ),
        or_unknown(st.max_zoom.map(|z| z.to_string()))
    )?;
    for (name, e) in ["recording", "main", "sub"].iter().zip(st.encodings.iter()) {
        if let Some(e) = e {
            outln!(
                "stream {name:<9} {:?} {}x{} {} kbit/s {} fps",
                e.codec,
                e.width_px,
                e.height_px,
                e.bitrate_kbps,
                e.framerate_fps
            )?;
        }
    }
    print_attitude(st, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamping_is_said() {
        assert_eq!(
            clamped("yaw", 200.0, -135.0, 135.0, "°"),
            (
                135.0,
                Some("yaw 200.0° is outside −135…135°, sent 135.0°".into())
            )
        );
        assert_eq!(
            clamped("pitch", -100.0, -90.0, 25.0, "°"),
            (
                -90.0,
                Some("pitch −100.0° is outside −90…25°, sent −90.0°".into())
            )
        );
        assert_eq!(
            clamped("zoom", 7.0, 1.0, 6.0, "×").1.as_deref(),
            Some("zoom 7.0× is outside 1…6×, sent 6.0×")
        );
        assert_eq!(clamped("yaw", 135.0, -135.0, 135.0, "°"), (135.0, None));
        assert_eq!(clamped("zoom", 2.5, 1.0, 6.0, "×"), (2.5, None));
    }

    #[test]
    fn no_reply_names_the_address_and_hints_at_the_simulator_for_the_factory_one() {
        let factory = no_reply(DEFAULT_CAMERA_ADDR.parse().unwrap(), 1000);
        assert!(
            factory.contains("192.168.144.25:37260") && factory.contains("within 1 s"),
            "{factory}"
        );
        assert!(factory.contains("--camera 127.0.0.1:37260"), "{factory}");
        let other = no_reply("127.0.0.1:9".parse().unwrap(), 1500);
        assert!(
            other.contains("127.0.0.1:9") && other.contains("1500 ms"),
            "{other}"
        );
        assert!(!other.contains("192.168.144"), "{other}");
    }
}
