//! Issue 19, the MAVLink side, on virtual time: FTP sessions belong to their sender (items 4),
//! what one source can draw from the FTP server (item 5: heartbeat, bytes out per byte in, the
//! per-peer byte budget), and STATUSTEXT that answers one sender goes to it only, the same text
//! at most once a second (items 6 and 3). Bytes are counted on the wire: every frame is encoded
//! as the bridge sends it (`wire::encode`, MAVLink 2 unsigned).

mod camera_common;

use std::time::{Duration, Instant};

use camera_common::{Rig, GCS, GCS_LINK};
use mavlink::dialects::common::{
    MavMessage, MavParamExtType, MavSeverity, FILE_TRANSFER_PROTOCOL_DATA, PARAM_EXT_SET_DATA,
};
use rand::{Rng as _, SeedableRng as _};
use siyi_bridge::core::camera::{PeerId, Target, Transmit};
use siyi_bridge::core::mavlink::wire;
use siyi_bridge::core::mavlink::{
    Host, HostConfig, Outgoing, STATUSTEXT_MAX_CHUNKS, STATUSTEXT_RATE, STATUSTEXT_REPEAT,
};
use siyi_bridge::core::settings::ftp::payload::{opcode, NakCode, Payload};
use siyi_bridge::core::settings::ftp::{
    BYTES_OUT_PER_BYTE_IN, FTP_RATE, MAX_SESSIONS, MAX_SESSIONS_PER_PEER, SESSION_EVICTABLE_AFTER,
};

const PATH: &str = "/siyi_a8_mini.xml";

/// A request as the bridge would see it, and its wire bytes.
fn request(to: (u8, u8), p: &Payload) -> (MavMessage, usize) {
    let msg = MavMessage::FILE_TRANSFER_PROTOCOL(FILE_TRANSFER_PROTOCOL_DATA {
        target_network: 0,
        target_system: to.0,
        target_component: to.1,
        payload: p.encode(),
    });
    let t = Transmit {
        target: Target::All,
        system_id: GCS.0,
        component_id: GCS.1,
        message: Outgoing::Message(msg.clone()),
    };
    let bytes = wire::encode(&t, 0).len();
    (msg, bytes)
}

/// What one FTP request from `from` on `link` brought back: the replies (all checked to go to
/// that link only) and their wire bytes.
fn ftp(r: &mut Rig, link: PeerId, from: (u8, u8), p: &Payload) -> (Vec<Payload>, usize, usize) {
    let (msg, bytes_in) = request((1, 100), p);
    let out = r.feed(from, link, msg);
    let mut bytes_out = 0;
    let mut replies = Vec::new();
    for t in &out {
        if let Some(MavMessage::FILE_TRANSFER_PROTOCOL(f)) = t.mav() {
            assert_eq!(t.target, Target::Peer(link), "an FTP reply to another peer");
            bytes_out += wire::encode(t, 0).len();
            replies.push(Payload::decode(&f.payload));
        }
    }
    (replies, bytes_in, bytes_out)
}

fn replies(r: &mut Rig, link: PeerId, from: (u8, u8), p: &Payload) -> Vec<Payload> {
    ftp(r, link, from, p).0
}

fn one(v: Vec<Payload>) -> Payload {
    assert_eq!(v.len(), 1, "{v:?}");
    v.into_iter().next().expect("one")
}

fn is_nak(a: &Payload, code: NakCode) -> bool {
    a.opcode == opcode::NAK && a.data().first() == Some(&(code as u8))
}

fn open_req(seq: u16) -> Payload {
    Payload::request(
        seq,
        0,
        opcode::OPEN_FILE_RO,
        PATH.len() as u8,
        0,
        PATH.as_bytes(),
    )
}

fn read_req(seq: u16) -> Payload {
    Payload::request(seq, 0, opcode::READ_FILE, 100, 0, &[])
}

fn opens(r: &mut Rig, link: PeerId, from: (u8, u8), seq: u16) -> bool {
    let a = one(replies(r, link, from, &open_req(seq)));
    if a.opcode == opcode::ACK {
        assert_eq!(a.session, 0, "a sender's one session is 0");
        return true;
    }
    assert!(is_nak(&a, NakCode::NoSessionsAvailable), "{a:?}");
    false
}

fn reads(r: &mut Rig, link: PeerId, from: (u8, u8), seq: u16) -> bool {
    let a = one(replies(r, link, from, &read_req(seq)));
    if a.opcode == opcode::ACK {
        return true;
    }
    assert!(is_nak(&a, NakCode::InvalidSession), "{a:?}");
    false
}

/// A rig where GCS (link 7) and the other senders named heartbeat.
fn rig(heartbeating: &[(PeerId, (u8, u8))]) -> Rig {
    let mut r = Rig::ready();
    r.heartbeat(GCS, GCS_LINK);
    for (link, from) in heartbeating {
        r.heartbeat(*from, *link);
    }
    r
}

