//! The camera state the link keeps: everything read from the camera, each value with its age.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use siyi_protocol::{
    AiMode, AiTrack, Attitude, CameraModel, EncodingParams, FirmwareVersion, HardwareId,
    MotionMode, MountingDirection, RecordState, Reply, StreamType, Zoom,
};

use super::LinkEvent;

/// A value and the time it was last read from the camera.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Fresh<T> {
    /// The value.
    pub value: T,
    /// When it was read.
    pub at: Instant,
}

impl<T> Fresh<T> {
    /// A value read at `at`.
    pub fn new(value: T, at: Instant) -> Self {
        Self { value, at }
    }
    /// Age of the value at `now` (zero if `now` is earlier).
    pub fn age(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.at)
    }
    /// True when the value is at most `max_age` old at `now`.
    pub fn is_fresh(&self, now: Instant, max_age: Duration) -> bool {
        self.age(now) <= max_age
    }
}

/// Where the current zoom value came from, best first.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ZoomSource {
    /// A 0x18 current-zoom reply.
    CurrentZoomReply,
    /// A 0x05 manual-zoom ACK.
    ManualZoomAck,
    /// The last value commanded with 0x0F (the camera gave no reading).
    Commanded,
}

/// Everything known about the camera. `None` = never read.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct CameraState {
    /// Hardware id (0x02).
    pub hardware_id: Option<HardwareId>,
    /// Model from the hardware id.
    pub model: Option<CameraModel>,
    /// Camera firmware (0x01 word 0).
    pub camera_fw: Option<FirmwareVersion>,
    /// Gimbal firmware (0x01 word 1).
    pub gimbal_fw: Option<FirmwareVersion>,
    /// Zoom firmware (0x01 word 2; not sent by the A8 mini).
    pub zoom_fw: Option<FirmwareVersion>,
    /// Recording state (0x0A byte 3).
    pub record: Option<Fresh<RecordState>>,
    /// When the current recording started, as seen by the link (for recording time).
    pub recording_since: Option<Instant>,
    /// Gimbal motion mode (0x0A byte 4 / 0x19).
    pub motion_mode: Option<Fresh<MotionMode>>,
    /// Mounting direction (0x0A byte 5).
    pub mounting: Option<Fresh<MountingDirection>>,
    /// Current zoom factor and where it came from.
    pub zoom: Option<(Fresh<Zoom>, ZoomSource)>,
    /// Maximum zoom (0x16; the A8 mini's 6.0× when the camera does not answer 0x16).
    pub max_zoom: Option<Zoom>,
    /// Gimbal attitude and rates (0x0D or the 0x25 stream).
    pub attitude: Option<Fresh<Attitude>>,
    /// Encoding parameters per stream (index 0 recording, 1 main, 2 sub) from 0x20.
    pub encodings: [Option<EncodingParams>; 3],
    /// How many times the start-up sequence has completed (2 after one reboot).
    pub startups: u32,
    /// AI mode (0x4D): SIYI's AI tracking module attached and on.
    pub ai_mode: Option<Fresh<AiMode>>,
    /// The last AI tracking box (0x50).
    pub ai_track: Option<Fresh<AiTrack>>,
    /// The last 0x30 answer: true = the camera took the UTC time, false = it called it invalid.
    pub clock_set: Option<Fresh<bool>>,
}

impl CameraState {
    /// The camera is identified: model known and a firmware that is not 0.0.0 (booted).
    pub fn identified(&self) -> bool {
        self.model.is_some() && self.camera_fw.is_some_and(|fw| !fw.is_zero())
    }

