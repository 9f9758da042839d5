//! OpenAPI v3 documents (`/openapi/v3` and one document per served group/version), built
//! from the resource registry and k8s-openapi's schemars schemas.
//!
//! kubectl reads them for three things: `kubectl explain` (component schemas found by their
//! `x-kubernetes-group-version-kind`, field descriptions), server-side field validation
//! (a PATCH operation with the kind's GVK and a `fieldValidation` query parameter tells
//! kubectl to leave validation to the server), and client-side apply (see
//! [`PATCH_BODY_TYPES`]).
//!
//! OpenAPI v2 (`/openapi/v2`) is derived from these documents' schemas: see
//! [`crate::openapi_v2`].

use std::sync::{Arc, LazyLock, OnceLock};

use berth_api::registry::{ResourceType, group_versions};
use k8s_openapi::api::{autoscaling, core, policy};
use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
use schemars::generate::SchemaSettings;
use schemars::{Schema, SchemaGenerator};
use serde_json::{Map, Value, json};

use crate::discovery::{self, SubresourceInfo};

const SCHEMA_PREFIX: &str = "#/components/schemas/";

/// Content types a PATCH accepts, as advertised.
///
/// `application/strategic-merge-patch+json` is left out on purpose: when it is listed,
/// `kubectl apply` computes its three-way strategic merge patch from these schemas'
/// `x-kubernetes-patch-strategy`/`x-kubernetes-patch-merge-key` extensions, and those are
/// not emitted yet (the merge-key table lives privately in `berth_api::smp`). Without it
/// kubectl uses the patch metadata compiled into it for every kind berth serves, which
/// agrees with the server's strategic merge patch. The server accepts the type either way.
const PATCH_BODY_TYPES: &[&str] = &[
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
];

/// One served document: its index path and its bytes with their hash, built on first use.
struct Document {
    path: String,
    group: &'static str,
    version: &'static str,
    built: OnceLock<(Arc<Vec<u8>>, String)>,
}

impl Document {
    fn get(&self) -> &(Arc<Vec<u8>>, String) {
        self.built.get_or_init(|| {
            let bytes = serde_json::to_vec(&build_document(self.group, self.version))
                .expect("a JSON value always serialises");
            let digest = ring::digest::digest(&ring::digest::SHA512, &bytes);
            let hash = digest.as_ref().iter().map(|b| format!("{b:02X}")).collect();
            (Arc::new(bytes), hash)
        })
    }
}

static DOCUMENTS: LazyLock<Vec<Document>> = LazyLock::new(|| {
    group_versions()
        .into_iter()
        .map(|(group, version)| Document {
            path: document_path(group, version),
            group,
            version,
            built: OnceLock::new(),
        })
        .collect()
});

/// `api/v1` or `apis/apps/v1`: the key kubectl looks a group/version up by.
fn document_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `GET /openapi/v3`: where each group/version document is, with a content hash so
/// clients can cache by URL.
pub fn v3_index() -> Value {
    let paths: Map<String, Value> = DOCUMENTS
        .iter()
        .map(|d| {
            let url = format!("/openapi/v3/{}?hash={}", d.path, d.get().1);
            (d.path.clone(), json!({"serverRelativeURL": url}))
        })
        .collect();
    json!({"paths": paths})
}

/// `GET /openapi/v3/<path>` (`api/v1`, `apis/apps/v1`): the JSON document, or None when
/// no such group/version is served.
pub fn v3_document(path: &str) -> Option<Arc<Vec<u8>>> {
    DOCUMENTS
        .iter()
        .find(|d| d.path == path)
        .map(|d| d.get().0.clone())
}

/// The component schemas of every group/version's document, by name. Schemas shared by
/// several documents (`DeleteOptions`, `WatchEvent`) list every document's kinds.
pub fn all_schemas() -> Map<String, Value> {
    const GVK: &str = "x-kubernetes-group-version-kind";
    let mut all = Map::new();
    for doc in DOCUMENTS.iter() {
        let mut parsed: Value =
            serde_json::from_slice(&doc.get().0).expect("the document was serialised from JSON");
        let Some(Value::Object(schemas)) = parsed["components"].get_mut("schemas").map(Value::take)
        else {
            continue;
        };
        for (name, schema) in schemas {
            match all.get_mut(&name) {
                None => {
                    all.insert(name, schema);
                }
                Some(known) => {
                    for kind in schema[GVK].as_array().into_iter().flatten() {
                        if let Some(Value::Array(kinds)) = known.get_mut(GVK)
                            && !kinds.contains(kind)
                        {
                            kinds.push(kind.clone());
                        }
                    }
                }
            }
        }
    }
    all
}

/// How one group/version names itself in operation ids and tags.
struct Naming {
    /// `/apis/apps/v1`.
    prefix: String,
    /// `AppsV1`, `CoreV1`, `RbacAuthorizationV1`.
    operation: String,
    /// `apps_v1`, `core_v1`, `rbacAuthorization_v1`.
    tag: String,
}

