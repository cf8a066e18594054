//! Vigie's user interface (Leptos, client-side rendering).
//!
//! One screen: the map always fills it; a header shows the link with the platform and
//! the age of the offline data; a bottom bar (one thumb on a phone) opens the panels
//! "Autour de moi", "Ajouter une caméra", "Zones hors ligne" and "Compte". On a laptop the
//! panel sits beside the map, on a phone over it.
//!
//! Everything comes from the shell through [`tauri`] (typed with `vigie-view`); the map
//! is MapLibre GL JS behind the thin bridge in [`map`]. The same wasm also loads in a
//! plain browser (no shell: it says so and shows an empty map).

pub mod fmt;
pub mod i18n;
mod live;
pub mod map;
mod requisition;
mod screens;
pub mod tauri;

use leptos::prelude::*;
use vigie_view::{CameraCard, Overview, PositionView};

use i18n::Lang;
use tauri::NoArgs;

/// The French subtitle shown under the title (French first, English below).
pub const SUBTITLE_FR: &str = "Caméras de vidéoprotection autour d'une intervention";
/// The English line under the French subtitle.
pub const SUBTITLE_EN: &str = "CCTV cameras around an intervention";

/// The panel open over (or beside) the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Panel {
    /// Only the map.
    Map,
    /// "Autour de moi".
    Around,
    /// "Ajouter une caméra privée".
    Add,
    /// "Zones hors ligne".
    Areas,
    /// Enrolment and sync.
    Account,
    /// « Rédiger » : the drafts being written.
    Draft,
    /// « Envois » : the outbox.
    Outbox,
    /// « Relecture » : supervisor review.
    Review,
    /// « En direct » : live body-cam streams.
    Live,
}

/// What a tap on the map does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// Opens the card of a tapped camera.
    Camera,
    /// Chooses the point "Autour de" asks about.
    AroundPoint,
    /// Places the manual pin (the officer's position).
    Pin,
    /// Places the camera being added.
    NewCamera,
}

/// The state every part of the UI shares (all signals, so it is `Copy`).
#[derive(Clone, Copy)]
pub struct Ctx {
    /// The language.
    pub lang: RwSignal<Lang>,
    /// Night palette.
    pub night: RwSignal<bool>,
    /// The open panel.
    pub panel: RwSignal<Panel>,
    /// What a tap does.
    pub pick: RwSignal<Pick>,
    /// Header data.
    pub overview: RwSignal<Option<Overview>>,
    /// The officer's position.
    pub position: RwSignal<Option<PositionView>>,
    /// The incident time (RFC 3339; `None`: now).
    pub incident_at: RwSignal<Option<String>>,
    /// The camera whose card is open.
    pub card: RwSignal<Option<CameraCard>>,
    /// The point pressed for "Autour de".
    pub point: RwSignal<Option<[f64; 2]>>,
    /// The camera being added: `[lon, lat, azimuth]` (azimuth NaN until set).
    pub placement: RwSignal<Option<[f64; 3]>>,
    /// Bumped when cameras changed (sync, a camera added): the map reloads them.
    pub cameras_changed: RwSignal<u32>,
    /// The map drew for the first time.
    pub map_ready: RwSignal<bool>,
    /// A message for the officer (French / English).
    pub toast: RwSignal<Option<String>>,
    /// Area downloads in progress or just ended, by area id.
    pub downloads: RwSignal<std::collections::HashMap<String, vigie_view::AreaProgress>>,
    /// Bumped when an area download ended (the areas panel reloads its list).
    pub areas_changed: RwSignal<u32>,
    /// The drafts being written, one per holder.
    pub drafts: RwSignal<Vec<vigie_view::DraftForm>>,
    /// Where the last PDF was written.
    pub pdf_path: RwSignal<Option<String>>,
}

