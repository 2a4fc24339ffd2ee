//! Stream decoder behaviour: chunking, garbage, resynchronisation, limits.

use siyi_protocol::{
    Attitude, CmdId, Ctrl, Decidegrees, DecidegreesPerSecond, DecoderStats, FirmwareVersion, Frame,
    FrameDecoder, FrameError, RecordState, Reply, Request, SystemInfo, Zoom,
};

/// One decoder output item, owned, so runs can be compared.
type Item = Result<Frame, FrameError>;

fn attitude(yaw: i16, seq: u16) -> Vec<u8> {
    let mut out = Vec::new();
    Reply::Attitude(Attitude {
        yaw: Decidegrees(yaw),
        pitch: Decidegrees(-450),
        roll: Decidegrees(3),
        yaw_rate: DecidegreesPerSecond(10),
        pitch_rate: DecidegreesPerSecond(-25),
        roll_rate: DecidegreesPerSecond(0),
    })
    .encode_frame(seq, &mut out);
    out
}

fn zoom(seq: u16) -> Vec<u8> {
    let mut out = Vec::new();
    Reply::CurrentZoom(Zoom { int: 2, tenths: 5 }).encode_frame(seq, &mut out);
    out
}

fn system_info(seq: u16) -> Vec<u8> {
    let mut out = Vec::new();
    Reply::CameraSystemInfo(SystemInfo {
        reserved0: 0,
        hdr_sta: 0,
        reserved2: 0,
        record_sta: RecordState::Recording,
        motion_mode: Some(siyi_protocol::MotionMode::Follow),
        mounting_dir: Some(siyi_protocol::MountingDirection::Normal),
        video_output: Some(0),
        zoom_linkage: None,
    })
    .encode_frame(seq, &mut out);
    out
}

fn firmware(seq: u16) -> Vec<u8> {
    let mut out = Vec::new();
    Reply::FirmwareVersion {
        camera: FirmwareVersion::new(0, 2, 8),
        gimbal: FirmwareVersion::new(0, 3, 9),
        zoom: None,
    }
    .encode_frame(seq, &mut out);
    out
}

fn with_bad_crc(mut frame: Vec<u8>) -> Vec<u8> {
    let last = frame.len() - 1;
    frame[last] ^= 0x5a;
    frame
}

/// A realistic mixed stream: valid replies, garbage (including lone sync bytes), one bad CRC,
/// ending with trailing garbage.
fn mixed_stream() -> (Vec<u8>, usize) {
    let mut s = Vec::new();
    s.extend_from_slice(&[0x00, 0x55, 0x13, 0x66, 0x55]); // garbage before, with sync-like bytes
    s.extend(attitude(125, 1));
    s.extend(zoom(2));
    s.extend_from_slice(&[0xde, 0xad, 0x55, 0x55]); // garbage between
    s.extend(system_info(3));
    s.extend(with_bad_crc(attitude(-300, 4)));
    s.extend(firmware(5));
    s.extend(attitude(0, 6));
    s.extend_from_slice(&[0x01, 0x02, 0x03]); // garbage after
    (s, 5)
}

fn run_chunked(stream: &[u8], chunk: usize) -> (Vec<Item>, DecoderStats, usize) {
    let mut d = FrameDecoder::new();
    let mut items = Vec::new();
    for piece in stream.chunks(chunk) {
        d.push(piece);
        while let Some(item) = d.next_frame() {
            items.push(item);
        }
    }
    (items, d.stats(), d.buffered())
}

#[test]
fn every_chunk_size_gives_the_same_frames_and_stats() {
    let (stream, valid) = mixed_stream();
    let reference = run_chunked(&stream, stream.len());
    let frames = reference.0.iter().filter(|i| i.is_ok()).count();
    assert_eq!(frames, valid);
    assert_eq!(reference.1.crc_errors, 1);
    assert_eq!(reference.1.frames, valid as u64);
    // Leading 5 bytes, 4 between, the bad frame minus its 2 sync bytes, 3 after.
    let bad_len = attitude(0, 0).len();
    assert_eq!(
        reference.1.garbage_bytes,
        (5 + 4 + (bad_len - 2) + 3) as u64
    );
    assert_eq!(reference.1.bytes_in, stream.len() as u64);
    assert_eq!(reference.2, 0, "trailing garbage without a 55 is not kept");
    for chunk in 1..=stream.len() {
        assert_eq!(
            run_chunked(&stream, chunk),
            reference,
            "chunk size {chunk} differs"
        );
    }
}