impl Naming {
    fn new(group: &str, version: &str) -> Naming {
        let group_words: Vec<&str> = if group.is_empty() {
            vec!["core"]
        } else {
            group.trim_end_matches(".k8s.io").split('.').collect()
        };
        let operation: String = group_words.iter().map(|w| capitalize(w)).collect();
        let tag_group = format!(
            "{}{}",
            group_words[0],
            group_words[1..]
                .iter()
                .map(|w| capitalize(w))
                .collect::<String>()
        );
        Naming {
            prefix: format!("/{}", document_path(group, version)),
            operation: format!("{operation}{}", capitalize(version)),
            tag: format!("{tag_group}_{version}"),
        }
    }

    fn operation_id(
        &self,
        verb: &str,
        infix: &str,
        namespaced: bool,
        kind: &str,
        suffix: &str,
    ) -> String {
        let scope = if namespaced { "Namespaced" } else { "" };
        format!("{verb}{}{infix}{scope}{kind}{suffix}", self.operation)
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

fn gvk(group: &str, version: &str, kind: &str) -> Value {
    json!({"group": group, "version": version, "kind": kind})
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("{SCHEMA_PREFIX}{name}")})
}

/// The definition name a schemars `$ref` points at.
fn referenced_name(schema: &Schema) -> String {
    let reference = schema
        .get("$ref")
        .and_then(Value::as_str)
        .expect("k8s-openapi types are named definitions");
    reference
        .strip_prefix(SCHEMA_PREFIX)
        .unwrap_or(reference)
        .to_string()
}

fn build_document(group: &'static str, version: &'static str) -> Value {
    let mut generator = SchemaSettings::openapi3().into_generator();
    let naming = Naming::new(group, version);
    let mut gvk_extensions: Vec<(String, Vec<Value>)> = Vec::new();
    let mut paths = Map::new();

    let common = CommonSchemas {
        delete_options: referenced_name(&generator.subschema_for::<meta::DeleteOptions>()),
        status: referenced_name(&generator.subschema_for::<meta::Status>()),
        patch: referenced_name(&generator.subschema_for::<meta::Patch>()),
        watch_event: referenced_name(&generator.subschema_for::<meta::WatchEvent<()>>()),
    };
    let per_group_gvks = |kind: &str| {
        let mut out = vec![gvk("", "v1", kind)];
        if !group.is_empty() {
            out.push(gvk(group, version, kind));
        }
        out
    };
    gvk_extensions.push((
        common.delete_options.clone(),
        per_group_gvks("DeleteOptions"),
    ));
    gvk_extensions.push((common.watch_event.clone(), per_group_gvks("WatchEvent")));
    gvk_extensions.push((common.status.clone(), vec![gvk("", "v1", "Status")]));

    for rt in discovery::resources_of(group, version) {
        let kind_schema = referenced_name(&rt.codec.schema(&mut generator));
        let list_schema = add_list_schema(&mut generator, rt, &kind_schema);
        gvk_extensions.push((
            kind_schema.clone(),
            vec![gvk(rt.group, rt.version, rt.kind)],
        ));
        gvk_extensions.push((
            list_schema.clone(),
            vec![gvk(rt.group, rt.version, &rt.list_kind())],
        ));
        let resource = ResourcePaths {
            naming: &naming,
            rt,
            common: &common,
            kind_schema,
            list_schema,
        };
        resource.add_to(&mut paths);
        for sub in discovery::subresources(rt) {
            let body = subresource_body(&mut generator, &sub, &resource.kind_schema);
            if let Some((name, kind_gvk)) = &body
                && *name != resource.kind_schema
            {
                gvk_extensions.push((name.clone(), vec![kind_gvk.clone()]));
            }
            resource.add_subresource(&mut paths, &sub, body.map(|(name, _)| name));
        }
    }

    let mut schemas = generator.take_definitions(true);
    for (name, gvks) in gvk_extensions {
        if let Some(Value::Object(schema)) = schemas.get_mut(&name) {
            schema.insert("x-kubernetes-group-version-kind".into(), Value::Array(gvks));
            upstream_required_fields(&name, schema);
        }
    }
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": discovery::git_version()},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "BearerToken": {"type": "apiKey", "in": "header", "name": "authorization", "description": "Bearer Token authentication"},
            },
        },
        "security": [{"BearerToken": []}],
    })
}

/// k8s-openapi lists a kind's non-optional Rust fields as required (`metadata`, often
/// `spec`, a ControllerRevision's `data`); upstream's schemas require none of those, so
/// `kubectl explain` would mark them `-required-`.
fn upstream_required_fields(name: &str, schema: &mut Map<String, Value>) {
    let required = match name {
        "io.k8s.api.apps.v1.ControllerRevision" => vec![Value::from("revision")],
        _ => schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|field| !matches!(field.as_str(), Some("metadata" | "spec" | "data")))
            .cloned()
            .collect(),
    };
    if required.is_empty() {
        schema.remove("required");
    } else {
        schema.insert("required".into(), Value::Array(required));
    }
}

/// Registers `<Kind>List` (k8s-openapi has no schema for its generic `List<T>`) and
/// returns its name.
fn add_list_schema(
    generator: &mut SchemaGenerator,
    rt: &ResourceType,
    kind_schema: &str,
) -> String {
    let list_meta = generator.subschema_for::<meta::ListMeta>();
    let name = format!("{kind_schema}List");
    let list = json!({
        "description": format!("{} is a list of {} objects.", rt.list_kind(), rt.kind),
        "type": "object",
        "properties": {
            "apiVersion": {"description": "APIVersion defines the versioned schema of this representation of an object.", "type": "string"},
            "items": {"description": format!("List of {}.", rt.plural), "type": "array", "items": reference(kind_schema)},
            "kind": {"description": "Kind is a string value representing the REST resource this object represents.", "type": "string"},
            "metadata": {"allOf": [list_meta], "description": "Standard list metadata."},
        },
        "required": ["items"],
    });
    generator.definitions_mut().insert(name.clone(), list);
    name
}

