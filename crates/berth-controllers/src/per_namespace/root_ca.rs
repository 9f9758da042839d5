//! Upstream's root-ca-cert-publisher (`pkg/controller/certificates/rootcacertpublisher`):
//! every active namespace has a ConfigMap `kube-root-ca.crt` holding the cluster CA, so
//! pods can verify the API server (projected service account volumes mount it).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{PerNamespaceObject, Step};

const CA_KEY: &str = "ca.crt";
const DESCRIPTION_ANNOTATION: &str = "kubernetes.io/description";
/// Upstream's text, word for word: clients may look for it.
const DESCRIPTION: &str = "Contains a CA bundle that can be used to verify the kube-apiserver \
     when using internal endpoints such as the internal service IP or kubernetes.default.svc. \
     No other usage is guaranteed across distributions of Kubernetes clusters.";

/// The ConfigMap `kube-root-ca.crt` of every namespace, with the cluster CA's PEM.
pub struct RootCaConfigMap {
    pub ca_pem: String,
}

impl RootCaConfigMap {
    fn data(&self) -> BTreeMap<String, String> {
        BTreeMap::from([(CA_KEY.to_string(), self.ca_pem.clone())])
    }
}

impl PerNamespaceObject for RootCaConfigMap {
    type Kind = ConfigMap;
    const NAME: &'static str = "kube-root-ca.crt";
    const CONTROLLER: &'static str = "root-ca-cert-publisher";

    /// Created when missing; its data and description restored when edited (other
    /// annotations, labels and `binaryData` are left as they are, as upstream).
    fn step(&self, found: Option<&ConfigMap>) -> Step<ConfigMap> {
        let data = self.data();
        let Some(found) = found else {
            return Step::Create(ConfigMap {
                metadata: ObjectMeta {
                    name: Some(Self::NAME.to_string()),
                    annotations: Some(BTreeMap::from([(
                        DESCRIPTION_ANNOTATION.to_string(),
                        DESCRIPTION.to_string(),
                    )])),
                    ..ObjectMeta::default()
                },
                data: Some(data),
                ..ConfigMap::default()
            });
        };
        let described = found
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(DESCRIPTION_ANNOTATION))
            .is_some_and(|d| !d.is_empty());
        if found.data.as_ref() == Some(&data) && described {
            return Step::Keep;
        }
        let mut repaired = found.clone();
        repaired.data = Some(data);
        repaired
            .metadata
            .annotations
            .get_or_insert_with(BTreeMap::new)
            .insert(DESCRIPTION_ANNOTATION.to_string(), DESCRIPTION.to_string());
        Step::Replace(repaired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PEM: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

    fn publisher() -> RootCaConfigMap {
        RootCaConfigMap {
            ca_pem: PEM.to_string(),
        }
    }

    fn config_map(value: serde_json::Value) -> ConfigMap {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_missing_config_map_is_created_with_the_ca_and_upstreams_description() {
        let Step::Create(created) = publisher().step(None) else {
            panic!("expected a create");
        };
        let value = serde_json::to_value(&created).unwrap();
        assert_eq!(
            value,
            json!({
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": "kube-root-ca.crt",
                    "annotations": {"kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."}
                },
                "data": {"ca.crt": PEM}
            })
        );
    }

    #[test]
    fn a_correct_config_map_is_kept_even_with_other_metadata() {
        let found = config_map(json!({
            "metadata": {"name": "kube-root-ca.crt", "resourceVersion": "7",
                "labels": {"team": "a"},
                "annotations": {"kubernetes.io/description": "anything", "x": "y"}},
            "data": {"ca.crt": PEM}
        }));
        assert_eq!(publisher().step(Some(&found)), Step::Keep);
    }

    #[test]
    fn edited_data_and_a_lost_description_are_restored() {
        let cases = [
            (
                "data changed",
                json!({"ca.crt": "forged"}),
                json!({"x": "y"}),
            ),
            ("key added", json!({"ca.crt": PEM, "extra": "1"}), json!({})),
            ("data removed", json!(null), json!({})),
            (
                "description removed",
                json!({"ca.crt": PEM}),
                json!({"x": "y"}),
            ),
            (
                "description emptied",
                json!({"ca.crt": PEM}),
                json!({"kubernetes.io/description": ""}),
            ),
        ];
        for (name, data, annotations) in cases {
            let found = config_map(json!({
                "metadata": {"name": "kube-root-ca.crt", "resourceVersion": "7",
                    "annotations": annotations},
                "data": data
            }));
            let Step::Replace(repaired) = publisher().step(Some(&found)) else {
                panic!("{name}: expected a replace");
            };
            assert_eq!(
                repaired.data,
                Some(BTreeMap::from([("ca.crt".to_string(), PEM.to_string())])),
                "{name}"
            );
            let annotations = repaired.metadata.annotations.unwrap();
            assert_eq!(annotations[DESCRIPTION_ANNOTATION], DESCRIPTION, "{name}");
            assert_eq!(
                repaired.metadata.resource_version.as_deref(),
                Some("7"),
                "{name}: the write is conditional on what was read"
            );
            if name == "data changed" {
                assert_eq!(annotations["x"], "y", "other annotations are kept");
            }
        }
    }
}
