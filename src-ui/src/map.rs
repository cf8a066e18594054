//! The map: MapLibre GL JS through `map/bridge.js` (copied next to the module by
//! wasm-bindgen). Rust decides what is drawn; the bridge only draws and reports taps.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/map/bridge.js")]
extern "C" {
    #[wasm_bindgen(js_name = createMap, catch)]
    fn create_map_raw(
        container: &str,
        night: bool,
        lon: f64,
        lat: f64,
        zoom: f64,
        on_click: &Closure<dyn FnMut(f64, f64, Option<String>)>,
        on_ready: &Closure<dyn FnMut()>,
    ) -> Result<(), JsValue>;
    /// Switches between the day and night styles.
    #[wasm_bindgen(js_name = setNight)]
    pub fn set_night(night: bool);
    /// Fetches the basemap's tiles again (an area arrived or went).
    #[wasm_bindgen(js_name = reloadBasemap)]
    pub fn reload_basemap();
    /// The cameras and their fields of view (GeoJSON text).
    #[wasm_bindgen(js_name = setCameras)]
    pub fn set_cameras(geojson: &str);
    /// The live body-cams (a GeoJSON object).
    #[wasm_bindgen(js_name = setBodycams)]
    pub fn set_bodycams(geojson: JsValue);
    /// The officer's position; `accuracy_m` NaN when unknown; `pin` for a manual pin.
    #[wasm_bindgen(js_name = setPosition)]
    pub fn set_position(lon: f64, lat: f64, accuracy_m: f64, pin: bool);
    /// Hides the position.
    #[wasm_bindgen(js_name = clearPosition)]
    pub fn clear_position();
    /// Marks the point "Autour de" asks about.
    #[wasm_bindgen(js_name = setPoint)]
    pub fn set_point(lon: f64, lat: f64);
    /// Removes that mark.
    #[wasm_bindgen(js_name = clearPoint)]
    pub fn clear_point();
    #[wasm_bindgen(js_name = setPlacement)]
    fn set_placement_raw(lon: f64, lat: f64, azimuth: f64, on_change: &Closure<dyn FnMut(f64, f64, f64)>);
    /// Removes the camera being placed.
    #[wasm_bindgen(js_name = clearPlacement)]
    pub fn clear_placement();
    /// Moves the view.
    #[wasm_bindgen(js_name = flyTo)]
    pub fn fly_to(lon: f64, lat: f64, zoom: f64);
    /// After the container changed size.
    #[wasm_bindgen(js_name = resize)]
    pub fn resize();
}

/// Creates the map in the element `container`. `on_click(lon, lat, camera id)` on each
/// tap; `on_ready()` once the basemap and overlays first drew.
pub fn create_map(
    container: &str,
    night: bool,
    [lon, lat, zoom]: [f64; 3],
    on_click: impl FnMut(f64, f64, Option<String>) + 'static,
    on_ready: impl FnMut() + 'static,
) -> Result<(), JsValue> {
    let click = Closure::<dyn FnMut(f64, f64, Option<String>)>::new(on_click);
    let ready = Closure::<dyn FnMut()>::new(on_ready);
    let r = create_map_raw(container, night, lon, lat, zoom, &click, &ready);
    // The map lives as long as the page.
    click.forget();
    ready.forget();
    r
}

/// Shows a camera being added at `lon, lat` looking `azimuth` (NaN: not yet set);
/// `on_change(lon, lat, azimuth)` after each drag.
pub fn set_placement(lon: f64, lat: f64, azimuth: f64, on_change: impl FnMut(f64, f64, f64) + 'static) {
    let c = Closure::<dyn FnMut(f64, f64, f64)>::new(on_change);
    set_placement_raw(lon, lat, azimuth, &c);
    // Replaced at the next call; the bridge drops its reference then.
    c.forget();
}
