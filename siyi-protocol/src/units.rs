//! Values with units: angles, angular rates, zoom factors, firmware words, stream ids.

use std::fmt;

use crate::wire::{layout, newtype_fields, wire_enum};

/// An angle in tenths of a degree, as carried on the wire (`i16`, little-endian).
///
/// SIYI yaw is positive to the **left** (counter-clockwise seen from above), the opposite of
/// MAVLink/NED; pitch is positive up, −90° looks straight down.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Debug,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct Decidegrees(pub i16);

impl Decidegrees {
    /// The angle in degrees.
    pub fn degrees(self) -> f32 {
        f32::from(self.0) / 10.0
    }

    /// From degrees, rounded to the nearest tenth and saturated to the `i16` range
    /// (NaN becomes 0).
    pub fn from_degrees(degrees: f32) -> Self {
        Self(round_to_i16(degrees * 10.0))
    }
}

impl fmt::Display for Decidegrees {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.1}°", self.degrees())
    }
}

/// An angular rate in tenths of a degree per second (`i16`, little-endian).
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Debug,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct DecidegreesPerSecond(pub i16);

impl DecidegreesPerSecond {
    /// The rate in degrees per second.
    pub fn degrees_per_second(self) -> f32 {
        f32::from(self.0) / 10.0
    }

    /// From degrees per second, rounded to a tenth and saturated (NaN becomes 0).
    pub fn from_degrees_per_second(dps: f32) -> Self {
        Self(round_to_i16(dps * 10.0))
    }
}

fn round_to_i16(x: f32) -> i16 {
    if x.is_nan() {
        0
    } else {
        // `as` saturates for floats; rounding first gives the nearest tenth.
        x.round() as i16
    }
}

layout! {
    /// A zoom factor as integer part and tenths (`u8 int, u8 tenths`): 2.5× is `Zoom { int: 2, tenths: 5 }`.
    ///
    /// Used by 0x0F (absolute zoom), 0x16 (max zoom) and 0x18 (current zoom). The A8 mini zooms
    /// digitally from 1.0× to 6.0×.
    #[derive(
        Clone,
        Copy,
        PartialEq,
        Eq,
        PartialOrd,
        Ord,
        Hash,
        Default,
        Debug,
        serde::Serialize,
        serde::Deserialize,
    )]
    pub struct Zoom {
        /// Integer part of the factor (1…30 on the wire).
        pub int: u8,
        /// Tenths of the factor (0…9).
        pub tenths: u8,
    }
}

impl Zoom {
    /// 1.0×, no zoom.
    pub const ONE: Self = Self { int: 1, tenths: 0 };

    /// The zoom factor as a float (`int + tenths / 10`).
    pub fn factor(self) -> f32 {
        f32::from(self.int) + f32::from(self.tenths) / 10.0
    }

    /// The zoom factor in tenths (2.5× → 25).
    pub fn in_tenths(self) -> u16 {
        u16::from(self.int) * 10 + u16::from(self.tenths)
    }

    /// From a factor in tenths (25 → 2.5×), saturating at 255.9×.
    pub fn from_tenths(tenths: u16) -> Self {
        let tenths = tenths.min(2559);
        Self {
            int: (tenths / 10) as u8,
            tenths: (tenths % 10) as u8,
        }
    }

    /// From a float factor, rounded to the nearest tenth (negative and NaN give 0.0×).
    pub fn from_factor(factor: f32) -> Self {
        let t = (factor * 10.0).round();
        if t.is_nan() || t <= 0.0 {
            Self { int: 0, tenths: 0 }
        } else {
            Self::from_tenths(t.min(2559.0) as u16)
        }
    }
}

impl fmt::Display for Zoom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}x", self.int, self.tenths)
    }
}

/// A firmware version word (`u32` little-endian): byte 0 = patch, byte 1 = minor, byte 2 = major,
/// byte 3 = undocumented (the vendor says "ignore"; it is kept so re-encoding is exact).
///
/// The camera word reads 0.0.0 for the first 20–30 s after power-up.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, Debug, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct FirmwareVersion(pub u32);

impl FirmwareVersion {
    /// From major.minor.patch (high byte 0).
    pub const fn new(major: u8, minor: u8, patch: u8) -> Self {
        Self(((major as u32) << 16) | ((minor as u32) << 8) | patch as u32)
    }
    /// Major version (byte 2).
    pub const fn major(self) -> u8 {
        (self.0 >> 16) as u8
    }
    /// Minor version (byte 1).
    pub const fn minor(self) -> u8 {
        (self.0 >> 8) as u8
    }
    /// Patch version (byte 0).
    pub const fn patch(self) -> u8 {
        self.0 as u8
    }
    /// True when major.minor.patch is 0.0.0 (the camera is still booting), whatever the high byte.
    pub const fn is_zero(self) -> bool {
        self.0 & 0x00FF_FFFF == 0
    }
    /// (major, minor, patch), for ordering comparisons that ignore the high byte.
    pub const fn triple(self) -> (u8, u8, u8) {
        (self.major(), self.minor(), self.patch())
    }
}

impl fmt::Display for FirmwareVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major(), self.minor(), self.patch())
    }
}

wire_enum! {
    /// Which video stream an encoding command is about (`u8`).
    pub enum StreamType: u8, Other(u8) {
        /// 0: the recording stream (what goes to the SD card).
        Recording = 0 => "recording",
        /// 1: the main (RTSP) stream.
        Main = 1 => "main",
        /// 2: the sub stream.
        Sub = 2 => "sub",
    }
}

wire_enum! {
    /// Video codec of a stream (`u8`).
    pub enum VideoCodec: u8, Other(u8) {
        /// 1: H.264.
        H264 = 1 => "H264",
        /// 2: H.265.
        H265 = 2 => "H265",
    }
}

newtype_fields!(Decidegrees: i16, DecidegreesPerSecond: i16, FirmwareVersion: u32);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firmware_word_vendor_example() {
        // Vendor example 0x6E030203 -> v3.2.3.
        let v = FirmwareVersion(0x6E03_0203);
        assert_eq!(v.triple(), (3, 2, 3));
        assert_eq!(v.to_string(), "3.2.3");
        assert!(!v.is_zero());
        assert!(FirmwareVersion(0x6E00_0000).is_zero());
    }

    #[test]
    fn zoom_conversions() {
        assert_eq!(Zoom::from_factor(2.5), Zoom { int: 2, tenths: 5 });
        assert_eq!(Zoom::from_tenths(60).factor(), 6.0);
        assert_eq!(Zoom::from_factor(f32::NAN), Zoom { int: 0, tenths: 0 });
        assert_eq!(Decidegrees::from_degrees(-90.0), Decidegrees(-900));
        assert_eq!(Decidegrees::from_degrees(1e9), Decidegrees(i16::MAX));
    }
}
