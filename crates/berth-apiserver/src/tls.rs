//! The cluster's certificate authority and the API server's serving certificate.
//!
//! On first start a CA and a serving certificate for the loopback names are generated and
//! kept in the data directory (files readable only by their owner); later starts reuse them.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::ApiError;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// PEM material of the cluster.
pub struct TlsMaterial {
    pub ca_pem: String,
    pub server_cert_pem: String,
    pub server_key_pem: String,
}

impl From<rcgen::Error> for ApiError {
    fn from(e: rcgen::Error) -> Self {
        ApiError::Internal(format!("certificate generation failed: {e}"))
    }
}

impl From<rustls::Error> for ApiError {
    fn from(e: rustls::Error) -> Self {
        ApiError::Internal(format!("TLS configuration: {e}"))
    }
}

/// Writes `contents` to `path` with mode 0600, atomically (write to a temporary file, then rename).
pub fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(contents)?;
    f.sync_all()?;
    fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Loads the CA and serving certificate from `dir/pki`, generating them the first time.
pub fn load_or_generate(dir: &Path) -> Result<TlsMaterial, ApiError> {
    let pki = dir.join("pki");
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source: std::io::Error| ApiError::Internal(format!("{}: {source}", path.display()))
    };
    let files = ["ca.crt", "server.crt", "server.key"].map(|f| pki.join(f));
    if files.iter().all(|f| f.exists()) {
        let read = |p: &PathBuf| fs::read_to_string(p).map_err(io(p));
        return Ok(TlsMaterial {
            ca_pem: read(&files[0])?,
            server_cert_pem: read(&files[1])?,
            server_key_pem: read(&files[2])?,
        });
    }
    fs::create_dir_all(&pki).map_err(io(&pki))?;
    set_mode(&pki, 0o700).map_err(io(&pki))?;

    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "berth-ca");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params.not_after = rcgen::date_time_ymd(2126, 1, 1);
    let ca_key = KeyPair::generate()?;
    let ca_cert = ca_params.self_signed(&ca_key)?;

    let names = [
        "localhost",
        "127.0.0.1",
        "::1",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
    ];
    let mut server_params =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())?;
    server_params
        .distinguished_name
        .push(DnType::CommonName, "berth-apiserver");
    server_params.not_after = rcgen::date_time_ymd(2126, 1, 1);
    let server_key = KeyPair::generate()?;
    let issuer = Issuer::new(ca_params, ca_key);
    let server_cert = server_params.signed_by(&server_key, &issuer)?;

    let material = TlsMaterial {
        ca_pem: ca_cert.pem(),
        server_cert_pem: server_cert.pem(),
        server_key_pem: server_key.serialize_pem(),
    };
    // The CA key is not kept: nothing signs with it after start-up yet.
    for (path, contents) in files.iter().zip([
        &material.ca_pem,
        &material.server_cert_pem,
        &material.server_key_pem,
    ]) {
        write_private_file(path, contents.as_bytes()).map_err(io(path))?;
    }
    Ok(material)
}

fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

/// A rustls server configuration serving HTTP/2 and HTTP/1.1.
pub fn server_config(material: &TlsMaterial) -> Result<Arc<rustls::ServerConfig>, ApiError> {
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(material.server_cert_pem.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|_| ApiError::Internal("invalid PEM in server.crt".into()))?;
    let key = PrivateKeyDer::from_pem_slice(material.server_key_pem.as_bytes())
        .map_err(|_| ApiError::Internal("invalid PEM in server.key".into()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_once_and_reuses() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_generate(dir.path()).unwrap();
        let second = load_or_generate(dir.path()).unwrap();
        assert_eq!(first.ca_pem, second.ca_pem);
        assert_eq!(first.server_key_pem, second.server_key_pem);
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.path().join("pki/server.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        server_config(&first).unwrap();
    }
}
