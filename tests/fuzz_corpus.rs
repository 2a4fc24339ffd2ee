//! The fuzz entry points (`siyi_bridge::fuzzing`) in CI, on stable Rust with nothing to install:
//! every committed corpus file under `fuzz/corpus/<target>/` and a fixed number of seeded
//! mutations of them. A failure names the target, the seed and the mutation number; the input is
//! written to `target/fuzz-failures/` so it can be run with cargo-fuzz (`fuzz/README.md`).
//!
//! `cargo test --test fuzz_corpus -- --ignored regenerate_corpus` rewrites the corpus from the
//! golden frames and the encoders (the files are committed).

use std::fs;
use std::path::{Path, PathBuf};

use mavlink::dialects::common::{
    MavAutopilot, MavCmd, MavMessage, MavModeFlag, MavState, MavType, COMMAND_LONG_DATA,
    HEARTBEAT_DATA, PARAM_REQUEST_LIST_DATA,
};
use mavlink::MavHeader;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use siyi_bridge::core::camera::persist::LEASE;
use siyi_bridge::core::camera::{ImageRecord, PersistedState};
use siyi_bridge::fuzzing;

/// Seeded mutations per corpus file and target (the budget of the CI step).
const MUTATIONS: usize = 200;
/// Fewer for the MAVLink path: each run simulates 2 s + 100 ms per frame + 5 s of bridge time.
const MAVLINK_MUTATIONS: usize = 100;
const SEED: u64 = 0x5151_F022;

type Entry = fn(&[u8]);

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target)
}

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = fs::read_dir(corpus_dir(target))
        .unwrap_or_else(|e| panic!("fuzz/corpus/{target}: {e}"))
        .map(|e| e.expect("dir entry").path())
        .collect();
    files.sort();
    let out: Vec<_> = files
        .into_iter()
        .map(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            (name.unwrap_or_default(), fs::read(&p).expect("corpus file"))
        })
        .collect();
    assert!(out.len() >= 3, "fuzz/corpus/{target} holds too few files");
    out
}

/// One random edit of `input` (bit flip, byte set, insert, delete, duplicate, splice, truncate).
fn mutate(rng: &mut SmallRng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        let len = v.len();
        match rng.random_range(0..7) {
            0 if len > 0 => {
                let i = rng.random_range(0..len);
                v[i] ^= 1 << rng.random_range(0..8);
            }
            1 if len > 0 => {
                let i = rng.random_range(0..len);
                v[i] = *[0u8, 0xff, 0x7f, 0x80, 0x55, 0x66, 0xfd, b'9', b'"']
                    .get(rng.random_range(0..9))
                    .unwrap_or(&0);
            }
            2 => {
                let i = rng.random_range(0..=len);
                v.insert(i, rng.random());
            }
            3 if len > 0 => {
                let a = rng.random_range(0..len);
                let b = rng.random_range(a..=len.min(a + 16));
                v.drain(a..b);
            }
            4 if len > 0 => {
                let a = rng.random_range(0..len);
                let b = rng.random_range(a..=len);
                let piece = v[a..b].to_vec();
                let at = rng.random_range(0..=v.len());
                v.splice(at..at, piece);
            }
            5 if !other.is_empty() => {
                let a = rng.random_range(0..other.len());
                let at = rng.random_range(0..=v.len());
                v.splice(at..at, other[a..].iter().copied());
            }
            _ if len > 0 => v.truncate(rng.random_range(0..len)),
            _ => v.push(rng.random()),
        }
    }
    v
}

fn run_target(target: &str, entry: Entry, mutations: usize) {
    let files = corpus(target);
    let mut rng = SmallRng::seed_from_u64(SEED);
    let mut runs = 0usize;
    for (i, (name, bytes)) in files.iter().enumerate() {
        check(target, &format!("corpus file {name}"), entry, bytes);
        runs += 1;
        let other = &files[(i + 1) % files.len()].1;
        for m in 0..mutations {
            let input = mutate(&mut rng, bytes, other);
            check(
                target,
                &format!("mutation {m} of {name} (seed {SEED:#x})"),
                entry,
                &input,
            );
            runs += 1;
        }
    }
    eprintln!("{target}: {runs} inputs");
}

