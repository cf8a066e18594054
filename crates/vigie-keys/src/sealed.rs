//! `SealedKey`: the Ed25519 seed encrypted under the PIN, and its versioned JSON form.
//!
//! ```json
//! {"v":1,"kdf":"argon2id","m_kib":19456,"t":2,"p":1,"salt":"…","nonce":"…","ciphertext":"…","public_key":"…"}
//! ```
//!
//! `salt` (16 bytes), `nonce` (24), `ciphertext` (the 32-byte seed then the 16-byte
//! Poly1305 tag) and `public_key` (32) are standard base64 with padding, canonical. The
//! associated data is `vigie-sealed-key-v1\0` followed by the public key: the cost
//! parameters and the salt are bound through the key they derive, the public key through
//! the tag. Changing the format means a new `v`, never a reinterpretation of version 1.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{KeyInit, Tag, XChaCha20Poly1305, XNonce};
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zeroize::{Zeroize, Zeroizing};

use crate::kdf::derive_key;
use crate::{check_pin, KdfParams, KeyError};

/// Bytes of Argon2id salt.
pub const SALT_LEN: usize = 16;
/// Bytes of XChaCha20 nonce.
pub const NONCE_LEN: usize = 24;
/// Bytes of randomness [`new_sealed_key_from_random_bytes`] takes: the seed (32), then the
/// salt, then the nonce.
pub const RANDOM_LEN: usize = 32 + SALT_LEN + NONCE_LEN;

const VERSION: u64 = 1;
const KDF: &str = "argon2id";
const AAD_TAG: &[u8] = b"vigie-sealed-key-v1\0";
const SEED_LEN: usize = 32;
const TAG_LEN: usize = 16;
const CIPHERTEXT_LEN: usize = SEED_LEN + TAG_LEN;
const FIELDS: [&str; 9] = ["v", "kdf", "m_kib", "t", "p", "salt", "nonce", "ciphertext", "public_key"];

/// An officer's Ed25519 seed sealed under their PIN (see the module documentation for the
/// format). Made by [`seal`] or read by [`SealedKey::from_json`]; either way its fields are
/// valid, so opening it only asks for the PIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Value", into = "Wire")]
pub struct SealedKey {
    params: KdfParams,
    salt: [u8; SALT_LEN],
    nonce: [u8; NONCE_LEN],
    ciphertext: [u8; CIPHERTEXT_LEN],
    public_key: VerifyingKey,
}

impl SealedKey {
    /// The Argon2id cost this key was sealed with.
    pub fn params(&self) -> KdfParams {
        self.params
    }

    /// The officer's public key, readable without the PIN (to show it, or to enrol it).
    pub fn public_key(&self) -> VerifyingKey {
        self.public_key
    }

    /// The JSON form, compact, fields in the documented order.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&Wire::from(self.clone())).expect("a struct of strings and integers serialises")
    }

    /// Reads the JSON form: the version first (`UnsupportedVersion`), then every field
    /// (`Corrupt { field }` names the first one at fault, including an unknown one).
    pub fn from_json(json: &str) -> Result<Self, KeyError> {
        let value: Value = serde_json::from_str(json).map_err(|e| KeyError::NotJson { reason: e.to_string() })?;
        Self::try_from(value)
    }
}

/// The JSON form, in field order.
#[derive(Serialize)]
struct Wire {
    v: u64,
    kdf: &'static str,
    m_kib: u32,
    t: u32,
    p: u32,
    salt: String,
    nonce: String,
    ciphertext: String,
    public_key: String,
}

impl From<SealedKey> for Wire {
    fn from(k: SealedKey) -> Self {
        Wire {
            v: VERSION,
            kdf: KDF,
            m_kib: k.params.m_kib,
            t: k.params.t,
            p: k.params.p,
            salt: B64.encode(k.salt),
            nonce: B64.encode(k.nonce),
            ciphertext: B64.encode(k.ciphertext),
            public_key: B64.encode(k.public_key.as_bytes()),
        }
    }
}

