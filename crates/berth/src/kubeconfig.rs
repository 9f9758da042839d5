//! The admin kubeconfig written next to the data.

use base64::Engine;

/// A kubeconfig for `server` trusting `ca_pem` and authenticating with `token`.
pub fn render(server: &str, ca_pem: &str, token: &str) -> String {
    let ca = base64::engine::general_purpose::STANDARD.encode(ca_pem);
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: berth
  cluster:
    server: {server}
    certificate-authority-data: {ca}
users:
- name: admin
  user:
    token: {token}
contexts:
- name: berth
  context:
    cluster: berth
    user: admin
    namespace: default
current-context: berth
preferences: {{}}
"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_complete_config() {
        let k = render("https://127.0.0.1:6443", "PEM", "tok");
        assert!(k.contains("server: https://127.0.0.1:6443"));
        assert!(k.contains("token: tok"));
        assert!(k.contains("certificate-authority-data: UEVN"));
        assert!(k.contains("current-context: berth"));
    }
}
