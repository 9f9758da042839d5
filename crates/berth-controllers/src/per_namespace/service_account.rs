//! Upstream's serviceaccounts-controller (`pkg/controller/serviceaccount`): every active
//! namespace has a ServiceAccount `default`, which pods run as when they name none.

use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{PerNamespaceObject, Step};

/// The ServiceAccount `default` of every namespace.
pub struct DefaultServiceAccount;

impl PerNamespaceObject for DefaultServiceAccount {
    type Kind = ServiceAccount;
    const NAME: &'static str = "default";
    const CONTROLLER: &'static str = "serviceaccount-controller";

    /// Created when missing; what users change in it is theirs to keep, as upstream.
    fn step(&self, found: Option<&ServiceAccount>) -> Step<ServiceAccount> {
        match found {
            Some(_) => Step::Keep,
            None => Step::Create(ServiceAccount {
                metadata: ObjectMeta {
                    name: Some(Self::NAME.to_string()),
                    ..ObjectMeta::default()
                },
                ..ServiceAccount::default()
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_default_is_created_and_an_existing_one_left_alone() {
        let Step::Create(created) = DefaultServiceAccount.step(None) else {
            panic!("expected a create");
        };
        assert_eq!(created.metadata.name.as_deref(), Some("default"));
        assert_eq!(created.automount_service_account_token, None);

        let edited = ServiceAccount {
            automount_service_account_token: Some(false),
            ..created
        };
        assert_eq!(DefaultServiceAccount.step(Some(&edited)), Step::Keep);
    }
}
