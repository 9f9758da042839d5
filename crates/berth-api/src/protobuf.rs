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

use crate::Error;

/// The media type of Kubernetes protobuf bodies.
pub const MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// The prefix upstream puts before every protobuf-encoded object.
const MAGIC: &[u8] = b"k8s\0";

/// True for `application/vnd.kubernetes.protobuf`, with or without parameters.
pub fn is_protobuf(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or("").trim();
    media.eq_ignore_ascii_case(MEDIA_TYPE)
}

/// Decodes a `application/vnd.kubernetes.protobuf` body: the 4-byte magic "k8s\0", then a
/// runtime.Unknown {typeMeta{apiVersion, kind}, raw, contentEncoding, contentType}; `raw` is the
/// object message. Returns the object as JSON (with apiVersion/kind from typeMeta), or an error
/// with a message for a 400 (or a 415, see [`Error::is_unsupported_media_type`]).
pub fn decode_object(body: &[u8]) -> Result<Value, Error> {
    if body.is_empty() {
        return Err(Error::EmptyProtobufData);
    }
    let envelope = body
        .strip_prefix(MAGIC)
        .ok_or(Error::MissingProtobufPrefix)?;
    if envelope.is_empty() {
        return Err(Error::EmptyProtobufBody);
    }
    let (type_meta, raw) = read_unknown(envelope)?;
    let api_version = string_field(&type_meta, "apiVersion");
    let kind = string_field(&type_meta, "kind");
    if kind.is_empty() {
        return Err(Error::MissingProtobufKind);
    }
    let Some(&(_, _, message)) = KINDS
        .iter()
        .find(|(v, k, _)| *v == api_version && *k == kind)
    else {
        return Err(Error::UnsupportedProtobufKind { api_version, kind });
    };
    let mut object = Map::new();
    object.insert("kind".into(), Value::String(kind));
    object.insert("apiVersion".into(), Value::String(api_version));
    decode_message(raw, message, &mut object)?;
    Ok(Value::Object(object))
}

