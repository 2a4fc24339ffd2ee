//! The MAVLink FTP server of the camera component on virtual time: downloads of the camera
//! definition as QGroundControl (burst reads, ResetSessions), MAVSDK (ReadFile, session 0,
//! path with its NUL) and pymavlink (80-byte bursts, `@MAV_ROOT`) do them, lost requests and
//! replies, every NAK, sessions and their idle timeout, addressing. The same download through
//! the real bridge over loopback UDP is in `e2e_ftp.rs`.

mod camera_common;

use std::time::Duration;

use camera_common::{Rig, GCS, GCS_LINK};
use mavlink::dialects::common::{MavMessage, FILE_TRANSFER_PROTOCOL_DATA};
use rand::{Rng as _, SeedableRng as _};
use siyi_bridge::core::camera::{CameraComponent, CameraConfig, PeerId, Target};
use siyi_bridge::core::settings::definition;
use siyi_bridge::core::settings::ftp::payload::{opcode, NakCode, Payload, MAX_DATA_BYTES};
use siyi_bridge::core::settings::ftp::{MAX_BURST_REPLIES, MAX_SESSIONS, SESSION_IDLE_TIMEOUT};

const XML_LEN: usize = definition::XML.len();

/// A rig whose ground station heartbeats (burst replies and file data go only to such senders).
fn rig() -> Rig {
    let mut r = Rig::ready();
    r.heartbeat(GCS, GCS_LINK);
    r
}

/// A request carrying `path` (size = its length, as QGC and pymavlink send it).
fn path_req(seq: u16, op: u8, path: &str) -> Payload {
    Payload::request(seq, 0, op, path.len() as u8, 0, path.as_bytes())
}

/// Sends `p` from `from` to system 1, component 100; returns the FTP replies, checking they go
/// back to the sender.
fn send_from(r: &mut Rig, from: (u8, u8), p: &Payload) -> Vec<Payload> {
    send_to(r, from, (1, 100), p)
}

fn send_to(r: &mut Rig, from: (u8, u8), to: (u8, u8), p: &Payload) -> Vec<Payload> {
    send_on(r, GCS_LINK, from, to, p)
}

fn send_on(r: &mut Rig, link: PeerId, from: (u8, u8), to: (u8, u8), p: &Payload) -> Vec<Payload> {
    let msg = MavMessage::FILE_TRANSFER_PROTOCOL(FILE_TRANSFER_PROTOCOL_DATA {
        target_network: 0,
        target_system: to.0,
        target_component: to.1,
        payload: p.encode(),
    });
    let out = r.feed(from, link, msg);
    out.iter()
        .filter_map(|t| match t.mav() {
            Some(MavMessage::FILE_TRANSFER_PROTOCOL(f)) => {
                assert_eq!(t.target, Target::Peer(link));
                assert_eq!((f.target_system, f.target_component), from);
                assert_eq!((t.system_id, t.component_id), (1, 100));
                Some(Payload::decode(&f.payload))
            }
            _ => None,
        })
        .collect()
}

fn send(r: &mut Rig, p: &Payload) -> Vec<Payload> {
    send_from(r, GCS, p)
}

fn one(replies: Vec<Payload>) -> Payload {
    assert_eq!(replies.len(), 1, "{replies:?}");
    replies.into_iter().next().expect("one")
}

fn assert_nak(reply: &Payload, req: &Payload, code: NakCode) {
    assert_eq!(reply.opcode, opcode::NAK, "{reply:?}");
    assert_eq!((reply.size, reply.data[0]), (1, code as u8), "{reply:?}");
    assert_eq!(reply.req_opcode, req.opcode);
    assert_eq!(reply.seq, req.seq.wrapping_add(1));
}

fn assert_ack(reply: &Payload, req: &Payload) {
    assert_eq!(reply.opcode, opcode::ACK, "{reply:?}");
    assert_eq!(reply.req_opcode, req.opcode);
}

/// OpenFileRO of `path`: the ACK's session (checks the announced size).
fn open(r: &mut Rig, from: (u8, u8), seq: u16, path: &str) -> u8 {
    open_on(r, GCS_LINK, from, seq, path)
}

fn open_on(r: &mut Rig, link: PeerId, from: (u8, u8), seq: u16, path: &str) -> u8 {
    let q = path_req(seq, opcode::OPEN_FILE_RO, path);
    let a = one(send_on(r, link, from, (1, 100), &q));
    assert_ack(&a, &q);
    assert_eq!(a.seq, seq + 1);
    assert_eq!(a.data(), (XML_LEN as u32).to_le_bytes());
    a.session
}

