use super::*;

fn info() -> StreamInfo {
    StreamInfo {
        path: "/main.264".into(),
        sps: vec![0x67, 0x42, 0xc0, 0x1f, 0xaa],
        pps: vec![0x68, 0xce, 0x3c, 0x80],
        fps: 30,
        width: 1280,
        height: 720,
    }
}

fn request(text: &str) -> Request<Vec<u8>> {
    let full = format!("{text}\r\n\r\n");
    match rtsp_types::Message::<Vec<u8>>::parse(full.as_bytes()) {
        Ok((rtsp_types::Message::Request(r), _)) => r,
        other => panic!("not a request: {other:?}"),
    }
}

fn header(resp: &Response<Vec<u8>>, name: &rtsp_types::HeaderName) -> String {
    resp.header(name)
        .map(|v| v.as_str().to_owned())
        .unwrap_or_default()
}

const BASE: &str = "rtsp://127.0.0.1:8554";

#[test]
fn a_tcp_session_from_options_to_teardown() {
    let mut s = RtspSession::new("ABC".into(), 0x1234_5678);
    let i = info();
    let (r, a) = s.handle(
        &request("OPTIONS rtsp://127.0.0.1:8554/main.264 RTSP/1.0\r\nCSeq: 1"),
        &i,
        BASE,
    );
    assert_eq!((r.status(), a), (StatusCode::Ok, Action::Reply));
    assert_eq!(header(&r, &headers::CSEQ), "1");
    assert!(header(&r, &headers::PUBLIC).contains("DESCRIBE"));

    let (r, _) = s.handle(&request("DESCRIBE rtsp://127.0.0.1:8554/main.264 RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp"), &i, BASE);
    assert_eq!(r.status(), StatusCode::Ok);
    assert_eq!(
        header(&r, &headers::CONTENT_BASE),
        "rtsp://127.0.0.1:8554/main.264/"
    );
    let sdp = String::from_utf8(r.body().clone()).unwrap();
    assert!(sdp.contains("a=rtpmap:96 H264/90000"), "{sdp}");
    assert!(sdp.contains("packetization-mode=1"), "{sdp}");
    assert!(sdp.contains("profile-level-id=42c01f"), "{sdp}");
    assert!(sdp.contains(&format!(
        "sprop-parameter-sets={},{}",
        base64(&i.sps),
        base64(&i.pps)
    )));

    // PLAY before SETUP is refused.
    let (r, a) = s.handle(
        &request("PLAY rtsp://127.0.0.1:8554/main.264/ RTSP/1.0\r\nCSeq: 3"),
        &i,
        BASE,
    );
    assert_eq!(
        (r.status(), a),
        (StatusCode::MethodNotValidInThisState, Action::Reply)
    );

    let (r, a) = s.handle(
        &request("SETUP rtsp://127.0.0.1:8554/main.264/trackID=0 RTSP/1.0\r\nCSeq: 4\r\nTransport: RTP/AVP/TCP;unicast;interleaved=2-3"),
        &i,
        BASE,
    );
    assert_eq!((r.status(), a), (StatusCode::Ok, Action::Reply));
    assert_eq!(s.target(), Some(RtpTarget::Interleaved { rtp: 2, rtcp: 3 }));
    assert!(header(&r, &headers::TRANSPORT).contains("interleaved=2-3"));
    assert!(header(&r, &headers::TRANSPORT).contains("ssrc=12345678"));
    assert_eq!(header(&r, &headers::SESSION), "ABC;timeout=60");

    // A wrong session id.
    let (r, _) = s.handle(
        &request("PLAY rtsp://127.0.0.1:8554/main.264/ RTSP/1.0\r\nCSeq: 5\r\nSession: XYZ"),
        &i,
        BASE,
    );
    assert_eq!(r.status(), StatusCode::SessionNotFound);
    let (r, a) = s.handle(
        &request("PLAY rtsp://127.0.0.1:8554/main.264/ RTSP/1.0\r\nCSeq: 6\r\nSession: ABC"),
        &i,
        BASE,
    );
    assert_eq!((r.status(), a), (StatusCode::Ok, Action::Play));
    assert!(s.playing());
    let (r, a) = s.handle(
        &request(
            "GET_PARAMETER rtsp://127.0.0.1:8554/main.264/ RTSP/1.0\r\nCSeq: 7\r\nSession: ABC",
        ),
        &i,
        BASE,
    );
    assert_eq!((r.status(), a), (StatusCode::Ok, Action::Reply));
    let (r, a) = s.handle(
        &request("TEARDOWN rtsp://127.0.0.1:8554/main.264/ RTSP/1.0\r\nCSeq: 8\r\nSession: ABC"),
        &i,
        BASE,
    );
    assert_eq!((r.status(), a), (StatusCode::Ok, Action::Teardown));
    assert!(!s.playing());
}

#[test]
fn wrong_path_udp_and_unknown_transports() {
    let mut s = RtspSession::new("S".into(), 1);
    let i = info();
    let (r, _) = s.handle(
        &request("DESCRIBE rtsp://127.0.0.1:8554/other.264 RTSP/1.0\r\nCSeq: 1"),
        &i,
        BASE,
    );
    assert_eq!(r.status(), StatusCode::NotFound);
    // UDP: the shell binds ports, then the answer names them.
    let req = request("SETUP rtsp://127.0.0.1:8554/main.264/trackID=0 RTSP/1.0\r\nCSeq: 2\r\nTransport: RTP/AVP;unicast;client_port=5000-5001");
    let (_, a) = s.handle(&req, &i, BASE);
    assert_eq!(a, Action::BindUdp);
    let r = s.udp_ready(&req, Some((6000, 6001)));
    assert_eq!(r.status(), StatusCode::Ok);
    assert!(header(&r, &headers::TRANSPORT).contains("server_port=6000-6001"));
    assert_eq!(
        s.target(),
        Some(RtpTarget::Udp {
            rtp: 5000,
            rtcp: 5001
        })
    );
    // Binding failed: 461, so the client may try TCP.
    let (_, a) = s.handle(&req, &i, BASE);
    assert_eq!(a, Action::BindUdp);
    assert_eq!(
        s.udp_ready(&req, None).status(),
        StatusCode::UnsupportedTransport
    );
    // Multicast only: 461.
    let (r, _) = s.handle(
        &request("SETUP rtsp://127.0.0.1:8554/main.264/trackID=0 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP;multicast"),
        &i,
        BASE,
    );
    assert_eq!(r.status(), StatusCode::UnsupportedTransport);
    // No Transport header at all.
    let (r, _) = s.handle(
        &request("SETUP rtsp://127.0.0.1:8554/main.264/trackID=0 RTSP/1.0\r\nCSeq: 4"),
        &i,
        BASE,
    );
    assert_eq!(r.status(), StatusCode::BadRequest);
    let (r, _) = s.handle(
        &request("RECORD rtsp://127.0.0.1:8554/main.264 RTSP/1.0\r\nCSeq: 5"),
        &i,
        BASE,
    );
    assert_eq!(r.status(), StatusCode::NotImplemented);
}

#[test]
fn base64_matches_rfc_4648_vectors() {
    for (raw, enc) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(base64(raw.as_bytes()), enc);
    }
}
