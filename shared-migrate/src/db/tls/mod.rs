//! TLS to PostgreSQL with libpq's semantics, through OpenSSL (the library libpq itself uses, so
//! certificate stores, PKCS#12 and encrypted keys behave as they do for psql and pg_dump).
//!
//! The URL's settings, libpq's and Prisma's:
//! - `sslmode`: disable, allow, prefer (default), require, verify-ca, verify-full. `require`
//!   checks the certificate chain when a root certificate is given (or `~/.postgresql/root.crt`
//!   exists), as libpq does. `sslrootcert=system` trusts OpenSSL's default store and makes
//!   `verify-full` the default (a weaker mode is refused, as by libpq 16).
//! - `sslrootcert`, `sslcert` + `sslkey` (PEM; an encrypted key is opened with `sslpassword`),
//!   with libpq's defaults in `~/.postgresql/` when not given.
//! - Prisma: `sslidentity` (PKCS#12 client identity) with `sslpassword`; `sslcert` alone (no
//!   `sslkey`, no `sslrootcert`) is the server's root certificate, as Prisma reads it;
//!   `sslaccept=accept_invalid_certs` checks no certificate, `sslaccept=strict` turns `require`
//!   into `verify-full`.
//! - `PGSSLMODE`, `PGSSLROOTCERT`, `PGSSLCERT`, `PGSSLKEY` fill in what the URL leaves out.

//!
//! Here: the settings and the plan they make; [`connector`] builds OpenSSL's connector (roots,
//! client identity); [`diagnose`] tells why a certificate was refused.

mod connector;
mod diagnose;
pub(crate) use connector::{CertProblem, ClientPem, Deferred, client_identity_pem, connector};
pub(crate) use diagnose::describe_failure;
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub fn parse(s: &str) -> Result<SslMode, String> {
        Ok(match s {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(format!(
                    "sslmode={other} is not an sslmode: use disable, allow, prefer, require, verify-ca or verify-full"
                ));
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// Where trusted root certificates come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootCert {
    File(PathBuf),
    /// `sslrootcert=system`: OpenSSL's default store.
    System,
}

impl fmt::Display for RootCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RootCert::File(p) => write!(f, "sslrootcert {}", p.display()),
            RootCert::System => f.write_str("the system's trusted roots (sslrootcert=system)"),
        }
    }
}

/// What the certificate check covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verify {
    Nothing,
    /// The chain up to a trusted root (verify-ca).
    Chain,
    /// The chain and the host name (verify-full).
    ChainAndHost,
}

/// The TLS settings of a URL, as written (paths resolved by [`Tls::resolve_paths`]).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Tls {
    pub mode: Option<SslMode>,
    pub root_cert: Option<RootCert>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    /// Prisma's `sslidentity`: a PKCS#12 file.
    pub identity: Option<PathBuf>,
    /// `sslpassword`: of the PKCS#12 file or the encrypted key. Never shown.
    password: Option<String>,
    /// Prisma's `sslaccept`: `Some(true)` for accept_invalid_certs, `Some(false)` for strict.
    pub accept_invalid_certs: Option<bool>,
    /// The root certificate was given as Prisma's `sslcert` (shown again that way).
    prisma_root: bool,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls")
            .field("mode", &self.mode)
            .field("root_cert", &self.root_cert)
            .field("client_cert", &self.client_cert)
            .field("client_key", &self.client_key)
            .field("identity", &self.identity)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

/// The URL parameters this module reads.
pub(crate) const PARAMS: &[&str] = &[
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslidentity",
    "sslpassword",
    "sslaccept",
];

/// What a connection does, decided from the settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsPlan {
    pub mode: SslMode,
    pub verify: Verify,
    pub roots: Option<RootCert>,
}

