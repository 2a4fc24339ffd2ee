//! Where to speak MAVLink: the `--mavlink` address as a plain value (parsing and display).
//! No sockets here; [`crate::io::mavlink::open`] opens one.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

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
    /// `serial:///dev/x:BAUD` are accepted too.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |why: &str| EndpointError {
            input: s.to_owned(),
            why: why.to_owned(),
        };
        let (scheme, rest) = s.split_once(':').ok_or_else(|| err("no scheme"))?;
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let sock = |rest: &str| -> Result<SocketAddr, EndpointError> {
            let rest = if rest.starts_with(':') {
                format!("0.0.0.0{rest}")
            } else {
                rest.to_owned()
            };
            rest.parse::<SocketAddr>()
                .map_err(|e| err(&format!("{rest:?} is not IP:PORT ({e})")))
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
        for bad in [
            "",
            "udpin",
            "udpin:1.2.3.4",
            "foo:1.2.3.4:5",
            "serial:/dev/x",
            "tcpout::5",
        ] {
            assert!(bad.parse::<Endpoint>().is_err(), "{bad}");
        }
    }
}
