//! Known host keys: OpenSSH `known_hosts` lines (plain, `[host]:port`, hashed `|1|salt|hash`,
//! wildcards, negations, `@revoked`), and the verdict for a server's key.

use std::fmt;

use data_encoding::BASE64;
use hmac::{Hmac, KeyInit, Mac};
use russh::keys::{HashAlg, PublicKey};
use sha1::Sha1;

/// A `known_hosts` marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    /// An ordinary line.
    None,
    /// `@revoked`: the key must never be accepted.
    Revoked,
    /// `@cert-authority`: a CA key (host certificates are not supported; ignored).
    CertAuthority,
}

/// One parsed line.
#[derive(Clone)]
struct Entry {
    marker: Marker,
    patterns: String,
    key: PublicKey,
}

/// The parsed known hosts of one backend: inline lines and the file's lines together.
#[derive(Clone, Default)]
pub(crate) struct KnownHosts {
    entries: Vec<Entry>,
}

/// What the known hosts say about a server's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// A line for this host lists exactly this key.
    Known,
    /// No line for this host has a key of this type.
    Unknown,
    /// A line for this host has a different key of the same type (its SHA256 fingerprint).
    Changed(String),
    /// The key is marked `@revoked` for this host.
    Revoked,
}

impl KnownHosts {
    /// Parses one line; `Ok(None)` for blank and comment lines.
    pub(crate) fn parse_line(
        line: &str,
    ) -> Result<Option<(String, PublicKey, bool, bool)>, String> {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return Ok(None);
        }
        let mut fields = line.split_whitespace();
        let mut first = fields.next().unwrap_or_default();
        let mut revoked = false;
        let mut ca = false;
        if let Some(marker) = first.strip_prefix('@') {
            match marker {
                "revoked" => revoked = true,
                "cert-authority" => ca = true,
                other => return Err(format!("unknown marker @{other}")),
            }
            first = fields.next().ok_or("missing host patterns")?;
        }
        let _key_type = fields.next().ok_or("missing key type")?;
        let blob = fields.next().ok_or("missing key")?;
        let key = russh::keys::parse_public_key_base64(blob)
            .map_err(|e| format!("cannot parse key for {first}: {e}"))?;
        Ok(Some((first.to_owned(), key, revoked, ca)))
    }

    /// Adds every line of `text` (lines that do not parse are skipped with a debug log).
    pub(crate) fn add_text(&mut self, text: &str) {
        for line in text.lines() {
            match Self::parse_line(line) {
                Ok(Some((patterns, key, revoked, ca))) => self.entries.push(Entry {
                    marker: if revoked {
                        Marker::Revoked
                    } else if ca {
                        Marker::CertAuthority
                    } else {
                        Marker::None
                    },
                    patterns,
                    key,
                }),
                Ok(None) => {}
                Err(e) => tracing::debug!("skipping known_hosts line: {e}"),
            }
        }
    }

    /// The verdict for `key` presented by `host:port`.
    pub(crate) fn check(&self, host: &str, port: u16, key: &PublicKey) -> Verdict {
        // Host names are looked up lowercased, as OpenSSH writes (and hashes) them.
        let name = lookup_name(&host.to_ascii_lowercase(), port);
        let mut changed = None;
        let mut other_type = None;
        let mut known = false;
        for entry in self
            .entries
            .iter()
            .filter(|e| host_matches(&e.patterns, &name))
        {
            match entry.marker {
                Marker::Revoked if entry.key.key_data() == key.key_data() => {
                    return Verdict::Revoked;
                }
                Marker::None if entry.key.key_data() == key.key_data() => known = true,
                Marker::None if entry.key.algorithm() == key.algorithm() => {
                    changed.get_or_insert_with(|| fingerprint(&entry.key));
                }
                Marker::None => {
                    other_type.get_or_insert_with(|| fingerprint(&entry.key));
                }
                _ => {}
            }
        }
        // A host known by a key of another type is not new: a server that presents a type
        // nobody recorded is as suspect as one that presents another key of the recorded
        // type (accepted as new, a man in the middle only had to pick another type).
        match (known, changed.or(other_type)) {
            (true, _) => Verdict::Known,
            (false, Some(old)) => Verdict::Changed(old),
            (false, None) => Verdict::Unknown,
        }
    }
}

