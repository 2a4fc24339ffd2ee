//! The A8 mini simulator. Never imports `crate::core`, so it cannot share the bridge's bugs.
