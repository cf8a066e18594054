//! Argon2id: from the officer's PIN and a salt to the 32-byte key that seals the seed.

use argon2::{Algorithm, Argon2, Block, Params, Version};
use zeroize::Zeroizing;

use crate::KeyError;

/// Argon2id's cost: memory in KiB (`m_kib`), passes over it (`t`), lanes (`p`).
///
/// They are stored in the sealed key, so a key sealed with one setting still opens after
/// the default changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KdfParams {
    /// Memory, in KiB (1 KiB = one Argon2 block).
    pub m_kib: u32,
    /// Number of passes over the memory.
    pub t: u32,
    /// Degree of parallelism (lanes). Computed one after the other: this crate starts no
    /// threads.
    pub p: u32,
}

impl Default for KdfParams {
    /// OWASP's first recommended Argon2id setting (Password Storage Cheat Sheet), which is
    /// also the `argon2` crate's default: 19 MiB, 2 passes, 1 lane.
    ///
    /// Why this one for phones: the PIN is short (six digits is 20 bits), so what protects a
    /// stolen sealed key is the cost of each guess. Memory is what makes guessing expensive
    /// on GPUs and ASICs; 19 MiB is little for any phone the app supports to spare for a
    /// moment, and one lane because the app derives a key once per unlock and gains nothing
    /// from threads it would have to start. Measured: about 30 ms per derivation on one
    /// 2.5 GHz Xeon core in release (`cargo run --release -p vigie-keys --example
    /// kdf_time`); a low-end phone is several times slower, still a fraction of a second per
    /// unlock. What it buys, plainly: all 10⁶ six-digit PINs cost about 8 core-hours at
    /// that speed, less on GPUs, so a copied sealed key falls to a determined attacker in
    /// hours to days. The sealed key must therefore stay in the app's private storage (and
    /// the OS key store is preferred where there is one); longer PINs multiply the cost.
    /// Raising `m_kib` is the first lever when phones allow; the parameters travel with
    /// each sealed key, so old keys still open.
    fn default() -> Self {
        KdfParams { m_kib: 19 * 1024, t: 2, p: 1 }
    }
}

impl KdfParams {
    /// The most memory a sealed key may ask for: 1 GiB. A sealed key is data read from the
    /// device; the limits keep a damaged or crafted one from making the phone allocate
    /// gigabytes or compute for hours before answering "wrong PIN".
    pub const MAX_M_KIB: u32 = 1 << 20;
    /// The most passes a sealed key may ask for.
    pub const MAX_T: u32 = 64;
    /// The most lanes a sealed key may ask for.
    pub const MAX_P: u32 = 16;

    /// Tiny costs (64 KiB, 1 pass) for tests only: the full setting takes tens of
    /// milliseconds even optimised and far more in debug builds, and property tests derive
    /// hundreds of keys. **Never seal a real key with these**: a six-digit PIN under them
    /// falls to brute force in seconds.
    pub const fn fast_for_tests() -> Self {
        KdfParams { m_kib: 64, t: 1, p: 1 }
    }

    /// Checks the parameters are within Argon2's rules and this crate's limits; names the
    /// one at fault.
    pub fn check(&self) -> Result<(), KeyError> {
        if self.p < 1 || self.p > Self::MAX_P {
            return Err(KeyError::BadParams { field: "p", reason: "1 to 16 lanes" });
        }
        if self.t < 1 || self.t > Self::MAX_T {
            return Err(KeyError::BadParams { field: "t", reason: "1 to 64 passes" });
        }
        if self.m_kib < 8 * self.p || self.m_kib > Self::MAX_M_KIB {
            return Err(KeyError::BadParams { field: "m_kib", reason: "8 KiB per lane to 1 GiB" });
        }
        Ok(())
    }
}

/// Derives the 32-byte sealing key. Argon2's working memory is allocated here (fallibly)
/// and wiped before it is freed, as is the key when the caller drops it.
pub(crate) fn derive_key(pin: &str, salt: &[u8], params: KdfParams) -> Result<Zeroizing<[u8; 32]>, KeyError> {
    params.check()?;
    let failed = |e: argon2::Error| KeyError::KdfFailed { reason: e.to_string() };
    let argon_params = Params::new(params.m_kib, params.t, params.p, Some(32)).map_err(failed)?;
    let blocks = argon_params.block_count();
    let mut memory: Zeroizing<Vec<Block>> = Zeroizing::new(Vec::new());
    memory
        .try_reserve_exact(blocks)
        .map_err(|_| KeyError::KdfFailed { reason: format!("cannot allocate {} KiB", params.m_kib) })?;
    memory.resize(blocks, Block::default());
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params)
        .hash_password_into_with_memory(pin.as_bytes(), salt, &mut key[..], &mut memory[..])
        .map_err(failed)?;
    Ok(key)
}