impl fmt::Debug for KnownHosts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KnownHosts")
            .field("entries", &self.entries.len())
            .finish()
    }
}

/// The name `known_hosts` files use for `host:port`: `host` on port 22, else `[host]:port`.
pub(crate) fn lookup_name(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_owned()
    } else {
        format!("[{host}]:{port}")
    }
}

/// The line TOFU appends for `key`.
pub(crate) fn line_for(host: &str, port: u16, key: &PublicKey) -> String {
    let mut key = key.clone();
    key.set_comment("");
    let text = key.to_openssh().unwrap_or_default();
    let host = host.to_ascii_lowercase();
    format!("{} {}\n", lookup_name(&host, port), text.trim_end())
}

/// The key's SHA256 fingerprint as OpenSSH prints it (`SHA256:...`).
pub(crate) fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// Whether a comma-separated pattern list matches `name`: a negated match (`!pattern`)
/// wins over everything, else any positive match counts.
fn host_matches(patterns: &str, name: &str) -> bool {
    let mut matched = false;
    for pattern in patterns.split(',') {
        if let Some(negated) = pattern.strip_prefix('!') {
            if pattern_matches(negated, name) {
                return false;
            }
        } else if pattern_matches(pattern, name) {
            matched = true;
        }
    }
    matched
}

