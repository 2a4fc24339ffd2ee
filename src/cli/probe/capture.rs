//! The web-server and photo questions: does the media API answer, does a photo come with a 0x0B,
//! and how long until the web server lists it.
//!
//! Owns nothing between calls: each function asks, and returns the reports for the runner.

use siyi_protocol::{CmdId, FunctionType, Request};

use std::time::Duration;

use super::options::ProbeOptions;
use super::web;
use super::wire::{ms, Wire};
use crate::core::media::api::ApiQuery;
use crate::core::probe::{self, Question, QuestionId, QuestionReport};
use crate::io::siyi::clock_now;

/// Longest wait for the photo's 0x0B.
const PHOTO_FEEDBACK_TIMEOUT: Duration = Duration::from_millis(3000);
/// Longest wait for the new photo to be listed, and the interval between looks.
const LISTED_TIMEOUT: Duration = Duration::from_millis(10_000);
const LISTED_POLL: Duration = Duration::from_millis(100);

/// The web server question: the media API's directory list on the camera's media port.
pub(super) async fn web_server(opts: &ProbeOptions) -> QuestionReport {
    let port = opts.media.port();
    let result = match web::media_client(opts.media) {
        Some(client) => web::api(&client, &ApiQuery::Directories).await,
        None => Err("cannot build the HTTP client".into()),
    };
    QuestionReport {
        id: QuestionId::WebServer,
        cmd: "http".into(),
        title: format!("web server (media API) on port {port}"),
        sent: vec![format!(
            "GET http://{}/cgi-bin/media.cgi/api/v1/getdirectories?media_type=0",
            opts.media
        )],
        judgement: probe::judge_web(&result, port),
        a8_len: None,
        skipped: false,
        details: Default::default(),
    }
}

/// One photo (0x0C): the 0x0B feedback question, then the "listed by the web server" question
/// (counted before and after the shot when the web server answered).
pub(super) async fn photo(
    wire: &mut Wire,
    opts: &ProbeOptions,
    web_ok: bool,
) -> [QuestionReport; 2] {
    let client = if web_ok {
        web::media_client(opts.media)
    } else {
        None
    };
    let before = match &client {
        Some(c) => web::photo_count(c).await,
        None => None,
    };
    let shot = Request::Function(FunctionType::TakePhoto);
    let (hex, at) = wire.send(&shot).await;
    let heard = wire
        .listen(at, at + PHOTO_FEEDBACK_TIMEOUT, |h| {
            probe::answered(CmdId::FUNCTION_FEEDBACK, h)
        })
        .await;
    let mut sent = vec![hex];
    let alive = if probe::answered(CmdId::FUNCTION_FEEDBACK, &heard) {
        None
    } else {
        Some(wire.alive(opts.reply_timeout, &mut sent).await)
    };
    let j = probe::judge_photo_feedback(&heard, ms(PHOTO_FEEDBACK_TIMEOUT), alive);
    let q = Question {
        id: QuestionId::PhotoFeedback,
        title: "0x0B photo feedback over UDP (one photo taken)",
        request: shot,
        expect: probe::Expect::reply(CmdId::FUNCTION_FEEDBACK, 1, 1),
    };
    let feedback = QuestionReport::new(&q, sent, j);

    // The file, by count.
    let mut listed = None;
    let mut waited_ms = 0;
    if let (Some(client), Some((path, count))) = (&client, &before) {
        let until = at + LISTED_TIMEOUT;
        while clock_now() < until {
            let n = web::count_in(client, path).await;
            waited_ms = ms(clock_now().saturating_duration_since(at));
            if let Some(n) = n.filter(|n| n > count) {
                listed = Some((n, waited_ms));
                break;
            }
            tokio::time::sleep(LISTED_POLL).await;
        }
    }
    let listed = QuestionReport {
        id: QuestionId::PhotoListed,
        cmd: "http".into(),
        title: "photo → listed by the web server".into(),
        sent: Vec::new(),
        judgement: probe::judge_listed(before.as_ref().map(|b| b.1), listed, waited_ms),
        a8_len: None,
        skipped: false,
        details: Default::default(),
    };
    [feedback, listed]
}
