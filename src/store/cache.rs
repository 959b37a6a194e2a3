//! The console's local cache: the network, observations and the sync cursor.
