//! The officer's private key, never stored in clear on the device.
//!
//! Officers sign requisitions with their own Ed25519 key. Where the platform has an OS key
//! store the app keeps the key there; everywhere else it keeps a [`SealedKey`]: the 32-byte
//! Ed25519 seed encrypted with XChaCha20-Poly1305 under a key derived from the officer's PIN
//! by Argon2id. The public key stays in clear (the app shows it and enrols it without the
//! PIN) and is bound to the ciphertext as associated data, so swapping it is detected.
//!
//! **Sans-IO**, like `vigie-core`: no files, no clock, no randomness inside. The caller
//! passes the salt and the nonce ([`seal`], [`change_pin`]) or the random bytes they come
//! from ([`new_sealed_key_from_random_bytes`], filled by e.g. `getrandom::fill`), so every
//! function is deterministic given its inputs and tested exhaustively. Where the sealed key
//! is kept (a file, the settings table) is the caller's business: [`SealedKey::to_json`] and
//! [`SealedKey::from_json`].
//!
//! ```
//! use vigie_keys::{open, seal, KdfParams, KeyError};
//!
//! let seed = [7u8; 32];
//! let sealed = seal(&seed, "482915", KdfParams::fast_for_tests(), [1; 16], [2; 24])?;
//! let json = sealed.to_json();
//! let key = open(&vigie_keys::SealedKey::from_json(&json)?, "482915")?;
//! assert_eq!(key.to_bytes(), seed);
//! assert_eq!(open(&sealed, "482916").unwrap_err(), KeyError::WrongPin);
//! # Ok::<(), KeyError>(())
//! ```
//!
//! Secrets (the derived key, the seed, Argon2's working memory) live in buffers that are
//! wiped when dropped (`zeroize`); the PIN is the caller's, who should hold it the same way.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod error;
mod kdf;
mod pin;
mod sealed;

pub use error::KeyError;
pub use kdf::KdfParams;
pub use pin::{check_pin, PinProblem, MIN_PIN_CHARS};
pub use sealed::{
    change_pin, new_sealed_key_from_random_bytes, open, seal, SealedKey, NONCE_LEN, RANDOM_LEN, SALT_LEN,
};