/// The schema a subresource reads and writes, with its GVK; None for the streaming ones
/// (log, exec, attach, portforward), which speak text or a connection.
fn subresource_body(
    generator: &mut SchemaGenerator,
    sub: &SubresourceInfo,
    kind_schema: &str,
) -> Option<(String, Value)> {
    let name = match (sub.group, sub.version, sub.kind) {
        _ if sub.name == "log" || sub.kind.ends_with("Options") => return None,
        ("autoscaling", "v1", "Scale") => {
            referenced_name(&generator.subschema_for::<autoscaling::v1::Scale>())
        }
        ("policy", "v1", "Eviction") => {
            referenced_name(&generator.subschema_for::<policy::v1::Eviction>())
        }
        ("", "v1", "Binding") => referenced_name(&generator.subschema_for::<core::v1::Binding>()),
        // The parent's own kind (status, finalize).
        _ => kind_schema.to_string(),
    };
    Some((name, gvk(sub.group, sub.version, sub.kind)))
}

struct CommonSchemas {
    delete_options: String,
    status: String,
    patch: String,
    watch_event: String,
}

/// The operations of one kind in its group/version document.
struct ResourcePaths<'a> {
    naming: &'a Naming,
    rt: &'a ResourceType,
    common: &'a CommonSchemas,
    kind_schema: String,
    list_schema: String,
}

