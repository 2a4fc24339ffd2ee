//! The web server's HTTP client (`io::media`) against a hostile server on loopback: over-long
//! answers are cut off (with or without a Content-Length), HTML error pages and malformed JSON
//! are told apart from the API's own errors, and nothing panics.

use axum::body::Body;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use siyi_bridge::core::media::api::{
    parse_count, parse_list, ApiError, ApiQuery, MediaKind, MAX_API_BODY_BYTES,
};
use siyi_bridge::io::media::{FetchError, MediaClient};

async fn serve(app: Router) -> MediaClient {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    MediaClient::new(format!("http://{addr}").parse().unwrap()).unwrap()
}

fn count() -> ApiQuery {
    ApiQuery::Count {
        path: String::new(),
    }
}

#[tokio::test]
async fn over_long_answers_are_cut_off() {
    let huge = MAX_API_BODY_BYTES + 1;
    let app = Router::new()
        .route(
            "/cgi-bin/media.cgi/api/v1/getmediacount",
            get(move || async move { vec![b' '; huge] }),
        )
        .route(
            "/cgi-bin/media.cgi/api/v1/getmedialist",
            // No Content-Length: a stream that goes on past the limit.
            get(move || async move {
                let chunks = (0..64).map(|_| Ok::<_, std::io::Error>(vec![b'['; 64 * 1024]));
                Response::new(Body::from_stream(futures_util::stream::iter(chunks)))
            }),
        );
    let client = serve(app).await;
    let r = client.api(MediaKind::Photos, &count()).await;
    assert!(matches!(r, Err(FetchError::TooLarge { .. })), "{r:?}");
    let list = ApiQuery::List {
        path: String::new(),
        start: 0,
        count: 10,
    };
    let r = client.api(MediaKind::Photos, &list).await;
    assert!(matches!(r, Err(FetchError::TooLarge { .. })), "{r:?}");
}

#[tokio::test]
async fn html_pages_and_malformed_json_are_judged_not_trusted() {
    let app = Router::new()
        .route(
            "/cgi-bin/media.cgi/api/v1/getmediacount",
            get(|| async {
                (
                    StatusCode::BAD_GATEWAY,
                    [(header::CONTENT_TYPE, "text/html")],
                    "<html><body><h1>502 Bad Gateway</h1></body></html>",
                )
                    .into_response()
            }),
        )
        .route(
            "/cgi-bin/media.cgi/api/v1/getmedialist",
            get(|| async { r#"{"code":200,"success":true,"data":{"list":[{"name":1}]"# }),
        )
        .route(
            "/cgi-bin/media.cgi/api/v1/getdirectories",
            get(|| async { "<html>it works</html>" }),
        );
    let client = serve(app).await;
    let a = client.api(MediaKind::Photos, &count()).await.unwrap();
    assert_eq!(
        parse_count(a.status, &a.body),
        Err(ApiError::Refused {
            status: 502,
            message: None
        })
    );
    let list = ApiQuery::List {
        path: "x".into(),
        start: 0,
        count: 1,
    };
    let a = client.api(MediaKind::Photos, &list).await.unwrap();
    assert!(matches!(
        parse_list(a.status, &a.body),
        Err(ApiError::Malformed(_))
    ));
    let a = client
        .api(MediaKind::Photos, &ApiQuery::Directories)
        .await
        .unwrap();
    assert_eq!(a.status, 200);
    assert!(matches!(
        siyi_bridge::core::media::api::parse_directories(a.status, &a.body),
        Err(ApiError::Malformed(_))
    ));
}

#[tokio::test]
async fn nothing_listening_is_no_answer() {
    // A port that was free a moment ago: connection refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = MediaClient::new(format!("http://127.0.0.1:{port}").parse().unwrap()).unwrap();
    let r = client.api(MediaKind::Videos, &ApiQuery::Directories).await;
    assert!(matches!(r, Err(FetchError::Unreachable(_))), "{r:?}");
}

/// A refused connection keeps its cause (issue 21: reqwest's own text is only "error sending
/// request for url (…)").
#[tokio::test]
async fn a_refused_connection_says_why() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener); // nothing listens there now
    let client = MediaClient::new(format!("http://{addr}").parse().unwrap()).unwrap();
    match client.api(MediaKind::Photos, &count()).await {
        Err(FetchError::Unreachable(text)) => {
            assert!(text.to_lowercase().contains("refused"), "{text}");
        }
        other => panic!("{other:?}"),
    }
}
