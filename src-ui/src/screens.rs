//! The panels beside (laptop) or over (phone) the map: "Autour de moi", "Ajouter une
//! caméra privée", "Zones hors ligne", "Compte", and the camera card.

use leptos::prelude::*;
use serde::Serialize;
use vigie_view::{Account, AreaView, Around, AroundRequest, CameraCard, NewPrivateCamera, SyncReport};
use wasm_bindgen::JsValue;

use crate::tauri::{self, NoArgs};
use crate::{fmt, map, Ctx, Panel, Pick};

/// Places the manual pin at `lon, lat` (the officer's position from now on).
pub fn place_pin(ctx: Ctx, lon: f64, lat: f64) {
    #[derive(Serialize)]
    struct Args {
        pin: Option<[f64; 2]>,
    }
    leptos::task::spawn_local(async move {
        if let Err(e) = tauri::call::<(), _>("set_pin", &Args { pin: Some([lon, lat]) }).await {
            ctx.say(&e.message);
        }
    });
}

/// On a phone, reads the OS location every 5 s through tauri-plugin-geolocation and
/// hands each reading to the shell, which judges it (a desktop's (0, 0) is refused there).
pub fn watch_device_position(ctx: Ctx) {
    let asked = StoredValue::new(false);
    let read = move || {
        if !ctx.overview.get_untracked().is_some_and(|o| o.mobile) {
            return;
        }
        leptos::task::spawn_local(async move {
            // The OS asks the officer once (the usage text is in the mobile configuration).
            if !asked.get_value() {
                asked.set_value(true);
                #[derive(Serialize)]
                struct Ask {
                    permissions: [&'static str; 1],
                }
                if let Err(e) = tauri::call::<serde::de::IgnoredAny, _>(
                    "plugin:geolocation|request_permissions",
                    &Ask { permissions: ["location"] },
                )
                .await
                {
                    ctx.say(&format!("localisation refusée / location refused: {}", e.message));
                }
            }
            #[derive(Serialize)]
            #[serde(rename_all = "camelCase")]
            struct Options {
                enable_high_accuracy: bool,
                timeout: u32,
                maximum_age: u32,
            }
            #[derive(Serialize)]
            struct Args {
                options: Options,
            }
            #[derive(serde::Deserialize)]
            struct Coords {
                latitude: f64,
                longitude: f64,
                accuracy: Option<f64>,
            }
            #[derive(serde::Deserialize)]
            struct Position {
                coords: Coords,
                timestamp: Option<f64>,
            }
            #[derive(Serialize)]
            #[serde(rename_all = "camelCase")]
            struct Report {
                lat: f64,
                lon: f64,
                accuracy_m: Option<f64>,
                timestamp_ms: Option<i64>,
            }
            let args = Args { options: Options { enable_high_accuracy: true, timeout: 10_000, maximum_age: 0 } };
            if let Ok(p) = tauri::call::<Position, _>("plugin:geolocation|get_current_position", &args).await {
                let report = Report {
                    lat: p.coords.latitude,
                    lon: p.coords.longitude,
                    accuracy_m: p.coords.accuracy,
                    timestamp_ms: p.timestamp.map(|t| t as i64),
                };
                let _ = tauri::call::<(), _>("report_device_fix", &report).await;
            }
        })
    };
    set_interval(read, std::time::Duration::from_secs(5));
}

/// The open panel.
#[component]
pub fn Panels() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    view! {
        <Show when=move || ctx.panel.get() != Panel::Map>
            <aside id="panel">
                {move || match ctx.panel.get() {
                    Panel::Around => view! { <AroundPanel/> }.into_any(),
                    Panel::Add => view! { <AddPanel/> }.into_any(),
                    Panel::Areas => view! { <AreasPanel/> }.into_any(),
                    Panel::Account => view! { <AccountPanel/> }.into_any(),
                    Panel::Draft => view! { <crate::requisition::DraftPanel/> }.into_any(),
                    Panel::Outbox => view! { <crate::requisition::OutboxPanel/> }.into_any(),
                    Panel::Review => view! { <crate::requisition::ReviewPanel/> }.into_any(),
                    Panel::Live => view! { <crate::live::LivePanel/> }.into_any(),
                    Panel::Map => ().into_any(),
                }}
            </aside>
        </Show>
    }
}

