//! Signed notes (golang.org/x/mod/sumdb/note) and verifier keys, with ed25519-dalek.
//!
//! A note is UTF-8 text ending in a newline, a blank line, then signature lines
//! `— <name> <base64(4-byte key hash || ed25519 signature)>`. `open` accepts a note only when
//! the one configured key signed it, exactly as note.Open with a single known verifier.

use base64::Engine as _;
use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

/// sum.golang.org's key, compiled into the go command (cmd/go/internal/modfetch/key.go).
pub const SUM_GOLANG_ORG_KEY: &str =
    "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";

#[derive(Debug, Clone)]
pub struct VerifierKey {
    pub name: String,
    pub hash: u32,
    key: VerifyingKey,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// note: "malformed verifier id"
    Malformed(String),
    /// note: "invalid verifier hash"
    HashMismatch,
    /// note: "unknown verifier algorithm"
    Algorithm(u8),
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyError::Malformed(why) => write!(f, "malformed verifier key ({why})"),
            KeyError::HashMismatch => {
                write!(
                    f,
                    "the key hash does not match the name and key (invalid verifier hash)"
                )
            }
            KeyError::Algorithm(a) => {
                write!(f, "unknown verifier algorithm {a} (only 1 = Ed25519)")
            }
        }
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(char::is_whitespace) && !name.contains('+')
}

