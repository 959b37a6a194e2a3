//! The no-configuration default: a central and the simulator in this process, on 127.0.0.1
//! with a random port, reached by the console over the same HTTP path as a remote central.
