//! Strategic merge patch (`application/strategic-merge-patch+json`) with kube-apiserver's
//! semantics: maps merge recursively and `null` deletes a key; lists replace unless the
//! field's patch strategy is `merge`, in which case lists of primitives are unioned and
//! lists of objects merge by their patch merge key; the directives `$patch` (`replace`,
//! `delete`, `merge` in lists), `$retainKeys`, `$deleteFromPrimitiveList/<field>` and
//! `$setElementOrder/<field>` are honoured. Result ordering follows upstream: items named
//! in the patch come first in patch order, with the original's other items interleaved
//! where the original order allows. Fields unknown to the schema merge like plain map keys
//! (decoding drops them later). Error texts are upstream's (apimachinery mergepatch).
//!
//! JSON merge patch (RFC 7386) and JSON patch (RFC 6902) need no code here: the
//! `json-patch` crate implements both.

mod schema;

use serde_json::{Map, Value};

use crate::Error;

use schema::{ListRule, SmpList};
pub(crate) use schema::{NodeId, Shape, SsaList};
pub use schema::{PatchSchema, patch_schema};

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList";
const SET_ELEMENT_ORDER: &str = "$setElementOrder";

/// Applies a strategic merge patch to `original`.
pub fn strategic_merge(
    original: &Value,
    patch: &Value,
    schema: &PatchSchema,
) -> Result<Value, Error> {
    let patch = match patch {
        Value::Object(patch) => patch.clone(),
        // Go decodes `null` into a nil map: nothing to do.
        Value::Null => Map::new(),
        other => {
            return Err(Error::BadRequest(format!(
                "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                go_json_kind(other)
            )));
        }
    };
    let original = original.as_object().cloned().unwrap_or_default();
    merge_map(original, patch, schema, schema.root()).map(Value::Object)
}

fn merge_map(
    mut original: Map<String, Value>,
    mut patch: Map<String, Value>,
    schema: &PatchSchema,
    node: NodeId,
) -> Result<Map<String, Value>, Error> {
    if let Some(directive) = patch.get(DIRECTIVE) {
        return match directive.as_str() {
            Some("replace") => {
                patch.shift_remove(DIRECTIVE);
                Ok(patch)
            }
            Some("delete") => Ok(Map::new()),
            _ => Err(bad_patch_type(directive, &patch)),
        };
    }
    apply_retain_keys(&mut original, &mut patch)?;
    merge_ordered_lists(&mut original, &mut patch, schema, node)?;

    for (key, patch_value) in patch {
        let (key, is_delete_list) = if key.starts_with(DELETE_FROM_PRIMITIVE_LIST) {
            let field = field_after_prefix(&key, DELETE_FROM_PRIMITIVE_LIST).ok_or_else(|| {
                Error::BadRequest("invalid patch format of primitive list".into())
            })?;
            (field.to_string(), true)
        } else {
            (key, false)
        };
        if patch_value.is_null() {
            original.shift_remove(&key);
            continue;
        }
        let child = schema.field(node, &key);
        let Some(original_value) = original.get_mut(&key) else {
            if !is_delete_list {
                set_or_remove(&mut original, key, patch_value);
            }
            continue;
        };
        match (original_value, patch_value) {
            (Value::Object(original_map), Value::Object(patch_map)) => {
                *original_map = merge_map(std::mem::take(original_map), patch_map, schema, child)?;
            }
            (Value::Array(original_list), Value::Array(patch_list)) => {
                let rule = schema.list_rule(child);
                if rule.smp != SmpList::Replace || is_delete_list {
                    let items = schema.items(child);
                    *original_list = merge_list(
                        std::mem::take(original_list),
                        patch_list,
                        &key,
                        rule,
                        is_delete_list,
                        schema,
                        items,
                    )?;
                } else {
                    *original_list = patch_list;
                }
            }
            (original_value, patch_value) => {
                let same_kind = go_json_kind(original_value) == go_json_kind(&patch_value);
                if same_kind || !is_delete_list {
                    set_or_remove(&mut original, key, patch_value);
                }
            }
        }
    }
    Ok(original)
}

/// Sets `key` to a patch value that had nothing to merge with: nulls inside it are
/// dropped, and so is anything carrying a `$patch` directive.
fn set_or_remove(map: &mut Map<String, Value>, key: String, mut value: Value) {
    discard_nulls(&mut value);
    match remove_directives(value) {
        Some(value) => {
            map.insert(key, value);
        }
        None => {
            map.shift_remove(&key);
        }
    }
}