impl ResourcePaths<'_> {
    fn gvk(&self) -> Value {
        gvk(self.rt.group, self.rt.version, self.rt.kind)
    }

    fn id(&self, verb: &str, suffix: &str) -> String {
        self.naming
            .operation_id(verb, "", self.rt.namespaced, self.rt.kind, suffix)
    }

    fn operation(
        &self,
        id: String,
        description: String,
        action: &str,
        gvk: Value,
        parameters: Vec<Value>,
    ) -> Map<String, Value> {
        let mut op = Map::new();
        op.insert("description".into(), description.into());
        op.insert("operationId".into(), id.into());
        if !parameters.is_empty() {
            op.insert("parameters".into(), parameters.into());
        }
        op.insert("tags".into(), json!([self.naming.tag]));
        op.insert("x-kubernetes-action".into(), action.into());
        op.insert("x-kubernetes-group-version-kind".into(), gvk);
        op
    }

    /// `/…/namespaces/{namespace}/<plural>` (or `/…/<plural>` for cluster kinds).
    fn collection_path(&self, watch: bool) -> String {
        let watch = if watch { "/watch" } else { "" };
        match self.rt.namespaced {
            true => format!(
                "{}{watch}/namespaces/{{namespace}}/{}",
                self.naming.prefix, self.rt.plural
            ),
            false => format!("{}{watch}/{}", self.naming.prefix, self.rt.plural),
        }
    }

    fn scope_parameters(&self, named: bool) -> Vec<Value> {
        let mut out = Vec::new();
        if named {
            out.push(path_parameter(
                "name",
                &format!("name of the {}", self.rt.kind),
            ));
        }
        if self.rt.namespaced {
            out.push(path_parameter(
                "namespace",
                "object name and auth scope, such as for teams and projects",
            ));
        }
        out.push(query_parameter(
            "pretty",
            "string",
            "If 'true', then the output is pretty printed.",
        ));
        out
    }

    fn add_to(&self, paths: &mut Map<String, Value>) {
        let kind = self.rt.kind;
        let write_responses = |codes: &[&str]| responses(codes, &self.kind_schema);

        // The collection: list, create, delete collection.
        let mut collection = Map::new();
        collection.insert("parameters".into(), self.scope_parameters(false).into());
        let mut list = self.operation(
            self.id("list", ""),
            format!("list or watch objects of kind {kind}"),
            "list",
            self.gvk(),
            list_parameters(true),
        );
        list.insert("responses".into(), list_responses(&self.list_schema));
        collection.insert("get".into(), list.into());
        let mut create = self.operation(
            self.id("create", ""),
            format!("create a {kind}"),
            "post",
            self.gvk(),
            write_parameters(false),
        );
        create.insert("requestBody".into(), body(&["*/*"], &self.kind_schema));
        create.insert("responses".into(), write_responses(&["200", "201", "202"]));
        collection.insert("post".into(), create.into());
        if self.rt.collection_delete {
            let mut parameters = list_parameters(false);
            parameters.extend(delete_parameters());
            sort_parameters(&mut parameters);
            let mut delete = self.operation(
                self.id("deleteCollection", ""),
                format!("delete collection of {kind}"),
                "deletecollection",
                self.gvk(),
                parameters,
            );
            delete.insert(
                "requestBody".into(),
                body(&["*/*"], &self.common.delete_options),
            );
            delete.insert("responses".into(), responses(&["200"], &self.common.status));
            collection.insert("delete".into(), delete.into());
        }
        paths.insert(self.collection_path(false), collection.into());

        // One object: read, replace, patch, delete.
        let mut item = Map::new();
        item.insert("parameters".into(), self.scope_parameters(true).into());
        let mut read = self.operation(
            self.id("read", ""),
            format!("read the specified {kind}"),
            "get",
            self.gvk(),
            Vec::new(),
        );
        read.insert("responses".into(), write_responses(&["200"]));
        item.insert("get".into(), read.into());
        item.insert(
            "put".into(),
            self.replace("", &self.kind_schema, self.gvk()).into(),
        );
        item.insert(
            "patch".into(),
            self.patch("", &self.kind_schema, self.gvk()).into(),
        );
        let mut delete = self.operation(
            self.id("delete", ""),
            format!("delete a {kind}"),
            "delete",
            self.gvk(),
            delete_parameters(),
        );
        delete.insert(
            "requestBody".into(),
            body(&["*/*"], &self.common.delete_options),
        );
        delete.insert(
            "responses".into(),
            responses(&["200", "202"], &self.common.status),
        );
        item.insert("delete".into(), delete.into());
        paths.insert(
            format!("{}/{{name}}", self.collection_path(false)),
            item.into(),
        );

        // Namespaced kinds are also listed across namespaces.
        if self.rt.namespaced {
            let mut parameters = list_parameters(true);
            parameters.push(query_parameter(
                "pretty",
                "string",
                "If 'true', then the output is pretty printed.",
            ));
            sort_parameters(&mut parameters);
            let id = self
                .naming
                .operation_id("list", "", false, kind, "ForAllNamespaces");
            let mut list = self.operation(
                id,
                format!("list or watch objects of kind {kind}"),
                "list",
                self.gvk(),
                Vec::new(),
            );
            list.insert("responses".into(), list_responses(&self.list_schema));
            paths.insert(
                format!("{}/{}", self.naming.prefix, self.rt.plural),
                json!({"parameters": parameters, "get": list}),
            );
        }
        self.add_watch_paths(paths);
    }

    /// The deprecated `/watch/` paths, still part of upstream's documents.
    fn add_watch_paths(&self, paths: &mut Map<String, Value>) {
        let kind = self.rt.kind;
        let watch_item = |parameters: Vec<Value>, id: String, description: String, action: &str| {
            let mut parameters = parameters;
            parameters.extend(list_parameters(true));
            let mut get = self.operation(id, description, action, self.gvk(), Vec::new());
            get.insert(
                "responses".into(),
                watch_responses(&self.common.watch_event),
            );
            json!({"parameters": parameters, "get": get})
        };
        let namespaced = self.rt.namespaced;
        let list_id = self
            .naming
            .operation_id("watch", "", namespaced, kind, "List");
        let list_description = format!(
            "watch individual changes to a list of {kind}. deprecated: use the 'watch' parameter with a list operation instead."
        );
        paths.insert(
            self.collection_path(true),
            watch_item(
                self.scope_parameters(false),
                list_id,
                list_description,
                "watchlist",
            ),
        );
        let one_id = self.naming.operation_id("watch", "", namespaced, kind, "");
        let one_description = format!(
            "watch changes to an object of kind {kind}. deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter."
        );
        paths.insert(
            format!("{}/{{name}}", self.collection_path(true)),
            watch_item(
                self.scope_parameters(true),
                one_id,
                one_description,
                "watch",
            ),
        );
        if namespaced {
            let id = self
                .naming
                .operation_id("watch", "", false, kind, "ListForAllNamespaces");
            let description = format!(
                "watch individual changes to a list of {kind}. deprecated: use the 'watch' parameter with a list operation instead."
            );
            let pretty = vec![query_parameter(
                "pretty",
                "string",
                "If 'true', then the output is pretty printed.",
            )];
            paths.insert(
                format!("{}/watch/{}", self.naming.prefix, self.rt.plural),
                watch_item(pretty, id, description, "watchlist"),
            );
        }
    }

    fn replace(&self, suffix: &str, schema: &str, gvk: Value) -> Map<String, Value> {
        let what = if suffix.is_empty() {
            String::new()
        } else {
            format!("{} of ", suffix.to_lowercase())
        };
        let mut op = self.operation(
            self.id("replace", suffix),
            format!("replace {what}the specified {}", self.rt.kind),
            "put",
            gvk,
            write_parameters(false),
        );
        op.insert("requestBody".into(), body(&["*/*"], schema));
        op.insert("responses".into(), responses(&["200", "201"], schema));
        op
    }

    fn patch(&self, suffix: &str, schema: &str, gvk: Value) -> Map<String, Value> {
        let what = if suffix.is_empty() {
            String::new()
        } else {
            format!("{} of ", suffix.to_lowercase())
        };
        let mut op = self.operation(
            self.id("patch", suffix),
            format!("partially update {what}the specified {}", self.rt.kind),
            "patch",
            gvk,
            write_parameters(true),
        );
        op.insert(
            "requestBody".into(),
            body(PATCH_BODY_TYPES, &self.common.patch),
        );
        op.insert("responses".into(), responses(&["200", "201"], schema));
        op
    }

    fn add_subresource(
        &self,
        paths: &mut Map<String, Value>,
        sub: &SubresourceInfo,
        body_schema: Option<String>,
    ) {
        let suffix = capitalize(sub.name);
        let sub_gvk = gvk(sub.group, sub.version, sub.kind);
        let mut item = Map::new();
        match body_schema {
            // log: plain text.
            None if sub.name == "log" => {
                item.insert("parameters".into(), self.scope_parameters(true).into());
                let mut read = self.operation(
                    self.id("read", &suffix),
                    format!("read log of the specified {}", self.rt.kind),
                    "get",
                    sub_gvk,
                    log_parameters(),
                );
                read.insert("responses".into(), text_responses("text/plain"));
                item.insert("get".into(), read.into());
            }
            // exec, attach, portforward: connections opened with GET or POST.
            None => {
                let mut parameters = self.scope_parameters(true);
                parameters.retain(|p| p["name"] != "pretty");
                item.insert("parameters".into(), parameters.into());
                for (method, infix) in [("get", "Get"), ("post", "Post")] {
                    let id = self.naming.operation_id(
                        "connect",
                        infix,
                        self.rt.namespaced,
                        self.rt.kind,
                        &suffix,
                    );
                    let description = format!(
                        "connect {method} requests to {} of {}",
                        sub.name, self.rt.kind
                    );
                    let mut op = self.operation(
                        id,
                        description,
                        "connect",
                        sub_gvk.clone(),
                        connect_parameters(sub.name),
                    );
                    op.insert("responses".into(), text_responses("*/*"));
                    item.insert(method.into(), op.into());
                }
            }
            Some(schema) => {
                item.insert("parameters".into(), self.scope_parameters(true).into());
                for verb in sub.verbs {
                    match *verb {
                        "get" => {
                            let description =
                                format!("read {} of the specified {}", sub.name, self.rt.kind);
                            let mut read = self.operation(
                                self.id("read", &suffix),
                                description,
                                "get",
                                sub_gvk.clone(),
                                Vec::new(),
                            );
                            read.insert("responses".into(), responses(&["200"], &schema));
                            item.insert("get".into(), read.into());
                        }
                        "update" => {
                            item.insert(
                                "put".into(),
                                self.replace(&suffix, &schema, sub_gvk.clone()).into(),
                            );
                        }
                        "patch" => {
                            item.insert(
                                "patch".into(),
                                self.patch(&suffix, &schema, sub_gvk.clone()).into(),
                            );
                        }
                        "create" => {
                            let description = format!("create {} of a {}", sub.name, self.rt.kind);
                            let mut create = self.operation(
                                self.id("create", &suffix),
                                description,
                                "post",
                                sub_gvk.clone(),
                                write_parameters(false),
                            );
                            create.insert("requestBody".into(), body(&["*/*"], &schema));
                            create.insert(
                                "responses".into(),
                                responses(&["200", "201", "202"], &schema),
                            );
                            item.insert("post".into(), create.into());
                        }
                        _ => {}
                    }
                }
            }
        }
        paths.insert(
            format!("{}/{{name}}/{}", self.collection_path(false), sub.name),
            item.into(),
        );
    }
}

