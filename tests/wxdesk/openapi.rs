//! The checked-in OpenAPI document stays in step with the router and the DTOs: every route is
//! documented, every documented operation is routed (and nothing else on its path), every
//! `$ref` resolves, and every example deserializes into the type it describes and serializes
//! back unchanged.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use wxdesk::central::{Verb, operations};
use wxdesk::domain::access::{Account, Capability, DeviceName, Role, Username};
use wxdesk::domain::history::{
    Aggregate, Bucket, Completeness, Coverage, Gap, GapCause, Level, SeriesView, Summary, View,
    ViewRequest,
};
use wxdesk::domain::qc::{QcFlags, QcTest};
use wxdesk::domain::recipients;
use wxdesk::domain::warning::approval::DraftState;
use wxdesk::domain::{Element, Source, Timestamp};
use wxdesk::protocol::on_call::{
    AlarmDeliveries, OnCallDay, OnCallInput, OnCallPerson, OnCallRoster,
};
use wxdesk::protocol::openapi::OPENAPI_JSON;
use wxdesk::protocol::recipients::{
    ImportedLineDto, LineProblemDto, RecipientCount, RecipientCounts, RecipientDto,
    RecipientImportReport, RecipientInput, RecipientList,
};
use wxdesk::protocol::reports::{
    ApprovalLine, Approvals, CalloutSummary, ChannelDelivery, IssuedCount, Minutes, ServiceReport,
};
use wxdesk::protocol::snapshot::{ChunkPage, RollupPage, RollupSeries, SnapshotHead};
use wxdesk::protocol::warnings::{SignalSetDto, UpstreamList, UpstreamWarning};
use wxdesk::protocol::*;

use crate::support::{TestCentral, client};

/// The checked-in document.
pub fn document() -> Value {
    serde_json::from_str(OPENAPI_JSON).expect("openapi.json is JSON")
}

/// `value`, or what its local `$ref` points at (followed until it is no reference).
pub fn resolve<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    while let Some(reference) = value.get("$ref").and_then(Value::as_str) {
        let pointer = reference.strip_prefix('#').expect("local refs only");
        value = doc
            .pointer(pointer)
            .unwrap_or_else(|| panic!("dangling $ref {reference}"));
    }
    value
}

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// `(METHOD, path)` of every operation the document describes.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            assert!(METHODS.contains(&method.as_str()), "{method} {path}");
            ops.insert((method.to_uppercase(), path.clone()));
        }
    }
    ops
}

#[test]
fn every_route_is_documented_and_every_documented_operation_is_a_route() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let routed: BTreeSet<(String, String)> = operations()
        .into_iter()
        .map(|(verb, path)| (verb.as_str().to_owned(), path))
        .collect();
    let documented = documented(&doc);
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from openapi.json: {undocumented:?}"
    );
    assert!(
        unrouted.is_empty(),
        "documented but not routed: {unrouted:?}"
    );
    assert!(routed.contains(&(
        Verb::Post.as_str().to_owned(),
        "/api/v1/observations".into()
    )));
}

