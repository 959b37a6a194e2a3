//! A client generated from the OpenAPI document never meets an undocumented answer, and a
//! request that violates the document is refused. A central on 127.0.0.1 is walked operation
//! by operation: requests built from the document's examples, as every role; then requests
//! that break the document (malformed or missing parameters, names that break their pattern,
//! bad dates, no or the wrong content type, malformed JSON, missing or mistyped fields, an
//! oversize body). Every answer's status must be one the operation lists, every refusal an
//! `ApiError` the document names for that status, and every violation a 4xx.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::Method;
use serde_json::{Value, json};
use wxdesk::central::{JSON_BODY_BYTES, MAX_BODY_BYTES};
use wxdesk::domain::access::Role;
use wxdesk::protocol::ApiError;

use crate::openapi::{document, resolve};
use crate::openapi_constraints::StringRule;
use crate::support::{TestCentral, client};

/// One operation of the document.
struct Operation {
    method: Method,
    path: String,
    op: Value,
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push(Operation {
                method: Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                path: path.clone(),
                op: op.clone(),
            });
        }
    }
    out
}

/// Sends the request the document's examples make as every role: each answer documented.
/// Returns the first role let through, in the order of `roles`.
async fn valid_as_every_role(
    central: &TestCentral,
    doc: &Value,
    tokens: &BTreeMap<Role, String>,
    operation: &Operation,
    findings: &Mutex<Vec<String>>,
) -> Option<Role> {
    let request = operation.valid(doc);
    let roles = [Role::Administrator, Role::Technician, Role::Device];
    let mut through = None;
    for role in roles.iter().chain(Role::ALL.iter()) {
        let (status, body) = operation.send(central, &tokens[role], &request).await;
        if let Err(finding) = operation.check(doc, &format!("valid, as {role}"), status, &body) {
            findings.lock().unwrap().push(finding);
        }
        // Refused by the guard (not by the handler, as a login with wrong credentials is).
        let guarded = ["unauthorized", "forbidden", "people_only"]
            .contains(&body["error"].as_str().unwrap_or(""));
        if !guarded {
            through = through.or(Some(*role));
        }
    }
    through
}

/// A parameter's example: its own, or its schema's first.
fn example_of(doc: &Value, parameter: &Value) -> String {
    let example = parameter
        .get("example")
        .cloned()
        .or_else(|| {
            resolve(doc, &parameter["schema"])["examples"]
                .get(0)
                .cloned()
        })
        .unwrap_or_else(|| panic!("parameter without example: {parameter}"));
    match example {
        Value::String(text) => text,
        other => other.to_string(),
    }
}

/// A request, described before it is sent: path segments (percent-encoded) and query values
/// by name, and a body.
#[derive(Clone)]
struct Request {
    path: BTreeMap<String, String>,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    content_type: Option<&'static str>,
    body: Vec<u8>,
}

impl Operation {
    fn parameters<'a>(&'a self, place: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(move |p| p["in"] == place)
    }

    /// The JSON body schema, if the operation takes JSON.
    fn json_body<'a>(&'a self, doc: &'a Value) -> Option<&'a Value> {
        let schema = self
            .op
            .pointer("/requestBody/content/application~1json/schema")?;
        Some(resolve(doc, schema))
    }

    /// The request the document's examples make: required parameters and the body.
    fn valid(&self, doc: &Value) -> Request {
        let path = self
            .parameters("path")
            .map(|p| {
                let segment = urlencoding(&example_of(doc, p));
                (p["name"].as_str().unwrap().to_owned(), segment)
            })
            .collect();
        let query = self
            .parameters("query")
            .filter(|p| p["required"] == true)
            .map(|p| (p["name"].as_str().unwrap().to_owned(), example_of(doc, p)))
            .collect();
        let (content_type, body) = match self.json_body(doc) {
            Some(schema) => (
                Some("application/json"),
                serde_json::to_vec(&schema["examples"][0]).unwrap(),
            ),
            None if self.op.get("requestBody").is_some() => {
                (Some("application/octet-stream"), b"no file".to_vec())
            }
            None => (None, Vec::new()),
        };
        Request {
            path,
            query,
            headers: Vec::new(),
            content_type,
            body,
        }
    }

    /// Sends `request` with `token`; the status and the JSON answer (`Null` if none).
    async fn send(&self, central: &TestCentral, token: &str, request: &Request) -> (u16, Value) {
        let mut path = self.path.clone();
        for (name, value) in &request.path {
            path = path.replace(&format!("{{{name}}}"), value);
        }
        let mut builder = client()
            .request(self.method.clone(), format!("{}{path}", central.base()))
            .query(&request.query)
            .bearer_auth(token);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(content_type) = request.content_type {
            builder = builder.header("content-type", content_type);
        }
        if !request.body.is_empty() {
            builder = builder.body(request.body.clone());
        }
        let response = builder.send().await.expect("sending");
        let status = response.status().as_u16();
        let is_json = response
            .headers()
            .get("content-type")
            .is_some_and(|t| t.as_bytes().starts_with(b"application/json"));
        // A live stream never ends: its status is all this test reads of it.
        let body = if is_json {
            response.json().await.expect("JSON answer")
        } else {
            Value::Null
        };
        (status, body)
    }

    /// Asserts that `status` is documented, with an `ApiError` body where the document says so.
    fn check(&self, doc: &Value, what: &str, status: u16, body: &Value) -> Result<(), String> {
        let name = format!("{} {} ({what})", self.method, self.path);
        let Some(response) = self.op["responses"].get(status.to_string()) else {
            return Err(format!(
                "{name} answered undocumented {status}: {}",
                short(body)
            ));
        };
        if status >= 400 {
            let response = resolve(doc, response);
            let schema = &response["content"]["application/json"]["schema"]["$ref"];
            let error = serde_json::from_value::<ApiError>(body.clone());
            let shaped = schema == "#/components/schemas/ApiError"
                && error.is_ok_and(|e| !e.error.is_empty() && !e.message.is_empty());
            if !shaped {
                return Err(format!(
                    "{name}: {status} is no documented ApiError: {}",
                    short(body)
                ));
            }
        }
        Ok(())
    }

    /// Sends a request that violates the document: it must be refused with `expected`, a
    /// status the operation documents.
    async fn refused(&self, env: &Env, what: &str, request: &Request, expected: u16) {
        let (status, body) = self.send(&env.central, &env.token(self), request).await;
        env.refusals.fetch_add(1, Ordering::Relaxed);
        let mut findings = env.findings.lock().unwrap();
        if let Err(finding) = self.check(&env.doc, what, status, &body) {
            findings.push(finding);
        } else if status != expected {
            findings.push(format!(
                "{} {} ({what}) must be refused with {expected}, got {status}: {}",
                self.method,
                self.path,
                short(&body)
            ));
        }
    }
}