fn check(target: &str, what: &str, entry: Entry, input: &[u8]) {
    let r = std::panic::catch_unwind(|| entry(input));
    if r.is_err() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
        let _ = fs::create_dir_all(&dir);
        let path = dir.join(format!("{target}-{}", what.replace([' ', '(', ')'], "_")));
        let _ = fs::write(&path, input);
        panic!(
            "fuzz target {target} failed on {what}; input saved to {}",
            path.display()
        );
    }
}

#[test]
fn siyi_stream_corpus_and_mutations() {
    run_target("siyi_stream", fuzzing::siyi_stream, MUTATIONS);
}

#[test]
fn mavlink_inbound_corpus_and_mutations() {
    run_target(
        "mavlink_inbound",
        fuzzing::mavlink_inbound,
        MAVLINK_MUTATIONS,
    );
}

#[test]
fn state_file_corpus_and_mutations() {
    run_target("state_file", fuzzing::state_file, MUTATIONS);
}

#[test]
fn media_listing_corpus_and_mutations() {
    run_target("media_listing", fuzzing::media_listing, MUTATIONS);
}

#[test]
fn h264_nal_corpus_and_mutations() {
    run_target("h264_nal", fuzzing::h264_nal, MUTATIONS);
}

#[test]
#[ignore = "writes fuzz/corpus/h264_nal; run by hand when the framing changes"]
fn regenerate_h264_corpus() {
    use openh264::encoder::{Encoder, EncoderConfig, IntraFramePeriod};
    use openh264::formats::YUVBuffer;
    use openh264::OpenH264API;
    // Three 32 × 32 frames of a gradient that moves (a key frame, then two P frames).
    let config = EncoderConfig::new()
        .skip_frames(false)
        .intra_frame_period(IntraFramePeriod::from_num_frames(30));
    let mut enc = Encoder::with_api_config(OpenH264API::from_source(), config).expect("encoder");
    let mut stream = Vec::new();
    for k in 0..3usize {
        let mut yuv: Vec<u8> = (0..32 * 32)
            .map(|i| ((i % 32 + k * 3) * 7 + i / 32) as u8)
            .collect();
        yuv.extend(std::iter::repeat_n(128u8, 2 * 16 * 16));
        let frame = YUVBuffer::from_vec(yuv, 32, 32);
        stream.extend(enc.encode(&frame).expect("encode").to_vec());
    }
    let with = |mode: &[u8], body: &[u8]| [mode, body].concat();
    write_corpus(
        "h264_nal",
        "annexb-3-frames-whole",
        &with(&[0, 255], &stream),
    );
    write_corpus("h264_nal", "annexb-3-frames-by-7", &with(&[0, 6], &stream));
    // The same as one AVCC frame (4-byte lengths), and as an avcC record of its SPS and PPS.
    let units: Vec<&[u8]> = siyi_bridge::io::video::nal::annexb_units(&stream).collect();
    let mut avcc = vec![1u8];
    for u in &units {
        avcc.extend((u.len() as u32).to_be_bytes());
        avcc.extend(*u);
    }
    write_corpus("h264_nal", "avcc-frame", &avcc);
    let (sps, pps) = (units[0], units[1]);
    let mut rec = vec![1u8, 1, sps[1], sps[2], sps[3], 0xff, 0xe1];
    rec.extend((sps.len() as u16).to_be_bytes());
    rec.extend(sps);
    rec.push(1);
    rec.extend((pps.len() as u16).to_be_bytes());
    rec.extend(pps);
    write_corpus("h264_nal", "avcc-config-record", &rec);
    // Hostile: a start code inside an AVCC unit, the forbidden bit, a length past the end.
    write_corpus(
        "h264_nal",
        "avcc-hostile",
        &[
            1, 0, 0, 0, 6, 0x65, 0, 0, 1, 0x67, 1, 0, 0, 0, 2, 0xe5, 1, 0xff, 0xff, 0, 0,
        ],
    );
}

#[test]
fn y4m_track_corpus_and_mutations() {
    run_target("y4m_track", fuzzing::y4m_track, MUTATIONS);
}

#[test]
fn tracker_lines_corpus_and_mutations() {
    run_target("tracker_lines", fuzzing::tracker_lines, MUTATIONS);
}