#[test]
fn a_qgc_download_bursts_to_the_eof_nak_and_reassembles_the_xml() {
    let mut r = rig();
    // QGC strips "mftp://" but keeps a slash: it asks for "/siyi_a8_mini.xml".
    let session = open(&mut r, GCS, 10, "/siyi_a8_mini.xml");
    assert_eq!(session, 0);
    let mut file = Vec::new();
    let mut seq = 12;
    let mut guard = 0;
    loop {
        guard += 1;
        assert!(guard < 100, "the download never ended");
        let q = Payload::request(
            seq,
            session,
            opcode::BURST_READ_FILE,
            239,
            file.len() as u32,
            &[],
        );
        let replies = send(&mut r, &q);
        assert!(!replies.is_empty() && replies.len() <= MAX_BURST_REPLIES);
        if replies[0].opcode == opcode::NAK {
            assert_nak(&replies[0], &q, NakCode::Eof);
            assert_eq!(replies.len(), 1);
            break;
        }
        for (i, a) in replies.iter().enumerate() {
            assert_ack(a, &q);
            // Sequence numbers count on from the request's; offsets follow each other.
            assert_eq!(a.seq, seq + 1 + i as u16);
            assert_eq!(a.offset as usize, file.len());
            assert_eq!(a.session, session);
            assert_eq!(a.burst_complete == 1, i + 1 == replies.len(), "{i}");
            file.extend_from_slice(a.data());
        }
        // QGC's next request is one past the last reply.
        seq = replies.last().expect("replies").seq + 1;
    }
    assert_eq!(file, definition::XML.as_bytes());
    // Then QGC resets the sessions: ACK, and the session is closed.
    let q = Payload::request(seq + 2, 0, opcode::RESET_SESSIONS, 0, 0, &[]);
    assert_ack(&one(send(&mut r, &q)), &q);
    assert_eq!(r.cam().ftp().open_sessions(), 0);
}

#[test]
fn a_mavsdk_download_reads_with_session_0_and_a_nul_terminated_path() {
    let mut r = rig();
    // MAVSDK strips "mftp://" entirely and counts the NUL in the size.
    let q = Payload::request(0, 0, opcode::OPEN_FILE_RO, 17, 0, b"siyi_a8_mini.xml\0");
    let a = one(send(&mut r, &q));
    assert_ack(&a, &q);
    assert_eq!(
        a.session, 0,
        "MAVSDK reads with session 0 whatever the reply says"
    );
    let size = u32::from_le_bytes(a.data().try_into().expect("4 bytes")) as usize;
    let mut file = Vec::new();
    let mut seq = 1;
    while file.len() < size {
        let want = (size - file.len()).min(MAX_DATA_BYTES) as u8;
        let q = Payload::request(seq, 0, opcode::READ_FILE, want, file.len() as u32, &[]);
        let a = one(send(&mut r, &q));
        assert_ack(&a, &q);
        assert_eq!(a.offset as usize, file.len());
        assert!(a.size > 0 && a.size <= want);
        file.extend_from_slice(a.data());
        seq += 1;
    }
    assert_eq!(file, definition::XML.as_bytes());
    let q = Payload::request(seq, 0, opcode::TERMINATE_SESSION, 0, 0, &[]);
    assert_ack(&one(send(&mut r, &q)), &q);
    assert_eq!(r.cam().ftp().open_sessions(), 0);
}

#[test]
fn a_pymavlink_burst_uses_the_requested_size_and_ends_short() {
    let mut r = rig();
    let session = open(&mut r, GCS, 0, "@MAV_ROOT/siyi_a8_mini.xml");
    let q = Payload::request(2, session, opcode::BURST_READ_FILE, 80, 0, &[]);
    let replies = send(&mut r, &q);
    let expected = XML_LEN.div_ceil(80).min(MAX_BURST_REPLIES);
    assert_eq!(replies.len(), expected);
    for a in &replies[..replies.len() - 1] {
        assert_eq!((a.size, a.burst_complete), (80, 0));
    }
    let last = replies.last().expect("one");
    assert_eq!(last.burst_complete, 1);
    if XML_LEN <= 80 * MAX_BURST_REPLIES {
        // pymavlink takes a short last message with burst_complete for the end of the file.
        assert!(last.size < 80 || XML_LEN.is_multiple_of(80));
        assert_eq!(last.offset as usize + usize::from(last.size), XML_LEN);
    }
}

