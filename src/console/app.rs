//! The eframe application: `logic` drains backend events into the state, `ui` draws.
