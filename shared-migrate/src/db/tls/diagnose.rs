//! Why a TLS connection failed, in words: the refused certificate's subject, issuer and names,
//! and what to do.

use openssl::x509::{X509Ref, X509StoreContextRef, X509VerifyResult};

use super::TlsPlan;
use super::connector::CertProblem;

pub(super) fn problem_of(ctx: &X509StoreContextRef) -> CertProblem {
    let error: X509VerifyResult = ctx.error();
    let leaf = ctx
        .chain()
        .and_then(|c| c.iter().next().map(|c| c.to_owned()));
    let current = ctx.current_cert().map(|c| c.to_owned());
    let (subject, issuer, names) = match leaf.as_ref().or(current.as_ref()) {
        Some(c) => (
            name_text(c, false),
            name_text(c, true),
            certificate_names(c),
        ),
        None => (String::from("?"), String::from("?"), Vec::new()),
    };
    CertProblem {
        code: error.as_raw(),
        reason: error.error_string().to_string(),
        subject,
        issuer,
        names,
        stopped_at: current.map_or_else(|| "?".into(), |c| name_text(&c, false)),
    }
}

/// `CN=db, O=Example` of a certificate's subject (or issuer).
fn name_text(cert: &X509Ref, issuer: bool) -> String {
    let name = if issuer {
        cert.issuer_name()
    } else {
        cert.subject_name()
    };
    let parts: Vec<String> = name
        .entries()
        .map(|e| {
            let key = e.object().nid().short_name().unwrap_or("?");
            let value = String::from_utf8_lossy(e.data().as_slice());
            format!("{key}={value}")
        })
        .collect();
    parts.join(", ")
}

/// The DNS names and addresses a certificate is for; its CN when it lists none.
fn certificate_names(cert: &X509Ref) -> Vec<String> {
    let mut names: Vec<String> = cert
        .subject_alt_names()
        .map(|sans| {
            sans.iter()
                .filter_map(|n| {
                    n.dnsname().map(str::to_string).or_else(|| {
                        n.ipaddress().and_then(|ip| match ip.len() {
                            4 => Some(
                                std::net::Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]).to_string(),
                            ),
                            16 => <[u8; 16]>::try_from(ip)
                                .ok()
                                .map(|b| std::net::Ipv6Addr::from(b).to_string()),
                            _ => None,
                        })
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    if names.is_empty() {
        names = cert
            .subject_name()
            .entries_by_nid(openssl::nid::Nid::COMMONNAME)
            .map(|e| String::from_utf8_lossy(e.data().as_slice()).into_owned())
            .collect();
    }
    names
}

/// OpenSSL's codes for a certificate nobody we trust signed.
const UNTRUSTED: &[i32] = &[2, 18, 19, 20, 21];
const EXPIRED: i32 = 10;
const NOT_YET_VALID: i32 = 9;
const HOSTNAME_MISMATCH: i32 = 62;
const IP_MISMATCH: i32 = 64;

/// What a failed handshake means, for people: `problem` (from the verify callback) first, then
/// the error's own text.
pub(crate) fn describe_failure(
    error: &postgres::Error,
    problem: Option<CertProblem>,
    plan: &TlsPlan,
    host: &str,
) -> String {
    if let Some(p) = problem {
        let cert = format!(
            "the server's certificate (subject `{}`, issued by `{}`)",
            p.subject, p.issuer
        );
        let roots = plan
            .roots
            .as_ref()
            .map_or_else(|| "the given roots".to_string(), |r| r.to_string());
        return match p.code {
            HOSTNAME_MISMATCH | IP_MISMATCH => format!(
                "the server's certificate is for {}, not `{host}`: sslmode=verify-full checks that the host name is one the certificate names; connect with one of those names, or use sslmode=verify-ca to check the chain only",
                if p.names.is_empty() {
                    "no host name".to_string()
                } else {
                    p.names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
            c if UNTRUSTED.contains(&c) => format!(
                "{cert} is not trusted: its chain ends at `{}`, which is not in {roots} ({}); give the CA that signed it with sslrootcert=PATH",
                p.stopped_at, p.reason
            ),
            EXPIRED => format!("{cert} has expired: the server needs a new certificate"),
            NOT_YET_VALID => format!("{cert} is not valid yet: check the clocks"),
            _ => format!("{cert} was refused: {}", p.reason),
        };
    }
    let text = error_chain(error);
    let lower = text.to_lowercase();
    if lower.contains("server does not support tls") {
        format!(
            "the server does not accept TLS connections, and sslmode={} requires TLS: turn `ssl = on` on the server, or use sslmode=prefer (or disable)",
            plan.mode.as_str()
        )
    } else if lower.contains("certificate required") || lower.contains("handshake failure") {
        "the server requires a client certificate: give sslcert and sslkey (or Prisma's sslidentity with sslpassword)".into()
    } else if lower.contains("unknown ca") || lower.contains("bad certificate") {
        "the server refused our client certificate: it was not signed by a CA the server trusts (its ssl_ca_file)".into()
    } else if lower.contains("certificate expired") {
        "the server refused our client certificate: it has expired".into()
    } else {
        format!("the TLS handshake failed: {text}")
    }
}

/// An error and its sources on one line.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let t = s.to_string();
        if !text.contains(&t) {
            text.push_str(": ");
            text.push_str(&t);
        }
        source = s.source();
    }
    text
}