fn pattern_matches(pattern: &str, name: &str) -> bool {
    if let Some(hashed) = pattern.strip_prefix("|1|") {
        let Some((salt, hash)) = hashed.split_once('|') else {
            return false;
        };
        let (Ok(salt), Ok(hash)) = (
            BASE64.decode(salt.as_bytes()),
            BASE64.decode(hash.as_bytes()),
        ) else {
            return false;
        };
        let Ok(mut mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(&salt) else {
            return false;
        };
        mac.update(name.as_bytes());
        return mac.verify_slice(&hash).is_ok();
    }
    wildcard(pattern.as_bytes(), name.as_bytes())
}

/// OpenSSH's `match_pattern`: `*` any run, `?` one character, ASCII case-insensitive.
fn wildcard(pattern: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while n < name.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p].eq_ignore_ascii_case(&name[n])) {
            p += 1;
            n += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some(p);
            mark = n;
            p += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            n = mark;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ";
    const KEY_B: &str = "AAAAC3NzaC1lZDI1NTE5AAAAILIG2T/B0l0gaqj3puu510tu9N1OkQ4znY3LYuEm5zCF";

    fn key(b64: &str) -> PublicKey {
        russh::keys::parse_public_key_base64(b64).unwrap()
    }

    #[test]
    fn plain_and_bracketed_forms() {
        let mut k = KnownHosts::default();
        k.add_text(&format!(
            "# comment\n\nexample.com,10.0.0.1 ssh-ed25519 {KEY_A}\n[example.com]:2222 ssh-ed25519 {KEY_B} me@x\n"
        ));
        assert_eq!(k.check("example.com", 22, &key(KEY_A)), Verdict::Known);
        assert_eq!(k.check("10.0.0.1", 22, &key(KEY_A)), Verdict::Known);
        assert_eq!(k.check("example.com", 2222, &key(KEY_B)), Verdict::Known);
        assert!(matches!(
            k.check("example.com", 2222, &key(KEY_A)),
            Verdict::Changed(_)
        ));
        assert_eq!(k.check("other.com", 22, &key(KEY_A)), Verdict::Unknown);
        assert_eq!(k.check("example.com", 2223, &key(KEY_A)), Verdict::Unknown);
    }

    /// An ECDSA key: a type other than the entries' Ed25519.
    const KEY_ECDSA: &str = "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBMAPHls1uSDrxa8f2nSF8brhqvlVMiaH74n6F05cqkafQW8t4nvvbsz1kop6DOkhWqRUQUqBSrWSJgVQlahNOBw=";

    #[test]
    fn a_key_of_another_type_for_a_known_host_is_a_change() {
        let mut k = KnownHosts::default();
        k.add_text(&format!("example.com ssh-ed25519 {KEY_A}\n"));
        // Accepted as new (trust on first use), a man in the middle only had to present a
        // type nobody recorded.
        assert!(matches!(
            k.check("example.com", 22, &key(KEY_ECDSA)),
            Verdict::Changed(_)
        ));
        assert_eq!(k.check("other.com", 22, &key(KEY_ECDSA)), Verdict::Unknown);
        // Host names match whatever their case, as OpenSSH lowercases them.
        assert_eq!(k.check("Example.COM", 22, &key(KEY_A)), Verdict::Known);
        assert!(line_for("Example.COM", 2022, &key(KEY_A)).starts_with("[example.com]:2022 "));
    }

    #[test]
    fn hashed_entries() {
        // `ssh-keygen -H` output for "[localhost]:13265"-style names is HMAC-SHA1(salt, name).
        let salt = [7u8; 20];
        let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(&salt).unwrap();
        mac.update(b"[127.0.0.1]:2022");
        let hash = mac.finalize().into_bytes();
        let line = format!(
            "|1|{}|{} ssh-ed25519 {KEY_A}",
            BASE64.encode(&salt),
            BASE64.encode(&hash)
        );
        let mut k = KnownHosts::default();
        k.add_text(&line);
        assert_eq!(k.check("127.0.0.1", 2022, &key(KEY_A)), Verdict::Known);
        assert_eq!(k.check("127.0.0.1", 22, &key(KEY_A)), Verdict::Unknown);
        assert!(matches!(
            k.check("127.0.0.1", 2022, &key(KEY_B)),
            Verdict::Changed(_)
        ));
    }

    #[test]
    fn hashed_entry_from_russh_test_vectors() {
        // A hashed line for "example.com" taken from OpenSSH-generated data.
        let mut k = KnownHosts::default();
        k.add_text(&format!(
            "|1|O33ESRMWPVkMYIwJ1Uw+n877jTo=|nuuC5vEqXlEZ/8BXQR7m619W6Ak= ssh-ed25519 {KEY_B}"
        ));
        assert_eq!(k.check("example.com", 22, &key(KEY_B)), Verdict::Known);
    }

    #[test]
    fn wildcards_negation_and_revoked() {
        let mut k = KnownHosts::default();
        k.add_text(&format!(
            "*.example.com,!bad.example.com ssh-ed25519 {KEY_A}\n@revoked * ssh-ed25519 {KEY_B}\n"
        ));
        assert_eq!(k.check("a.example.com", 22, &key(KEY_A)), Verdict::Known);
        assert_eq!(
            k.check("bad.example.com", 22, &key(KEY_A)),
            Verdict::Unknown
        );
        assert_eq!(k.check("a.example.com", 22, &key(KEY_B)), Verdict::Revoked);
    }

    #[test]
    fn tofu_line_round_trips() {
        let line = line_for("127.0.0.1", 2022, &key(KEY_A));
        assert!(line.starts_with("[127.0.0.1]:2022 ssh-ed25519 "));
        let mut k = KnownHosts::default();
        k.add_text(&line);
        assert_eq!(k.check("127.0.0.1", 2022, &key(KEY_A)), Verdict::Known);
        assert!(fingerprint(&key(KEY_A)).starts_with("SHA256:"));
    }

    #[test]
    fn bad_lines_are_reported() {
        assert!(KnownHosts::parse_line("host ssh-ed25519").is_err());
        assert!(KnownHosts::parse_line("host ssh-ed25519 notbase64!").is_err());
        assert!(KnownHosts::parse_line("@bogus host ssh-ed25519 AAAA").is_err());
        assert!(KnownHosts::parse_line("  # c").unwrap().is_none());
    }
}
