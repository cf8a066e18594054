//! Test vectors of the sealed-key format: fixed seeds, PINs, costs, salts and nonces, and
//! the JSON they seal to. They pin version 1: a change that alters them makes every key
//! already on a device unreadable, so it needs `"v": 2` (and a reader for 1 kept), not new
//! vectors. Fast costs only (see `KdfParams::fast_for_tests`), plus one with two lanes.
//!
//! To write the file after adding a vector (never to "fix" one): `VIGIE_BLESS=1 cargo test
//! -p vigie-keys --test vectors`.

use std::path::PathBuf;

use vigie_keys::{open, seal, KdfParams, SealedKey};

struct Case {
    seed: [u8; 32],
    pin: &'static str,
    params: KdfParams,
    salt: [u8; 16],
    nonce: [u8; 24],
}

/// `start`, `start + 1`, … (wrapping).
fn counting<const N: usize>(start: u8) -> [u8; N] {
    std::array::from_fn(|i| start.wrapping_add(i as u8))
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            seed: counting(0),
            pin: "482915",
            params: KdfParams::fast_for_tests(),
            salt: counting(0x10),
            nonce: counting(0x20),
        },
        Case {
            seed: [0xff; 32],
            pin: "mot de passe à 5 €",
            params: KdfParams { m_kib: 256, t: 3, p: 2 },
            salt: [0; 16],
            nonce: [0xa5; 24],
        },
    ]
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn sealing_matches_the_vectors() {
    let computed: Vec<serde_json::Value> = cases()
        .iter()
        .map(|c| {
            let sealed = seal(&c.seed, c.pin, c.params, c.salt, c.nonce).unwrap();
            serde_json::json!({
                "seed": hex(&c.seed),
                "pin": c.pin,
                "m_kib": c.params.m_kib,
                "t": c.params.t,
                "p": c.params.p,
                "salt": hex(&c.salt),
                "nonce": hex(&c.nonce),
                "sealed": sealed.to_json(),
            })
        })
        .collect();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/sealed-v1.json");
    if std::env::var_os("VIGIE_BLESS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&computed).unwrap() + "\n").unwrap();
    }
    let expected: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(computed, expected);
}

/// The stored vectors open, independently of sealing: what a device wrote stays readable.
#[test]
fn the_vectors_open() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/sealed-v1.json");
    let stored: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(stored.len(), cases().len());
    for (vector, case) in stored.iter().zip(cases()) {
        let text = vector["sealed"].as_str().unwrap();
        let sealed = SealedKey::from_json(text).unwrap();
        assert_eq!(sealed.to_json(), text, "the JSON reads back to the same bytes");
        assert_eq!(open(&sealed, vector["pin"].as_str().unwrap()).unwrap().to_bytes(), case.seed);
        assert_eq!(vector["seed"], hex(&case.seed));
    }
}
