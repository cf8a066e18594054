//! Sealing and opening through the public API: round trips, wrong PINs, every byte of the
//! sealed key flipped in turn, the PIN rule, changing the PIN, and the JSON reader's
//! answers to damaged input. All with `KdfParams::fast_for_tests()`.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use proptest::prelude::*;
use serde_json::{json, Value};
use vigie_keys::{
    change_pin, check_pin, new_sealed_key_from_random_bytes, open, seal, KdfParams, KeyError, PinProblem, SealedKey,
    RANDOM_LEN,
};

const PIN: &str = "482915";
const SEED: [u8; 32] = [
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5,
    0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
];

fn fast() -> KdfParams {
    KdfParams::fast_for_tests()
}

fn sealed() -> SealedKey {
    seal(&SEED, PIN, fast(), [0x11; 16], [0x22; 24]).unwrap()
}

fn json_of(key: &SealedKey) -> Value {
    serde_json::from_str(&key.to_json()).unwrap()
}

/// Reads a JSON value back as a sealed key and opens it with `PIN`.
fn open_json(value: &Value) -> Result<ed25519_dalek::SigningKey, KeyError> {
    open(&SealedKey::from_json(&value.to_string())?, PIN)
}

#[test]
fn round_trip_through_json() {
    let key = sealed();
    let back = SealedKey::from_json(&key.to_json()).unwrap();
    assert_eq!(back, key);
    let signing = open(&back, PIN).unwrap();
    assert_eq!(signing.to_bytes(), SEED);
    assert_eq!(signing.verifying_key(), key.public_key());
    assert_eq!(back.params(), fast());
}

