//! `siyi-bridge media pull` against the simulator's web server (`sim::web`: the media API, and
//! `/photo/…` served with HEAD, Last-Modified and Range) on an ephemeral port of 127.0.0.1,
//! with a card and a state dir made by the test: pull twice (the second fetches nothing), a
//! truncated `.part` resumes and ends byte-identical, geo.txt / geotags.csv from the records.

mod media_run;

use std::path::{Path, PathBuf};
use std::process::Output;

use siyi_bridge::core::camera::{ImageRecord, PersistedState};
use siyi_bridge::core::geo::Euler;
use siyi_bridge::sim::web::{self, MediaStore, WebFaults, PHOTO_DIR};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("siyi-media-sim-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn bytes(n: usize, seed: u8) -> Vec<u8> {
    let mut v: Vec<u8> = (0..n)
        .map(|i| (i as u8).wrapping_mul(17).wrapping_add(seed))
        .collect();
    v[..2].copy_from_slice(&[0xFF, 0xD8]);
    v
}

fn media(port: u16, state_dir: &Path, args: &[&str]) -> Output {
    media_run::media(port, state_dir, &["--simulated"], args)
}

fn record(index: i32, name: &str) -> ImageRecord {
    ImageRecord {
        index,
        time_utc_us: 1_796_040_000_000_000 + index as u64 * 1_000_000,
        lat_e7: -337_000_000 - index,
        lon_e7: 1_512_000_000,
        alt_mm: 42_500,
        relative_alt_mm: 40_000,
        captured: true,
        q: Some(Euler::from_deg(1.0, -60.0, -170.0).to_quat()),
        file: Some(format!("/photo/{PHOTO_DIR}/{name}")),
    }
}

#[test]
fn pull_from_the_simulated_web_server() {
    let root = temp_dir("pull");
    let card = root.join("card");
    std::fs::create_dir_all(card.join(PHOTO_DIR)).unwrap();
    let one = bytes(1_200_000, 1);
    let two = bytes(800_000, 2);
    std::fs::write(card.join(PHOTO_DIR).join("IMG_0001.jpg"), &one).unwrap();
    std::fs::write(card.join(PHOTO_DIR).join("IMG_0002.jpg"), &two).unwrap();
    let store = MediaStore::open(&card).unwrap();
    // A photo the simulated camera takes (its sample JPEG), listed at once.
    let three = store.save_photo().unwrap();
    assert_eq!(three, "IMG_0003.jpg");

    // The records of `run --simulate` live in the `simulated` subdirectory.
    let state = root.join("state");
    let mut s = PersistedState::default();
    s.add(record(0, "IMG_0001.jpg"));
    s.add(record(1, "IMG_0002.jpg"));
    std::fs::create_dir_all(state.join("simulated")).unwrap();
    std::fs::write(
        state.join("simulated").join("camera-state.json"),
        s.to_file_json(true),
    )
    .unwrap();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let faults = WebFaults {
        list_delay_ms: 0,
        ..WebFaults::default()
    };
    let (addr, _task) = runtime
        .block_on(web::spawn(
            "127.0.0.1:0".parse().unwrap(),
            Some(store),
            faults,
            std::future::pending(),
        ))
        .unwrap();
    assert!(addr.ip().is_loopback() && addr.port() != 0);

    let l = media(addr.port(), &state, &["list"]);
    assert!(l.status.success());
    let table = String::from_utf8_lossy(&l.stdout).into_owned();
    assert!(table.contains("3 photos"), "{table}");
    assert!(
        table
            .lines()
            .any(|line| line.trim_start().starts_with("0 ") && line.contains("IMG_0001.jpg")),
        "{table}"
    );

    let out = root.join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("IMG_0001.jpg.part"), &one[..500_000]).unwrap();
    let p = media(addr.port(), &state, &["pull", out.to_str().unwrap()]);
    assert!(p.status.success());
    let text = String::from_utf8_lossy(&p.stdout).into_owned();
    assert!(
        text.contains("3 photos: 2 downloaded, 0 skipped (complete), 1 resumed, 0 failed, 0 refused names, 1 unmatched"),
        "{text}"
    );
    assert!(
        text.contains("IMG_0001.jpg: resumed from 500000 bytes"),
        "{text}"
    );
    assert_eq!(std::fs::read(out.join("IMG_0001.jpg")).unwrap(), one);
    assert_eq!(std::fs::read(out.join("IMG_0002.jpg")).unwrap(), two);
    assert_eq!(
        std::fs::read(out.join("IMG_0003.jpg")).unwrap(),
        std::fs::read(card.join(PHOTO_DIR).join("IMG_0003.jpg")).unwrap()
    );
    assert!(!out.join("IMG_0001.jpg.part").exists());
    assert_eq!(
        std::fs::read_to_string(out.join("geo.txt")).unwrap(),
        "EPSG:4326\n\
         IMG_0001.jpg 151.2000000 -33.7000000 42.500 -170.00 30.00 1.00\n\
         IMG_0002.jpg 151.2000000 -33.7000001 42.500 -170.00 30.00 1.00\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("geotags.csv")).unwrap(),
        "name,index,time_utc,lon,lat,alt_m,yaw_deg,pitch_deg,roll_deg\n\
         IMG_0001.jpg,0,2026-11-30T12:00:00.000Z,151.2000000,-33.7000000,42.500,-170.00,-60.00,1.00\n\
         IMG_0002.jpg,1,2026-11-30T12:00:01.000Z,151.2000000,-33.7000001,42.500,-170.00,-60.00,1.00\n"
    );
    assert!(text.contains("IMG_0003.jpg: no record names it"), "{text}");

    // Again: nothing to fetch.
    let p = media(addr.port(), &state, &["pull", out.to_str().unwrap()]);
    assert!(p.status.success());
    let text = String::from_utf8_lossy(&p.stdout).into_owned();
    assert!(
        text.contains("3 photos: 0 downloaded, 3 skipped (complete), 0 resumed, 0 failed"),
        "{text}"
    );
    assert!(text.contains("0 bytes in"), "{text}");
    drop(runtime);
    let _ = std::fs::remove_dir_all(&root);
}