impl Tls {
    /// Reads the TLS parameters of a URL (`params`: every key and value, in order).
    pub fn from_params(params: &[(String, String)]) -> Result<Tls, String> {
        let get = |k: &str| {
            params
                .iter()
                .rev()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        let mut tls = Tls {
            mode: get("sslmode").map(|m| SslMode::parse(&m)).transpose()?,
            client_key: get("sslkey").map(PathBuf::from),
            identity: get("sslidentity").map(PathBuf::from),
            password: get("sslpassword"),
            ..Tls::default()
        };
        tls.root_cert = get("sslrootcert").map(|r| {
            if r == "system" {
                RootCert::System
            } else {
                RootCert::File(PathBuf::from(r))
            }
        });
        if let Some(cert) = get("sslcert") {
            // libpq: the client certificate. Prisma: the server's root certificate. With a key
            // or a root certificate beside it, it can only be libpq's.
            if tls.client_key.is_some() || tls.root_cert.is_some() {
                tls.client_cert = Some(PathBuf::from(cert));
            } else {
                tls.root_cert = Some(RootCert::File(PathBuf::from(cert)));
                tls.prisma_root = true;
            }
        }
        tls.accept_invalid_certs = match get("sslaccept").as_deref() {
            None => None,
            Some("accept_invalid_certs") => Some(true),
            Some("strict") => Some(false),
            Some(other) => {
                return Err(format!(
                    "sslaccept={other}: use strict or accept_invalid_certs (Prisma's values)"
                ));
            }
        };
        if tls.client_key.is_some() && tls.client_cert.is_none() {
            return Err("sslkey is given without sslcert: give the client certificate too".into());
        }
        if tls.identity.is_some() && tls.client_cert.is_some() {
            return Err(
                "sslidentity and sslcert+sslkey both give a client certificate: keep one".into(),
            );
        }
        // Checked whole by `plan` once libpq's environment has filled in the rest.
        Ok(tls)
    }

    /// Fills in what the URL leaves out from libpq's environment variables. Relative paths
    /// there are relative to the current directory, as for libpq.
    pub fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> Result<(), String> {
        let set = |k: &str| env(k).filter(|v| !v.is_empty());
        if self.mode.is_none()
            && let Some(m) = set("PGSSLMODE")
        {
            self.mode = Some(SslMode::parse(&m).map_err(|e| format!("PGSSLMODE: {e}"))?);
        }
        if self.root_cert.is_none()
            && let Some(r) = set("PGSSLROOTCERT")
        {
            self.root_cert = Some(if r == "system" {
                RootCert::System
            } else {
                RootCert::File(PathBuf::from(r))
            });
        }
        if self.client_cert.is_none()
            && self.identity.is_none()
            && let Some(c) = set("PGSSLCERT")
        {
            self.client_cert = Some(PathBuf::from(c));
            if self.client_key.is_none() {
                self.client_key = set("PGSSLKEY").map(PathBuf::from);
            }
        }
        Ok(())
    }

    /// Makes relative certificate paths relative to `base` (the schema file's directory).
    pub fn resolve_paths(&mut self, base: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        if let Some(RootCert::File(p)) = &mut self.root_cert {
            fix(p);
        }
        for p in [
            &mut self.client_cert,
            &mut self.client_key,
            &mut self.identity,
        ]
        .into_iter()
        .flatten()
        {
            fix(p);
        }
    }

    pub fn expose_password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// The mode, what is verified, and against which roots; an error for contradictions.
    pub fn plan(&self) -> Result<TlsPlan, String> {
        let explicit_roots = self.root_cert.clone();
        let system = explicit_roots == Some(RootCert::System);
        let mut mode = self.mode.unwrap_or(if system {
            SslMode::VerifyFull
        } else {
            SslMode::Prefer
        });
        if system && mode != SslMode::VerifyFull && mode != SslMode::Disable {
            return Err(format!(
                "weak sslmode \"{}\" may not be used with sslrootcert=system (use \"verify-full\"), as libpq refuses it",
                mode.as_str()
            ));
        }
        match self.accept_invalid_certs {
            Some(true) => {
                if matches!(mode, SslMode::VerifyCa | SslMode::VerifyFull) {
                    return Err(format!(
                        "sslaccept=accept_invalid_certs contradicts sslmode={}: drop one of them",
                        mode.as_str()
                    ));
                }
                return Ok(TlsPlan {
                    mode,
                    verify: Verify::Nothing,
                    roots: None,
                });
            }
            Some(false) if mode == SslMode::Require => mode = SslMode::VerifyFull,
            _ => {}
        }
        let roots = explicit_roots.or_else(default_root);
        let verify = match mode {
            SslMode::VerifyFull => Verify::ChainAndHost,
            SslMode::VerifyCa => Verify::Chain,
            SslMode::Require if roots.is_some() => Verify::Chain,
            _ => Verify::Nothing,
        };
        if verify != Verify::Nothing && roots.is_none() {
            return Err(format!(
                "sslmode={} checks the server's certificate, and no root certificate is given: set sslrootcert=PATH (the CA that signed the server's certificate), or sslrootcert=system for the system's trusted roots",
                mode.as_str()
            ));
        }
        Ok(TlsPlan {
            mode,
            verify,
            roots: if verify == Verify::Nothing {
                None
            } else {
                roots
            },
        })
    }

    /// The parameters to write into a URL, in a stable order (absolute paths once resolved).
    pub fn params(&self, show_password: bool) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let path = |p: &Path| p.to_string_lossy().into_owned();
        if let Some(m) = self.mode {
            out.push(("sslmode".into(), m.as_str().into()));
        }
        match &self.root_cert {
            Some(RootCert::System) => out.push(("sslrootcert".into(), "system".into())),
            Some(RootCert::File(p)) if self.prisma_root => out.push(("sslcert".into(), path(p))),
            Some(RootCert::File(p)) => out.push(("sslrootcert".into(), path(p))),
            None => {}
        }
        if let Some(c) = &self.client_cert {
            out.push(("sslcert".into(), path(c)));
        }
        if let Some(k) = &self.client_key {
            out.push(("sslkey".into(), path(k)));
        }
        if let Some(i) = &self.identity {
            out.push(("sslidentity".into(), path(i)));
        }
        if let Some(p) = &self.password {
            let shown = if show_password {
                p.clone()
            } else {
                "***".into()
            };
            out.push(("sslpassword".into(), shown));
        }
        match self.accept_invalid_certs {
            Some(true) => out.push(("sslaccept".into(), "accept_invalid_certs".into())),
            Some(false) => out.push(("sslaccept".into(), "strict".into())),
            None => {}
        }
        out
    }
}

