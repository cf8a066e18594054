//! The mobile configuration, checked without an Android SDK or Xcode: Tauri's platform
//! files (`src-tauri/tauri.android.conf.json`, `tauri.ios.conf.json`, merged over
//! `tauri.conf.json` the way Tauri does), the iOS `Info.plist` additions and their
//! translations, the phones-only capability, and the Android strings under `mobile/android`.
//! What only a real build can tell is listed in `mobile/README.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::Value;

const IDENTIFIER: &str = "fr.vigie.app";
const PRODUCT_NAME: &str = "Vigie";
/// Android 7.0, the floor of tauri-plugin-geolocation and of Tauri 2.
const MIN_ANDROID_SDK: u64 = 24;
/// iOS 17.1: the first with `ManagedMediaSource`, which the live-video player needs.
const MIN_IOS: (u64, u64) = (17, 1);
/// Shown by iOS when Vigie first asks for the position (French is the development region).
const LOCATION_USAGE_FR: &str =
    "Vigie utilise votre position pour afficher les caméras de vidéoprotection autour de l'intervention.";
/// The commands of tauri-plugin-geolocation 2.x the UI calls. The plugin ships no
/// `default` permission set: `geolocation:default` passes tauri-build's check but allows
/// nothing, so each command must be granted by its own `allow-…` permission.
const GEOLOCATION_PERMISSIONS: [&str; 5] = [
    "geolocation:allow-check-permissions",
    "geolocation:allow-request-permissions",
    "geolocation:allow-get-current-position",
    "geolocation:allow-watch-position",
    "geolocation:allow-clear-watch",
];