#[test]
fn the_tracker_corpus_reaches_the_follow_controller() {
    let good = fs::read(corpus_dir("tracker_lines").join("good-session")).expect("corpus");
    let s = fuzzing::tracker_session(&good);
    assert!(s.gimbal_commands >= 2, "{s:?}: the gimbal followed");
    assert!(s.tracking_statuses >= 2, "{s:?}: active, then idle");
    assert!(
        s.availability >= 1 && s.texts >= 1,
        "{s:?}: the tracker was announced"
    );
    let v2 = fs::read(corpus_dir("tracker_lines").join("wrong-version")).expect("corpus");
    assert_eq!(fuzzing::tracker_session(&v2).gimbal_commands, 0);
}

#[test]
fn the_mavlink_corpus_reaches_the_camera() {
    let photo = fs::read(corpus_dir("mavlink_inbound").join("photo")).expect("corpus");
    let s = fuzzing::mavlink_session(&photo);
    assert_eq!(s.frames_in, 3);
    assert_eq!(
        s.images, 1,
        "{s:?}: the photo was taken by the simulated camera"
    );
    // CRC repair: valid frames stay as they are; a broken CRC of an even sequence is mended.
    assert_eq!(fuzzing::repair_crcs(&photo), photo);
    let mut broken = photo.clone();
    let crc_at = 12 + usize::from(photo[1]) - 2;
    broken[crc_at] ^= 0xff;
    assert_eq!(fuzzing::repair_crcs(&broken), photo, "seq 0 is repaired");
    let series = fs::read(corpus_dir("mavlink_inbound").join("photo-series")).expect("corpus");
    assert!(fuzzing::mavlink_session(&series).images >= 1);
}

// ------------------------------------------------------------------------------------------------
// Corpus generator (run by hand; the output is committed).

fn write_corpus(target: &str, name: &str, bytes: &[u8]) {
    let dir = corpus_dir(target);
    fs::create_dir_all(&dir).expect("corpus dir");
    fs::write(dir.join(name), bytes).expect("corpus file");
}

fn golden_frames() -> Vec<(String, Vec<u8>)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/siyi-frames.json");
    let text = fs::read_to_string(path).expect("golden frames");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    v.as_array()
        .expect("array")
        .iter()
        .filter_map(|f| {
            let hex = f.get("hex")?.as_str()?;
            let name = f.get("name")?.as_str()?.to_string();
            Some((name, siyi_bridge::record::parse_hex(hex).ok()?))
        })
        .collect()
}

fn mav(msg: &MavMessage, seq: u8, v1: bool) -> Vec<u8> {
    let header = MavHeader {
        system_id: 255,
        component_id: 190,
        sequence: seq,
    };
    let mut out = Vec::new();
    if v1 {
        mavlink::write_v1_msg(&mut out, header, msg).expect("encode");
    } else {
        mavlink::write_v2_msg(&mut out, header, msg).expect("encode");
    }
    out
}

fn command(cmd: MavCmd, p: [f32; 7]) -> MavMessage {
    MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
        param1: p[0],
        param2: p[1],
        param3: p[2],
        param4: p[3],
        param5: p[4],
        param6: p[5],
        param7: p[6],
        command: cmd,
        target_system: 1,
        target_component: 100,
        confirmation: 0,
    })
}

