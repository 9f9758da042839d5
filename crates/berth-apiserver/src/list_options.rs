//! The list and watch options every read of a collection checks first, with upstream's
//! rules and messages (apimachinery's `ValidateListOptions`, the storage layer's
//! resourceVersion parsing), and the wait for a resourceVersion the store has not reached.

use std::time::Duration;

use berth_api::FieldError;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::request::Query;

/// How long a read asking for a resourceVersion newer than the store's waits for it, like
/// the watch cache's `waitUntilFreshAndBlock`.
const FRESHNESS_WAIT: Duration = Duration::from_secs(3);

/// The option errors of a list (`watch` = false) or a watch, as upstream finds them.
pub fn validate(q: &Query, watch: bool) -> Vec<FieldError> {
    let present = |key: &str| q.get(key).filter(|v| !v.is_empty());
    let rv = present("resourceVersion");
    let continued = present("continue").is_some();
    let send_initial_events = q.get("sendInitialEvents").is_some();
    let mut errors = Vec::new();
    const MATCH: &str = "resourceVersionMatch";
    let matching = present(MATCH);
    if watch {
        if send_initial_events && matching != Some("NotOlderThan") {
            errors.push(FieldError::forbidden(
                MATCH,
                "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
            ));
        }
        if let Some(m) = matching {
            if !send_initial_events {
                errors.push(FieldError::forbidden(
                    MATCH,
                    "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
                ));
            }
            if m != "NotOlderThan" {
                errors.push(FieldError::not_supported(MATCH, m, &["NotOlderThan"]));
            }
            if continued {
                errors.push(FieldError::forbidden(
                    MATCH,
                    "resourceVersionMatch is forbidden when continue is provided",
                ));
            }
        }
        return errors;
    }
    if let Some(m) = matching {
        if rv.is_none() {
            errors.push(FieldError::forbidden(
                MATCH,
                "resourceVersionMatch is forbidden unless resourceVersion is provided",
            ));
        }
        if continued {
            errors.push(FieldError::forbidden(
                MATCH,
                "resourceVersionMatch is forbidden when continue is provided",
            ));
        }
        if m != "Exact" && m != "NotOlderThan" {
            errors.push(FieldError::not_supported(
                MATCH,
                m,
                &["Exact", "NotOlderThan", ""],
            ));
        }
        if m == "Exact" && rv == Some("0") {
            errors.push(FieldError::forbidden(
                MATCH,
                "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"",
            ));
        }
    }
    if send_initial_events {
        errors.push(FieldError::forbidden(
            "sendInitialEvents",
            "sendInitialEvents is forbidden for list",
        ));
    }
    errors
}

/// Fails with upstream's 422 when [`validate`] finds errors.
pub fn check(q: &Query, watch: bool) -> ApiResult<()> {
    let errors = validate(q, watch);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid_options("ListOptions", errors))
    }
}

/// A resourceVersion from a query, as the storage layer parses it.
pub fn parse_resource_version(rv: &str) -> ApiResult<i64> {
    let parsed = rv.parse::<u64>().map_err(|e| {
        let reason = match e.kind() {
            std::num::IntErrorKind::PosOverflow => "value out of range",
            _ => "invalid syntax",
        };
        ApiError::BadRequest(format!(
            "invalid resource version: resourceVersion: Invalid value: \"{rv}\": strconv.ParseUint: parsing \"{rv}\": {reason}"
        ))
    })?;
    i64::try_from(parsed).map_err(|_| {
        ApiError::BadRequest(format!(
            "invalid resource version: resourceVersion: Invalid value: \"{rv}\": value out of range"
        ))
    })
}

/// Waits (a few seconds at most) until the store has reached `rv`: a client that saw a
/// resourceVersion may read "not older than" it.
pub async fn wait_until_fresh(state: &AppState, rv: i64) -> ApiResult<()> {
    let deadline = tokio::time::Instant::now() + FRESHNESS_WAIT;
    loop {
        let current = state.store.current_revision();
        if current >= rv {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(ApiError::TooLargeResourceVersion {
                requested: rv,
                current,
            });
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(query: &str, watch: bool) -> Vec<String> {
        validate(&Query::parse(Some(query)), watch)
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn list_options_follow_upstream_rules() {
        assert!(messages("resourceVersion=5&resourceVersionMatch=Exact", false).is_empty());
        assert!(messages("resourceVersion=0&resourceVersionMatch=NotOlderThan", false).is_empty());
        assert_eq!(
            messages("resourceVersionMatch=Exact", false),
            [
                "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"
            ]
        );
        assert_eq!(
            messages("resourceVersion=0&resourceVersionMatch=Exact", false),
            [
                "resourceVersionMatch: Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""
            ]
        );
        assert_eq!(
            messages("resourceVersion=5&resourceVersionMatch=Bogus", false),
            [
                "resourceVersionMatch: Unsupported value: \"Bogus\": supported values: \"Exact\", \"NotOlderThan\", \"\""
            ]
        );
        assert_eq!(
            messages("sendInitialEvents=true", false),
            ["sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list"]
        );
    }

    #[test]
    fn watch_options_follow_upstream_rules() {
        assert!(
            messages(
                "sendInitialEvents=true&resourceVersionMatch=NotOlderThan",
                true
            )
            .is_empty()
        );
        assert!(messages("resourceVersion=7", true).is_empty());
        assert_eq!(
            messages("resourceVersion=0&resourceVersionMatch=NotOlderThan", true),
            [
                "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"
            ]
        );
        assert_eq!(
            messages("sendInitialEvents=true&resourceVersionMatch=Exact", true),
            [
                "resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
                "resourceVersionMatch: Unsupported value: \"Exact\": supported values: \"NotOlderThan\"",
            ]
        );
    }

    #[test]
    fn resource_versions_parse_like_the_storage_layer() {
        assert_eq!(parse_resource_version("42").unwrap(), 42);
        assert_eq!(
            parse_resource_version("abc").unwrap_err().to_string(),
            "invalid resource version: resourceVersion: Invalid value: \"abc\": strconv.ParseUint: parsing \"abc\": invalid syntax"
        );
        assert!(parse_resource_version("-1").is_err());
    }
}