fn path(rel: &str) -> PathBuf {
    crate::root().join(rel)
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(path(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
}

fn json(rel: &str) -> Value {
    serde_json::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel} is not valid JSON: {e}"))
}

/// JSON merge patch (RFC 7396): how Tauri lays `tauri.<platform>.conf.json` over
/// `tauri.conf.json` (`json_patch::merge` in tauri-utils' `config::parse::read_from`).
fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    let target = target.as_object_mut().unwrap();
    for (key, value) in patch {
        if value.is_null() {
            target.remove(key);
        } else {
            merge(target.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

/// The configuration Tauri sees when building for the platform of `platform_file`.
fn merged(platform_file: &str) -> Value {
    let mut config = json("src-tauri/tauri.conf.json");
    merge(&mut config, &json(platform_file));
    config
}

/// A platform file may only set `bundle.<section>`, with keys Tauri knows (its config
/// structs deny unknown fields, so a typo would fail the phone build, not this one).
fn assert_platform_file_shape(rel: &str, section: &str, known: &[&str]) {
    let file = json(rel);
    let top: BTreeSet<&str> = file.as_object().expect("an object").keys().map(String::as_str).collect();
    assert!(top.is_subset(&BTreeSet::from(["$schema", "bundle"])), "{rel}: unexpected top-level keys {top:?}");
    let bundle = file["bundle"].as_object().unwrap_or_else(|| panic!("{rel}: `bundle` must be an object"));
    let keys: Vec<&str> = bundle.keys().map(String::as_str).collect();
    assert_eq!(keys, [section], "{rel}: only `bundle.{section}` belongs here");
    for key in
        bundle[section].as_object().unwrap_or_else(|| panic!("{rel}: `bundle.{section}` must be an object")).keys()
    {
        assert!(
            known.contains(&key.as_str()),
            "{rel}: `bundle.{section}.{key}` is not a Tauri 2 setting (known: {known:?})"
        );
    }
}

fn assert_app_identity(config: &Value, which: &str) {
    assert_eq!(config["identifier"], IDENTIFIER, "{which}: identifier");
    assert_eq!(config["productName"], PRODUCT_NAME, "{which}: productName");
}

#[test]
fn the_android_config_keeps_the_identity_and_sets_min_sdk() {
    let rel = "src-tauri/tauri.android.conf.json";
    assert_platform_file_shape(
        rel,
        "android",
        &["minSdkVersion", "versionCode", "autoIncrementVersionCode", "debugApplicationIdSuffix"],
    );
    let config = merged(rel);
    assert_app_identity(&config, "tauri.conf.json + tauri.android.conf.json");
    let min_sdk = config["bundle"]["android"]["minSdkVersion"]
        .as_u64()
        .unwrap_or_else(|| panic!("{rel}: bundle.android.minSdkVersion must be an integer"));
    assert!(min_sdk >= MIN_ANDROID_SDK, "{rel}: minSdkVersion {min_sdk} < {MIN_ANDROID_SDK}");
}

#[test]
fn the_ios_config_keeps_the_identity_and_needs_ios_17_1() {
    let rel = "src-tauri/tauri.ios.conf.json";
    assert_platform_file_shape(
        rel,
        "iOS",
        &["template", "frameworks", "developmentTeam", "bundleVersion", "minimumSystemVersion", "infoPlist"],
    );
    let config = merged(rel);
    assert_app_identity(&config, "tauri.conf.json + tauri.ios.conf.json");
    let version = config["bundle"]["iOS"]["minimumSystemVersion"]
        .as_str()
        .unwrap_or_else(|| panic!("{rel}: bundle.iOS.minimumSystemVersion must be a string"));
    let mut parts =
        version.split('.').map(|p| p.parse::<u64>().unwrap_or_else(|_| panic!("{rel}: bad version {version:?}")));
    let found = (parts.next().unwrap(), parts.next().unwrap_or(0));
    assert!(found >= MIN_IOS, "{rel}: minimumSystemVersion {version} < {}.{}", MIN_IOS.0, MIN_IOS.1);
    // The Info.plist additions are found by name beside tauri.conf.json, not through `infoPlist`.
    assert!(
        config["bundle"]["iOS"].get("infoPlist").is_none(),
        "{rel}: leave infoPlist unset, src-tauri/Info.ios.plist is merged by name"
    );
}

#[test]
fn the_ios_plist_asks_for_the_position_in_french() {
    let rel = "src-tauri/Info.ios.plist";
    let value = plist::Value::from_file(path(rel)).unwrap_or_else(|e| panic!("{rel} is not a valid plist: {e}"));
    let dict = value.as_dictionary().unwrap_or_else(|| panic!("{rel}: the root must be a <dict>"));
    let string = |key: &str| {
        dict.get(key).and_then(plist::Value::as_string).unwrap_or_else(|| panic!("{rel}: missing string {key}"))
    };
    assert_eq!(string("CFBundleDevelopmentRegion"), "fr", "{rel}: French is the development language");
    assert_eq!(string("NSLocationWhenInUseUsageDescription"), LOCATION_USAGE_FR, "{rel}: location usage string");
    let localizations: Vec<&str> = dict
        .get("CFBundleLocalizations")
        .and_then(plist::Value::as_array)
        .unwrap_or_else(|| panic!("{rel}: missing array CFBundleLocalizations"))
        .iter()
        .map(|v| v.as_string().expect("CFBundleLocalizations holds strings"))
        .collect();
    assert_eq!(localizations, ["fr", "en"], "{rel}: CFBundleLocalizations");
    // Foreground only: the plugin calls requestWhenInUseAuthorization, never "Always".
    for key in dict.keys() {
        assert!(
            !key.starts_with("NSLocationAlways"),
            "{rel}: {key} asks for background location, which Vigie does not use"
        );
    }
    // src-tauri/Info.plist would be merged into macOS bundles too: the iOS keys stay iOS-only.
    assert!(
        !path("src-tauri/Info.plist").exists(),
        "src-tauri/Info.plist also reaches macOS; put iOS keys in Info.ios.plist"
    );
}

/// Reads an Apple `.strings` file: `"key" = "value";` pairs, `/* */` and `//` comments.
fn parse_strings(rel: &str) -> BTreeMap<String, String> {
    fn quoted(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, rel: &str) -> String {
        assert_eq!(chars.next(), Some('"'), "{rel}: expected a quoted string");
        let mut out = String::new();
        loop {
            match chars.next() {
                Some('"') => return out,
                Some('\\') => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some(c @ ('"' | '\\' | '\'')) => out.push(c),
                    other => panic!("{rel}: unsupported escape \\{other:?}"),
                },
                Some(c) => out.push(c),
                None => panic!("{rel}: unterminated string"),
            }
        }
    }
    fn skip(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, rel: &str) {
        loop {
            while chars.next_if(|c| c.is_whitespace()).is_some() {}
            let mut ahead = chars.clone();
            match (ahead.next(), ahead.next()) {
                (Some('/'), Some('*')) => {
                    chars.next();
                    chars.next();
                    let mut prev = ' ';
                    loop {
                        let c = chars.next().unwrap_or_else(|| panic!("{rel}: unterminated comment"));
                        if prev == '*' && c == '/' {
                            break;
                        }
                        prev = c;
                    }
                }
                (Some('/'), Some('/')) => while chars.next().is_some_and(|c| c != '\n') {},
                _ => return,
            }
        }
    }
    let text = read(rel);
    let mut chars = text.trim_start_matches('\u{feff}').chars().peekable();
    let mut pairs = BTreeMap::new();
    loop {
        skip(&mut chars, rel);
        if chars.peek().is_none() {
            return pairs;
        }
        let key = quoted(&mut chars, rel);
        skip(&mut chars, rel);
        assert_eq!(chars.next(), Some('='), "{rel}: expected `=` after {key:?}");
        skip(&mut chars, rel);
        let value = quoted(&mut chars, rel);
        skip(&mut chars, rel);
        assert_eq!(chars.next(), Some(';'), "{rel}: expected `;` after the value of {key:?}");
        assert!(pairs.insert(key.clone(), value).is_none(), "{rel}: {key:?} twice");
    }
}

#[test]
fn the_ios_translations_cover_the_plist_strings() {
    let plist = plist::Value::from_file(path("src-tauri/Info.ios.plist")).expect("Info.ios.plist parses");
    let plist = plist.as_dictionary().expect("a dict");
    let fr = parse_strings("mobile/ios/fr.lproj/InfoPlist.strings");
    let en = parse_strings("mobile/ios/en.lproj/InfoPlist.strings");
    assert!(fr.contains_key("NSLocationWhenInUseUsageDescription"), "fr.lproj: the location usage string");
    assert_eq!(
        fr.keys().collect::<Vec<_>>(),
        en.keys().collect::<Vec<_>>(),
        "fr.lproj and en.lproj translate the same keys"
    );
    for (key, text) in &fr {
        let original = plist.get(key).and_then(plist::Value::as_string);
        assert_eq!(original, Some(text.as_str()), "fr.lproj/{key} must repeat src-tauri/Info.ios.plist");
    }
    for (key, text) in &en {
        assert!(!text.trim().is_empty() && text != &fr[key], "en.lproj/{key} must be an English text");
    }
}

#[test]
fn the_mobile_capability_grants_only_the_position_on_phones() {
    let rel = "src-tauri/capabilities/mobile.json";
    let cap = json(rel);
    let platforms: BTreeSet<&str> = cap["platforms"]
        .as_array()
        .unwrap_or_else(|| panic!("{rel}: `platforms` is required"))
        .iter()
        .filter_map(Value::as_str)
        .collect();
    // Without `platforms`, tauri-build on Linux/Windows rejects the geolocation permissions
    // (the plugin is a dependency on phones only): "Permission geolocation:… not found".
    assert_eq!(platforms, BTreeSet::from(["android", "iOS"]), "{rel}: platforms");
    assert_eq!(cap["windows"], serde_json::json!(["main"]), "{rel}: windows");
    let permissions: Vec<&str> = cap["permissions"]
        .as_array()
        .unwrap_or_else(|| panic!("{rel}: `permissions` must be an array"))
        .iter()
        .map(|p| p.as_str().unwrap_or_else(|| panic!("{rel}: plain permission ids only, got {p}")))
        .collect();
    let mut sorted = permissions.clone();
    sorted.sort_unstable();
    let mut wanted = GEOLOCATION_PERMISSIONS.to_vec();
    wanted.sort_unstable();
    assert_eq!(
        sorted, wanted,
        "{rel}: exactly the geolocation commands the UI calls (no `geolocation:default`: it grants nothing)"
    );
    assert!(cap["remote"].is_null(), "{rel}: no remote URL may use the position");
    // Every other capability applies to desktops too, so must not name the plugin.
    for entry in std::fs::read_dir(path("src-tauri/capabilities")).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name != "mobile.json" {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            assert!(
                !text.contains("geolocation:"),
                "src-tauri/capabilities/{name} names geolocation permissions: desktop builds would fail"
            );
        }
    }
}

/// The `<string name="…">text</string>` entries of an Android resource file, parsed as XML.
fn android_strings(rel: &str) -> BTreeMap<String, String> {
    use quick_xml::events::Event;
    let text = read(rel);
    let mut reader = quick_xml::Reader::from_str(&text);
    let (mut stack, mut out) = (Vec::<String>::new(), BTreeMap::new());
    let mut current: Option<(String, String)> = None;
    loop {
        match reader.read_event().unwrap_or_else(|e| panic!("{rel} is not well-formed XML: {e}")) {
            Event::Start(e) => {
                let tag = e.name().as_ref().to_owned();
                match (stack.as_slice(), tag.as_str()) {
                    ([], "resources") => {}
                    ([root], "string") if root == "resources" => {
                        let name = e
                            .try_get_attribute("name")
                            .ok()
                            .flatten()
                            .unwrap_or_else(|| panic!("{rel}: <string> without a name"))
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .unwrap_or_else(|e| panic!("{rel}: bad name attribute: {e}"))
                            .into_owned();
                        current = Some((name, String::new()));
                    }
                    _ => panic!("{rel}: unexpected <{tag}> inside {stack:?}"),
                }
                stack.push(tag);
            }
            Event::Text(t) => {
                if let Some((_, value)) = current.as_mut() {
                    value.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, value)) = current.as_mut() {
                    value.push('&');
                    value.push_str(&r);
                    value.push(';');
                }
            }
            Event::End(_) => {
                stack.pop();
                if let Some((name, value)) = current.take() {
                    assert!(out.insert(name.clone(), value).is_none(), "{rel}: string {name} twice");
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(stack.is_empty(), "{rel}: unclosed {stack:?}");
    out
}

/// aapt2 refuses an apostrophe or a double quote that is not escaped (`\'`, `\"`).
fn assert_aapt_escapes(rel: &str, strings: &BTreeMap<String, String>) {
    for (name, value) in strings {
        let mut prev = ' ';
        for c in value.chars() {
            assert!(!matches!(c, '\'' | '"') || prev == '\\', "{rel}: {name}: escape {c} as \\{c} for aapt2");
            prev = if prev == '\\' && c == '\\' { ' ' } else { c };
        }
    }
}

#[test]
fn the_android_strings_parse_and_are_translated() {
    let default_rel = "mobile/android/res/values/vigie_strings.xml";
    let fr_rel = "mobile/android/res/values-fr/strings.xml";
    let default = android_strings(default_rel);
    let fr = android_strings(fr_rel);
    assert_aapt_escapes(default_rel, &default);
    assert_aapt_escapes(fr_rel, &fr);
    // `app_name` and `main_activity_title` come from the generated res/values/strings.xml.
    for name in default.keys().map(String::as_str).chain(["app_name", "main_activity_title"]) {
        assert!(fr.contains_key(name), "{fr_rel}: no French text for {name}");
    }
    assert_eq!(fr["app_name"], PRODUCT_NAME);
    let rationale = &fr["location_permission_rationale"];
    assert_eq!(rationale.replace("\\'", "'"), LOCATION_USAGE_FR, "{fr_rel}: same words as on iOS");
    assert!(!default["location_permission_rationale"].trim().is_empty());
}
