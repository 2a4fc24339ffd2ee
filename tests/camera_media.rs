//! The camera component with its media service, on virtual time: CAMERA_IMAGE_CAPTURED waits
//! (at most 1 s) for the photo's file URL, a file found later completes the record, and
//! STORAGE_INFORMATION / CAMERA_CAPTURE_STATUS tell the card's real state.

mod camera_common;

use std::time::Duration;

use camera_common::{names, p, FakeLink, Rig};
use mavlink::dialects::common::{MavCmd, MavMessage, StorageStatus};
use siyi_bridge::core::camera::{CameraComponent, CameraConfig, CameraEvent, Transmit};
use siyi_bridge::core::link::{Fresh, LinkEvent, OpOutcome};
use siyi_bridge::core::media::api::ApiQuery;
use siyi_bridge::core::media::{MediaConfig, Reply, Request};
use siyi_protocol::RecordState;

/// The model card: photo files in 101SIYI_IMG, each `size_bytes` long.
struct Card {
    photos: usize,
    listed: usize,
    /// Recordings listed in 100SIYI_VID.
    videos: usize,
    size_bytes: u64,
}

impl Card {
    fn answer(&self, request: &Request) -> Reply {
        let ok = |data: serde_json::Value| {
            let body = serde_json::json!({"code":200,"success":true,"data":data}).to_string();
            Reply::Api(Ok((200, body.into_bytes())))
        };
        match request {
            Request::Head(_) => Reply::Head(Ok(Some(self.size_bytes))),
            Request::Api { kind, query } => match (kind.media_type(), query) {
                (1, ApiQuery::Directories) => ok(
                    serde_json::json!({"directories":[{"name":"100SIYI_VID","path":"100SIYI_VID"}]}),
                ),
                (1, ApiQuery::Count { .. }) => ok(serde_json::json!({"count": self.videos})),
                (1, ApiQuery::List { start, count, .. }) => {
                    let list: Vec<_> = (*start as usize..self.videos.min((start + count) as usize))
                        .map(|i| {
                            let n = format!("REC_{:04}.mp4", i + 1);
                            serde_json::json!({"name": n, "url": format!("http://192.168.144.25:82/photo/100SIYI_VID/{n}")})
                        })
                        .collect();
                    ok(serde_json::json!({"list": list}))
                }
                (_, ApiQuery::Directories) => ok(
                    serde_json::json!({"directories":[{"name":"101SIYI_IMG","path":"101SIYI_IMG"}]}),
                ),
                (_, ApiQuery::Count { .. }) => ok(serde_json::json!({"count": self.listed})),
                (_, ApiQuery::List { start, count, .. }) => {
                    let list: Vec<_> = (*start as usize..self.listed.min((start + count) as usize))
                        .map(|i| {
                            let n = format!("IMG_{:04}.jpg", i + 1);
                            serde_json::json!({"name": n, "url": format!("http://192.168.144.25:82/photo/101SIYI_IMG/{n}")})
                        })
                        .collect();
                    ok(serde_json::json!({"list": list}))
                }
            },
        }
    }
}

struct MediaRig {
    rig: Rig,
    card: Card,
}

impl MediaRig {
    fn new(card_bytes: Option<u64>, photos: usize) -> Self {
        let t0 = FakeLink::t0();
        let config = CameraConfig {
            system_id: Some(1),
            media: Some(MediaConfig {
                camera_host: "10.1.2.3".into(),
                url_base: "http://10.1.2.3:82".parse().unwrap(),
                card_bytes,
            }),
            ..CameraConfig::default()
        };
        let rig = Rig::with(
            CameraComponent::new(config, t0),
            FakeLink::identified(t0),
            t0,
        );
        let mut m = Self {
            rig,
            card: Card {
                photos,
                listed: photos,
                videos: 1,
                size_bytes: 1024 * 1024,
            },
        };
        m.rig.link_event(LinkEvent::Identified);
        m.serve();
        m
    }

    /// Answers every request the component has out (each answer may lead to another).
    fn serve(&mut self) -> Vec<Transmit> {
        let mut out = Vec::new();
        for _ in 0..10_000 {
            let Some(req) = self.rig.parts.poll_media_request() else {
                return out;
            };
            let reply = self.card.answer(&req.request);
            let now = self.rig.now;
            (self.rig.parts).handle_media_reply(now, req.id, reply, &self.rig.link);
            out.extend(self.rig.drain());
        }
        panic!("the media service asks without end");
    }

    /// Advances virtual time in 50 ms steps, serving requests as they come.
    fn run(&mut self, d: Duration) -> Vec<Transmit> {
        let mut out = Vec::new();
        let steps = d.as_millis() / 50;
        for _ in 0..steps {
            out.extend(self.rig.advance(Duration::from_millis(50)));
            out.extend(self.serve());
        }
        out
    }

    fn photo(&mut self) -> Vec<Transmit> {
        let mut out = self.rig.command(
            MavCmd::MAV_CMD_IMAGE_START_CAPTURE,
            p(&[0.0, 0.0, 1.0, 0.0]),
        );
        self.card.photos += 1;
        let id = self.rig.link.started.last().unwrap().0;
        out.extend(
            self.rig
                .finish(id, OpOutcome::Succeeded { confirmed: true }),
        );
        out
    }
}

