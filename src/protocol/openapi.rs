//! The OpenAPI 3.1 description of `/api/v1`, checked in and served by the central at
//! `GET /api/v1/openapi.json`. Hand-written: the integration tests keep it in step with the
//! router (every operation documented, every documented operation routed) and check that its
//! examples deserialize into the DTOs of [`super::dto`].

/// The document, verbatim.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::refusal::Code;

    #[test]
    fn the_document_lists_exactly_the_registrys_codes() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI_JSON).unwrap();
        let said = doc["components"]["schemas"]["ApiError"]["properties"]["error"]["description"]
            .as_str()
            .unwrap();
        let (_, list) = said.split_once("one of the registry: ").unwrap();
        let (list, _) = list.split_once(". ").unwrap();
        let listed: Vec<&str> = list.split(", ").collect();
        let registry: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(listed, registry);
    }
}
