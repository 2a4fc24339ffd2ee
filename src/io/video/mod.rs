//! Video in: the camera's H.264 over RTSP, decoded to luma, tracked by `siyi-vision` on threads
//! of its own (docs/video-in.md).
//!
//! * [`nal`]: NAL unit framing (Annex B, AVCC, avcC), sans-IO, fuzzed: the decoder sees only
//!   what it lets through.
//! * [`decode`]: OpenH264, luma only, a decoder error costs one frame.
//! * [`clock`]: each frame's capture time on our clock (RTCP sender reports, else arrival
//!   minus a configured latency), sans-IO.
//! * [`rtsp`]: the `retina` client, reconnecting with backoff, its states in words.
//! * [`pipeline`]: decode then track, timed apart.
//! * [`source`]: the threads that pull, decode and track while asked, and report boxes with
//!   their frame's capture time.
//! * [`file`]: `.h264` (Annex B) files for `siyi-bridge track`.
pub mod clock;
pub mod decode;
pub mod file;
pub mod nal;
pub mod pipeline;
pub mod rtsp;
pub mod source;
