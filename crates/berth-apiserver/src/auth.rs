//! Bearer-token authentication.

use std::collections::HashMap;

use http::HeaderMap;

/// An authenticated identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub groups: Vec<String>,
}

/// Maps bearer tokens to users. Tokens are compared in constant time.
#[derive(Default)]
pub struct Authenticator {
    tokens: HashMap<String, User>,
}

impl Authenticator {
    pub fn new() -> Authenticator {
        Authenticator::default()
    }

    pub fn add_token(&mut self, token: String, user: User) {
        self.tokens.insert(token, user);
    }

    /// The user behind the request's `Authorization: Bearer` header, if any.
    pub fn authenticate(&self, headers: &HeaderMap) -> Option<&User> {
        let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let token = token.trim();
        self.tokens
            .iter()
            .find(|(known, _)| constant_time_eq(known.as_bytes(), token.as_bytes()))
            .map(|(_, user)| user)
    }
}

/// Compares without an early exit, so timing does not reveal how much of a token matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_known_bearer_tokens() {
        let mut a = Authenticator::new();
        a.add_token(
            "secret".into(),
            User {
                name: "admin".into(),
                groups: vec!["system:masters".into()],
            },
        );
        let mut h = HeaderMap::new();
        assert!(a.authenticate(&h).is_none());
        h.insert(http::header::AUTHORIZATION, "Bearer wrong".parse().unwrap());
        assert!(a.authenticate(&h).is_none());
        h.insert(http::header::AUTHORIZATION, "Basic secret".parse().unwrap());
        assert!(a.authenticate(&h).is_none());
        h.insert(
            http::header::AUTHORIZATION,
            "Bearer secret".parse().unwrap(),
        );
        assert_eq!(a.authenticate(&h).unwrap().name, "admin");
    }
}
