//! The OpenAPI 3.1 description of `/api/v1`, checked in and served by the central.