fn discard_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(discard_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(discard_nulls),
        _ => {}
    }
}

/// Drops every map that carries a `$patch` directive; `None` when `value` itself does.
fn remove_directives(value: Value) -> Option<Value> {
    match value {
        Value::Object(map) if map.contains_key(DIRECTIVE) => None,
        Value::Object(map) => Some(Value::Object(
            map.into_iter()
                .filter_map(|(k, v)| remove_directives(v).map(|v| (k, v)))
                .collect(),
        )),
        Value::Array(items) => Some(Value::Array(
            items.into_iter().filter_map(remove_directives).collect(),
        )),
        other => Some(other),
    }
}

/// `$retainKeys`: the original keeps only the listed keys, and the patch may set no others.
fn apply_retain_keys(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
) -> Result<(), Error> {
    let Some(retain) = patch.shift_remove(RETAIN_KEYS) else {
        return Ok(());
    };
    let invalid = || Error::BadRequest("invalid patch format of retainKeys".into());
    let Value::Array(retain) = retain else {
        return Err(invalid());
    };
    let retained = |key: &str| retain.iter().any(|k| k.as_str() == Some(key));
    for (key, value) in patch.iter() {
        let exempt = value.is_null()
            || key.starts_with(DELETE_FROM_PRIMITIVE_LIST)
            || key.starts_with(SET_ELEMENT_ORDER);
        if !exempt && !retained(key) {
            return Err(invalid());
        }
    }
    original.retain(|key, _| retained(key));
    Ok(())
}

/// Handles every `$setElementOrder/<field>` of `patch`: merges `<field>` and orders the
/// result by the directive's list (then the patch, then the original).
fn merge_ordered_lists(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
    schema: &PatchSchema,
    node: NodeId,
) -> Result<(), Error> {
    let directives: Vec<String> = patch
        .keys()
        .filter(|k| k.starts_with(SET_ELEMENT_ORDER))
        .cloned()
        .collect();
    for directive in directives {
        let Some(order) = patch.shift_remove(&directive) else {
            continue;
        };
        let Value::Array(order) = order else {
            return Err(bad_arg_type("[]interface {}", &order));
        };
        let field = field_after_prefix(&directive, SET_ELEMENT_ORDER)
            .ok_or_else(|| {
                Error::BadRequest("invalid patch format of setElementOrder list".into())
            })?
            .to_string();
        let as_list = |value: Option<&Value>| match value {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items.clone())),
            Some(other) => Err(bad_arg_type("[]interface {}", other)),
        };
        let original_list = as_list(original.get(&field))?;
        let patch_list = as_list(patch.get(&field))?;
        let child = schema.field(node, &field);
        let rule = schema.list_rule(child);
        let merge_key = match rule.smp {
            SmpList::MergeByKey(key) => Some(key),
            _ => None,
        };
        validate_patch_against_order(patch_list.as_deref().unwrap_or_default(), &order, merge_key)?;
        let merged = match (&original_list, &patch_list) {
            (Some(original_list), None) => original_list.clone(),
            (None, Some(patch_list)) => patch_list
                .iter()
                .cloned()
                .filter_map(remove_directives)
                .collect(),
            (Some(original_list), Some(patch_list)) if rule.smp != SmpList::Replace => merge_list(
                original_list.clone(),
                patch_list.clone(),
                &field,
                rule,
                false,
                schema,
                schema.items(child),
            )?,
            (Some(_), Some(patch_list)) => patch_list.clone(),
            (None, None) => continue,
        };
        let original_list = original_list.unwrap_or_default();
        let kind = element_kind(&[&original_list, patch_list.as_deref().unwrap_or_default()])?;
        let key = merge_key.filter(|_| kind == "object");
        let (in_order, server_only) = partition(merged, &order, key)?;
        let ordered = normalize_element_order(in_order, server_only, &order, &original_list, key)?;
        original.insert(field.clone(), Value::Array(ordered));
        patch.shift_remove(&field);
    }
    Ok(())
}