fn path_parameter(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "description": description, "required": true, "schema": {"type": "string", "uniqueItems": true}})
}

fn query_parameter(name: &str, kind: &str, description: &str) -> Value {
    json!({"name": name, "in": "query", "description": description, "schema": {"type": kind, "uniqueItems": true}})
}

fn sort_parameters(parameters: &mut [Value]) {
    parameters.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
}

/// Parameters of list (and, with `watch`, of watch) requests.
fn list_parameters(watch: bool) -> Vec<Value> {
    let mut out = Vec::new();
    if watch {
        out.push(query_parameter(
            "allowWatchBookmarks",
            "boolean",
            "allowWatchBookmarks requests watch events with type \"BOOKMARK\".",
        ));
    }
    out.extend([
        query_parameter("continue", "string", "The continue token returned by a previous list call that was limited."),
        query_parameter("fieldSelector", "string", "A selector to restrict the list of returned objects by their fields."),
        query_parameter("labelSelector", "string", "A selector to restrict the list of returned objects by their labels."),
        query_parameter("limit", "integer", "The maximum number of objects to return in one list call."),
        query_parameter("resourceVersion", "string", "resourceVersion sets a constraint on what resource versions a request may be served from."),
        query_parameter("resourceVersionMatch", "string", "resourceVersionMatch determines how resourceVersion is applied to list calls."),
        query_parameter("sendInitialEvents", "boolean", "With watch=true, begin the watch stream with synthetic events for the current state, then a bookmark."),
        query_parameter("timeoutSeconds", "integer", "Timeout for the list or watch call."),
    ]);
    if watch {
        out.push(query_parameter("watch", "boolean", "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications."));
    }
    out
}

const FIELD_VALIDATION: &str = "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: Ignore, Warn (the default) and Strict, which fails the request with a BadRequest error.";

/// Parameters of create, replace and (with `patch`) patch requests.
fn write_parameters(patch: bool) -> Vec<Value> {
    let mut out = vec![
        query_parameter(
            "dryRun",
            "string",
            "When present, indicates that modifications should not be persisted. Valid values are: All.",
        ),
        query_parameter(
            "fieldManager",
            "string",
            "fieldManager is a name associated with the actor or entity that is making these changes.",
        ),
        query_parameter("fieldValidation", "string", FIELD_VALIDATION),
    ];
    if patch {
        out.push(query_parameter("force", "boolean", "Force is going to \"force\" Apply requests: the caller re-acquires conflicting fields owned by other managers."));
    }
    out
}