#[test]
fn decoded_values_survive_the_stream() {
    let (stream, _) = mixed_stream();
    let (items, _, _) = run_chunked(&stream, 7);
    let replies: Vec<Reply> = items
        .into_iter()
        .filter_map(Result::ok)
        .map(|f| Reply::from_frame(&f).expect("typed"))
        .collect();
    assert!(matches!(&replies[0], Reply::Attitude(a) if a.yaw == Decidegrees(125)));
    assert_eq!(replies[1], Reply::CurrentZoom(Zoom { int: 2, tenths: 5 }));
    assert!(
        matches!(&replies[2], Reply::CameraSystemInfo(i) if i.record_sta == RecordState::Recording)
    );
    assert!(
        matches!(&replies[3], Reply::FirmwareVersion { camera, .. } if camera.to_string() == "0.2.8")
    );
    assert!(matches!(&replies[4], Reply::Attitude(a) if a.yaw == Decidegrees(0)));
}

#[test]
fn bad_crc_frame_hiding_a_valid_frame_is_resynchronised() {
    // A 12-byte-payload "attitude" frame whose payload is a complete centering request, with a
    // wrong CRC: the outer frame is reported, the inner one is found.
    let inner = Request::Center(siyi_protocol::CenterPosition::Center).to_frame(9);
    let inner_bytes = inner.to_bytes();
    assert_eq!(inner_bytes.len(), 11);
    let mut payload = inner_bytes.clone();
    payload.push(0xee);
    let outer = Frame::new(Ctrl::REPLY, 1, CmdId::ATTITUDE, payload).expect("short");
    let stream = with_bad_crc(outer.to_bytes());

    let mut d = FrameDecoder::new();
    d.push(&stream);
    let first = d.next_frame().expect("an item");
    assert!(
        matches!(
            first,
            Err(FrameError::CrcMismatch {
                cmd: CmdId::ATTITUDE,
                seq: 1,
                ..
            })
        ),
        "{first:?}"
    );
    assert_eq!(d.next_frame(), Some(Ok(inner)));
    assert_eq!(d.next_frame(), None);
    let stats = d.stats();
    assert_eq!((stats.frames, stats.crc_errors), (1, 1));
    // 6 header bytes of the outer frame after its sync, then 0xee and the 2 CRC bytes.
    assert_eq!(stats.garbage_bytes, 6 + 3);
    assert_eq!(stats.dropped_bytes(), 2 + 9);
}

#[test]
fn oversize_length_is_an_error_then_resync() {
    let mut d = FrameDecoder::with_limits(64, 4096);
    let mut stream = vec![0x55, 0x66, 0x02, 0x41, 0x00, 0x00, 0x00, 0x0d]; // LEN 65 > 64
    stream.extend(zoom(7));
    d.push(&stream);
    assert_eq!(
        d.next_frame(),
        Some(Err(FrameError::PayloadTooLong { len: 65, max: 64 }))
    );
    let frame = d.next_frame().expect("item").expect("valid frame");
    assert_eq!(frame.cmd, CmdId::CURRENT_ZOOM);
    assert_eq!(d.next_frame(), None);
    assert_eq!(d.stats().oversize, 1);
    assert_eq!(d.stats().garbage_bytes, 6);

    // The default decoder accepts exactly MAX_PAYLOAD_LEN.
    let max = siyi_protocol::frame::MAX_PAYLOAD_LEN;
    let big = Frame::new(Ctrl::REPLY, 0, CmdId(0x99), vec![0xab; max]).expect("max is allowed");
    let mut d = FrameDecoder::new();
    d.push(&big.to_bytes());
    assert_eq!(d.next_frame(), Some(Ok(big)));
}

#[test]
fn truncated_stream_keeps_bytes_and_yields_nothing() {
    let full = attitude(42, 3);
    for cut in 0..full.len() {
        let mut d = FrameDecoder::new();
        d.push(&full[..cut]);
        assert_eq!(d.next_frame(), None, "cut at {cut}");
        assert_eq!(d.next_frame(), None, "cut at {cut}, asked again");
        // A prefix of a frame is kept whole (a lone first byte 55 too); nothing counted as lost.
        assert_eq!(d.buffered(), cut, "cut at {cut}");
        assert_eq!(d.stats().dropped_bytes(), 0);
        // The rest arrives: the frame comes out.
        d.push(&full[cut..]);
        let frame = d.next_frame().expect("item").expect("frame");
        assert_eq!(frame.to_bytes(), full);
    }
}