impl TryFrom<Value> for SealedKey {
    type Error = KeyError;

    fn try_from(value: Value) -> Result<Self, KeyError> {
        let Value::Object(map) = value else {
            return Err(KeyError::NotJson { reason: "not an object".into() });
        };
        let corrupt = |field: &str| KeyError::Corrupt { field: field.into() };
        let version = map.get("v").and_then(Value::as_u64).ok_or_else(|| corrupt("v"))?;
        if version != VERSION {
            return Err(KeyError::UnsupportedVersion { found: version });
        }
        if let Some(unknown) = map.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(corrupt(unknown));
        }
        if map.get("kdf").and_then(Value::as_str) != Some(KDF) {
            return Err(corrupt("kdf"));
        }
        let params = KdfParams { m_kib: uint(&map, "m_kib")?, t: uint(&map, "t")?, p: uint(&map, "p")? };
        if let Err(KeyError::BadParams { field, .. }) = params.check() {
            return Err(corrupt(field));
        }
        let public_key = bytes::<32>(&map, "public_key")?;
        Ok(SealedKey {
            params,
            salt: bytes(&map, "salt")?,
            nonce: bytes(&map, "nonce")?,
            ciphertext: bytes(&map, "ciphertext")?,
            public_key: VerifyingKey::from_bytes(&public_key).map_err(|_| corrupt("public_key"))?,
        })
    }
}

fn uint(map: &Map<String, Value>, field: &str) -> Result<u32, KeyError> {
    map.get(field)
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| KeyError::Corrupt { field: field.into() })
}

fn bytes<const N: usize>(map: &Map<String, Value>, field: &str) -> Result<[u8; N], KeyError> {
    map.get(field)
        .and_then(Value::as_str)
        .and_then(|s| B64.decode(s).ok())
        .and_then(|b| <[u8; N]>::try_from(b).ok())
        .ok_or_else(|| KeyError::Corrupt { field: field.into() })
}

fn associated_data(public_key: &VerifyingKey) -> Vec<u8> {
    [AAD_TAG, public_key.as_bytes()].concat()
}

fn cipher(key: &[u8; 32]) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new_from_slice(key).expect("XChaCha20-Poly1305 keys are 32 bytes")
}

/// Seals an Ed25519 seed under a PIN. Deterministic: the same inputs give the same sealed
/// key, so the caller must pass a fresh random `salt` and `nonce` every time (or use
/// [`new_sealed_key_from_random_bytes`]). Refuses a PIN that [`check_pin`] refuses, and
/// cost parameters out of range.
pub fn seal(
    seed: &[u8; 32],
    pin: &str,
    params: KdfParams,
    salt: [u8; SALT_LEN],
    nonce: [u8; NONCE_LEN],
) -> Result<SealedKey, KeyError> {
    check_pin(pin)?;
    params.check()?;
    let public_key = SigningKey::from_bytes(seed).verifying_key();
    let key = derive_key(pin, &salt, params)?;
    let mut buffer = Zeroizing::new(*seed);
    let tag = cipher(&key)
        .encrypt_inout_detached(&XNonce::from(nonce), &associated_data(&public_key), (&mut buffer[..]).into())
        .expect("XChaCha20-Poly1305 encrypts any message shorter than 256 GiB");
    let mut ciphertext = [0u8; CIPHERTEXT_LEN];
    ciphertext[..SEED_LEN].copy_from_slice(&buffer[..]);
    ciphertext[SEED_LEN..].copy_from_slice(&tag);
    Ok(SealedKey { params, salt, nonce, ciphertext, public_key })
}