fn delete_parameters() -> Vec<Value> {
    vec![
        query_parameter(
            "dryRun",
            "string",
            "When present, indicates that modifications should not be persisted. Valid values are: All.",
        ),
        query_parameter(
            "gracePeriodSeconds",
            "integer",
            "The duration in seconds before the object should be deleted.",
        ),
        query_parameter(
            "ignoreStoreReadErrorWithClusterBreakingPotential",
            "boolean",
            "Delete an object whose stored data cannot be read.",
        ),
        query_parameter(
            "orphanDependents",
            "boolean",
            "Deprecated: use propagationPolicy.",
        ),
        query_parameter(
            "propagationPolicy",
            "string",
            "Whether and how garbage collection will be performed: Orphan, Background or Foreground.",
        ),
    ]
}

fn log_parameters() -> Vec<Value> {
    vec![
        query_parameter(
            "container",
            "string",
            "The container for which to stream logs.",
        ),
        query_parameter("follow", "boolean", "Follow the log stream of the pod."),
        query_parameter(
            "insecureSkipTLSVerifyBackend",
            "boolean",
            "Skip verifying the serving certificate of the backend that serves the logs.",
        ),
        query_parameter(
            "limitBytes",
            "integer",
            "The number of bytes to read from the server before terminating the log output.",
        ),
        query_parameter(
            "previous",
            "boolean",
            "Return previous terminated container logs.",
        ),
        query_parameter(
            "sinceSeconds",
            "integer",
            "A relative time in seconds before the current time from which to show logs.",
        ),
        query_parameter(
            "sinceTime",
            "string",
            "An RFC3339 timestamp from which to show logs.",
        ),
        query_parameter(
            "stream",
            "string",
            "Which container log stream to return: All, Stdout or Stderr.",
        ),
        query_parameter(
            "tailLines",
            "integer",
            "The number of lines from the end of the logs to show.",
        ),
        query_parameter(
            "timestamps",
            "boolean",
            "Add an RFC3339 timestamp at the beginning of every line of log output.",
        ),
    ]
}

fn connect_parameters(subresource: &str) -> Vec<Value> {
    let streams = || {
        [
            query_parameter(
                "container",
                "string",
                "The container in which to execute the command.",
            ),
            query_parameter(
                "stderr",
                "boolean",
                "Redirect the standard error stream of the pod for this call.",
            ),
            query_parameter(
                "stdin",
                "boolean",
                "Redirect the standard input stream of the pod for this call.",
            ),
            query_parameter(
                "stdout",
                "boolean",
                "Redirect the standard output stream of the pod for this call.",
            ),
            query_parameter("tty", "boolean", "Allocate a terminal for this call."),
        ]
    };
    match subresource {
        "exec" => {
            let mut out = vec![query_parameter(
                "command",
                "string",
                "Command is the remote command to execute; one argument per parameter.",
            )];
            out.extend(streams());
            out
        }
        "attach" => streams().into(),
        "portforward" => vec![query_parameter(
            "ports",
            "integer",
            "List of ports to forward.",
        )],
        _ => Vec::new(),
    }
}

fn body(content_types: &[&str], schema: &str) -> Value {
    let content: Map<String, Value> = content_types
        .iter()
        .map(|t| (t.to_string(), json!({"schema": reference(schema)})))
        .collect();
    json!({"content": content, "required": true})
}

fn status_text(code: &str) -> &'static str {
    match code {
        "200" => "OK",
        "201" => "Created",
        "202" => "Accepted",
        _ => "",
    }
}

fn responses(codes: &[&str], schema: &str) -> Value {
    let mut out: Map<String, Value> = codes
        .iter()
        .map(|code| {
            let content = json!({"application/json": {"schema": reference(schema)}});
            (
                code.to_string(),
                json!({"description": status_text(code), "content": content}),
            )
        })
        .collect();
    out.insert("401".into(), json!({"description": "Unauthorized"}));
    out.into()
}

fn list_responses(list_schema: &str) -> Value {
    let content: Map<String, Value> = ["application/json", "application/json;stream=watch"]
        .iter()
        .map(|t| (t.to_string(), json!({"schema": reference(list_schema)})))
        .collect();
    json!({"200": {"description": "OK", "content": content}, "401": {"description": "Unauthorized"}})
}

fn watch_responses(watch_event: &str) -> Value {
    let content: Map<String, Value> = ["application/json", "application/json;stream=watch"]
        .iter()
        .map(|t| (t.to_string(), json!({"schema": reference(watch_event)})))
        .collect();
    json!({"200": {"description": "OK", "content": content}, "401": {"description": "Unauthorized"}})
}

