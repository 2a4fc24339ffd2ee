//! The simulator through its real UDP server on 127.0.0.1 (ephemeral ports, bounded timeouts).

use std::time::Duration;

use siyi_bridge::sim::{server, SimConfig};
use siyi_protocol::{
    CameraModel, Ctrl, FeedbackCode, FirmwareVersion, Frame, FunctionType, Reply, Request,
};
use tokio::net::UdpSocket;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(2);

async fn recv_reply(socket: &UdpSocket) -> (Frame, Reply) {
    let mut buf = [0u8; 512];
    let (len, _) = timeout(WAIT, socket.recv_from(&mut buf))
        .await
        .expect("reply within 2 s")
        .expect("recv");
    let (frame, _) = Frame::parse(&buf[..len]).expect("valid frame");
    let reply = Reply::from_frame(&frame).expect("decodable");
    (frame, reply)
}

#[tokio::test]
async fn loopback_requests_replies_and_pushes() {
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (addr, task) = server::spawn_with_shutdown(
        "127.0.0.1:0".parse().unwrap(),
        SimConfig::instant_boot(),
        async {
            let _ = stop_rx.await;
        },
    )
    .await
    .expect("bind");
    assert!(addr.ip().is_loopback() && addr.port() != 0);

    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    // Two frames in one datagram: two replies, one datagram each.
    let mut datagram = Request::FirmwareVersion.to_frame(7).to_bytes();
    datagram.extend(Request::HardwareId.to_frame(8).to_bytes());
    client.send_to(&datagram, addr).await.unwrap();

    let (frame, reply) = recv_reply(&client).await;
    assert_eq!(frame.ctrl, Ctrl::REPLY);
    assert_eq!(frame.seq, 0);
    assert_eq!(
        reply,
        Reply::FirmwareVersion {
            camera: FirmwareVersion::new(0, 2, 8),
            gimbal: FirmwareVersion::new(0, 3, 9),
            zoom: None
        }
    );
    match recv_reply(&client).await.1 {
        Reply::HardwareId(id) => assert_eq!(id.model(), CameraModel::A8Mini),
        other => panic!("unexpected {other:?}"),
    }

    // A photo: no ACK, then a 0x0B push about 250 ms later.
    client
        .send_to(
            &Request::Function(FunctionType::TakePhoto)
                .to_frame(9)
                .to_bytes(),
            addr,
        )
        .await
        .unwrap();
    assert_eq!(
        recv_reply(&client).await.1,
        Reply::FunctionFeedback(FeedbackCode::PhotoOk)
    );

    stop_tx.send(()).unwrap();
    let stats = timeout(WAIT, task)
        .await
        .expect("server stops")
        .expect("task")
        .expect("serve");
    assert_eq!(stats.frames_in, 3);
    assert_eq!(stats.frames_out, 3);
}
