//! The central's database: stations, observations, and the change log.
