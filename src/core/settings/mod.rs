//! Camera settings (sans-IO), one room: the camera definition QGroundControl loads
//! ([`definition`], `siyi_a8_mini.xml`), the read-only MAVLink FTP server it is served from
//! ([`ftp`]), and the PARAM_EXT server (this file): what QGC reads and changes after loading the
//! definition. The parameters, their options and where each value comes from are in
//! [`params`]. The camera component hosts the FTP server and the PARAM_EXT server.
//!
//! * **Reads** (PARAM_EXT_REQUEST_LIST, PARAM_EXT_REQUEST_READ by id or by index) answer one
//!   PARAM_EXT_VALUE per parameter with `param_count` 6 and the parameter's fixed index, to
//!   the peer that asked. A value the camera has not reported yet is not answered (nothing is
//!   invented: QGC asks again by id, three times 3.5 s apart, and keeps the definition's
//!   default meanwhile); it is sent to every peer as soon as the camera reports it.
//! * **Changes** (PARAM_EXT_SET) are checked first: an unknown id or a type other than UINT32
//!   gets PARAM_ACK_FAILED, a value outside the options or range PARAM_ACK_VALUE_UNSUPPORTED,
//!   and a parameter whose current value the camera has not reported yet PARAM_ACK_FAILED —
//!   none of these reaches the camera. A value equal to the current one is ACCEPTED at once.
//!   Otherwise the change goes to the camera (one change at a time, the others queue) and the
//!   final PARAM_EXT_ACK carries the value **read back from the camera**: ACCEPTED only when the
//!   read-back shows the new value, else FAILED with a STATUSTEXT that says why and, to the
//!   peer, a PARAM_EXT_VALUE with the camera's value (QGC's FAILED path leaves its widget on
//!   the refused value; the PARAM_EXT_VALUE puts it back). A change still running after
//!   [`IN_PROGRESS_AFTER`] is answered PARAM_ACK_IN_PROGRESS (and again every
//!   [`IN_PROGRESS_AFTER`]), below QGC's 3 s write timeout, so QGC waits instead of re-sending.
//!   A SET repeated while its change is running gets IN_PROGRESS and is not sent again.
//! * **Codec**: the A8 mini answers 0x21 with success but keeps the old codec until it is
//!   power-cycled. The answer is FAILED with the codec the camera still uses and a STATUSTEXT
//!   saying the new codec takes effect after a power cycle; after the next camera start the
//!   encodings are read again and a changed codec is sent as PARAM_EXT_VALUE.
//! * **Changes the camera reports by itself** (the motion mode changed from the SIYI app, seen
//!   in 0x0A; the camera mode changed with SET_CAMERA_MODE or by a recording) are sent to every
//!   peer as PARAM_EXT_VALUE.

pub mod definition;
pub mod ftp;
pub mod params;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use mavlink::dialects::common::{
    CameraMode, MavMessage, MavSeverity, ParamAck, PARAM_EXT_REQUEST_READ_DATA, PARAM_EXT_SET_DATA,
};
use mavlink::MavHeader;

use crate::core::link::{FailReason, LinkControl, OpId, OpOutcome, Operation, Owner};
use crate::core::mavlink::{Addressed, Addressing, Host, PeerId, Target};
use params::{
    ack_message, change, decode, describe_encoding, value, value_message, Change, Param, PARAM_TYPE,
};

/// A change still running this long is answered PARAM_ACK_IN_PROGRESS (QGC re-sends a
/// PARAM_EXT_SET after 3 s without an answer, and waits another 3 s after IN_PROGRESS).
pub const IN_PROGRESS_AFTER: Duration = Duration::from_millis(2000);

/// A change whose camera operation has not ended after this long is answered FAILED (every
/// link operation ends well before: this is a guard, not a timeout the camera meets).
pub const CHANGE_LIMIT: Duration = Duration::from_secs(15);

/// Changes waiting at most (one per parameter).
const MAX_JOBS: usize = Param::ALL.len();

/// One change asked for with PARAM_EXT_SET.
#[derive(Clone, Debug)]
struct Job {
    param: Param,
    value: u32,
    /// Who asked (the final ack goes there).
    to: PeerId,
    /// The camera operation, once started (only the first job runs).
    op: Option<(OpId, Operation)>,
    started: Instant,
    progress_at: Instant,
}