fn status_fr(ctx: Ctx, status: &str) -> &'static str {
    match status {
        "operational" => ctx.t("en service", "operational"),
        "out_of_order" => ctx.t("hors service", "out of order"),
        _ => ctx.t("état inconnu", "status unknown"),
    }
}

fn private_fr(ctx: Ctx, state: &str) -> &'static str {
    match state {
        "pending" => ctx.t("en attente d'envoi", "waiting to be sent"),
        "submitted" => ctx.t("envoyée, en modération", "sent, in moderation"),
        "accepted" => ctx.t("acceptée", "accepted"),
        "merged" => ctx.t("fusionnée avec une caméra connue", "merged with a known camera"),
        "refused" => ctx.t("refusée", "refused"),
        _ => "",
    }
}

/// The card of the tapped camera.
#[component]
pub fn Card() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    view! {
        {move || {
            ctx.card
                .get()
                .map(|c: CameraCard| {
                    let urgency = format!("urgency {}", c.urgency);
                    view! {
                        <section id="card" class=format!("card kind-{}", c.kind)>
                            <button class="close" on:click=move |_| ctx.card.set(None)>"×"</button>
                            <h2>{c.title.clone()}</h2>
                            <p class="holder">
                                <b>{ctx.t("Détenteur : ", "Holder: ")}</b>
                                {c.holder.clone().unwrap_or_else(|| ctx.t("inconnu", "unknown").into())}
                                {c.holder_contact.clone().map(|h| format!(" — {h}"))}
                            </p>
                            <p class=format!("status status-{}", c.status)>
                                {status_fr(ctx, &c.status)}
                                {c
                                    .verified_local
                                    .clone()
                                    .map(|v| format!(" ({} {v})", ctx.t("vérifié le", "verified")))}
                            </p>
                            <p class=urgency id="card-erased">{c.erased_text.clone()}</p>
                            {
                                let id = c.id.clone();
                                view! {
                                    <button
                                        id="card-draft"
                                        class="primary"
                                        on:click=move |_| crate::requisition::start_draft(ctx, vec![id.clone()])
                                    >
                                        {ctx.t("Rédiger une réquisition", "Draft a requisition")}
                                    </button>
                                }
                            }
                            <p class="retention">
                                {format!("{} {}", ctx.t("Conservation :", "Retention:"), c.retention_days)}
                                {ctx.t(" jours", " days")}
                                {(!c.retention_known).then(|| ctx.t(" (supposée)", " (assumed)"))}
                            </p>
                            {c
                                .private_state
                                .clone()
                                .map(|s| {
                                    view! {
                                        <p class=format!("private private-{s}")>
                                            {ctx.t("Caméra privée : ", "Private camera: ")}
                                            {private_fr(ctx, &s)}
                                            {c.note.clone().map(|n| format!(" — {n}"))}
                                        </p>
                                    }
                                })}
                        </section>
                    }
                })
        }}
    }
}