    /// Takes what `reply` (read at `now`) says about the camera; the changes a user should
    /// know of (recording state, zoom, motion mode, an unexpected model) become `events`.
    pub(crate) fn read(&mut self, now: Instant, reply: &Reply, events: &mut VecDeque<LinkEvent>) {
        match reply {
            Reply::HardwareId(id) => {
                let model = id.model();
                let first_or_changed = self.hardware_id != Some(*id);
                self.hardware_id = Some(*id);
                self.model = Some(model);
                if first_or_changed && model != CameraModel::A8Mini {
                    events.push_back(LinkEvent::UnexpectedModel { model, id: *id });
                }
            }
            Reply::FirmwareVersion {
                camera,
                gimbal,
                zoom,
            } => {
                self.camera_fw = Some(*camera);
                self.gimbal_fw = Some(*gimbal);
                self.zoom_fw = *zoom;
            }
            Reply::ManualZoom { zoom_tenths } => self.set_zoom(
                now,
                Zoom::from_tenths(*zoom_tenths),
                ZoomSource::ManualZoomAck,
                events,
            ),
            Reply::CurrentZoom(z) => self.set_zoom(now, *z, ZoomSource::CurrentZoomReply, events),
            Reply::MaxZoom(z) => self.max_zoom = Some(*z),
            Reply::CameraSystemInfo(info) => {
                let rec = info.record_sta;
                let prev = self.record.map(|f| f.value);
                self.record = Some(Fresh::new(rec, now));
                if prev != Some(rec) {
                    events.push_back(LinkEvent::RecordingChanged {
                        from: prev,
                        to: rec,
                    });
                }
                if rec == RecordState::Recording {
                    if prev != Some(RecordState::Recording) || self.recording_since.is_none() {
                        self.recording_since = Some(now);
                    }
                } else {
                    self.recording_since = None;
                }
                if let Some(mode) = info.motion_mode {
                    self.set_motion_mode(now, mode, events);
                }
                if let Some(dir) = info.mounting_dir {
                    self.mounting = Some(Fresh::new(dir, now));
                }
            }
            Reply::Attitude(a) => self.attitude = Some(Fresh::new(*a, now)),
            Reply::Encoding(e) => {
                if let Some(slot) = encoding_index(e.stream).and_then(|i| self.encodings.get_mut(i))
                {
                    *slot = Some(*e);
                }
            }
            Reply::GimbalMode(mode) => self.set_motion_mode(now, *mode, events),
            Reply::AiModeStatus(mode) => {
                if self.ai_mode.map(|m| m.value) != Some(*mode) {
                    events.push_back(LinkEvent::AiModeChanged(*mode));
                }
                self.ai_mode = Some(Fresh::new(*mode, now));
            }
            Reply::SetUtcTime { status } => self.clock_set = Some(Fresh::new(*status == 1, now)),
            Reply::AiTracking(track) => {
                self.ai_track = Some(Fresh::new(*track, now));
                events.push_back(LinkEvent::AiTrack(*track));
            }
            _ => {}
        }
    }

    /// The zoom is `z` (from `source`) at `now`; a change is an event.
    pub(crate) fn set_zoom(
        &mut self,
        now: Instant,
        z: Zoom,
        source: ZoomSource,
        events: &mut VecDeque<LinkEvent>,
    ) {
        let changed = self.zoom.map(|(f, _)| f.value) != Some(z);
        self.zoom = Some((Fresh::new(z, now), source));
        if changed {
            events.push_back(LinkEvent::ZoomChanged(z));
        }
    }

    fn set_motion_mode(
        &mut self,
        now: Instant,
        mode: MotionMode,
        events: &mut VecDeque<LinkEvent>,
    ) {
        let changed = self.motion_mode.map(|f| f.value) != Some(mode);
        self.motion_mode = Some(Fresh::new(mode, now));
        if changed {
            events.push_back(LinkEvent::MotionModeChanged(mode));
        }
    }
}

/// Index of a stream in [`CameraState::encodings`].
fn encoding_index(stream: StreamType) -> Option<usize> {
    match stream {
        StreamType::Recording => Some(0),
        StreamType::Main => Some(1),
        StreamType::Sub => Some(2),
        StreamType::Other(_) => None,
    }
}