/// Splits a runtime.Unknown into its decoded typeMeta and its raw object bytes; the content
/// encoding and type fields are ignored, as upstream's decoder ignores them.
fn read_unknown(envelope: &[u8]) -> Result<(Map<String, Value>, &[u8]), Error> {
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

fn unexpected_eof() -> Error {
    Error::MalformedProtobuf("unexpected EOF".into())
}

fn wrong_wire_type(wire: Wire, field: &str) -> Error {
    Error::MalformedProtobuf(format!(
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

    fn varint(&mut self) -> Result<u64, Error> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.bytes.get(self.pos).ok_or_else(unexpected_eof)?;
            self.pos += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Ok(value);
            }
        }
        Err(Error::MalformedProtobuf("proto: integer overflow".into()))
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], Error> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(unexpected_eof)?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn len_delimited(&mut self) -> Result<&'a [u8], Error> {
        let len = self.varint()?;
        let len = usize::try_from(len)
            .ok()
            .filter(|len| isize::try_from(*len).is_ok())
            .ok_or_else(|| {
                Error::MalformedProtobuf("proto: negative length found during unmarshaling".into())
            })?;
        self.take(len)
    }

    /// Reads a field key; `message` names the message for the error upstream gives on tag 0.
    fn key(&mut self, message: &str) -> Result<(u64, Wire), Error> {
        let key = self.varint()?;
        let (number, wire_number) = (key >> 3, key & 7);
        let wire = match wire_number {
            0 => Wire::Varint,
            1 => Wire::Fixed64,
            2 => Wire::Len,
            5 => Wire::Fixed32,
            other => {
                return Err(Error::MalformedProtobuf(format!(
                    "proto: {message}: illegal wireType {other}"
                )));
            }
        };
        if number == 0 {
            return Err(Error::MalformedProtobuf(format!(
                "proto: {message}: illegal tag 0 (wire type {wire_number})"
            )));
        }
        Ok((number, wire))
    }

    fn skip(&mut self, wire: Wire) -> Result<(), Error> {
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
) -> Result<(), Error> {
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

fn expect_len<'a>(reader: &mut Reader<'a>, wire: Wire, field: &str) -> Result<&'a [u8], Error> {
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
) -> Result<Value, Error> {
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

fn read_map_entry(entry: &[u8], scalar: Scalar, field: &str) -> Result<(String, Value), Error> {
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

fn read_int_or_string(bytes: &[u8]) -> Result<Value, Error> {
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

fn read_quantity(bytes: &[u8]) -> Result<Value, Error> {
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

fn read_time(bytes: &[u8]) -> Result<Value, Error> {
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
        Error::MalformedProtobuf(format!("proto: timestamp seconds {seconds} out of range"))
    })?;
    Ok(Value::String(crate::meta::format_time(time)))
}

fn read_raw_json(bytes: &[u8]) -> Result<Value, Error> {
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
        .map_err(|e| Error::MalformedProtobuf(format!("invalid JSON in raw field: {e}")))
}

fn read_string_list(bytes: &[u8]) -> Result<Value, Error> {
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

/// runtime.TypeMeta, the envelope's type header (numbered apiVersion-first, unlike metav1.TypeMeta).
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
static CONTAINER: Message = Message::new("Container", CONTAINER_FIELDS);
/// Container and EphemeralContainerCommon share their layout field for field (upstream keeps
/// them in step).
const CONTAINER_FIELDS: &[Field] = &[
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
];
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
static EPHEMERAL_CONTAINER_COMMON: Message =
    Message::new("EphemeralContainerCommon", CONTAINER_FIELDS);
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
static POD_AFFINITY: Message = Message::new("PodAffinity", AFFINITY_TERMS);
static POD_ANTI_AFFINITY: Message = Message::new("PodAntiAffinity", AFFINITY_TERMS);
/// PodAffinity and PodAntiAffinity share their layout.
const AFFINITY_TERMS: &[Field] = &[
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
];
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A minimal protobuf writer for building test bodies by hand.
    #[derive(Default)]
    struct Enc(Vec<u8>);

    impl Enc {
        fn new() -> Self {
            Enc::default()
        }

        fn raw_varint(mut self, mut value: u64) -> Self {
            while value >= 0x80 {
                self.0.push((value as u8) | 0x80);
                value >>= 7;
            }
            self.0.push(value as u8);
            self
        }

        fn key(self, number: u32, wire: u8) -> Self {
            self.raw_varint((u64::from(number) << 3) | u64::from(wire))
        }

        fn int(self, number: u32, value: i64) -> Self {
            self.key(number, 0).raw_varint(value as u64)
        }

        fn bytes(self, number: u32, value: &[u8]) -> Self {
            let mut enc = self.key(number, 2).raw_varint(value.len() as u64);
            enc.0.extend_from_slice(value);
            enc
        }

        fn str(self, number: u32, value: &str) -> Self {
            self.bytes(number, value.as_bytes())
        }

        fn msg(self, number: u32, message: Enc) -> Self {
            self.bytes(number, &message.0)
        }

        fn entry(self, number: u32, key: &str, value: &str) -> Self {
            self.msg(number, Enc::new().str(1, key).str(2, value))
        }

        fn fixed32(self, number: u32, value: u32) -> Self {
            let mut enc = self.key(number, 5);
            enc.0.extend_from_slice(&value.to_le_bytes());
            enc
        }

        fn fixed64(self, number: u32, value: u64) -> Self {
            let mut enc = self.key(number, 1);
            enc.0.extend_from_slice(&value.to_le_bytes());
            enc
        }
    }

    /// `k8s\0` + runtime.Unknown, as client-go writes it (empty encoding and content type).
    fn body(api_version: &str, kind: &str, object: Enc) -> Vec<u8> {
        let type_meta = Enc::new().str(1, api_version).str(2, kind);
        let unknown = Enc::new()
            .msg(1, type_meta)
            .msg(2, object)
            .str(3, "")
            .str(4, "");
        [MAGIC, &unknown.0].concat()
    }

    /// ObjectMeta as gogo-protobuf writes a bare `{name}`: every value field present, empty.
    fn meta(name: &str) -> Enc {
        Enc::new()
            .str(1, name)
            .str(2, "")
            .str(3, "")
            .str(4, "")
            .str(5, "")
            .str(6, "")
            .int(7, 0)
            .bytes(8, &[])
    }

    fn quantity(value: &str) -> Enc {
        Enc::new().str(1, value)
    }

    fn decode(api_version: &str, kind: &str, object: Enc) -> Value {
        decode_object(&body(api_version, kind, object)).expect("decodes")
    }

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/tests/fixtures/protobuf/{name}.pb",
            env!("CARGO_MANIFEST_DIR")
        );
        decode_object(&std::fs::read(&path).expect("fixture exists")).expect("fixture decodes")
    }

    // --- bodies captured from kubectl v1.37 ---------------------------------------------------

    #[test]
    fn kubectl_create_namespace() {
        assert_eq!(
            fixture("namespace"),
            json!({"kind": "Namespace", "apiVersion": "v1",
                   "metadata": {"name": "capns", "creationTimestamp": null}, "spec": {}, "status": {}})
        );
    }

    #[test]
    fn kubectl_create_configmap() {
        assert_eq!(
            fixture("configmap"),
            json!({"kind": "ConfigMap", "apiVersion": "v1",
                   "metadata": {"name": "cm1", "creationTimestamp": null}, "data": {"a": "b", "c": "d"}})
        );
    }

    #[test]
    fn kubectl_create_secrets() {
        assert_eq!(
            fixture("secret_generic"),
            json!({"kind": "Secret", "apiVersion": "v1", "metadata": {"name": "s1", "creationTimestamp": null},
                   "data": {"user": "YWRtaW4="}, "type": "Opaque"})
        );
        let docker = fixture("secret_docker_registry");
        assert_eq!(docker["type"], "kubernetes.io/dockerconfigjson");
        let config = base64::engine::general_purpose::STANDARD
            .decode(docker["data"][".dockerconfigjson"].as_str().unwrap())
            .unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&config).unwrap(),
            json!({"auths": {"reg.example": {"username": "u", "password": "p", "auth": "dTpw"}}})
        );
    }

    #[test]
    fn kubectl_create_serviceaccount() {
        assert_eq!(
            fixture("serviceaccount"),
            json!({"kind": "ServiceAccount", "apiVersion": "v1",
                   "metadata": {"name": "sa1", "creationTimestamp": null}})
        );
    }

    #[test]
    fn kubectl_create_services() {
        assert_eq!(
            fixture("service_clusterip"),
            json!({"kind": "Service", "apiVersion": "v1",
                   "metadata": {"name": "svc1", "creationTimestamp": null, "labels": {"app": "svc1"}},
                   "spec": {"ports": [{"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080}],
                            "selector": {"app": "svc1"}, "type": "ClusterIP"},
                   "status": {"loadBalancer": {}}})
        );
        assert_eq!(
            fixture("service_nodeport")["spec"]["ports"],
            json!([{"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080, "nodePort": 30080}])
        );
        assert_eq!(
            fixture("service_externalname")["spec"],
            json!({"selector": {"app": "en1"}, "type": "ExternalName", "externalName": "example.com"})
        );
    }

    #[test]
    fn kubectl_create_roles() {
        assert_eq!(
            fixture("role"),
            json!({"kind": "Role", "apiVersion": "rbac.authorization.k8s.io/v1",
                   "metadata": {"name": "r1", "creationTimestamp": null},
                   "rules": [{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods", "configmaps"],
                              "resourceNames": ["x"]}]})
        );
        assert_eq!(
            fixture("clusterrole")["rules"],
            json!([{"verbs": ["get"], "apiGroups": [""], "resources": ["nodes"]},
                   {"verbs": ["get"], "nonResourceURLs": ["/healthz"]}])
        );
        assert_eq!(
            fixture("clusterrole_aggregation"),
            json!({"kind": "ClusterRole", "apiVersion": "rbac.authorization.k8s.io/v1",
                   "metadata": {"name": "agg", "creationTimestamp": null},
                   "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"foo": "bar"}}]}})
        );
    }

    #[test]
    fn kubectl_create_bindings() {
        assert_eq!(
            fixture("rolebinding"),
            json!({"kind": "RoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1",
                   "metadata": {"name": "rb1", "creationTimestamp": null},
                   "subjects": [
                       {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"},
                       {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "devs"},
                       {"kind": "ServiceAccount", "name": "sa1", "namespace": "default"}],
                   "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r1"}})
        );
        assert_eq!(
            fixture("clusterrolebinding"),
            json!({"kind": "ClusterRoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1",
                   "metadata": {"name": "crb1", "creationTimestamp": null},
                   "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "bob"}],
                   "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cr1"}})
        );
    }

    #[test]
    fn kubectl_debug_node_pod() {
        assert_eq!(
            fixture("pod_debug_node"),
            json!({"kind": "Pod", "apiVersion": "v1",
                   "metadata": {"name": "node-debugger-n1-9f9rx", "creationTimestamp": null,
                                "labels": {"app.kubernetes.io/managed-by": "kubectl-debug"}},
                   "spec": {
                       "volumes": [{"name": "host-root", "hostPath": {"path": "/"}}],
                       "containers": [{"name": "debugger", "image": "busybox", "command": ["true"], "resources": {},
                                       "volumeMounts": [{"name": "host-root", "mountPath": "/host"}],
                                       "terminationMessagePolicy": "File"}],
                       "restartPolicy": "Never", "nodeName": "n1", "hostNetwork": true, "hostPID": true,
                       "hostIPC": true, "tolerations": [{"operator": "Exists"}]}})
        );
    }

    /// `kubectl debug --copy-to` of a pod that used probes, env sources, quantities, volumes and
    /// security contexts (including zero values that must survive: runAsUser 0, grace period 0).
    #[test]
    fn kubectl_debug_copied_pod() {
        let pod = fixture("pod_debug_copy");
        assert_eq!(pod["metadata"]["name"], "rich-copy");
        assert_eq!(pod["metadata"]["labels"], json!({"app": "rich"}));
        assert_eq!(pod["metadata"]["annotations"]["note"], "x");
        assert_eq!(
            pod["spec"],
            json!({
                "volumes": [
                    {"name": "cfg", "configMap": {"name": "cm1", "items": [{"key": "a", "path": "a.txt"}],
                                                  "defaultMode": 420}},
                    {"name": "scratch", "emptyDir": {"sizeLimit": "1Gi"}}],
                "containers": [
                    {"name": "app", "image": "nginx:1.25", "command": ["nginx", "-g", "daemon off;"],
                     "ports": [{"name": "http", "containerPort": 80, "protocol": "TCP"}],
                     "env": [{"name": "A", "value": "1"},
                             {"name": "POD", "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                                        "fieldPath": "metadata.name"}}}],
                     "resources": {"limits": {"memory": "128Mi"}, "requests": {"cpu": "100m", "memory": "64Mi"}},
                     "volumeMounts": [{"name": "cfg", "readOnly": true, "mountPath": "/etc/cfg"}],
                     "livenessProbe": {"tcpSocket": {"port": 80}, "initialDelaySeconds": 3, "timeoutSeconds": 1,
                                       "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3},
                     "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"},
                                        "timeoutSeconds": 1, "periodSeconds": 5, "successThreshold": 1,
                                        "failureThreshold": 3},
                     "terminationMessagePath": "/dev/termination-log", "imagePullPolicy": "IfNotPresent",
                     "securityContext": {"capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": true,
                                         "allowPrivilegeEscalation": false},
                     "terminationMessagePolicy": "File"},
                    {"name": "dbg", "image": "busybox", "command": ["sleep", "1"], "resources": {},
                     "securityContext": {"capabilities": {"add": ["SYS_PTRACE"]}},
                     "terminationMessagePolicy": "File"}],
                "restartPolicy": "Always", "terminationGracePeriodSeconds": 0, "dnsPolicy": "ClusterFirst",
                "serviceAccountName": "default", "serviceAccount": "default",
                "securityContext": {"runAsUser": 0, "supplementalGroups": [5, 6], "fsGroup": 2000},
                "schedulerName": "default-scheduler",
                "tolerations": [
                    {"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30},
                    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                     "tolerationSeconds": 300},
                    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
                     "tolerationSeconds": 300}],
                "shareProcessNamespace": true, "enableServiceLinks": true})
        );
    }

    #[test]
    fn kubectl_drain_delete_options() {
        assert_eq!(
            fixture("deleteoptions"),
            json!({"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 3})
        );
    }

    #[test]
    fn kubectl_auth_and_token_requests() {
        assert_eq!(
            fixture("tokenrequest"),
            json!({"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
                   "metadata": {"creationTimestamp": null}, "spec": {},
                   "status": {"token": "", "expirationTimestamp": null}})
        );
        assert_eq!(
            fixture("selfsubjectaccessreview"),
            json!({"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
                   "metadata": {"creationTimestamp": null},
                   "spec": {"resourceAttributes": {"namespace": "default", "verb": "get", "resource": "pods"}},
                   "status": {"allowed": false}})
        );
        assert_eq!(
            fixture("selfsubjectreview"),
            json!({"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
                   "metadata": {"creationTimestamp": null}, "status": {"userInfo": {}}})
        );
    }

    // --- hand-built messages, one per kind -------------------------------------------------------

    #[test]
    fn object_meta_fields() {
        let owner = Enc::new()
            .str(1, "StatefulSet")
            .str(3, "web")
            .str(4, "u-1")
            .str(5, "apps/v1")
            .int(6, 1)
            .int(7, 0);
        let managed = Enc::new()
            .str(1, "kubectl")
            .str(2, "Apply")
            .str(3, "v1")
            .msg(4, Enc::new().int(1, 1_700_000_000))
            .str(6, "FieldsV1")
            .msg(7, Enc::new().str(1, r#"{"f:data":{"f:a":{}}}"#))
            .str(8, "");
        let metadata = Enc::new()
            .str(1, "")
            .str(2, "web-")
            .str(3, "ns")
            .str(5, "uid-1")
            .str(6, "42")
            .int(7, 3)
            .msg(8, Enc::new().int(1, 1_700_000_000).int(2, 999))
            .msg(9, Enc::new().int(1, 1_700_000_030))
            .int(10, 0)
            .entry(11, "app", "web")
            .entry(12, "note", "")
            .msg(13, owner)
            .str(14, "example.com/a")
            .str(14, "example.com/b")
            .msg(17, managed);
        let object = Enc::new()
            .msg(1, metadata)
            .entry(2, "k", "v")
            .msg(3, Enc::new().str(1, "bin").bytes(2, &[0, 1, 255]))
            .int(4, 0);
        assert_eq!(
            decode("v1", "ConfigMap", object),
            json!({"kind": "ConfigMap", "apiVersion": "v1",
                   "metadata": {
                       "generateName": "web-", "namespace": "ns", "uid": "uid-1", "resourceVersion": "42",
                       "generation": 3, "creationTimestamp": "2023-11-14T22:13:20Z",
                       "deletionTimestamp": "2023-11-14T22:13:50Z", "deletionGracePeriodSeconds": 0,
                       "labels": {"app": "web"}, "annotations": {"note": ""},
                       "ownerReferences": [{"kind": "StatefulSet", "name": "web", "uid": "u-1",
                                            "apiVersion": "apps/v1", "controller": true,
                                            "blockOwnerDeletion": false}],
                       "finalizers": ["example.com/a", "example.com/b"],
                       "managedFields": [{"manager": "kubectl", "operation": "Apply", "apiVersion": "v1",
                                          "time": "2023-11-14T22:13:20Z", "fieldsType": "FieldsV1",
                                          "fieldsV1": {"f:data": {"f:a": {}}}}]},
                   "data": {"k": "v"}, "binaryData": {"bin": "AAH/"}, "immutable": false})
        );
    }

    #[test]
    fn namespace_spec_finalizers() {
        let object = Enc::new()
            .msg(1, meta("team"))
            .msg(2, Enc::new().str(1, "kubernetes"));
        assert_eq!(
            decode("v1", "Namespace", object),
            json!({"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": "team", "creationTimestamp": null},
                   "spec": {"finalizers": ["kubernetes"]}})
        );
    }

    #[test]
    fn secret_data_is_base64_and_string_data_is_text() {
        let object = Enc::new()
            .msg(1, meta("s"))
            .msg(2, Enc::new().str(1, "password").bytes(2, b"hunter2"))
            .str(3, "Opaque")
            .entry(4, "user", "admin")
            .int(5, 1);
        assert_eq!(
            decode("v1", "Secret", object),
            json!({"kind": "Secret", "apiVersion": "v1", "metadata": {"name": "s", "creationTimestamp": null},
                   "data": {"password": "aHVudGVyMg=="}, "type": "Opaque", "stringData": {"user": "admin"},
                   "immutable": true})
        );
    }

    #[test]
    fn service_account_references() {
        let object = Enc::new()
            .msg(1, meta("builder"))
            .msg(2, Enc::new().str(3, "builder-token"))
            .msg(3, Enc::new().str(1, "regcred"))
            .int(4, 0);
        assert_eq!(
            decode("v1", "ServiceAccount", object),
            json!({"kind": "ServiceAccount", "apiVersion": "v1",
                   "metadata": {"name": "builder", "creationTimestamp": null},
                   "secrets": [{"name": "builder-token"}], "imagePullSecrets": [{"name": "regcred"}],
                   "automountServiceAccountToken": false})
        );
    }

    #[test]
    fn service_spec_ports_and_affinity() {
        let named_target = Enc::new().int(1, 1).int(2, 0).str(3, "http");
        let port = Enc::new()
            .str(1, "web")
            .str(2, "TCP")
            .int(3, 80)
            .msg(4, named_target)
            .int(5, 0);
        let spec = Enc::new()
            .msg(1, port)
            .entry(2, "app", "web")
            .str(3, "None")
            .str(4, "ClusterIP")
            .str(7, "ClientIP")
            .int(13, 0)
            .msg(14, Enc::new().msg(1, Enc::new().int(1, 600)))
            .str(17, "SingleStack")
            .str(18, "None")
            .str(19, "IPv4")
            .str(22, "Cluster");
        let object = Enc::new()
            .msg(1, meta("web"))
            .msg(2, spec)
            .msg(3, Enc::new().msg(1, Enc::new()));
        assert_eq!(
            decode("v1", "Service", object),
            json!({"kind": "Service", "apiVersion": "v1", "metadata": {"name": "web", "creationTimestamp": null},
                   "spec": {"ports": [{"name": "web", "protocol": "TCP", "port": 80, "targetPort": "http"}],
                            "selector": {"app": "web"}, "clusterIP": "None", "type": "ClusterIP",
                            "sessionAffinity": "ClientIP",
                            "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 600}},
                            "ipFamilyPolicy": "SingleStack", "clusterIPs": ["None"], "ipFamilies": ["IPv4"],
                            "internalTrafficPolicy": "Cluster"},
                   "status": {"loadBalancer": {}}})
        );
    }

    #[test]
    fn pod_spec_containers_volumes_and_scheduling() {
        // SecretKeySelector embeds LocalObjectReference (field 1) inline.
        let secret_key = Enc::new()
            .msg(1, Enc::new().str(1, "db"))
            .str(2, "password")
            .int(3, 0);
        let env = Enc::new()
            .str(1, "PGPASSWORD")
            .msg(3, Enc::new().msg(4, secret_key));
        let resources = Enc::new()
            .msg(1, Enc::new().str(1, "memory").msg(2, quantity("1Gi")))
            .msg(2, Enc::new().str(1, "cpu").msg(2, quantity("250m")));
        let probe = Enc::new()
            .msg(1, Enc::new().msg(1, Enc::new().str(1, "pg_isready")))
            .int(4, 10);
        let container = Enc::new()
            .str(1, "db")
            .str(2, "postgres:16")
            .str(3, "postgres")
            .str(4, "-c")
            .str(4, "fsync=off")
            .msg(6, Enc::new().str(1, "pg").int(3, 5432).str(4, "TCP"))
            .msg(7, env)
            .msg(8, resources)
            .msg(9, Enc::new().str(1, "data").str(3, "/var/lib/postgresql"))
            .msg(10, probe)
            .msg(
                12,
                Enc::new().msg(2, Enc::new().msg(4, Enc::new().int(1, 5))),
            )
            .str(14, "Always")
            .int(16, 1)
            .int(18, 1);
        let volume_from_secret = Enc::new()
            .str(1, "certs")
            .msg(2, Enc::new().msg(6, Enc::new().str(1, "tls").int(3, 0o400)));
        let volume_from_claim = Enc::new()
            .str(1, "data")
            .msg(2, Enc::new().msg(10, Enc::new().str(1, "pgdata")));
        // NodeAffinity{required: NodeSelector{terms: [NodeSelectorTerm{matchExpressions: [..]}]}}
        let requirement = Enc::new().str(1, "zone").str(2, "In").str(3, "a");
        let node_affinity = Enc::new().msg(1, Enc::new().msg(1, Enc::new().msg(1, requirement)));
        let spread = Enc::new()
            .int(1, 1)
            .str(2, "kubernetes.io/hostname")
            .str(3, "DoNotSchedule")
            .msg(
                4,
                Enc::new().msg(2, Enc::new().str(1, "app").str(2, "Exists")),
            );
        let debug = Enc::new()
            .msg(1, Enc::new().str(1, "dbg").str(2, "busybox"))
            .str(2, "db");
        let spec = Enc::new()
            .msg(1, volume_from_secret)
            .msg(1, volume_from_claim)
            .msg(2, container)
            .msg(20, Enc::new().str(1, "init").str(2, "busybox"))
            .str(3, "Always")
            .int(4, 0)
            .str(6, "ClusterFirst")
            .entry(7, "disk", "ssd")
            .msg(
                14,
                Enc::new()
                    .int(2, 0)
                    .int(3, 1)
                    .key(4, 2)
                    .raw_varint(2)
                    .raw_varint(5)
                    .raw_varint(6),
            )
            .msg(18, Enc::new().msg(1, node_affinity))
            .msg(
                22,
                Enc::new()
                    .str(1, "dedicated")
                    .str(2, "Equal")
                    .str(3, "db")
                    .str(4, "NoSchedule"),
            )
            .int(25, 0)
            .msg(33, spread)
            .msg(34, debug);
        let pod = decode("v1", "Pod", Enc::new().msg(1, meta("db-0")).msg(2, spec));
        assert_eq!(
            pod["spec"],
            json!({
                "volumes": [
                    {"name": "certs", "secret": {"secretName": "tls", "defaultMode": 256}},
                    {"name": "data", "persistentVolumeClaim": {"claimName": "pgdata"}}],
                "containers": [{
                    "name": "db", "image": "postgres:16", "command": ["postgres"], "args": ["-c", "fsync=off"],
                    "ports": [{"name": "pg", "containerPort": 5432, "protocol": "TCP"}],
                    "env": [{"name": "PGPASSWORD",
                             "valueFrom": {"secretKeyRef": {"name": "db", "key": "password", "optional": false}}}],
                    "resources": {"limits": {"memory": "1Gi"}, "requests": {"cpu": "250m"}},
                    "volumeMounts": [{"name": "data", "mountPath": "/var/lib/postgresql"}],
                    "livenessProbe": {"exec": {"command": ["pg_isready"]}, "periodSeconds": 10},
                    "lifecycle": {"preStop": {"sleep": {"seconds": 5}}},
                    "imagePullPolicy": "Always", "stdin": true, "tty": true}],
                "initContainers": [{"name": "init", "image": "busybox"}],
                "restartPolicy": "Always", "terminationGracePeriodSeconds": 0, "dnsPolicy": "ClusterFirst",
                "nodeSelector": {"disk": "ssd"},
                "securityContext": {"runAsUser": 0, "runAsNonRoot": true, "supplementalGroups": [5, 6]},
                "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In",
                                                                 "values": ["a"]}]}]}}},
                "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "db", "effect": "NoSchedule"}],
                "priority": 0,
                "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
                                               "whenUnsatisfiable": "DoNotSchedule",
                                               "labelSelector": {"matchExpressions": [{"key": "app",
                                                                                       "operator": "Exists"}]}}],
                "ephemeralContainers": [{"name": "dbg", "image": "busybox", "targetContainerName": "db"}]})
        );
    }

    #[test]
    fn cluster_role_rules_and_aggregation() {
        let rule = Enc::new()
            .str(1, "get")
            .str(1, "watch")
            .str(2, "apps")
            .str(3, "statefulsets")
            .str(3, "statefulsets/scale");
        let selector = Enc::new().msg(
            2,
            Enc::new()
                .str(1, "rbac.example.com/aggregate")
                .str(2, "In")
                .str(3, "true"),
        );
        let object = Enc::new()
            .msg(1, meta("reader"))
            .msg(2, rule)
            .msg(3, Enc::new().msg(1, selector));
        assert_eq!(
            decode("rbac.authorization.k8s.io/v1", "ClusterRole", object),
            json!({"kind": "ClusterRole", "apiVersion": "rbac.authorization.k8s.io/v1",
                   "metadata": {"name": "reader", "creationTimestamp": null},
                   "rules": [{"verbs": ["get", "watch"], "apiGroups": ["apps"],
                              "resources": ["statefulsets", "statefulsets/scale"]}],
                   "aggregationRule": {"clusterRoleSelectors": [{"matchExpressions": [
                       {"key": "rbac.example.com/aggregate", "operator": "In", "values": ["true"]}]}]}})
        );
        let role = decode(
            "rbac.authorization.k8s.io/v1",
            "Role",
            Enc::new()
                .msg(1, meta("r"))
                .msg(2, Enc::new().str(5, "/healthz")),
        );
        assert_eq!(role["rules"], json!([{"nonResourceURLs": ["/healthz"]}]));
    }

    #[test]
    fn bindings_keep_required_role_ref_fields() {
        let subject = Enc::new()
            .str(1, "ServiceAccount")
            .str(2, "")
            .str(3, "builder")
            .str(4, "ci");
        let role_ref = Enc::new().str(1, "").str(2, "Role").str(3, "deployer");
        let object = Enc::new()
            .msg(1, meta("deployers"))
            .msg(2, subject)
            .msg(3, role_ref);
        for kind in ["RoleBinding", "ClusterRoleBinding"] {
            let binding = decode(
                "rbac.authorization.k8s.io/v1",
                kind,
                Enc::new()
                    .msg(1, meta("b"))
                    .msg(2, Enc::new().str(1, "User").str(3, "u")),
            );
            assert_eq!(
                binding["subjects"],
                json!([{"kind": "User", "name": "u"}]),
                "{kind}"
            );
        }
        let binding = decode("rbac.authorization.k8s.io/v1", "RoleBinding", object);
        assert_eq!(
            binding["subjects"],
            json!([{"kind": "ServiceAccount", "name": "builder", "namespace": "ci"}])
        );
        // RoleRef fields have no omitempty upstream, so even an empty apiGroup is sent.
        assert_eq!(
            binding["roleRef"],
            json!({"apiGroup": "", "kind": "Role", "name": "deployer"})
        );
    }

    #[test]
    fn eviction_with_delete_options() {
        let options = Enc::new()
            .int(1, 0)
            .msg(2, Enc::new().str(1, "uid-9").str(2, "17"))
            .str(4, "Foreground")
            .str(5, "All");
        let object = Enc::new().msg(1, meta("db-0")).msg(2, options);
        assert_eq!(
            decode("policy/v1", "Eviction", object),
            json!({"kind": "Eviction", "apiVersion": "policy/v1", "metadata": {"name": "db-0", "creationTimestamp": null},
                   "deleteOptions": {"gracePeriodSeconds": 0, "preconditions": {"uid": "uid-9", "resourceVersion": "17"},
                                     "propagationPolicy": "Foreground", "dryRun": ["All"]}})
        );
    }

    #[test]
    fn token_request_spec() {
        let bound = Enc::new()
            .str(1, "Pod")
            .str(2, "v1")
            .str(3, "web-0")
            .str(4, "uid-3");
        let spec = Enc::new()
            .str(1, "https://kubernetes.default.svc")
            .str(1, "vault")
            .msg(3, bound)
            .int(4, 3600)
            .msg(
                5,
                Enc::new()
                    .str(1, "admissionReviewAPIGroups")
                    .msg(2, Enc::new().str(1, "apps")),
            );
        let object = Enc::new().msg(1, meta("")).msg(2, spec);
        assert_eq!(
            decode("authentication.k8s.io/v1", "TokenRequest", object)["spec"],
            json!({"audiences": ["https://kubernetes.default.svc", "vault"],
                   "boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "web-0", "uid": "uid-3"},
                   "expirationSeconds": 3600, "attestations": {"admissionReviewAPIGroups": ["apps"]}})
        );
    }

    #[test]
    fn self_subject_access_review_attributes() {
        let attributes = Enc::new()
            .str(1, "prod")
            .str(2, "delete")
            .str(3, "apps")
            .str(5, "statefulsets")
            .str(6, "scale")
            .str(7, "db");
        let spec = Enc::new()
            .msg(1, attributes)
            .msg(2, Enc::new().str(1, "/metrics").str(2, "get"));
        let review = decode(
            "authorization.k8s.io/v1",
            "SelfSubjectAccessReview",
            Enc::new().msg(1, meta("")).msg(2, spec),
        );
        assert_eq!(
            review["spec"],
            json!({"resourceAttributes": {"namespace": "prod", "verb": "delete", "group": "apps",
                                          "resource": "statefulsets", "subresource": "scale", "name": "db"},
                   "nonResourceAttributes": {"path": "/metrics", "verb": "get"}})
        );
    }

    // --- wire-format rules -----------------------------------------------------------------------

    #[test]
    fn unknown_fields_of_every_wire_type_are_skipped() {
        let metadata = meta("cm")
            .int(99, 7)
            .fixed32(98, 1)
            .fixed64(97, 2)
            .str(96, "future");
        let object = Enc::new()
            .int(50, 1)
            .msg(1, metadata)
            .fixed64(51, 3)
            .entry(2, "a", "b")
            .fixed32(52, 4)
            .str(53, "x");
        assert_eq!(
            decode("v1", "ConfigMap", object),
            json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "cm", "creationTimestamp": null},
                   "data": {"a": "b"}})
        );
    }

    #[test]
    fn repeated_integers_may_be_packed_or_not() {
        let packed = Enc::new()
            .key(4, 2)
            .raw_varint(3)
            .raw_varint(1)
            .raw_varint(2)
            .raw_varint(3);
        let mixed = Enc::new().int(4, 9).msg(4, Enc::new().raw_varint(10));
        for (context, expected) in [(packed, json!([1, 2, 3])), (mixed, json!([9, 10]))] {
            let spec = Enc::new().msg(14, context);
            let pod = decode("v1", "Pod", Enc::new().msg(2, spec));
            assert_eq!(
                pod["spec"]["securityContext"]["supplementalGroups"],
                expected
            );
        }
    }

    #[test]
    fn negative_integers_decode_from_ten_byte_varints() {
        let spec = Enc::new().int(25, -1).int(5, -30);
        let pod = decode("v1", "Pod", Enc::new().msg(2, spec));
        assert_eq!(pod["spec"]["priority"], -1);
        assert_eq!(pod["spec"]["activeDeadlineSeconds"], -30);
    }

    #[test]
    fn later_values_replace_scalars_and_merge_into_messages() {
        let object = Enc::new()
            .msg(1, Enc::new().str(1, "first").entry(11, "a", "1"))
            .msg(1, Enc::new().str(1, "second").entry(11, "b", "2"))
            .str(3, "Opaque")
            .str(3, "");
        assert_eq!(
            decode("v1", "Secret", object),
            json!({"kind": "Secret", "apiVersion": "v1", "metadata": {"name": "second", "labels": {"a": "1", "b": "2"}}})
        );
    }

    #[test]
    fn int_or_string_time_and_map_edge_values() {
        let int_target = Enc::new().int(1, 0).int(2, 8080).str(3, "");
        let port = Enc::new().int(3, 80).msg(4, int_target);
        let spec = Enc::new()
            .msg(1, port)
            .msg(2, Enc::new().str(1, "empty-value"));
        let service = decode("v1", "Service", Enc::new().msg(2, spec));
        assert_eq!(
            service["spec"]["ports"],
            json!([{"port": 80, "targetPort": 8080}])
        );
        assert_eq!(service["spec"]["selector"], json!({"empty-value": ""}));

        let limits = Enc::new()
            .msg(1, Enc::new().str(1, "cpu"))
            .msg(1, Enc::new().str(1, "memory").msg(2, Enc::new()));
        let container = Enc::new().str(1, "c").msg(8, limits);
        let pod = decode("v1", "Pod", Enc::new().msg(2, Enc::new().msg(2, container)));
        assert_eq!(
            pod["spec"]["containers"][0]["resources"],
            json!({"limits": {"cpu": "0", "memory": "0"}})
        );
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        let object = Enc::new().msg(1, Enc::new().bytes(1, b"bad\xffname"));
        assert_eq!(
            decode("v1", "ConfigMap", object)["metadata"]["name"],
            "bad\u{fffd}name"
        );
    }

    // --- errors ----------------------------------------------------------------------------------

    fn error(body: &[u8]) -> Error {
        decode_object(body).expect_err("must not decode")
    }

    #[test]
    fn envelope_errors_match_upstream_messages() {
        assert_eq!(error(b"").to_string(), "empty data");
        assert_eq!(
            error(br#"{"kind":"ConfigMap"}"#).to_string(),
            "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"
        );
        assert_eq!(error(b"k8s\0").to_string(), "empty body");
        assert_eq!(
            error(&body("v1", "", Enc::new())),
            Error::MissingProtobufKind
        );
    }

    #[test]
    fn kinds_without_a_layout_are_unsupported_media() {
        let err = error(&body(
            "apps/v1",
            "StatefulSet",
            Enc::new().msg(1, meta("web")),
        ));
        assert!(err.is_unsupported_media_type());
        assert_eq!(
            err,
            Error::UnsupportedProtobufKind {
                api_version: "apps/v1".into(),
                kind: "StatefulSet".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml"
        );
        assert!(!error(b"").is_unsupported_media_type());
    }

    #[test]
    fn malformed_messages_are_bad_requests() {
        let truncated = body("v1", "ConfigMap", meta("cm"));
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (truncated[..truncated.len() - 3].to_vec(), "unexpected EOF"),
            (
                body(
                    "v1",
                    "ConfigMap",
                    Enc::new().key(1, 2).raw_varint(40).str(1, "x"),
                ),
                "unexpected EOF",
            ),
            (
                body("v1", "ConfigMap", Enc::new().msg(1, Enc::new().int(1, 5))),
                "proto: wrong wireType = 0 for field name",
            ),
            (
                body("v1", "ConfigMap", Enc::new().int(1, 5)),
                "proto: wrong wireType = 0 for field metadata",
            ),
            (
                body("v1", "ConfigMap", Enc::new().key(0, 0).raw_varint(1)),
                "proto: ConfigMap: illegal tag 0 (wire type 0)",
            ),
            (
                body("v1", "ConfigMap", Enc::new().key(7, 3)),
                "proto: ConfigMap: illegal wireType 3",
            ),
            (
                body(
                    "v1",
                    "ConfigMap",
                    Enc::new().key(9, 0).raw_varint(u64::MAX).key(0, 0),
                ),
                "proto: ConfigMap: illegal tag 0 (wire type 0)",
            ),
        ];
        for (bytes, message) in cases {
            let err = error(&bytes);
            assert!(!err.is_unsupported_media_type());
            assert_eq!(err.to_string(), message);
        }
        let overlong = [MAGIC, &[0xff; 11]].concat();
        assert_eq!(error(&overlong).to_string(), "proto: integer overflow");
        let bad_fields = Enc::new().msg(17, Enc::new().msg(7, Enc::new().str(1, "{not json")));
        assert!(
            error(&body("v1", "ConfigMap", Enc::new().msg(1, bad_fields)))
                .to_string()
                .starts_with("invalid JSON in raw field")
        );
        let far_future = Enc::new().msg(1, Enc::new().msg(8, Enc::new().int(1, i64::MAX)));
        assert_eq!(
            error(&body("v1", "ConfigMap", far_future)).to_string(),
            format!("proto: timestamp seconds {} out of range", i64::MAX)
        );
    }

    #[test]
    fn recognises_the_protobuf_media_type() {
        assert!(is_protobuf("application/vnd.kubernetes.protobuf"));
        assert!(is_protobuf(
            "application/vnd.kubernetes.protobuf; charset=binary"
        ));
        assert!(is_protobuf(" Application/VND.Kubernetes.Protobuf "));
        assert!(!is_protobuf("application/json"));
        assert!(!is_protobuf("application/vnd.kubernetes.protobuf+json"));
        assert!(!is_protobuf(""));
    }
}
