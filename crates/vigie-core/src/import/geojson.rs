//! GeoJSON FeatureCollections of points, read as a stream.
//!
//! Features are deserialised one at a time straight into tags (no intermediate
//! `serde_json::Value` tree), which is what keeps a million-camera file within seconds.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::{Builder, ImportError, Location, Record};

pub(super) fn read(text: &str, builder: &mut Builder<'_>) -> Result<(), ImportError> {
    // A point feature with a few tags is 150 to 400 bytes: reserve for the smaller size.
    builder.reserve(text.len() / 150);
    let current = Cell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let seed = CollectionSeed { builder, current: &current };
    seed.deserialize(&mut de).and_then(|()| de.end()).map_err(|e| ImportError::Json {
        line: e.line(),
        column: e.column(),
        feature: current.get(),
        message: strip_position(&e),
    })
}

/// serde_json appends " at line L column C"; the error carries those as fields.
fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

struct CollectionSeed<'b, 'o> {
    builder: &'b mut Builder<'o>,
    current: &'b Cell<Option<usize>>,
}

impl<'de> DeserializeSeed<'de> for CollectionSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for CollectionSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a GeoJSON FeatureCollection")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut saw_features = false;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "type" => {
                    let t: std::borrow::Cow<'de, str> = map.next_value()?;
                    if t != "FeatureCollection" {
                        return Err(de::Error::custom(format!("type is {t:?}, expected \"FeatureCollection\"")));
                    }
                }
                "features" => {
                    saw_features = true;
                    map.next_value_seed(FeaturesSeed { builder: &mut *self.builder, current: self.current })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !saw_features {
            return Err(de::Error::custom("no `features` array"));
        }
        Ok(())
    }
}

struct FeaturesSeed<'b, 'o> {
    builder: &'b mut Builder<'o>,
    current: &'b Cell<Option<usize>>,
}

impl<'de> DeserializeSeed<'de> for FeaturesSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FeaturesSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of features")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        loop {
            self.current.set(Some(index));
            let Some(f) = seq.next_element::<RawFeature>()? else {
                break;
            };
            self.current.set(None);
            feature(self.builder, index, f);
            index += 1;
        }
        self.current.set(None);
        Ok(())
    }
}

#[derive(Deserialize)]
struct RawFeature {
    #[serde(default)]
    id: Option<TagValue>,
    #[serde(default)]
    geometry: Option<RawGeometry>,
    #[serde(default, deserialize_with = "properties")]
    properties: BTreeMap<String, String>,
}

/// `properties` straight into tags: `null` (whole or per value) is absent.
fn properties<'de, D: de::Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = BTreeMap<String, String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object of properties")
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut tags = BTreeMap::new();
            while let Some((k, v)) = map.next_entry::<String, TagValue>()? {
                if let Some(v) = v.0 {
                    tags.insert(k, v);
                }
            }
            Ok(tags)
        }
    }
    d.deserialize_option(OptionMap(V))
}

/// Lets `null` reach `visit_none` and an object reach `visit_map`.
struct OptionMap<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for OptionMap<V> {
    type Value = V::Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }
    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        d.deserialize_map(self.0)
    }
}

#[derive(Deserialize)]
struct RawGeometry {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    coordinates: Option<Vec<Coord>>,
}

fn feature(builder: &mut Builder<'_>, index: usize, f: RawFeature) {
    let tags = f.properties;
    let own_id = f.id.and_then(|v| v.0).or_else(|| tags.get("@id").cloned());
    let at = Location::Feature { index, id: own_id.clone() };
    let Some(geometry) = f.geometry else {
        return builder.reject(at, "no geometry");
    };
    if geometry.kind != "Point" {
        return builder.reject(at, format!("geometry {} is not a point", geometry.kind));
    }
    let (lon, lat) = match geometry.coordinates.as_deref() {
        Some([Coord::Num(lon), Coord::Num(lat), rest @ ..]) if rest.iter().all(|c| matches!(c, Coord::Num(_))) => {
            (*lon, *lat)
        }
        _ => {
            return builder.reject(at, "point coordinates are not [longitude, latitude]");
        }
    };
    builder.record(Record { at, own_id, lat: Some(lat), lon: Some(lon), tags });
}

/// A property value as tag text (see [`super::value_to_tag`]), read without building a
/// `serde_json::Value` for scalars.
struct TagValue(Option<String>);

impl<'de> Deserialize<'de> for TagValue {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TagValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a property value")
            }
            fn visit_str<E>(self, v: &str) -> Result<TagValue, E> {
                Ok(TagValue(Some(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<TagValue, E> {
                Ok(TagValue(Some(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<TagValue, E> {
                Ok(TagValue(Some(v.to_string())))
            }
            fn visit_u64<E>(self, v: u64) -> Result<TagValue, E> {
                Ok(TagValue(Some(v.to_string())))
            }
            fn visit_f64<E>(self, v: f64) -> Result<TagValue, E> {
                Ok(TagValue(Some(v.to_string())))
            }
            fn visit_bool<E>(self, v: bool) -> Result<TagValue, E> {
                Ok(TagValue(Some(v.to_string())))
            }
            fn visit_unit<E>(self) -> Result<TagValue, E> {
                Ok(TagValue(None))
            }
            fn visit_none<E>(self) -> Result<TagValue, E> {
                Ok(TagValue(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<TagValue, A::Error> {
                let v = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(TagValue(super::value_to_tag(&v)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<TagValue, A::Error> {
                let v = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(TagValue(super::value_to_tag(&v)))
            }
        }
        d.deserialize_any(V)
    }
}

/// One element of a `coordinates` array: a number (a point) or something nested (a line,
/// a polygon), which is skipped without being built.
enum Coord {
    Num(f64),
    Nested,
}

impl<'de> Deserialize<'de> for Coord {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Coord;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a coordinate")
            }
            fn visit_f64<E>(self, v: f64) -> Result<Coord, E> {
                Ok(Coord::Num(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Coord, E> {
                Ok(Coord::Num(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Coord, E> {
                Ok(Coord::Num(v as f64))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Coord, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Coord::Nested)
            }
            fn visit_str<E>(self, _: &str) -> Result<Coord, E> {
                Ok(Coord::Nested)
            }
            fn visit_unit<E>(self) -> Result<Coord, E> {
                Ok(Coord::Nested)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Coord, E> {
                Ok(Coord::Nested)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Coord, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Coord::Nested)
            }
        }
        d.deserialize_any(V)
    }
}