/// The start of an answer, for a finding.
fn short(body: &Value) -> String {
    body.to_string().chars().take(240).collect()
}

/// Percent-encodes a path segment.
fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The central, the document, and the role each operation is sent as when probing it.
struct Env {
    central: TestCentral,
    doc: Value,
    tokens: BTreeMap<Role, String>,
    callers: BTreeMap<String, Role>,
    refusals: AtomicUsize,
    findings: Mutex<Vec<String>>,
}

impl Env {
    fn token(&self, operation: &Operation) -> String {
        let role = self.callers[&format!("{} {}", operation.method, operation.path)];
        self.tokens[&role].clone()
    }
}

/// Values of a parameter's schema the document forbids.
fn parameter_violations(doc: &Value, schema: &Value) -> Vec<String> {
    let schema = resolve(doc, schema);
    let mut out = Vec::new();
    match schema["type"].as_str() {
        Some("integer") => {
            out.extend(["x", "1.5", ""].map(String::from));
            if let Some(min) = schema["minimum"].as_i64() {
                out.push((min - 1).to_string());
            }
            if let Some(max) = schema["maximum"].as_i64() {
                out.push((max + 1).to_string());
            }
        }
        Some("string") if schema["enum"].is_array() => out.push("NOPE".into()),
        Some("string") if schema["format"] == "date-time" => {
            out.extend(["2026-13-45", "2026-11-27", "", "tomorrow"].map(String::from));
        }
        Some("string") => out.extend(StringRule::of(doc, schema).violations()),
        _ => {}
    }
    out
}

/// A JSON value of the wrong type for `schema`.
fn wrong_type(doc: &Value, schema: &Value) -> Value {
    match resolve(doc, schema)["type"].as_str() {
        Some("string") => json!(12345),
        _ => json!("not this"),
    }
}

/// Bodies that break the schema: each required field missing, each field mistyped, each
/// string constraint broken.
fn body_violations(doc: &Value, schema: &Value) -> Vec<(String, Value)> {
    let example = &schema["examples"][0];
    let mut out = vec![("an array".to_owned(), json!([]))];
    for required in schema["required"].as_array().into_iter().flatten() {
        let mut body = example.clone();
        body.as_object_mut()
            .unwrap()
            .remove(required.as_str().unwrap());
        out.push((format!("without {required}"), body));
    }
    for (name, property) in schema["properties"].as_object().into_iter().flatten() {
        let with = |value: Value| {
            let mut body = example.clone();
            body[name] = value;
            body
        };
        out.push((format!("{name} mistyped"), with(wrong_type(doc, property))));
        for value in parameter_violations(doc, property) {
            out.push((format!("{name}={value:?}"), with(json!(value))));
        }
    }
    out
}