#[test]
fn the_format_is_the_documented_one() {
    let text = sealed().to_json();
    let fields: Vec<String> =
        serde_json::from_str::<serde_json::Map<String, Value>>(&text).unwrap().keys().cloned().collect();
    let mut expected = ["v", "kdf", "m_kib", "t", "p", "salt", "nonce", "ciphertext", "public_key"];
    expected.sort();
    assert_eq!(fields, expected);
    assert!(text.starts_with(r#"{"v":1,"kdf":"argon2id","m_kib":64,"t":1,"p":1,"salt":"#), "{text}");
    let value = json_of(&sealed());
    assert_eq!(B64.decode(value["ciphertext"].as_str().unwrap()).unwrap().len(), 48);
}

#[test]
fn the_seed_is_not_in_the_json() {
    let text = sealed().to_json();
    let hex: String = SEED.iter().map(|b| format!("{b:02x}")).collect();
    assert!(!text.contains(&hex) && !text.contains(&B64.encode(SEED)), "{text}");
    assert!(!text.contains(&B64.encode(&SEED[..30])));
}

#[test]
fn sealing_is_deterministic_and_salt_and_nonce_matter() {
    assert_eq!(sealed(), sealed());
    let other_salt = seal(&SEED, PIN, fast(), [0x12; 16], [0x22; 24]).unwrap();
    let other_nonce = seal(&SEED, PIN, fast(), [0x11; 16], [0x23; 24]).unwrap();
    assert_ne!(json_of(&other_salt)["ciphertext"], json_of(&sealed())["ciphertext"]);
    assert_ne!(json_of(&other_nonce)["ciphertext"], json_of(&sealed())["ciphertext"]);
}

#[test]
fn a_wrong_pin_is_refused() {
    let key = sealed();
    for pin in ["482916", "", "48291", "4829150", "482915 ", "000000"] {
        assert_eq!(open(&key, pin).unwrap_err(), KeyError::WrongPin, "{pin:?}");
    }
}

#[test]
fn every_flipped_byte_is_detected() {
    let original = json_of(&sealed());
    for field in ["salt", "nonce", "ciphertext", "public_key"] {
        let bytes = B64.decode(original[field].as_str().unwrap()).unwrap();
        for i in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[i] ^= 1 << (i % 8);
            let mut value = original.clone();
            value[field] = json!(B64.encode(&flipped));
            let err = open_json(&value).unwrap_err();
            // A flipped public key may no longer be a curve point: the reader refuses it.
            let public_key_unreadable = field == "public_key" && err == KeyError::Corrupt { field: field.into() };
            assert!(err == KeyError::WrongPin || public_key_unreadable, "{field}[{i}]: {err:?}");
        }
    }
}

#[test]
fn changed_cost_parameters_are_detected() {
    let original = json_of(&sealed());
    for (field, value) in [("m_kib", 65), ("m_kib", 72), ("t", 2), ("p", 2)] {
        let mut changed = original.clone();
        changed[field] = json!(value);
        assert_eq!(open_json(&changed).unwrap_err(), KeyError::WrongPin, "{field} = {value}");
    }
}

#[test]
fn weak_pins_are_refused_before_any_derivation() {
    for (pin, problem) in [
        ("12345", PinProblem::TooShort),
        ("000000", PinProblem::Repeated),
        ("123456", PinProblem::Sequence),
        ("987654321", PinProblem::Sequence),
    ] {
        assert_eq!(check_pin(pin), Err(KeyError::WeakPin(problem)), "{pin}");
        // Huge costs: had the derivation run, the test would take minutes.
        let costly = KdfParams { m_kib: KdfParams::MAX_M_KIB, t: KdfParams::MAX_T, p: 1 };
        assert_eq!(seal(&SEED, pin, costly, [0; 16], [0; 24]).unwrap_err(), KeyError::WeakPin(problem), "{pin}");
    }
    assert_eq!(check_pin(PIN), Ok(()));
}

#[test]
fn cost_parameters_out_of_range_are_refused() {
    for (params, field) in [
        (KdfParams { m_kib: 7, t: 1, p: 1 }, "m_kib"),
        (KdfParams { m_kib: 15, t: 1, p: 2 }, "m_kib"),
        (KdfParams { m_kib: KdfParams::MAX_M_KIB + 1, t: 1, p: 1 }, "m_kib"),
        (KdfParams { m_kib: 64, t: 0, p: 1 }, "t"),
        (KdfParams { m_kib: 64, t: KdfParams::MAX_T + 1, p: 1 }, "t"),
        (KdfParams { m_kib: 64, t: 1, p: 0 }, "p"),
        (KdfParams { m_kib: 1024, t: 1, p: KdfParams::MAX_P + 1 }, "p"),
    ] {
        let err = seal(&SEED, PIN, params, [0; 16], [0; 24]).unwrap_err();
        assert!(matches!(err, KeyError::BadParams { field: f, .. } if f == field), "{params:?}: {err:?}");
    }
    assert_eq!(KdfParams::default(), KdfParams { m_kib: 19456, t: 2, p: 1 });
    assert_eq!(KdfParams::default().check(), Ok(()));
}

#[test]
fn changing_the_pin() {
    let key = sealed();
    let new_params = KdfParams { m_kib: 128, t: 2, p: 1 };
    let changed = change_pin(&key, PIN, "739164", new_params, [0x33; 16], [0x44; 24]).unwrap();
    assert_eq!(changed.public_key(), key.public_key());
    assert_eq!(changed.params(), new_params);
    assert_eq!(open(&changed, "739164").unwrap().to_bytes(), SEED);
    assert_eq!(open(&changed, PIN).unwrap_err(), KeyError::WrongPin);

    let err = change_pin(&key, "111112", "739164", fast(), [0x33; 16], [0x44; 24]).unwrap_err();
    assert_eq!(err, KeyError::WrongPin);
    let err = change_pin(&key, PIN, "111111", fast(), [0x33; 16], [0x44; 24]).unwrap_err();
    assert_eq!(err, KeyError::WeakPin(PinProblem::Repeated));
    let err = change_pin(&key, PIN, "739164", KdfParams { m_kib: 64, t: 0, p: 1 }, [0; 16], [0; 24]).unwrap_err();
    assert!(matches!(err, KeyError::BadParams { field: "t", .. }), "{err:?}");
}

#[test]
fn a_new_key_from_random_bytes() {
    let mut random = [0u8; RANDOM_LEN];
    for (i, b) in random.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(37).wrapping_add(5);
    }
    let copy = random;
    let (signing, sealed) = new_sealed_key_from_random_bytes(PIN, fast(), &mut random).unwrap();
    assert_eq!(random, [0; RANDOM_LEN], "the buffer is wiped");
    assert_eq!(signing.to_bytes()[..], copy[..32]);
    assert_eq!(sealed.public_key(), signing.verifying_key());
    assert_eq!(open(&sealed, PIN).unwrap().to_bytes(), signing.to_bytes());
    let value = json_of(&sealed);
    assert_eq!(B64.decode(value["salt"].as_str().unwrap()).unwrap(), copy[32..48]);
    assert_eq!(B64.decode(value["nonce"].as_str().unwrap()).unwrap(), copy[48..]);

    let mut random = copy;
    let err = new_sealed_key_from_random_bytes("000000", fast(), &mut random).unwrap_err();
    assert_eq!(err, KeyError::WeakPin(PinProblem::Repeated));
    assert_eq!(random, [0; RANDOM_LEN], "wiped on failure too");
}

fn corrupt(field: &str) -> KeyError {
    KeyError::Corrupt { field: field.into() }
}

