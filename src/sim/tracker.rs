//! A sans-IO simulated **tracker process**: the tracker side of `docs/tracker-api.md` (version 1),
//! "seeing" the synthetic scene of [`scene`] instead of video.
//!
//! Lines in, lines out, time in: feed every line the bridge sends to
//! [`TrackerModel::handle_line`], call [`TrackerModel::handle_timeout`] at
//! [`TrackerModel::poll_timeout`], and send every line [`TrackerModel::poll_line`] returns (each
//! without its `\n`). Each call takes `now` and what the camera sees at that moment: its
//! [`SimPose`] (gimbal yaw / pitch, zoom, scene time), or `None` when the pose is unknown. It
//! never reads a clock; [`tracker_client`](super::tracker_client) is its tokio TCP shell.
//!
//! Behaviour:
//!
//! * it speaks first (`hello`, name [`TRACKER_NAME`]); after the bridge's `welcome` it sends a
//!   `status` every [`STATUS_PERIOD_MS`] (100 ms, the API asks for at most 250) and at once on
//!   every change of state (idle / active point / active rectangle / lost / error);
//! * `track_point` and `track_rectangle` are accepted when every coordinate is finite and inside
//!   0..1 (a rectangle's top left above and left of its bottom right, a radius in 0..1) and the
//!   camera pose is known; otherwise refused with a reason. `track_off` is always accepted;
//! * like a real visual tracker it locks on **what is under the requested point** (a
//!   rectangle's centre): the scene's car if its projected box contains that point, otherwise the
//!   fixed world direction (background) under it. From then on it reports where that thing is in
//!   the picture as the gimbal and zoom move, from scene truth: in rectangle mode the car's box
//!   (for a background lock, a box of the requested rectangle's size around the direction); in
//!   point mode a point with the requested radius;
//! * `lost` while the locked thing is out of the frame (or the pose is unknown), `error` with
//!   reason "target lost" after [`LOST_TO_ERROR_MS`] (3 s) lost; the error state stays (and is
//!   repeated) until the next request.

use std::collections::VecDeque;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::config::later;
use super::scene::{self, Direction, ImageBox, SimPose};

/// The name this tracker gives in its `hello`.
pub const TRACKER_NAME: &str = "siyi-bridge-sim-tracker";
/// The tracker API version spoken.
pub const API_VERSION: u32 = 1;
/// Interval of `status` lines, milliseconds (the API requires at most 250).
pub const STATUS_PERIOD_MS: u64 = 100;
/// How long the target may be lost before tracking fails with "target lost", milliseconds.
pub const LOST_TO_ERROR_MS: u64 = 3_000;

/// Counters of the model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrackerStats {
    /// Lines received.
    pub lines_in: u64,
    /// Lines that were not valid JSON or not a known message (ignored).
    pub bad_lines: u64,
    /// Requests accepted.
    pub accepted: u64,
    /// Requests refused.
    pub refused: u64,
    /// `status` lines produced.
    pub statuses: u64,
}

/// What a track request asks the tracker to report.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Shape {
    /// A point with this radius (fraction of the image width).
    Point { radius: f64 },
    /// A rectangle of this size (fractions of the image width and height).
    Rectangle { width: f64, height: f64 },
}

/// What the tracker locked on.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Lock {
    /// The scene's car.
    Target,
    /// A fixed direction of the background.
    Background(Direction),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Idle,
    Tracking {
        lock: Lock,
        shape: Shape,
        lost_since: Option<Instant>,
    },
    Failed,
}

/// The state a `status` line reports, for change detection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Idle,
    ActivePoint,
    ActiveRectangle,
    Lost,
    Error,
}

/// The simulated tracker. See the [module documentation](self).
#[derive(Debug)]
pub struct TrackerModel {
    welcomed: bool,
    bridge_error: Option<String>,
    mode: Mode,
    out: VecDeque<String>,
    next_status: Option<Instant>,
    last_kind: Option<Kind>,
    stats: TrackerStats,
}

