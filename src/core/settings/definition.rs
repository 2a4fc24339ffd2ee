//! The camera definition file (`siyi_a8_mini.xml`): the settings QGroundControl shows for the
//! camera (the six PARAM_EXT parameters), served over MAVLink FTP by the camera component and
//! announced in CAMERA_INFORMATION (`cam_definition_uri` = [`URI`], `cam_definition_version` =
//! [`VERSION`]).
//!
//! Ground stations cache a definition by vendor, model and version and never fetch it again,
//! so the version must change with the file: a unit test pins a hash of the XML next to
//! [`VERSION`] and fails, saying what to do, when one changes without the other.

use super::ftp::{FtpFile, FtpServer};

/// The file's name in the FTP root.
pub const FILE_NAME: &str = "siyi_a8_mini.xml";
/// The definition itself.
pub const XML: &str = include_str!("siyi_a8_mini.xml");
/// `cam_definition_version`, equal to the XML's `<definition version>`. Starts at 100 so it
/// cannot meet a cached `SIYI_A8 mini_0NN.xml` of another A8 mini camera manager.
pub const VERSION: u16 = 100;
/// `cam_definition_uri`: a file on the camera component itself. No `[;comp=N]` part: MAVSDK's
/// camera plugin does not strip it, and QGroundControl asks the camera component anyway.
pub const URI: &str = "mftp://siyi_a8_mini.xml";

/// The FTP server of the camera component: the definition and nothing else.
pub fn ftp_server() -> FtpServer {
    FtpServer::new(vec![FtpFile::new(FILE_NAME, XML.as_bytes())])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FNV-1a (64 bit) of the XML this [`VERSION`] was given for.
    const XML_FNV1A: u64 = 0xacfd_1ee1_bd4b_a197;

    fn fnv1a(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    #[test]
    fn the_version_changes_with_the_xml() {
        assert_eq!(
            fnv1a(XML.as_bytes()),
            XML_FNV1A,
            "siyi_a8_mini.xml changed: bump VERSION (and <definition version> in the XML), \
             then set XML_FNV1A to {:#x} (the hash of the edited file)",
            fnv1a(XML.as_bytes())
        );
    }

    #[test]
    fn the_xml_says_the_same_version() {
        assert!(XML.contains(&format!("<definition version=\"{VERSION}\">")));
        assert_eq!(XML.matches("<definition ").count(), 1);
    }

    #[test]
    fn the_uri_names_the_served_file() {
        assert_eq!(URI.strip_prefix("mftp://"), Some(FILE_NAME));
    }
}
