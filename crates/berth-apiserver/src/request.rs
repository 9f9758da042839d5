//! Parsing of resource paths, query strings and request bodies.

use berth_api::registry::{self, ResourceType};
use serde_json::Value;

use crate::error::{ApiError, ApiResult};

/// The largest request body accepted (upstream's limit for JSON/YAML objects).
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// A request path that names a resource type, and possibly a namespace, object and subresource.
#[derive(Debug)]
pub struct ResourcePath {
    pub rt: &'static ResourceType,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

/// What a path under `/api` or `/apis` addresses.
#[derive(Debug)]
pub enum ApiPath {
    /// `/api/v1` or `/apis/<group>/<version>`.
    GroupVersion {
        group: String,
        version: String,
    },
    /// `/apis/<group>`.
    Group {
        group: String,
    },
    Resource(ResourcePath),
    /// Group/version is served but the resource is not.
    Unknown,
}

/// Parses `/api/v1/...` or `/apis/<g>/<v>/...`. Returns None for paths outside those trees.
/// `/api/v1/watch/namespaces/ns/pods` → `/api/v1/namespaces/ns/pods`; None for other paths.
pub fn strip_legacy_watch(path: &str) -> Option<String> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let at = match segs.as_slice() {
        ["api", _, "watch", _, ..] => 2,
        ["apis", _, _, "watch", _, ..] => 3,
        _ => return None,
    };
    let kept: Vec<&str> = segs[..at].iter().chain(&segs[at + 1..]).copied().collect();
    Some(format!("/{}", kept.join("/")))
}

pub fn parse_api_path(path: &str) -> Option<ApiPath> {
    let segs: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let (group, version, rest) = match segs.as_slice() {
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group] => {
            return Some(ApiPath::Group {
                group: group.to_string(),
            });
        }
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return None,
    };
    if rest.is_empty() {
        return Some(ApiPath::GroupVersion {
            group: group.into(),
            version: version.into(),
        });
    }
    // `namespaces/<ns>/<plural>/...` addresses namespaced objects, unless the third segment is
    // a subresource of the namespace itself (`namespaces/<ns>/status`, `.../finalize`).
    let namespace_subresource =
        group.is_empty() && rest.len() == 3 && matches!(rest[2], "status" | "finalize");
    let (namespace, rest) = match rest {
        ["namespaces", ns, _, ..] if !namespace_subresource => {
            (Some(percent_decode(ns)), &rest[2..])
        }
        _ => (None, rest),
    };
    if rest.is_empty() || rest.len() > 3 {
        return Some(ApiPath::Unknown);
    }
    let Some(rt) = registry::find(group, version, rest[0]) else {
        return Some(ApiPath::Unknown);
    };
    if namespace.is_some() && !rt.namespaced {
        return Some(ApiPath::Unknown);
    }
    Some(ApiPath::Resource(ResourcePath {
        rt,
        namespace,
        name: rest.get(1).map(|s| percent_decode(s)),
        subresource: rest.get(2).map(|s| s.to_string()),
    }))
}

/// Query parameters in order (keys may repeat, as in exec's `command=`).
#[derive(Debug, Default)]
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Query {
        let Some(raw) = raw else {
            return Query::default();
        };
        Query(
            raw.split('&')
                .filter(|p| !p.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    (percent_decode(k), percent_decode(v))
                })
                .collect(),
        )
    }

    /// Sets `key` to `value`, replacing what the request said.
    pub fn set(&mut self, key: &str, value: &str) {
        self.0.retain(|(k, _)| k != key);
        self.0.push((key.to_string(), value.to_string()));
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, key: &str) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true" | "1" | "True"))
    }

    /// `dryRun=All` (any other value is rejected like upstream).
    pub fn dry_run(&self) -> ApiResult<bool> {
        let mut any = false;
        for v in self.all("dryRun") {
            if v != "All" {
                return Err(ApiError::BadRequest(format!(
                    "Invalid dry run value: {v:?}; only \"All\" is supported"
                )));
            }
            any = true;
        }
        Ok(any)
    }

    pub fn int(&self, key: &str) -> ApiResult<Option<i64>> {
        match self.get(key) {
            None | Some("") => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| ApiError::BadRequest(format!("invalid value for {key}: {v:?}"))),
        }
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], escaped) {
            (_, Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                i += 1;
            }
            (b, None) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// How the server should treat unknown fields (`fieldValidation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValidation {
    Ignore,
    Warn,
    Strict,
}

impl FieldValidation {
    pub fn from_query(q: &Query) -> ApiResult<FieldValidation> {
        match q.get("fieldValidation") {
            None | Some("") | Some("Warn") => Ok(FieldValidation::Warn),
            Some("Ignore") => Ok(FieldValidation::Ignore),
            Some("Strict") => Ok(FieldValidation::Strict),
            Some(other) => Err(ApiError::BadRequest(format!(
                "fieldValidation parameter unsupported: {other}. Supported values are: Ignore, Warn, Strict"
            ))),
        }
    }
}

