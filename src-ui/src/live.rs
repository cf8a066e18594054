//! « En direct »: the body-cam streams my unit may watch (the supervision centre decides
//! which), their body-cams on the map, and the player (`live/player.js`: WHEP where the
//! webview has WebRTC, the relay's WebSocket into Media Source Extensions elsewhere).
//! Every view is logged by the platform. The CSU operator (role `csu_operator`) also
//! manages each stream here: which units may watch it and why, and the end of its relay.

use std::cell::RefCell;

use leptos::prelude::*;
use serde::Serialize;
use vigie_view::{LiveControl, LiveItem};
use wasm_bindgen::prelude::*;

use crate::{fmt, map, tauri, Ctx};

#[wasm_bindgen(module = "/src/live/player.js")]
extern "C" {
    #[wasm_bindgen(js_name = startPlayer)]
    fn start_player_raw(stream_id: &str, on_state: &Closure<dyn FnMut(String, String)>);
    /// Stops the player and closes its socket.
    #[wasm_bindgen(js_name = stopPlayer)]
    fn stop_player();
}

/// The player's state callback: `(state, detail)`.
type OnState = Closure<dyn FnMut(String, String)>;

thread_local! {
    /// The running player's state callback (replaced at each start).
    static ON_STATE: RefCell<Option<OnState>> = const { RefCell::new(None) };
}

fn start_player(stream_id: &str, on_state: impl FnMut(String, String) + 'static) {
    let c = OnState::new(on_state);
    start_player_raw(stream_id, &c);
    ON_STATE.with(|s| *s.borrow_mut() = Some(c));
}

/// The body-cams as map points (a GeoJSON FeatureCollection).
fn geojson(items: &[LiveItem]) -> JsValue {
    #[derive(Serialize)]
    struct Geometry {
        r#type: &'static str,
        coordinates: [f64; 2],
    }
    #[derive(Serialize)]
    struct Properties<'a> {
        id: &'a str,
        label: &'a str,
        state: &'a str,
    }
    #[derive(Serialize)]
    struct Feature<'a> {
        r#type: &'static str,
        geometry: Geometry,
        properties: Properties<'a>,
    }
    #[derive(Serialize)]
    struct Collection<'a> {
        r#type: &'static str,
        features: Vec<Feature<'a>>,
    }
    let features = items
        .iter()
        .filter_map(|i| {
            Some(Feature {
                r#type: "Feature",
                geometry: Geometry { r#type: "Point", coordinates: i.position? },
                properties: Properties { id: &i.id, label: &i.label, state: &i.state },
            })
        })
        .collect();
    Collection { r#type: "FeatureCollection", features }
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
}

/// What the player's state reads as.
fn state_text(ctx: Ctx, state: &str) -> &'static str {
    match state {
        "live" => ctx.t("En direct", "Live"),
        "interrupted" => ctx.t("Flux interrompu", "Stream interrupted"),
        "reconnecting" => ctx.t("Reconnexion…", "Reconnecting…"),
        "ended" => ctx.t("Diffusion terminée", "Relay ended"),
        "error" => ctx.t("Lecture impossible", "Cannot play"),
        _ => ctx.t("Connexion…", "Connecting…"),
    }
}

/// The streams I may watch, their body-cams put on the map.
async fn fetch_streams() -> Result<Vec<LiveItem>, String> {
    let v = tauri::call::<Vec<LiveItem>, _>("live_streams", &tauri::NoArgs {}).await.map_err(|e| e.message)?;
    map::set_bodycams(geojson(&v));
    Ok(v)
}

/// Keeps the body-cams on the map while « En direct » is closed (it refreshes them every
/// 2 s while open); offline or not yet enrolled, the map keeps what it had.
pub fn refresh_bodycams() {
    leptos::task::spawn_local(async move {
        let _ = fetch_streams().await;
    })
}

