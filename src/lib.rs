//! assetmap: maps community assets for UK councils and shows where deprived
//! areas are underserved.
//!
//! The library owns everything except process start-up: reading a council's
//! files into a [`model::Dataset`] ([`ingest`]), converting coordinates
//! ([`crs`]), spatial indexes ([`index`]), the fictional demo town ([`demo`])
//! and the HTTP API ([`http`]).

// The OpenAPI document is one large `json!` literal.
#![recursion_limit = "256"]

pub mod analysis;
pub mod catalog;
pub mod cql2;
pub mod crs;
pub mod demo;
pub mod export;
pub mod features;
pub mod hours;
pub mod http;
pub mod index;
pub mod ingest;
pub mod model;
pub mod tiles;
pub mod validity;