/// Every parameter, broken one at a time, and each required one left out.
async fn probe_parameters(env: &Env, operation: &Operation) {
    let valid = operation.valid(&env.doc);
    for parameter in operation.parameters("query") {
        let name = parameter["name"].as_str().unwrap();
        for value in parameter_violations(&env.doc, &parameter["schema"]) {
            let mut request = valid.clone();
            request.query.retain(|(n, _)| n != name);
            request.query.push((name.to_owned(), value.clone()));
            operation
                .refused(env, &format!("{name}={value:?}"), &request, 400)
                .await;
        }
        if parameter["required"] == true {
            let mut request = valid.clone();
            request.query.retain(|(n, _)| n != name);
            operation
                .refused(env, &format!("without {name}"), &request, 400)
                .await;
        }
    }
    for parameter in operation.parameters("header") {
        let name = parameter["name"].as_str().unwrap();
        for value in parameter_violations(&env.doc, &parameter["schema"]) {
            let mut request = valid.clone();
            request.headers.push((name.to_owned(), value.clone()));
            operation
                .refused(env, &format!("{name}: {value:?}"), &request, 400)
                .await;
        }
    }
    for parameter in operation.parameters("path") {
        let name = parameter["name"].as_str().unwrap();
        let violations = parameter_violations(&env.doc, &parameter["schema"]);
        // Percent-encoded, plus one segment that does not decode to text at all.
        let segments = violations.iter().map(|v| urlencoding(v));
        for value in segments.chain(["%FF".to_owned()]) {
            let mut request = valid.clone();
            request.path.insert(name.to_owned(), value.clone());
            // A path that names nothing that can exist is not found.
            operation
                .refused(env, &format!("{{{name}}}={value:?}"), &request, 404)
                .await;
        }
    }
}

/// The body without JSON's content type, as malformed JSON, breaking its schema, oversize.
async fn probe_body(env: &Env, operation: &Operation) {
    let valid = operation.valid(&env.doc);
    if operation.op.get("requestBody").is_none() {
        return;
    }
    // One byte over the limit the document states, so the central has read all but the last
    // byte when it refuses: the client is done sending and reads the answer.
    let limit = if ["/api/v1/observations", "/api/v1/imports"].contains(&operation.path.as_str()) {
        MAX_BODY_BYTES
    } else {
        JSON_BODY_BYTES
    };
    let oversize = Request {
        body: vec![b' '; limit + 1],
        ..valid.clone()
    };
    operation
        .refused(env, "oversize body", &oversize, 413)
        .await;
    let Some(schema) = operation.json_body(&env.doc) else {
        return;
    };
    for content_type in [None, Some("text/plain")] {
        let request = Request {
            content_type,
            ..valid.clone()
        };
        let what = format!("content type {content_type:?}");
        operation.refused(env, &what, &request, 415).await;
    }
    for malformed in ["{", "", "{\"a\": 1,}", "null"] {
        let request = Request {
            body: malformed.as_bytes().to_vec(),
            ..valid.clone()
        };
        operation.refused(env, malformed, &request, 400).await;
    }
    for (what, body) in body_violations(&env.doc, schema) {
        let request = Request {
            body: serde_json::to_vec(&body).unwrap(),
            ..valid.clone()
        };
        operation.refused(env, &what, &request, 400).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_is_documented_and_every_violation_refused() {
    let central = TestCentral::start().await;
    let doc = document();
    let mut tokens = BTreeMap::new();
    for role in Role::ALL {
        tokens.insert(role, central.token(role).await);
    }
    // Logging out ends the sessions the probes use: it goes last.
    let (logout, operations): (Vec<_>, Vec<_>) = operations(&doc)
        .into_iter()
        .partition(|o| o.path.ends_with("/auth/logout"));
    let findings = Mutex::new(Vec::new());
    let mut callers = BTreeMap::new();
    for operation in &operations {
        let role = valid_as_every_role(&central, &doc, &tokens, operation, &findings).await;
        let name = format!("{} {}", operation.method, operation.path);
        callers.insert(
            name.clone(),
            role.unwrap_or_else(|| panic!("{name}: no role let through")),
        );
    }
    let env = Env {
        central,
        doc,
        tokens,
        callers,
        refusals: AtomicUsize::new(0),
        findings,
    };
    for operation in &operations {
        probe_parameters(&env, operation).await;
        probe_body(&env, operation).await;
    }
    assert!(
        operations.len() >= 24,
        "only {} operations",
        operations.len()
    );
    let refusals = env.refusals.load(Ordering::Relaxed);
    assert!(refusals >= 200, "only {refusals} violations sent");
    eprintln!("{refusals} violations of the document sent, each refused as documented");
    for operation in &logout {
        valid_as_every_role(
            &env.central,
            &env.doc,
            &env.tokens,
            operation,
            &env.findings,
        )
        .await;
    }
    let findings = env.findings.into_inner().unwrap();
    assert!(
        findings.is_empty(),
        "{} answers break the document:\n{}",
        findings.len(),
        findings.join("\n")
    );
}
