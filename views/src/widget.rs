//! Small widgets of our own.

pub mod chip;
pub mod frame;
pub mod highlight;
pub mod keys;
pub mod layer;
pub mod status_dot;
mod wrapped;
