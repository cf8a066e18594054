//! What can go wrong when sealing, opening or reading a sealed key.

use crate::pin::PinProblem;

/// Why a key could not be sealed, opened or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The authentication tag did not verify: the PIN is wrong, or the salt, nonce, cost
    /// parameters, ciphertext or public key were altered. The two cannot be told apart, by
    /// design: the tag is the only thing that knows.
    #[error("wrong PIN, or the sealed key was altered")]
    WrongPin,
    /// The new PIN is refused by [`check_pin`](crate::check_pin).
    #[error("PIN refused: {0}")]
    WeakPin(PinProblem),
    /// The sealed key is of a format version this build does not read.
    #[error("sealed key version {found} is not supported (this build reads version 1)")]
    UnsupportedVersion {
        /// The version found in the `v` field.
        found: u64,
    },
    /// A field of the sealed key's JSON is missing, of the wrong type or length, not
    /// canonical base64, out of range, or unknown.
    #[error("sealed key field `{field}` is missing, malformed or unexpected")]
    Corrupt {
        /// The JSON field at fault.
        field: String,
    },
    /// The text is not a JSON object at all.
    #[error("sealed key is not a JSON object: {reason}")]
    NotJson {
        /// What the JSON parser said.
        reason: String,
    },
    /// The ciphertext decrypted and authenticated, but the seed inside does not give the
    /// stored public key: the sealed key was made wrong (it cannot be altered into this
    /// without the PIN).
    #[error("the sealed seed does not match the stored public key")]
    PublicKeyMismatch,
    /// A cost parameter given to [`seal`](crate::seal) is out of the accepted range.
    #[error("KDF parameter `{field}` is out of range ({reason})")]
    BadParams {
        /// `m_kib`, `t` or `p`.
        field: &'static str,
        /// The accepted range.
        reason: &'static str,
    },
    /// Argon2 itself failed, e.g. its working memory could not be allocated.
    #[error("key derivation failed: {reason}")]
    KdfFailed {
        /// What failed.
        reason: String,
    },
}
