//! Secrets at rest: provider credentials and destination signing secrets are sealed with
//! ChaCha20-Poly1305 under the master key; API tokens are kept only as SHA-256 hashes.

use std::path::Path;

use anyhow::{bail, Context};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use sha2::{Digest, Sha256};

use crate::files::write_private_file;

const NONCE_LEN: usize = 12;

/// Seals and opens secrets with the master key.
#[derive(Clone)]
pub struct Cipher {
    aead: ChaCha20Poly1305,
    /// The key itself, for [`Cipher::derived`].
    key: zeroize::Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cipher(..)")
    }
}

impl Cipher {
    pub fn new(key: &[u8; 32]) -> Self {
        Cipher {
            aead: ChaCha20Poly1305::new(Key::from_slice(key)),
            key: zeroize::Zeroizing::new(*key),
        }
    }

    /// A cipher for one other purpose (console sessions), under a key derived from this one
    /// (SHA-256 of the purpose and the key), so a value sealed for one purpose never opens as
    /// another and the master key itself seals nothing but secrets at rest.
    pub fn derived(&self, purpose: &str) -> Cipher {
        let key: [u8; 32] = Sha256::new()
            .chain_update(b"omnigate key for: ")
            .chain_update(purpose.as_bytes())
            .chain_update([0u8])
            .chain_update(self.key.as_slice())
            .finalize()
            .into();
        Cipher::new(&key)
    }

    /// Uses the configured base64 key, or the one in `{data_dir}/master.key`, generating that
    /// file (0600) on first start.
    pub fn load_or_create(configured: &str, data_dir: &Path) -> anyhow::Result<Cipher> {
        let encoded = if !configured.trim().is_empty() {
            configured.trim().to_string()
        } else {
            let path = data_dir.join("master.key");
            if path.exists() {
                std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {}", path.display()))?
                    .trim()
                    .to_string()
            } else {
                let key = ChaCha20Poly1305::generate_key(&mut OsRng);
                let encoded = STANDARD.encode(key);
                write_private_file(&path, &encoded)?;
                encoded
            }
        };
        let bytes = STANDARD
            .decode(&encoded)
            .context("the master key is not valid base64")?;
        let Ok(key) = <[u8; 32]>::try_from(bytes.as_slice()) else {
            bail!("the master key must be 32 bytes (base64 of 32 random bytes)");
        };
        Ok(Cipher::new(&key))
    }

    pub fn seal(&self, plaintext: &[u8]) -> anyhow::Result<Vec<u8>> {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ct = self
            .aead
            .encrypt(&nonce, plaintext)
            .map_err(|_| anyhow::anyhow!("cannot encrypt a secret"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(out)
    }

    pub fn open(&self, sealed: &[u8]) -> anyhow::Result<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            bail!("sealed value is truncated");
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        self.aead
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| anyhow::anyhow!("cannot decrypt a stored secret: wrong master key?"))
    }
}

/// The stored form of an API token.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Secrets shorter than this are masked whole: four characters of a short secret are too
/// large a share of it to show.
const MASK_TAIL_FROM: usize = 16;

/// Masks a secret for display: its last four characters only, and nothing of a short one.
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < MASK_TAIL_FROM {
        "****".to_string()
    } else {
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("****{tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_the_same_key() {
        let a = Cipher::new(&[7u8; 32]);
        let b = Cipher::new(&[8u8; 32]);
        let sealed = a.seal(b"send-api-key").unwrap();
        assert!(!sealed.windows(12).any(|w| w == b"send-api-key"));
        assert_eq!(a.open(&sealed).unwrap(), b"send-api-key");
        assert!(b.open(&sealed).is_err());
        assert!(a.open(&sealed[..5]).is_err());
    }

    #[test]
    fn masks_never_show_short_secrets() {
        assert_eq!(mask("abc"), "****");
        assert_eq!(
            mask("my-hook-sec-123"),
            "****",
            "15 characters show nothing"
        );
        assert_eq!(mask("ct_new_key_abcdefgh"), "****efgh");
        assert_eq!(mask("ct_wc8b1i_Pb1AXDQ0RZWuCccpzdNL"), "****zdNL");
    }
}