/// Decodes a JSON, YAML or Kubernetes-protobuf request body that should hold a `kind` object.
pub fn decode_body(kind: &str, content_type: &str, body: &[u8]) -> ApiResult<Value> {
    decode_object(kind, content_type, body).map(|(value, _)| value)
}

/// [`decode_body`], with what upstream's strict decoder would object to in the body: keys
/// an object names twice (the last one wins), as `fieldValidation` reports them.
pub fn decode_object(
    kind: &str,
    content_type: &str,
    body: &[u8],
) -> ApiResult<(Value, Vec<String>)> {
    let media = content_type.split(';').next().unwrap_or("").trim();
    let noted = match media {
        "" | "application/json" | "*/*" => decode_json_noting_duplicates(body).map(|(v, paths)| {
            let problems = paths
                .iter()
                .map(|p| format!("duplicate field \"{p}\""))
                .collect();
            (v, problems)
        }),
        "application/yaml" => decode_yaml_noting_duplicates(body),
        _ => return decode_other(kind, content_type, body).map(|value| (value, Vec::new())),
    };
    noted.map_err(|e| ApiError::BadRequest(unrecognized(kind, &e, body)))
}

fn decode_other(kind: &str, content_type: &str, body: &[u8]) -> ApiResult<Value> {
    if berth_api::protobuf::is_protobuf(content_type) {
        return berth_api::protobuf::decode_object(body).map_err(|e| {
            if e.is_unsupported_media_type() {
                ApiError::UnsupportedMediaType(e.to_string())
            } else {
                ApiError::BadRequest(unrecognized(kind, &e.to_string(), body))
            }
        });
    }
    let media = content_type.split(';').next().unwrap_or("").trim();
    let parsed = match media {
        "application/yaml" | "application/apply-patch+yaml" => decode_yaml(body),
        _ => {
            return Err(ApiError::UnsupportedMediaType(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf".into(),
            ));
        }
    };
    parsed.map_err(|e| ApiError::BadRequest(unrecognized(kind, &e, body)))
}

/// Upstream's frame for a body that does not decode: the expected kind, the decoder's
/// error, and the first 30 bytes (as text when the body looks like JSON, else in hex).
fn unrecognized(kind: &str, err: &str, body: &[u8]) -> String {
    let head = &body[..body.len().min(30)];
    let summary = match std::str::from_utf8(head) {
        Ok(text) if body.first() == Some(&b'{') => text.to_string(),
        _ => head.iter().map(|b| format!("{b:02x}")).collect(),
    };
    let ellipsis = if body.len() > 30 { " ..." } else { "" };
    format!(
        "the object provided is unrecognized (must be of type {kind}): {err} ({summary}{ellipsis})"
    )
}

/// Parses JSON; the error is the parser's message.
pub fn decode_json(body: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|e| {
        format!(
            "couldn't get version/kind; json parse error: {}",
            json_error_text(&e)
        )
    })
}

/// [`decode_json`], noting each field an object names twice (`spec.replicas`,
/// `spec.containers[0].image`), as upstream's strict decoder reports them.
pub fn decode_json_noting_duplicates(body: &[u8]) -> Result<(Value, Vec<String>), String> {
    // On an error the plain parser words it.
    berth_api::meta::decode_noting_duplicates(body)
        .or_else(|_| decode_json(body).map(|value| (value, Vec::new())))
}

/// Parses YAML (JSON is YAML too); the error is the parser's message. A key named twice
/// keeps its last value.
pub fn decode_yaml(body: &[u8]) -> Result<Value, String> {
    decode_yaml_noting_duplicates(body).map(|(value, _)| value)
}

/// [`decode_yaml`], with upstream's strict-decoding complaint about the first key a
/// mapping names twice.
fn decode_yaml_noting_duplicates(body: &[u8]) -> Result<(Value, Vec<String>), String> {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        return Ok((v, Vec::new()));
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| "error converting YAML to JSON: invalid UTF-8".to_string())?;
    let failed = |e: &serde_saphyr::Error| {
        format!(
            "error converting YAML to JSON: yaml: {}",
            yaml_error_text(e)
        )
    };
    match serde_saphyr::from_str::<Value>(text) {
        Ok(value) => Ok((value, Vec::new())),
        Err(e) => match e.without_snippet() {
            serde_saphyr::Error::DuplicateMappingKey { key, location } => {
                let mut options = serde_saphyr::Options::default();
                // Forwarded entries reach serde_json's map, where the last one wins.
                options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::PassThrough;
                let value = serde_saphyr::from_str_with_options::<Value>(text, options)
                    .map_err(|e| failed(&e))?;
                let problem = format!(
                    "yaml: unmarshal errors:\n  line {}: key \"{}\" already set in map",
                    location.line(),
                    key.as_deref().unwrap_or_default()
                );
                Ok((value, vec![problem]))
            }
            _ => Err(failed(&e)),
        },
    }
}