impl Default for TrackerModel {
    fn default() -> Self {
        Self::new()
    }
}

impl TrackerModel {
    /// A fresh connection: the `hello` line is queued, nothing is tracked.
    pub fn new() -> Self {
        let mut model = Self {
            welcomed: false,
            bridge_error: None,
            mode: Mode::Idle,
            out: VecDeque::new(),
            next_status: None,
            last_kind: None,
            stats: TrackerStats::default(),
        };
        model.emit(&Out::Hello {
            version: API_VERSION,
            name: TRACKER_NAME,
        });
        model
    }

    /// Whether the bridge said `welcome` (statuses flow from then on).
    pub fn is_welcomed(&self) -> bool {
        self.welcomed
    }

    /// The reason of an `error` line from the bridge (it closes the connection after one).
    pub fn bridge_error(&self) -> Option<&str> {
        self.bridge_error.as_deref()
    }

    /// Counters so far.
    pub fn stats(&self) -> TrackerStats {
        self.stats
    }

    /// Handles one line from the bridge (without its `\n`) at `now`, the camera seen at `pose`.
    pub fn handle_line(&mut self, now: Instant, pose: Option<&SimPose>, line: &str) {
        self.stats.lines_in += 1;
        let Ok(msg) = serde_json::from_str::<In>(line) else {
            self.stats.bad_lines += 1;
            return;
        };
        match msg {
            In::Welcome { version } => {
                if version == API_VERSION {
                    self.welcomed = true;
                } else {
                    self.stats.bad_lines += 1;
                }
            }
            In::Error { reason } => self.bridge_error = Some(reason),
            In::TrackPoint { id, x, y, radius } => {
                let shape = if (0.0..=1.0).contains(&radius) {
                    Some(Shape::Point { radius })
                } else {
                    None
                };
                self.track(pose, id, x, y, shape);
            }
            In::TrackRectangle {
                id,
                top_left_x,
                top_left_y,
                bottom_right_x,
                bottom_right_y,
            } => {
                let edges = [top_left_x, top_left_y, bottom_right_x, bottom_right_y];
                let ordered = top_left_x < bottom_right_x && top_left_y < bottom_right_y;
                let shape =
                    (ordered && edges.iter().all(|v| in_unit(*v))).then_some(Shape::Rectangle {
                        width: bottom_right_x - top_left_x,
                        height: bottom_right_y - top_left_y,
                    });
                let x = (top_left_x + bottom_right_x) / 2.0;
                let y = (top_left_y + bottom_right_y) / 2.0;
                self.track(pose, id, x, y, shape);
            }
            In::TrackOff { id } => {
                self.mode = Mode::Idle;
                self.answer(id, None);
            }
        }
        self.update(now, pose);
    }

    /// Advances to `now` (the camera seen at `pose`): status lines due, lost → error.
    pub fn handle_timeout(&mut self, now: Instant, pose: Option<&SimPose>) {
        self.update(now, pose);
    }

