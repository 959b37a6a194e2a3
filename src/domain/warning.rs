//! Weather warning signals (预警信号), the pure core under the composer, the approval queue and
//! dispatch: the signal catalogue and its defence guidance, texts in the house style with
//! locked parts and must-edit placeholders, SMS segmentation, pre-send checks with coded
//! reasons, lifecycle rules and the CAP 1.2 export. No I/O: everything takes bytes or values.

pub mod approval;
pub mod catalogue;
pub mod channels;
pub mod checks;
pub mod criteria;
pub mod lifecycle;
pub mod replay;
pub mod sms;
pub mod suggest;
pub mod template;

pub use catalogue::{Catalogue, CatalogueError, Guidance, Level, SignalLevel, SignalType};
pub use lifecycle::Action;

use crate::domain::time::Timestamp;

/// `2026-12-06T16:30:00+08:00`: Beijing time with its offset, as CAP and the console show it.
pub fn beijing_rfc3339(t: Timestamp) -> String {
    t.beijing().format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// The national catalogue as shipped, for the domain's own tests (the domain may not reach
/// into `crate::assets`, so the files are read here at compile time).
#[cfg(test)]
pub(crate) fn shipped_catalogue() -> Catalogue {
    Catalogue::from_bytes(
        &include_bytes!("../../assets/signals/signals.json")[..],
        Some(&include_bytes!("../../assets/signals/defence_guides.json")[..]),
    )
    .expect("the shipped signal catalogue loads")
}
