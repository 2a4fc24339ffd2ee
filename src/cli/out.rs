//! What commands print on stdout goes through [`outln!`] and [`out!`]: they return the write's
//! error instead of panicking as `println!` does when the reader of a pipe has gone
//! (`siyi-bridge replay FILE | head -1`). The error travels up like any other, and `main` ends
//! the command quietly, exit 0, when it is a broken pipe ([`is_broken_pipe`]).

/// `println!` that returns `std::io::Result<()>`.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)
    }};
}

/// `print!` that returns `std::io::Result<()>` (and flushes, so a pipe sees it now).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        write!(stdout, $($arg)*).and_then(|()| stdout.flush())
    }};
}

/// Whether `e` (or one of its causes) is a write to a pipe whose reader has gone.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_pipe_is_found_under_context() {
        let pipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        let e = anyhow::Error::new(pipe).context("writing the timeline");
        assert!(is_broken_pipe(&e));
        let other = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert!(!is_broken_pipe(&anyhow::Error::new(other)));
        assert!(!is_broken_pipe(&anyhow::anyhow!("Broken pipe")));
    }
}