/// Opens a sealed key with the PIN. A wrong PIN and an altered sealed key both give
/// [`KeyError::WrongPin`]; the PIN rule is not applied (a key sealed under an older rule
/// still opens).
pub fn open(sealed: &SealedKey, pin: &str) -> Result<SigningKey, KeyError> {
    let key = derive_key(pin, &sealed.salt, sealed.params)?;
    let mut seed = Zeroizing::new([0u8; SEED_LEN]);
    seed.copy_from_slice(&sealed.ciphertext[..SEED_LEN]);
    let tag = Tag::try_from(&sealed.ciphertext[SEED_LEN..]).expect("the tag is 16 bytes");
    cipher(&key)
        .decrypt_inout_detached(
            &XNonce::from(sealed.nonce),
            &associated_data(&sealed.public_key),
            (&mut seed[..]).into(),
            &tag,
        )
        .map_err(|_| KeyError::WrongPin)?;
    let signing_key = SigningKey::from_bytes(&seed);
    if signing_key.verifying_key() != sealed.public_key {
        return Err(KeyError::PublicKeyMismatch);
    }
    Ok(signing_key)
}

/// Reseals a key under a new PIN (and possibly new cost parameters), with a fresh salt and
/// nonce from the caller. The new PIN is checked first, before any costly derivation; the
/// old one must open the key.
pub fn change_pin(
    sealed: &SealedKey,
    old_pin: &str,
    new_pin: &str,
    params: KdfParams,
    salt: [u8; SALT_LEN],
    nonce: [u8; NONCE_LEN],
) -> Result<SealedKey, KeyError> {
    check_pin(new_pin)?;
    params.check()?;
    let key = open(sealed, old_pin)?;
    let seed = Zeroizing::new(key.to_bytes());
    seal(&seed, new_pin, params, salt, nonce)
}

/// Makes a new officer key and seals it, from [`RANDOM_LEN`] bytes the caller filled from
/// the operating system (`getrandom::fill`): the seed, then the salt, then the nonce. The
/// buffer is wiped before returning, whatever the outcome. Returns the signing key (to
/// enrol the device now) and the sealed key (to keep).
pub fn new_sealed_key_from_random_bytes(
    pin: &str,
    params: KdfParams,
    random: &mut [u8; RANDOM_LEN],
) -> Result<(SigningKey, SealedKey), KeyError> {
    let mut seed = Zeroizing::new([0u8; SEED_LEN]);
    seed.copy_from_slice(&random[..SEED_LEN]);
    let mut salt = [0u8; SALT_LEN];
    salt.copy_from_slice(&random[SEED_LEN..SEED_LEN + SALT_LEN]);
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&random[SEED_LEN + SALT_LEN..]);
    random.zeroize();
    let sealed = seal(&seed, pin, params, salt, nonce)?;
    Ok((SigningKey::from_bytes(&seed), sealed))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sealed key whose seed does not give its public key cannot be made by `seal` nor by
    /// altering one without the PIN; build one by hand to see `open` refuse it.
    #[test]
    fn a_seed_that_does_not_match_its_public_key_is_refused() {
        let params = KdfParams::fast_for_tests();
        let (salt, nonce, pin) = ([5; SALT_LEN], [6; NONCE_LEN], "482915");
        let other = SigningKey::from_bytes(&[8; 32]).verifying_key();
        let key = derive_key(pin, &salt, params).unwrap();
        let mut buffer = [7u8; SEED_LEN];
        let tag = cipher(&key)
            .encrypt_inout_detached(&XNonce::from(nonce), &associated_data(&other), (&mut buffer[..]).into())
            .unwrap();
        let mut ciphertext = [0u8; CIPHERTEXT_LEN];
        ciphertext[..SEED_LEN].copy_from_slice(&buffer);
        ciphertext[SEED_LEN..].copy_from_slice(&tag);
        let sealed = SealedKey { params, salt, nonce, ciphertext, public_key: other };
        assert_eq!(open(&sealed, pin).unwrap_err(), KeyError::PublicKeyMismatch);
        assert_eq!(open(&sealed, "482916").unwrap_err(), KeyError::WrongPin);
    }

    #[test]
    fn the_associated_data() {
        let public_key = SigningKey::from_bytes(&[1; 32]).verifying_key();
        let aad = associated_data(&public_key);
        assert_eq!(&aad[..20], b"vigie-sealed-key-v1\0");
        assert_eq!(&aad[20..], public_key.as_bytes());
    }
}
