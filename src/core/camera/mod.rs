//! The MAVLink camera component (camera protocol v2).
