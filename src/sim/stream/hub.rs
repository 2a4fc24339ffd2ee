//! What the producer thread, the delay line and the connections of the video server share: the
//! players' queues, the IDR request, the counters.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use tokio::sync::mpsc;

/// Counters of a running server.
#[derive(Debug, Default)]
pub struct VideoStats {
    /// Pictures rendered and encoded.
    pub frames: AtomicU64,
    /// Encoded bytes (NAL units).
    pub bytes: AtomicU64,
    /// Render + encode time, µs, summed.
    pub busy_us: AtomicU64,
    /// Ticks skipped because the producer was behind.
    pub skipped: AtomicU64,
    /// Clients dropped because they stopped reading (their queue full, or a write stuck 2 s).
    pub dropped_clients: AtomicU64,
    /// Connections refused (too many).
    pub refused: AtomicU64,
}

/// One encoded picture on its way to the clients.
#[derive(Debug)]
pub(super) struct Picture {
    pub(super) rtp_ts: u32,
    pub(super) ntp: u64,
    pub(super) capture: Instant,
    pub(super) due: Instant,
    pub(super) idr: bool,
    pub(super) nals: Vec<Vec<u8>>,
}

pub(super) type PlayerTx = mpsc::Sender<Arc<Picture>>;

#[derive(Default)]
pub(super) struct HubState {
    pub(super) players: Vec<(u64, PlayerTx)>,
    pub(super) want_idr: bool,
    /// A client connected: the producer starts its encoder (the SDP needs SPS and PPS).
    pub(super) want_info: bool,
    pub(super) closed: bool,
}

/// What the producer, the delay line and the connections share.
#[derive(Default)]
pub(super) struct Hub {
    state: Mutex<HubState>,
    pub(super) wake: Condvar,
    pub(super) stats: Arc<VideoStats>,
}

impl Hub {
    pub(super) fn lock(&self) -> MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn add_player(&self, id: u64, tx: PlayerTx) {
        let mut s = self.lock();
        s.players.retain(|(i, _)| *i != id);
        s.players.push((id, tx));
        s.want_idr = true;
        self.wake.notify_all();
    }

    pub(super) fn remove_player(&self, id: u64) {
        self.lock().players.retain(|(i, _)| *i != id);
    }

    /// Asks the producer for the stream's parameters (it starts its encoder).
    pub(super) fn want_info(&self) {
        self.lock().want_info = true;
        self.wake.notify_all();
    }

    pub(super) fn close(&self) {
        self.lock().closed = true;
        self.wake.notify_all();
    }
}

/// SplitMix64's finaliser.
pub(super) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