fn captured(out: &[Transmit]) -> Vec<(i32, String)> {
    out.iter()
        .filter_map(|t| match t.mav() {
            Some(MavMessage::CAMERA_IMAGE_CAPTURED(c)) => Some((
                c.image_index,
                c.file_url.to_str().unwrap_or_default().to_owned(),
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn image_captured_waits_for_the_file_url() {
    let mut m = MediaRig::new(None, 1);
    let out = m.photo();
    assert!(
        names(&out).contains(&"ACK(MAV_RESULT_ACCEPTED)".to_owned()),
        "{:?}",
        names(&out)
    );
    assert!(
        captured(&out).is_empty(),
        "held for its file: {:?}",
        names(&out)
    );
    // The camera lists the file 300 ms later; the bridge looks at 500 ms.
    m.run(Duration::from_millis(300));
    m.card.listed = 2;
    let out = m.run(Duration::from_millis(600));
    assert_eq!(
        captured(&out),
        [(
            0,
            "http://10.1.2.3:82/photo/101SIYI_IMG/IMG_0002.jpg".to_owned()
        )]
    );
    // The record keeps the file (persisted).
    let saved = m.rig.events.iter().rev().find_map(|e| match e {
        CameraEvent::Persist(s) => Some(s.clone()),
        _ => None,
    });
    let saved = saved.expect("a persist event");
    assert_eq!(
        saved.records[&0].file.as_deref(),
        Some("/photo/101SIYI_IMG/IMG_0002.jpg")
    );
    // Sent once.
    let out = m.run(Duration::from_secs(3));
    assert!(captured(&out).is_empty());
}

#[test]
fn a_file_found_late_completes_the_record_and_answers_requests() {
    let mut m = MediaRig::new(None, 0);
    m.photo();
    // Not listed within a second: announced without a URL at 1 s, not later than that.
    let out = m.run(Duration::from_millis(950));
    assert!(captured(&out).is_empty());
    let out = m.run(Duration::from_millis(150));
    assert_eq!(captured(&out), [(0, String::new())]);
    // Listed at 3 s: the record is completed, not announced again.
    m.run(Duration::from_secs(2));
    m.card.listed = 1;
    let out = m.run(Duration::from_secs(3));
    assert!(captured(&out).is_empty());
    let out = m
        .rig
        .command(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[263.0, 0.0]));
    assert_eq!(
        captured(&out),
        [(
            0,
            "http://10.1.2.3:82/photo/101SIYI_IMG/IMG_0001.jpg".to_owned()
        )]
    );
}

fn storage(m: &mut MediaRig) -> (StorageStatus, f32, f32, f32, f32) {
    let out = m
        .rig
        .command(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[261.0, 0.0]));
    let Some(MavMessage::STORAGE_INFORMATION(s)) = out[1].mav() else {
        panic!("{:?}", names(&out))
    };
    let out = m.rig.command(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[262.0]));
    let Some(MavMessage::CAMERA_CAPTURE_STATUS(c)) = out[1].mav() else {
        panic!("{:?}", names(&out))
    };
    (
        s.status,
        s.total_capacity,
        s.used_capacity,
        s.available_capacity,
        c.available_capacity,
    )
}

#[test]
fn storage_tells_the_card_as_it_is() {
    // Card in, size not given: NOT_SUPPORTED, no numbers.
    let mut m = MediaRig::new(None, 3);
    assert_eq!(
        storage(&mut m),
        (
            StorageStatus::STORAGE_STATUS_NOT_SUPPORTED,
            0.0,
            0.0,
            0.0,
            0.0
        )
    );
    // No card: EMPTY.
    let now = m.rig.now;
    m.rig.link.state.record = Some(Fresh::new(RecordState::NoCard, now));
    assert_eq!(storage(&mut m).0, StorageStatus::STORAGE_STATUS_EMPTY);

    // Size given (4 GiB), three photos and a recording of 1 MiB each on it: READY with the
    // figures, capture status agrees (the scan asks at most 20 requests/s: 2 s for its 10).
    let mut m = MediaRig::new(Some(4 << 30), 3);
    m.run(Duration::from_secs(2));
    assert_eq!(
        storage(&mut m),
        (
            StorageStatus::STORAGE_STATUS_READY,
            4096.0,
            4.0,
            4092.0,
            4092.0
        )
    );
    // A new photo's size counts once its file is found.
    m.photo();
    m.card.listed = 4;
    m.run(Duration::from_secs(2));
    assert_eq!(storage(&mut m).2, 5.0);
}

#[test]
fn without_media_photos_are_announced_at_once_with_an_empty_url() {
    let mut r = Rig::ready();
    let out = r.command(
        MavCmd::MAV_CMD_IMAGE_START_CAPTURE,
        p(&[0.0, 0.0, 1.0, 0.0]),
    );
    assert!(captured(&out).is_empty());
    let id = r.link.started.last().unwrap().0;
    let out = r.finish(id, OpOutcome::Succeeded { confirmed: true });
    assert_eq!(captured(&out), [(0, String::new())]);
    assert!(r.parts.poll_media_request().is_none());
}

#[test]
fn a_finished_recording_gets_its_file_in_the_records() {
    let mut m = MediaRig::new(None, 0);
    m.rig.command(MavCmd::MAV_CMD_VIDEO_START_CAPTURE, p(&[]));
    let id = m.rig.link.started.last().unwrap().0;
    m.rig.finish(id, OpOutcome::Succeeded { confirmed: true });
    m.rig.command(MavCmd::MAV_CMD_VIDEO_STOP_CAPTURE, p(&[]));
    let id = m.rig.link.started.last().unwrap().0;
    m.rig.finish(id, OpOutcome::Succeeded { confirmed: true });
    m.card.videos = 2;
    m.run(Duration::from_secs(2));
    let saved = m.rig.events.iter().rev().find_map(|e| match e {
        CameraEvent::Persist(s) if !s.videos.is_empty() => Some(s.clone()),
        _ => None,
    });
    let saved = saved.expect("the recording's record is persisted");
    assert_eq!(saved.videos.len(), 1);
    assert_eq!(saved.videos[0].file, "/photo/100SIYI_VID/REC_0002.mp4");
}
