//! The people warnings go to, over HTTP: a guarded, paged list (numbers masked unless the
//! caller has `manage_recipients`), add/change/delete with a version check, a CSV/.xlsx import
//! with a line-numbered report, and counts per township × group for the composer.
//!
//! Personal data: nothing here logs a name or a number, writes the change log, or puts either
//! into an audit entry (which names the recipient's id and the fields that changed).

pub mod handlers;
pub mod import;
