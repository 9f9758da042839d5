//! Decoding of `application/vnd.kubernetes.protobuf` request bodies into JSON.
//!
//! kubectl's typed-client commands (`create configmap`, `create secret`, `create role`,
//! `debug --copy-to`, `drain --disable-eviction`, `create token`, `auth can-i`, …) send their
//! bodies as Kubernetes protobuf and client-go does not retry with JSON on a 415, so the API
//! server has to read them. Responses stay JSON, which those clients accept.
//!
//! A body is the 4-byte magic `k8s\0` followed by a `runtime.Unknown` envelope whose `typeMeta`
//! names the kind and whose `raw` holds the object message. Objects are decoded by walking
//! declarative tables (field number → JSON name and shape) written from the field numbers of
//! upstream's `generated.proto` files. The JSON produced is what kubectl would have sent had it
//! used JSON: zero values of `omitempty` fields are dropped, pointer fields and fields without
//! `omitempty` keep theirs, and unknown field numbers are skipped as protobuf does.

use base64::Engine;
use serde_json::{Map, Value};

/// The media type of Kubernetes protobuf bodies.
pub const MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// The prefix upstream puts before every protobuf-encoded object.
const MAGIC: &[u8] = b"k8s\0";

/// Why a protobuf body could not be turned into JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtobufError {
    /// The body was empty.
    #[error("empty data")]
    EmptyData,
    /// The body did not start with the `k8s\0` magic.
    #[error(
        "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"
    )]
    MissingPrefix,
    /// The body held the magic and nothing else.
    #[error("empty body")]
    EmptyBody,
    /// The envelope named no kind.
    #[error("Object 'Kind' is missing in the protobuf envelope")]
    MissingKind,
    /// The bytes are not a well-formed message of the named kind.
    #[error("{0}")]
    Malformed(String),
    /// A kind this decoder has no layout for; answered like any unreadable media type.
    #[error(
        "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml"
    )]
    UnsupportedKind { api_version: String, kind: String },
}

impl ProtobufError {
    /// True when the answer should be 415 Unsupported Media Type rather than 400 Bad Request.
    pub fn is_unsupported_media_type(&self) -> bool {
        matches!(self, ProtobufError::UnsupportedKind { .. })
    }
}

/// True for `application/vnd.kubernetes.protobuf`, with or without parameters.
pub fn is_protobuf(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or("").trim();
    media.eq_ignore_ascii_case(MEDIA_TYPE)
}

/// Decodes a `application/vnd.kubernetes.protobuf` body: the 4-byte magic "k8s\0", then a
/// runtime.Unknown {typeMeta{apiVersion, kind}, raw, contentEncoding, contentType}; `raw` is the
/// object message. Returns the object as JSON (with apiVersion/kind from typeMeta), or an error
/// with a message for a 400 (or a 415, see [`ProtobufError::is_unsupported_media_type`]).
pub fn decode_object(body: &[u8]) -> Result<Value, ProtobufError> {
    if body.is_empty() {
        return Err(ProtobufError::EmptyData);
    }
    let envelope = body
        .strip_prefix(MAGIC)
        .ok_or(ProtobufError::MissingPrefix)?;
    if envelope.is_empty() {
        return Err(ProtobufError::EmptyBody);
    }
    let (type_meta, raw) = read_unknown(envelope)?;
    let api_version = string_field(&type_meta, "apiVersion");
    let kind = string_field(&type_meta, "kind");
    if kind.is_empty() {
        return Err(ProtobufError::MissingKind);
    }
    let Some(&(_, _, message)) = KINDS
        .iter()
        .find(|(v, k, _)| *v == api_version && *k == kind)
    else {
        return Err(ProtobufError::UnsupportedKind { api_version, kind });
    };
    let mut object = Map::new();
    object.insert("kind".into(), Value::String(kind));
    object.insert("apiVersion".into(), Value::String(api_version));
    decode_message(raw, message, &mut object)?;
    Ok(Value::Object(object))
}

/// Splits a runtime.Unknown into its decoded typeMeta and its raw object bytes; the content
/// encoding and type fields are ignored, as upstream's decoder ignores them.
fn read_unknown(envelope: &[u8]) -> Result<(Map<String, Value>, &[u8]), ProtobufError> {
    let mut reader = Reader::new(envelope);
    let mut type_meta = Map::new();
    let mut raw: &[u8] = &[];
    while !reader.is_done() {
        let (number, wire) = reader.key("Unknown")?;
        match (number, wire) {
            (1, Wire::Len) => decode_message(reader.len_delimited()?, &TYPE_META, &mut type_meta)?,
            (2, Wire::Len) => raw = reader.len_delimited()?,
            (1 | 2, _) => {
                return Err(wrong_wire_type(
                    wire,
                    if number == 1 { "typeMeta" } else { "raw" },
                ));
            }
            _ => reader.skip(wire)?,
        }
    }
    Ok((type_meta, raw))
}

fn string_field(object: &Map<String, Value>, name: &str) -> String {
    object
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The top-level kinds this decoder knows: (apiVersion, kind, layout).
static KINDS: &[(&str, &str, &Message)] = &[
    ("v1", "Namespace", &NAMESPACE),
    ("v1", "ConfigMap", &CONFIG_MAP),
    ("v1", "Secret", &SECRET),
    ("v1", "ServiceAccount", &SERVICE_ACCOUNT),
    ("v1", "Service", &SERVICE),
    ("v1", "Pod", &POD),
    ("v1", "DeleteOptions", &DELETE_OPTIONS),
    ("rbac.authorization.k8s.io/v1", "Role", &ROLE),
    ("rbac.authorization.k8s.io/v1", "ClusterRole", &CLUSTER_ROLE),
    ("rbac.authorization.k8s.io/v1", "RoleBinding", &ROLE_BINDING),
    (
        "rbac.authorization.k8s.io/v1",
        "ClusterRoleBinding",
        &CLUSTER_ROLE_BINDING,
    ),
    ("policy/v1", "Eviction", &EVICTION),
    ("authentication.k8s.io/v1", "TokenRequest", &TOKEN_REQUEST),
    (
        "authentication.k8s.io/v1",
        "SelfSubjectReview",
        &SELF_SUBJECT_REVIEW,
    ),
    (
        "authorization.k8s.io/v1",
        "SelfSubjectAccessReview",
        &SELF_SUBJECT_ACCESS_REVIEW,
    ),
];

// ---------------------------------------------------------------------------------------------
// Wire format

/// The protobuf wire types Kubernetes messages use (groups are not used by any of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wire {
    Varint,
    Fixed64,
    Len,
    Fixed32,
}

impl Wire {
    fn number(self) -> u64 {
        match self {
            Wire::Varint => 0,
            Wire::Fixed64 => 1,
            Wire::Len => 2,
            Wire::Fixed32 => 5,
        }
    }
}

fn unexpected_eof() -> ProtobufError {
    ProtobufError::Malformed("unexpected EOF".into())
}

fn wrong_wire_type(wire: Wire, field: &str) -> ProtobufError {
    ProtobufError::Malformed(format!(
        "proto: wrong wireType = {} for field {field}",
        wire.number()
    ))
}

