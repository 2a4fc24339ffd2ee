//! Reading a small text file whose path comes from the user: at most a stated number of bytes,
//! so a path naming `/dev/zero`, a FIFO left open or a huge file by mistake is an error in
//! words instead of a read that fills the memory.

use std::io::{self, Read as _};
use std::path::Path;

/// The contents of `path` as UTF-8 text, or an error if it is longer than `max_bytes` (reading
/// stops just past the limit).
pub fn read_capped(path: &Path, max_bytes: u64) -> io::Result<String> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {max_bytes} bytes: not a file of this kind"),
        ));
    }
    String::from_utf8(bytes)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text"))
}

/// Whether the file at `path` can be read by its group or by others (a secret should not be),
/// `None` where it cannot be told.
pub fn readable_by_others(path: &Path) -> Option<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path).ok()?.permissions().mode();
        Some(mode & 0o044 != 0)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_within_the_cap_and_refuses_past_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, "x".repeat(100)).unwrap();
        assert_eq!(read_capped(&p, 100).unwrap().len(), 100);
        let e = read_capped(&p, 99).unwrap_err();
        assert!(e.to_string().contains("larger than 99 bytes"), "{e}");
        std::fs::write(&p, [0xff, 0xfe]).unwrap();
        assert!(read_capped(&p, 100).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn an_endless_file_is_refused_quickly() {
        let e = read_capped(Path::new("/dev/zero"), 4096).unwrap_err();
        assert!(e.to_string().contains("larger than 4096 bytes"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn group_or_world_readable_is_told() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("key");
        std::fs::write(&p, "k").unwrap();
        for (mode, open) in [(0o600, false), (0o400, false), (0o640, true), (0o644, true)] {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
            assert_eq!(readable_by_others(&p), Some(open), "{mode:o}");
        }
    }
}
