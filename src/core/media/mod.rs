//! The camera's media (its SD card, served by its web server on HTTP port 82), sans-IO: what to
//! ask and what the answers mean. [`api`] is the web API's vocabulary, [`listing`] walks a
//! kind's files page by page, [`geotag`] matches photos to the captured-image records and
//! writes their geotags.

pub mod api;
pub mod geotag;
pub mod listing;
