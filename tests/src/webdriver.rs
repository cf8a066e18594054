//! A small W3C WebDriver client, enough to drive the real Tauri window through
//! `tauri-driver` (which hands the session to WebKitWebDriver): find, click, type, run a
//! script, take a screenshot. Every wait has a deadline and fails with what it saw.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

use crate::Running;

/// `tauri-driver` under Xvfb, on free ports; stopped with SIGTERM when dropped (after a
/// SIGKILL its WebKitWebDriver child would live on and hold the test's pipes).
pub struct Driver {
    base: String,
    http: reqwest::blocking::Client,
    process: Running,
    opened: std::cell::Cell<bool>,
}

/// The installed `tauri-driver`, or how to get it.
pub fn tauri_driver() -> Result<PathBuf, String> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        candidates.push(PathBuf::from(home).join("bin/tauri-driver"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(PathBuf::from(home).join(".cargo/bin/tauri-driver"));
    }
    let paths = std::env::var_os("PATH").unwrap_or_default();
    candidates.extend(std::env::split_paths(&paths).map(|d| d.join("tauri-driver")));
    candidates.into_iter().find(|p| p.is_file()).ok_or_else(|| {
        "tauri-driver is missing: `cargo install tauri-driver --version 2.1.0 --locked` (cargo xtask test does)".into()
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Driver {
    /// Starts tauri-driver under Xvfb with `env` (inherited by the app it launches).
    pub fn start(env: &[(&str, String)]) -> Result<Driver, String> {
        let (port, native) = (free_port(), free_port());
        let mut cmd = crate::under_xvfb(tauri_driver()?)?;
        cmd.args(["--port", &port.to_string(), "--native-port", &native.to_string()]);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Driver::ready(Running::start(cmd)?, port, "tauri-driver")
    }

    /// Debian's chromedriver, for headless Chromium (no display needed): the stand-in for
    /// the webviews that have WebRTC (Android's WebView is Chromium).
    pub fn chromium() -> Result<Driver, String> {
        let port = free_port();
        let mut cmd = Command::new("/usr/bin/chromedriver");
        cmd.arg(format!("--port={port}"));
        let process = Running::start(cmd)
            .map_err(|e| format!("{e}: Debian's chromium-driver is needed (cargo xtask test installs it)"))?;
        Driver::ready(process, port, "chromedriver")
    }

    fn ready(process: Running, port: u16, what: &str) -> Result<Driver, String> {
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(120)).build().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while http.get(format!("{base}/status")).send().is_err() {
            if Instant::now() > deadline {
                return Err(format!("{what} did not answer on {base}\n{}", process.stderr_text()));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(Driver { base, http, process, opened: Default::default() })
    }

    /// Opens `url` in a new headless Chromium (a [`Driver::chromium`] session), with the
    /// flags this sandbox needs (no sandbox, no background network) and autoplay allowed.
    pub fn browse(&self, url: &str) -> Result<Session<'_>, String> {
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": "/usr/bin/chromium", "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--autoplay-policy=no-user-gesture-required",
            ]},
        }}});
        let v = self.post("/session", &caps)?;
        let id = v["sessionId"].as_str().ok_or_else(|| format!("no session id in {v}"))?.to_string();
        let session = Session { driver: self, id };
        self.post(&session.path("/url"), &json!({ "url": url }))?;
        Ok(session)
    }

    /// Opens its session: launches the app at `application`. One per driver: a second
    /// session on the same WebKitWebDriver once hung until the client's timeout (CI,
    /// 2026-11-23), so an app that restarts gets a new [`Driver`].
    pub fn session(&self, application: &Path) -> Result<Session<'_>, String> {
        if self.opened.replace(true) {
            return Err("this driver already opened its session: start a new Driver for each launch".into());
        }
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "wry",
            "tauri:options": { "application": application },
        }}});
        let v = self.post("/session", &caps).map_err(|e| {
            format!("opening a session with {}: {e}\n{}", application.display(), self.process.stderr_text())
        })?;
        let id = v["sessionId"].as_str().ok_or_else(|| format!("no session id in {v}"))?.to_string();
        Ok(Session { driver: self, id })
    }

    fn post(&self, path: &str, body: &Value) -> Result<Value, String> {
        let r = self.http.post(format!("{}{path}", self.base)).json(body).send().map_err(with_causes)?;
        Self::value(r)
    }

    fn get(&self, path: &str) -> Result<Value, String> {
        Self::value(self.http.get(format!("{}{path}", self.base)).send().map_err(with_causes)?)
    }

    fn delete(&self, path: &str) -> Result<Value, String> {
        Self::value(self.http.delete(format!("{}{path}", self.base)).send().map_err(with_causes)?)
    }

    fn value(r: reqwest::blocking::Response) -> Result<Value, String> {
        let status = r.status();
        let v: Value = r.json().map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("WebDriver {status}: {}", v["value"]));
        }
        Ok(v.get("value").cloned().unwrap_or(v))
    }
}

