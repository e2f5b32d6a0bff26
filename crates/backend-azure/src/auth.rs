//! Shared Key request signing, as a policy in the `azure_core` pipeline.
//!
//! The official SDK only ships bearer-token (Entra ID) authentication. With an account key
//! we sign every request ourselves, as the Blob service's "Authorize with Shared Key"
//! specification describes: HMAC-SHA256 over the verb, a fixed list of standard headers,
//! the canonicalized `x-ms-*` headers and the canonicalized resource, keyed with the
//! decoded account key. The key never leaves the process and never appears in a URL
//! (see `docs/adr/0003-azure-shared-key-auth.md`).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use azure_core::http::policies::{Policy, PolicyResult};
use azure_core::http::{Context, Request};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use remote_store_core::{Error, Result, Secret};
use sha2::Sha256;

/// Signs each try of each request with the account key.
pub(crate) struct SharedKeyPolicy {
    account: String,
    key: Vec<u8>,
}

impl SharedKeyPolicy {
    /// A policy for `account`; `key` is the base64 account key.
    pub(crate) fn new(account: &str, key: &Secret) -> Result<Self> {
        let key = STANDARD
            .decode(key.expose().trim())
            .map_err(|_| Error::invalid_argument("azure: the account key is not valid base64"))?;
        Ok(SharedKeyPolicy {
            account: account.to_owned(),
            key,
        })
    }

    fn sign(&self, string_to_sign: &str) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC accepts keys of any length");
        mac.update(string_to_sign.as_bytes());
        STANDARD.encode(mac.finalize().into_bytes())
    }
}

impl fmt::Debug for SharedKeyPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedKeyPolicy")
            .field("account", &self.account)
            .field("key", &"***")
            .finish()
    }
}

#[async_trait]
impl Policy for SharedKeyPolicy {
    async fn send(
        &self,
        ctx: &Context,
        request: &mut Request,
        next: &[Arc<dyn Policy>],
    ) -> PolicyResult {
        let now = time::OffsetDateTime::now_utc();
        request.insert_header("x-ms-date", azure_core::time::to_rfc7231(&now));
        let to_sign = string_to_sign(request, &self.account);
        let signature = self.sign(&to_sign);
        request.insert_header(
            "authorization",
            format!("SharedKey {}:{signature}", self.account),
        );
        next[0].send(ctx, request, &next[1..]).await
    }
}

/// The Shared Key string-to-sign of a request (service version 2009-09-19 and later).
fn string_to_sign(request: &Request, account: &str) -> String {
    let headers: BTreeMap<String, &str> = request
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_ascii_lowercase(), value.as_str()))
        .collect();
    let header = |name: &str| headers.get(name).copied().unwrap_or("");
    // Content-Length is empty when zero (version 2015-02-21 and later).
    let length = match headers.get("content-length") {
        Some(v) => (*v).to_owned(),
        None => request.body().len().unwrap_or(0).to_string(),
    };
    let length = if length == "0" { String::new() } else { length };

    let mut s = String::with_capacity(256);
    s.push_str(request.method().as_ref());
    s.push('\n');
    for value in [
        header("content-encoding"),
        header("content-language"),
        &length,
        header("content-md5"),
        header("content-type"),
        "", // Date: x-ms-date is used instead.
        header("if-modified-since"),
        header("if-match"),
        header("if-none-match"),
        header("if-unmodified-since"),
        header("range"),
    ] {
        s.push_str(value);
        s.push('\n');
    }
    // Canonicalized headers: every x-ms-* header, lower-case, sorted, values trimmed.
    for (name, value) in headers.range("x-ms-".to_owned()..) {
        if !name.starts_with("x-ms-") {
            break;
        }
        s.push_str(name);
        s.push(':');
        s.push_str(&unfold(value));
        s.push('\n');
    }
    // Canonicalized resource: /account/path, then each query parameter on its own line.
    s.push('/');
    s.push_str(account);
    s.push_str(request.url().path());
    let mut params: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in request.url().query_pairs() {
        params
            .entry(name.to_ascii_lowercase())
            .or_default()
            .push(value.into_owned());
    }
    for (name, mut values) in params {
        values.sort();
        s.push('\n');
        s.push_str(&name);
        s.push(':');
        s.push_str(&values.join(","));
    }
    s
}

/// Trims a header value and collapses runs of whitespace outside quotes to one space.
fn unfold(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut in_quotes = false;
    let mut pending_space = false;
    for c in value.trim().chars() {
        if c == '"' {
            in_quotes = !in_quotes;
        }
        if !in_quotes && c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use azure_core::http::{Method, Url};

    #[test]
    fn string_to_sign_layout() {
        let url = Url::parse(
            "http://127.0.0.1:10000/devstoreaccount1/c?restype=container&comp=list&prefix=a%2Fb",
        )
        .unwrap();
        let mut req = Request::new(url, Method::Get);
        req.insert_header("x-ms-version", "2025-11-05");
        req.insert_header("x-ms-date", "Tue, 24 Nov 2026 23:00:00 GMT");
        req.insert_header("if-none-match", "*");
        let s = string_to_sign(&req, "devstoreaccount1");
        assert_eq!(
            s,
            "GET\n\n\n\n\n\n\n\n\n*\n\n\n\
             x-ms-date:Tue, 24 Nov 2026 23:00:00 GMT\nx-ms-version:2025-11-05\n\
             /devstoreaccount1/devstoreaccount1/c\ncomp:list\nprefix:a/b\nrestype:container"
        );
    }

    #[test]
    fn unfold_collapses_whitespace() {
        assert_eq!(unfold("  a   b \"x  y\" "), "a b \"x  y\"");
    }

    #[test]
    fn debug_hides_key() {
        let p = SharedKeyPolicy::new("acc", &Secret::new("c2VjcmV0a2V5")).unwrap();
        assert!(!format!("{p:?}").contains("c2VjcmV0a2V5"));
        assert!(SharedKeyPolicy::new("acc", &Secret::new("not base64!")).is_err());
    }
}