/// Checks that the patch list's items appear in the `$setElementOrder` list, in order.
fn validate_patch_against_order(
    patch_list: &[Value],
    order: &[Value],
    merge_key: Option<&str>,
) -> Result<(), Error> {
    if order.is_empty() || patch_list.is_empty() {
        return Ok(());
    }
    let kept: Vec<&Value> = match merge_key {
        Some(_) => {
            let mut kept = Vec::new();
            for item in patch_list {
                let map = item
                    .as_object()
                    .ok_or_else(|| bad_arg_type("map[string]interface {}", item))?;
                if map.get(DIRECTIVE).and_then(Value::as_str) != Some("delete") {
                    kept.push(item);
                }
            }
            kept
        }
        None => patch_list.iter().collect(),
    };
    let (mut in_patch, mut in_order) = (0, 0);
    while in_patch < kept.len() && in_order < order.len() {
        if kept[in_patch]
            .as_object()
            .is_some_and(|m| m.contains_key(DIRECTIVE))
        {
            in_patch += 1;
            continue;
        }
        if merge_key_values_equal(kept[in_patch], &order[in_order], merge_key)? {
            in_patch += 1;
        }
        in_order += 1;
    }
    if in_patch < kept.len() {
        return Err(Error::Internal(format!(
            "The order in patch list:\n{}\n doesn't match {SET_ELEMENT_ORDER} list:\n{}\n",
            go_fmt(&Value::Array(patch_list.to_vec())),
            go_fmt(&Value::Array(order.to_vec()))
        )));
    }
    Ok(())
}

fn merge_key_values_equal(
    left: &Value,
    right: &Value,
    merge_key: Option<&str>,
) -> Result<bool, Error> {
    let Some(key) = merge_key else {
        return Ok(left == right);
    };
    let key_of = |item: &Value| -> Result<Value, Error> {
        let map = item
            .as_object()
            .ok_or_else(|| bad_arg_type("map[string]interface {}", item))?;
        map.get(key).cloned().ok_or_else(|| no_merge_key(map, key))
    };
    Ok(key_of(left)? == key_of(right)?)
}

/// Merges two lists of a field whose strategy is `merge` (or a `$deleteFromPrimitiveList`).
fn merge_list(
    original: Vec<Value>,
    patch: Vec<Value>,
    field: &str,
    rule: ListRule,
    is_delete_list: bool,
    schema: &PatchSchema,
    items: NodeId,
) -> Result<Vec<Value>, Error> {
    if original.is_empty() && patch.is_empty() {
        return Ok(original);
    }
    let kind = element_kind(&[&original, &patch])?;
    if kind != "object" {
        if is_delete_list {
            return Ok(original
                .into_iter()
                .filter(|v| !patch.contains(v))
                .collect());
        }
        let mut merged: Vec<Value> = Vec::with_capacity(original.len() + patch.len());
        for item in original.iter().chain(&patch) {
            if !merged.contains(item) {
                merged.push(item.clone());
            }
        }
        let (in_patch, server_only) = partition(merged, &patch, None)?;
        return normalize_element_order(in_patch, server_only, &patch, &original, None);
    }
    let SmpList::MergeByKey(key) = rule.smp else {
        return Err(Error::Internal(format!(
            "cannot merge lists without merge key for {field}"
        )));
    };
    let (original, patch) = apply_list_directives(original, patch, key)?;
    let mut merged = original.clone();
    for item in &patch {
        let item_map = item
            .as_object()
            .ok_or_else(|| bad_arg_type("map[string]interface {}", item))?;
        let key_value = item_map
            .get(key)
            .ok_or_else(|| no_merge_key(item_map, key))?;
        match find_by_key(&merged, key, key_value)? {
            Some(index) => {
                let Value::Object(existing) = std::mem::take(&mut merged[index]) else {
                    unreachable!("find_by_key only matches maps")
                };
                merged[index] =
                    Value::Object(merge_map(existing, item_map.clone(), schema, items)?);
            }
            None => merged.push(item.clone()),
        }
    }
    let (in_patch, server_only) = partition(merged, &patch, Some(key))?;
    normalize_element_order(in_patch, server_only, &patch, &original, Some(key))
}

