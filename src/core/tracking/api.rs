//! The tracker API's messages (docs/tracker-api.md, version 1): one JSON object per line.
//!
//! Sans-IO: text in, typed messages out, and back. The `io` shell moves the lines.

use serde::{Deserialize, Serialize};

use mavlink::dialects::common::MavCmd;

use crate::core::mavlink::inbound::Command;
use crate::core::text::shorten;

/// The protocol version this bridge speaks.
pub const API_VERSION: u32 = 1;
/// Longest line accepted from a tracker, in bytes (longer lines are discarded and counted).
pub const MAX_LINE_BYTES: usize = 4096;

/// How much of the JSON parser's message a [`LineError::Invalid`] keeps, bytes.
pub const MAX_ERROR_TEXT_BYTES: usize = 120;

/// A point to track, normalised image coordinates (0..1, origin top left).
#[derive(Clone, Copy, PartialEq, Debug, Serialize, Deserialize)]
pub struct Point {
    /// Horizontal, 0 = left edge, 1 = right edge.
    pub x: f32,
    /// Vertical, 0 = top edge, 1 = bottom edge.
    pub y: f32,
    /// Radius, a fraction of the image width.
    pub radius: f32,
}

/// A rectangle to track, normalised image coordinates (0..1, origin top left).
#[derive(Clone, Copy, PartialEq, Debug, Serialize, Deserialize)]
pub struct Rect {
    /// Left edge.
    pub top_left_x: f32,
    /// Top edge.
    pub top_left_y: f32,
    /// Right edge.
    pub bottom_right_x: f32,
    /// Bottom edge.
    pub bottom_right_y: f32,
}

/// What is being tracked (or asked for).
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Target {
    /// A point with a radius.
    Point(Point),
    /// A rectangle.
    Rect(Rect),
}

/// What a MAVLink tracking command asks for: `Some(Some(target))` to track (TRACK_POINT,
/// TRACK_RECTANGLE), `Some(None)` to stop (STOP_TRACKING), `None` for another command.
pub fn requested(cmd: &Command) -> Option<Option<Target>> {
    match cmd.command {
        MavCmd::MAV_CMD_CAMERA_TRACK_POINT => Some(Some(Target::Point(Point {
            x: cmd.p(1),
            y: cmd.p(2),
            radius: cmd.p(3),
        }))),
        MavCmd::MAV_CMD_CAMERA_TRACK_RECTANGLE => Some(Some(Target::Rect(Rect {
            top_left_x: cmd.p(1),
            top_left_y: cmd.p(2),
            bottom_right_x: cmd.p(3),
            bottom_right_y: cmd.p(4),
        }))),
        MavCmd::MAV_CMD_CAMERA_STOP_TRACKING => Some(None),
        _ => None,
    }
}

impl Target {
    /// The centre, normalised.
    pub fn centre(&self) -> (f32, f32) {
        match self {
            Self::Point(p) => (p.x, p.y),
            Self::Rect(r) => (
                (r.top_left_x + r.bottom_right_x) / 2.0,
                (r.top_left_y + r.bottom_right_y) / 2.0,
            ),
        }
    }

    /// Whether every coordinate is finite and inside 0..1, a radius is inside 0..1, and a
    /// rectangle's top left is above and left of its bottom right (not empty).
    pub fn is_valid(&self) -> bool {
        let unit = |v: f32| v.is_finite() && (0.0..=1.0).contains(&v);
        match self {
            Self::Point(p) => unit(p.x) && unit(p.y) && unit(p.radius),
            Self::Rect(r) => {
                unit(r.top_left_x)
                    && unit(r.top_left_y)
                    && unit(r.bottom_right_x)
                    && unit(r.bottom_right_y)
                    && r.top_left_x < r.bottom_right_x
                    && r.top_left_y < r.bottom_right_y
            }
        }
    }
}

/// A message from the bridge to the tracker.
#[derive(Clone, PartialEq, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToTracker {
    /// Answer to `hello`.
    Welcome {
        /// [`API_VERSION`].
        version: u32,
        /// "siyi-bridge x.y.z".
        bridge: String,
    },
    /// The connection is refused or closed; why.
    Error {
        /// Why.
        reason: String,
    },
    /// Lock on what is under the point.
    TrackPoint {
        /// Request number, echoed in the answer.
        id: u32,
        /// The point.
        #[serde(flatten)]
        point: Point,
    },
    /// Lock on what is inside the rectangle.
    TrackRectangle {
        /// Request number, echoed in the answer.
        id: u32,
        /// The rectangle.
        #[serde(flatten)]
        rect: Rect,
    },
    /// Stop tracking.
    TrackOff {
        /// Request number, echoed in the answer.
        id: u32,
    },
}

