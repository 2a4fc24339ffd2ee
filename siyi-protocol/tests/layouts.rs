//! The declared layouts keep the wire contract: the minimum payload length of every typed command
//! (one byte short is `TooShort` with that minimum, exactly the minimum decodes), the values that
//! are refused, and the commands the camera answers.

use siyi_protocol::{
    AircraftAttitude, CmdId, EncodingParams, PayloadError, RawGps, Reply, Request, StreamType,
    SystemInfo, VideoCodec, ZoomDirection,
};

/// (command, minimum request payload length in bytes).
const REQUEST_MIN: &[(CmdId, usize)] = &[
    (CmdId::TCP_HEARTBEAT, 0),
    (CmdId::FIRMWARE_VERSION, 0),
    (CmdId::HARDWARE_ID, 0),
    (CmdId::MANUAL_ZOOM, 1),
    (CmdId::GIMBAL_ROTATION, 2),
    (CmdId::CENTER, 1),
    (CmdId::CAMERA_SYSTEM_INFO, 0),
    (CmdId::FUNCTION, 1),
    (CmdId::ATTITUDE, 0),
    (CmdId::SET_ANGLES, 4),
    (CmdId::ABSOLUTE_ZOOM, 2),
    (CmdId::MAX_ZOOM, 0),
    (CmdId::CURRENT_ZOOM, 0),
    (CmdId::GIMBAL_MODE, 0),
    (CmdId::GET_ENCODING, 1),
    (CmdId::SET_ENCODING, 9),
    (CmdId::AIRCRAFT_ATTITUDE, 28),
    (CmdId::DATA_STREAM, 2),
    (CmdId::SET_UTC_TIME, 8),
    (CmdId::RAW_GPS, 32),
    (CmdId::SINGLE_AXIS, 3),
    (CmdId::FORMAT_SD, 0),
    (CmdId::AI_MODE_STATUS, 0),
    (CmdId::AI_STREAM_STATUS, 0),
    (CmdId::SET_AI_STREAM, 1),
    (CmdId::SOFT_REBOOT, 2),
];

/// (command, minimum reply payload length in bytes).
const REPLY_MIN: &[(CmdId, usize)] = &[
    (CmdId::FIRMWARE_VERSION, 8),
    (CmdId::HARDWARE_ID, 2),
    (CmdId::MANUAL_ZOOM, 2),
    (CmdId::GIMBAL_ROTATION, 1),
    (CmdId::CENTER, 1),
    (CmdId::CAMERA_SYSTEM_INFO, 4),
    (CmdId::FUNCTION_FEEDBACK, 1),
    (CmdId::ATTITUDE, 12),
    (CmdId::SET_ANGLES, 6),
    (CmdId::ABSOLUTE_ZOOM, 1),
    (CmdId::MAX_ZOOM, 2),
    (CmdId::CURRENT_ZOOM, 2),
    (CmdId::GIMBAL_MODE, 1),
    (CmdId::GET_ENCODING, 9),
    (CmdId::SET_ENCODING, 2),
    (CmdId::DATA_STREAM, 1),
    (CmdId::SET_UTC_TIME, 1),
    (CmdId::SINGLE_AXIS, 6),
    (CmdId::FORMAT_SD, 1),
    (CmdId::AI_MODE_STATUS, 1),
    (CmdId::AI_STREAM_STATUS, 1),
    (CmdId::AI_TRACKING, 10),
    (CmdId::SET_AI_STREAM, 1),
    (CmdId::SOFT_REBOOT, 2),
];

fn check_min<T: std::fmt::Debug>(
    table: &[(CmdId, usize)],
    decode: impl Fn(CmdId, &[u8]) -> Result<T, PayloadError>,
) {
    for &(cmd, min) in table {
        // Zeros are a valid value for every field (0 = false, stop, not recording, ...).
        let zeros = vec![0u8; min];
        assert!(decode(cmd, &zeros).is_ok(), "{cmd}: {min} bytes decode");
        if min > 0 {
            assert_eq!(
                decode(cmd, &zeros[..min - 1]).unwrap_err(),
                PayloadError::TooShort {
                    cmd,
                    min,
                    got: min - 1
                },
                "{cmd}"
            );
        }
    }
}

