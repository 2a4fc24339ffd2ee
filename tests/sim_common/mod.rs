//! The sans-IO simulated A8 mini on virtual time, as the simulator tests drive it: requests in,
//! frames out, every deadline run in order under a spin guard. No sockets, no sleeps.
#![allow(dead_code, unreachable_pub)] // each test binary uses a part

use std::time::{Duration, Instant};

use siyi_bridge::sim::{SimCamera, SimConfig};
use siyi_bridge::testing::SpinGuard;
use siyi_protocol::{Frame, Reply, Request};

/// The one real clock read of these tests: an arbitrary origin for virtual time.
#[allow(clippy::disallowed_methods)]
pub fn origin() -> Instant {
    Instant::now()
}

/// `n` milliseconds.
pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A simulated camera powered up at `t0`, at virtual time `now`.
pub struct Rig {
    pub cam: SimCamera,
    pub t0: Instant,
    pub now: Instant,
}

impl Rig {
    pub fn new(config: SimConfig) -> Self {
        let t0 = origin();
        Self {
            cam: SimCamera::new(config, t0),
            t0,
            now: t0,
        }
    }

    /// Moves to `offset_ms` after power-up (timers due by then run).
    pub fn at(&mut self, offset_ms: u64) -> &mut Self {
        self.now = self.t0 + ms(offset_ms);
        self.cam.handle_timeout(self.now);
        self
    }

    pub fn send(&mut self, req: Request) -> &mut Self {
        let bytes = req.to_frame(0x1234).to_bytes();
        self.cam.handle_datagram(self.now, &bytes);
        self
    }

    /// Every frame sent since last asked (one per datagram).
    pub fn frames(&mut self) -> Vec<Frame> {
        let mut out = Vec::new();
        while let Some(bytes) = self.cam.poll_transmit() {
            let (frame, used) = Frame::parse(&bytes).expect("valid frame");
            assert_eq!(used, bytes.len(), "one frame per datagram");
            out.push(frame);
        }
        out
    }

    pub fn replies(&mut self) -> Vec<Reply> {
        self.frames()
            .iter()
            .map(|f| Reply::from_frame(f).expect("decodable reply"))
            .collect()
    }

    /// Sends `req` and returns the single reply (panics when there is none or several).
    pub fn ask(&mut self, req: Request) -> Reply {
        self.send(req);
        let mut r = self.replies();
        assert_eq!(r.len(), 1, "expected exactly one reply, got {r:?}");
        r.remove(0)
    }

    /// Runs `handle_timeout` at every deadline up to `until_ms`, handing each frame sent, with
    /// its time after power-up, to `seen` (which may look at the camera then).
    pub fn run_until_with(
        &mut self,
        until_ms: u64,
        mut seen: impl FnMut(Duration, Frame, &SimCamera),
    ) {
        let end = self.t0 + ms(until_ms);
        let mut guard = SpinGuard::new("sim Rig::run_until", self.t0);
        while let Some(t) = self.cam.poll_timeout().filter(|&t| t <= end) {
            guard.tick(t, t);
            self.now = t;
            self.cam.handle_timeout(t);
            for f in self.frames() {
                seen(t - self.t0, f, &self.cam);
            }
        }
        self.at(until_ms);
        for f in self.frames() {
            seen(ms(until_ms), f, &self.cam);
        }
    }

    /// [`Rig::run_until_with`], collecting the frames with their time.
    pub fn run_until(&mut self, until_ms: u64) -> Vec<(Duration, Frame)> {
        let mut out = Vec::new();
        self.run_until_with(until_ms, |t, f, _| out.push((t, f)));
        out
    }
}