#[test]
fn frame_parse_reports_truncation_and_sync() {
    let full = attitude(42, 3);
    assert_eq!(
        Frame::parse(&full[..15]),
        Err(FrameError::Truncated {
            needed: full.len(),
            got: 15
        })
    );
    assert_eq!(
        Frame::parse(&full[..4]),
        Err(FrameError::Truncated { needed: 10, got: 4 })
    );
    assert_eq!(
        Frame::parse(&[0x55]),
        Err(FrameError::BadSync { found: vec![0x55] })
    );
    assert_eq!(
        Frame::parse(&[]),
        Err(FrameError::BadSync { found: vec![] })
    );
    // Bytes after the frame are not looked at.
    let mut longer = full.clone();
    longer.extend_from_slice(&[1, 2, 3]);
    assert_eq!(Frame::parse(&longer).map(|(_, n)| n), Ok(full.len()));
}

#[test]
fn buffer_is_bounded_and_decoding_recovers() {
    let max_buffered = 256;
    let mut d = FrameDecoder::with_limits(32, max_buffered);
    // A caller that pushes without pulling: only the newest bytes are kept.
    let mut pushed = 0usize;
    for i in 0..100u16 {
        let f = attitude(i as i16, i);
        pushed += f.len();
        d.push(&f);
        assert!(d.buffered() <= max_buffered);
    }
    assert_eq!(d.stats().overflow_bytes, (pushed - max_buffered) as u64);
    // The oldest kept bytes may start mid-frame: that part is garbage, the rest decodes.
    let mut frames = 0;
    while let Some(item) = d.next_frame() {
        let f = item.expect("only whole frames or garbage remain");
        assert_eq!(f.cmd, CmdId::ATTITUDE);
        frames += 1;
    }
    assert_eq!(frames, max_buffered / 22);
    assert_eq!(d.buffered(), 0);

    // One huge push is bounded too.
    let mut d = FrameDecoder::with_limits(32, max_buffered);
    d.push(&vec![0x00; 100_000]);
    assert!(d.buffered() <= max_buffered);
    assert_eq!(d.stats().overflow_bytes, (100_000 - max_buffered) as u64);
    assert_eq!(d.next_frame(), None);
    d.push(&zoom(1));
    assert!(d.next_frame().expect("item").is_ok());
}

#[test]
fn clear_drops_a_partial_frame() {
    let mut d = FrameDecoder::new();
    let f = attitude(1, 1);
    d.push(&f[..10]);
    assert_eq!(d.next_frame(), None);
    d.clear();
    assert_eq!(d.buffered(), 0);
    assert_eq!(d.stats().garbage_bytes, 10);
    d.push(&f);
    assert!(d.next_frame().expect("item").is_ok());
}

#[test]
fn next_frame_ref_borrows_the_same_frame() {
    let (stream, valid) = mixed_stream();
    let mut d = FrameDecoder::new();
    d.push(&stream);
    let mut owned = Vec::new();
    while let Some(item) = d.next_frame_ref() {
        if let Ok(f) = item {
            owned.push(f.to_owned());
        }
    }
    assert_eq!(owned.len(), valid);
    let (items, _, _) = run_chunked(&stream, stream.len());
    let expected: Vec<Frame> = items.into_iter().filter_map(Result::ok).collect();
    assert_eq!(owned, expected);
}

#[test]
fn fake_sync_with_plausible_length_delays_but_loses_nothing() {
    // Garbage that looks like a header declaring 40 payload bytes: the decoder must wait for 50
    // bytes before it can judge the CRC, so the valid frames behind it come out late, not never.
    // (A smaller `max_payload_len` bounds this delay; per-datagram parsing avoids it.)
    let mut d = FrameDecoder::with_limits(64, 4096);
    let mut stream = vec![0x55, 0x66, 0x02, 40, 0x00, 0x00, 0x00, 0x0d];
    let a = attitude(1, 1);
    let b = attitude(2, 2);
    stream.extend_from_slice(&a);
    d.push(&stream);
    assert_eq!(
        d.next_frame(),
        None,
        "waiting for the fake frame's 50 bytes"
    );
    d.push(&b);
    d.push(&[0u8; 20]);
    let items: Vec<Item> = std::iter::from_fn(|| d.next_frame()).collect();
    assert!(matches!(items[0], Err(FrameError::CrcMismatch { .. })));
    let frames: Vec<Vec<u8>> = items[1..]
        .iter()
        .map(|i| i.as_ref().expect("valid").to_bytes())
        .collect();
    assert_eq!(frames, [a, b]);
}