impl Ctx {
    /// The string in the current language.
    pub fn t(&self, fr: &'static str, en: &'static str) -> &'static str {
        self.lang.get().t(fr, en)
    }

    /// Shows a shell message in the current language.
    pub fn say(&self, message: &str) {
        self.toast.set(Some(self.lang.get_untracked().pick(message)));
    }

    /// Reloads the header data (and the map's cameras, if they changed).
    pub fn refresh_overview(self) {
        leptos::task::spawn_local(async move {
            if let Ok(o) = tauri::call::<Overview, _>("overview", &NoArgs {}).await {
                // The map's cameras are redrawn only when they changed: a sync attempt
                // every few seconds must not cost a full map render.
                let before = self.overview.get_untracked().map(|b| b.cameras_stamp);
                let changed = before.is_some_and(|b| b != o.cameras_stamp);
                self.overview.set(Some(o));
                if changed {
                    self.cameras_changed.update(|n| *n += 1);
                }
            }
        });
    }

    /// Reloads the cameras on the map.
    pub fn reload_cameras(self) {
        #[derive(serde::Serialize)]
        struct Args {
            at: Option<String>,
        }
        leptos::task::spawn_local(async move {
            match tauri::call_json("map_data", &Args { at: self.incident_at.get_untracked() }).await {
                Ok(geojson) => map::set_cameras(&geojson),
                Err(e) => self.say(&e.message),
            }
        });
    }

    /// Opens the card of camera `id`.
    pub fn open_card(self, id: String) {
        #[derive(serde::Serialize)]
        struct Args {
            id: String,
            at: Option<String>,
        }
        leptos::task::spawn_local(async move {
            match tauri::call::<CameraCard, _>("camera", &Args { id, at: self.incident_at.get_untracked() }).await {
                Ok(c) => self.card.set(Some(c)),
                Err(e) => self.say(&e.message),
            }
        });
    }
}

/// The root component.
#[component]
pub fn App() -> impl IntoView {
    let ctx = Ctx {
        lang: RwSignal::new(Lang::Fr),
        night: RwSignal::new(false),
        panel: RwSignal::new(Panel::Map),
        pick: RwSignal::new(Pick::Camera),
        overview: RwSignal::new(None),
        position: RwSignal::new(None),
        incident_at: RwSignal::new(None),
        card: RwSignal::new(None),
        point: RwSignal::new(None),
        placement: RwSignal::new(None),
        cameras_changed: RwSignal::new(0),
        map_ready: RwSignal::new(false),
        toast: RwSignal::new(None),
        downloads: RwSignal::new(Default::default()),
        areas_changed: RwSignal::new(0),
        drafts: RwSignal::new(Vec::new()),
        pdf_path: RwSignal::new(None),
    };
    provide_context(ctx);
    if tauri::in_tauri() {
        ctx.refresh_overview();
        requisition::restore_drafts(ctx);
        let poll_position = move || {
            leptos::task::spawn_local(async move {
                if let Ok(p) = tauri::call::<PositionView, _>("position", &NoArgs {}).await {
                    if ctx.position.get_untracked().as_ref() != Some(&p) {
                        ctx.position.set(Some(p));
                    }
                }
            })
        };
        poll_position();
        set_interval(poll_position, std::time::Duration::from_secs(1));
        set_interval(move || ctx.refresh_overview(), std::time::Duration::from_secs(10));
        set_interval(live::refresh_bodycams, std::time::Duration::from_secs(10));
        tauri::listen("overview-changed", move |_| ctx.refresh_overview());
        screens::watch_device_position(ctx);
        tauri::listen("area-progress", move |payload| {
            let Ok(p) = serde_wasm_bindgen::from_value::<vigie_view::AreaProgress>(payload) else { return };
            let state = p.state.clone();
            ctx.downloads.update(|m| {
                m.insert(p.id.clone(), p);
            });
            if state != "running" {
                ctx.areas_changed.update(|n| *n += 1);
                ctx.refresh_overview();
            }
            if state == "done" {
                map::reload_basemap();
                ctx.cameras_changed.update(|n| *n += 1);
            }
        });
    }

    view! {
        <div id="vigie" class:night=move || ctx.night.get() lang=move || ctx.lang.get().code()>
            <Header/>
            <div id="body" class=move || format!("panel-{:?}", ctx.panel.get()).to_lowercase()>
                <MapView/>
                <screens::Panels/>
            </div>
            <Nav/>
            <Toast/>
        </div>
    }
}

