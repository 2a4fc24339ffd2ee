//! Command identifiers.

use std::fmt;

/// A SIYI command id (the CMD_ID byte at frame offset 7).
///
/// Open-ended: every byte value is representable; the named constants are the commands this crate
/// types. `Display` prints the hex value and, when known, the name: `0x0d (gimbal attitude)`.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct CmdId(pub u8);

macro_rules! cmd_ids {
    ($($(#[$doc:meta])* $name:ident = $value:literal, $text:literal;)*) => {
        impl CmdId {
            $($(#[$doc])* pub const $name: Self = Self($value);)*

            /// Human-readable name of a known command id, `None` for others.
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some($text),)*
                    _ => None,
                }
            }
        }
    };
}

cmd_ids! {
    /// 0x00: TCP heartbeat (host → camera, no reply).
    TCP_HEARTBEAT = 0x00, "TCP heartbeat";
    /// 0x01: firmware versions.
    FIRMWARE_VERSION = 0x01, "firmware version";
    /// 0x02: hardware id (product code + serial).
    HARDWARE_ID = 0x02, "hardware id";
    /// 0x04: auto focus (optical models only).
    AUTO_FOCUS = 0x04, "auto focus";
    /// 0x05: manual (continuous) zoom.
    MANUAL_ZOOM = 0x05, "manual zoom";
    /// 0x06: manual focus (optical models only).
    MANUAL_FOCUS = 0x06, "manual focus";
    /// 0x07: gimbal rotation at a speed.
    GIMBAL_ROTATION = 0x07, "gimbal rotation";
    /// 0x08: one-key centering.
    CENTER = 0x08, "one-key centering";
    /// 0x0A: camera system information (recording state, motion mode, mounting).
    CAMERA_SYSTEM_INFO = 0x0A, "camera system info";
    /// 0x0B: function feedback (pushed by the camera after photo / record actions).
    FUNCTION_FEEDBACK = 0x0B, "function feedback";
    /// 0x0C: photo / record toggle / motion modes / video output (never acknowledged).
    FUNCTION = 0x0C, "photo / record / mode";
    /// 0x0D: gimbal attitude (also the frame of the 0x25 attitude stream).
    ATTITUDE = 0x0D, "gimbal attitude";
    /// 0x0E: set gimbal angles.
    SET_ANGLES = 0x0E, "set gimbal angles";
    /// 0x0F: absolute zoom.
    ABSOLUTE_ZOOM = 0x0F, "absolute zoom";
    /// 0x16: maximum zoom (zoom range).
    MAX_ZOOM = 0x16, "max zoom";
    /// 0x18: current zoom.
    CURRENT_ZOOM = 0x18, "current zoom";
    /// 0x19: gimbal motion mode.
    GIMBAL_MODE = 0x19, "gimbal mode";
    /// 0x20: get stream encoding parameters.
    GET_ENCODING = 0x20, "get encoding params";
    /// 0x21: set stream encoding parameters.
    SET_ENCODING = 0x21, "set encoding params";
    /// 0x22: aircraft attitude sent to the gimbal.
    AIRCRAFT_ATTITUDE = 0x22, "aircraft attitude";
    /// 0x25: request a gimbal data stream (attitude, laser, encoder, motor voltage).
    DATA_STREAM = 0x25, "gimbal data stream";
    /// 0x30: set UTC time.
    SET_UTC_TIME = 0x30, "set UTC time";
    /// 0x3E: raw GPS sent to the gimbal (lands in photo EXIF).
    RAW_GPS = 0x3E, "raw GPS";
    /// 0x41: single-axis attitude (the A8 mini answers with 0x0E).
    SINGLE_AXIS = 0x41, "single-axis attitude";
    /// 0x48: format the SD card.
    FORMAT_SD = 0x48, "format SD card";
    /// 0x4D: AI mode status (whether SIYI's external AI tracking module is active).
    AI_MODE_STATUS = 0x4D, "AI mode status";
    /// 0x4E: AI tracking stream status.
    AI_STREAM_STATUS = 0x4E, "AI tracking stream status";
    /// 0x50: AI tracking coordinates, pushed by the camera while the AI stream is on.
    ///
    /// The vendor text says this stream is enabled by 0x4F; that is a documentation error (0x4F
    /// is the thermal shutter): the switch is 0x51 ([`CmdId::SET_AI_STREAM`]).
    AI_TRACKING = 0x50, "AI tracking coordinates";
    /// 0x51: set AI tracking stream output (switches the 0x50 push on or off).
    SET_AI_STREAM = 0x51, "set AI tracking stream output";
    /// 0x80: soft reboot of camera and/or gimbal.
    SOFT_REBOOT = 0x80, "soft reboot";
}

impl fmt::Display for CmdId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{:#04x} ({name})", self.0),
            None => write!(f, "{:#04x}", self.0),
        }
    }
}

impl fmt::Debug for CmdId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "CmdId({:#04x} {name})", self.0),
            None => write!(f, "CmdId({:#04x})", self.0),
        }
    }
}

impl From<u8> for CmdId {
    fn from(value: u8) -> Self {
        Self(value)
    }
}