#[test]
fn a_retransmitted_request_gets_the_same_reply_and_is_not_executed_twice() {
    let mut r = rig();
    // OpenFileRO whose ACK was lost: the retry (same seq) gets the same session, not a second.
    let q = path_req(40, opcode::OPEN_FILE_RO, "/siyi_a8_mini.xml");
    let first = send(&mut r, &q);
    let again = send(&mut r, &q);
    assert_eq!(first, again);
    assert_eq!(r.cam().ftp().open_sessions(), 1);
    assert_eq!(r.cam().ftp().stats().retransmissions, 1);
    // A read whose reply was lost: the same bytes again.
    let read = Payload::request(42, 0, opcode::READ_FILE, 100, 100, &[]);
    assert_eq!(send(&mut r, &read), send(&mut r, &read));
    // A burst whose replies were lost: the whole burst again.
    let burst = Payload::request(44, 0, opcode::BURST_READ_FILE, 239, 0, &[]);
    let b1 = send(&mut r, &burst);
    assert_eq!(send(&mut r, &burst), b1);
    // TerminateSession whose ACK was lost: ACK again, not "invalid session".
    let term = Payload::request(80, 0, opcode::TERMINATE_SESSION, 0, 0, &[]);
    let t1 = one(send(&mut r, &term));
    assert_ack(&t1, &term);
    assert_eq!(one(send(&mut r, &term)), t1);
    // Remembered only while a retry can come: much later the same bytes are a new request.
    r.advance(SESSION_IDLE_TIMEOUT);
    assert_nak(&one(send(&mut r, &term)), &term, NakCode::InvalidSession);
    // A request lost on the way (never seen): its retry is simply served.
    let q = path_req(90, opcode::OPEN_FILE_RO, "/siyi_a8_mini.xml");
    assert_ack(&one(send(&mut r, &q)), &q);
    // The same sequence number with another request (QGC re-asks a burst at the offset it
    // reached) is a new request.
    let a = one(send(
        &mut r,
        &Payload::request(92, 0, opcode::READ_FILE, 10, 0, &[]),
    ));
    let b = one(send(
        &mut r,
        &Payload::request(92, 0, opcode::READ_FILE, 10, 10, &[]),
    ));
    assert_eq!((a.offset, b.offset), (0, 10));
    assert_eq!(b.data(), &definition::XML.as_bytes()[10..20]);
    // MAVSDK re-sends OpenFileRO under a new seq: still one session for that client and file.
    let q = path_req(94, opcode::OPEN_FILE_RO, "siyi_a8_mini.xml");
    assert_eq!(one(send(&mut r, &q)).session, 0);
    assert_eq!(r.cam().ftp().open_sessions(), 1);
}

#[test]
fn sessions_that_are_not_open_are_refused() {
    let mut r = rig();
    for session in [0u8, 1, 3, 4, 200, 255] {
        let q = Payload::request(1, session, opcode::READ_FILE, 10, 0, &[]);
        assert_nak(&one(send(&mut r, &q)), &q, NakCode::InvalidSession);
        let q = Payload::request(2, session, opcode::BURST_READ_FILE, 239, 0, &[]);
        assert_nak(&one(send(&mut r, &q)), &q, NakCode::InvalidSession);
        let q = Payload::request(3, session, opcode::TERMINATE_SESSION, 0, 0, &[]);
        assert_nak(&one(send(&mut r, &q)), &q, NakCode::InvalidSession);
    }
    // A closed session is not open any more.
    let s = open(&mut r, GCS, 10, "/siyi_a8_mini.xml");
    let q = Payload::request(12, s, opcode::TERMINATE_SESSION, 0, 0, &[]);
    assert_ack(&one(send(&mut r, &q)), &q);
    let q = Payload::request(14, s, opcode::READ_FILE, 10, 0, &[]);
    assert_nak(&one(send(&mut r, &q)), &q, NakCode::InvalidSession);
}

#[test]
fn offsets_at_or_past_the_end_are_eof_and_sizes_out_of_range_invalid() {
    let mut r = rig();
    let s = open(&mut r, GCS, 0, "/siyi_a8_mini.xml");
    for offset in [XML_LEN as u32, XML_LEN as u32 + 1, u32::MAX] {
        let q = Payload::request(2, s, opcode::READ_FILE, 10, offset, &[]);
        assert_nak(&one(send(&mut r, &q)), &q, NakCode::Eof);
        let q = Payload::request(4, s, opcode::BURST_READ_FILE, 239, offset, &[]);
        assert_nak(&one(send(&mut r, &q)), &q, NakCode::Eof);
    }
    // The last byte is still there; a read across the end is short.
    let q = Payload::request(6, s, opcode::READ_FILE, 239, XML_LEN as u32 - 3, &[]);
    let a = one(send(&mut r, &q));
    assert_eq!(a.data(), &definition::XML.as_bytes()[XML_LEN - 3..]);
    for size in [0u8, 240, 255] {
        let q = Payload::request(8, s, opcode::READ_FILE, size, 0, &[]);
        assert_nak(&one(send(&mut r, &q)), &q, NakCode::InvalidDataSize);
        let q = Payload::request(10, s, opcode::BURST_READ_FILE, size, 0, &[]);
        assert_nak(&one(send(&mut r, &q)), &q, NakCode::InvalidDataSize);
    }
    let q = Payload::request(12, s, opcode::READ_FILE, 239, 0, &[]);
    assert_eq!(one(send(&mut r, &q)).size, 239);
}