    /// When [`TrackerModel::handle_timeout`] has work to do next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let error_at = match self.mode {
            Mode::Tracking {
                lost_since: Some(since),
                ..
            } => Some(later(since, LOST_TO_ERROR_MS)),
            _ => None,
        };
        [self.next_status, error_at].into_iter().flatten().min()
    }

    /// The next line to send to the bridge (JSON, without the `\n`).
    pub fn poll_line(&mut self) -> Option<String> {
        self.out.pop_front()
    }

    /// Answers a track request: locks on what is under (`x`, `y`) or refuses.
    fn track(&mut self, pose: Option<&SimPose>, id: u32, x: f64, y: f64, shape: Option<Shape>) {
        let Some(shape) = shape.filter(|_| in_unit(x) && in_unit(y)) else {
            return self.answer(
                id,
                Some("outside the frame or not a valid point / rectangle"),
            );
        };
        let Some(pose) = pose else {
            return self.answer(id, Some("camera pose unknown"));
        };
        let on_target = scene::target_box(pose).is_some_and(|b| b.contains(x, y));
        let lock = if on_target {
            Lock::Target
        } else if let Some(dir) = scene::unproject(pose, x, y) {
            Lock::Background(dir)
        } else {
            return self.answer(id, Some("nothing to track there"));
        };
        self.mode = Mode::Tracking {
            lock,
            shape,
            lost_since: None,
        };
        // A new lock is a change even when the state name stays "active".
        self.last_kind = None;
        self.answer(id, None);
    }

    fn answer(&mut self, id: u32, refused: Option<&str>) {
        if refused.is_some() {
            self.stats.refused += 1;
        } else {
            self.stats.accepted += 1;
        }
        self.emit(&Out::Answer {
            id,
            accepted: refused.is_none(),
            reason: refused,
        });
    }

    /// Re-evaluates the state at `now`; sends a status when it changed or one is due.
    fn update(&mut self, now: Instant, pose: Option<&SimPose>) {
        if !self.welcomed {
            return;
        }
        let status = self.evaluate(now, pose);
        let changed = self.last_kind != Some(status.kind());
        let due = self.next_status.is_none_or(|t| now >= t);
        if changed || due {
            self.last_kind = Some(status.kind());
            self.next_status = Some(later(now, STATUS_PERIOD_MS));
            self.stats.statuses += 1;
            let line = status.to_line();
            self.emit(&line);
        }
    }

    /// What the tracker sees at `now`; moves tracking to lost / failed as time passes.
    fn evaluate(&mut self, now: Instant, pose: Option<&SimPose>) -> Status {
        let Mode::Tracking {
            lock,
            shape,
            lost_since,
        } = self.mode
        else {
            return match self.mode {
                Mode::Failed => Status::Error,
                _ => Status::Idle,
            };
        };
        let seen = pose.and_then(|p| locate(p, lock, shape));
        match seen {
            Some(b) => {
                self.mode = Mode::Tracking {
                    lock,
                    shape,
                    lost_since: None,
                };
                match shape {
                    Shape::Point { radius } => Status::Point {
                        x: b.center_x,
                        y: b.center_y,
                        radius,
                    },
                    Shape::Rectangle { .. } => Status::Rectangle(b.clipped_edges()),
                }
            }
            None => {
                let since = lost_since.unwrap_or(now);
                if now >= later(since, LOST_TO_ERROR_MS) {
                    self.mode = Mode::Failed;
                    Status::Error
                } else {
                    self.mode = Mode::Tracking {
                        lock,
                        shape,
                        lost_since: Some(since),
                    };
                    Status::Lost
                }
            }
        }
    }

    fn emit(&mut self, msg: &Out<'_>) {
        // Serialising these plain structs cannot fail; an empty line would be ignored anyway.
        self.out
            .push_back(serde_json::to_string(msg).unwrap_or_default());
    }
}

/// Where the locked thing is in the picture taken at `pose`, `None` when out of the frame.
fn locate(pose: &SimPose, lock: Lock, shape: Shape) -> Option<ImageBox> {
    let (width, height) = match shape {
        Shape::Rectangle { width, height } => (width, height),
        Shape::Point { radius } => (2.0 * radius, 2.0 * radius),
    };
    match lock {
        Lock::Target => scene::target_box(pose),
        Lock::Background(dir) => {
            let (x, y) = scene::project_point(pose, dir)?;
            (in_unit(x) && in_unit(y)).then_some(ImageBox {
                center_x: x,
                center_y: y,
                width,
                height,
            })
        }
    }
}

fn in_unit(v: f64) -> bool {
    (0.0..=1.0).contains(&v)
}

/// A status to report.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Status {
    Idle,
    Point { x: f64, y: f64, radius: f64 },
    Rectangle((f64, f64, f64, f64)),
    Lost,
    Error,
}

