//! The files the simulated A8 mini puts on its SD card: the sans-IO camera's media events
//! (`SimCamera::poll_media`, on virtual time), then through the real UDP server into a
//! `MediaStore` and out of the web server (127.0.0.1, ephemeral ports, bounded polls), and
//! `run --simulate`'s web server. The web API itself is tested in `sim_web.rs`.

mod sim_common;
mod web_common;

use std::net::SocketAddr;
use std::path::Path;

use serde_json::json;
use sim_common::Rig;
use siyi_bridge::app;
use siyi_bridge::config::{Config, SimWeb};
use siyi_bridge::io::endpoint::Endpoint;
use siyi_bridge::sim::web::{MediaStore, WebFaults, PHOTO_DIR, VIDEO_DIR};
use siyi_bridge::sim::{server, SimConfig, SimMedia};
use siyi_protocol::{FeedbackCode, Frame, FunctionType, Reply, Request};
use tokio::net::UdpSocket;
use tokio::sync::oneshot;
use tokio::time::timeout;
use web_common::{client, get_json, instant_list, names, wait_for_count, web_server, API, WAIT};

fn media(rig: &mut Rig) -> Vec<SimMedia> {
    std::iter::from_fn(|| rig.cam.poll_media()).collect()
}

#[test]
fn a_photo_ok_puts_a_photo_on_the_card() {
    let mut rig = Rig::new(SimConfig::instant_boot());
    rig.send(Request::Function(FunctionType::TakePhoto));
    assert_eq!(media(&mut rig), [SimMedia::PhotoTaken]);
    rig.send(Request::Function(FunctionType::TakePhoto));
    rig.send(Request::Function(FunctionType::TakePhoto));
    assert_eq!(
        media(&mut rig),
        [SimMedia::PhotoTaken, SimMedia::PhotoTaken]
    );
    let pushes = rig.run_until(1_000);
    assert_eq!(pushes.len(), 3, "one 0x0B photo OK per photo");
    assert_eq!(rig.cam.state().photos_taken, 3);
}

#[test]
fn unpolled_media_events_are_bounded() {
    let mut rig = Rig::new(SimConfig::instant_boot());
    for _ in 0..1_100 {
        rig.send(Request::Function(FunctionType::TakePhoto));
    }
    assert_eq!(rig.cam.state().photos_taken, 1_100);
    assert_eq!(media(&mut rig).len(), 1_024);
}

#[test]
fn a_finished_recording_puts_a_video_on_the_card() {
    let mut rig = Rig::new(SimConfig::instant_boot());
    rig.send(Request::Function(FunctionType::RecordToggle));
    assert_eq!(media(&mut rig), [], "recording has only started");
    rig.at(5_000)
        .send(Request::Function(FunctionType::RecordToggle));
    assert_eq!(media(&mut rig), [SimMedia::VideoFinished]);
    // A reboot while recording ends the recording: its video is on the card too.
    rig.send(Request::Function(FunctionType::RecordToggle));
    rig.send(Request::SoftReboot {
        camera: true,
        gimbal: false,
    });
    rig.at(10_000);
    assert!(!rig.cam.state().recording);
    assert_eq!(media(&mut rig), [SimMedia::VideoFinished]);
}

#[test]
fn without_sd_card_nothing_goes_on_the_card() {
    let mut rig = Rig::new(SimConfig {
        sd_card: false,
        ..SimConfig::instant_boot()
    });
    rig.send(Request::Function(FunctionType::TakePhoto));
    rig.send(Request::Function(FunctionType::RecordToggle));
    rig.send(Request::Function(FunctionType::RecordToggle));
    let pushes: Vec<_> = rig
        .run_until(1_000)
        .into_iter()
        .filter_map(|(_, f)| Reply::from_frame(&f).ok())
        .collect();
    assert_eq!(
        pushes,
        [
            Reply::FunctionFeedback(FeedbackCode::PhotoFailed),
            Reply::FunctionFeedback(FeedbackCode::RecordFailed),
            Reply::FunctionFeedback(FeedbackCode::RecordFailed),
        ]
    );
    assert_eq!(media(&mut rig), []);
}

/// The UDP simulator writing into `store`, and a SIYI client socket.
struct UdpSim {
    addr: SocketAddr,
    client: UdpSocket,
    seq: u16,
    _stop: oneshot::Sender<()>,
}

impl UdpSim {
    async fn start(config: SimConfig, store: MediaStore) -> Self {
        let (stop, stopped) = oneshot::channel::<()>();
        let (addr, _task, _pose) = server::spawn_with_media(
            "127.0.0.1:0".parse().unwrap(),
            config,
            async {
                let _ = stopped.await;
            },
            Some(store),
        )
        .await
        .expect("bind");
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        Self {
            addr,
            client,
            seq: 0,
            _stop: stop,
        }
    }