#[test]
fn another_senders_session_cannot_be_read_burst_or_closed() {
    let intruders = [(GCS_LINK, (GCS.0, GCS.1 + 1)), (8, GCS), (8, (250, 1))];
    let mut r = rig(&intruders);
    assert!(opens(&mut r, GCS_LINK, GCS, 0));
    let mut seq = 10;
    for (link, who) in intruders {
        for op in [
            opcode::READ_FILE,
            opcode::BURST_READ_FILE,
            opcode::TERMINATE_SESSION,
        ] {
            let q = Payload::request(seq, 0, op, 100, 0, &[]);
            let a = one(replies(&mut r, link, who, &q));
            assert!(
                is_nak(&a, NakCode::InvalidSession),
                "{who:?} on {link}: {a:?}"
            );
            seq += 2;
        }
    }
    // The owner's session is untouched: open and reading.
    assert_eq!(r.cam().ftp().open_sessions(), 1);
    assert!(reads(&mut r, GCS_LINK, GCS, seq));
}

#[test]
fn one_system_with_many_component_ids_cannot_take_every_slot() {
    let link = 8;
    let comps: Vec<(u8, u8)> = (1..=MAX_SESSIONS as u8).map(|c| (250, c)).collect();
    let mut r = rig(&[(link, (250, 1))]);
    let mut held = Vec::new();
    for (i, c) in comps.iter().enumerate() {
        if opens(&mut r, link, *c, i as u16 * 2) {
            held.push(*c);
        }
        // The same sender opening again (a new sequence number) still holds one session.
        opens(&mut r, link, *c, i as u16 * 2 + 1);
    }
    assert_eq!(held.len(), MAX_SESSIONS_PER_PEER);
    assert_eq!(r.cam().ftp().open_sessions(), MAX_SESSIONS_PER_PEER);
    // They keep reading every 100 ms; QGC on its own link still gets a session.
    let mut seq = 100;
    for _ in 0..30 {
        r.advance(Duration::from_millis(100));
        for c in &held {
            assert!(reads(&mut r, link, *c, seq));
            seq += 1;
        }
        for c in &comps[MAX_SESSIONS_PER_PEER..] {
            assert!(
                !opens(&mut r, link, *c, seq),
                "{c:?}: the link's share is used"
            );
            seq += 1;
        }
    }
    r.heartbeat(GCS, GCS_LINK);
    assert!(opens(&mut r, GCS_LINK, GCS, 500));
    assert!(reads(&mut r, GCS_LINK, GCS, 502));
}

#[test]
fn a_full_table_frees_the_least_recently_used_idle_session() {
    // One sender per link: four links fill the table.
    let senders: Vec<(PeerId, (u8, u8))> = (0..=MAX_SESSIONS as u8)
        .map(|i| (20 + PeerId::from(i), (200 + i, 190)))
        .collect();
    let mut r = rig(&senders);
    for (link, s) in &senders[..MAX_SESSIONS] {
        assert!(opens(&mut r, *link, *s, 0));
    }
    let (late_link, late) = senders[MAX_SESSIONS];
    assert!(!opens(&mut r, late_link, late, 0), "none is idle yet");
    // Used at 0.2 s (sender 2), 0.4 s (3), 0.5 s (0); sender 1 not since 0 s.
    let ms = Duration::from_millis;
    for (at, who) in [(200, 2), (400, 3), (500, 0)] {
        r.advance(ms(at) - (r.now - r.t0));
        let (link, s) = senders[who];
        assert!(reads(&mut r, link, s, at as u16));
    }
    // At 0.9 s nobody is idle for SESSION_EVICTABLE_AFTER (1 s): still refused.
    r.advance(ms(900) - (r.now - r.t0));
    assert!(!opens(&mut r, late_link, late, 2));
    // At 1.3 s senders 1 (1.3 s) and 2 (1.1 s) are idle long enough: the least recent goes.
    assert!(SESSION_EVICTABLE_AFTER == Duration::from_secs(1));
    r.advance(ms(1300) - (r.now - r.t0));
    assert!(opens(&mut r, late_link, late, 4));
    assert_eq!(r.cam().ftp().stats().sessions_evicted, 1);
    let (l1, s1) = senders[1];
    assert!(
        !reads(&mut r, l1, s1, 6),
        "the least recently used was freed"
    );
    for who in [0, 2, 3] {
        let (link, s) = senders[who];
        assert!(reads(&mut r, link, s, 8), "sender {who} keeps its session");
    }
    assert!(reads(&mut r, late_link, late, 10));
    assert_eq!(r.cam().ftp().open_sessions(), MAX_SESSIONS);
}