/// libpq's default root certificate, `~/.postgresql/root.crt`, when it exists.
fn default_root() -> Option<RootCert> {
    let home = std::env::var_os("HOME")?;
    let p = Path::new(&home).join(".postgresql/root.crt");
    p.is_file().then_some(RootCert::File(p))
}

/// libpq's default client certificate and key in `~/.postgresql/`, when both exist.
fn default_client() -> Option<(PathBuf, PathBuf)> {
    let home = std::env::var_os("HOME")?;
    let dir = Path::new(&home).join(".postgresql");
    let (c, k) = (dir.join("postgresql.crt"), dir.join("postgresql.key"));
    (c.is_file() && k.is_file()).then_some((c, k))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &[(&str, &str)]) -> Vec<(String, String)> {
        q.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn plan(q: &[(&str, &str)]) -> Result<TlsPlan, String> {
        Tls::from_params(&params(q)).and_then(|t| t.plan())
    }

    #[test]
    fn libpq_modes() {
        let p = plan(&[]).unwrap();
        assert_eq!((p.mode, p.verify), (SslMode::Prefer, Verify::Nothing));
        let p = plan(&[("sslmode", "require")]).unwrap();
        assert_eq!(p.verify, Verify::Nothing);
        // require with a root certificate is verify-ca.
        let p = plan(&[("sslmode", "require"), ("sslrootcert", "ca.crt")]).unwrap();
        assert_eq!(p.verify, Verify::Chain);
        let p = plan(&[("sslmode", "verify-full"), ("sslrootcert", "ca.crt")]).unwrap();
        assert_eq!(p.verify, Verify::ChainAndHost);
        assert!(
            plan(&[("sslmode", "verify-ca")])
                .unwrap_err()
                .contains("sslrootcert=PATH")
        );
        // system: verify-full by default, weaker refused.
        let p = plan(&[("sslrootcert", "system")]).unwrap();
        assert_eq!(
            (p.mode, p.roots),
            (SslMode::VerifyFull, Some(RootCert::System))
        );
        assert!(
            plan(&[("sslrootcert", "system"), ("sslmode", "require")])
                .unwrap_err()
                .contains("weak sslmode")
        );
        assert!(
            plan(&[("sslmode", "verify_full")])
                .unwrap_err()
                .contains("not an sslmode")
        );
    }

    #[test]
    fn prisma_parameters() {
        // sslcert alone is Prisma's root certificate.
        let t =
            Tls::from_params(&params(&[("sslmode", "require"), ("sslcert", "ca.pem")])).unwrap();
        assert_eq!(t.root_cert, Some(RootCert::File("ca.pem".into())));
        assert_eq!(t.plan().unwrap().verify, Verify::Chain);
        // with a key it is libpq's client certificate.
        let t = Tls::from_params(&params(&[("sslcert", "c.crt"), ("sslkey", "c.key")])).unwrap();
        assert_eq!(
            (t.client_cert.is_some(), t.root_cert.is_none()),
            (true, true)
        );
        let p = plan(&[
            ("sslmode", "require"),
            ("sslaccept", "strict"),
            ("sslcert", "ca.pem"),
        ])
        .unwrap();
        assert_eq!(p.verify, Verify::ChainAndHost);
        let p = plan(&[
            ("sslmode", "require"),
            ("sslaccept", "accept_invalid_certs"),
            ("sslcert", "ca.pem"),
        ])
        .unwrap();
        assert_eq!(p.verify, Verify::Nothing);
        assert!(
            plan(&[
                ("sslmode", "verify-full"),
                ("sslaccept", "accept_invalid_certs")
            ])
            .is_err()
        );
        assert!(plan(&[("sslaccept", "lenient")]).is_err());
    }

    #[test]
    fn environment_fills_in_and_paths_resolve() {
        let mut t = Tls::from_params(&params(&[("sslcert", "ca.pem")])).unwrap();
        t.apply_env(&|k| match k {
            "PGSSLMODE" => Some("verify-ca".into()),
            "PGSSLROOTCERT" => Some("/etc/other.pem".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(t.mode, Some(SslMode::VerifyCa));
        // The URL's root wins over PGSSLROOTCERT.
        assert_eq!(t.root_cert, Some(RootCert::File("ca.pem".into())));
        t.resolve_paths(Path::new("/svc/prisma"));
        assert_eq!(
            t.root_cert,
            Some(RootCert::File("/svc/prisma/ca.pem".into()))
        );
        assert_eq!(
            t.params(false),
            params(&[("sslmode", "verify-ca"), ("sslcert", "/svc/prisma/ca.pem")])
        );
    }

    #[test]
    fn the_password_is_never_shown() {
        let t = Tls::from_params(&params(&[
            ("sslidentity", "id.p12"),
            ("sslpassword", "hunter2"),
        ]))
        .unwrap();
        assert!(!format!("{t:?}").contains("hunter2"));
        assert!(t.params(false).iter().all(|(_, v)| v != "hunter2"));
        assert!(t.params(true).iter().any(|(_, v)| v == "hunter2"));
    }
}
