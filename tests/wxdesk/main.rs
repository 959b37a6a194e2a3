//! The one integration-test binary (one link on two cores): each module tests one capability
//! end to end.

mod support;
mod ui;