/// The PARAM_EXT server. See the module docs.
#[derive(Debug, Default)]
pub struct Settings {
    /// The changes asked for, oldest first; the first one runs.
    jobs: VecDeque<Job>,
    /// The value of each parameter every peer was last told of (or that was first read).
    reported: [Option<u32>; 6],
    /// A peer asked for the parameter before its value was known: send it once it is.
    wanted: [bool; 6],
}

impl Settings {
    /// Handles a PARAM_EXT message from `peer` (others are ignored). Returns true when the
    /// camera mode changed (`CAM_MODE`): the caller then sends CAMERA_SETTINGS.
    #[allow(clippy::too_many_arguments)]
    pub fn message(
        &mut self,
        now: Instant,
        peer: PeerId,
        header: MavHeader,
        msg: &MavMessage,
        mode: &mut CameraMode,
        host: &mut Host,
        link: &mut impl LinkControl,
    ) -> bool {
        let ours = |host: &Host, sys: u8, comp: u8, broadcast_ok: bool| {
            let how = match broadcast_ok {
                true => Addressing::OrBroadcast,
                false => Addressing::Exact,
            };
            matches!(
                host.addressed(peer, &header, (sys, comp), how),
                Addressed::Ours(_)
            )
        };
        match msg {
            MavMessage::PARAM_EXT_REQUEST_LIST(m)
                if ours(host, m.target_system, m.target_component, true) =>
            {
                for param in Param::ALL {
                    self.answer(peer, param, *mode, host, link);
                }
            }
            MavMessage::PARAM_EXT_REQUEST_READ(m)
                if ours(host, m.target_system, m.target_component, true) =>
            {
                match asked(m) {
                    Some(param) => self.answer(peer, param, *mode, host, link),
                    None => {
                        tracing::debug!(target: "camera", id = ?m.param_id.to_str(), index = m.param_index, "PARAM_EXT_REQUEST_READ for no camera setting")
                    }
                }
            }
            MavMessage::PARAM_EXT_SET(m)
                if ours(host, m.target_system, m.target_component, false) =>
            {
                return self.set(now, peer, m, mode, host, link);
            }
            _ => {}
        }
        false
    }

    /// PARAM_EXT_VALUE of `param` to `peer`, or a note to send it once the camera reports it.
    fn answer(
        &mut self,
        peer: PeerId,
        param: Param,
        mode: CameraMode,
        host: &mut Host,
        link: &impl LinkControl,
    ) {
        match value(param, mode, link.state()) {
            Some(v) => host.send(Target::Peer(peer), value_message(param, v)),
            None => self.wanted[usize::from(param.index())] = true,
        }
    }