/// A cursor over the bytes of one message.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    fn is_done(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn varint(&mut self) -> Result<u64, ProtobufError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.bytes.get(self.pos).ok_or_else(unexpected_eof)?;
            self.pos += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Ok(value);
            }
        }
        Err(ProtobufError::Malformed("proto: integer overflow".into()))
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], ProtobufError> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(unexpected_eof)?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn len_delimited(&mut self) -> Result<&'a [u8], ProtobufError> {
        let len = self.varint()?;
        let len = usize::try_from(len)
            .ok()
            .filter(|len| isize::try_from(*len).is_ok())
            .ok_or_else(|| {
                ProtobufError::Malformed("proto: negative length found during unmarshaling".into())
            })?;
        self.take(len)
    }

    /// Reads a field key; `message` names the message for the error upstream gives on tag 0.
    fn key(&mut self, message: &str) -> Result<(u64, Wire), ProtobufError> {
        let key = self.varint()?;
        let (number, wire_number) = (key >> 3, key & 7);
        let wire = match wire_number {
            0 => Wire::Varint,
            1 => Wire::Fixed64,
            2 => Wire::Len,
            5 => Wire::Fixed32,
            other => {
                return Err(ProtobufError::Malformed(format!(
                    "proto: {message}: illegal wireType {other}"
                )));
            }
        };
        if number == 0 {
            return Err(ProtobufError::Malformed(format!(
                "proto: {message}: illegal tag 0 (wire type {wire_number})"
            )));
        }
        Ok((number, wire))
    }

    fn skip(&mut self, wire: Wire) -> Result<(), ProtobufError> {
        match wire {
            Wire::Varint => self.varint().map(drop),
            Wire::Fixed64 => self.take(8).map(drop),
            Wire::Len => self.len_delimited().map(drop),
            Wire::Fixed32 => self.take(4).map(drop),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Message layouts and the table-driven decoder

/// The layout of one message type.
struct Message {
    name: &'static str,
    fields: &'static [Field],
}

impl Message {
    const fn new(name: &'static str, fields: &'static [Field]) -> Self {
        Message { name, fields }
    }

    fn field(&self, number: u64) -> Option<&Field> {
        self.fields.iter().find(|f| u64::from(f.number) == number)
    }
}

struct Field {
    number: u32,
    /// The JSON name; empty for inlined messages.
    name: &'static str,
    shape: Shape,
}

/// How a field is carried on the wire and in JSON.
enum Shape {
    /// One scalar; `keep_zero` mirrors Go pointers and fields without `omitempty`.
    Single { scalar: Scalar, keep_zero: bool },
    /// A list of scalars (`repeated`).
    Repeated(Scalar),
    /// `map<string, scalar>`, carried as repeated key/value entry messages.
    Map(Scalar),
    /// A nested object.
    Message(&'static Message),
    /// A list of nested objects.
    Messages(&'static Message),
    /// An embedded Go struct whose JSON fields sit in the parent object (`json:",inline"`).
    Inline(&'static Message),
}

/// A JSON leaf value. The last five travel as small messages of their own.
#[derive(Clone, Copy)]
enum Scalar {
    String,
    /// `[]byte`, base64 in JSON.
    Bytes,
    Int32,
    Int64,
    Bool,
    /// `intstr.IntOrString`: {type, intVal, strVal} → a JSON number or string.
    IntOrString,
    /// `resource.Quantity`: {string} → its string.
    Quantity,
    /// `metav1.Time`: {seconds, nanos} → RFC 3339 at second precision; empty → null.
    Time,
    /// `metav1.FieldsV1`: {raw} holding JSON → that JSON.
    RawJson,
    /// A named `[]string` such as `ExtraValue`: {repeated items} → a JSON array.
    StringList,
}

const fn omit(number: u32, name: &'static str, scalar: Scalar) -> Field {
    Field {
        number,
        name,
        shape: Shape::Single {
            scalar,
            keep_zero: false,
        },
    }
}

const fn keep(number: u32, name: &'static str, scalar: Scalar) -> Field {
    Field {
        number,
        name,
        shape: Shape::Single {
            scalar,
            keep_zero: true,
        },
    }
}

const fn repeated(number: u32, name: &'static str, scalar: Scalar) -> Field {
    Field {
        number,
        name,
        shape: Shape::Repeated(scalar),
    }
}

const fn map(number: u32, name: &'static str, scalar: Scalar) -> Field {
    Field {
        number,
        name,
        shape: Shape::Map(scalar),
    }
}

const fn message(number: u32, name: &'static str, message: &'static Message) -> Field {
    Field {
        number,
        name,
        shape: Shape::Message(message),
    }
}

const fn messages(number: u32, name: &'static str, message: &'static Message) -> Field {
    Field {
        number,
        name,
        shape: Shape::Messages(message),
    }
}

const fn inline(number: u32, message: &'static Message) -> Field {
    Field {
        number,
        name: "",
        shape: Shape::Inline(message),
    }
}

/// Decodes the fields of one message into `into`. A repeated singular field replaces the
/// earlier value and a repeated nested message merges into it, as protobuf specifies.
fn decode_message(
    bytes: &[u8],
    message: &Message,
    into: &mut Map<String, Value>,
) -> Result<(), ProtobufError> {
    let mut reader = Reader::new(bytes);
    while !reader.is_done() {
        let (number, wire) = reader.key(message.name)?;
        let Some(field) = message.field(number) else {
            reader.skip(wire)?;
            continue;
        };
        match &field.shape {
            Shape::Single { scalar, keep_zero } => {
                let value = read_scalar(&mut reader, wire, *scalar, field.name)?;
                if *keep_zero || !is_zero(&value) {
                    into.insert(field.name.into(), value);
                } else {
                    into.remove(field.name);
                }
            }
            Shape::Repeated(scalar) => {
                let mut values = Vec::new();
                let packed = wire == Wire::Len
                    && matches!(scalar, Scalar::Int32 | Scalar::Int64 | Scalar::Bool);
                if packed {
                    let mut items = Reader::new(reader.len_delimited()?);
                    while !items.is_done() {
                        values.push(read_scalar(&mut items, Wire::Varint, *scalar, field.name)?);
                    }
                } else {
                    values.push(read_scalar(&mut reader, wire, *scalar, field.name)?);
                }
                array_entry(into, field.name).extend(values);
            }
            Shape::Map(scalar) => {
                let entry = expect_len(&mut reader, wire, field.name)?;
                let (key, value) = read_map_entry(entry, *scalar, field.name)?;
                object_entry(into, field.name).insert(key, value);
            }
            Shape::Message(nested) => {
                let bytes = expect_len(&mut reader, wire, field.name)?;
                decode_message(bytes, nested, object_entry(into, field.name))?;
            }
            Shape::Messages(nested) => {
                let bytes = expect_len(&mut reader, wire, field.name)?;
                let mut item = Map::new();
                decode_message(bytes, nested, &mut item)?;
                array_entry(into, field.name).push(Value::Object(item));
            }
            Shape::Inline(nested) => {
                let bytes = expect_len(&mut reader, wire, nested.name)?;
                decode_message(bytes, nested, into)?;
            }
        }
    }
    Ok(())
}

fn expect_len<'a>(
    reader: &mut Reader<'a>,
    wire: Wire,
    field: &str,
) -> Result<&'a [u8], ProtobufError> {
    if wire != Wire::Len {
        return Err(wrong_wire_type(wire, field));
    }
    reader.len_delimited()
}

fn object_entry<'m>(into: &'m mut Map<String, Value>, name: &str) -> &'m mut Map<String, Value> {
    let slot = into
        .entry(name)
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut().expect("slot was just made an object")
}

fn array_entry<'m>(into: &'m mut Map<String, Value>, name: &str) -> &'m mut Vec<Value> {
    let slot = into.entry(name).or_insert_with(|| Value::Array(Vec::new()));
    if !slot.is_array() {
        *slot = Value::Array(Vec::new());
    }
    slot.as_array_mut().expect("slot was just made an array")
}

fn is_zero(value: &Value) -> bool {
    match value {
        Value::String(s) => s.is_empty(),
        Value::Number(n) => n.as_i64() == Some(0),
        Value::Bool(b) => !b,
        _ => false,
    }
}

fn read_scalar(
    reader: &mut Reader<'_>,
    wire: Wire,
    scalar: Scalar,
    field: &str,
) -> Result<Value, ProtobufError> {
    let expected = match scalar {
        Scalar::Int32 | Scalar::Int64 | Scalar::Bool => Wire::Varint,
        _ => Wire::Len,
    };
    if wire != expected {
        return Err(wrong_wire_type(wire, field));
    }
    Ok(match scalar {
        // Two's-complement truncation is how protobuf carries negative int32 and int64 values.
        Scalar::Int32 => Value::from(reader.varint()? as i32),
        Scalar::Int64 => Value::from(reader.varint()? as i64),
        Scalar::Bool => Value::Bool(reader.varint()? != 0),
        Scalar::String => Value::String(utf8(reader.len_delimited()?)),
        Scalar::Bytes => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(reader.len_delimited()?))
        }
        Scalar::IntOrString => read_int_or_string(reader.len_delimited()?)?,
        Scalar::Quantity => read_quantity(reader.len_delimited()?)?,
        Scalar::Time => read_time(reader.len_delimited()?)?,
        Scalar::RawJson => read_raw_json(reader.len_delimited()?)?,
        Scalar::StringList => read_string_list(reader.len_delimited()?)?,
    })
}

