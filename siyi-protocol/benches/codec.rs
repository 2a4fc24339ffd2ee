//! Codec throughput: decoding a realistic camera → host stream, and encoding requests.
//!
//! `cargo bench -p siyi-protocol` (add `-- --measurement-time 2 --warm-up-time 1` for a quick run).
//! Criterion prints MB/s (Throughput::Bytes); frames/s is printed once per decode benchmark from
//! a separate timed pass.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use siyi_protocol::{
    Attitude, Decidegrees, DecidegreesPerSecond, FirmwareVersion, FrameDecoder, MotionMode,
    MountingDirection, RawGps, RecordState, Reply, Request, SystemInfo, Zoom,
};

/// A stream shaped like what the bridge receives: mostly 0x0D attitude at 20 Hz, zoom replies,
/// 0x0A system info, firmware, plus a little garbage and one corrupted frame per round.
fn realistic_stream() -> (Vec<u8>, u64) {
    let mut out = Vec::new();
    let mut frames = 0u64;
    let mut seq = 0u16;
    let mut push = |reply: &Reply, out: &mut Vec<u8>| {
        reply.encode_frame(seq, out);
        seq = seq.wrapping_add(1);
    };
    for round in 0..200i16 {
        for i in 0..20i16 {
            let att = Reply::Attitude(Attitude {
                yaw: Decidegrees(round * 3 + i),
                pitch: Decidegrees(-450 + i),
                roll: Decidegrees(2),
                yaw_rate: DecidegreesPerSecond(i),
                pitch_rate: DecidegreesPerSecond(-i),
                roll_rate: DecidegreesPerSecond(0),
            });
            push(&att, &mut out);
            frames += 1;
        }
        push(
            &Reply::ManualZoom {
                zoom_tenths: 10 + (round % 50) as u16,
            },
            &mut out,
        );
        push(&Reply::CurrentZoom(Zoom { int: 2, tenths: 5 }), &mut out);
        push(
            &Reply::CameraSystemInfo(SystemInfo {
                reserved0: 0,
                hdr_sta: 0,
                reserved2: 0,
                record_sta: RecordState::Recording,
                motion_mode: Some(MotionMode::Follow),
                mounting_dir: Some(MountingDirection::Normal),
                video_output: Some(0),
                zoom_linkage: None,
            }),
            &mut out,
        );
        push(
            &Reply::FirmwareVersion {
                camera: FirmwareVersion::new(0, 2, 8),
                gimbal: FirmwareVersion::new(0, 3, 9),
                zoom: None,
            },
            &mut out,
        );
        frames += 4;
        // Garbage, including sync-like bytes.
        out.extend_from_slice(&[0x00, 0x55, 0x13, 0xff, 0x55, 0x55, 0x01]);
        // One frame with a broken CRC.
        let start = out.len();
        push(&Reply::CurrentZoom(Zoom { int: 3, tenths: 0 }), &mut out);
        let last = out.len() - 1;
        out[last] ^= 0xff;
        debug_assert!(out.len() > start);
    }
    (out, frames)
}

/// Bytes pushed per call: a large UDP datagram's worth (the decoder holds at most 64 KiB).
const CHUNK: usize = 1400;

fn frames_per_second(stream: &[u8], frames: u64, owned: bool) -> f64 {
    // One extra timed pass outside criterion, only to print frames/s.
    #[allow(clippy::disallowed_methods)]
    let t0 = std::time::Instant::now();
    let rounds = 200u32;
    let mut seen = 0u64;
    for _ in 0..rounds {
        let mut d = FrameDecoder::new();
        for chunk in stream.chunks(CHUNK) {
            d.push(chunk);
            if owned {
                while let Some(item) = d.next_frame() {
                    seen += u64::from(item.is_ok());
                }
            } else {
                while let Some(item) = d.next_frame_ref() {
                    seen += u64::from(item.is_ok());
                }
            }
        }
    }
    assert_eq!(seen, frames * u64::from(rounds));
    seen as f64 / t0.elapsed().as_secs_f64()
}

fn decode(c: &mut Criterion) {
    let (stream, frames) = realistic_stream();
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Bytes(stream.len() as u64));
    group.bench_function("next_frame_ref", |b| {
        b.iter(|| {
            let mut d = FrameDecoder::new();
            let stream = black_box(&stream);
            let mut n = 0u32;
            for chunk in stream.chunks(CHUNK) {
                d.push(chunk);
                while let Some(item) = d.next_frame_ref() {
                    if let Ok(f) = item {
                        n = n.wrapping_add(u32::from(f.payload.first().copied().unwrap_or(0)));
                    }
                }
            }
            n
        })
    });
    group.bench_function("next_frame", |b| {
        b.iter(|| {
            let mut d = FrameDecoder::new();
            let stream = black_box(&stream);
            let mut n = 0usize;
            for chunk in stream.chunks(CHUNK) {
                d.push(chunk);
                while let Some(item) = d.next_frame() {
                    if let Ok(f) = item {
                        n += f.payload().len();
                    }
                }
            }
            n
        })
    });
    group.bench_function("next_frame_ref+Reply::decode", |b| {
        b.iter(|| {
            let mut d = FrameDecoder::new();
            let stream = black_box(&stream);
            let mut n = 0usize;
            for chunk in stream.chunks(CHUNK) {
                d.push(chunk);
                while let Some(item) = d.next_frame_ref() {
                    if let Ok(f) = item {
                        n += usize::from(Reply::decode(f.cmd, f.payload).is_ok());
                    }
                }
            }
            n
        })
    });
    group.finish();
    println!(
        "decode: stream of {} bytes, {} valid frames; next_frame_ref {:.2} Mframes/s, next_frame {:.2} Mframes/s",
        stream.len(),
        frames,
        frames_per_second(&stream, frames, false) / 1e6,
        frames_per_second(&stream, frames, true) / 1e6,
    );
}

fn encode(c: &mut Criterion) {
    let requests = [
        Request::Attitude,
        Request::SetAngles {
            yaw: Decidegrees(300),
            pitch: Decidegrees(-155),
        },
        Request::AbsoluteZoom(Zoom { int: 4, tenths: 5 }),
        Request::CameraSystemInfo,
        Request::GimbalRotation {
            yaw_speed: 50,
            pitch_speed: -50,
        },
        Request::RawGps(RawGps {
            time_boot_ms: 123_456,
            lat_deg_e7: 222_768_300,
            lon_deg_e7: 1_141_761_200,
            alt_msl_cm: 12_000,
            alt_ellipsoid_cm: 12_500,
            vn_mm_s: 10,
            ve_mm_s: -20,
            vd_mm_s: 0,
        }),
    ];
    let mut bytes = Vec::new();
    for (i, r) in requests.iter().enumerate() {
        r.encode_frame(i as u16, &mut bytes);
    }
    let mut group = c.benchmark_group("encode");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    let mut out = Vec::with_capacity(256);
    group.bench_function("Request::encode_frame x6", |b| {
        b.iter(|| {
            out.clear();
            for (i, r) in black_box(&requests).iter().enumerate() {
                r.encode_frame(i as u16, &mut out);
            }
            out.len()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    targets = decode, encode
}
criterion_main!(benches);