    fn set(
        &mut self,
        now: Instant,
        peer: PeerId,
        m: &PARAM_EXT_SET_DATA,
        mode: &mut CameraMode,
        host: &mut Host,
        link: &mut impl LinkControl,
    ) -> bool {
        let to = Target::Peer(peer);
        let id = m.param_id.to_str().unwrap_or("");
        let Some(param) = Param::from_id(id) else {
            tracing::debug!(target: "camera", id, "PARAM_EXT_SET of no camera setting");
            host.send(
                to,
                ack_message(id, m.param_type, None, ParamAck::PARAM_ACK_FAILED),
            );
            return false;
        };
        let current = value(param, *mode, link.state());
        let ack = |host: &mut Host, value, result| {
            host.send(to, ack_message(param.id(), PARAM_TYPE, value, result));
        };
        let warn = MavSeverity::MAV_SEVERITY_WARNING;
        if m.param_type != PARAM_TYPE {
            ack(host, current, ParamAck::PARAM_ACK_FAILED);
            let text = format!(
                "{} is a UINT32 setting: {:?} refused",
                param.id(),
                m.param_type
            );
            host.statustext_to(peer, warn, &text);
            return false;
        }
        let wanted = decode(&m.param_value);
        let Some(current) = current else {
            ack(host, None, ParamAck::PARAM_ACK_FAILED);
            let text = format!("{} not read from the camera yet: try again", param.id());
            host.statustext_to(peer, warn, &text);
            return false;
        };
        if !param.allows(wanted) {
            ack(host, Some(current), ParamAck::PARAM_ACK_VALUE_UNSUPPORTED);
            return false;
        }
        if let Some(job) = self.jobs.iter().find(|j| j.param == param) {
            if job.value == wanted {
                // A retry of the change in progress: say so, do not send it again.
                ack(host, Some(current), ParamAck::PARAM_ACK_IN_PROGRESS);
            } else {
                ack(host, Some(current), ParamAck::PARAM_ACK_FAILED);
                let text = format!("{}: another change is in progress", param.id());
                host.statustext_to(peer, warn, &text);
            }
            return false;
        }
        if wanted == current {
            ack(host, Some(current), ParamAck::PARAM_ACK_ACCEPTED);
            return false;
        }
        match change(param, wanted, link.state()) {
            Some(Change::Mode(m)) => {
                *mode = m;
                ack(host, Some(wanted), ParamAck::PARAM_ACK_ACCEPTED);
                true
            }
            Some(Change::Camera(_)) if self.jobs.len() < MAX_JOBS => {
                self.jobs.push_back(Job {
                    param,
                    value: wanted,
                    to: peer,
                    op: None,
                    started: now,
                    progress_at: now + IN_PROGRESS_AFTER,
                });
                self.start_next(now, *mode, host, link);
                false
            }
            Some(Change::Camera(_)) | None => {
                ack(host, Some(current), ParamAck::PARAM_ACK_FAILED);
                false
            }
        }
    }

    /// Starts the first change unless it runs already; changes that became pointless (the
    /// camera shows the value by now) are answered at once.
    fn start_next(
        &mut self,
        now: Instant,
        mode: CameraMode,
        host: &mut Host,
        link: &mut impl LinkControl,
    ) {
        while let Some(job) = self.jobs.front_mut() {
            if job.op.is_some() {
                return;
            }
            let current = value(job.param, mode, link.state());
            let op = match change(job.param, job.value, link.state()) {
                Some(Change::Camera(op)) if current != Some(job.value) => op,
                _ => {
                    let result = if current == Some(job.value) {
                        ParamAck::PARAM_ACK_ACCEPTED
                    } else {
                        ParamAck::PARAM_ACK_FAILED
                    };
                    let ack = ack_message(job.param.id(), PARAM_TYPE, current, result);
                    host.send(Target::Peer(job.to), ack);
                    self.jobs.pop_front();
                    continue;
                }
            };
            tracing::info!(target: "camera", param = job.param.id(), value = job.value, "camera setting sent to the camera");
            job.started = now;
            job.op = Some((link.start(now, Owner::Settings, op), op));
            return;
        }
    }

    /// A link operation ended: true if it was a settings change (answered here).
    pub fn finished(
        &mut self,
        now: Instant,
        id: OpId,
        outcome: &OpOutcome,
        mode: CameraMode,
        host: &mut Host,
        link: &mut impl LinkControl,
    ) -> bool {
        let Some(job) = self
            .jobs
            .front()
            .filter(|j| j.op.is_some_and(|(o, _)| o == id))
        else {
            return false;
        };
        let job = job.clone();
        self.jobs.pop_front();
        self.conclude(&job, outcome, mode, host, link);
        self.start_next(now, mode, host, link);
        true
    }

    /// The final answer to `job`, from what the camera reads now.
    fn conclude(
        &mut self,
        job: &Job,
        outcome: &OpOutcome,
        mode: CameraMode,
        host: &mut Host,
        link: &impl LinkControl,
    ) {
        let read = value(job.param, mode, link.state());
        let confirmed = matches!(outcome, OpOutcome::Succeeded { confirmed: true });
        let to = Target::Peer(job.to);
        let id = job.param.id();
        if confirmed && read == Some(job.value) {
            tracing::info!(target: "camera", param = id, value = job.value, "camera setting confirmed by the camera");
            host.send(
                to,
                ack_message(id, PARAM_TYPE, read, ParamAck::PARAM_ACK_ACCEPTED),
            );
            return;
        }
        host.send(
            to,
            ack_message(id, PARAM_TYPE, read, ParamAck::PARAM_ACK_FAILED),
        );
        if let Some(v) = read {
            host.send(to, value_message(job.param, v));
        }
        let text = failure_text(job, outcome, read);
        tracing::warn!(target: "camera", param = id, ?outcome, "{text}");
        host.statustext_to(job.to, MavSeverity::MAV_SEVERITY_WARNING, &text);
    }