impl Status {
    fn kind(&self) -> Kind {
        match self {
            Self::Idle => Kind::Idle,
            Self::Point { .. } => Kind::ActivePoint,
            Self::Rectangle(_) => Kind::ActiveRectangle,
            Self::Lost => Kind::Lost,
            Self::Error => Kind::Error,
        }
    }

    fn to_line(self) -> Out<'static> {
        let (state, point, rectangle, reason) = match self {
            Self::Idle => ("idle", None, None, None),
            Self::Point { x, y, radius } => ("active", Some(PointOut { x, y, radius }), None, None),
            Self::Rectangle((l, t, r, b)) => (
                "active",
                None,
                Some(RectangleOut {
                    top_left_x: l,
                    top_left_y: t,
                    bottom_right_x: r,
                    bottom_right_y: b,
                }),
                None,
            ),
            Self::Lost => ("lost", None, None, None),
            Self::Error => ("error", None, None, Some("target lost")),
        };
        Out::Status {
            state,
            point,
            rectangle,
            reason,
        }
    }
}

/// Bridge → tracker messages (unknown fields are ignored).
#[derive(Deserialize, Debug)]
#[serde(tag = "type", rename_all = "snake_case")]
enum In {
    Welcome {
        version: u32,
    },
    Error {
        #[serde(default)]
        reason: String,
    },
    TrackPoint {
        id: u32,
        x: f64,
        y: f64,
        radius: f64,
    },
    TrackRectangle {
        id: u32,
        top_left_x: f64,
        top_left_y: f64,
        bottom_right_x: f64,
        bottom_right_y: f64,
    },
    TrackOff {
        id: u32,
    },
}

/// Tracker → bridge messages.
#[derive(Serialize, Debug)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Out<'a> {
    Hello {
        version: u32,
        name: &'a str,
    },
    Answer {
        id: u32,
        accepted: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<&'a str>,
    },
    Status {
        state: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        point: Option<PointOut>,
        #[serde(skip_serializing_if = "Option::is_none")]
        rectangle: Option<RectangleOut>,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<&'a str>,
    },
}

#[derive(Serialize, Debug)]
struct PointOut {
    x: f64,
    y: f64,
    radius: f64,
}

#[derive(Serialize, Debug)]
struct RectangleOut {
    top_left_x: f64,
    top_left_y: f64,
    bottom_right_x: f64,
    bottom_right_y: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::disallowed_methods)]
    fn origin() -> Instant {
        Instant::now()
    }

    #[test]
    fn lines_are_the_documented_json() {
        let t0 = origin();
        let mut m = TrackerModel::new();
        assert_eq!(
            m.poll_line().as_deref(),
            Some(r#"{"type":"hello","version":1,"name":"siyi-bridge-sim-tracker"}"#)
        );
        m.handle_line(
            t0,
            None,
            r#"{"type":"welcome","version":1,"bridge":"siyi-bridge 0.1.0"}"#,
        );
        assert_eq!(
            m.poll_line().as_deref(),
            Some(r#"{"type":"status","state":"idle"}"#)
        );
        m.handle_line(
            t0,
            None,
            r#"{"type":"track_point","id":7,"x":0.4,"y":0.5,"radius":0.05}"#,
        );
        assert_eq!(
            m.poll_line().as_deref(),
            Some(r#"{"type":"answer","id":7,"accepted":false,"reason":"camera pose unknown"}"#)
        );
        m.handle_line(t0, None, r#"{"type":"track_off","id":8}"#);
        assert_eq!(
            m.poll_line().as_deref(),
            Some(r#"{"type":"answer","id":8,"accepted":true}"#)
        );
        for bad in [
            "",
            "{",
            r#"{"type":"dance"}"#,
            r#"{"type":"track_off"}"#,
            "[1]",
        ] {
            m.handle_line(t0, None, bad);
        }
        assert_eq!(m.stats().bad_lines, 5);
        assert_eq!(m.poll_line(), None, "bad lines produce nothing");
    }
}