/// "Autour de moi": the cameras near my position, or a point pressed on the map.
#[component]
fn AroundPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let only_seeing = RwSignal::new(false);
    let radius = RwSignal::new(300.0);
    let result = RwSignal::new(None::<Around>);
    let error = RwSignal::new(None::<String>);
    let load = move || {
        let request = AroundRequest {
            point: ctx.point.get_untracked(),
            at: ctx.incident_at.get_untracked(),
            radius_m: radius.get_untracked(),
            only_seeing: only_seeing.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            #[derive(Serialize)]
            struct Args {
                request: AroundRequest,
            }
            match tauri::call::<Around, _>("around", &Args { request }).await {
                Ok(a) => {
                    result.set(Some(a));
                    error.set(None);
                }
                Err(e) => {
                    result.set(None);
                    error.set(Some(ctx.lang.get_untracked().pick(&e.message)));
                }
            }
        });
    };
    // Where the officer is, to the metre: a new reading of the same place (gpsd sends one
    // a second) does not reload the list.
    let here = Memo::new(move |_| {
        ctx.position.get().and_then(|p| p.fix).map(|f| ((f.lat * 1e5).round() as i64, (f.lon * 1e5).round() as i64))
    });
    // Again whenever the point, the filter, the time, the cameras or the position change.
    Effect::new(move |_| {
        ctx.point.get();
        only_seeing.get();
        radius.get();
        ctx.incident_at.get();
        ctx.cameras_changed.get();
        if ctx.point.get_untracked().is_none() {
            here.get();
        }
        load();
    });
    view! {
        <h2>{move || ctx.t("Autour de moi", "Around me")}</h2>
        <div class="row">
            <button
                id="around-pick"
                class:active=move || ctx.pick.get() == Pick::AroundPoint
                on:click=move |_| ctx.pick.set(Pick::AroundPoint)
            >
                {move || ctx.t("Choisir un point sur la carte", "Pick a point on the map")}
            </button>
            <Show when=move || ctx.point.get().is_some()>
                <button
                    id="around-me"
                    on:click=move |_| {
                        ctx.point.set(None);
                        map::clear_point();
                    }
                >
                    {move || ctx.t("Ma position", "My position")}
                </button>
            </Show>
        </div>
        <div class="row">
            <label>
                <input
                    type="checkbox"
                    id="only-seeing"
                    prop:checked=move || only_seeing.get()
                    on:change=move |ev| only_seeing.set(event_target_checked(&ev))
                />
                {move || ctx.t(" pouvaient voir ce point", " could see this point")}
            </label>
            <label>
                {move || ctx.t("Rayon ", "Radius ")}
                <select id="radius" on:change=move |ev| radius.set(event_target_value(&ev).parse().unwrap_or(300.0))>
                    <option value="100">"100 m"</option>
                    <option value="300" selected>"300 m"</option>
                    <option value="1000">"1 km"</option>
                    <option value="3000">"3 km"</option>
                </select>
            </label>
        </div>
        <IncidentTime/>
        <p class="error">{move || error.get()}</p>
        {move || {
            result
                .get()
                .map(|a| {
                    let count = a.rows.len();
                    let seeing: Vec<String> = a
                        .rows
                        .iter()
                        .filter(|r| r.visibility.is_some())
                        .map(|r| r.camera.id.clone())
                        .collect();
                    let any_seeing = !seeing.is_empty();
                    view! {
                        {any_seeing.then(|| view! {
                            <button
                                id="around-draft"
                                class="primary"
                                on:click=move |_| crate::requisition::start_draft(ctx, seeing.clone())
                            >
                                {ctx.t("Rédiger pour les caméras qui voyaient", "Draft for the cameras that saw it")}
                            </button>
                        })}
                        <p class="around-point">
                            {format!("{} · {} · ", a.point_label, a.at_local)}
                            {format!("{count} ")}
                            {ctx.t("caméra(s)", "camera(s)")}
                        </p>
                        <ol id="around-list">
                            {a
                                .rows
                                .into_iter()
                                .map(|r| {
                                    let id = r.camera.id.clone();
                                    let (lon, lat) = (r.camera.lon, r.camera.lat);
                                    let sees = match r.visibility.as_deref() {
                                        Some("in_view") => ctx.t("voyait ce point", "saw this point"),
                                        Some("possible") => ctx.t("pouvait voir (orientable)", "could see (can turn)"),
                                        _ => ctx.t("ne voyait pas ce point", "did not see this point"),
                                    };
                                    view! {
                                        <li
                                            data-id=id.clone()
                                            class=format!("urgency-{}", r.camera.urgency)
                                            on:click=move |_| {
                                                map::fly_to(lon, lat, 17.0);
                                                ctx.open_card(id.clone());
                                            }
                                        >
                                            <span class="dist">
                                                {format!("{} {}", fmt::distance(r.distance_m), r.compass)}
                                            </span>
                                            <span class="title">{r.camera.title.clone()}</span>
                                            <span class=format!(
                                                "sees sees-{}",
                                                r.visibility.clone().unwrap_or_else(|| "no".into()),
                                            )>{sees}</span>
                                            <span class="erased">{r.camera.erased_text.clone()}</span>
                                            {
                                                let id = r.camera.id.clone();
                                                view! {
                                                    <button
                                                        class="draft small"
                                                        on:click=move |ev| {
                                                            ev.stop_propagation();
                                                            crate::requisition::start_draft(ctx, vec![id.clone()]);
                                                        }
                                                    >
                                                        {ctx.t("Réquisition", "Requisition")}
                                                    </button>
                                                }
                                            }
                                            {r.camera.private_state.clone().map(|s| view! {
                                                <span class="private">{private_fr(ctx, &s)}</span>
                                            })}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ol>
                    }
                })
        }}
    }
}

/// The incident time (defaults to now), which the map, the cards and the list use.
#[component]
fn IncidentTime() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    view! {
        <label class="incident">
            {move || ctx.t("Heure des faits ", "Incident time ")}
            <input
                type="datetime-local"
                id="incident-at"
                on:change=move |ev| {
                    let v = event_target_value(&ev);
                    ctx.incident_at.set(local_to_rfc3339(&v));
                }
            />
        </label>
    }
}

/// A `datetime-local` value (the device's local time) as RFC 3339 in UTC, through JS Date.
fn local_to_rfc3339(v: &str) -> Option<String> {
    if v.is_empty() {
        return None;
    }
    let d = js_sys::Date::new(&JsValue::from_str(v));
    let ms = d.get_time();
    ms.is_finite().then(|| String::from(d.to_iso_string()))
}

/// "Ajouter une caméra privée".
#[component]
fn AddPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let holder = RwSignal::new(String::new());
    let contact = RwSignal::new(String::new());
    let camera_type = RwSignal::new("fixed".to_string());
    let retention = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let saved = RwSignal::new(None::<CameraCard>);
    let source = RwSignal::new("manual_pin".to_string());
    // Start at my position when there is one; the officer drags it where the camera is.
    if ctx.placement.get_untracked().is_none() {
        if let Some(f) = ctx.position.get_untracked().and_then(|p| p.fix) {
            ctx.placement.set(Some([f.lon, f.lat, f64::NAN]));
            source.set(f.source.clone());
        }
    }
    Effect::new(move |_| match ctx.placement.get() {
        Some([lon, lat, az]) => map::set_placement(lon, lat, az, move |lon, lat, az| {
            ctx.placement.set(Some([lon, lat, az]));
            source.set("manual_pin".into());
        }),
        None => map::clear_placement(),
    });
    on_cleanup(map::clear_placement);
    let save = move |_| {
        let Some([lon, lat, az]) = ctx.placement.get_untracked() else {
            ctx.say("touchez la carte où est la caméra / tap the map where the camera is");
            return;
        };
        let camera = NewPrivateCamera {
            lat,
            lon,
            position_source: source.get_untracked(),
            azimuth_deg: az.is_finite().then_some(az),
            camera_type: camera_type.get_untracked(),
            holder_name: holder.get_untracked(),
            holder_contact: contact.get_untracked(),
            retention_days: retention.get_untracked().trim().parse().ok(),
            note: note.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            #[derive(Serialize)]
            struct Args {
                camera: NewPrivateCamera,
            }
            match tauri::call::<CameraCard, _>("add_private_camera", &Args { camera }).await {
                Ok(card) => {
                    saved.set(Some(card));
                    ctx.placement.set(None);
                    holder.set(String::new());
                    contact.set(String::new());
                    note.set(String::new());
                    ctx.cameras_changed.update(|n| *n += 1);
                    ctx.refresh_overview();
                }
                Err(e) => ctx.say(&e.message),
            }
        });
    };
    let input = |id: &'static str, sig: RwSignal<String>| {
        view! { <input id=id prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev))/> }
    };
    view! {
        <h2>{move || ctx.t("Ajouter une caméra privée", "Add a private camera")}</h2>
        <p class="hint">
            {move || ctx.t(
                "Touchez la carte à l'emplacement de la caméra, puis faites glisser la poignée vers ce qu'elle filme.",
                "Tap the map where the camera is, then drag the handle towards what it films.",
            )}
        </p>
        <p id="add-where">
            {move || match ctx.placement.get() {
                Some([lon, lat, az]) => {
                    let dir = if az.is_finite() {
                        format!(" · {} {:.0}°", ctx.t("direction", "direction"), az)
                    } else {
                        format!(" · {}", ctx.t("direction inconnue", "direction unknown"))
                    };
                    format!("{lat:.5}, {lon:.5}{dir}")
                }
                None => ctx.t("Position : à choisir sur la carte", "Position: pick it on the map").to_string(),
            }}
        </p>
        <label>
            {move || ctx.t("Direction (°)", "Direction (°)")}
            <input
                id="add-azimuth"
                type="number"
                min="0"
                max="359"
                prop:value=move || ctx.placement.get().map(|p| p[2]).filter(|a| a.is_finite()).map(|a| format!("{a:.0}")).unwrap_or_default()
                on:change=move |ev| {
                    let az: f64 = event_target_value(&ev).parse().unwrap_or(f64::NAN);
                    ctx.placement.update(|p| if let Some(p) = p { p[2] = az });
                }
            />
        </label>
        <label>
            {move || ctx.t("Type", "Type")}
            <select id="add-type" on:change=move |ev| camera_type.set(event_target_value(&ev))>
                <option value="fixed" selected>{move || ctx.t("fixe", "fixed")}</option>
                <option value="dome">{move || ctx.t("dôme", "dome")}</option>
                <option value="panning">{move || ctx.t("orientable", "panning")}</option>
                <option value="unknown">{move || ctx.t("inconnu", "unknown")}</option>
            </select>
        </label>
        <label>{move || ctx.t("Détenteur (commerce, banque…)", "Holder (shop, bank…)")} {input("add-holder", holder)}</label>
        <label>{move || ctx.t("Contact (téléphone ou e-mail)", "Contact (phone or e-mail)")} {input("add-contact", contact)}</label>
        <label>{move || ctx.t("Conservation (jours, si connue)", "Retention (days, if known)")} {input("add-retention", retention)}</label>
        <label>{move || ctx.t("Note", "Note")} {input("add-note", note)}</label>
        <button id="add-save" class="primary" on:click=save>{move || ctx.t("Enregistrer", "Save")}</button>
        {move || saved.get().map(|c| view! {
            <p id="add-saved" class="ok">
                {ctx.t("Enregistrée sur l'appareil : ", "Saved on the device: ")}
                {c.title.clone()}
                " — "
                {private_fr(ctx, c.private_state.as_deref().unwrap_or("pending"))}
            </p>
        })}
    }
}