#[test]
fn minimum_payload_lengths() {
    check_min(REQUEST_MIN, Request::decode);
    check_min(REPLY_MIN, Reply::decode);
    assert_eq!(AircraftAttitude::MIN_LEN, 28);
    assert_eq!(RawGps::MIN_LEN, 32);
    assert_eq!(EncodingParams::MIN_LEN, 9);
    assert_eq!(SystemInfo::MIN_LEN, 4);
}

#[test]
fn undefined_values_are_refused_where_the_type_cannot_hold_them() {
    let invalid = |cmd, field, value| PayloadError::InvalidValue { cmd, field, value };
    assert_eq!(
        Request::decode(CmdId::MANUAL_ZOOM, &[2]).unwrap_err(),
        invalid(CmdId::MANUAL_ZOOM, "zoom", 2)
    );
    assert_eq!(
        Request::decode(CmdId::MANUAL_ZOOM, &[0xff]).unwrap(),
        Request::ManualZoom(ZoomDirection::Out)
    );
    assert_eq!(
        Request::decode(CmdId::SOFT_REBOOT, &[1, 2]).unwrap_err(),
        invalid(CmdId::SOFT_REBOOT, "gimbal", 2)
    );
    // A short payload is reported as short, before any value is looked at.
    assert!(matches!(
        Request::decode(CmdId::SOFT_REBOOT, &[7]),
        Err(PayloadError::TooShort { .. })
    ));
}

#[test]
fn heartbeat_and_optional_fields() {
    let mut out = Vec::new();
    Request::TcpHeartbeat.encode_payload(&mut out);
    assert_eq!(out, [0]);
    assert_eq!(
        Request::decode(CmdId::TCP_HEARTBEAT, &[]),
        Ok(Request::TcpHeartbeat)
    );
    // An absent field before a present one is written as zeros; absent trailing fields are not.
    let info = SystemInfo {
        reserved0: 0,
        hdr_sta: 0,
        reserved2: 0,
        record_sta: siyi_protocol::RecordState::Recording,
        motion_mode: None,
        mounting_dir: None,
        video_output: Some(1),
        zoom_linkage: None,
    };
    let mut out = Vec::new();
    Reply::CameraSystemInfo(info).encode_payload(&mut out);
    assert_eq!(out, [0, 0, 0, 1, 0, 0, 1]);
    // A hardware id shorter than 12 bytes is zero-padded.
    match Reply::decode(CmdId::HARDWARE_ID, b"73").unwrap() {
        Reply::HardwareId(id) => assert_eq!(id.as_text(), "73"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn answered_requests() {
    let params = EncodingParams {
        stream: StreamType::Main,
        codec: VideoCodec::H264,
        width_px: 1280,
        height_px: 720,
        bitrate_kbps: 2000,
        framerate_fps: 0,
    };
    for (req, answered) in [
        (Request::TcpHeartbeat, false),
        (Request::FirmwareVersion, true),
        (
            Request::Function(siyi_protocol::FunctionType::TakePhoto),
            false,
        ),
        (
            Request::AircraftAttitude(AircraftAttitude::default()),
            false,
        ),
        (Request::RawGps(RawGps::default()), false),
        (Request::FormatSd, false),
        (
            Request::SingleAxis {
                angle: siyi_protocol::Decidegrees(0),
                axis: 0,
            },
            false,
        ),
        (Request::SetEncoding(params), true),
        (
            Request::Unknown {
                cmd: CmdId(0x99),
                payload: vec![],
            },
            false,
        ),
    ] {
        assert_eq!(req.expects_reply(), answered, "{req:?}");
    }
}

/// 0x0C functions 3/4/5 set the motion modes 0/1/2 of 0x0A byte 4; no function sets another.
#[test]
fn motion_mode_functions() {
    use siyi_protocol::{FunctionType, MotionMode};
    let byte = |m| FunctionType::set_motion_mode(m).map(FunctionType::to_u8);
    assert_eq!(byte(MotionMode::Lock), Some(3));
    assert_eq!(byte(MotionMode::Follow), Some(4));
    assert_eq!(byte(MotionMode::Fpv), Some(5));
    assert_eq!(byte(MotionMode::Other(7)), None);
}
