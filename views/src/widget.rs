//! Small widgets of our own.

pub mod keys;
pub mod status_dot;