/// Title, link indicator, data age, language and day/night switches.
#[component]
fn Header() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let online = move || ctx.overview.get().map(|o| o.link.online).unwrap_or(false);
    let link_text = move || {
        let o = ctx.overview.get();
        match o.as_ref().map(|o| (&o.account, o.link.online, o.link.syncing)) {
            Some((_, _, true)) => ctx.t("Synchronisation…", "Syncing…"),
            Some((vigie_view::Account::NotEnrolled, _, _)) | None => ctx.t("Non inscrit", "Not enrolled"),
            Some((vigie_view::Account::Pending { .. }, true, _)) => {
                ctx.t("En attente d'approbation", "Awaiting approval")
            }
            Some((_, true, _)) => ctx.t("En ligne", "Online"),
            Some((_, false, _)) => ctx.t("Hors ligne", "Offline"),
        }
    };
    let data_age = move || {
        let lang = ctx.lang.get();
        match ctx.overview.get().and_then(|o| o.data) {
            Some(d) => match lang {
                Lang::Fr => format!(
                    "Données hors ligne du {} ({}) · {} caméras",
                    d.fetched_at_local,
                    fmt::age_fr(d.age_minutes),
                    d.cameras + d.private_cameras
                ),
                Lang::En => format!(
                    "Offline data of {} ({}) · {} cameras",
                    d.fetched_at_local.replace(" à ", " "),
                    fmt::age_en(d.age_minutes),
                    d.cameras + d.private_cameras
                ),
            },
            None => ctx.t("Aucune donnée hors ligne", "No offline data").to_string(),
        }
    };
    let stale = move || ctx.overview.get().and_then(|o| o.data).is_none_or(|d| d.age_minutes > 24 * 60);
    view! {
        <header>
            <div class="brand">
                <h1>"Vigie"</h1>
                <p class="subtitle" lang="fr">{SUBTITLE_FR}</p>
                <p class="subtitle-en" lang="en">{SUBTITLE_EN}</p>
            </div>
            <span id="link" class="link" class:online=online class:offline=move || !online()>{link_text}</span>
            <span id="data-age" class="data-age" class:stale=stale>{data_age}</span>
            <button
                id="lang"
                class="small"
                on:click=move |_| ctx.lang.update(|l| *l = if *l == Lang::Fr { Lang::En } else { Lang::Fr })
            >
                {move || ctx.t("EN", "FR")}
            </button>
            <button
                id="night"
                class="small"
                on:click=move |_| {
                    ctx.night.update(|n| *n = !*n);
                    map::set_night(ctx.night.get_untracked());
                }
            >
                {move || if ctx.night.get() { ctx.t("Jour", "Day") } else { ctx.t("Nuit", "Night") }}
            </button>
        </header>
    }
}

/// The bottom bar.
#[component]
fn Nav() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let tab = move |panel: Panel, id: &'static str, fr: &'static str, en: &'static str| {
        view! {
            <button
                id=id
                class:active=move || ctx.panel.get() == panel
                on:click=move |_| {
                    ctx.panel.set(panel);
                    ctx.pick.set(if panel == Panel::Add { Pick::NewCamera } else { Pick::Camera });
                }
            >
                {move || ctx.t(fr, en)}
            </button>
        }
    };
    view! {
        <nav>
            {tab(Panel::Map, "tab-map", "Carte", "Map")}
            {tab(Panel::Around, "tab-around", "Autour de moi", "Around me")}
            {tab(Panel::Add, "tab-add", "Ajouter", "Add")}
            {tab(Panel::Outbox, "tab-outbox", "Envois", "Outbox")}
            <Show when=move || ctx.overview.get().and_then(|o| o.role).as_deref() == Some("supervisor")>
                {tab(Panel::Review, "tab-review", "Relecture", "Review")}
            </Show>
            {tab(Panel::Live, "tab-live", "En direct", "Live")}
            {tab(Panel::Areas, "tab-areas", "Zones", "Areas")}
            {tab(Panel::Account, "tab-account", "Compte", "Account")}
        </nav>
    }
}

