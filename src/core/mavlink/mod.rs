//! What every MAVLink component of the bridge does, once: identity (the learned system id and
//! the autopilot it belongs to), heartbeat timing, the transmit queue and its targets,
//! STATUSTEXT (chunked), which peers are alive, retransmission de-dup, message intervals per
//! peer, and the routing of commands (addressing, broadcasts, allow-list, unknown numbers).
//!
//! A component (the camera today; the gimbal next) owns a [`host::Host`] and its own service
//! state. For each inbound frame it asks the host ([`host::Host::accept`]) and dispatches only
//! what the host hands back; the host turns the service's [`Handled`] into the COMMAND_ACK and
//! the messages that follow it. The host knows nothing about cameras.
//!
//! [`address`] says who a message is from and for (peers, targets, requesters); [`messages`]
//! builds what every component sends (HEARTBEAT, STATUSTEXT chunks, a command's answer).
//! [`wire`] is the MAVLink wire codec (frame splitter with resync, the encoder including the
//! hand-built COMMAND_ACK for unknown command numbers); the sockets and signing stay in `io`.
//! `heard` remembers which senders heartbeat. [`budget`] holds the token buckets that bound output per destination; `chatter` applies
//! them to STATUSTEXT (repeats, chunks, a budget for everyone and one per peer).
//! [`outbound`] numbers what leaves: each component its own sequence. `presence`: what goes
//! out before the system id is known (the startup hold), another component with our ids.
//!
//! Owns: the state listed above. Never touches: a SIYI link, a service's state, sockets, clocks.

pub mod address;
pub mod budget;
mod chatter;
pub mod dedupe;
mod heard;
pub mod host;
pub mod inbound;
pub mod messages;
pub mod outbound;
mod presence;
pub mod wire;

pub use address::{Addressed, Addressing, Outgoing, PeerId, Requester, Target, Transmit};
pub use chatter::{STATUSTEXT_MAX_CHUNKS, STATUSTEXT_RATE, STATUSTEXT_REPEAT};
pub use host::{Accepted, Host, HostConfig, HostEvent, HostStats, PEER_SILENT_TIMEOUT};
pub use inbound::{Command, Inbound, RawCommand};
pub use messages::{
    fixed_text, heartbeat, pack_firmware, statustext, Handled, STATUSTEXT_CHUNK_BYTES,
};
pub use presence::{rival_text, ECHO_SEQS, RIVAL_SILENT, STARTUP_HOLD};