/// Go's JSON encoder writes invalid UTF-8 as U+FFFD; so does this.
fn utf8(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn read_map_entry(
    entry: &[u8],
    scalar: Scalar,
    field: &str,
) -> Result<(String, Value), ProtobufError> {
    let mut reader = Reader::new(entry);
    let mut key = String::new();
    let mut value = None;
    while !reader.is_done() {
        match reader.key(field)? {
            (1, Wire::Len) => key = utf8(reader.len_delimited()?),
            (1, wire) => return Err(wrong_wire_type(wire, "key")),
            (2, wire) => value = Some(read_scalar(&mut reader, wire, scalar, "value")?),
            (_, wire) => reader.skip(wire)?,
        }
    }
    let value = match value {
        Some(value) => value,
        None => zero_value(scalar),
    };
    Ok((key, value))
}

/// What an absent map value stands for.
fn zero_value(scalar: Scalar) -> Value {
    match scalar {
        Scalar::Int32 | Scalar::Int64 | Scalar::IntOrString => Value::from(0),
        Scalar::Bool => Value::Bool(false),
        Scalar::Quantity => Value::String("0".into()),
        Scalar::Time | Scalar::RawJson => Value::Null,
        Scalar::StringList => Value::Array(Vec::new()),
        Scalar::String | Scalar::Bytes => Value::String(String::new()),
    }
}

fn read_int_or_string(bytes: &[u8]) -> Result<Value, ProtobufError> {
    let mut reader = Reader::new(bytes);
    let (mut is_string, mut int_val, mut str_val) = (false, 0i32, String::new());
    while !reader.is_done() {
        match reader.key("IntOrString")? {
            (1, Wire::Varint) => is_string = reader.varint()? == 1,
            (2, Wire::Varint) => int_val = reader.varint()? as i32,
            (3, Wire::Len) => str_val = utf8(reader.len_delimited()?),
            (number @ 1..=3, wire) => {
                return Err(wrong_wire_type(
                    wire,
                    ["type", "intVal", "strVal"][number as usize - 1],
                ));
            }
            (_, wire) => reader.skip(wire)?,
        }
    }
    Ok(if is_string {
        Value::String(str_val)
    } else {
        Value::from(int_val)
    })
}

fn read_quantity(bytes: &[u8]) -> Result<Value, ProtobufError> {
    let mut reader = Reader::new(bytes);
    let mut text = String::new();
    while !reader.is_done() {
        match reader.key("Quantity")? {
            (1, Wire::Len) => text = utf8(reader.len_delimited()?),
            (1, wire) => return Err(wrong_wire_type(wire, "string")),
            (_, wire) => reader.skip(wire)?,
        }
    }
    Ok(Value::String(if text.is_empty() {
        "0".into()
    } else {
        text
    }))
}

fn read_time(bytes: &[u8]) -> Result<Value, ProtobufError> {
    // An empty message is the zero time, which JSON writes as null.
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    let mut reader = Reader::new(bytes);
    let mut seconds = 0i64;
    while !reader.is_done() {
        match reader.key("Timestamp")? {
            (1, Wire::Varint) => seconds = reader.varint()? as i64,
            (1, wire) => return Err(wrong_wire_type(wire, "Seconds")),
            // Nanoseconds (field 2) are dropped: metav1.Time has second precision in JSON.
            (_, wire) => reader.skip(wire)?,
        }
    }
    let time = jiff::Timestamp::from_second(seconds).map_err(|_| {
        ProtobufError::Malformed(format!("proto: timestamp seconds {seconds} out of range"))
    })?;
    Ok(Value::String(crate::meta::format_time(time)))
}

fn read_raw_json(bytes: &[u8]) -> Result<Value, ProtobufError> {
    let mut reader = Reader::new(bytes);
    let mut raw: &[u8] = &[];
    while !reader.is_done() {
        match reader.key("FieldsV1")? {
            (1, Wire::Len) => raw = reader.len_delimited()?,
            (1, wire) => return Err(wrong_wire_type(wire, "Raw")),
            (_, wire) => reader.skip(wire)?,
        }
    }
    if raw.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(raw)
        .map_err(|e| ProtobufError::Malformed(format!("invalid JSON in raw field: {e}")))
}

fn read_string_list(bytes: &[u8]) -> Result<Value, ProtobufError> {
    let mut reader = Reader::new(bytes);
    let mut items = Vec::new();
    while !reader.is_done() {
        match reader.key("StringList")? {
            (1, Wire::Len) => items.push(Value::String(utf8(reader.len_delimited()?))),
            (1, wire) => return Err(wrong_wire_type(wire, "items")),
            (_, wire) => reader.skip(wire)?,
        }
    }
    Ok(Value::Array(items))
}

// ---------------------------------------------------------------------------------------------
// Layouts. Field numbers and JSON names follow upstream's types (k8s.io/api, apimachinery
// meta/v1, v1.37). `keep` marks Go pointers and fields without `omitempty`. Left out on purpose:
// PodStatus (never sent by clients, reset on create) and the deprecated in-tree volume plugins.

static TYPE_META: Message = Message::new(
    "TypeMeta",
    &[
        keep(1, "apiVersion", Scalar::String),
        keep(2, "kind", Scalar::String),
    ],
);

static NAMESPACE: Message = Message::new(
    "Namespace",
    &[
        message(1, "metadata", &OBJECT_META),
        message(2, "spec", &NAMESPACE_SPEC),
        message(3, "status", &NAMESPACE_STATUS),
    ],
);
static OBJECT_META: Message = Message::new(
    "ObjectMeta",
    &[
        omit(1, "name", Scalar::String),
        omit(2, "generateName", Scalar::String),
        omit(3, "namespace", Scalar::String),
        omit(4, "selfLink", Scalar::String),
        omit(5, "uid", Scalar::String),
        omit(6, "resourceVersion", Scalar::String),
        omit(7, "generation", Scalar::Int64),
        keep(8, "creationTimestamp", Scalar::Time),
        keep(9, "deletionTimestamp", Scalar::Time),
        keep(10, "deletionGracePeriodSeconds", Scalar::Int64),
        map(11, "labels", Scalar::String),
        map(12, "annotations", Scalar::String),
        messages(13, "ownerReferences", &OWNER_REFERENCE),
        repeated(14, "finalizers", Scalar::String),
        messages(17, "managedFields", &MANAGED_FIELDS_ENTRY),
    ],
);
static OWNER_REFERENCE: Message = Message::new(
    "OwnerReference",
    &[
        keep(1, "kind", Scalar::String),
        keep(3, "name", Scalar::String),
        keep(4, "uid", Scalar::String),
        keep(5, "apiVersion", Scalar::String),
        keep(6, "controller", Scalar::Bool),
        keep(7, "blockOwnerDeletion", Scalar::Bool),
    ],
);
static MANAGED_FIELDS_ENTRY: Message = Message::new(
    "ManagedFieldsEntry",
    &[
        omit(1, "manager", Scalar::String),
        omit(2, "operation", Scalar::String),
        omit(3, "apiVersion", Scalar::String),
        keep(4, "time", Scalar::Time),
        omit(6, "fieldsType", Scalar::String),
        keep(7, "fieldsV1", Scalar::RawJson),
        omit(8, "subresource", Scalar::String),
    ],
);
static NAMESPACE_SPEC: Message = Message::new(
    "NamespaceSpec",
    &[repeated(1, "finalizers", Scalar::String)],
);
static NAMESPACE_STATUS: Message = Message::new(
    "NamespaceStatus",
    &[
        omit(1, "phase", Scalar::String),
        messages(2, "conditions", &NAMESPACE_CONDITION),
    ],
);
static NAMESPACE_CONDITION: Message = Message::new(
    "NamespaceCondition",
    &[
        keep(1, "type", Scalar::String),
        keep(2, "status", Scalar::String),
        keep(4, "lastTransitionTime", Scalar::Time),
        omit(5, "reason", Scalar::String),
        omit(6, "message", Scalar::String),
    ],
);
static CONFIG_MAP: Message = Message::new(
    "ConfigMap",
    &[
        message(1, "metadata", &OBJECT_META),
        map(2, "data", Scalar::String),
        map(3, "binaryData", Scalar::Bytes),
        keep(4, "immutable", Scalar::Bool),
    ],
);
static SECRET: Message = Message::new(
    "Secret",
    &[
        message(1, "metadata", &OBJECT_META),
        map(2, "data", Scalar::Bytes),
        omit(3, "type", Scalar::String),
        map(4, "stringData", Scalar::String),
        keep(5, "immutable", Scalar::Bool),
    ],
);
static SERVICE_ACCOUNT: Message = Message::new(
    "ServiceAccount",
    &[
        message(1, "metadata", &OBJECT_META),
        messages(2, "secrets", &OBJECT_REFERENCE),
        messages(3, "imagePullSecrets", &LOCAL_OBJECT_REFERENCE),
        keep(4, "automountServiceAccountToken", Scalar::Bool),
    ],
);
static OBJECT_REFERENCE: Message = Message::new(
    "ObjectReference",
    &[
        omit(1, "kind", Scalar::String),
        omit(2, "namespace", Scalar::String),
        omit(3, "name", Scalar::String),
        omit(4, "uid", Scalar::String),
        omit(5, "apiVersion", Scalar::String),
        omit(6, "resourceVersion", Scalar::String),
        omit(7, "fieldPath", Scalar::String),
    ],
);
static LOCAL_OBJECT_REFERENCE: Message =
    Message::new("LocalObjectReference", &[omit(1, "name", Scalar::String)]);
static SERVICE: Message = Message::new(
    "Service",
    &[
        message(1, "metadata", &OBJECT_META),
        message(2, "spec", &SERVICE_SPEC),
        message(3, "status", &SERVICE_STATUS),
    ],
);
static SERVICE_SPEC: Message = Message::new(
    "ServiceSpec",
    &[
        messages(1, "ports", &SERVICE_PORT),
        map(2, "selector", Scalar::String),
        omit(3, "clusterIP", Scalar::String),
        omit(4, "type", Scalar::String),
        repeated(5, "externalIPs", Scalar::String),
        omit(7, "sessionAffinity", Scalar::String),
        omit(8, "loadBalancerIP", Scalar::String),
        repeated(9, "loadBalancerSourceRanges", Scalar::String),
        omit(10, "externalName", Scalar::String),
        omit(11, "externalTrafficPolicy", Scalar::String),
        omit(12, "healthCheckNodePort", Scalar::Int32),
        omit(13, "publishNotReadyAddresses", Scalar::Bool),
        message(14, "sessionAffinityConfig", &SESSION_AFFINITY_CONFIG),
        keep(17, "ipFamilyPolicy", Scalar::String),
        repeated(18, "clusterIPs", Scalar::String),
        repeated(19, "ipFamilies", Scalar::String),
        keep(20, "allocateLoadBalancerNodePorts", Scalar::Bool),
        keep(21, "loadBalancerClass", Scalar::String),
        keep(22, "internalTrafficPolicy", Scalar::String),
        keep(23, "trafficDistribution", Scalar::String),
    ],
);
static SERVICE_PORT: Message = Message::new(
    "ServicePort",
    &[
        omit(1, "name", Scalar::String),
        omit(2, "protocol", Scalar::String),
        keep(3, "port", Scalar::Int32),
        keep(4, "targetPort", Scalar::IntOrString),
        omit(5, "nodePort", Scalar::Int32),
        keep(6, "appProtocol", Scalar::String),
    ],
);
static SESSION_AFFINITY_CONFIG: Message = Message::new(
    "SessionAffinityConfig",
    &[message(1, "clientIP", &CLIENT_IP_CONFIG)],
);
static CLIENT_IP_CONFIG: Message = Message::new(
    "ClientIPConfig",
    &[keep(1, "timeoutSeconds", Scalar::Int32)],
);
static SERVICE_STATUS: Message = Message::new(
    "ServiceStatus",
    &[
        message(1, "loadBalancer", &LOAD_BALANCER_STATUS),
        messages(2, "conditions", &CONDITION),
    ],
);
static LOAD_BALANCER_STATUS: Message = Message::new(
    "LoadBalancerStatus",
    &[messages(1, "ingress", &LOAD_BALANCER_INGRESS)],
);
static LOAD_BALANCER_INGRESS: Message = Message::new(
    "LoadBalancerIngress",
    &[
        omit(1, "ip", Scalar::String),
        omit(2, "hostname", Scalar::String),
        keep(3, "ipMode", Scalar::String),
        messages(4, "ports", &PORT_STATUS),
    ],
);
static PORT_STATUS: Message = Message::new(
    "PortStatus",
    &[
        keep(1, "port", Scalar::Int32),
        keep(2, "protocol", Scalar::String),
        keep(3, "error", Scalar::String),
    ],
);
static CONDITION: Message = Message::new(
    "Condition",
    &[
        keep(1, "type", Scalar::String),
        keep(2, "status", Scalar::String),
        omit(3, "observedGeneration", Scalar::Int64),
        keep(4, "lastTransitionTime", Scalar::Time),
        keep(5, "reason", Scalar::String),
        keep(6, "message", Scalar::String),
    ],
);
static POD: Message = Message::new(
    "Pod",
    &[
        message(1, "metadata", &OBJECT_META),
        message(2, "spec", &POD_SPEC),
    ],
);
static POD_SPEC: Message = Message::new(
    "PodSpec",
    &[
        messages(1, "volumes", &VOLUME),
        messages(2, "containers", &CONTAINER),
        omit(3, "restartPolicy", Scalar::String),
        keep(4, "terminationGracePeriodSeconds", Scalar::Int64),
        keep(5, "activeDeadlineSeconds", Scalar::Int64),
        omit(6, "dnsPolicy", Scalar::String),
        map(7, "nodeSelector", Scalar::String),
        omit(8, "serviceAccountName", Scalar::String),
        omit(9, "serviceAccount", Scalar::String),
        omit(10, "nodeName", Scalar::String),
        omit(11, "hostNetwork", Scalar::Bool),
        omit(12, "hostPID", Scalar::Bool),
        omit(13, "hostIPC", Scalar::Bool),
        message(14, "securityContext", &POD_SECURITY_CONTEXT),
        messages(15, "imagePullSecrets", &LOCAL_OBJECT_REFERENCE),
        omit(16, "hostname", Scalar::String),
        omit(17, "subdomain", Scalar::String),
        message(18, "affinity", &AFFINITY),
        omit(19, "schedulerName", Scalar::String),
        messages(20, "initContainers", &CONTAINER),
        keep(21, "automountServiceAccountToken", Scalar::Bool),
        messages(22, "tolerations", &TOLERATION),
        messages(23, "hostAliases", &HOST_ALIAS),
        omit(24, "priorityClassName", Scalar::String),
        keep(25, "priority", Scalar::Int32),
        message(26, "dnsConfig", &POD_DNS_CONFIG),
        keep(27, "shareProcessNamespace", Scalar::Bool),
        messages(28, "readinessGates", &POD_READINESS_GATE),
        keep(29, "runtimeClassName", Scalar::String),
        keep(30, "enableServiceLinks", Scalar::Bool),
        keep(31, "preemptionPolicy", Scalar::String),
        map(32, "overhead", Scalar::Quantity),
        messages(33, "topologySpreadConstraints", &TOPOLOGY_SPREAD_CONSTRAINT),
        messages(34, "ephemeralContainers", &EPHEMERAL_CONTAINER),
        keep(35, "setHostnameAsFQDN", Scalar::Bool),
        message(36, "os", &POD_OS),
        keep(37, "hostUsers", Scalar::Bool),
        messages(38, "schedulingGates", &POD_SCHEDULING_GATE),
        messages(39, "resourceClaims", &POD_RESOURCE_CLAIM),
        message(40, "resources", &RESOURCE_REQUIREMENTS),
        keep(41, "hostnameOverride", Scalar::String),
        message(43, "schedulingGroup", &POD_SCHEDULING_GROUP),
        messages(44, "evictionResponders", &EVICTION_RESPONDER),
    ],
);
static VOLUME: Message = Message::new(
    "Volume",
    &[keep(1, "name", Scalar::String), inline(2, &VOLUME_SOURCE)],
);
static VOLUME_SOURCE: Message = Message::new(
    "VolumeSource",
    &[
        message(1, "hostPath", &HOST_PATH_VOLUME_SOURCE),
        message(2, "emptyDir", &EMPTY_DIR_VOLUME_SOURCE),
        message(6, "secret", &SECRET_VOLUME_SOURCE),
        message(7, "nfs", &NFS_VOLUME_SOURCE),
        message(
            10,
            "persistentVolumeClaim",
            &PERSISTENT_VOLUME_CLAIM_VOLUME_SOURCE,
        ),
        message(16, "downwardAPI", &DOWNWARD_API_VOLUME_SOURCE),
        message(19, "configMap", &CONFIG_MAP_VOLUME_SOURCE),
        message(26, "projected", &PROJECTED_VOLUME_SOURCE),
        message(28, "csi", &CSI_VOLUME_SOURCE),
        message(29, "ephemeral", &EPHEMERAL_VOLUME_SOURCE),
        message(30, "image", &IMAGE_VOLUME_SOURCE),
    ],
);
static HOST_PATH_VOLUME_SOURCE: Message = Message::new(
    "HostPathVolumeSource",
    &[
        keep(1, "path", Scalar::String),
        keep(2, "type", Scalar::String),
    ],
);
static EMPTY_DIR_VOLUME_SOURCE: Message = Message::new(
    "EmptyDirVolumeSource",
    &[
        omit(1, "medium", Scalar::String),
        keep(2, "sizeLimit", Scalar::Quantity),
        keep(3, "mode", Scalar::Int32),
    ],
);
static SECRET_VOLUME_SOURCE: Message = Message::new(
    "SecretVolumeSource",
    &[
        omit(1, "secretName", Scalar::String),
        messages(2, "items", &KEY_TO_PATH),
        keep(3, "defaultMode", Scalar::Int32),
        keep(4, "optional", Scalar::Bool),
        keep(5, "defaultUser", Scalar::Int64),
    ],
);
static KEY_TO_PATH: Message = Message::new(
    "KeyToPath",
    &[
        keep(1, "key", Scalar::String),
        keep(2, "path", Scalar::String),
        keep(3, "mode", Scalar::Int32),
        keep(4, "user", Scalar::Int64),
    ],
);
static NFS_VOLUME_SOURCE: Message = Message::new(
    "NFSVolumeSource",
    &[
        keep(1, "server", Scalar::String),
        keep(2, "path", Scalar::String),
        omit(3, "readOnly", Scalar::Bool),
    ],
);
static PERSISTENT_VOLUME_CLAIM_VOLUME_SOURCE: Message = Message::new(
    "PersistentVolumeClaimVolumeSource",
    &[
        keep(1, "claimName", Scalar::String),
        omit(2, "readOnly", Scalar::Bool),
    ],
);
static DOWNWARD_API_VOLUME_SOURCE: Message = Message::new(
    "DownwardAPIVolumeSource",
    &[
        messages(1, "items", &DOWNWARD_API_VOLUME_FILE),
        keep(2, "defaultMode", Scalar::Int32),
        keep(3, "defaultUser", Scalar::Int64),
    ],
);
static DOWNWARD_API_VOLUME_FILE: Message = Message::new(
    "DownwardAPIVolumeFile",
    &[
        keep(1, "path", Scalar::String),
        message(2, "fieldRef", &OBJECT_FIELD_SELECTOR),
        message(3, "resourceFieldRef", &RESOURCE_FIELD_SELECTOR),
        keep(4, "mode", Scalar::Int32),
        keep(5, "user", Scalar::Int64),
    ],
);
static OBJECT_FIELD_SELECTOR: Message = Message::new(
    "ObjectFieldSelector",
    &[
        omit(1, "apiVersion", Scalar::String),
        keep(2, "fieldPath", Scalar::String),
    ],
);
static RESOURCE_FIELD_SELECTOR: Message = Message::new(
    "ResourceFieldSelector",
    &[
        omit(1, "containerName", Scalar::String),
        keep(2, "resource", Scalar::String),
        keep(3, "divisor", Scalar::Quantity),
    ],
);
static CONFIG_MAP_VOLUME_SOURCE: Message = Message::new(
    "ConfigMapVolumeSource",
    &[
        inline(1, &LOCAL_OBJECT_REFERENCE),
        messages(2, "items", &KEY_TO_PATH),
        keep(3, "defaultMode", Scalar::Int32),
        keep(4, "optional", Scalar::Bool),
        keep(5, "defaultUser", Scalar::Int64),
    ],
);
static PROJECTED_VOLUME_SOURCE: Message = Message::new(
    "ProjectedVolumeSource",
    &[
        messages(1, "sources", &VOLUME_PROJECTION),
        keep(2, "defaultMode", Scalar::Int32),
        keep(3, "defaultUser", Scalar::Int64),
    ],
);
static VOLUME_PROJECTION: Message = Message::new(
    "VolumeProjection",
    &[
        message(1, "secret", &SECRET_PROJECTION),
        message(2, "downwardAPI", &DOWNWARD_API_PROJECTION),
        message(3, "configMap", &CONFIG_MAP_PROJECTION),
        message(4, "serviceAccountToken", &SERVICE_ACCOUNT_TOKEN_PROJECTION),
        message(5, "clusterTrustBundle", &CLUSTER_TRUST_BUNDLE_PROJECTION),
        message(6, "podCertificate", &POD_CERTIFICATE_PROJECTION),
    ],
);
static SECRET_PROJECTION: Message = Message::new(
    "SecretProjection",
    &[
        inline(1, &LOCAL_OBJECT_REFERENCE),
        messages(2, "items", &KEY_TO_PATH),
        keep(4, "optional", Scalar::Bool),
    ],
);
static DOWNWARD_API_PROJECTION: Message = Message::new(
    "DownwardAPIProjection",
    &[messages(1, "items", &DOWNWARD_API_VOLUME_FILE)],
);
static CONFIG_MAP_PROJECTION: Message = Message::new(
    "ConfigMapProjection",
    &[
        inline(1, &LOCAL_OBJECT_REFERENCE),
        messages(2, "items", &KEY_TO_PATH),
        keep(4, "optional", Scalar::Bool),
    ],
);
static SERVICE_ACCOUNT_TOKEN_PROJECTION: Message = Message::new(
    "ServiceAccountTokenProjection",
    &[
        omit(1, "audience", Scalar::String),
        keep(2, "expirationSeconds", Scalar::Int64),
        keep(3, "path", Scalar::String),
        keep(4, "user", Scalar::Int64),
    ],
);
static CLUSTER_TRUST_BUNDLE_PROJECTION: Message = Message::new(
    "ClusterTrustBundleProjection",
    &[
        keep(1, "name", Scalar::String),
        keep(2, "signerName", Scalar::String),
        message(3, "labelSelector", &LABEL_SELECTOR),
        keep(4, "path", Scalar::String),
        keep(5, "optional", Scalar::Bool),
        keep(6, "user", Scalar::Int64),
    ],
);
static LABEL_SELECTOR: Message = Message::new(
    "LabelSelector",
    &[
        map(1, "matchLabels", Scalar::String),
        messages(2, "matchExpressions", &LABEL_SELECTOR_REQUIREMENT),
    ],
);
static LABEL_SELECTOR_REQUIREMENT: Message = Message::new(
    "LabelSelectorRequirement",
    &[
        keep(1, "key", Scalar::String),
        keep(2, "operator", Scalar::String),
        repeated(3, "values", Scalar::String),
    ],
);
static POD_CERTIFICATE_PROJECTION: Message = Message::new(
    "PodCertificateProjection",
    &[
        omit(1, "signerName", Scalar::String),
        omit(2, "keyType", Scalar::String),
        keep(3, "maxExpirationSeconds", Scalar::Int32),
        omit(4, "credentialBundlePath", Scalar::String),
        omit(5, "keyPath", Scalar::String),
        omit(6, "certificateChainPath", Scalar::String),
        map(7, "userAnnotations", Scalar::String),
        keep(8, "user", Scalar::Int64),
    ],
);
static CSI_VOLUME_SOURCE: Message = Message::new(
    "CSIVolumeSource",
    &[
        keep(1, "driver", Scalar::String),
        keep(2, "readOnly", Scalar::Bool),
        keep(3, "fsType", Scalar::String),
        map(4, "volumeAttributes", Scalar::String),
        message(5, "nodePublishSecretRef", &LOCAL_OBJECT_REFERENCE),
    ],
);
static EPHEMERAL_VOLUME_SOURCE: Message = Message::new(
    "EphemeralVolumeSource",
    &[message(
        1,
        "volumeClaimTemplate",
        &PERSISTENT_VOLUME_CLAIM_TEMPLATE,
    )],
);
static PERSISTENT_VOLUME_CLAIM_TEMPLATE: Message = Message::new(
    "PersistentVolumeClaimTemplate",
    &[
        message(1, "metadata", &OBJECT_META),
        message(2, "spec", &PERSISTENT_VOLUME_CLAIM_SPEC),
    ],
);
static PERSISTENT_VOLUME_CLAIM_SPEC: Message = Message::new(
    "PersistentVolumeClaimSpec",
    &[
        repeated(1, "accessModes", Scalar::String),
        message(2, "resources", &VOLUME_RESOURCE_REQUIREMENTS),
        omit(3, "volumeName", Scalar::String),
        message(4, "selector", &LABEL_SELECTOR),
        keep(5, "storageClassName", Scalar::String),
        keep(6, "volumeMode", Scalar::String),
        message(7, "dataSource", &TYPED_LOCAL_OBJECT_REFERENCE),
        message(8, "dataSourceRef", &TYPED_OBJECT_REFERENCE),
        keep(9, "volumeAttributesClassName", Scalar::String),
    ],
);
static VOLUME_RESOURCE_REQUIREMENTS: Message = Message::new(
    "VolumeResourceRequirements",
    &[
        map(1, "limits", Scalar::Quantity),
        map(2, "requests", Scalar::Quantity),
    ],
);
static TYPED_LOCAL_OBJECT_REFERENCE: Message = Message::new(
    "TypedLocalObjectReference",
    &[
        keep(1, "apiGroup", Scalar::String),
        keep(2, "kind", Scalar::String),
        keep(3, "name", Scalar::String),
    ],
);
static TYPED_OBJECT_REFERENCE: Message = Message::new(
    "TypedObjectReference",
    &[
        keep(1, "apiGroup", Scalar::String),
        keep(2, "kind", Scalar::String),
        keep(3, "name", Scalar::String),
        keep(4, "namespace", Scalar::String),
    ],
);
static IMAGE_VOLUME_SOURCE: Message = Message::new(
    "ImageVolumeSource",
    &[
        omit(1, "reference", Scalar::String),
        omit(2, "pullPolicy", Scalar::String),
    ],
);
static CONTAINER: Message = Message::new(
    "Container",
    &[
        keep(1, "name", Scalar::String),
        omit(2, "image", Scalar::String),
        repeated(3, "command", Scalar::String),
        repeated(4, "args", Scalar::String),
        omit(5, "workingDir", Scalar::String),
        messages(6, "ports", &CONTAINER_PORT),
        messages(7, "env", &ENV_VAR),
        message(8, "resources", &RESOURCE_REQUIREMENTS),
        messages(9, "volumeMounts", &VOLUME_MOUNT),
        message(10, "livenessProbe", &PROBE),
        message(11, "readinessProbe", &PROBE),
        message(12, "lifecycle", &LIFECYCLE),
        omit(13, "terminationMessagePath", Scalar::String),
        omit(14, "imagePullPolicy", Scalar::String),
        message(15, "securityContext", &SECURITY_CONTEXT),
        omit(16, "stdin", Scalar::Bool),
        omit(17, "stdinOnce", Scalar::Bool),
        omit(18, "tty", Scalar::Bool),
        messages(19, "envFrom", &ENV_FROM_SOURCE),
        omit(20, "terminationMessagePolicy", Scalar::String),
        messages(21, "volumeDevices", &VOLUME_DEVICE),
        message(22, "startupProbe", &PROBE),
        messages(23, "resizePolicy", &CONTAINER_RESIZE_POLICY),
        keep(24, "restartPolicy", Scalar::String),
        messages(25, "restartPolicyRules", &CONTAINER_RESTART_RULE),
    ],
);
static CONTAINER_PORT: Message = Message::new(
    "ContainerPort",
    &[
        omit(1, "name", Scalar::String),
        omit(2, "hostPort", Scalar::Int32),
        keep(3, "containerPort", Scalar::Int32),
        omit(4, "protocol", Scalar::String),
        omit(5, "hostIP", Scalar::String),
    ],
);
static ENV_FROM_SOURCE: Message = Message::new(
    "EnvFromSource",
    &[
        omit(1, "prefix", Scalar::String),
        message(2, "configMapRef", &CONFIG_MAP_ENV_SOURCE),
        message(3, "secretRef", &SECRET_ENV_SOURCE),
    ],
);
static CONFIG_MAP_ENV_SOURCE: Message = Message::new(
    "ConfigMapEnvSource",
    &[
        inline(1, &LOCAL_OBJECT_REFERENCE),
        keep(2, "optional", Scalar::Bool),
    ],
);
static SECRET_ENV_SOURCE: Message = Message::new(
    "SecretEnvSource",
    &[
        inline(1, &LOCAL_OBJECT_REFERENCE),
        keep(2, "optional", Scalar::Bool),
    ],
);
static ENV_VAR: Message = Message::new(
    "EnvVar",
    &[
        keep(1, "name", Scalar::String),
        omit(2, "value", Scalar::String),
        message(3, "valueFrom", &ENV_VAR_SOURCE),
    ],
);
static ENV_VAR_SOURCE: Message = Message::new(
    "EnvVarSource",
    &[
        message(1, "fieldRef", &OBJECT_FIELD_SELECTOR),
        message(2, "resourceFieldRef", &RESOURCE_FIELD_SELECTOR),
        message(3, "configMapKeyRef", &CONFIG_MAP_KEY_SELECTOR),
        message(4, "secretKeyRef", &SECRET_KEY_SELECTOR),
        message(5, "fileKeyRef", &FILE_KEY_SELECTOR),
    ],
);
static CONFIG_MAP_KEY_SELECTOR: Message = Message::new(
    "ConfigMapKeySelector",
    &[
        inline(1, &LOCAL_OBJECT_REFERENCE),
        keep(2, "key", Scalar::String),
        keep(3, "optional", Scalar::Bool),
    ],
);
static SECRET_KEY_SELECTOR: Message = Message::new(
    "SecretKeySelector",
    &[
        inline(1, &LOCAL_OBJECT_REFERENCE),
        keep(2, "key", Scalar::String),
        keep(3, "optional", Scalar::Bool),
    ],
);
static FILE_KEY_SELECTOR: Message = Message::new(
    "FileKeySelector",
    &[
        keep(1, "volumeName", Scalar::String),
        keep(2, "path", Scalar::String),
        keep(3, "key", Scalar::String),
        keep(4, "optional", Scalar::Bool),
    ],
);
static RESOURCE_REQUIREMENTS: Message = Message::new(
    "ResourceRequirements",
    &[
        map(1, "limits", Scalar::Quantity),
        map(2, "requests", Scalar::Quantity),
        messages(3, "claims", &RESOURCE_CLAIM),
    ],
);
static RESOURCE_CLAIM: Message = Message::new(
    "ResourceClaim",
    &[
        keep(1, "name", Scalar::String),
        omit(2, "request", Scalar::String),
    ],
);
static CONTAINER_RESIZE_POLICY: Message = Message::new(
    "ContainerResizePolicy",
    &[
        keep(1, "resourceName", Scalar::String),
        keep(2, "restartPolicy", Scalar::String),
    ],
);
static CONTAINER_RESTART_RULE: Message = Message::new(
    "ContainerRestartRule",
    &[
        omit(1, "action", Scalar::String),
        message(2, "exitCodes", &CONTAINER_RESTART_RULE_ON_EXIT_CODES),
    ],
);
static CONTAINER_RESTART_RULE_ON_EXIT_CODES: Message = Message::new(
    "ContainerRestartRuleOnExitCodes",
    &[
        omit(1, "operator", Scalar::String),
        repeated(2, "values", Scalar::Int32),
    ],
);
static VOLUME_MOUNT: Message = Message::new(
    "VolumeMount",
    &[
        keep(1, "name", Scalar::String),
        omit(2, "readOnly", Scalar::Bool),
        keep(3, "mountPath", Scalar::String),
        omit(4, "subPath", Scalar::String),
        keep(5, "mountPropagation", Scalar::String),
        omit(6, "subPathExpr", Scalar::String),
        keep(7, "recursiveReadOnly", Scalar::String),
        repeated(8, "bindMountOptions", Scalar::String),
    ],
);
static VOLUME_DEVICE: Message = Message::new(
    "VolumeDevice",
    &[
        keep(1, "name", Scalar::String),
        keep(2, "devicePath", Scalar::String),
    ],
);
static PROBE: Message = Message::new(
    "Probe",
    &[
        inline(1, &PROBE_HANDLER),
        omit(2, "initialDelaySeconds", Scalar::Int32),
        omit(3, "timeoutSeconds", Scalar::Int32),
        omit(4, "periodSeconds", Scalar::Int32),
        omit(5, "successThreshold", Scalar::Int32),
        omit(6, "failureThreshold", Scalar::Int32),
        keep(7, "terminationGracePeriodSeconds", Scalar::Int64),
    ],
);
static PROBE_HANDLER: Message = Message::new(
    "ProbeHandler",
    &[
        message(1, "exec", &EXEC_ACTION),
        message(2, "httpGet", &HTTP_GET_ACTION),
        message(3, "tcpSocket", &TCP_SOCKET_ACTION),
        message(4, "grpc", &GRPC_ACTION),
    ],
);
static EXEC_ACTION: Message = Message::new("ExecAction", &[repeated(1, "command", Scalar::String)]);
static HTTP_GET_ACTION: Message = Message::new(
    "HTTPGetAction",
    &[
        omit(1, "path", Scalar::String),
        keep(2, "port", Scalar::IntOrString),
        omit(3, "host", Scalar::String),
        omit(4, "scheme", Scalar::String),
        messages(5, "httpHeaders", &HTTP_HEADER),
        keep(6, "protocol", Scalar::String),
    ],
);
static HTTP_HEADER: Message = Message::new(
    "HTTPHeader",
    &[
        keep(1, "name", Scalar::String),
        keep(2, "value", Scalar::String),
    ],
);
static TCP_SOCKET_ACTION: Message = Message::new(
    "TCPSocketAction",
    &[
        keep(1, "port", Scalar::IntOrString),
        omit(2, "host", Scalar::String),
    ],
);
static GRPC_ACTION: Message = Message::new(
    "GRPCAction",
    &[
        keep(1, "port", Scalar::Int32),
        keep(2, "service", Scalar::String),
        keep(3, "mode", Scalar::String),
    ],
);
static LIFECYCLE: Message = Message::new(
    "Lifecycle",
    &[
        message(1, "postStart", &LIFECYCLE_HANDLER),
        message(2, "preStop", &LIFECYCLE_HANDLER),
        keep(3, "stopSignal", Scalar::String),
    ],
);
static LIFECYCLE_HANDLER: Message = Message::new(
    "LifecycleHandler",
    &[
        message(1, "exec", &EXEC_ACTION),
        message(2, "httpGet", &HTTP_GET_ACTION),
        message(3, "tcpSocket", &TCP_SOCKET_ACTION),
        message(4, "sleep", &SLEEP_ACTION),
    ],
);
static SLEEP_ACTION: Message = Message::new("SleepAction", &[keep(1, "seconds", Scalar::Int64)]);
static SECURITY_CONTEXT: Message = Message::new(
    "SecurityContext",
    &[
        message(1, "capabilities", &CAPABILITIES),
        keep(2, "privileged", Scalar::Bool),
        message(3, "seLinuxOptions", &SE_LINUX_OPTIONS),
        keep(4, "runAsUser", Scalar::Int64),
        keep(5, "runAsNonRoot", Scalar::Bool),
        keep(6, "readOnlyRootFilesystem", Scalar::Bool),
        keep(7, "allowPrivilegeEscalation", Scalar::Bool),
        keep(8, "runAsGroup", Scalar::Int64),
        keep(9, "procMount", Scalar::String),
        message(10, "windowsOptions", &WINDOWS_SECURITY_CONTEXT_OPTIONS),
        message(11, "seccompProfile", &SECCOMP_PROFILE),
        message(12, "appArmorProfile", &APP_ARMOR_PROFILE),
    ],
);
static CAPABILITIES: Message = Message::new(
    "Capabilities",
    &[
        repeated(1, "add", Scalar::String),
        repeated(2, "drop", Scalar::String),
    ],
);
static SE_LINUX_OPTIONS: Message = Message::new(
    "SELinuxOptions",
    &[
        omit(1, "user", Scalar::String),
        omit(2, "role", Scalar::String),
        omit(3, "type", Scalar::String),
        omit(4, "level", Scalar::String),
    ],
);
static WINDOWS_SECURITY_CONTEXT_OPTIONS: Message = Message::new(
    "WindowsSecurityContextOptions",
    &[
        keep(1, "gmsaCredentialSpecName", Scalar::String),
        keep(2, "gmsaCredentialSpec", Scalar::String),
        keep(3, "runAsUserName", Scalar::String),
        keep(4, "hostProcess", Scalar::Bool),
    ],
);
static SECCOMP_PROFILE: Message = Message::new(
    "SeccompProfile",
    &[
        keep(1, "type", Scalar::String),
        keep(2, "localhostProfile", Scalar::String),
    ],
);
static APP_ARMOR_PROFILE: Message = Message::new(
    "AppArmorProfile",
    &[
        keep(1, "type", Scalar::String),
        keep(2, "localhostProfile", Scalar::String),
    ],
);
static EPHEMERAL_CONTAINER: Message = Message::new(
    "EphemeralContainer",
    &[
        inline(1, &EPHEMERAL_CONTAINER_COMMON),
        omit(2, "targetContainerName", Scalar::String),
    ],
);
static EPHEMERAL_CONTAINER_COMMON: Message = Message::new(
    "EphemeralContainerCommon",
    &[
        keep(1, "name", Scalar::String),
        omit(2, "image", Scalar::String),
        repeated(3, "command", Scalar::String),
        repeated(4, "args", Scalar::String),
        omit(5, "workingDir", Scalar::String),
        messages(6, "ports", &CONTAINER_PORT),
        messages(7, "env", &ENV_VAR),
        message(8, "resources", &RESOURCE_REQUIREMENTS),
        messages(9, "volumeMounts", &VOLUME_MOUNT),
        message(10, "livenessProbe", &PROBE),
        message(11, "readinessProbe", &PROBE),
        message(12, "lifecycle", &LIFECYCLE),
        omit(13, "terminationMessagePath", Scalar::String),
        omit(14, "imagePullPolicy", Scalar::String),
        message(15, "securityContext", &SECURITY_CONTEXT),
        omit(16, "stdin", Scalar::Bool),
        omit(17, "stdinOnce", Scalar::Bool),
        omit(18, "tty", Scalar::Bool),
        messages(19, "envFrom", &ENV_FROM_SOURCE),
        omit(20, "terminationMessagePolicy", Scalar::String),
        messages(21, "volumeDevices", &VOLUME_DEVICE),
        message(22, "startupProbe", &PROBE),
        messages(23, "resizePolicy", &CONTAINER_RESIZE_POLICY),
        keep(24, "restartPolicy", Scalar::String),
        messages(25, "restartPolicyRules", &CONTAINER_RESTART_RULE),
    ],
);
static POD_SECURITY_CONTEXT: Message = Message::new(
    "PodSecurityContext",
    &[
        message(1, "seLinuxOptions", &SE_LINUX_OPTIONS),
        keep(2, "runAsUser", Scalar::Int64),
        keep(3, "runAsNonRoot", Scalar::Bool),
        repeated(4, "supplementalGroups", Scalar::Int64),
        keep(5, "fsGroup", Scalar::Int64),
        keep(6, "runAsGroup", Scalar::Int64),
        messages(7, "sysctls", &SYSCTL),
        message(8, "windowsOptions", &WINDOWS_SECURITY_CONTEXT_OPTIONS),
        keep(9, "fsGroupChangePolicy", Scalar::String),
        message(10, "seccompProfile", &SECCOMP_PROFILE),
        message(11, "appArmorProfile", &APP_ARMOR_PROFILE),
        keep(12, "supplementalGroupsPolicy", Scalar::String),
        keep(13, "seLinuxChangePolicy", Scalar::String),
    ],
);
static SYSCTL: Message = Message::new(
    "Sysctl",
    &[
        keep(1, "name", Scalar::String),
        keep(2, "value", Scalar::String),
    ],
);
static AFFINITY: Message = Message::new(
    "Affinity",
    &[
        message(1, "nodeAffinity", &NODE_AFFINITY),
        message(2, "podAffinity", &POD_AFFINITY),
        message(3, "podAntiAffinity", &POD_ANTI_AFFINITY),
    ],
);
static NODE_AFFINITY: Message = Message::new(
    "NodeAffinity",
    &[
        message(
            1,
            "requiredDuringSchedulingIgnoredDuringExecution",
            &NODE_SELECTOR,
        ),
        messages(
            2,
            "preferredDuringSchedulingIgnoredDuringExecution",
            &PREFERRED_SCHEDULING_TERM,
        ),
    ],
);
static NODE_SELECTOR: Message = Message::new(
    "NodeSelector",
    &[messages(1, "nodeSelectorTerms", &NODE_SELECTOR_TERM)],
);
static NODE_SELECTOR_TERM: Message = Message::new(
    "NodeSelectorTerm",
    &[
        messages(1, "matchExpressions", &NODE_SELECTOR_REQUIREMENT),
        messages(2, "matchFields", &NODE_SELECTOR_REQUIREMENT),
    ],
);
static NODE_SELECTOR_REQUIREMENT: Message = Message::new(
    "NodeSelectorRequirement",
    &[
        keep(1, "key", Scalar::String),
        keep(2, "operator", Scalar::String),
        repeated(3, "values", Scalar::String),
    ],
);
static PREFERRED_SCHEDULING_TERM: Message = Message::new(
    "PreferredSchedulingTerm",
    &[
        keep(1, "weight", Scalar::Int32),
        message(2, "preference", &NODE_SELECTOR_TERM),
    ],
);
static POD_AFFINITY: Message = Message::new(
    "PodAffinity",
    &[
        messages(
            1,
            "requiredDuringSchedulingIgnoredDuringExecution",
            &POD_AFFINITY_TERM,
        ),
        messages(
            2,
            "preferredDuringSchedulingIgnoredDuringExecution",
            &WEIGHTED_POD_AFFINITY_TERM,
        ),
    ],
);
static POD_AFFINITY_TERM: Message = Message::new(
    "PodAffinityTerm",
    &[
        message(1, "labelSelector", &LABEL_SELECTOR),
        repeated(2, "namespaces", Scalar::String),
        keep(3, "topologyKey", Scalar::String),
        message(4, "namespaceSelector", &LABEL_SELECTOR),
        repeated(5, "matchLabelKeys", Scalar::String),
        repeated(6, "mismatchLabelKeys", Scalar::String),
    ],
);
static WEIGHTED_POD_AFFINITY_TERM: Message = Message::new(
    "WeightedPodAffinityTerm",
    &[
        keep(1, "weight", Scalar::Int32),
        message(2, "podAffinityTerm", &POD_AFFINITY_TERM),
    ],
);
static POD_ANTI_AFFINITY: Message = Message::new(
    "PodAntiAffinity",
    &[
        messages(
            1,
            "requiredDuringSchedulingIgnoredDuringExecution",
            &POD_AFFINITY_TERM,
        ),
        messages(
            2,
            "preferredDuringSchedulingIgnoredDuringExecution",
            &WEIGHTED_POD_AFFINITY_TERM,
        ),
    ],
);
static TOLERATION: Message = Message::new(
    "Toleration",
    &[
        omit(1, "key", Scalar::String),
        omit(2, "operator", Scalar::String),
        omit(3, "value", Scalar::String),
        omit(4, "effect", Scalar::String),
        keep(5, "tolerationSeconds", Scalar::Int64),
    ],
);
static HOST_ALIAS: Message = Message::new(
    "HostAlias",
    &[
        keep(1, "ip", Scalar::String),
        repeated(2, "hostnames", Scalar::String),
    ],
);
static POD_DNS_CONFIG: Message = Message::new(
    "PodDNSConfig",
    &[
        repeated(1, "nameservers", Scalar::String),
        repeated(2, "searches", Scalar::String),
        messages(3, "options", &POD_DNS_CONFIG_OPTION),
    ],
);
static POD_DNS_CONFIG_OPTION: Message = Message::new(
    "PodDNSConfigOption",
    &[
        omit(1, "name", Scalar::String),
        keep(2, "value", Scalar::String),
    ],
);
static POD_READINESS_GATE: Message = Message::new(
    "PodReadinessGate",
    &[keep(1, "conditionType", Scalar::String)],
);
static TOPOLOGY_SPREAD_CONSTRAINT: Message = Message::new(
    "TopologySpreadConstraint",
    &[
        keep(1, "maxSkew", Scalar::Int32),
        keep(2, "topologyKey", Scalar::String),
        keep(3, "whenUnsatisfiable", Scalar::String),
        message(4, "labelSelector", &LABEL_SELECTOR),
        keep(5, "minDomains", Scalar::Int32),
        keep(6, "nodeAffinityPolicy", Scalar::String),
        keep(7, "nodeTaintsPolicy", Scalar::String),
        repeated(8, "matchLabelKeys", Scalar::String),
    ],
);
static POD_OS: Message = Message::new("PodOS", &[keep(1, "name", Scalar::String)]);
static POD_SCHEDULING_GATE: Message =
    Message::new("PodSchedulingGate", &[keep(1, "name", Scalar::String)]);
static POD_RESOURCE_CLAIM: Message = Message::new(
    "PodResourceClaim",
    &[
        keep(1, "name", Scalar::String),
        keep(3, "resourceClaimName", Scalar::String),
        keep(4, "resourceClaimTemplateName", Scalar::String),
    ],
);
static POD_SCHEDULING_GROUP: Message = Message::new(
    "PodSchedulingGroup",
    &[keep(1, "podGroupName", Scalar::String)],
);
static EVICTION_RESPONDER: Message = Message::new(
    "EvictionResponder",
    &[
        keep(1, "name", Scalar::String),
        keep(2, "priority", Scalar::Int32),
    ],
);
static ROLE: Message = Message::new(
    "Role",
    &[
        message(1, "metadata", &OBJECT_META),
        messages(2, "rules", &POLICY_RULE),
    ],
);
static POLICY_RULE: Message = Message::new(
    "PolicyRule",
    &[
        repeated(1, "verbs", Scalar::String),
        repeated(2, "apiGroups", Scalar::String),
        repeated(3, "resources", Scalar::String),
        repeated(4, "resourceNames", Scalar::String),
        repeated(5, "nonResourceURLs", Scalar::String),
    ],
);
static CLUSTER_ROLE: Message = Message::new(
    "ClusterRole",
    &[
        message(1, "metadata", &OBJECT_META),
        messages(2, "rules", &POLICY_RULE),
        message(3, "aggregationRule", &AGGREGATION_RULE),
    ],
);
static AGGREGATION_RULE: Message = Message::new(
    "AggregationRule",
    &[messages(1, "clusterRoleSelectors", &LABEL_SELECTOR)],
);
static ROLE_BINDING: Message = Message::new(
    "RoleBinding",
    &[
        message(1, "metadata", &OBJECT_META),
        messages(2, "subjects", &SUBJECT),
        message(3, "roleRef", &ROLE_REF),
    ],
);
static SUBJECT: Message = Message::new(
    "Subject",
    &[
        keep(1, "kind", Scalar::String),
        omit(2, "apiGroup", Scalar::String),
        keep(3, "name", Scalar::String),
        omit(4, "namespace", Scalar::String),
    ],
);
static ROLE_REF: Message = Message::new(
    "RoleRef",
    &[
        keep(1, "apiGroup", Scalar::String),
        keep(2, "kind", Scalar::String),
        keep(3, "name", Scalar::String),
    ],
);
static CLUSTER_ROLE_BINDING: Message = Message::new(
    "ClusterRoleBinding",
    &[
        message(1, "metadata", &OBJECT_META),
        messages(2, "subjects", &SUBJECT),
        message(3, "roleRef", &ROLE_REF),
    ],
);
static EVICTION: Message = Message::new(
    "Eviction",
    &[
        message(1, "metadata", &OBJECT_META),
        message(2, "deleteOptions", &DELETE_OPTIONS),
    ],
);
static DELETE_OPTIONS: Message = Message::new(
    "DeleteOptions",
    &[
        keep(1, "gracePeriodSeconds", Scalar::Int64),
        message(2, "preconditions", &PRECONDITIONS),
        keep(3, "orphanDependents", Scalar::Bool),
        keep(4, "propagationPolicy", Scalar::String),
        repeated(5, "dryRun", Scalar::String),
        keep(
            6,
            "ignoreStoreReadErrorWithClusterBreakingPotential",
            Scalar::Bool,
        ),
    ],
);
static PRECONDITIONS: Message = Message::new(
    "Preconditions",
    &[
        keep(1, "uid", Scalar::String),
        keep(2, "resourceVersion", Scalar::String),
    ],
);
static TOKEN_REQUEST: Message = Message::new(
    "TokenRequest",
    &[
        message(1, "metadata", &OBJECT_META),
        message(2, "spec", &TOKEN_REQUEST_SPEC),
        message(3, "status", &TOKEN_REQUEST_STATUS),
    ],
);
static TOKEN_REQUEST_SPEC: Message = Message::new(
    "TokenRequestSpec",
    &[
        repeated(1, "audiences", Scalar::String),
        message(3, "boundObjectRef", &BOUND_OBJECT_REFERENCE),
        keep(4, "expirationSeconds", Scalar::Int64),
        map(5, "attestations", Scalar::StringList),
    ],
);
static BOUND_OBJECT_REFERENCE: Message = Message::new(
    "BoundObjectReference",
    &[
        omit(1, "kind", Scalar::String),
        omit(2, "apiVersion", Scalar::String),
        omit(3, "name", Scalar::String),
        omit(4, "uid", Scalar::String),
    ],
);
static TOKEN_REQUEST_STATUS: Message = Message::new(
    "TokenRequestStatus",
    &[
        keep(1, "token", Scalar::String),
        keep(2, "expirationTimestamp", Scalar::Time),
    ],
);
static SELF_SUBJECT_REVIEW: Message = Message::new(
    "SelfSubjectReview",
    &[
        message(1, "metadata", &OBJECT_META),
        message(2, "status", &SELF_SUBJECT_REVIEW_STATUS),
    ],
);
static SELF_SUBJECT_REVIEW_STATUS: Message = Message::new(
    "SelfSubjectReviewStatus",
    &[message(1, "userInfo", &USER_INFO)],
);
static USER_INFO: Message = Message::new(
    "UserInfo",
    &[
        omit(1, "username", Scalar::String),
        omit(2, "uid", Scalar::String),
        repeated(3, "groups", Scalar::String),
        map(4, "extra", Scalar::StringList),
    ],
);
static SELF_SUBJECT_ACCESS_REVIEW: Message = Message::new(
    "SelfSubjectAccessReview",
    &[
        message(1, "metadata", &OBJECT_META),
        message(2, "spec", &SELF_SUBJECT_ACCESS_REVIEW_SPEC),
        message(3, "status", &SUBJECT_ACCESS_REVIEW_STATUS),
    ],
);
static SELF_SUBJECT_ACCESS_REVIEW_SPEC: Message = Message::new(
    "SelfSubjectAccessReviewSpec",
    &[
        message(1, "resourceAttributes", &RESOURCE_ATTRIBUTES),
        message(2, "nonResourceAttributes", &NON_RESOURCE_ATTRIBUTES),
    ],
);
static RESOURCE_ATTRIBUTES: Message = Message::new(
    "ResourceAttributes",
    &[
        omit(1, "namespace", Scalar::String),
        omit(2, "verb", Scalar::String),
        omit(3, "group", Scalar::String),
        omit(4, "version", Scalar::String),
        omit(5, "resource", Scalar::String),
        omit(6, "subresource", Scalar::String),
        omit(7, "name", Scalar::String),
        message(8, "fieldSelector", &FIELD_SELECTOR_ATTRIBUTES),
        message(9, "labelSelector", &LABEL_SELECTOR_ATTRIBUTES),
    ],
);
static FIELD_SELECTOR_ATTRIBUTES: Message = Message::new(
    "FieldSelectorAttributes",
    &[
        omit(1, "rawSelector", Scalar::String),
        messages(2, "requirements", &FIELD_SELECTOR_REQUIREMENT),
    ],
);
static FIELD_SELECTOR_REQUIREMENT: Message = Message::new(
    "FieldSelectorRequirement",
    &[
        keep(1, "key", Scalar::String),
        keep(2, "operator", Scalar::String),
        repeated(3, "values", Scalar::String),
    ],
);
static LABEL_SELECTOR_ATTRIBUTES: Message = Message::new(
    "LabelSelectorAttributes",
    &[
        omit(1, "rawSelector", Scalar::String),
        messages(2, "requirements", &LABEL_SELECTOR_REQUIREMENT),
    ],
);
static NON_RESOURCE_ATTRIBUTES: Message = Message::new(
    "NonResourceAttributes",
    &[
        omit(1, "path", Scalar::String),
        omit(2, "verb", Scalar::String),
    ],
);
static SUBJECT_ACCESS_REVIEW_STATUS: Message = Message::new(
    "SubjectAccessReviewStatus",
    &[
        keep(1, "allowed", Scalar::Bool),
        omit(2, "reason", Scalar::String),
        omit(3, "evaluationError", Scalar::String),
        omit(4, "denied", Scalar::Bool),
    ],
);