/// A YAML error as upstream's parser words it: `line 5: did not find expected key`.
fn yaml_error_text(e: &serde_saphyr::Error) -> String {
    let inner = e.without_snippet();
    let text = inner.to_string();
    let message = text.lines().next().unwrap_or_default();
    match inner.location() {
        Some(location) => {
            let suffix = format!(" at line {}, column {}", location.line(), location.column());
            let detail = message.strip_suffix(&suffix).unwrap_or(message);
            format!("line {}: {detail}", location.line())
        }
        None => message.to_string(),
    }
}

fn json_error_text(e: &serde_json::Error) -> String {
    match e.classify() {
        serde_json::error::Category::Eof => "unexpected end of JSON input".to_string(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(path: &str) -> ResourcePath {
        match parse_api_path(path) {
            Some(ApiPath::Resource(r)) => r,
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn json_bodies_note_fields_named_twice() {
        let (value, duplicates) = decode_json_noting_duplicates(
            br#"{"spec":{"replicas":1,"replicas":2,"containers":[{"image":"a","image":"b"}]}}"#,
        )
        .unwrap();
        assert_eq!(value["spec"]["replicas"], 2);
        assert_eq!(value["spec"]["containers"][0]["image"], "b");
        assert_eq!(duplicates, ["spec.replicas", "spec.containers[0].image"]);
        let (_, none) = decode_json_noting_duplicates(br#"{"a":[1,2.5,null,true,{}]}"#).unwrap();
        assert!(none.is_empty());
        assert!(decode_json_noting_duplicates(b"{\"a\":").is_err());
    }

    #[test]
    fn yaml_bodies_note_keys_named_twice() {
        let (value, problems) =
            decode_yaml_noting_duplicates(b"kind: ConfigMap\ndata:\n  a: \"1\"\n  a: \"2\"\n")
                .unwrap();
        assert_eq!(value["data"], serde_json::json!({"a": "2"}));
        assert_eq!(
            problems,
            ["yaml: unmarshal errors:\n  line 4: key \"a\" already set in map"]
        );
        let broken = decode_yaml(b"a: 1\n b: 2\n").unwrap_err();
        assert!(
            broken.starts_with("error converting YAML to JSON: yaml: line 2: "),
            "{broken}"
        );
    }

    #[test]
    fn legacy_watch_paths_lose_their_watch_segment() {
        assert_eq!(
            strip_legacy_watch("/api/v1/watch/namespaces/ns/pods").as_deref(),
            Some("/api/v1/namespaces/ns/pods")
        );
        assert_eq!(
            strip_legacy_watch("/apis/apps/v1/watch/statefulsets").as_deref(),
            Some("/apis/apps/v1/statefulsets")
        );
        assert_eq!(strip_legacy_watch("/api/v1/namespaces/ns/pods"), None);
        assert_eq!(strip_legacy_watch("/api/v1/watch"), None);
    }

    #[test]
    fn parses_resource_paths() {
        let r = res("/api/v1/namespaces/default/pods/web-0/log");
        assert_eq!(
            (
                r.rt.plural,
                r.namespace.as_deref(),
                r.name.as_deref(),
                r.subresource.as_deref()
            ),
            ("pods", Some("default"), Some("web-0"), Some("log"))
        );
        let r = res("/api/v1/namespaces/default");
        assert_eq!(
            (r.rt.plural, r.namespace, r.name.as_deref()),
            ("namespaces", None, Some("default"))
        );
        let r = res("/api/v1/namespaces/x/finalize");
        assert_eq!(
            (r.rt.plural, r.name.as_deref(), r.subresource.as_deref()),
            ("namespaces", Some("x"), Some("finalize"))
        );
        let r = res("/apis/apps/v1/statefulsets");
        assert_eq!((r.rt.plural, r.namespace), ("statefulsets", None));
        let r = res("/apis/apps/v1/namespaces/ns/statefulsets/web/scale");
        assert_eq!(
            (r.namespace.as_deref(), r.subresource.as_deref()),
            (Some("ns"), Some("scale"))
        );
        assert!(matches!(
            parse_api_path("/apis/apps/v1/foos"),
            Some(ApiPath::Unknown)
        ));
        assert!(matches!(
            parse_api_path("/api/v1/namespaces/a/nodes/x"),
            Some(ApiPath::Unknown)
        ));
        assert!(matches!(
            parse_api_path("/apis/apps"),
            Some(ApiPath::Group { .. })
        ));
    }

    #[test]
    fn parses_queries() {
        let q = Query::parse(Some("command=ls&command=-l&labelSelector=app%3Dweb&x"));
        assert_eq!(q.all("command").collect::<Vec<_>>(), vec!["ls", "-l"]);
        assert_eq!(q.get("labelSelector"), Some("app=web"));
        assert_eq!(q.get("x"), Some(""));
        assert_eq!(percent_decode("a%2"), "a%2");
    }
}