/// "Zones hors ligne": the platform's areas with their size; download with progress
/// (pause and resume), the areas on the device, delete.
#[component]
fn AreasPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let areas = RwSignal::new(Vec::<AreaView>::new());
    let progress = ctx.downloads;
    let error = RwSignal::new(None::<String>);
    let load = move || {
        leptos::task::spawn_local(async move {
            match tauri::call::<Vec<AreaView>, _>("areas", &NoArgs {}).await {
                Ok(a) => areas.set(a),
                Err(e) => error.set(Some(ctx.lang.get_untracked().pick(&e.message))),
            }
        })
    };
    // Now, and again whenever a download ends.
    Effect::new(move |_| {
        ctx.areas_changed.get();
        load();
    });
    #[derive(Serialize)]
    struct Id {
        id: String,
    }
    let download = move |id: String| {
        leptos::task::spawn_local(async move {
            if let Err(e) = tauri::call::<(), _>("download_area", &Id { id }).await {
                ctx.say(&e.message);
            }
        })
    };
    view! {
        <h2>{move || ctx.t("Zones hors ligne", "Offline areas")}</h2>
        <p class="error">{move || error.get()}</p>
        <ul id="areas">
            {move || {
                areas
                    .get()
                    .into_iter()
                    .map(|a| {
                        let id = a.id.clone();
                        let (id1, id2, id3) = (id.clone(), id.clone(), id.clone());
                        let p = Memo::new(move |_| progress.get().get(&id1).cloned());
                        let downloading = a.downloading;
                        let running = Signal::derive(move || {
                            p.get().map(|p| p.state == "running").unwrap_or(downloading)
                        });
                        view! {
                            <li data-id=a.id.clone() class:on-device=a.on_device>
                                <b>{a.name.clone()}</b>
                                {format!(" — {}", fmt::bytes(a.bytes))}
                                {a.on_device.then(|| view! { <span class="ok">{ctx.t(" · sur l'appareil", " · on the device")}</span> })}
                                {(!a.on_device && a.partial_bytes > 0).then(|| format!(
                                    " · {} {}",
                                    fmt::bytes(a.partial_bytes),
                                    ctx.t("déjà téléchargés", "already downloaded"),
                                ))}
                                {move || p.get().map(|p| view! {
                                    <progress max="100" value=fmt::percent(p.done, p.total)></progress>
                                    <span class="pct">{format!("{} %", fmt::percent(p.done, p.total))}</span>
                                    {p.message.map(|m| view! { <span class="error">{m}</span> })}
                                })}
                                <div class="row">
                                    <Show when=move || !a.on_device && a.on_platform && !running.get()>
                                        {
                                            let id = id2.clone();
                                            view! {
                                                <button class="primary download" on:click=move |_| download(id.clone())>
                                                    {move || if a.partial_bytes > 0 { ctx.t("Reprendre", "Resume") } else { ctx.t("Télécharger", "Download") }}
                                                </button>
                                            }
                                        }
                                    </Show>
                                    <Show when=move || running.get()>
                                        {
                                            let id = id3.clone();
                                            view! {
                                                <button class="pause" on:click=move |_| {
                                                    let id = id.clone();
                                                    leptos::task::spawn_local(async move {
                                                        let _ = tauri::call::<(), _>("pause_download", &Id { id }).await;
                                                    });
                                                }>{move || ctx.t("Pause", "Pause")}</button>
                                            }
                                        }
                                    </Show>
                                    <Show when=move || a.on_device>
                                        {
                                            let id = id.clone();
                                            view! {
                                                <button class="delete" on:click=move |_| {
                                                    let id = id.clone();
                                                    leptos::task::spawn_local(async move {
                                                        match tauri::call::<(), _>("delete_area", &Id { id }).await {
                                                            Ok(()) => load(),
                                                            Err(e) => ctx.say(&e.message),
                                                        }
                                                    });
                                                }>{move || ctx.t("Supprimer", "Delete")}</button>
                                            }
                                        }
                                    </Show>
                                </div>
                            </li>
                        }
                    })
                    .collect_view()
            }}
        </ul>
    }
}