/// Applies `$patch: delete` and `$patch: replace` items of a keyed list patch; returns the
/// original and the patch items left to merge.
fn apply_list_directives(
    mut original: Vec<Value>,
    patch: Vec<Value>,
    key: &str,
) -> Result<(Vec<Value>, Vec<Value>), Error> {
    let mut plain = Vec::with_capacity(patch.len());
    let mut replace = false;
    for item in patch {
        let map = item
            .as_object()
            .ok_or_else(|| bad_arg_type("map[string]interface {}", &item))?;
        let Some(directive) = map.get(DIRECTIVE) else {
            plain.push(item);
            continue;
        };
        match directive.as_str() {
            Some("delete") => {
                let key_value = map.get(key).ok_or_else(|| no_merge_key(map, key))?;
                while let Some(index) = find_by_key(&original, key, key_value)? {
                    original.remove(index);
                }
            }
            Some("replace") => replace = true,
            Some("merge") => {
                return Err(Error::Internal(
                    "merging lists cannot yet be specified in the patch".into(),
                ));
            }
            _ => return Err(bad_patch_type(directive, map)),
        }
    }
    if replace {
        Ok((plain, Vec::new()))
    } else {
        Ok((original, plain))
    }
}

fn find_by_key(list: &[Value], key: &str, key_value: &Value) -> Result<Option<usize>, Error> {
    for (index, item) in list.iter().enumerate() {
        let map = item
            .as_object()
            .ok_or_else(|| Error::Internal(format!("value for key {index} is not a map")))?;
        if map.get(key) == Some(key_value) {
            return Ok(Some(index));
        }
    }
    Ok(None)
}

/// Splits `merged` into the items present in `by` and the others, keeping their order.
fn partition(
    merged: Vec<Value>,
    by: &[Value],
    key: Option<&str>,
) -> Result<(Vec<Value>, Vec<Value>), Error> {
    let (mut present, mut others) = (Vec::new(), Vec::new());
    for item in merged {
        let found = match key {
            None => by.contains(&item),
            Some(key) => {
                let map = item
                    .as_object()
                    .ok_or_else(|| bad_arg_type("map[string]interface {}", &item))?;
                let key_value = map.get(key).ok_or_else(|| no_merge_key(map, key))?;
                find_by_key(by, key, key_value)?.is_some()
            }
        };
        if found {
            present.push(item)
        } else {
            others.push(item)
        }
    }
    Ok((present, others))
}

/// Orders `patch_items` by `patch_order` and `server_only` by `server_order`, then
/// interleaves them: a server-only item goes before a patch item only when both are in
/// the original and the original has it first. New items therefore lead.
fn normalize_element_order(
    patch_items: Vec<Value>,
    server_only: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    key: Option<&str>,
) -> Result<Vec<Value>, Error> {
    let patch_items = sort_by_order(patch_items, patch_order, key)?;
    let server_only = sort_by_order(server_only, server_order, key)?;
    let position = |item: &Value| position_in(server_order, item, key);
    let mut out = Vec::with_capacity(patch_items.len() + server_only.len());
    let (mut left, mut right) = (
        server_only.into_iter().peekable(),
        patch_items.into_iter().peekable(),
    );
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => {
                matches!((position(l), position(r)), (Some(li), Some(ri)) if li < ri)
            }
        };
        out.extend(if take_left { left.next() } else { right.next() });
    }
    Ok(out)
}

/// Stable sort by position in `order`; `$patch: delete` items go last.
fn sort_by_order(
    items: Vec<Value>,
    order: &[Value],
    key: Option<&str>,
) -> Result<Vec<Value>, Error> {
    let mut items = items;
    let mut deleted = Vec::new();
    if let Some(key) = key {
        for item in items.iter().chain(order) {
            let map = item
                .as_object()
                .ok_or_else(|| bad_arg_type("map[string]interface {}", item))?;
            if !map.contains_key(key) {
                return Err(no_merge_key(map, key));
            }
        }
        let (kept, delete): (Vec<Value>, Vec<Value>) = items
            .into_iter()
            .partition(|item| item.get(DIRECTIVE).and_then(Value::as_str) != Some("delete"));
        items = kept;
        deleted = delete;
    }
    items.sort_by_key(|item| position_in(order, item, key).unwrap_or(usize::MAX));
    items.extend(deleted);
    Ok(items)
}

fn position_in(list: &[Value], item: &Value, key: Option<&str>) -> Option<usize> {
    match key {
        Some(key) => list.iter().position(|v| v.get(key) == item.get(key)),
        None => list.iter().position(|v| v == item),
    }
}