#[test]
fn a_source_that_never_heartbeats_draws_at_most_3_bytes_per_byte_and_no_burst() {
    let (link, spoofer) = (9, (42, 1));
    let mut r = rig(&[(link, (43, 1))]); // another system on its link heartbeats: not it
    assert!(opens(&mut r, link, spoofer, 0));
    // The 20-byte BurstReadFile: one NAK back, not 13 frames.
    let q = Payload::request(2, 0, opcode::BURST_READ_FILE, 239, 0, &[]);
    let (back, bytes_in, bytes_out) = ftp(&mut r, link, spoofer, &q);
    assert!(is_nak(&one(back), NakCode::Fail));
    assert!(
        bytes_out <= BYTES_OUT_PER_BYTE_IN * bytes_in,
        "{bytes_out} for {bytes_in}"
    );
    let q = Payload::request(4, 0, opcode::READ_FILE, 239, 0, &[]);
    assert!(is_nak(
        &one(replies(&mut r, link, spoofer, &q)),
        NakCode::Fail
    ));
    // Seeded garbage and well-formed requests: per request and in total ≤ 3 B out per B in.
    let mut rng = rand::rngs::SmallRng::seed_from_u64(0x5eed_0019);
    let (mut total_in, mut total_out) = (0usize, 0usize);
    for i in 0..3000u32 {
        let mut raw = [0u8; 251];
        let n = rng.random_range(0..=251);
        rng.fill(&mut raw[..n]);
        raw[2] = 0;
        raw[3] = rng.random_range(0..=16);
        if i % 3 == 0 {
            raw[4] = rng.random_range(1..=239);
        }
        let (back, b_in, b_out) = ftp(&mut r, link, spoofer, &Payload::decode(&raw));
        assert!(back.len() <= 1, "{i}: {} replies", back.len());
        assert!(
            b_out <= BYTES_OUT_PER_BYTE_IN * b_in,
            "{i}: {b_out} for {b_in}"
        );
        (total_in, total_out) = (total_in + b_in, total_out + b_out);
        if i % 100 == 0 {
            r.advance(Duration::from_millis(100));
            r.heartbeat((43, 1), link);
        }
    }
    assert!(total_out <= BYTES_OUT_PER_BYTE_IN * total_in);
    assert!(r.cam().ftp().stats().not_heartbeating >= 2);
    // Once it heartbeats, it is served as a ground station.
    r.heartbeat(spoofer, link);
    assert!(opens(&mut r, link, spoofer, 9000));
    let q = Payload::request(9002, 0, opcode::BURST_READ_FILE, 239, 0, &[]);
    assert!(replies(&mut r, link, spoofer, &q).len() > 1);
    // Its heartbeat counts for 10 s only.
    r.advance(Duration::from_secs(10));
    assert!(opens(&mut r, link, spoofer, 9004));
    let q = Payload::request(9006, 0, opcode::BURST_READ_FILE, 239, 0, &[]);
    assert!(is_nak(
        &one(replies(&mut r, link, spoofer, &q)),
        NakCode::Fail
    ));
}

#[test]
fn a_heartbeating_peer_draws_at_most_its_ftp_byte_budget() {
    let other = (8, (250, 1));
    let mut r = rig(&[other]);
    assert!(opens(&mut r, GCS_LINK, GCS, 0));
    let period = Duration::from_secs(10);
    let (mut total, mut seq, mut bursts) = (0usize, 2u16, 0);
    let start = r.now;
    while r.now - start < period {
        let q = Payload::request(seq, 0, opcode::BURST_READ_FILE, 239, 0, &[]);
        let (back, _, bytes) = ftp(&mut r, GCS_LINK, GCS, &q);
        if let Some(last) = back.last() {
            assert!(last.burst_complete == 1 || last.opcode == opcode::NAK);
        }
        total += bytes;
        seq = seq.wrapping_add(40);
        bursts += 1;
        r.advance(Duration::from_millis(5));
        if bursts % 100 == 0 {
            r.heartbeat(GCS, GCS_LINK);
            r.heartbeat(other.1, other.0);
        }
    }
    let most = FTP_RATE.most_within(period) as usize;
    assert!(total <= most, "{total} B in 10 s, budget {most}");
    assert!(total >= most / 2, "{total} B: the budget is hardly used");
    assert!(r.cam().ftp().stats().over_budget > 0);
    // The budget is per peer: the other link is served in full at once.
    let (l, s) = other;
    assert!(opens(&mut r, l, s, 0));
    let q = Payload::request(2, 0, opcode::BURST_READ_FILE, 239, 0, &[]);
    let full = replies(&mut r, l, s, &q);
    assert!(full.len() > 10 && full.iter().all(|a| a.opcode == opcode::ACK));
    // The flooding peer, quiet for the burst's refill time, gets a whole burst again.
    let refill = FTP_RATE.burst / FTP_RATE.per_second;
    r.advance(Duration::from_secs(refill));
    r.heartbeat(GCS, GCS_LINK);
    assert!(opens(&mut r, GCS_LINK, GCS, seq));
    let q = Payload::request(seq.wrapping_add(2), 0, opcode::BURST_READ_FILE, 239, 0, &[]);
    assert_eq!(replies(&mut r, GCS_LINK, GCS, &q).len(), full.len());
}