fn text_responses(content_type: &str) -> Value {
    json!({
        "200": {"description": "OK", "content": {content_type: {"schema": {"type": "string"}}}},
        "401": {"description": "Unauthorized"},
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_api::registry::RESOURCES;

    fn document(path: &str) -> Value {
        serde_json::from_slice(&v3_document(path).unwrap_or_else(|| panic!("{path} missing")))
            .unwrap()
    }

    fn operation<'a>(doc: &'a Value, path: &str, method: &str) -> &'a Value {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} missing");
        op
    }

    fn schema_with_gvk<'a>(
        doc: &'a Value,
        group: &str,
        version: &str,
        kind: &str,
    ) -> Option<&'a Value> {
        let wanted = gvk(group, version, kind);
        doc["components"]["schemas"]
            .as_object()
            .unwrap()
            .values()
            .find(|s| {
                s["x-kubernetes-group-version-kind"]
                    .as_array()
                    .is_some_and(|g| g.contains(&wanted))
            })
    }

    #[test]
    fn index_lists_every_served_group_version_with_a_stable_hash() {
        let index = v3_index();
        let paths = index["paths"].as_object().unwrap();
        for (group, version) in group_versions() {
            let path = document_path(group, version);
            let url = paths[&path]["serverRelativeURL"].as_str().unwrap();
            assert!(
                url.starts_with(&format!("/openapi/v3/{path}?hash=")),
                "{url}"
            );
            assert!(v3_document(&path).is_some());
        }
        assert!(paths.contains_key("api/v1") && paths.contains_key("apis/apps/v1"));
        assert_eq!(v3_index(), index);
        assert!(v3_document("apis/apps/v2").is_none());
        assert!(v3_document("apis/autoscaling/v1").is_none());
    }

    #[test]
    fn statefulset_patch_lets_kubectl_leave_validation_to_the_server() {
        let doc = document("apis/apps/v1");
        let patch = operation(
            &doc,
            "/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}",
            "patch",
        );
        assert_eq!(patch["operationId"], "patchAppsV1NamespacedStatefulSet");
        assert_eq!(patch["x-kubernetes-action"], "patch");
        // A single object on operations (kubectl's query param verifier reads a map).
        assert_eq!(
            patch["x-kubernetes-group-version-kind"],
            gvk("apps", "v1", "StatefulSet")
        );
        let names: Vec<&str> = patch["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["in"] == "query")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        for wanted in ["fieldValidation", "dryRun", "fieldManager", "force"] {
            assert!(names.contains(&wanted), "{wanted}");
        }
        let content = patch["requestBody"]["content"].as_object().unwrap();
        for t in [
            "application/json-patch+json",
            "application/merge-patch+json",
            "application/apply-patch+yaml",
        ] {
            assert!(content.contains_key(t), "{t}");
        }
    }

    /// kubectl's verifier stops at the first PATCH operation with the kind's GVK, in map
    /// order, so every one of them must carry fieldValidation.
    #[test]
    fn every_patch_operation_has_field_validation_and_a_gvk() {
        for (group, version) in group_versions() {
            let doc = document(&document_path(group, version));
            for (path, item) in doc["paths"].as_object().unwrap() {
                for (method, op) in item
                    .as_object()
                    .unwrap()
                    .iter()
                    .filter(|(m, _)| *m != "parameters")
                {
                    assert!(
                        op["x-kubernetes-group-version-kind"]["kind"].is_string(),
                        "{method} {path}"
                    );
                    assert!(op["operationId"].is_string(), "{method} {path}");
                    if method == "patch" {
                        assert!(
                            op["parameters"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .any(|p| p["name"] == "fieldValidation" && p["in"] == "query"),
                            "{path}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn every_served_kind_and_list_has_its_schema_and_operations() {
        for rt in RESOURCES {
            let doc = document(&document_path(rt.group, rt.version));
            let schema = schema_with_gvk(&doc, rt.group, rt.version, rt.kind)
                .unwrap_or_else(|| panic!("{rt:?} schema"));
            assert!(schema["description"].is_string(), "{rt:?}");
            assert!(schema["properties"]["metadata"].is_object(), "{rt:?}");
            let list = schema_with_gvk(&doc, rt.group, rt.version, &rt.list_kind())
                .unwrap_or_else(|| panic!("{rt:?} list"));
            assert!(list["properties"]["items"]["items"]["$ref"].is_string());
            let naming = Naming::new(rt.group, rt.version);
            let ids: Vec<&str> = doc["paths"]
                .as_object()
                .unwrap()
                .values()
                .flat_map(|item| item.as_object().unwrap().values())
                .filter_map(|op| op["operationId"].as_str())
                .collect();
            for verb in ["list", "create", "read", "replace", "patch", "delete"] {
                let id = naming.operation_id(verb, "", rt.namespaced, rt.kind, "");
                assert!(ids.contains(&id.as_str()), "{id}");
            }
            let delete_collection =
                naming.operation_id("deleteCollection", "", rt.namespaced, rt.kind, "");
            assert_eq!(
                ids.contains(&delete_collection.as_str()),
                rt.collection_delete,
                "{delete_collection}"
            );
        }
    }

    #[test]
    fn operation_ids_follow_upstream() {
        let core = document("api/v1");
        assert_eq!(
            operation(&core, "/api/v1/namespaces/{namespace}/pods", "get")["operationId"],
            "listCoreV1NamespacedPod"
        );
        assert_eq!(
            operation(&core, "/api/v1/pods", "get")["operationId"],
            "listCoreV1PodForAllNamespaces"
        );
        assert_eq!(
            operation(&core, "/api/v1/namespaces/{namespace}/pods/{name}", "get")["operationId"],
            "readCoreV1NamespacedPod"
        );
        assert_eq!(
            operation(&core, "/api/v1/namespaces/{name}", "put")["operationId"],
            "replaceCoreV1Namespace"
        );
        assert_eq!(
            operation(&core, "/api/v1/namespaces/{name}/finalize", "put")["operationId"],
            "replaceCoreV1NamespaceFinalize"
        );
        assert_eq!(
            operation(
                &core,
                "/api/v1/namespaces/{namespace}/pods/{name}/exec",
                "post"
            )["operationId"],
            "connectCoreV1PostNamespacedPodExec"
        );
        assert_eq!(
            operation(&core, "/api/v1/watch/namespaces/{namespace}/pods", "get")["operationId"],
            "watchCoreV1NamespacedPodList"
        );
        let log = operation(
            &core,
            "/api/v1/namespaces/{namespace}/pods/{name}/log",
            "get",
        );
        assert_eq!(log["operationId"], "readCoreV1NamespacedPodLog");
        assert!(log["responses"]["200"]["content"]["text/plain"].is_object());
        let rbac = document("apis/rbac.authorization.k8s.io/v1");
        let op = operation(
            &rbac,
            "/apis/rbac.authorization.k8s.io/v1/clusterroles",
            "get",
        );
        assert_eq!(op["operationId"], "listRbacAuthorizationV1ClusterRole");
        assert_eq!(op["tags"], json!(["rbacAuthorization_v1"]));
    }

    #[test]
    fn scale_and_eviction_speak_their_own_kinds() {
        let apps = document("apis/apps/v1");
        let path = "/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}/scale";
        let patch = operation(&apps, path, "patch");
        assert_eq!(
            patch["operationId"],
            "patchAppsV1NamespacedStatefulSetScale"
        );
        assert_eq!(
            patch["x-kubernetes-group-version-kind"],
            gvk("autoscaling", "v1", "Scale")
        );
        assert_eq!(
            operation(&apps, path, "get")["responses"]["200"]["content"]["application/json"]["schema"]
                ["$ref"],
            "#/components/schemas/io.k8s.api.autoscaling.v1.Scale"
        );
        let scale = schema_with_gvk(&apps, "autoscaling", "v1", "Scale").unwrap();
        assert!(scale["properties"]["spec"].is_object());
        let status = operation(
            &apps,
            "/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}/status",
            "patch",
        );
        assert_eq!(
            status["x-kubernetes-group-version-kind"],
            gvk("apps", "v1", "StatefulSet")
        );

        let core = document("api/v1");
        let eviction = operation(
            &core,
            "/api/v1/namespaces/{namespace}/pods/{name}/eviction",
            "post",
        );
        assert_eq!(eviction["operationId"], "createCoreV1NamespacedPodEviction");
        assert_eq!(
            eviction["x-kubernetes-group-version-kind"],
            gvk("policy", "v1", "Eviction")
        );
        assert!(schema_with_gvk(&core, "policy", "v1", "Eviction").is_some());
        assert!(schema_with_gvk(&core, "", "v1", "Binding").is_some());
    }

    /// What `kubectl explain statefulset.spec.updateStrategy` walks: the kind schema found
    /// by GVK, then properties through `$ref`/`allOf`, each with a description.
    #[test]
    fn explain_path_resolves_with_descriptions() {
        let doc = document("apis/apps/v1");
        let schemas = &doc["components"]["schemas"];
        let resolve = |schema: &Value| -> Value {
            let target = schema
                .get("$ref")
                .or_else(|| schema["allOf"].get(0).and_then(|s| s.get("$ref")));
            match target.and_then(Value::as_str) {
                Some(r) => schemas[r.strip_prefix(SCHEMA_PREFIX).unwrap()].clone(),
                None => schema.clone(),
            }
        };
        let mut schema = schema_with_gvk(&doc, "apps", "v1", "StatefulSet")
            .unwrap()
            .clone();
        for field in ["spec", "updateStrategy", "rollingUpdate", "partition"] {
            let property = schema["properties"][field].clone();
            assert!(property["description"].is_string(), "{field}");
            schema = resolve(&property);
        }
        assert_eq!(schema["type"], "integer");
    }

    #[test]
    fn kinds_require_what_upstream_requires() {
        let doc = document("apis/apps/v1");
        let schemas = &doc["components"]["schemas"];
        assert!(
            schemas["io.k8s.api.apps.v1.StatefulSet"]
                .get("required")
                .is_none()
        );
        assert_eq!(
            schemas["io.k8s.api.apps.v1.ControllerRevision"]["required"],
            json!(["revision"])
        );
        assert_eq!(
            schemas["io.k8s.api.apps.v1.StatefulSetSpec"]["required"],
            json!(["selector", "template"])
        );
    }

    #[test]
    fn every_reference_resolves() {
        fn walk<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
            match value {
                Value::Object(map) => {
                    if let Some(Value::String(r)) = map.get("$ref") {
                        out.push(r);
                    }
                    map.values().for_each(|v| walk(v, out));
                }
                Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
                _ => {}
            }
        }
        for (group, version) in group_versions() {
            let doc = document(&document_path(group, version));
            let mut refs = Vec::new();
            walk(&doc, &mut refs);
            assert!(!refs.is_empty());
            for r in refs {
                let name = r
                    .strip_prefix(SCHEMA_PREFIX)
                    .unwrap_or_else(|| panic!("{r}"));
                assert!(
                    doc["components"]["schemas"].get(name).is_some(),
                    "{group}/{version}: {r}"
                );
            }
        }
    }
}