impl ToTracker {
    /// The line to send (JSON, without the newline).
    pub fn to_line(&self) -> String {
        // Serialising these plain structs cannot fail; an empty object is a safe fallback.
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}

/// The state a tracker reports.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportedState {
    /// Not tracking.
    Idle,
    /// Tracking; a point or a rectangle comes with it.
    Active,
    /// Target temporarily out of sight, still searching.
    Lost,
    /// Tracking failed and ended.
    Error,
}

/// A message from the tracker to the bridge.
#[derive(Clone, PartialEq, Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromTracker {
    /// Opens the session.
    Hello {
        /// The API version the tracker speaks.
        version: u32,
        /// A name for the logs.
        #[serde(default)]
        name: String,
    },
    /// The answer to a request.
    Answer {
        /// The request's number.
        id: u32,
        /// Honoured or not.
        accepted: bool,
        /// Why not.
        #[serde(default)]
        reason: Option<String>,
    },
    /// The tracker's state (at least every 250 ms, and on every change).
    Status {
        /// The state.
        state: ReportedState,
        /// The tracked point (point mode).
        #[serde(default)]
        point: Option<Point>,
        /// The tracked rectangle (rectangle mode).
        #[serde(default)]
        rectangle: Option<Rect>,
        /// Why (error).
        #[serde(default)]
        reason: Option<String>,
    },
}

/// Why a line from the tracker was not understood.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// Longer than [`MAX_LINE_BYTES`].
    #[error("line longer than {MAX_LINE_BYTES} bytes")]
    TooLong,
    /// Not JSON, or not a message of this API.
    #[error("not a tracker API message: {0}")]
    Invalid(String),
}

/// Parses one line from the tracker (without its newline).
pub fn parse_line(line: &str) -> Result<FromTracker, LineError> {
    if line.len() > MAX_LINE_BYTES {
        return Err(LineError::TooLong);
    }
    serde_json::from_str(line.trim())
        .map_err(|e| LineError::Invalid(shorten(&e.to_string(), MAX_ERROR_TEXT_BYTES)))
}

/// A tracker connection, numbered by the `io` shell.
pub type ConnId = u64;

/// Output for the tracker connection.
#[derive(Clone, PartialEq, Debug)]
pub enum TrackerOutput {
    /// Send this line (without newline) on connection `conn`.
    Line(ConnId, String),
    /// Close connection `conn` (after the lines queued before this).
    Close(ConnId),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_the_documented_lines() {
        let p = ToTracker::TrackPoint {
            id: 7,
            point: Point {
                x: 0.5,
                y: 0.25,
                radius: 0.05,
            },
        };
        assert_eq!(
            p.to_line(),
            r#"{"type":"track_point","id":7,"x":0.5,"y":0.25,"radius":0.05}"#
        );
        let r = ToTracker::TrackRectangle {
            id: 8,
            rect: Rect {
                top_left_x: 0.25,
                top_left_y: 0.5,
                bottom_right_x: 0.75,
                bottom_right_y: 1.0,
            },
        };
        assert_eq!(
            r.to_line(),
            r#"{"type":"track_rectangle","id":8,"top_left_x":0.25,"top_left_y":0.5,"bottom_right_x":0.75,"bottom_right_y":1.0}"#
        );
        assert_eq!(
            ToTracker::TrackOff { id: 9 }.to_line(),
            r#"{"type":"track_off","id":9}"#
        );
    }