/// The panel: the list, and the player over it while watching.
#[component]
pub fn LivePanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let items = RwSignal::new(Vec::<LiveItem>::new());
    let problem = RwSignal::new(None::<String>);
    let watching = RwSignal::new(None::<LiveItem>);
    let player = RwSignal::new((String::from("connecting"), String::new()));
    let load = move || {
        leptos::task::spawn_local(async move {
            match fetch_streams().await {
                Ok(v) => {
                    problem.set(None);
                    items.set(v);
                }
                Err(e) => problem.set(Some(e)),
            }
        })
    };
    load();
    // The body-cams move while they stream.
    let poll = set_interval_with_handle(load, std::time::Duration::from_secs(2)).ok();
    on_cleanup(move || {
        if let Some(h) = poll {
            h.clear();
        }
        stop_player();
    });
    let watch = move |item: LiveItem| {
        player.set(("connecting".into(), String::new()));
        let id = item.id.clone();
        // The player finds its <video> once this draws it.
        watching.set(Some(item));
        start_player(&id, move |state, detail| player.set((state, detail)));
    };
    let close = move |_| {
        stop_player();
        watching.set(None);
    };
    // The operator's panel for one stream (its inputs outlive the list's refreshes).
    let operator = move || ctx.overview.get().and_then(|o| o.role).as_deref() == Some("csu_operator");
    let managing = RwSignal::new(None::<String>);
    let managed = move || managing.get().and_then(|id| items.get().into_iter().find(|i| i.id == id));
    let unit = RwSignal::new(String::new());
    let motif = RwSignal::new(String::new());
    let confirm_end = RwSignal::new(false);
    let control_problem = RwSignal::new(None::<String>);
    let control = move |control: LiveControl| {
        let Some(id) = managing.get_untracked() else { return };
        leptos::task::spawn_local(async move {
            #[derive(Serialize)]
            struct Args {
                id: String,
                control: LiveControl,
            }
            let ended = control == LiveControl::End;
            match tauri::call::<(), _>("live_control", &Args { id, control }).await {
                Ok(()) => {
                    control_problem.set(None);
                    unit.set(String::new());
                    motif.set(String::new());
                    if ended {
                        managing.set(None);
                    }
                    load();
                }
                Err(e) => control_problem.set(Some(e.message)),
            }
            confirm_end.set(false);
        })
    };
    view! {
        <h2>{move || ctx.t("En direct", "Live")}</h2>
        <p class="hint">
            {move || if operator() {
                ctx.t(
                    "Caméras-piétons reçues par le CSU : « Gérer » décide quelles unités peuvent les regarder. Chaque visionnage est journalisé.",
                    "Body-cams the supervision centre receives: « Manage » decides which units may watch them. Every view is logged.",
                )
            } else {
                ctx.t(
                    "Caméras-piétons relayées par le CSU à votre unité. Chaque visionnage est journalisé.",
                    "Body-cams the supervision centre relays to your unit. Every view is logged.",
                )
            }}
        </p>
        <Show when=move || problem.get().is_some()>
            <p id="live-problem" class="problem">{move || problem.get().unwrap_or_default()}</p>
        </Show>
        <Show when=move || watching.get().is_some()>
            <div id="live-player" class=move || format!("state-{}", player.get().0)>
                // The player puts its <video> here (a new one at each reconnection).
                <div id="live-screen"></div>
                <div id="live-time" class="overlay"></div>
                <div id="live-status" class="overlay">
                    {move || state_text(ctx, &player.get().0)}
                    {move || { let d = player.get().1; (!d.is_empty()).then(|| format!(" — {d}")) }}
                </div>
                <div id="live-motif">{move || watching.get().map(|w| format!("{} — {}", w.label, w.motif))}</div>
                <button id="live-close" on:click=close>{move || ctx.t("Fermer", "Close")}</button>
            </div>
        </Show>
        <Show when=move || managed().is_some()>
            <section id="live-manage">
                <h3>{move || managed().map(|m| m.label)}</h3>
                <p class="hint">{move || ctx.t(
                    "Unités autorisées à regarder ce flux (chaque visionnage est journalisé avec le motif) :",
                    "Units allowed to watch this stream (every view is logged with the motif):",
                )}</p>
                <ul id="live-grants">
                    {move || managed().map(|m| m.grants).unwrap_or_default().into_iter().map(|g| {
                        let revoked = g.unit.clone();
                        view! {
                            <li data-unit=g.unit.clone()>
                                <strong>{g.unit.clone()}</strong>" — "{g.motif.clone()}" "<small>{format!("({})", g.by)}</small>
                                <button class="revoke" on:click=move |_| control(LiveControl::Revoke { unit: revoked.clone() })>
                                    {move || ctx.t("Retirer", "Revoke")}
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <form id="live-grant" on:submit=move |ev| {
                    ev.prevent_default();
                    control(LiveControl::Grant { unit: unit.get_untracked(), motif: motif.get_untracked() });
                }>
                    <label>{move || ctx.t("Unité (code)", "Unit (code)")}
                        <input id="grant-unit" prop:value=move || unit.get() on:input=move |ev| unit.set(event_target_value(&ev))/>
                    </label>
                    <label>{move || ctx.t("Motif (l'intervention)", "Motif (the intervention)")}
                        <input id="grant-motif" prop:value=move || motif.get() on:input=move |ev| motif.set(event_target_value(&ev))/>
                    </label>
                    <button id="grant-submit" class="primary" type="submit">{move || ctx.t("Autoriser", "Allow")}</button>
                </form>
                <Show when=move || control_problem.get().is_some()>
                    <p id="live-manage-problem" class="problem">{move || control_problem.get().unwrap_or_default()}</p>
                </Show>
                <button id="live-end" class="danger" on:click=move |_| {
                    if confirm_end.get_untracked() { control(LiveControl::End) } else { confirm_end.set(true) }
                }>
                    {move || if confirm_end.get() {
                        ctx.t("Confirmer : terminer le relais pour tous", "Confirm: end the relay for everyone")
                    } else {
                        ctx.t("Terminer le relais", "End the relay")
                    }}
                </button>
                <button id="live-manage-close" on:click=move |_| { managing.set(None); confirm_end.set(false); }>
                    {move || ctx.t("Fermer", "Close")}
                </button>
            </section>
        </Show>
        <ul id="live">
            {move || items.get().into_iter().map(|i| {
                let item = i.clone();
                let manage_id = i.id.clone();
                let near = i.from_me.clone().map(|(m, dir)| format!("{} {dir}", fmt::distance(m)));
                view! {
                    <li data-id=i.id.clone() class=format!("state-{}", i.state)>
                        <span class="label">{i.label.clone()}</span>
                        <span class="state">{i.state_text.clone()}</span>
                        <span class="motif">{i.motif.clone()}</span>
                        <span class="where">
                            {near}
                            {i.position_time.clone().map(|t| format!(" ({t})"))}
                        </span>
                        <button class="watch primary" on:click=move |_| watch(item.clone())>
                            {move || ctx.t("Regarder", "Watch")}
                        </button>
                        <Show when=operator>
                            <button class="manage" on:click={
                                let id = manage_id.clone();
                                move |_| {
                                    control_problem.set(None);
                                    confirm_end.set(false);
                                    managing.set(Some(id.clone()));
                                }
                            }>
                                {move || ctx.t("Gérer", "Manage")}
                            </button>
                        </Show>
                    </li>
                }
            }).collect_view()}
        </ul>
        <Show when=move || items.get().is_empty() && problem.get().is_none()>
            <p id="live-empty">{move || ctx.t("Aucun flux relayé à votre unité.", "No stream relayed to your unit.")}</p>
        </Show>
    }
}
