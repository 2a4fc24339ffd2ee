//! The probe's questions to the camera's web server: a client, one API call, file counts.

use std::net::SocketAddr;

use crate::core::media::api::{parse_count, parse_directories, ApiQuery, MediaKind};
use crate::io::media::MediaClient;

/// A client of the web server at `media`.
pub(super) fn media_client(media: SocketAddr) -> Option<MediaClient> {
    let base = url::Url::parse(&format!("http://{media}/")).ok()?;
    MediaClient::new(base).ok()
}

pub(super) async fn api(client: &MediaClient, query: &ApiQuery) -> Result<(u16, Vec<u8>), String> {
    client
        .api(MediaKind::Photos, query)
        .await
        .map(|a| (a.status, a.body))
        .map_err(|e| e.to_string())
}

/// The newest photo directory's path and count.
pub(super) async fn photo_count(client: &MediaClient) -> Option<(String, u32)> {
    let (status, body) = api(client, &ApiQuery::Directories).await.ok()?;
    let dir = parse_directories(status, &body).ok()?.pop()?;
    let (status, body) = api(
        client,
        &ApiQuery::Count {
            path: dir.path.clone(),
        },
    )
    .await
    .ok()?;
    Some((dir.path, parse_count(status, &body).ok()?))
}

pub(super) async fn count_in(client: &MediaClient, path: &str) -> Option<u32> {
    let (status, body) = api(
        client,
        &ApiQuery::Count {
            path: path.to_string(),
        },
    )
    .await
    .ok()?;
    parse_count(status, &body).ok()
}