    #[test]
    fn tracker_lines_parse() {
        assert_eq!(
            parse_line(r#"{"type":"hello","version":1,"name":"t"}"#),
            Ok(FromTracker::Hello {
                version: 1,
                name: "t".into()
            })
        );
        assert_eq!(
            parse_line(r#"{"type":"answer","id":3,"accepted":false,"reason":"no"}"#),
            Ok(FromTracker::Answer {
                id: 3,
                accepted: false,
                reason: Some("no".into())
            })
        );
        let s = parse_line(
            r#"{"type":"status","state":"active","point":{"x":0.1,"y":0.2,"radius":0.03}}"#,
        );
        assert!(matches!(
            s,
            Ok(FromTracker::Status {
                state: ReportedState::Active,
                point: Some(_),
                rectangle: None,
                ..
            })
        ));
        for bad in [
            "",
            "{",
            "null",
            r#"{"type":"dance"}"#,
            r#"{"type":"status","state":"sleepy"}"#,
        ] {
            assert!(
                matches!(parse_line(bad), Err(LineError::Invalid(_))),
                "{bad}"
            );
        }
        assert_eq!(
            parse_line(&"x".repeat(MAX_LINE_BYTES + 1)),
            Err(LineError::TooLong)
        );
    }

    /// The schema in docs/ names exactly the fields the bridge writes, and the fields a tracker
    /// must write are the ones the bridge needs.
    #[test]
    fn the_documented_schema_matches_the_code() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../../docs/tracker-api.schema.json"))
                .expect("the schema is JSON");
        let defs = &schema["$defs"];
        let keys = |v: &serde_json::Value| -> Vec<String> {
            let mut k: Vec<String> = v
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default();
            k.sort();
            k
        };
        let point = Point {
            x: 0.5,
            y: 0.5,
            radius: 0.1,
        };
        let rect = Rect {
            top_left_x: 0.1,
            top_left_y: 0.2,
            bottom_right_x: 0.3,
            bottom_right_y: 0.4,
        };
        let ours = [
            ToTracker::Welcome {
                version: API_VERSION,
                bridge: "b".into(),
            },
            ToTracker::Error { reason: "r".into() },
            ToTracker::TrackPoint { id: 1, point },
            ToTracker::TrackRectangle { id: 2, rect },
            ToTracker::TrackOff { id: 3 },
        ];
        for msg in ours {
            let v: serde_json::Value = serde_json::from_str(&msg.to_line()).expect("JSON");
            let def = &defs[v["type"].as_str().expect("a type")];
            let mut required: Vec<String> = def["required"]
                .as_array()
                .expect("required")
                .iter()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect();
            required.sort();
            assert_eq!(keys(&v), required, "{v}");
            assert_eq!(keys(&def["properties"]), required, "{v}");
        }
        // What a tracker must send parses; each of its documented fields is one we read.
        for (name, line) in [
            ("hello", r#"{"type":"hello","version":1}"#),
            ("answer", r#"{"type":"answer","id":1,"accepted":true}"#),
            ("status", r#"{"type":"status","state":"idle"}"#),
        ] {
            assert!(parse_line(line).is_ok(), "{name}");
            let documented = keys(&defs[name]["properties"]);
            let read: &[&str] = match name {
                "hello" => &["name", "type", "version"],
                "answer" => &["accepted", "id", "reason", "type"],
                _ => &["point", "reason", "rectangle", "state", "type"],
            };
            assert_eq!(documented, read, "{name}");
        }
        let states = &defs["status"]["properties"]["state"]["enum"];
        for state in states.as_array().expect("states") {
            let line = format!(
                r#"{{"type":"status","state":{state},"point":{{"x":0.5,"y":0.5,"radius":0.1}}}}"#
            );
            assert!(parse_line(&line).is_ok(), "{state}");
        }
    }

    #[test]
    fn validity() {
        let rect = |a, b, c, d| {
            Target::Rect(Rect {
                top_left_x: a,
                top_left_y: b,
                bottom_right_x: c,
                bottom_right_y: d,
            })
        };
        assert!(rect(0.0, 0.0, 1.0, 1.0).is_valid());
        assert!(!rect(0.5, 0.0, 0.5, 1.0).is_valid(), "empty");
        assert!(!rect(0.6, 0.0, 0.5, 1.0).is_valid(), "inverted x");
        assert!(!rect(0.0, 0.6, 0.5, 0.5).is_valid(), "inverted y");
        assert!(!rect(-0.1, 0.0, 0.5, 1.0).is_valid());
        assert!(!rect(0.0, 0.0, 1.1, 1.0).is_valid());
        assert!(!rect(f32::NAN, 0.0, 0.5, 1.0).is_valid());
        let point = |x, y, radius| Target::Point(Point { x, y, radius });
        assert!(point(0.0, 1.0, 0.05).is_valid());
        assert!(!point(f32::INFINITY, 0.5, 0.05).is_valid());
        assert!(!point(0.5, 0.5, -0.01).is_valid());
        assert!(!point(0.5, 1.01, 0.0).is_valid());
        assert_eq!(point(0.2, 0.3, 0.0).centre(), (0.2, 0.3));
        assert_eq!(rect(0.25, 0.5, 0.75, 1.0).centre(), (0.5, 0.75));
    }

    #[test]
    fn multibyte_lines_are_errors_not_panics() {
        // Each of these once cut the parser's message through a character.
        let lines = [
            format!(r#"{{"type":"{}"}}"#, "é".repeat(60)),
            format!(
                r#"{{"type":"hello","version":1,"name":{}}}"#,
                "€".repeat(80)
            ),
            format!(r#"{{"{}":1}}"#, "日本".repeat(50)),
            format!(r#"{{"type":"status","state":"{}"}}"#, "🦀".repeat(40)),
            "ü".repeat(200),
        ];
        for line in &lines {
            match parse_line(line) {
                Err(LineError::Invalid(text)) => assert!(text.len() <= MAX_ERROR_TEXT_BYTES),
                other => panic!("{line}: {other:?}"),
            }
        }
    }
}
