//! # siyi-protocol
//!
//! A codec for the SIYI gimbal-camera "SDK" protocol as spoken by the A8 mini (and, for framing and
//! most commands, by the rest of the SIYI gimbal-camera family).
//!
//! This crate is a **fully deterministic codec**: it contains no networking code, no file access,
//! no async runtime and never reads a clock. Bytes go in, typed values come out, and back.
//!
//! It has two layers:
//!
//! 1. **Framing** ([`frame`], [`decoder`]): `55 66 | CTRL | LEN u16 LE | SEQ u16 LE | CMD | DATA |
//!    CRC16 u16 LE`, with CRC-16/XMODEM over everything before the CRC. [`Frame`] encodes and parses one
//!    frame; [`FrameDecoder`] is a push-bytes / pull-frames stream decoder that resynchronises after
//!    garbage and bad checksums.
//! 2. **Payloads** ([`request`], [`reply`]): typed [`Request`]s (host → camera) and [`Reply`]s
//!    (camera → host) by command id, each with an `Unknown { cmd, payload }` case. Replies are parsed
//!    by minimum length, so the longer payloads of newer firmware still decode.
//!
//! Each command is **declared once**: one entry in the `Request` and/or `Reply` declaration gives
//! its command id, whether the camera answers it, and its fields in wire order; encoding and
//! decoding are generated from it (the crate-private `wire` module holds the declaration macros
//! and the `Field` trait through which every field type knows its little-endian layout). Each
//! one-byte enum ([`RecordState`], [`FunctionType`], …) is declared once with its wire values and
//! names, and the multi-field payloads are structs ([`Attitude`], [`SystemInfo`],
//! [`EncodingParams`], [`AircraftAttitude`], [`RawGps`], [`AiTrack`]) that the bridge, its
//! simulator and its frame descriptions reuse. A new command is its [`CmdId`] constant, one
//! entry, and its tests.
//!
//! Units live in the types: angles are [`Decidegrees`] (tenths of a degree), zoom factors are
//! [`Zoom`] (integer + tenths), firmware words are [`FirmwareVersion`].
//!
//! ```
//! use siyi_protocol::{Frame, FrameDecoder, Reply, Request};
//!
//! let bytes = Request::Attitude.to_frame(0).to_bytes();
//! assert_eq!(bytes, [0x55, 0x66, 0x01, 0x00, 0x00, 0x00, 0x00, 0x0d, 0xe8, 0x05]);
//!
//! let mut decoder = FrameDecoder::new();
//! decoder.push(&[0x55, 0x66, 0x02, 0x0c, 0x00, 0x06, 0x00, 0x0d, 0xf7, 0xff, 0x90, 0xfc,
//!                0x00, 0x00, 0xfd, 0xff, 0x7f, 0xff, 0x00, 0x00, 0x89, 0x4b]);
//! let frame = decoder.next_frame().unwrap().unwrap();
//! match Reply::from_frame(&frame).unwrap() {
//!     Reply::Attitude(att) => assert_eq!(att.pitch.degrees(), -88.0),
//!     other => panic!("unexpected {other:?}"),
//! }
//! ```
#![warn(missing_docs)]

pub mod cmd;
pub mod crc;
pub mod decoder;
pub mod error;
pub mod frame;
pub mod model;
pub mod reply;
pub mod request;
pub mod units;
mod wire;

pub use cmd::CmdId;
pub use decoder::{DecoderStats, FrameDecoder};
pub use error::{FrameError, PayloadError};
pub use frame::{Ctrl, Frame, FrameRef, HeaderPeek};
pub use model::{CameraModel, HardwareId};
pub use reply::{
    AiMode, AiStreamStatus, AiTarget, AiTrack, AiTrackStatus, Attitude, EncodingParams,
    FeedbackCode, MotionMode, MountingDirection, RecordState, Reply, SystemInfo,
};
pub use request::{
    AircraftAttitude, CenterPosition, DataStreamType, FunctionType, RawGps, Request,
    StreamFrequency, ZoomDirection,
};
pub use units::{Decidegrees, DecidegreesPerSecond, FirmwareVersion, StreamType, VideoCodec, Zoom};
