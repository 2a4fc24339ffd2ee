//! The camera's media (its SD card, served by its web server on HTTP port 82), sans-IO: what to
//! ask and what the answers mean. [`api`] is the web API's vocabulary.

pub mod api;
