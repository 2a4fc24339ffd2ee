//! Where to speak MAVLink: the `--mavlink` address as a plain value (parsing and display), and
//! how every address flag reads `HOST:PORT`. No sockets here; [`crate::io::mavlink::open`] opens
//! one.

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs as _};
use std::str::FromStr;

/// `HOST:PORT` as one socket address: an IP address as it is, a host name resolved once, now
/// (an IPv4 address preferred, as the simulator and most cameras listen on IPv4), and logged.
/// Every address flag (`--camera`, `--mavlink udpin:/udpout:`, `sim --listen`) reads its value
/// with this, so all take the same spellings and fail with the same words.
pub fn resolve_host_port(text: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let addrs: Vec<SocketAddr> = text
        .to_socket_addrs()
        .map_err(|e| format!("{text:?} is not HOST:PORT ({e})"))?
        .collect();
    let addr = addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| format!("{text:?} resolves to no address"))?;
    tracing::info!("{text} resolves to {addr} (resolved once, at start)");
    Ok(addr)
}

/// Where to speak MAVLink.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Endpoint {
    /// Listen on a UDP address; answer every peer that sent us a valid frame (see
    /// [`crate::io::mavlink::peers`]).
    UdpIn(SocketAddr),
    /// Send to a UDP address from an ephemeral port of a socket connected to it: only that
    /// address is heard (the kernel drops datagrams from anyone else).
    UdpOut(SocketAddr),
    /// Connect to a TCP server (reconnects with backoff).
    TcpOut(String),
    /// A serial device at a baud rate (reopened with backoff).
    Serial {
        /// Device path, e.g. `/dev/ttyAMA0`.
        device: String,
        /// Baud rate, e.g. 921600.
        baud: u32,
    },
}

/// A MAVLink address that could not be understood.
#[derive(Debug, thiserror::Error)]
#[error("bad MAVLink address {input:?}: {why} (expected udpin:HOST:PORT, udpout:HOST:PORT, tcpout:HOST:PORT or serial:DEVICE:BAUD)")]
pub struct EndpointError {
    /// What was given.
    pub input: String,
    /// What is wrong.
    pub why: String,
}

impl FromStr for Endpoint {
    type Err = EndpointError;

    /// Parses `udpin:HOST:PORT`, `udpout:…`, `tcpout:…`, `serial:DEVICE:BAUD`; the MAVSDK
    /// spellings `udpin://HOST:PORT`, `udp://…` (= udpin), `tcp://…` (= tcpout) and
    /// `serial:///dev/x:BAUD` are accepted too; `udp:HOST:PORT` is refused with both spellings.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |why: &str| EndpointError {
            input: s.to_owned(),
            why: why.to_owned(),
        };
        let (scheme, rest) = s.split_once(':').ok_or_else(|| err("no scheme"))?;
        if scheme == "udp" && !rest.starts_with("//") {
            // `udp:` means listening to some tools and sending to others: never guess.
            return Err(err(
                "`udp:` is ambiguous: write udpin:HOST:PORT (listen there, answer whoever \
                 sends) or udpout:HOST:PORT (send there); MAVSDK's udp://HOST:PORT is udpin",
            ));
        }
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let sock = |rest: &str| -> Result<SocketAddr, EndpointError> {
            let rest = if rest.starts_with(':') {
                format!("0.0.0.0{rest}")
            } else {
                rest.to_owned()
            };
            resolve_host_port(&rest).map_err(|why| err(&why))
        };
        match scheme {
            "udpin" | "udp" => Ok(Self::UdpIn(sock(rest)?)),
            "udpout" => Ok(Self::UdpOut(sock(rest)?)),
            "tcpout" | "tcp" => {
                let (host, port) = rest.rsplit_once(':').ok_or_else(|| err("no port"))?;
                port.parse::<u16>().map_err(|_| err("bad port"))?;
                if host.is_empty() {
                    return Err(err("no host"));
                }
                Ok(Self::TcpOut(rest.to_owned()))
            }
            "serial" => {
                let (device, baud) = rest.rsplit_once(':').ok_or_else(|| err("no baud rate"))?;
                let baud = baud
                    .parse::<u32>()
                    .map_err(|_| err("baud rate is not a number"))?;
                if device.is_empty() {
                    return Err(err("no device"));
                }
                Ok(Self::Serial {
                    device: device.to_owned(),
                    baud,
                })
            }
            other => Err(err(&format!("unknown scheme {other:?}"))),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UdpIn(a) => write!(f, "udpin:{a}"),
            Self::UdpOut(a) => write!(f, "udpout:{a}"),
            Self::TcpOut(a) => write!(f, "tcpout:{a}"),
            Self::Serial { device, baud } => write!(f, "serial:{device}:{baud}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_is_an_ip_or_a_resolved_name_with_one_message_for_the_rest() {
        assert_eq!(
            resolve_host_port("10.0.0.5:82"),
            Ok("10.0.0.5:82".parse().unwrap())
        );
        assert_eq!(
            resolve_host_port("[::1]:82"),
            Ok("[::1]:82".parse().unwrap())
        );
        assert_eq!(
            resolve_host_port("localhost:37260"),
            Ok("127.0.0.1:37260".parse().unwrap())
        );
        for bad in ["1.2.3.4", "localhost", "localhost:x", ""] {
            let e = resolve_host_port(bad).unwrap_err();
            assert!(e.starts_with(&format!("{bad:?} is not HOST:PORT (")), "{e}");
        }
    }

    #[test]
    fn endpoints_parse() {
        let ok = [
            (
                "udpin:0.0.0.0:14550",
                Endpoint::UdpIn("0.0.0.0:14550".parse().unwrap()),
            ),
            (
                "udpin://127.0.0.1:14540",
                Endpoint::UdpIn("127.0.0.1:14540".parse().unwrap()),
            ),
            (
                "udp://:14540",
                Endpoint::UdpIn("0.0.0.0:14540".parse().unwrap()),
            ),
            (
                "udpout:127.0.0.1:14550",
                Endpoint::UdpOut("127.0.0.1:14550".parse().unwrap()),
            ),
            (
                "tcpout:localhost:5760",
                Endpoint::TcpOut("localhost:5760".into()),
            ),
            (
                "serial:/dev/ttyAMA0:921600",
                Endpoint::Serial {
                    device: "/dev/ttyAMA0".into(),
                    baud: 921_600,
                },
            ),
        ];
        for (s, e) in ok {
            assert_eq!(s.parse::<Endpoint>().unwrap(), e, "{s}");
        }
        // Host names are resolved once (localhost needs no DNS server).
        assert_eq!(
            "udpout:localhost:14550".parse::<Endpoint>().unwrap(),
            Endpoint::UdpOut("127.0.0.1:14550".parse().unwrap())
        );
        assert_eq!(
            "udpin://localhost:0".parse::<Endpoint>().unwrap(),
            Endpoint::UdpIn("127.0.0.1:0".parse().unwrap())
        );
        for bad in [
            "",
            "udpin",
            "udpin:localhost",
            "udpin:1.2.3.4",
            "foo:1.2.3.4:5",
            "serial:/dev/x",
            "tcpout::5",
        ] {
            assert!(bad.parse::<Endpoint>().is_err(), "{bad}");
        }
        let e = "udp:127.0.0.1:14550".parse::<Endpoint>().unwrap_err();
        assert!(
            e.why.contains("udpin:HOST:PORT") && e.why.contains("udpout:HOST:PORT"),
            "{}",
            e.why
        );
    }
}
