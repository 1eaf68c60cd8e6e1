//! The demo dataset.
