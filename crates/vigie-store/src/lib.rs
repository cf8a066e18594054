//! The device store (being written).
