//! The OpenAPI 3.1 description of `/api/v1`, checked in and served by the central at
//! `GET /api/v1/openapi.json`. Hand-written: the integration tests keep it in step with the
//! router (every operation documented, every documented operation routed) and check that its
//! examples deserialize into the DTOs of [`super::dto`].

/// The document, verbatim.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");