/// A request's error with its causes (reqwest's own message alone does not say whether
/// the connection was refused or timed out).
fn with_causes(e: reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    text
}

/// A session: one running app.
pub struct Session<'a> {
    driver: &'a Driver,
    id: String,
}

/// An element of the page.
#[derive(Clone)]
pub struct Element(String);

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Session<'_> {
    fn path(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.id)
    }

    /// The first element matching `css`, now.
    pub fn find(&self, css: &str) -> Result<Element, String> {
        let v = self.driver.post(&self.path("/element"), &json!({ "using": "css selector", "value": css }))?;
        v[ELEMENT_KEY].as_str().map(|e| Element(e.to_string())).ok_or_else(|| format!("no element {css}: {v}"))
    }

    /// Every element matching `css`, now.
    pub fn find_all(&self, css: &str) -> Result<Vec<Element>, String> {
        let v = self.driver.post(&self.path("/elements"), &json!({ "using": "css selector", "value": css }))?;
        Ok(v.as_array()
            .map(|a| a.iter().filter_map(|e| e[ELEMENT_KEY].as_str().map(|s| Element(s.to_string()))).collect())
            .unwrap_or_default())
    }

    /// Waits until `css` matches, up to `timeout`.
    pub fn wait_for(&self, css: &str, timeout: Duration) -> Result<Element, String> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.find(css) {
                Ok(e) => return Ok(e),
                Err(e) if Instant::now() > deadline => return Err(format!("waited {timeout:?} for {css}: {e}")),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// Waits until the element `css` exists and its text satisfies `ok`; returns the text.
    pub fn wait_text(&self, css: &str, timeout: Duration, ok: impl Fn(&str) -> bool) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        let mut last = String::new();
        loop {
            if let Ok(e) = self.find(css) {
                if let Ok(t) = self.text(&e) {
                    if ok(&t) {
                        return Ok(t);
                    }
                    last = t;
                }
            }
            if Instant::now() > deadline {
                return Err(format!("waited {timeout:?} on the text of {css}; last seen: {last:?}"));
            }
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// Clicks `element`.
    pub fn click(&self, e: &Element) -> Result<(), String> {
        self.driver.post(&self.path(&format!("/element/{}/click", e.0)), &json!({})).map(|_| ())
    }

    /// Clicks the first element matching `css`, once it exists.
    pub fn click_css(&self, css: &str) -> Result<(), String> {
        let e = self.wait_for(css, Duration::from_secs(20))?;
        self.click(&e)
    }

    /// Taps the page at `(x, y)` CSS pixels of the viewport, like a finger (W3C actions).
    pub fn tap(&self, x: f64, y: f64) -> Result<(), String> {
        let actions = json!({ "actions": [{
            "type": "pointer", "id": "finger", "parameters": { "pointerType": "mouse" },
            "actions": [
                { "type": "pointerMove", "duration": 0, "origin": "viewport", "x": x.round() as i64, "y": y.round() as i64 },
                { "type": "pointerDown", "button": 0 },
                { "type": "pointerUp", "button": 0 }
            ]
        }]});
        self.driver.post(&self.path("/actions"), &actions).map(|_| ())
    }

    /// Replaces the value of the input `css` with `text`.
    pub fn type_into(&self, css: &str, text: &str) -> Result<(), String> {
        let e = self.wait_for(css, Duration::from_secs(20))?;
        self.driver.post(&self.path(&format!("/element/{}/clear", e.0)), &json!({}))?;
        self.driver.post(&self.path(&format!("/element/{}/value", e.0)), &json!({ "text": text })).map(|_| ())
    }

    /// The visible text of `element`.
    pub fn text(&self, e: &Element) -> Result<String, String> {
        let v = self.driver.get(&self.path(&format!("/element/{}/text", e.0)))?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    /// An attribute of `element`.
    pub fn attribute(&self, e: &Element, name: &str) -> Result<Option<String>, String> {
        let v = self.driver.get(&self.path(&format!("/element/{}/attribute/{name}", e.0)))?;
        Ok(v.as_str().map(str::to_string))
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page.
    pub fn execute(&self, script: &str, args: Value) -> Result<Value, String> {
        self.driver.post(&self.path("/execute/sync"), &json!({ "script": script, "args": args }))
    }

    /// Waits until `script` returns something truthy; returns it.
    pub fn wait_script(&self, script: &str, timeout: Duration) -> Result<Value, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let last = match self.execute(script, json!([])) {
                Ok(v) if !(v.is_null() || v == json!(false) || v == json!("") || v == json!(0)) => return Ok(v),
                Ok(v) => v,
                Err(e) => Value::String(e),
            };
            if Instant::now() > deadline {
                return Err(format!("waited {timeout:?} for `{script}`; last: {last}"));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// A PNG screenshot of the window, saved to `path`; returns the decoded image.
    pub fn screenshot(&self, path: &Path) -> Result<Image, String> {
        let v = self.driver.get(&self.path("/screenshot"))?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().ok_or("screenshot: not a string")?)
            .map_err(|e| e.to_string())?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        std::fs::write(path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        Image::decode(&bytes)
    }

    /// Ends the session: the app exits.
    pub fn close(self) -> Result<(), String> {
        self.driver.delete(&self.path("")).map(|_| ())
    }
}

/// A decoded screenshot (RGBA).
pub struct Image {
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
    rgba: Vec<u8>,
}

impl Image {
    fn decode(png_bytes: &[u8]) -> Result<Image, String> {
        let mut decoder = png::Decoder::new(png_bytes);
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
        let channels = info.color_type.samples();
        let mut rgba = Vec::with_capacity((info.width * info.height * 4) as usize);
        for px in buf[..info.buffer_size()].chunks(channels) {
            match channels {
                4 => rgba.extend_from_slice(px),
                3 => rgba.extend_from_slice(&[px[0], px[1], px[2], 255]),
                2 => rgba.extend_from_slice(&[px[0], px[0], px[0], px[1]]),
                _ => rgba.extend_from_slice(&[px[0], px[0], px[0], 255]),
            }
        }
        Ok(Image { width: info.width, height: info.height, rgba })
    }

    /// The pixel at `(x, y)`, RGBA.
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        let i = ((y * self.width + x) * 4) as usize;
        [self.rgba[i], self.rgba[i + 1], self.rgba[i + 2], self.rgba[i + 3]]
    }

    /// How many distinct colours (quantised to 5 bits per channel) the rectangle holds,
    /// and how many of its pixels are close to `rgb` (each channel within `tolerance`).
    pub fn colours(&self, x0: u32, y0: u32, x1: u32, y1: u32, rgb: [u8; 3], tolerance: u8) -> (usize, usize) {
        let mut seen = std::collections::HashSet::new();
        let mut close = 0;
        for y in y0..y1.min(self.height) {
            for x in x0..x1.min(self.width) {
                let [r, g, b, _] = self.pixel(x, y);
                seen.insert((r >> 3, g >> 3, b >> 3));
                if r.abs_diff(rgb[0]) <= tolerance && g.abs_diff(rgb[1]) <= tolerance && b.abs_diff(rgb[2]) <= tolerance
                {
                    close += 1;
                }
            }
        }
        (seen.len(), close)
    }
}

/// Checks that tauri-driver and WebKitWebDriver are installed (a missing one fails the
/// test with how to install it; it never skips).
pub fn ensure_installed() -> Result<(), String> {
    tauri_driver().map(|_| ())?;
    Command::new("WebKitWebDriver")
        .arg("--version")
        .output()
        .map_err(|_| {
            "WebKitWebDriver is missing: Debian's webkit2gtk-driver (cargo xtask test installs it)".to_string()
        })
        .map(|_| ())
}