#[test]
fn sessions_run_out_and_come_back_after_the_idle_timeout() {
    let mut r = rig();
    // One client per link (a link's senders hold at most MAX_SESSIONS_PER_PEER together).
    let clients: Vec<(PeerId, (u8, u8))> = (0..=MAX_SESSIONS as u8)
        .map(|i| (20 + PeerId::from(i), (200 + i, 190)))
        .collect();
    for (link, c) in &clients {
        r.heartbeat(*c, *link);
    }
    for (link, c) in &clients[..MAX_SESSIONS] {
        let session = open_on(&mut r, *link, *c, 0, "/siyi_a8_mini.xml");
        assert_eq!(session, 0, "a sender holds one session: always id 0");
    }
    assert_eq!(r.cam().ftp().open_sessions(), MAX_SESSIONS);
    let (late_link, late) = clients[MAX_SESSIONS];
    let q = path_req(0, opcode::OPEN_FILE_RO, "/siyi_a8_mini.xml");
    assert_nak(
        &one(send_on(&mut r, late_link, late, (1, 100), &q)),
        &q,
        NakCode::NoSessionsAvailable,
    );
    // Client 0 keeps reading; the others vanish.
    let (link0, c0) = clients[0];
    r.advance(SESSION_IDLE_TIMEOUT / 2);
    let q = Payload::request(2, 0, opcode::READ_FILE, 10, 0, &[]);
    assert_ack(&one(send_on(&mut r, link0, c0, (1, 100), &q)), &q);
    r.advance(SESSION_IDLE_TIMEOUT / 2);
    let q = path_req(4, opcode::OPEN_FILE_RO, "/siyi_a8_mini.xml");
    let a = one(send_on(&mut r, late_link, late, (1, 100), &q));
    assert_ack(&a, &q);
    assert_eq!(a.session, 0);
    assert_eq!(r.cam().ftp().open_sessions(), 2);
    assert_eq!(r.cam().ftp().stats().sessions_expired, 3);
    assert_eq!(
        r.cam().ftp().stats().sessions_evicted,
        0,
        "they expired first"
    );
    // Client 0's session lived on because it was used.
    let q = Payload::request(6, 0, opcode::READ_FILE, 10, 0, &[]);
    assert_ack(&one(send_on(&mut r, link0, c0, (1, 100), &q)), &q);
}

#[test]
fn reset_closes_only_the_senders_sessions() {
    let mut r = rig();
    let other = (254, 1);
    let mine = open(&mut r, GCS, 0, "/siyi_a8_mini.xml");
    let theirs = open(&mut r, other, 0, "/siyi_a8_mini.xml");
    let q = Payload::request(2, 0, opcode::RESET_SESSIONS, 0, 0, &[]);
    assert_ack(&one(send(&mut r, &q)), &q);
    let q = Payload::request(4, mine, opcode::READ_FILE, 10, 0, &[]);
    assert_nak(&one(send(&mut r, &q)), &q, NakCode::InvalidSession);
    let q = Payload::request(2, theirs, opcode::READ_FILE, 10, 0, &[]);
    assert_ack(&one(send_from(&mut r, other, &q)), &q);
}

#[test]
fn writes_are_protected_and_unknown_opcodes_unknown() {
    let mut r = rig();
    let s = open(&mut r, GCS, 0, "/siyi_a8_mini.xml");
    let mut seq = 2;
    for op in [
        opcode::CREATE_FILE,
        opcode::WRITE_FILE,
        opcode::REMOVE_FILE,
        opcode::CREATE_DIRECTORY,
        opcode::REMOVE_DIRECTORY,
        opcode::OPEN_FILE_WO,
        opcode::TRUNCATE_FILE,
        opcode::RENAME,
    ] {
        let q = Payload::request(seq, s, op, 16, 0, b"siyi_a8_mini.xml");
        assert_nak(&one(send(&mut r, &q)), &q, NakCode::FileProtected);
        seq += 2;
    }
    for op in [
        opcode::CALC_FILE_CRC32,
        16,
        100,
        127,
        opcode::ACK,
        opcode::NAK,
        255,
    ] {
        let q = Payload::request(seq, s, op, 0, 0, &[]);
        assert_nak(&one(send(&mut r, &q)), &q, NakCode::UnknownCommand);
        seq += 2;
    }
    let q = Payload::request(seq, s, opcode::NONE, 0, 0, &[]);
    let a = one(send(&mut r, &q));
    assert_ack(&a, &q);
    assert_eq!(a.size, 0);
    // The file is untouched and the session still reads.
    let q = Payload::request(seq + 2, s, opcode::READ_FILE, 239, 0, &[]);
    assert_eq!(
        one(send(&mut r, &q)).data(),
        &definition::XML.as_bytes()[..239]
    );
}

