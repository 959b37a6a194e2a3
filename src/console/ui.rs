//! The console's views. They read `&AppState`, keep their own view state, and emit
//! commands; they never do I/O.