#[test]
fn damaged_json_names_the_field() {
    let original = json_of(&sealed());
    let with = |field: &str, value: Value| {
        let mut v = original.clone();
        v[field] = value;
        SealedKey::from_json(&v.to_string()).unwrap_err()
    };
    let salt_15 = B64.encode([0x11; 15]);
    let salt_17 = B64.encode([0x11; 17]);
    let cases: Vec<(&str, Value, KeyError)> = vec![
        ("v", json!(2), KeyError::UnsupportedVersion { found: 2 }),
        ("v", json!(0), KeyError::UnsupportedVersion { found: 0 }),
        ("v", json!("1"), corrupt("v")),
        ("v", json!(1.5), corrupt("v")),
        ("kdf", json!("argon2i"), corrupt("kdf")),
        ("kdf", json!(null), corrupt("kdf")),
        ("m_kib", json!(0), corrupt("m_kib")),
        ("m_kib", json!(-64), corrupt("m_kib")),
        ("m_kib", json!(u64::from(u32::MAX) + 1), corrupt("m_kib")),
        ("m_kib", json!(u32::MAX), corrupt("m_kib")),
        ("m_kib", json!("64"), corrupt("m_kib")),
        ("t", json!(0), corrupt("t")),
        ("t", json!(1000), corrupt("t")),
        ("p", json!(0), corrupt("p")),
        ("p", json!(9), corrupt("m_kib")), // 64 KiB is less than 8 KiB per lane
        ("salt", json!(salt_15), corrupt("salt")),
        ("salt", json!(salt_17), corrupt("salt")),
        ("salt", json!("not base64!"), corrupt("salt")),
        ("salt", json!(16), corrupt("salt")),
        // Non-canonical base64: the last character's unused bits are set.
        ("salt", json!("ERERERERERERERERERERER=="), corrupt("salt")),
        ("nonce", json!(B64.encode([0; 23])), corrupt("nonce")),
        ("ciphertext", json!(B64.encode([0; 32])), corrupt("ciphertext")),
        ("public_key", json!(B64.encode([0; 31])), corrupt("public_key")),
        ("extra", json!(true), corrupt("extra")),
    ];
    for (field, value, expected) in cases {
        assert_eq!(with(field, value.clone()), expected, "{field} = {value}");
    }
    for field in ["v", "kdf", "m_kib", "t", "p", "salt", "nonce", "ciphertext", "public_key"] {
        let mut v = original.clone();
        v.as_object_mut().unwrap().remove(field);
        assert_eq!(SealedKey::from_json(&v.to_string()).unwrap_err(), corrupt(field), "without {field}");
    }
    // The version is read first: a future format is reported as such, whatever it holds.
    let future = json!({"v": 2, "kdf": "scrypt", "whatever": []});
    assert_eq!(SealedKey::from_json(&future.to_string()).unwrap_err(), KeyError::UnsupportedVersion { found: 2 });
    for text in ["", "{", "[]", "null", "\"sealed\""] {
        assert!(matches!(SealedKey::from_json(text), Err(KeyError::NotJson { .. })), "{text:?}");
    }
}

#[test]
fn serde_inside_a_larger_document() {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Settings {
        officer: String,
        key: SealedKey,
    }
    let settings = Settings { officer: "1234567".into(), key: sealed() };
    let text = serde_json::to_string(&settings).unwrap();
    assert!(text.contains(&sealed().to_json()), "{text}");
    assert_eq!(serde_json::from_str::<Settings>(&text).unwrap(), settings);

    let mut value: Value = serde_json::from_str(&text).unwrap();
    value["key"]["nonce"] = json!("AAAA");
    let err = serde_json::from_value::<Settings>(value).unwrap_err().to_string();
    assert!(err.contains("`nonce`"), "{err}");
}

#[test]
fn errors_read_well() {
    assert_eq!(KeyError::WrongPin.to_string(), "wrong PIN, or the sealed key was altered");
    assert_eq!(KeyError::WeakPin(PinProblem::TooShort).to_string(), "PIN refused: fewer than 6 characters");
    assert_eq!(corrupt("salt").to_string(), "sealed key field `salt` is missing, malformed or unexpected");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn any_seed_and_pin_round_trip(
        seed in any::<[u8; 32]>(),
        pin in prop_oneof!["[0-9]{6,10}", "\\PC{6,16}"],
        salt in any::<[u8; 16]>(),
        nonce in any::<[u8; 24]>(),
    ) {
        prop_assume!(check_pin(&pin).is_ok());
        let key = seal(&seed, &pin, fast(), salt, nonce).unwrap();
        let back = SealedKey::from_json(&key.to_json()).unwrap();
        prop_assert_eq!(&back, &key);
        prop_assert_eq!(open(&back, &pin).unwrap().to_bytes(), seed);
        let wrong = format!("{pin}0");
        prop_assert_eq!(open(&back, &wrong).unwrap_err(), KeyError::WrongPin);
    }
}