fn statustexts(out: &[Transmit]) -> Vec<(Target, String)> {
    out.iter()
        .filter_map(|t| match t.mav() {
            Some(MavMessage::STATUSTEXT(s)) => {
                Some((t.target, s.text.to_str().unwrap_or("?").to_string()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_wrong_typed_param_ext_set_answers_its_sender_only_and_not_2360_times() {
    let mut r = rig(&[(8, (250, 1)), (9, (251, 1))]);
    let set = MavMessage::PARAM_EXT_SET(PARAM_EXT_SET_DATA {
        target_system: 1,
        target_component: 100,
        param_id: "STREAM_BITRATE".into(),
        param_value: [0u8; 128].into(),
        param_type: MavParamExtType::MAV_PARAM_EXT_TYPE_REAL32,
    });
    let mut texts = Vec::new();
    let start = r.now;
    // 2 360 sets in 10 s, as in the issue.
    for _ in 0..2360 {
        texts.extend(statustexts(&r.feed(GCS, GCS_LINK, set.clone())));
        texts.extend(statustexts(&r.advance(Duration::from_micros(4_237))));
    }
    let secs = (r.now - start).as_secs_f64().ceil() as usize;
    assert!(!texts.is_empty(), "the sender is told");
    for (to, text) in &texts {
        assert_eq!(*to, Target::Peer(GCS_LINK), "{text:?} went to {to:?}");
    }
    assert!(texts
        .iter()
        .any(|(_, t)| t.contains("STREAM_BITRATE is a UINT32")));
    // The same text at most once a second: ≤ 11 texts of ≤ 4 chunks in these 10 s.
    assert!(
        texts.len() <= (secs + 1) * STATUSTEXT_MAX_CHUNKS,
        "{} chunks in {secs} s",
        texts.len()
    );
}

#[test]
#[allow(clippy::disallowed_methods)] // the one real instant; all else is virtual time
fn the_host_says_the_same_text_at_most_once_a_second_and_within_its_budget() {
    let t0 = Instant::now();
    let config = HostConfig {
        system_id: Some(1),
        component_id: 100,
        dedupe_window: Duration::from_secs(3),
        allowed_systems: Vec::new(),
    };
    let mut host = Host::new(config, t0);
    let warn = MavSeverity::MAV_SEVERITY_WARNING;
    let drain = |host: &mut Host| {
        let mut v = Vec::new();
        while let Some(t) = host.poll_transmit() {
            v.push(t);
        }
        statustexts(&v)
    };
    // 100 times in 0.99 s: once. Another text in between still goes.
    for i in 0..100u64 {
        host.tick(t0 + Duration::from_millis(i * 10));
        host.statustext(warn, "Camera lost");
        host.statustext(warn, &format!("other {}", i % 2));
    }
    let said = drain(&mut host);
    let lost: Vec<_> = said.iter().filter(|(_, t)| t == "Camera lost").collect();
    assert_eq!(lost.len(), 1, "{said:?}");
    assert_eq!(said.iter().filter(|(_, t)| t == "other 1").count(), 1);
    // A second later it may be said again; to one peer it is another destination.
    host.tick(t0 + STATUSTEXT_REPEAT);
    host.statustext(warn, "Camera lost");
    host.statustext_to(7, warn, "Camera lost");
    host.statustext_to(7, warn, "Camera lost");
    let said = drain(&mut host);
    assert_eq!(
        said,
        [
            (Target::All, "Camera lost".to_string()),
            (Target::Peer(7), "Camera lost".to_string())
        ]
    );
    // 10 000 different texts over 10 s: within the chunk budget, and a 4 000-byte text is at
    // most STATUSTEXT_MAX_CHUNKS chunks.
    let t1 = t0 + Duration::from_secs(100);
    let mut n = 0;
    for i in 0..10_000u64 {
        host.tick(t1 + Duration::from_millis(i));
        host.statustext(warn, &format!("text {i}"));
        n += drain(&mut host).len();
    }
    let most = STATUSTEXT_RATE.most_within(Duration::from_secs(10)) as usize;
    assert!(n <= most && n >= most / 2, "{n} chunks, budget {most}");
    host.tick(t1 + Duration::from_secs(100));
    host.statustext(warn, &"é".repeat(2000));
    let chunks = drain(&mut host);
    assert!(!chunks.is_empty() && chunks.len() <= STATUSTEXT_MAX_CHUNKS);
}