/// The JSON kind shared by every element of `lists` (upstream's `sliceElementType`).
fn element_kind(lists: &[&[Value]]) -> Result<&'static str, Error> {
    let mut kind = None;
    for item in lists.iter().flat_map(|l| l.iter()) {
        let this = go_json_kind(item);
        match kind {
            None if this == "array" => {
                return Err(Error::Unprocessable(
                    "lists of lists are not supported".into(),
                ));
            }
            None => kind = Some(this),
            Some(kind) if kind != this => {
                let all = Value::Array(lists.iter().map(|l| Value::Array(l.to_vec())).collect());
                return Err(Error::Internal(format!(
                    "list element types are not identical: {}",
                    go_fmt(&all)
                )));
            }
            Some(_) => {}
        }
    }
    kind.ok_or_else(|| Error::Internal("no elements in any of the given slices".into()))
}

/// `$deleteFromPrimitiveList/finalizers` → `finalizers`.
fn field_after_prefix<'a>(key: &'a str, prefix: &str) -> Option<&'a str> {
    let (head, field) = key.split_once('/')?;
    (head == prefix).then_some(field)
}

fn bad_patch_type(directive: &Value, map: &Map<String, Value>) -> Error {
    Error::Internal(format!(
        "unknown patch type: {} in map: {}",
        go_s(directive),
        go_fmt(&Value::Object(map.clone()))
    ))
}

fn bad_arg_type(expected: &str, actual: &Value) -> Error {
    Error::Internal(format!(
        "expected a {expected}, but received a {}",
        go_type_name(actual)
    ))
}

fn no_merge_key(map: &Map<String, Value>, key: &str) -> Error {
    Error::Internal(format!(
        "map: {} does not contain declared merge key: {key}",
        go_fmt(&Value::Object(map.clone()))
    ))
}

/// The kind word Go's JSON decoder uses in its errors.
fn go_json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The Go type a decoded JSON value has (`reflect.TypeOf`), as Go prints it.
fn go_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "%!s(<nil>)",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// Go's `%s` of a decoded JSON value.
fn go_s(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "%!s(<nil>)".into(),
        other => format!("%!s({}={})", go_type_name(other), go_fmt(other)),
    }
}