    async fn function(&mut self, f: FunctionType) {
        self.seq += 1;
        let bytes = Request::Function(f).to_frame(self.seq).to_bytes();
        self.client.send_to(&bytes, self.addr).await.unwrap();
    }

    /// The next 0x0B push (other frames skipped).
    async fn feedback(&mut self) -> FeedbackCode {
        let mut buf = [0u8; 512];
        timeout(WAIT, async {
            loop {
                let (len, _) = self.client.recv_from(&mut buf).await.unwrap();
                let (frame, _) = Frame::parse(&buf[..len]).expect("frame");
                if let Ok(Reply::FunctionFeedback(code)) = Reply::from_frame(&frame) {
                    return code;
                }
            }
        })
        .await
        .expect("0x0B within the wait")
    }
}

#[tokio::test]
async fn a_photo_and_a_recording_over_siyi_udp_become_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = MediaStore::open(dir.path()).unwrap();
    let web = web_server(Some(store.clone()), WebFaults::default()).await;
    let mut sim = UdpSim::start(SimConfig::instant_boot(), store).await;

    sim.function(FunctionType::TakePhoto).await;
    assert_eq!(sim.feedback().await, FeedbackCode::PhotoOk);
    wait_for_count(web.addr, 0, 1).await;
    let (_, body) = get_json(
        web.addr,
        &format!("{API}/getmedialist?media_type=0&start=0&count=5"),
    )
    .await;
    assert_eq!(names(&body), ["IMG_0001.jpg"]);
    let jpeg = client()
        .get(format!(
            "http://{}/photo/{PHOTO_DIR}/IMG_0001.jpg",
            web.addr
        ))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!((jpeg[0], jpeg[1]), (0xFF, 0xD8));

    // Start and stop a recording: one video.
    sim.function(FunctionType::RecordToggle).await;
    sim.function(FunctionType::RecordToggle).await;
    wait_for_count(web.addr, 1, 1).await;
    assert!(dir.path().join(VIDEO_DIR).join("REC_0001.mp4").is_file());
}

#[tokio::test]
async fn no_sd_card_no_files_and_the_api_lists_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = MediaStore::open(dir.path()).unwrap();
    let web = web_server(None, instant_list()).await;
    let config = SimConfig {
        sd_card: false,
        ..SimConfig::instant_boot()
    };
    let mut sim = UdpSim::start(config, store).await;
    sim.function(FunctionType::TakePhoto).await;
    assert_eq!(sim.feedback().await, FeedbackCode::PhotoFailed);
    sim.function(FunctionType::RecordToggle).await;
    assert_eq!(sim.feedback().await, FeedbackCode::RecordFailed);

    let (status, body) = get_json(web.addr, &format!("{API}/getdirectories?media_type=0")).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["directories"], json!([]));
    let (_, body) = get_json(web.addr, &format!("{API}/getmediacount?media_type=0")).await;
    assert_eq!(body["data"]["count"], 0);
    let (_, body) = get_json(
        web.addr,
        &format!("{API}/getmedialist?media_type=1&start=0&count=9"),
    )
    .await;
    assert_eq!(body["data"]["list"], json!([]));
    assert!(dir_is_empty(&dir.path().join(PHOTO_DIR)));
    assert!(dir_is_empty(&dir.path().join(VIDEO_DIR)));
}

fn dir_is_empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().next().is_none()
}

fn simulated(sim_web: SimWeb) -> Config {
    Config {
        sim_web,
        ..Config::simulated(vec![Endpoint::UdpIn("127.0.0.1:0".parse().unwrap())])
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_simulate_serves_the_web_server_from_a_temporary_card() {
    let running = app::spawn(simulated(SimWeb::Ok))
        .await
        .expect("bridge starts");
    let addr = running.sim_web.expect("web server on");
    assert!(addr.ip().is_loopback() && addr.port() != 0);
    let card = running.sim_media_dir.clone().expect("card directory");
    assert!(card.join(PHOTO_DIR).is_dir() && card.join(VIDEO_DIR).is_dir());
    let (status, body) = get_json(addr, &format!("{API}/getdirectories?media_type=0")).await;
    assert_eq!(
        (status, &body["data"]["directories"][0]["name"]),
        (200, &json!(PHOTO_DIR))
    );
    running.stop().await.expect("clean stop");
    assert!(!card.exists(), "the temporary card is removed at exit");

    let running = app::spawn(simulated(SimWeb::Off))
        .await
        .expect("bridge starts");
    assert_eq!(running.sim_web, None);
    running.stop().await.expect("clean stop");
}
