//! What a device signs to enrol and to authenticate, and how the platform checks it.
//!
//! Messages are domain-separated (a fixed tag per purpose) and length-prefixed, so a
//! signature made for one purpose can never be replayed as another.

use ed25519_dalek::{Signature, VerifyingKey};

use crate::Timestamp;

/// An Ed25519 public key, 32 bytes.
pub type PublicKey = [u8; 32];

/// Why a signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The public key is not a valid Ed25519 point.
    #[error("the public key is not a valid Ed25519 key")]
    BadKey,
    /// The signature is not 64 bytes.
    #[error("a signature is 64 bytes, got {0}")]
    BadLength(usize),
    /// The signature does not match the message and key.
    #[error("the signature does not match")]
    Mismatch,
}

fn put(out: &mut Vec<u8>, field: &[u8]) {
    out.extend_from_slice(&(field.len() as u32).to_be_bytes());
    out.extend_from_slice(field);
}

/// What a device signs to ask for enrolment: proof that it holds the key it presents,
/// bound to the officer's RIO, the device's name and the moment.
pub fn enrolment_message(public_key: &PublicKey, rio: &str, device_name: &str, at: Timestamp) -> Vec<u8> {
    let mut out = b"vigie-enrol-v1\0".to_vec();
    put(&mut out, public_key);
    put(&mut out, rio.as_bytes());
    put(&mut out, device_name.as_bytes());
    put(&mut out, at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true).as_bytes());
    out
}

/// What a device signs to answer a login challenge.
pub fn challenge_message(device_id: u64, nonce: &[u8]) -> Vec<u8> {
    let mut out = b"vigie-login-v1\0".to_vec();
    out.extend_from_slice(&device_id.to_be_bytes());
    put(&mut out, nonce);
    out
}

/// Checks `signature` over `message` with `public_key` (strict verification: no
/// malleable or small-order signatures).
pub fn verify(public_key: &PublicKey, message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
    let key = VerifyingKey::from_bytes(public_key).map_err(|_| SignatureError::BadKey)?;
    let sig: [u8; 64] = signature.try_into().map_err(|_| SignatureError::BadLength(signature.len()))?;
    key.verify_strict(message, &Signature::from_bytes(&sig)).map_err(|_| SignatureError::Mismatch)?;
    Ok(())
}

/// Lowercase hex of the SHA-256 of a public key, first 16 bytes: what people compare.
pub fn fingerprint(public_key: &PublicKey) -> String {
    use sha2::Digest;
    crate::proof::hex(&sha2::Sha256::digest(public_key)[..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use ed25519_dalek::{Signer, SigningKey};

    #[test]
    fn signatures_are_bound_to_their_purpose_and_content() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let public = key.verifying_key().to_bytes();
        let at = chrono::Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap();
        let msg = enrolment_message(&public, "RIO-123", "Pixel de Dupont", at);
        let sig = key.sign(&msg).to_bytes();
        assert_eq!(verify(&public, &msg, &sig), Ok(()));
        let other = enrolment_message(&public, "RIO-124", "Pixel de Dupont", at);
        assert_eq!(verify(&public, &other, &sig), Err(SignatureError::Mismatch));
        let login = challenge_message(1, &msg);
        assert_eq!(verify(&public, &login, &sig), Err(SignatureError::Mismatch), "no cross-purpose replay");
        assert_eq!(verify(&public, &msg, &sig[..63]), Err(SignatureError::BadLength(63)));
        assert_eq!(fingerprint(&public).len(), 32);
    }
}