/// A message that goes away when tapped.
#[component]
fn Toast() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    view! {
        <Show when=move || ctx.toast.get().is_some()>
            <div id="toast" role="alert" on:click=move |_| ctx.toast.set(None)>
                {move || ctx.toast.get().unwrap_or_default()}
            </div>
        </Show>
    }
}

/// The map, the position on it, and the card of a tapped camera.
#[component]
fn MapView() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    // Created once the element exists and the overview says where home is.
    let created = StoredValue::new(false);
    Effect::new(move |_| {
        let home = match ctx.overview.get() {
            Some(o) => o.home,
            // In a plain browser there is no shell to ask: open on the demo's area.
            None if !tauri::in_tauri() => [7.4246, 43.7384, 14.0],
            None => return,
        };
        if created.get_value() {
            return;
        }
        created.set_value(true);
        let on_click = move |lon: f64, lat: f64, id: Option<String>| match ctx.pick.get_untracked() {
            Pick::Camera => match id {
                Some(id) => ctx.open_card(id),
                None => ctx.card.set(None),
            },
            Pick::AroundPoint => {
                ctx.point.set(Some([lon, lat]));
                map::set_point(lon, lat);
                ctx.pick.set(Pick::Camera);
            }
            Pick::Pin => {
                screens::place_pin(ctx, lon, lat);
                ctx.pick.set(Pick::Camera);
            }
            Pick::NewCamera => {
                let az = ctx.placement.get_untracked().map(|p| p[2]).unwrap_or(f64::NAN);
                ctx.placement.set(Some([lon, lat, az]));
            }
        };
        let on_ready = move || {
            ctx.map_ready.set(true);
            if tauri::in_tauri() {
                let text = rendered_text();
                leptos::task::spawn_local(async move {
                    let _ = tauri::ui_ready(&text).await;
                });
            }
        };
        if let Err(e) = map::create_map("map", ctx.night.get_untracked(), home, on_click, on_ready) {
            leptos::logging::error!("map: {e:?}");
        }
        ctx.reload_cameras();
    });
    // Cameras again after a sync, an addition, or a new incident time.
    Effect::new(move |_| {
        ctx.cameras_changed.get();
        ctx.incident_at.get();
        if created.get_value() {
            ctx.reload_cameras();
        }
    });
    // The position on the map.
    Effect::new(move |_| match ctx.position.get().and_then(|p| p.fix) {
        Some(f) => map::set_position(f.lon, f.lat, f.accuracy_m.unwrap_or(f64::NAN), f.source == "manual_pin"),
        None if created.get_value() => map::clear_position(),
        None => {}
    });
    view! {
        <div id="map-wrap">
            <div id="map"></div>
            <PositionBadge/>
            <screens::Card/>
        </div>
    }
}

/// Where the position comes from, or why there is none (never silently).
#[component]
fn PositionBadge() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    view! {
        <div id="position" class="badge">
            {move || match ctx.position.get() {
                Some(vigie_view::PositionView { fix: Some(f), .. }) => {
                    let acc = f.accuracy_m.map(|a| format!(" ± {} m", a.round() as i64)).unwrap_or_default();
                    view! {
                        <span class="ok">
                            {format!("{} · {:.5}, {:.5}{} · {}", f.source_label, f.lat, f.lon, acc, f.at_local)}
                        </span>
                    }
                        .into_any()
                }
                Some(p) => {
                    view! {
                        <span class="problem">
                            {ctx.lang.get().pick(&p.problem.unwrap_or_default())}
                            " — "
                            {ctx.t("posez un repère", "drop a pin")}
                        </span>
                    }
                        .into_any()
                }
                None => view! { <span>"…"</span> }.into_any(),
            }}
            <button
                id="pin"
                class="small"
                class:active=move || ctx.pick.get() == Pick::Pin
                on:click=move |_| ctx.pick.set(Pick::Pin)
            >
                {move || ctx.t("Repère", "Pin")}
            </button>
        </div>
    }
}

/// Mounts [`App`] on `<body>`.
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

/// The text the page shows in its header, read back from the DOM, on one line.
fn rendered_text() -> String {
    use wasm_bindgen::JsCast;
    let text = document()
        .query_selector("header .brand")
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        .map(|e| e.inner_text())
        .unwrap_or_default();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
