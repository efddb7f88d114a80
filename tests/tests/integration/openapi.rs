//! `docs/openapi.yaml` held against the handlers' real responses: each response a contract test
//! sees must be documented for its route, method and status, with its content type, required
//! headers and a body its schema accepts. OpenAPI 3.1 schemas are JSON Schema 2020-12, so each is
//! checked with a JSON Schema validator, its `$ref`s resolved inside the document.

use std::collections::BTreeSet;
use std::sync::Mutex;

use lambda_http::http::HeaderMap;
use lambda_http::{Body, Response};
use serde_json::{json, Value};

/// The document, as JSON.
pub fn document() -> &'static Value {
    static DOCUMENT: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.yaml");
        let yaml: serde_yaml::Value =
            serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let document = serde_json::to_value(yaml).unwrap();
        assert_eq!(document["openapi"], "3.1.0");
        document
    })
}

/// Every (path template, method, status) the document promises.
pub fn documented() -> BTreeSet<(String, String, String)> {
    let mut all = BTreeSet::new();
    for (path, item) in document()["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if method == "parameters" {
                continue;
            }
            for status in operation["responses"].as_object().unwrap().keys() {
                all.insert((path.clone(), method.clone(), status.clone()));
            }
        }
    }
    all
}

/// The document's path template that `path` is an instance of (`{name}` matches one segment).
fn template_of(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    document()["paths"]
        .as_object()
        .unwrap()
        .keys()
        .find(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| t == s || (t.starts_with('{') && !s.is_empty()))
        })
        .cloned()
}

/// Follows a `$ref` within the document.
fn resolved(value: &Value) -> &Value {
    match value["$ref"].as_str() {
        Some(pointer) => resolved(
            document()
                .pointer(pointer.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("dangling $ref {pointer}")),
        ),
        None => value,
    }
}

/// Checks one real response against the document and records it as seen; panics naming what
/// differs.
pub fn check(
    seen: &Mutex<BTreeSet<(String, String, String)>>,
    method: &str,
    path: &str,
    response: &Response<Body>,
) {
    let status = response.status().as_u16().to_string();
    let body = match response.body() {
        Body::Text(t) => t.clone(),
        Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
        _ => String::new(),
    };
    check_parts(seen, method, path, &status, response.headers(), &body);
}

pub fn check_parts(
    seen: &Mutex<BTreeSet<(String, String, String)>>,
    method: &str,
    path: &str,
    status: &str,
    headers: &HeaderMap,
    body: &str,
) {
    let method = method.to_ascii_lowercase();
    let template = template_of(path).unwrap_or_else(|| panic!("{path} is not documented"));
    let operation = &document()["paths"][&template][&method];
    assert!(
        operation.is_object(),
        "{method} {template} is not documented"
    );
    let documented = &operation["responses"][status];
    assert!(
        documented.is_object(),
        "{method} {template} answered {status}, which is not documented: {body}"
    );
    let documented = resolved(documented);
    let what = format!("{method} {template} {status}");
    for (name, header) in documented["headers"].as_object().into_iter().flatten() {
        let header = resolved(header);
        let value = headers.get(name.as_str());
        if header["required"] == true {
            let value = value.unwrap_or_else(|| panic!("{what}: no {name} header"));
            validate(
                &header["schema"],
                &json!(value.to_str().unwrap()),
                &format!("{what} header {name}"),
            );
        }
    }
    let content_type = headers
        .get("content-type")
        .map(|v| {
            v.to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .trim()
                .to_string()
        })
        .unwrap_or_default();
    let media = &documented["content"][&content_type];
    assert!(
        media.is_object(),
        "{what}: content type {content_type:?} is not documented"
    );
    let instance = if content_type.ends_with("json") {
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {body}"))
    } else {
        json!(body)
    };
    validate(&media["schema"], &instance, &what);
    seen.lock()
        .unwrap()
        .insert((template, method, status.to_string()));
}

/// Validates `instance` against `schema`, a part of the document (its `$ref`s resolve there).
fn validate(schema: &Value, instance: &Value, what: &str) {
    let mut root = document().clone();
    let object = root.as_object_mut().unwrap();
    object.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    // The schema itself sits somewhere in the document; validating through a root that holds the
    // whole document makes every `#/components/...` reference resolve.
    object.insert("allOf".into(), json!([schema]));
    let validator = jsonschema::validator_for(&root)
        .unwrap_or_else(|e| panic!("{what}: the schema does not compile: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: {instance} does not match the document: {errors:?}"
    );
}
