//! Stream encoding (0x21 set, then a 0x20 read-back of the same stream).
//!
//! 0x21 is answered with a status only; what the camera really took is known from reading the
//! stream again. The A8 mini answers status 1 to a codec change but keeps the old codec until
//! it is power-cycled, so a read-back that differs only in the codec says exactly that.

use siyi_protocol::{EncodingParams, Reply, Request};

use super::{failed, ActiveOp, Wait};
use crate::core::link::{FailReason, OpOutcome};

/// What setting `params` waits for first: the 0x21 status.
pub(in crate::core::link) fn wait(params: EncodingParams) -> Wait {
    Wait::EncodingSet { params }
}

/// What a reply to an encoding operation's request does.
#[derive(Clone, PartialEq, Debug)]
pub(in crate::core::link) enum After {
    /// The operation ends.
    Finish(OpOutcome),
    /// Send this request for the operation (with its new wait) and keep waiting.
    Ask(ActiveOp, Request),
}

/// What `reply` does to `a` (`None`: `a` is not an encoding operation).
pub(in crate::core::link) fn on_reply(mut a: ActiveOp, reply: &Reply) -> Option<After> {
    let (Wait::EncodingSet { params } | Wait::EncodingReadBack { params }) = a.wait else {
        return None;
    };
    let read_back = Request::GetEncoding(params.stream);
    Some(match reply {
        Reply::SetEncoding { status: 1, .. } => {
            a.wait = Wait::EncodingReadBack { params };
            After::Ask(a, read_back)
        }
        Reply::SetEncoding { status, .. } => {
            After::Finish(failed(FailReason::EncodingRefused(*status)))
        }
        // A late answer to a poll of another stream: ask for ours again.
        Reply::Encoding(read) if read.stream != params.stream => After::Ask(a, read_back),
        Reply::Encoding(read) => After::Finish(compare(&params, read)),
        _ => After::Finish(OpOutcome::Succeeded { confirmed: false }),
    })
}

/// The outcome of sending `sent` when the stream then reads `read`.
fn compare(sent: &EncodingParams, read: &EncodingParams) -> OpOutcome {
    let shape = |e: &EncodingParams| (e.width_px, e.height_px, e.bitrate_kbps);
    if shape(sent) != shape(read) {
        failed(FailReason::EncodingUnchanged)
    } else if sent.codec != read.codec {
        failed(FailReason::CodecAfterPowerCycle)
    } else {
        OpOutcome::Succeeded { confirmed: true }
    }
}

#[cfg(test)]
mod tests {
    use siyi_protocol::{StreamType, VideoCodec};

    use super::*;
    use crate::core::link::{OpId, Operation};

    fn params(codec: VideoCodec, bitrate_kbps: u16) -> EncodingParams {
        EncodingParams {
            stream: StreamType::Main,
            codec,
            width_px: 1920,
            height_px: 1080,
            bitrate_kbps,
            framerate_fps: 30,
        }
    }

    fn op(p: EncodingParams) -> ActiveOp {
        ActiveOp {
            id: OpId(1),
            op: Operation::SetEncoding(p),
            wait: wait(p),
            deadline: None,
        }
    }

    #[test]
    fn an_accepted_set_is_read_back_and_compared() {
        let sent = params(VideoCodec::H265, 3000);
        let ok = Reply::SetEncoding {
            stream: StreamType::Main,
            status: 1,
        };
        let Some(After::Ask(a, req)) = on_reply(op(sent), &ok) else {
            panic!("status 1 must lead to a read-back");
        };
        assert_eq!(req, Request::GetEncoding(StreamType::Main));
        let same = on_reply(a, &Reply::Encoding(sent));
        assert_eq!(
            same,
            Some(After::Finish(OpOutcome::Succeeded { confirmed: true }))
        );
        let old = on_reply(a, &Reply::Encoding(params(VideoCodec::H265, 4000)));
        assert_eq!(
            old,
            Some(After::Finish(failed(FailReason::EncodingUnchanged)))
        );
        let codec = on_reply(a, &Reply::Encoding(params(VideoCodec::H264, 3000)));
        assert_eq!(
            codec,
            Some(After::Finish(failed(FailReason::CodecAfterPowerCycle)))
        );
        let mut other = sent;
        other.stream = StreamType::Recording;
        assert!(matches!(
            on_reply(a, &Reply::Encoding(other)),
            Some(After::Ask(_, Request::GetEncoding(StreamType::Main)))
        ));
    }

    #[test]
    fn status_zero_is_a_refusal() {
        let refused = Reply::SetEncoding {
            stream: StreamType::Main,
            status: 0,
        };
        assert_eq!(
            on_reply(op(params(VideoCodec::H265, 1800)), &refused),
            Some(After::Finish(failed(FailReason::EncodingRefused(0))))
        );
    }
}