    /// When [`Settings::handle_timeout`] should run next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let limit = self.jobs.front().map(|j| j.started + CHANGE_LIMIT);
        let progress = self.jobs.iter().map(|j| j.progress_at).min();
        [limit, progress].into_iter().flatten().min()
    }

    /// Says IN_PROGRESS for changes still running, and ends a change whose camera operation
    /// never ended.
    pub fn handle_timeout(
        &mut self,
        now: Instant,
        mode: CameraMode,
        host: &mut Host,
        link: &mut impl LinkControl,
    ) {
        for job in self.jobs.iter_mut().filter(|j| j.progress_at <= now) {
            let current = value(job.param, mode, link.state());
            let ack = ack_message(
                job.param.id(),
                PARAM_TYPE,
                current,
                ParamAck::PARAM_ACK_IN_PROGRESS,
            );
            host.send(Target::Peer(job.to), ack);
            job.progress_at = now + IN_PROGRESS_AFTER;
        }
        let overdue = self
            .jobs
            .front()
            .is_some_and(|j| j.started + CHANGE_LIMIT <= now);
        if let Some(job) = overdue.then(|| self.jobs.pop_front()).flatten() {
            self.conclude(&job, &OpOutcome::TimedOut, mode, host, link);
            self.start_next(now, mode, host, link);
        }
    }

    /// Sends every peer the values that changed, or that a peer asked for before the camera
    /// reported them. A parameter being changed is left to its final ack.
    pub fn refresh(&mut self, mode: CameraMode, host: &mut Host, link: &impl LinkControl) {
        for param in Param::ALL {
            let i = usize::from(param.index());
            let Some(now_value) = value(param, mode, link.state()) else {
                continue;
            };
            if self.jobs.iter().any(|j| j.param == param && j.op.is_some()) {
                continue;
            }
            let tell = match self.reported[i] {
                Some(old) => old != now_value,
                None => std::mem::take(&mut self.wanted[i]),
            };
            self.reported[i] = Some(now_value);
            if tell {
                host.send(Target::All, value_message(param, now_value));
            }
        }
    }
}

/// The setting a PARAM_EXT_REQUEST_READ asks for: by index unless the index is −1.
fn asked(m: &PARAM_EXT_REQUEST_READ_DATA) -> Option<Param> {
    if m.param_index >= 0 {
        Param::at(m.param_index)
    } else {
        Param::from_id(m.param_id.to_str().ok()?)
    }
}

/// Why `job` failed, in words, for a STATUSTEXT.
fn failure_text(job: &Job, outcome: &OpOutcome, read: Option<u32>) -> String {
    let (id, p) = (job.param.id(), job.param);
    let reads = match read {
        Some(v) => p.describe(v),
        None => "unknown".to_owned(),
    };
    match outcome {
        OpOutcome::Failed {
            reason: FailReason::EncodingRefused(_),
        } => match job.op {
            Some((_, Operation::SetEncoding(e))) => format!(
                "Camera refused {}: {id} stays {reads}",
                describe_encoding(&e)
            ),
            _ => format!("Camera refused {id} {}", p.describe(job.value)),
        },
        OpOutcome::Failed {
            reason: FailReason::CodecAfterPowerCycle,
        } => format!(
            "Camera accepted {} for the main stream; it takes effect after a power cycle \
             (now {reads})",
            p.describe(job.value)
        ),
        OpOutcome::Rejected { reason } => format!("{id} not changed: {reason}"),
        OpOutcome::TimedOut => format!("Camera did not answer: {id} not changed"),
        OpOutcome::Failed { .. } | OpOutcome::Succeeded { .. } => format!(
            "Camera did not apply {id} {}: it reads {reads}",
            p.describe(job.value)
        ),
    }
}