/// Enrolment and sync.
#[component]
fn AccountPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let server = RwSignal::new("http://127.0.0.1:8787".to_string());
    let rio = RwSignal::new(String::new());
    let device = RwSignal::new(String::new());
    let pin = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let last = RwSignal::new(None::<SyncReport>);
    let enrol = move |_| {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Args {
            server: String,
            rio: String,
            device_name: String,
            pin: String,
        }
        let args = Args {
            server: server.get_untracked(),
            rio: rio.get_untracked(),
            device_name: device.get_untracked(),
            pin: pin.get_untracked(),
        };
        pin.set(String::new());
        busy.set(true);
        leptos::task::spawn_local(async move {
            if let Err(e) = tauri::call::<Account, _>("enrol", &args).await {
                ctx.say(&e.message);
            }
            busy.set(false);
            ctx.refresh_overview();
        });
    };
    let sync = move |_| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            match tauri::call::<SyncReport, _>("sync", &NoArgs {}).await {
                Ok(r) => last.set(Some(r)),
                Err(e) => ctx.say(&e.message),
            }
            busy.set(false);
            ctx.refresh_overview();
            ctx.cameras_changed.update(|n| *n += 1);
        });
    };
    let unlock = move |_| {
        #[derive(Serialize)]
        struct Args {
            pin: String,
        }
        let args = Args { pin: pin.get_untracked() };
        pin.set(String::new());
        busy.set(true);
        leptos::task::spawn_local(async move {
            match tauri::call::<(), _>("unlock", &args).await {
                Ok(()) => ctx.say("appareil déverrouillé / device unlocked"),
                Err(e) => ctx.say(&e.message),
            }
            busy.set(false);
            ctx.refresh_overview();
        });
    };
    let input = |id: &'static str, sig: RwSignal<String>| {
        view! { <input id=id prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev))/> }
    };
    let secret = move |id: &'static str| {
        view! {
            <input
                id=id
                type="password"
                inputmode="numeric"
                autocomplete="off"
                prop:value=move || pin.get()
                on:input=move |ev| pin.set(event_target_value(&ev))
            />
        }
    };
    view! {
        <h2>{move || ctx.t("Compte et synchronisation", "Account and sync")}</h2>
        <Show when=move || ctx.overview.get().is_some_and(|o| o.locked)>
            <p id="locked" class="pending">
                {move || ctx.t(
                    "Clé de l'appareil verrouillée : la consultation hors ligne reste possible, la synchronisation demande votre code PIN.",
                    "Device key locked: offline browsing works; syncing needs your PIN.",
                )}
            </p>
            <label>{move || ctx.t("Code PIN", "PIN")} {secret("unlock-pin")}</label>
            <button id="unlock" class="primary" disabled=move || busy.get() on:click=unlock>
                {move || ctx.t("Déverrouiller", "Unlock")}
            </button>
        </Show>
        {move || match ctx.overview.get().map(|o| o.account) {
            None | Some(Account::NotEnrolled) => view! {
                <p>{ctx.t("Cet appareil n'est pas inscrit.", "This device is not enrolled.")}</p>
                <label>{ctx.t("Adresse du serveur", "Server address")} {input("server", server)}</label>
                <label>"RIO" {input("rio", rio)}</label>
                <label>{ctx.t("Nom de l'appareil", "Device name")} {input("device-name", device)}</label>
                <label>
                    {ctx.t("Code PIN (6 chiffres ou plus ; il protège votre clé de signature)", "PIN (6 digits or more; it protects your signing key)")}
                    {secret("enrol-pin")}
                </label>
                <button id="enrol" class="primary" disabled=move || busy.get() on:click=enrol>
                    {ctx.t("Demander l'inscription", "Request enrolment")}
                </button>
            }
            .into_any(),
            Some(Account::Pending { server, rio, device_id }) => view! {
                <p id="account-state" class="pending">
                    {ctx.t("Demande envoyée, en attente d'approbation par un administrateur", "Request sent, awaiting an administrator's approval")}
                    {format!(" — {server} · RIO {rio} · {} {device_id}", ctx.t("appareil n°", "device #"))}
                </p>
                <button id="sync" disabled=move || busy.get() on:click=sync>{ctx.t("Vérifier maintenant", "Check now")}</button>
            }
            .into_any(),
            Some(Account::Enrolled { server, rio, device_id }) => view! {
                <p id="account-state" class="ok">
                    {ctx.t("Inscrit", "Enrolled")}
                    {format!(" — {server} · RIO {rio} · {} {device_id}", ctx.t("appareil n°", "device #"))}
                </p>
                <button id="sync" class="primary" disabled=move || busy.get() on:click=sync>
                    {move || if busy.get() { ctx.t("Synchronisation…", "Syncing…") } else { ctx.t("Synchroniser", "Sync now") }}
                </button>
            }
            .into_any(),
            Some(Account::Refused { server, message }) => view! {
                <p id="account-state" class="error">
                    {ctx.t("Inscription refusée ou révoquée", "Enrolment refused or revoked")}
                    {format!(" — {server}: {message}")}
                </p>
            }
            .into_any(),
        }}
        <Show when=move || busy.get()>
            <progress id="sync-progress"></progress>
        </Show>
        <p id="link-message">
            {move || ctx.overview.get().and_then(|o| o.link.last_message.map(|m| {
                format!("{} — {}", o.link.last_attempt_local.unwrap_or_default(), ctx.lang.get().pick(&m))
            }))}
        </p>
        {move || last.get().map(|r| view! {
            <p id="sync-report">
                {format!("{} {} · ", ctx.t("Version", "Version"), r.version)}
                {format!("{} {} · ", r.cameras, ctx.t("caméras", "cameras"))}
                {format!("{} {} · ", r.submitted, ctx.t("caméras privées envoyées", "private cameras sent"))}
                {format!("{} {}", r.decided, ctx.t("décisions reçues", "decisions received"))}
            </p>
        })}
    }
}