#[test]
#[ignore = "writes fuzz/corpus; run by hand when the formats change"]
#[allow(deprecated)] // QGC still sends REQUEST_CAMERA_IMAGE_CAPTURE
fn regenerate_corpus() {
    // SIYI: every 4th golden frame alone (first byte = chunk size - 1), and two streams.
    let frames = golden_frames();
    let mut stream = vec![6u8];
    for (i, (_, bytes)) in frames.iter().enumerate() {
        if i % 4 == 0 {
            let mut one = vec![(i % 256) as u8];
            one.extend(bytes);
            write_corpus("siyi_stream", &format!("frame-{i:02}"), &one);
        }
        if i % 3 == 0 {
            stream.extend(bytes);
            stream.extend(b"\x55\x66\x00junk");
        }
    }
    write_corpus("siyi_stream", "stream-with-junk", &stream);
    let all: Vec<u8> = std::iter::once(0u8)
        .chain(frames.iter().flat_map(|(_, b)| b.iter().copied()))
        .collect();
    write_corpus("siyi_stream", "all-frames-byte-by-byte", &all);

    // MAVLink: a ground station's heartbeat, then commands.
    let hb = MavMessage::HEARTBEAT(HEARTBEAT_DATA {
        custom_mode: 0,
        mavtype: MavType::MAV_TYPE_GCS,
        autopilot: MavAutopilot::MAV_AUTOPILOT_INVALID,
        base_mode: MavModeFlag::empty(),
        system_status: MavState::MAV_STATE_ACTIVE,
        mavlink_version: 3,
    });
    let z = [0.0f32; 7];
    let with = |v: &[f32]| {
        let mut p = z;
        p[..v.len()].copy_from_slice(v);
        p
    };
    let sessions: Vec<(&str, Vec<MavMessage>)> = vec![
        (
            "discovery",
            vec![
                hb.clone(),
                command(MavCmd::MAV_CMD_REQUEST_MESSAGE, with(&[259.0])),
                command(MavCmd::MAV_CMD_REQUEST_MESSAGE, with(&[260.0])),
                command(MavCmd::MAV_CMD_REQUEST_MESSAGE, with(&[261.0, 0.0])),
                command(MavCmd::MAV_CMD_REQUEST_MESSAGE, with(&[262.0])),
                command(MavCmd::MAV_CMD_REQUEST_MESSAGE, with(&[269.0])),
            ],
        ),
        (
            "photo",
            vec![
                hb.clone(),
                command(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, with(&[0.0, 0.0, 1.0])),
                command(MavCmd::MAV_CMD_REQUEST_CAMERA_IMAGE_CAPTURE, with(&[0.0])),
            ],
        ),
        (
            "photo-series",
            vec![
                command(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, with(&[0.0, 1.0, 3.0])),
                command(MavCmd::MAV_CMD_IMAGE_STOP_CAPTURE, z),
            ],
        ),
        (
            "video-zoom",
            vec![
                command(MavCmd::MAV_CMD_VIDEO_START_CAPTURE, z),
                command(MavCmd::MAV_CMD_SET_CAMERA_ZOOM, with(&[2.0, 50.0])),
                command(MavCmd::MAV_CMD_SET_CAMERA_ZOOM, with(&[1.0, 1.0])),
                command(MavCmd::MAV_CMD_VIDEO_STOP_CAPTURE, z),
            ],
        ),
        (
            "intervals-and-unknown",
            vec![
                command(
                    MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
                    with(&[262.0, 100000.0]),
                ),
                MavMessage::PARAM_REQUEST_LIST(PARAM_REQUEST_LIST_DATA {
                    target_system: 1,
                    target_component: 100,
                }),
                command(MavCmd::MAV_CMD_RESET_CAMERA_SETTINGS, with(&[1.0])),
            ],
        ),
    ];
    for (name, msgs) in &sessions {
        let mut bytes = Vec::new();
        for (i, m) in msgs.iter().enumerate() {
            bytes.extend(mav(m, i as u8, false));
        }
        write_corpus("mavlink_inbound", name, &bytes);
    }
    write_corpus(
        "mavlink_inbound",
        "photo-v1",
        &mav(
            &command(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, with(&[0.0, 0.0, 1.0])),
            0,
            true,
        ),
    );

    // State files: good (clean and running), truncated, garbage, wrong types, empty.
    let mut s = PersistedState {
        image_count: 42,
        ..PersistedState::default()
    };
    for index in 39..42 {
        s.add(ImageRecord {
            index,
            time_utc_us: 1_800_000_000_000_000,
            lat_e7: 473_977_420,
            lon_e7: 85_455_940,
            alt_mm: 488_000,
            relative_alt_mm: 30_000,
            captured: true,
            q: None,
            file: None,
        });
    }
    let clean = s.to_file_json(true);
    let running = s.to_file_json(false);
    assert!(running.contains(&format!("\"reserved\":{}", 42 + LEASE)));
    write_corpus("state_file", "clean", clean.as_bytes());
    write_corpus("state_file", "running", running.as_bytes());
    write_corpus(
        "state_file",
        "truncated",
        &running.as_bytes()[..running.len() * 2 / 3],
    );
    write_corpus("state_file", "garbage", b"\x00\x13\xffnot a state file\n");
    write_corpus("state_file", "empty", b"");
    write_corpus("state_file", "wrong-type", br#"[{"image_count":"7"}]"#);
    write_corpus(
        "state_file",
        "old-format",
        br#"{"version":0,"image_count":9}"#,
    );
    tracker_corpus();
}

/// Tracker API sessions: a well-behaved tracker, and the hostile lines of the trust issue.
fn tracker_corpus() {
    let hello = r#"{"type":"hello","version":1,"name":"fuzz"}"#;
    let active = |x: f32| {
        format!(r#"{{"type":"status","state":"active","point":{{"x":{x},"y":0.4,"radius":0.05}}}}"#)
    };
    let mut good = vec![
        hello.to_owned(),
        r#"{"type":"answer","id":1,"accepted":true}"#.to_owned(),
    ];
    good.extend((0..40).map(|i| active(0.2 + i as f32 * 0.015)));
    good.push(r#"{"type":"status","state":"lost"}"#.to_owned());
    good.push(r#"{"type":"status","state":"idle"}"#.to_owned());
    write_corpus("tracker_lines", "good-session", good.join("\n").as_bytes());
    let mut flood = vec![
        hello.to_owned(),
        r#"{"type":"answer","id":1,"accepted":true}"#.to_owned(),
    ];
    flood.extend((0..600).map(|i| match i % 3 {
        0 => active((i % 97) as f32 / 97.0),
        1 => format!(
            r#"{{"type":"status","state":"error","reason":"{}"}}"#,
            "é".repeat(100)
        ),
        _ => r#"{"type":"status","state":"idle"}"#.to_owned(),
    }));
    write_corpus(
        "tracker_lines",
        "flips-and-long-reasons",
        flood.join("\n").as_bytes(),
    );
    let multibyte = [
        format!(r#"{{"type":"{}"}}"#, "é".repeat(60)),
        format!(
            r#"{{"type":"hello","version":1,"name":"{}"}}"#,
            "€".repeat(1300)
        ),
        format!(r#"{{"{}":1}}"#, "日本".repeat(50)),
        "５５".repeat(100),
    ];
    write_corpus(
        "tracker_lines",
        "multibyte",
        multibyte.join("\n").as_bytes(),
    );
    let odd = [
        hello.to_owned(),
        r#"{"type":"hello","version":1,"name":"again"}"#.to_owned(),
        r#"{"type":"answer","id":4294967295,"accepted":false,"reason":"x"}"#.to_owned(),
        r#"{"type":"status","state":"active","rectangle":{"top_left_x":1e400,"top_left_y":0,"bottom_right_x":-1,"bottom_right_y":"NaN"}}"#.to_owned(),
        r#"{"type":"status","state":"active"}"#.to_owned(),
        "x".repeat(5000),
        String::new(),
        "\u{0}\u{1b}[2J".to_owned(),
    ];
    write_corpus("tracker_lines", "odd-lines", odd.join("\n").as_bytes());
    write_corpus(
        "tracker_lines",
        "wrong-version",
        br#"{"type":"hello","version":2,"name":"v2"}"#,
    );
}

/// The camera web server's answers for `media_listing`: a status byte (0 = 200, 4 = 400,
/// 5 = 500, 6 = 302) and a body each, separated by 0xFF; `repeat` repeats the last one.
/// Answers: (status byte, body).
type MediaAnswers = Vec<(u8, String)>;

fn media_answers(repeat: bool, answers: &[(u8, String)]) -> Vec<u8> {
    let mut v = vec![u8::from(repeat)];
    for (i, (status, body)) in answers.iter().enumerate() {
        if i > 0 {
            v.push(0xFF);
        }
        v.push(*status);
        v.extend(body.as_bytes());
    }
    v
}

fn api_ok(data: &str) -> (u8, String) {
    (
        0,
        format!(r#"{{"code":200,"success":true,"message":"ok","data":{data}}}"#),
    )
}

fn media_page(host: &str, names: impl Iterator<Item = String>) -> (u8, String) {
    let list: Vec<String> = names
        .map(|n| format!(r#"{{"name":"{n}","url":"http://{host}/photo/101SIYI_IMG/{n}"}}"#))
        .collect();
    api_ok(&format!(r#"{{"list":[{}]}}"#, list.join(",")))
}

#[test]
#[ignore = "writes fuzz/corpus/media_listing; run by hand when the API changes"]
fn regenerate_media_corpus() {
    let dirs = api_ok(r#"{"directories":[{"name":"101SIYI_IMG","path":"101SIYI_IMG"}]}"#);
    let count = |n: &str| api_ok(&format!(r#"{{"count":{n}}}"#));
    let img = |i: u32| format!("IMG_{i:04}.jpg");
    let host = "192.168.144.25:82";
    let seeds: Vec<(&str, bool, MediaAnswers)> = vec![
        (
            "card-of-three",
            false,
            vec![
                dirs.clone(),
                count("3"),
                media_page(host, (1..=3).map(img)),
                dirs.clone(),
                count("3"),
                (0, "4000".into()),
            ],
        ),
        (
            "four-billion-files",
            true,
            vec![
                dirs.clone(),
                count("4294967295"),
                media_page(host, (1..=2).map(img)),
            ],
        ),
        (
            "the-same-page-forever",
            true,
            vec![
                dirs.clone(),
                count("1000"),
                media_page(host, (1..=100).map(img)),
                media_page(host, (7..=7).map(img)),
            ],
        ),
        (
            "longer-page-than-asked",
            false,
            vec![
                dirs.clone(),
                count("150"),
                media_page(host, (1..=250).map(img)),
            ],
        ),
        (
            "foreign-hosts-traversal-multibyte",
            false,
            vec![
                dirs.clone(),
                count("5"),
                api_ok(&format!(
                    r#"{{"list":[{{"name":"IMG_1.jpg","url":"http://127.0.0.2:8082/photo/101SIYI_IMG/IMG_1.jpg"}},
                    {{"name":"passwd","url":"http://{host}/photo/101SIYI_IMG/%2E%2E%2Fetc/passwd"}},
                    {{"name":"{e}","url":"http://{host}/photo/101SIYI_IMG/{e}"}},
                    {{"name":"..","url":"http://{host}/photo/101SIYI_IMG/.."}},
                    {{"name":"a.jpg","url":"https://{host}/photo/101SIYI_IMG/a.jpg"}}]}}"#,
                    e = "é".repeat(60)
                )),
            ],
        ),
        (
            "a-thousand-and-one-directories",
            false,
            vec![api_ok(&format!(
                r#"{{"directories":[{}]}}"#,
                (0..1001)
                    .map(|i| format!(r#"{{"name":"{i}SIYI","path":"{i}SIYI"}}"#))
                    .collect::<Vec<_>>()
                    .join(",")
            ))],
        ),
        (
            "errors-html-redirect",
            false,
            vec![
                (5, "<html><body>502 Bad Gateway</body></html>".into()),
                (6, String::new()),
                (
                    4,
                    r#"{"code":400,"success":false,"message":"path not exist"}"#.into(),
                ),
                dirs.clone(),
                (0, r#"{"success":true,"data":{"count":"7"}}"#.into()),
                (0, r#"{"success":true,"data":{"count":-1}}"#.into()),
                (0, r#"{"success":true,"data":{"count":1e400}}"#.into()),
                (0, r#"{"success":true,"data":{"list":[{"name":1}"#.into()),
            ],
        ),
    ];
    for (name, repeat, answers) in &seeds {
        write_corpus("media_listing", name, &media_answers(*repeat, answers));
    }
}

// ------------------------------------------------------------------------------------------------
// MAVLink trust surfaces (issue 19): FTP payloads and PARAM_EXT values. Their corpus is written by
// `cargo test --test fuzz_corpus -- --ignored regenerate_mavlink_trust_corpus`.

#[test]
fn ftp_payloads_corpus_and_mutations() {
    run_target("ftp_payloads", fuzzing::ftp_payloads, MUTATIONS);
}

#[test]
fn param_ext_values_corpus_and_mutations() {
    run_target("param_ext_values", fuzzing::param_ext_values, MUTATIONS);
}

/// The MAVLink 2 payload of `msg` (as `Inbound::from_payload` takes it; trailing zeros trimmed).
fn payload_of(msg: &MavMessage) -> Vec<u8> {
    let frame = mav(msg, 0, false);
    frame[10..frame.len() - 2].to_vec()
}

/// One `ftp_payloads` record: sender `who`, `ms10` × 10 ms before it, then the payload.
fn ftp_record(
    who: u8,
    ms10: u8,
    p: &siyi_bridge::core::settings::ftp::payload::Payload,
) -> Vec<u8> {
    let mut v = vec![(ms10 << 2) | (who & 3)];
    v.extend(p.encode());
    v
}

/// One `param_ext_values` record: kind (0 set, 1 read, 2 list, 3 an operation ends), `ms100`
/// × 100 ms after it, then the payload padded to 147 bytes.
fn param_record(kind: u8, ms100: u8, msg: Option<&MavMessage>) -> Vec<u8> {
    let mut v = vec![(ms100 << 4) | (kind & 3)];
    let mut payload = msg.map(payload_of).unwrap_or_default();
    payload.resize(147, 0);
    v.extend(payload);
    v
}

#[test]
#[ignore = "writes fuzz/corpus; run by hand when the formats change"]
fn regenerate_mavlink_trust_corpus() {
    use mavlink::dialects::common::{
        MavParamExtType as T, PARAM_EXT_REQUEST_LIST_DATA, PARAM_EXT_REQUEST_READ_DATA,
        PARAM_EXT_SET_DATA,
    };
    use siyi_bridge::core::settings::ftp::payload::{opcode as op, Payload};
    let path = "/siyi_a8_mini.xml";
    let open =
        |seq, p: &str| Payload::request(seq, 0, op::OPEN_FILE_RO, p.len() as u8, 0, p.as_bytes());
    let req = |seq, o, size, offset| Payload::request(seq, 0, o, size, offset, &[]);
    let file = |name: &str, records: Vec<Vec<u8>>| {
        write_corpus("ftp_payloads", name, &records.concat());
    };
    // QGC: open, bursts of 239 to the EOF, reset.
    let mut qgc = vec![ftp_record(0, 0, &open(10, path))];
    for (i, offset) in (0..4u32).map(|i| i * 239 * 8).enumerate() {
        qgc.push(ftp_record(
            0,
            1,
            &req(12 + 20 * i as u16, op::BURST_READ_FILE, 239, offset),
        ));
    }
    qgc.push(ftp_record(0, 1, &req(99, op::RESET_SESSIONS, 0, 0)));
    file("qgc-download", qgc);
    // MAVSDK: the NUL in the path, ReadFile, TerminateSession.
    let nul = Payload::request(0, 0, op::OPEN_FILE_RO, 17, 0, b"siyi_a8_mini.xml\0");
    let mut mavsdk = vec![ftp_record(0, 0, &nul)];
    for i in 0..6u16 {
        mavsdk.push(ftp_record(
            0,
            0,
            &req(1 + i, op::READ_FILE, 239, u32::from(i) * 239),
        ));
    }
    mavsdk.push(ftp_record(0, 0, &req(7, op::TERMINATE_SESSION, 0, 0)));
    file("mavsdk-download", mavsdk);
    // The issue: a 20-byte BurstReadFile from a source that never heartbeats, again and again.
    let mut spoof = vec![ftp_record(3, 0, &open(0, path))];
    for i in 0..12u16 {
        spoof.push(ftp_record(
            3,
            0,
            &req(2 + 2 * i, op::BURST_READ_FILE, 239, 0),
        ));
    }
    file("burst-from-a-source-that-never-heartbeats", spoof);
    // The issue: another sender's TerminateSession / ReadFile / BurstReadFile on a session.
    file(
        "another-senders-session",
        vec![
            ftp_record(0, 0, &open(0, path)),
            ftp_record(1, 0, &req(0, op::READ_FILE, 239, 0)),
            ftp_record(2, 0, &req(0, op::BURST_READ_FILE, 239, 0)),
            ftp_record(1, 0, &req(2, op::TERMINATE_SESSION, 0, 0)),
            ftp_record(2, 0, &req(4, op::RESET_SESSIONS, 0, 0)),
            ftp_record(0, 0, &req(2, op::READ_FILE, 239, 239)),
        ],
    );
    // The issue: one system on many component ids holding the slots, then a newcomer.
    let mut slots = Vec::new();
    for i in 0..8u16 {
        slots.push(ftp_record((i % 3) as u8, 5, &open(i * 2, path)));
        slots.push(ftp_record(
            (i % 3) as u8,
            5,
            &req(i * 2 + 1, op::READ_FILE, 100, 0),
        ));
    }
    file("sessions-full-and-idle", slots);
    // Paths: traversal, multibyte, no NUL, too long a size; listings; writes.
    let weird = "é".repeat(60);
    file(
        "paths-and-listings",
        vec![
            ftp_record(0, 0, &open(0, "../../etc/passwd")),
            ftp_record(0, 0, &open(2, &weird)),
            ftp_record(
                0,
                0,
                &Payload::request(4, 0, op::OPEN_FILE_RO, 255, 0, b"@MAV_ROOT/siyi"),
            ),
            ftp_record(
                0,
                0,
                &Payload::request(6, 0, op::LIST_DIRECTORY, 1, 0, b"/"),
            ),
            ftp_record(
                0,
                0,
                &Payload::request(8, 0, op::LIST_DIRECTORY, 3, 1, b"/.."),
            ),
            ftp_record(
                0,
                0,
                &Payload::request(10, 0, op::CREATE_FILE, 4, 0, b"/x\0\0"),
            ),
            ftp_record(0, 0, &req(12, op::CALC_FILE_CRC32, 0, 0)),
            ftp_record(0, 0, &req(14, op::READ_FILE, 0, u32::MAX)),
        ],
    );
    write_corpus(
        "ftp_payloads",
        "garbage",
        b"\x07\xff\xfe\x00\x05\xef\x05\x00\x00",
    );

    // PARAM_EXT: the issue's wrong-typed set, valid sets of each setting, reads, list, ends.
    let set = |id: &str, value: u32, param_type| {
        let mut raw = [0u8; 128];
        raw[..4].copy_from_slice(&value.to_le_bytes());
        MavMessage::PARAM_EXT_SET(PARAM_EXT_SET_DATA {
            target_system: 1,
            target_component: 100,
            param_id: id.into(),
            param_value: raw.into(),
            param_type,
        })
    };
    let read = |id: &str, index: i16| {
        MavMessage::PARAM_EXT_REQUEST_READ(PARAM_EXT_REQUEST_READ_DATA {
            target_system: 1,
            target_component: 100,
            param_id: id.into(),
            param_index: index,
        })
    };
    let list = MavMessage::PARAM_EXT_REQUEST_LIST(PARAM_EXT_REQUEST_LIST_DATA {
        target_system: 1,
        target_component: 100,
    });
    let wrong = set("STREAM_BITRATE", 0x4048_f5c3, T::MAV_PARAM_EXT_TYPE_REAL32);
    let write = |name: &str, records: Vec<Vec<u8>>| {
        write_corpus("param_ext_values", name, &records.concat());
    };
    write(
        "wrong-type-set",
        (0..20).map(|_| param_record(0, 0, Some(&wrong))).collect(),
    );
    let u32t = T::MAV_PARAM_EXT_TYPE_UINT32;
    let mut sets = Vec::new();
    for (id, value) in [
        ("CAM_MODE", 1),
        ("GIMBAL_MODE", 2),
        ("STREAM_RES", 0),
        ("STREAM_BITRATE", 2500),
        ("STREAM_CODEC", 1),
        ("REC_RES", 1),
    ] {
        sets.push(param_record(0, 1, Some(&set(id, value, u32t))));
        sets.push(param_record(3, 1, None));
    }
    write("set-each-and-finish", sets);
    write(
        "read-and-list",
        vec![
            param_record(2, 0, Some(&list)),
            param_record(1, 0, Some(&read("CAM_MODE", -1))),
            param_record(1, 0, Some(&read("", 3))),
            param_record(1, 0, Some(&read("", 6))),
            param_record(1, 0, Some(&read("NOT_A_PARAM", -1))),
        ],
    );
    let multibyte = set(&"é".repeat(8), 1, u32t);
    let no_nul = set("STREAM_BITRATES!", u32::MAX, u32t);
    let mut odd_type = param_record(0, 0, Some(&set("REC_RES", 7, u32t)));
    if let Some(t) = odd_type.last_mut() {
        *t = 200; // no MAV_PARAM_EXT_TYPE has this number
    }
    write(
        "bad-ids-values-and-types",
        vec![
            param_record(0, 0, Some(&multibyte)),
            param_record(0, 0, Some(&no_nul)),
            odd_type,
            param_record(0, 15, Some(&set("STREAM_BITRATE", 0, u32t))),
            param_record(0, 15, Some(&set("STREAM_BITRATE", 4000, u32t))),
            param_record(3, 15, None),
        ],
    );
}