fn key_hash(name: &str, key: &[u8]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update(key);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

impl VerifierKey {
    /// Parse `name+hash+base64key` like note.NewVerifier.
    pub fn parse(vkey: &str) -> Result<VerifierKey, KeyError> {
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(hash16), Some(key64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(KeyError::Malformed("want name+hash+key".into()));
        };
        if !valid_name(name) {
            return Err(KeyError::Malformed(format!("bad name {name:?}")));
        }
        if hash16.len() != 8 {
            return Err(KeyError::Malformed("hash is not 8 hex digits".into()));
        }
        let hash = u32::from_str_radix(hash16, 16)
            .map_err(|_| KeyError::Malformed("hash is not 8 hex digits".into()))?;
        let key = base64::engine::general_purpose::STANDARD
            .decode(key64)
            .map_err(|e| KeyError::Malformed(format!("key is not base64: {e}")))?;
        if key.is_empty() {
            return Err(KeyError::Malformed("empty key".into()));
        }
        if hash != key_hash(name, &key) {
            return Err(KeyError::HashMismatch);
        }
        if key[0] != 1 {
            return Err(KeyError::Algorithm(key[0]));
        }
        let raw: [u8; 32] = key[1..]
            .try_into()
            .map_err(|_| KeyError::Malformed("Ed25519 key is not 32 bytes".into()))?;
        let key = VerifyingKey::from_bytes(&raw)
            .map_err(|e| KeyError::Malformed(format!("not an Ed25519 point: {e}")))?;
        Ok(VerifierKey {
            name: name.to_owned(),
            hash,
            key,
            text: vkey.to_owned(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoteError {
    /// Not a syntactically valid signed note.
    Malformed(String),
    /// A signature line by our key (name and key hash) that does not verify: a forgery or
    /// a corrupted note.
    BadSignature { name: String, hash: u32 },
    /// Well formed, but our key did not sign it (other signers listed).
    Unverified { signers: Vec<String> },
}

impl std::fmt::Display for NoteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoteError::Malformed(why) => write!(f, "malformed signed note: {why}"),
            NoteError::BadSignature { name, hash } => write!(
                f,
                "invalid signature for key {name}+{hash:08x}: the signed text was altered or forged"
            ),
            NoteError::Unverified { signers } => write!(
                f,
                "the note is not signed by the configured key (signed by: {})",
                if signers.is_empty() {
                    "nobody".to_owned()
                } else {
                    signers.join(", ")
                }
            ),
        }
    }
}

/// Verify `msg` with `key`; returns the signed text.
pub fn open<'a>(msg: &'a [u8], key: &VerifierKey) -> Result<&'a str, NoteError> {
    let malformed = |why: &str| NoteError::Malformed(why.to_owned());
    let s = std::str::from_utf8(msg).map_err(|_| malformed("not UTF-8"))?;
    if s.chars().any(|c| c < ' ' && c != '\n') {
        return Err(malformed("contains control characters"));
    }
    let split = s
        .rfind("\n\n")
        .ok_or_else(|| malformed("no blank line before the signatures"))?;
    let (text, sigs) = (&s[..split + 1], &s[split + 2..]);
    if sigs.is_empty() || !sigs.ends_with('\n') {
        return Err(malformed("no signature lines"));
    }
    let mut signers = Vec::new();
    let mut verified = false;
    for (count, line) in sigs.lines().enumerate() {
        if count >= 100 {
            return Err(malformed("more than 100 signatures"));
        }
        let line = line
            .strip_prefix("\u{2014} ")
            .ok_or_else(|| malformed("signature line does not start with `— `"))?;
        let (name, b64) = line.split_once(' ').unwrap_or((line, ""));
        let sig = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| malformed("signature is not base64"))?;
        if !valid_name(name) || b64.is_empty() || sig.len() < 5 {
            return Err(malformed("bad signature line"));
        }
        let hash = u32::from_be_bytes([sig[0], sig[1], sig[2], sig[3]]);
        if name != key.name || hash != key.hash {
            signers.push(format!("{name}+{hash:08x}"));
            continue;
        }
        let ok = Signature::from_slice(&sig[4..])
            .map(|signature| key.key.verify(text.as_bytes(), &signature).is_ok())
            .unwrap_or(false);
        if !ok {
            return Err(NoteError::BadSignature {
                name: name.to_owned(),
                hash,
            });
        }
        verified = true;
    }
    if verified {
        Ok(text)
    } else {
        Err(NoteError::Unverified { signers })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_sum_golang_org_key() {
        let key = VerifierKey::parse(SUM_GOLANG_ORG_KEY).expect("valid key");
        assert_eq!(key.name, "sum.golang.org");
        assert_eq!(key.hash, 0x033de0ae);
    }

    #[test]
    fn rejects_a_key_with_a_wrong_hash() {
        let bad = SUM_GOLANG_ORG_KEY.replace("033de0ae", "033de0af");
        assert_eq!(VerifierKey::parse(&bad).err(), Some(KeyError::HashMismatch));
    }

    // A tree head and key produced by tests/sumdb-server (x/mod note.Sign) in a real run.
    const VKEY: &str = "sumdb.gohost.test+a9b7fb6c+ASdeWwNjCOBrcwgzF7eTtJPgxZvPXWZQoux4ckiB8fiU";
    const LATEST: &str = "go.sum database tree\n3\nObK0LjC7H5jh/VuD3s48wd/BGAMXoAxZoHF12i3bpWY=\n\n\u{2014} sumdb.gohost.test qbf7bHBPW3s2DyMAhpFE86Br5PefPQKt8J5Ju6Za2HGSWQwskI3hb5sC5ouz+3P8oD0RTgrayO9RoNmmQ7yCoMZtnwk=\n";

    #[test]
    fn verifies_a_real_note_and_rejects_altered_text() {
        let key = VerifierKey::parse(VKEY).expect("valid key");
        let text = open(LATEST.as_bytes(), &key).expect("verifies");
        assert!(text.starts_with("go.sum database tree\n3\n"));
        let altered = LATEST.replace("\n3\n", "\n4\n");
        assert!(matches!(
            open(altered.as_bytes(), &key),
            Err(NoteError::BadSignature { .. })
        ));
        let other = VerifierKey::parse(SUM_GOLANG_ORG_KEY).expect("valid key");
        assert!(matches!(
            open(LATEST.as_bytes(), &other),
            Err(NoteError::Unverified { .. })
        ));
        assert!(matches!(
            open(b"garbage\n", &key),
            Err(NoteError::Malformed(_))
        ));
    }
}
