//! The Excel writer, which lives in [`crate::formats::xlsx`] so the central may write
//! workbooks too.

pub use crate::formats::xlsx::*;