#[test]
fn the_root_lists_the_definition_and_nothing_else_exists() {
    let mut r = rig();
    let entry = format!("Fsiyi_a8_mini.xml\t{XML_LEN}\0");
    for path in ["", "/", "@MAV_ROOT", "@MAV_ROOT/", "//"] {
        let q = path_req(0, opcode::LIST_DIRECTORY, path);
        let a = one(send(&mut r, &q));
        assert_ack(&a, &q);
        assert_eq!(a.data(), entry.as_bytes(), "{path:?}");
        let mut q = path_req(2, opcode::LIST_DIRECTORY, path);
        q.offset = 1;
        assert_nak(&one(send(&mut r, &q)), &q, NakCode::Eof);
    }
    let q = path_req(4, opcode::LIST_DIRECTORY, "/etc");
    assert_nak(&one(send(&mut r, &q)), &q, NakCode::FileNotFound);
    for path in [
        "/other.xml",
        "/siyi_a8_mini.xm",
        "/etc/siyi_a8_mini.xml",
        "",
    ] {
        let q = path_req(6, opcode::OPEN_FILE_RO, path);
        assert_nak(&one(send(&mut r, &q)), &q, NakCode::FileNotFound);
    }
    // Not UTF-8: not found, no panic.
    let q = Payload::request(8, 0, opcode::OPEN_FILE_RO, 3, 0, &[0xff, 0xfe, 0x2f]);
    assert_nak(&one(send(&mut r, &q)), &q, NakCode::FileNotFound);
    assert_eq!(r.cam().ftp().open_sessions(), 0);
}

#[test]
fn only_requests_to_this_component_from_allowed_systems_are_served() {
    let mut r = rig();
    let q = path_req(0, opcode::OPEN_FILE_RO, "/siyi_a8_mini.xml");
    // Broadcast component, another component, another system: for someone else.
    for to in [(1, 0), (1, 1), (2, 100), (0, 100)] {
        assert!(send_to(&mut r, GCS, to, &q).is_empty(), "{to:?}");
    }
    assert_eq!(r.cam().ftp().stats().not_for_us, 4);
    assert_eq!(r.cam().ftp().open_sessions(), 0);
    // With --allow-sysid 255, system 7 gets nothing.
    let config = CameraConfig {
        system_id: Some(1),
        allowed_systems: vec![255],
        ..CameraConfig::default()
    };
    let link = camera_common::FakeLink::identified(r.t0);
    let mut r = Rig::with(CameraComponent::new(config, r.t0), link, r.t0);
    assert!(send_from(&mut r, (7, 1), &q).is_empty());
    assert_eq!(r.cam().ftp().stats().refused, 1);
    assert_ack(&one(send(&mut r, &q)), &q);
}

#[test]
fn garbage_requests_get_bounded_answers_and_never_panic() {
    let mut r = rig();
    let mut rng = rand::rngs::SmallRng::seed_from_u64(0x5eed_f7b0);
    for i in 0..3000u32 {
        let mut raw = [0u8; 251];
        rng.fill(&mut raw[..]);
        // Keep some in the interesting range: known opcodes and sessions.
        if i % 2 == 0 {
            raw[3] = rng.random_range(0..=16);
            raw[2] = rng.random_range(0..=5);
        }
        let q = Payload::decode(&raw);
        let replies = send(&mut r, &q);
        assert!(!replies.is_empty() && replies.len() <= MAX_BURST_REPLIES);
        for a in &replies {
            assert!(a.opcode == opcode::ACK || a.opcode == opcode::NAK);
            assert_eq!(a.req_opcode, q.opcode);
            assert!(usize::from(a.size) <= MAX_DATA_BYTES);
        }
        if i % 500 == 0 {
            r.advance(Duration::from_millis(10));
        }
    }
    assert!(r.cam().ftp().open_sessions() <= MAX_SESSIONS);
}
