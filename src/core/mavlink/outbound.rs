//! What leaves the bridge on MAVLink, after every component has queued it: each component's own
//! sequence numbers.
//!
//! MAVLink receivers (PX4's `mavlink status`, QGC's link statistics) count a gap in one
//! sender's (system, component) sequence numbers as lost messages, so every component numbers
//! its own frames from 0, wrapping at 256.
//!
//! Owns: the sequence counters. Never touches: sockets, clocks, a component's state.

/// The next sequence number of every component id.
#[derive(Clone, Debug)]
pub struct Sequences {
    next: [u8; 256],
}

impl Default for Sequences {
    fn default() -> Self {
        Self { next: [0; 256] }
    }
}

impl Sequences {
    /// The sequence number for the next frame of `component` (then counts it).
    pub fn next(&mut self, component: u8) -> u8 {
        let slot = &mut self.next[usize::from(component)];
        let seq = *slot;
        *slot = seq.wrapping_add(1);
        seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_component_counts_on_its_own_and_wraps() {
        let mut s = Sequences::default();
        assert_eq!((s.next(100), s.next(154), s.next(100)), (0, 0, 1));
        for _ in 0..254 {
            s.next(100);
        }
        assert_eq!((s.next(100), s.next(154)), (0, 1));
    }
}