/// A request that reaches the handler of `method path` (required query parameters filled).
fn probe_url(central: &TestCentral, path: &str) -> String {
    let query = match path {
        "/api/v1/observations/series" => {
            "?station=58819&element=TEM&from=2026-11-27T00:00:00Z&to=2026-11-27T01:00:00Z"
        }
        "/api/v1/stream" => "?after=s1.0",
        _ => "",
    };
    format!("{}{path}{query}", central.base())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_serves_exactly_the_documented_methods_of_each_path() {
    let central = TestCentral::start().await;
    let client = client();
    let documented = documented(&document());
    let paths: BTreeSet<&String> = documented.iter().map(|(_, path)| path).collect();
    for path in paths {
        for method in METHODS {
            let method = method.to_uppercase();
            let request = client
                .request(method.parse().unwrap(), probe_url(&central, path))
                .json(&serde_json::json!({"observations": []}));
            let status = request.send().await.unwrap().status().as_u16();
            if documented.contains(&(method.clone(), path.clone())) {
                assert!(![404, 405].contains(&status), "{method} {path} → {status}");
            } else {
                assert_eq!(status, 405, "{method} {path} is routed but not documented");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_central_serves_the_checked_in_document() {
    let central = TestCentral::start().await;
    let response = client()
        .get(central.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.text().await.unwrap(), OPENAPI_JSON);
}

#[test]
fn every_ref_resolves() {
    let doc = document();
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(refs.len() > 20);
    for reference in refs {
        let pointer = reference.strip_prefix('#').expect("local refs only");
        assert!(doc.pointer(pointer).is_some(), "dangling $ref {reference}");
    }
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                out.push(reference.clone());
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

type Check = fn(&Value) -> Result<Value, String>;

/// Deserializes into `T` and serializes back: a field the DTO does not know, or lacks, shows
/// up as a difference.
fn round_trip<T: Serialize + DeserializeOwned>(example: &Value) -> Result<Value, String> {
    let typed: T = serde_json::from_value(example.clone()).map_err(|e| e.to_string())?;
    serde_json::to_value(&typed).map_err(|e| e.to_string())
}

/// The type behind each component schema. A schema missing here fails the test.
fn checks() -> BTreeMap<&'static str, Check> {
    let table: [(&str, Check); 137] = [
        ("Timestamp", round_trip::<Timestamp>),
        ("Device", round_trip::<wxdesk::domain::devices::Device>),
        ("DeviceList", round_trip::<devices::DeviceList>),
        ("HealthPage", round_trip::<devices::HealthPage>),
        ("AlarmList", round_trip::<devices::AlarmList>),
        ("AlarmDetail", round_trip::<devices::AlarmDetail>),
        ("AlarmAssignment", round_trip::<devices::AlarmAssignment>),
        ("AlarmComment", round_trip::<devices::AlarmComment>),
        ("ElementCode", round_trip::<Element>),
        ("Source", round_trip::<Source>),
        ("Health", round_trip::<Health>),
        ("HealthDetail", round_trip::<HealthDetail>),
        ("Township", round_trip::<TownshipDto>),
        ("Station", round_trip::<StationDto>),
        ("Network", round_trip::<NetworkDto>),
        ("ObservationRecord", round_trip::<ObservationRecord>),
        ("IngestRequest", round_trip::<IngestRequest>),
        ("RecordStatus", round_trip::<RecordStatus>),
        ("RecordResult", round_trip::<RecordResult>),
        ("IngestResponse", round_trip::<IngestResponse>),
        ("TimedValue", round_trip::<TimedValue>),
        ("StationLatest", round_trip::<StationLatest>),
        ("LatestResponse", round_trip::<LatestResponse>),
        ("SeriesResponse", round_trip::<SeriesResponse>),
        ("Change", round_trip::<Change>),
        ("ChangesPage", round_trip::<ChangesPage>),
        ("Cursor", round_trip::<Cursor>),
        ("HoursChange", round_trip::<HoursChange>),
        ("Chunk", round_trip::<ChunkDto>),
        ("VersionInfo", round_trip::<VersionInfo>),
        ("ApiError", round_trip::<ApiError>),
        ("Role", round_trip::<Role>),
        ("Capability", round_trip::<Capability>),
        ("Account", round_trip::<Account>),
        ("Username", round_trip::<Username>),
        ("DeviceName", round_trip::<DeviceName>),
        ("LoginRequest", round_trip::<LoginRequest>),
        ("SessionInfo", round_trip::<SessionInfo>),
        ("LoginResponse", round_trip::<LoginResponse>),
        ("PasswordChange", round_trip::<PasswordChange>),
        ("NewUserRequest", round_trip::<NewUserRequest>),
        ("OneTimePassword", round_trip::<OneTimePassword>),
        ("UserUpdateRequest", round_trip::<UserUpdateRequest>),
        ("UserList", round_trip::<UserList>),
        ("DeviceKeyInfo", round_trip::<DeviceKeyInfo>),
        ("DeviceKeyList", round_trip::<DeviceKeyList>),
        ("DeviceKeyRequest", round_trip::<DeviceKeyRequest>),
        ("IssuedDeviceKey", round_trip::<IssuedDeviceKey>),
        ("AuditEntry", round_trip::<AuditEntryDto>),
        ("AuditPage", round_trip::<AuditPage>),
        ("Level", round_trip::<Level>),
        ("GapCause", round_trip::<GapCause>),
        ("Summary", round_trip::<Summary>),
        ("Aggregate", round_trip::<Aggregate>),
        ("Bucket", round_trip::<Bucket>),
        ("ViewRequest", round_trip::<ViewRequest>),
        ("View", round_trip::<View>),
        ("Gap", round_trip::<Gap>),
        ("Completeness", round_trip::<Completeness>),
        ("Coverage", round_trip::<Coverage>),
        ("SeriesView", round_trip::<SeriesView>),
        ("QcTest", round_trip::<QcTest>),
        ("QcFlags", round_trip::<QcFlags>),
        ("QcChange", round_trip::<QcChange>),
        ("MaintenanceWindow", round_trip::<MaintenanceDto>),
        ("NewMaintenance", round_trip::<NewMaintenance>),
        ("MaintenanceUpdate", round_trip::<MaintenanceUpdate>),
        ("MaintenanceList", round_trip::<MaintenanceList>),
        ("ImportReport", round_trip::<ImportReport>),
        ("AdminStatus", round_trip::<AdminStatus>),
        ("WorkerLine", round_trip::<WorkerLine>),
        ("DiskSpace", round_trip::<DiskSpace>),
        ("CertificateExpiry", round_trip::<CertificateExpiry>),
        ("SnapshotHead", round_trip::<SnapshotHead>),
        ("Chunk", round_trip::<ChunkDto>),
        ("ChunkPage", round_trip::<ChunkPage>),
        ("RollupSeries", round_trip::<RollupSeries>),
        ("RollupPage", round_trip::<RollupPage>),
        ("SignalLevel", round_trip::<wxdesk::domain::warning::Level>),
        (
            "WarningAction",
            round_trip::<wxdesk::domain::warning::Action>,
        ),
        ("WarningContent", round_trip::<warnings::WarningContent>),
        ("WarningStep", round_trip::<warnings::WarningStep>),
        ("WarningState", round_trip::<DraftState>),
        ("WarningRecord", round_trip::<warnings::WarningRecord>),
        ("PinRequest", round_trip::<warnings::PinRequest>),
        ("ReturnRequest", round_trip::<warnings::ReturnRequest>),
        ("WarningList", round_trip::<warnings::WarningList>),
        ("UpstreamWarning", round_trip::<UpstreamWarning>),
        ("UpstreamList", round_trip::<UpstreamList>),
        ("SignalSet", round_trip::<SignalSetDto>),
        ("OutboxSummary", round_trip::<OutboxSummary>),
        ("OutboxCount", round_trip::<OutboxCount>),
        ("DeliveryList", round_trip::<DeliveryList>),
        ("Delivery", round_trip::<Delivery>),
        ("OnCallPerson", round_trip::<OnCallPerson>),
        ("OnCallDay", round_trip::<OnCallDay>),
        ("OnCallRoster", round_trip::<OnCallRoster>),
        ("OnCallInput", round_trip::<OnCallInput>),
        ("AlarmDeliveries", round_trip::<AlarmDeliveries>),
        ("ServiceReport", round_trip::<ServiceReport>),
        ("IssuedCount", round_trip::<IssuedCount>),
        ("Approvals", round_trip::<Approvals>),
        ("Minutes", round_trip::<Minutes>),
        ("ApprovalLine", round_trip::<ApprovalLine>),
        ("ChannelDelivery", round_trip::<ChannelDelivery>),
        ("CalloutSummary", round_trip::<CalloutSummary>),
        ("ChannelDeliveries", round_trip::<ChannelDeliveries>),
        ("ResendInfo", round_trip::<ResendInfo>),
        ("RetryRequest", round_trip::<RetryRequest>),
        ("ResendRequest", round_trip::<ResendRequest>),
        ("RequeuedDelivery", round_trip::<RequeuedDelivery>),
        ("DecisionAnswer", round_trip::<DecisionAnswer>),
        ("RecipientGroup", round_trip::<recipients::Group>),
        ("RecipientDuty", round_trip::<recipients::Duty>),
        ("RecipientField", round_trip::<recipients::Field>),
        ("Recipient", round_trip::<RecipientDto>),
        ("RecipientInput", round_trip::<RecipientInput>),
        ("RecipientList", round_trip::<RecipientList>),
        ("RecipientCount", round_trip::<RecipientCount>),
        ("RecipientCounts", round_trip::<RecipientCounts>),
        ("RecipientLineProblem", round_trip::<LineProblemDto>),
        ("RecipientImportedLine", round_trip::<ImportedLineDto>),
        ("RecipientImportReport", round_trip::<RecipientImportReport>),
        ("CalloutChange", round_trip::<callout::CalloutChange>),
        ("CalloutLine", round_trip::<callout::CalloutLine>),
        ("CalloutBoard", round_trip::<callout::CalloutBoard>),
        ("PhoneCall", round_trip::<callout::PhoneCall>),
        ("PhoneCallInput", round_trip::<callout::PhoneCallInput>),
        ("RevealedNumber", round_trip::<callout::RevealedNumber>),
        (
            "RosterConfirmation",
            round_trip::<callout::RosterConfirmation>,
        ),
        (
            "RelayCommand",
            round_trip::<wxdesk::domain::relays::Command>,
        ),
        ("RelayCommandRequest", round_trip::<relays::CommandRequest>),
        ("RelayCommandList", round_trip::<relays::CommandList>),
        ("RelayList", round_trip::<relays::RelayList>),
        ("RelayProposal", round_trip::<relays::Proposal>),
        ("RelayProposalList", round_trip::<relays::ProposalList>),
        (
            "RelayProposalConfirmation",
            round_trip::<relays::ProposalConfirmation>,
        ),
    ];
    BTreeMap::from(table)
}

fn check_example(schema: &str, example: &Value) {
    let check = checks()
        .get(schema)
        .copied()
        .unwrap_or_else(|| panic!("schema {schema} has no DTO in this test"));
    match check(example) {
        Ok(back) => assert_eq!(&back, example, "{schema} example does not round-trip"),
        Err(error) => panic!("{schema} example does not deserialize: {error}\n{example}"),
    }
}

#[test]
fn schema_examples_are_dtos_and_cover_every_property() {
    let doc = document();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for (name, schema) in schemas {
        let examples = schema["examples"]
            .as_array()
            .unwrap_or_else(|| panic!("schema {name} has no examples"));
        for example in examples {
            check_example(name, example);
        }
        if let Some(properties) = schema["properties"].as_object() {
            let declared: BTreeSet<&String> = properties.keys().collect();
            let shown: BTreeSet<&String> = examples
                .iter()
                .flat_map(|e| e.as_object().unwrap().keys())
                .collect();
            assert_eq!(
                declared, shown,
                "{name}: properties vs fields its examples show"
            );
            for required in schema["required"].as_array().unwrap() {
                for example in examples {
                    assert!(
                        example.get(required.as_str().unwrap()).is_some(),
                        "{name} example lacks {required}"
                    );
                }
            }
        }
        for value in schema["enum"].as_array().into_iter().flatten() {
            check_example(name, value);
        }
    }
    let codes: BTreeSet<&str> = schemas["ElementCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let known: BTreeSet<&str> = Element::ALL.iter().map(|e| e.code()).collect();
    assert_eq!(codes, known, "ElementCode lists exactly the known elements");
}

#[test]
fn media_examples_match_their_schemas() {
    let doc = document();
    let mut checked = 0;
    let mut visit = |content: &Value| {
        for (media, body) in content.as_object().unwrap() {
            let Some(example) = body.get("example") else {
                continue;
            };
            if media == "text/event-stream" {
                let data = example
                    .as_str()
                    .unwrap()
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .unwrap();
                check_example("ChangesPage", &serde_json::from_str(data).unwrap());
            } else {
                let reference = body["schema"]["$ref"]
                    .as_str()
                    .expect("examples of named schemas");
                check_example(reference.rsplit('/').next().unwrap(), example);
            }
            checked += 1;
        }
    };
    for response in doc["components"]["responses"].as_object().unwrap().values() {
        visit(&response["content"]);
    }
    for item in doc["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            for response in operation["responses"].as_object().unwrap().values() {
                if let Some(content) = response.get("content") {
                    visit(content);
                }
            }
            if let Some(content) = operation.pointer("/requestBody/content") {
                visit(content);
            }
        }
    }
    assert!(checked >= 6, "only {checked} media examples");
}