/// Go's `%v` of a decoded JSON value: `map[a:1 b:[x y]]`, keys sorted.
fn go_fmt(value: &Value) -> String {
    match value {
        Value::Null => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && (f.abs() >= 1e21 || (f != 0.0 && f.abs() < 1e-4)) => {
                let s = format!("{f:e}");
                // Go writes the exponent with a sign and at least two digits: 1e+21, 1e-05.
                let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
                let (sign, digits) = exponent
                    .strip_prefix('-')
                    .map_or(("+", exponent), |d| ("-", d));
                format!("{mantissa}e{sign}{digits:0>2}")
            }
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(go_fmt).collect::<Vec<_>>().join(" ")
        ),
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            format!(
                "map[{}]",
                entries
                    .iter()
                    .map(|(k, v)| format!("{k}:{}", go_fmt(v)))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::registry::find;

    fn schema(group: &str, plural: &str) -> &'static PatchSchema {
        patch_schema(find(group, "v1", plural).unwrap())
    }

    /// (case, kind as group/plural, original, patch, expected result)
    type MergeCase = (
        &'static str,
        (&'static str, &'static str),
        Value,
        Value,
        Value,
    );

    fn merge_cases() -> Vec<MergeCase> {
        let sts = ("apps", "statefulsets");
        let pods = ("", "pods");
        vec![
            (
                "maps merge and null deletes",
                ("", "configmaps"),
                json!({"metadata": {"name": "c", "labels": {"a": "1", "b": "2"}}, "data": {"k": "v"}}),
                json!({"metadata": {"labels": {"a": null, "c": "3"}}, "data": {"k2": "v2"}}),
                json!({"metadata": {"name": "c", "labels": {"b": "2", "c": "3"}}, "data": {"k": "v", "k2": "v2"}}),
            ),
            (
                "null for an absent key is dropped, nulls inside new values too",
                ("", "configmaps"),
                json!({"data": {"k": "v"}}),
                json!({"data": {"x": null}, "metadata": {"labels": {"a": "1", "b": null}}}),
                json!({"data": {"k": "v"}, "metadata": {"labels": {"a": "1"}}}),
            ),
            (
                "list of primitives without strategy replaces",
                pods,
                json!({"spec": {"containers": [{"name": "c", "args": ["a", "b"]}]}}),
                json!({"spec": {"containers": [{"name": "c", "args": ["x"]}]}}),
                json!({"spec": {"containers": [{"name": "c", "args": ["x"]}]}}),
            ),
            (
                "finalizers merge as a set, new ones first",
                pods,
                json!({"metadata": {"finalizers": ["a", "b"]}}),
                json!({"metadata": {"finalizers": ["c", "a"]}}),
                json!({"metadata": {"finalizers": ["c", "a", "b"]}}),
            ),
            (
                "$deleteFromPrimitiveList removes values",
                pods,
                json!({"metadata": {"finalizers": ["a", "b", "c"]}}),
                json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"]}}),
                json!({"metadata": {"finalizers": ["a", "c"]}}),
            ),
            (
                "containers merge by name; existing keep their place",
                pods,
                json!({"spec": {"containers": [{"name": "a", "image": "x:1"}, {"name": "b", "image": "y:1"}]}}),
                json!({"spec": {"containers": [{"name": "b", "image": "y:2"}]}}),
                json!({"spec": {"containers": [{"name": "a", "image": "x:1"}, {"name": "b", "image": "y:2"}]}}),
            ),
            (
                "a new container goes first, as upstream orders it",
                sts,
                json!({"spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "webserver", "image": "agnhost"}]}}}}),
                json!({"metadata": {"labels": {"test-ss": "patched"}}, "spec": {"replicas": 2, "template": {"spec": {
                    "TerminationGracePeriodSeconds": 1, "containers": [{"name": "test-ss", "image": "pause"}]}}}}),
                json!({"spec": {"replicas": 2, "template": {"spec": {
                    "containers": [{"name": "test-ss", "image": "pause"}, {"name": "webserver", "image": "agnhost"}],
                    "TerminationGracePeriodSeconds": 1}}}, "metadata": {"labels": {"test-ss": "patched"}}}),
            ),
            (
                "patched items take the patch's order, others go before an item they preceded",
                pods,
                json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}}),
                json!({"spec": {"containers": [{"name": "c", "image": "i"}, {"name": "a", "image": "j"}]}}),
                json!({"spec": {"containers": [{"name": "b"}, {"name": "c", "image": "i"}, {"name": "a", "image": "j"}]}}),
            ),
            (
                "env merges by name, volumeMounts by mountPath, ports by containerPort",
                pods,
                json!({"spec": {"containers": [{"name": "a",
                    "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}],
                    "volumeMounts": [{"name": "d", "mountPath": "/d"}],
                    "ports": [{"containerPort": 80, "name": "http"}]}]}}),
                json!({"spec": {"containers": [{"name": "a",
                    "env": [{"name": "Y", "value": "3"}],
                    "volumeMounts": [{"name": "e", "mountPath": "/d", "readOnly": true}],
                    "ports": [{"containerPort": 443, "name": "https"}]}]}}),
                json!({"spec": {"containers": [{"name": "a",
                    "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "3"}],
                    "volumeMounts": [{"name": "e", "mountPath": "/d", "readOnly": true}],
                    "ports": [{"containerPort": 443, "name": "https"}, {"containerPort": 80, "name": "http"}]}]}}),
            ),
            (
                "service ports merge by port",
                ("", "services"),
                json!({"spec": {"ports": [{"port": 80, "targetPort": 8080}]}}),
                json!({"spec": {"ports": [{"port": 80, "targetPort": 9090}]}}),
                json!({"spec": {"ports": [{"port": 80, "targetPort": 9090}]}}),
            ),
            (
                "tolerations are replaced",
                pods,
                json!({"spec": {"tolerations": [{"key": "a", "operator": "Exists"}]}}),
                json!({"spec": {"tolerations": [{"key": "b", "operator": "Exists"}]}}),
                json!({"spec": {"tolerations": [{"key": "b", "operator": "Exists"}]}}),
            ),
            (
                "$patch: delete removes a keyed item",
                pods,
                json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}]}}),
                json!({"spec": {"containers": [{"name": "a", "$patch": "delete"}]}}),
                json!({"spec": {"containers": [{"name": "b"}]}}),
            ),
            (
                "$patch: replace in a list replaces it with the other items",
                pods,
                json!({"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b"}]}}),
                json!({"spec": {"containers": [{"name": "c"}, {"$patch": "replace"}]}}),
                json!({"spec": {"containers": [{"name": "c"}]}}),
            ),
            (
                "$patch: replace on a map replaces it (rollout undo)",
                sts,
                json!({"spec": {"replicas": 3, "template": {
                    "metadata": {"labels": {"app": "web"}, "annotations": {"kubectl.kubernetes.io/restartedAt": "t"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25", "env": [{"name": "A", "value": "1"}]}]}}}}),
                json!({"spec": {"template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx:1.24"}]}, "$patch": "replace"}}}),
                json!({"spec": {"replicas": 3, "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx:1.24"}]}}}}),
            ),
            (
                "$patch: delete on a map empties it",
                pods,
                json!({"spec": {"securityContext": {"runAsUser": 1}}}),
                json!({"spec": {"securityContext": {"$patch": "delete"}}}),
                json!({"spec": {"securityContext": {}}}),
            ),
            (
                "$patch: delete on an absent map adds nothing",
                pods,
                json!({"spec": {}}),
                json!({"spec": {"securityContext": {"$patch": "delete"}}}),
                json!({"spec": {}}),
            ),
            (
                "$retainKeys clears the other keys",
                pods,
                json!({"spec": {"volumes": [{"name": "v", "emptyDir": {}}]}}),
                json!({"spec": {"volumes": [{"name": "v", "hostPath": {"path": "/x"}, "$retainKeys": ["name", "hostPath"]}]}}),
                json!({"spec": {"volumes": [{"name": "v", "hostPath": {"path": "/x"}}]}}),
            ),
            (
                "$setElementOrder orders the merged list",
                pods,
                json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}}),
                json!({"spec": {"$setElementOrder/containers": [{"name": "c"}, {"name": "b"}, {"name": "a"}],
                    "containers": [{"name": "b", "image": "i"}]}}),
                json!({"spec": {"containers": [{"name": "c"}, {"name": "b", "image": "i"}, {"name": "a"}]}}),
            ),
            (
                "$setElementOrder for primitives",
                pods,
                json!({"metadata": {"finalizers": ["a", "b"]}}),
                json!({"metadata": {"$setElementOrder/finalizers": ["b", "c", "a"], "finalizers": ["c"]}}),
                json!({"metadata": {"finalizers": ["b", "c", "a"]}}),
            ),
            (
                "ownerReferences merge by uid",
                pods,
                json!({"metadata": {"ownerReferences": [{"uid": "1", "name": "a"}]}}),
                json!({"metadata": {"ownerReferences": [{"uid": "1", "name": "b"}, {"uid": "2", "name": "c"}]}}),
                json!({"metadata": {"ownerReferences": [{"uid": "1", "name": "b"}, {"uid": "2", "name": "c"}]}}),
            ),
            (
                "node conditions merge by type",
                ("", "nodes"),
                json!({"status": {"conditions": [{"type": "Ready", "status": "False"}, {"type": "DiskPressure", "status": "False"}]}}),
                json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}}),
                json!({"status": {"conditions": [{"type": "Ready", "status": "True"}, {"type": "DiskPressure", "status": "False"}]}}),
            ),
            (
                "a value of another type replaces",
                pods,
                json!({"spec": {"nodeSelector": "x"}}),
                json!({"spec": {"nodeSelector": {"a": "b", "c": null}}}),
                json!({"spec": {"nodeSelector": {"a": "b"}}}),
            ),
            (
                "rollout restart annotation",
                sts,
                json!({"spec": {"template": {"metadata": {"labels": {"app": "web"}}}}}),
                json!({"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "2024-01-01T00:00:00Z"}}}}}),
                json!({"spec": {"template": {"metadata": {"labels": {"app": "web"},
                    "annotations": {"kubectl.kubernetes.io/restartedAt": "2024-01-01T00:00:00Z"}}}}}),
            ),
            (
                "null patch changes nothing",
                pods,
                json!({"a": 1}),
                Value::Null,
                json!({"a": 1}),
            ),
            (
                "$patch: replace at the root replaces the object",
                pods,
                json!({"metadata": {"name": "p"}, "spec": {"x": 1}}),
                json!({"$patch": "replace", "metadata": {"name": "q"}}),
                json!({"metadata": {"name": "q"}}),
            ),
        ]
    }

    #[test]
    fn merges_like_upstream() {
        for (case, (group, plural), original, patch, expected) in merge_cases() {
            let got = strategic_merge(&original, &patch, schema(group, plural))
                .unwrap_or_else(|e| panic!("{case}: {e}"));
            assert_eq!(got, expected, "{case}");
            // Ordering is part of the contract, and `==` on maps ignores it.
            assert_eq!(got.to_string(), expected.to_string(), "{case}: order");
        }
    }

    #[test]
    fn bad_patches_fail_with_upstream_messages() {
        let pods = schema("", "pods");
        let original =
            json!({"metadata": {"finalizers": ["a"]}, "spec": {"containers": [{"name": "a"}]}});
        let cases: Vec<(&str, Value, Error)> = vec![
            (
                "not an object",
                json!([1]),
                Error::BadRequest(
                    "json: cannot unmarshal array into Go value of type map[string]interface {}"
                        .into(),
                ),
            ),
            (
                "unknown $patch on a map",
                json!({"spec": {"$patch": "bogus", "x": 1}}),
                Error::Internal("unknown patch type: bogus in map: map[$patch:bogus x:1]".into()),
            ),
            (
                "$patch: merge on a map",
                json!({"spec": {"$patch": "merge"}}),
                Error::Internal("unknown patch type: merge in map: map[$patch:merge]".into()),
            ),
            (
                "$patch: merge in a list",
                json!({"spec": {"containers": [{"$patch": "merge"}]}}),
                Error::Internal("merging lists cannot yet be specified in the patch".into()),
            ),
            (
                "delete without merge key",
                json!({"spec": {"containers": [{"$patch": "delete"}]}}),
                Error::Internal(
                    "map: map[$patch:delete] does not contain declared merge key: name".into(),
                ),
            ),
            (
                "item without merge key",
                json!({"spec": {"containers": [{"image": "x"}]}}),
                Error::Internal(
                    "map: map[image:x] does not contain declared merge key: name".into(),
                ),
            ),
            (
                "retainKeys not a list",
                json!({"spec": {"$retainKeys": "x"}}),
                Error::BadRequest("invalid patch format of retainKeys".into()),
            ),
            (
                "retainKeys missing a patched key",
                json!({"spec": {"$retainKeys": ["a"], "b": 1}}),
                Error::BadRequest("invalid patch format of retainKeys".into()),
            ),
            (
                "malformed deleteFromPrimitiveList",
                json!({"metadata": {"$deleteFromPrimitiveListfinalizers": ["a"]}}),
                Error::BadRequest("invalid patch format of primitive list".into()),
            ),
            (
                "malformed setElementOrder",
                json!({"metadata": {"$setElementOrderfinalizers": ["a"]}}),
                Error::BadRequest("invalid patch format of setElementOrder list".into()),
            ),
            (
                "mixed element types",
                json!({"metadata": {"finalizers": [1]}}),
                Error::Internal("list element types are not identical: [[a] [1]]".into()),
            ),
            (
                "patch list out of setElementOrder",
                json!({"metadata": {"$setElementOrder/finalizers": ["a"], "finalizers": ["b"]}}),
                Error::Internal(
                    "The order in patch list:\n[b]\n doesn't match $setElementOrder list:\n[a]\n"
                        .into(),
                ),
            ),
        ];
        for (case, patch, expected) in cases {
            assert_eq!(
                strategic_merge(&original, &patch, pods),
                Err(expected),
                "{case}"
            );
        }
        let no_finalizers = json!({"metadata": {"finalizers": []}});
        let lists_of_lists = strategic_merge(
            &no_finalizers,
            &json!({"metadata": {"finalizers": [["x"]]}}),
            pods,
        )
        .unwrap_err();
        assert_eq!(
            lists_of_lists,
            Error::Unprocessable("lists of lists are not supported".into())
        );
        assert_eq!(lists_of_lists.code(), 422);
    }

    #[test]
    fn go_formatting_matches_fmt_v() {
        assert_eq!(
            go_fmt(&json!({"b": [1, 2.5], "a": null, "c": true})),
            "map[a:<nil> b:[1 2.5] c:true]"
        );
        assert_eq!(go_fmt(&json!(1e21)), "1e+21");
        assert_eq!(go_fmt(&json!(0.00001)), "1e-05");
        assert_eq!(go_s(&json!(3)), "%!s(int64=3)");
    }
}
