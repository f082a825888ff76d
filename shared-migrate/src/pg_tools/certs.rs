//! Throwaway certificates for a local TLS server (tests and `cargo xtask bench`): a CA, a
//! server certificate for given names, a client certificate for a user (PEM, encrypted PEM
//! and PKCS#12), and a second, unrelated CA. Made with OpenSSL, EC P-256, valid for a day.

use std::path::{Path, PathBuf};

use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkcs12::Pkcs12;
use openssl::pkey::{PKey, Private};
use openssl::symm::Cipher;
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
};
use openssl::x509::{X509, X509NameBuilder};

use crate::error::Error;

/// Where the files are.
#[derive(Debug, Clone)]
pub struct Pki {
    /// The directory holding every file.
    pub dir: PathBuf,
    /// The certificate authority's certificate.
    pub ca: PathBuf,
    /// A CA that signed nothing here.
    pub other_ca: PathBuf,
    /// The server's certificate, signed by the CA.
    pub server_cert: PathBuf,
    /// The server's key.
    pub server_key: PathBuf,
    /// A client certificate, signed by the CA.
    pub client_cert: PathBuf,
    /// The client's key.
    pub client_key: PathBuf,
    /// The client key encrypted with [`Pki::PASSWORD`].
    pub client_key_encrypted: PathBuf,
    /// The client certificate and key as PKCS#12, protected by [`Pki::PASSWORD`].
    pub client_p12: PathBuf,
}

impl Pki {
    /// The password of the PKCS#12 bundle and of the encrypted key.
    pub const PASSWORD: &'static str = "p12-s3cret";

    /// Writes everything into `dir`: the server certificate is for `server_names` (DNS names
    /// or IP addresses), the client certificate for user `client_user` (its CN).
    pub fn generate(dir: &Path, server_names: &[&str], client_user: &str) -> Result<Pki, Error> {
        make(dir, server_names, client_user)
            .map_err(|e| Error::Cluster(format!("generating test certificates: {e}")))
    }
}

fn key() -> Result<PKey<Private>, openssl::error::ErrorStack> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
    PKey::from_ec_key(EcKey::generate(&group)?)
}

type Ssl<T> = Result<T, openssl::error::ErrorStack>;

fn certificate(
    cn: &str,
    key: &PKey<Private>,
    issuer: Option<(&X509, &PKey<Private>)>,
    build: impl FnOnce(&mut openssl::x509::X509Builder) -> Ssl<()>,
) -> Ssl<X509> {
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_nid(Nid::COMMONNAME, cn)?;
    let name = name.build();
    let mut b = X509::builder()?;
    b.set_version(2)?;
    let mut serial = BigNum::new()?;
    serial.rand(64, MsbOption::MAYBE_ZERO, false)?;
    let serial = serial.to_asn1_integer()?;
    b.set_serial_number(&serial)?;
    b.set_subject_name(&name)?;
    b.set_pubkey(key)?;
    let (from, to) = (Asn1Time::days_from_now(0)?, Asn1Time::days_from_now(1)?);
    b.set_not_before(&from)?;
    b.set_not_after(&to)?;
    build(&mut b)?;
    match issuer {
        Some((ca, ca_key)) => {
            b.set_issuer_name(ca.subject_name())?;
            b.sign(ca_key, MessageDigest::sha256())?;
        }
        None => {
            b.set_issuer_name(&name)?;
            b.sign(key, MessageDigest::sha256())?;
        }
    }
    Ok(b.build())
}

fn ca(cn: &str) -> Ssl<(X509, PKey<Private>)> {
    let k = key()?;
    let c = certificate(cn, &k, None, |b| {
        b.append_extension(BasicConstraints::new().critical().ca().build()?)?;
        b.append_extension(
            KeyUsage::new()
                .critical()
                .key_cert_sign()
                .crl_sign()
                .build()?,
        )
    })?;
    Ok((c, k))
}

fn make(dir: &Path, server_names: &[&str], client_user: &str) -> Result<Pki, String> {
    let err = |e: openssl::error::ErrorStack| e.to_string();
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let write = |name: &str, bytes: &[u8]| -> Result<PathBuf, String> {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.join(name);
        std::fs::write(&p, bytes).map_err(|e| format!("{}: {e}", p.display()))?;
        let mode = if name.ends_with(".crt") { 0o644 } else { 0o600 };
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode))
            .map_err(|e| e.to_string())?;
        Ok(p)
    };
    let (ca_cert, ca_key) = ca("xtask test CA").map_err(err)?;
    let (other, _) = ca("xtask other CA").map_err(err)?;

    let server_key = key().map_err(err)?;
    let server = certificate(
        server_names.first().copied().unwrap_or("localhost"),
        &server_key,
        Some((&ca_cert, &ca_key)),
        |b| {
            let mut san = SubjectAlternativeName::new();
            for n in server_names {
                if n.parse::<std::net::IpAddr>().is_ok() {
                    san.ip(n);
                } else {
                    san.dns(n);
                }
            }
            let ext = san.build(&b.x509v3_context(Some(&ca_cert), None))?;
            b.append_extension(ext)?;
            b.append_extension(ExtendedKeyUsage::new().server_auth().build()?)
        },
    )
    .map_err(err)?;

    let client_key = key().map_err(err)?;
    let client = certificate(client_user, &client_key, Some((&ca_cert, &ca_key)), |b| {
        b.append_extension(ExtendedKeyUsage::new().client_auth().build()?)
    })
    .map_err(err)?;
    let p12 = Pkcs12::builder()
        .name(client_user)
        .pkey(&client_key)
        .cert(&client)
        .build2(Pki::PASSWORD)
        .map_err(err)?;

    Ok(Pki {
        dir: dir.to_path_buf(),
        ca: write("ca.crt", &ca_cert.to_pem().map_err(err)?)?,
        other_ca: write("other-ca.crt", &other.to_pem().map_err(err)?)?,
        server_cert: write("server.crt", &server.to_pem().map_err(err)?)?,
        server_key: write(
            "server.key",
            &server_key.private_key_to_pem_pkcs8().map_err(err)?,
        )?,
        client_cert: write("client.crt", &client.to_pem().map_err(err)?)?,
        client_key: write(
            "client.key",
            &client_key.private_key_to_pem_pkcs8().map_err(err)?,
        )?,
        client_key_encrypted: write(
            "client-encrypted.key",
            &client_key
                .private_key_to_pem_pkcs8_passphrase(
                    Cipher::aes_256_cbc(),
                    Pki::PASSWORD.as_bytes(),
                )
                .map_err(err)?,
        )?,
        client_p12: write("client.p12", &p12.to_der().map_err(err)?)?,
    })
}
