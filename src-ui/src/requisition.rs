//! Requisitions: « Rédiger » (one draft per holder, checked as it is typed, signed with
//! the PIN), « Envois » (the outbox, a document's history, its PDF, cancel, amend) and
//! « Relecture » (a supervisor countersigns or returns the unit's documents, most urgent
//! first). The shell checks and signs; this only shows and sends.

use leptos::prelude::*;
use serde::Serialize;
use vigie_view::{DocumentView, DraftForm, DraftProblem, DraftRequest, OutboxItem, ReviewItem, SignRequest};

use crate::tauri;
use crate::{Ctx, Panel};

/// Asks the shell for drafts of `cameras` (at the incident time) and opens « Rédiger ».
pub fn start_draft(ctx: Ctx, cameras: Vec<String>) {
    #[derive(Serialize)]
    struct Args {
        request: DraftRequest,
    }
    let request = DraftRequest { cameras, at: ctx.incident_at.get_untracked(), kind: "requisition".into() };
    leptos::task::spawn_local(async move {
        match tauri::call::<Vec<DraftForm>, _>("draft", &Args { request }).await {
            Ok(drafts) => {
                keep(drafts.clone());
                ctx.drafts.set(drafts);
                ctx.card.set(None);
                ctx.panel.set(Panel::Draft);
            }
            Err(e) => ctx.say(&e.message),
        }
    });
}

/// Keeps `drafts` on the device (the shell stores them), so nothing typed is lost.
fn keep(drafts: Vec<DraftForm>) {
    #[derive(Serialize)]
    struct Args {
        drafts: Vec<DraftForm>,
    }
    leptos::task::spawn_local(async move {
        let _ = tauri::call::<(), _>("save_drafts", &Args { drafts }).await;
    });
}

/// Reopens the drafts an earlier run of the app was writing.
pub fn restore_drafts(ctx: Ctx) {
    leptos::task::spawn_local(async move {
        if let Ok(drafts) = tauri::call::<Vec<DraftForm>, _>("drafts", &tauri::NoArgs {}).await {
            if !drafts.is_empty() {
                ctx.drafts.set(drafts);
                ctx.panel.set(Panel::Draft);
                ctx.say("Brouillon en cours repris / draft in progress restored");
            }
        }
    });
}

#[derive(Serialize)]
struct Id {
    id: String,
}

/// « Rédiger » : the first draft waiting; the next holder's once it is signed.
#[component]
pub fn DraftPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    view! {
        {move || match ctx.drafts.get().first().cloned() {
            Some(form) => {
                let left = ctx.drafts.get_untracked().len();
                view! { <DraftEditor form=form left=left/> }.into_any()
            }
            None => view! {
                <h2>{move || ctx.t("Rédiger une réquisition", "Draft a requisition")}</h2>
                <p>{move || ctx.t(
                    "Choisissez des caméras dans « Autour de moi » ou sur leur fiche.",
                    "Choose cameras in “Around me” or on their card.",
                )}</p>
            }
            .into_any(),
        }}
    }
}

#[component]
fn DraftEditor(form: DraftForm, left: usize) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let form = RwSignal::new(form);
    let problems = RwSignal::new(Vec::<DraftProblem>::new());
    let preview = RwSignal::new(Vec::<(String, String)>::new());
    let pin = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    // Checked again on every change, by the shell (vigie-core's rules).
    Effect::new(move |_| {
        let f = form.get();
        let mut all = ctx.drafts.get_untracked();
        if let Some(first) = all.first_mut() {
            *first = f.clone();
        }
        keep(all);
        leptos::task::spawn_local(async move {
            #[derive(Serialize)]
            struct Args {
                form: DraftForm,
            }
            match tauri::call::<Vec<DraftProblem>, _>("check_draft", &Args { form: f.clone() }).await {
                Ok(p) => {
                    let ready = !p.iter().any(|p| p.blocking);
                    problems.set(p);
                    // Ready to sign: the act as it will be signed, to read over first.
                    let fields = if ready {
                        tauri::call::<Vec<(String, String)>, _>("preview_draft", &Args { form: f })
                            .await
                            .unwrap_or_default()
                    } else {
                        Vec::new()
                    };
                    preview.set(fields);
                }
                Err(e) => ctx.say(&e.message),
            }
        });
    });
    let blocked = move || problems.get().iter().any(|p| p.blocking);
    let field_bad = move |field: &'static str| problems.get().iter().any(|p| p.blocking && p.field == field);
    let text =
        move |id: &'static str, get: fn(&DraftForm) -> String, set: fn(&mut DraftForm, String), field: &'static str| {
            view! {
                <input
                    id=id
                    class:bad=move || field_bad(field)
                    prop:value=move || get(&form.get())
                    on:input=move |ev| form.update(|f| set(f, event_target_value(&ev)))
                />
            }
        };
    let sign = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        let request = SignRequest { form: form.get_untracked(), pin: pin.get_untracked() };
        leptos::task::spawn_local(async move {
            #[derive(Serialize)]
            struct Args {
                request: SignRequest,
            }
            match tauri::call::<OutboxItem, _>("sign", &Args { request }).await {
                Ok(item) => {
                    pin.set(String::new());
                    ctx.say(&format!("{} signée : {} / signed", item.title, item.state_label));
                    ctx.drafts.update(|d| {
                        if !d.is_empty() {
                            d.remove(0);
                        }
                    });
                    keep(ctx.drafts.get_untracked());
                    ctx.refresh_overview();
                    if ctx.drafts.get_untracked().is_empty() {
                        ctx.panel.set(Panel::Outbox);
                    }
                }
                Err(e) => ctx.say(&e.message),
            }
            busy.set(false);
        });
    };
    let basis = move || form.get().basis;
    view! {
        <h2>
            {move || if form.get().kind == "preservation" {
                ctx.t("Demande de gel des images", "Preservation request")
            } else {
                ctx.t("Réquisition", "Requisition")
            }}
            {(left > 1).then(|| format!(" (1/{left})"))}
        </h2>
        {move || form.get().replaces.map(|r| view! {
            <p class="replaces">{ctx.t("Annule et remplace ", "Replaces ")}{r}</p>
        })}
        <label>{move || ctx.t("Détenteur des enregistrements", "Holder of the recordings")}
            {text("draft-holder", |f| f.holder.clone(), |f, v| f.holder = v, "holder")}
        </label>
        <label>{move || ctx.t("Contact du détenteur", "Holder's contact")}
            {text("draft-holder-contact", |f| f.holder_contact.clone(), |f, v| f.holder_contact = v, "holder_contact")}
        </label>
        <ul id="draft-cameras" class:bad=move || field_bad("cameras")>
            {move || form.get().cameras.into_iter().map(|c| view! {
                <li class=format!("urgency-{}", c.urgency)>
                    <span class="title">{c.label}</span>" "<span class="erased">{c.erased_text}</span>
                </li>
            }).collect_view()}
        </ul>
        <label>{move || ctx.t("Acte", "Act")}
            <select id="draft-kind" on:change=move |ev| form.update(|f| f.kind = event_target_value(&ev))>
                <option value="requisition" selected=move || form.get().kind != "preservation">
                    {move || ctx.t("Réquisition (remise des images)", "Requisition (hand over the footage)")}
                </option>
                <option value="preservation" selected=move || form.get().kind == "preservation">
                    {move || ctx.t("Demande de gel (conserver tout de suite)", "Preservation request (keep it now)")}
                </option>
            </select>
        </label>
        <label>{move || ctx.t("Fondement", "Legal basis")}
            <select id="draft-basis" on:change=move |ev| form.update(|f| f.basis = event_target_value(&ev))>
                <option value="60-1" selected=move || basis() == "60-1">"60-1 — flagrance"</option>
                <option value="77-1-1" selected=move || basis() == "77-1-1">"77-1-1 — préliminaire"</option>
                <option value="99-3" selected=move || basis() == "99-3">"99-3 — commission rogatoire"</option>
            </select>
        </label>
        <Show when=move || basis() != "60-1">
            <Show when=move || basis() == "77-1-1">
                <label>{move || ctx.t("Autorisation", "Authorisation")}
                    <select id="draft-authorisation" on:change=move |ev| form.update(|f| f.authorisation_kind = event_target_value(&ev))>
                        <option value="specific">{move || ctx.t("du procureur pour ce dossier", "the prosecutor's, for this case")}</option>
                        <option value="general">{move || ctx.t("instructions générales (39-3)", "general instructions (39-3)")}</option>
                    </select>
                </label>
            </Show>
            <label>{move || if basis() == "99-3" { ctx.t("Commission rogatoire n°", "Commission rogatoire no.") } else { ctx.t("Référence", "Reference") }}
                {text("draft-reference", |f| f.reference.clone(), |f, v| f.reference = v, "reference")}
            </label>
            <label>{move || ctx.t("Date", "Date")}
                <input id="draft-reference-date" type="date" class:bad=move || field_bad("reference_date")
                    prop:value=move || form.get().reference_date
                    on:input=move |ev| form.update(|f| f.reference_date = event_target_value(&ev))/>
            </label>
        </Show>
        <label>{move || ctx.t("N° de procédure", "Procedure no.")}
            {text("draft-procedure", |f| f.procedure.clone(), |f, v| f.procedure = v, "procedure")}
        </label>
        <label>{move || ctx.t("Nature des faits (minimale)", "Nature of the facts (minimal)")}
            <textarea id="draft-facts" class:bad=move || field_bad("facts")
                prop:value=move || form.get().facts
                on:input=move |ev| form.update(|f| f.facts = event_target_value(&ev))></textarea>
        </label>
        <div class="row">
            <label>{move || ctx.t("Du (heure de Paris)", "From (Paris time)")}
                <input id="draft-from" type="datetime-local" class:bad=move || field_bad("window")
                    prop:value=move || form.get().window_from
                    on:input=move |ev| form.update(|f| f.window_from = event_target_value(&ev))/>
            </label>
            <label>{move || ctx.t("au", "to")}
                <input id="draft-to" type="datetime-local" class:bad=move || field_bad("window")
                    prop:value=move || form.get().window_to
                    on:input=move |ev| form.update(|f| f.window_to = event_target_value(&ev))/>
            </label>
        </div>
        <p class="officer">{move || form.get().officer}" · "{move || form.get().service}</p>
        <Show when=move || form.get().qualite == "APJ">
            <label>{move || ctx.t("Sous le contrôle de l'OPJ", "Under the OPJ")}
                {text("draft-under-opj", |f| f.under_opj.clone(), |f, v| f.under_opj = v, "under_opj")}
            </label>
        </Show>
        <ul id="draft-problems">
            {move || problems.get().into_iter().map(|p| view! {
                <li class:blocking=p.blocking class:warning=!p.blocking data-field=p.field.clone()>
                    {ctx.lang.get_untracked().pick(&p.message)}
                </li>
            }).collect_view()}
        </ul>
        <Show when=move || !preview.get().is_empty()>
            <section id="draft-preview" class="preview">
                <h3>{move || ctx.t("Relecture avant signature", "Review before signing")}</h3>
                <dl>
                    {move || preview.get().into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
                </dl>
            </section>
        </Show>
        <div class="row sign">
            <input id="draft-pin" type="password" inputmode="numeric" autocomplete="off"
                placeholder=move || ctx.t("Code PIN", "PIN")
                prop:value=move || pin.get()
                on:input=move |ev| pin.set(event_target_value(&ev))/>
            <button id="draft-sign" class="primary" disabled=move || blocked() || busy.get() on:click=sign>
                {move || ctx.t("Signer", "Sign")}
            </button>
        </div>
    }
}

/// « Envois » : the outbox and each document's history.
#[component]
pub fn OutboxPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let items = RwSignal::new(Vec::<OutboxItem>::new());
    let open = RwSignal::new(None::<DocumentView>);
    let load = move || {
        leptos::task::spawn_local(async move {
            match tauri::call::<Vec<OutboxItem>, _>("outbox", &tauri::NoArgs {}).await {
                Ok(v) => items.set(v),
                Err(e) => ctx.say(&e.message),
            }
        })
    };
    Effect::new(move |_| {
        ctx.overview.get();
        load();
    });
    let act = move |cmd: &'static str, id: String| {
        leptos::task::spawn_local(async move {
            match cmd {
                "pdf" => match tauri::call::<String, _>("pdf", &Id { id }).await {
                    Ok(path) => ctx.pdf_path.set(Some(path)),
                    Err(e) => ctx.say(&e.message),
                },
                "amend" => match tauri::call::<DraftForm, _>("amend", &Id { id }).await {
                    Ok(form) => {
                        keep(vec![form.clone()]);
                        ctx.drafts.set(vec![form]);
                        ctx.panel.set(Panel::Draft);
                    }
                    Err(e) => ctx.say(&e.message),
                },
                "document" => match tauri::call::<DocumentView, _>("document", &Id { id }).await {
                    Ok(d) => open.set(Some(d)),
                    Err(e) => ctx.say(&e.message),
                },
                _ => match tauri::call::<(), _>(cmd, &Id { id }).await {
                    Ok(()) => load(),
                    Err(e) => ctx.say(&e.message),
                },
            }
        })
    };
    view! {
        <h2>{move || ctx.t("Envois", "Outbox")}</h2>
        {move || ctx.pdf_path.get().map(|p| view! { <p id="pdf-path" class="pdf">"PDF : "{p}</p> })}
        <ol id="outbox">
            {move || items.get().into_iter().map(|i| {
                let (a, b, c, d) = (i.id.clone(), i.id.clone(), i.id.clone(), i.id.clone());
                view! {
                    <li data-id=i.id.clone() class=format!("urgency-{} state-{}", i.urgency, i.state)>
                        <span class="title" on:click=move |_| act("document", a.clone())>
                            {format!("{} — {}", i.title, i.holder)}
                        </span>
                        <span class="state">{ctx.lang.get_untracked().pick(&i.state_label)}</span>
                        <span class="erased">{i.erased_text.clone()}</span>
                        {i.note.clone().map(|n| view! { <span class="note">{n}</span> })}
                        <span class="actions">
                            <button class="pdf small" on:click=move |_| act("pdf", b.clone())>"PDF"</button>
                            {i.can_cancel.then(|| view! {
                                <button class="cancel small" on:click=move |_| act("cancel_document", c.clone())>
                                    {ctx.t("Annuler", "Cancel")}
                                </button>
                            })}
                            {i.can_amend.then(|| view! {
                                <button class="amend small" on:click=move |_| act("amend", d.clone())>
                                    {ctx.t("Corriger", "Amend")}
                                </button>
                            })}
                        </span>
                    </li>
                }
            }).collect_view()}
        </ol>
        {move || open.get().map(|d| view! {
            <section id="document" class="card">
                <button class="close" on:click=move |_| open.set(None)>"×"</button>
                <h3>{d.item.title.clone()}" — "{d.item.state_label.clone()}</h3>
                <dl>{d.fields.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}</dl>
                <ol id="document-history">
                    {d.history.into_iter().map(|(at, what)| view! { <li>{at}" — "{what}</li> }).collect_view()}
                </ol>
            </section>
        })}
    }
}

/// « Relecture » : the unit's documents awaiting a supervisor, most urgent first.
#[component]
pub fn ReviewPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let items = RwSignal::new(Vec::<ReviewItem>::new());
    let pin = RwSignal::new(String::new());
    let comment = RwSignal::new(String::new());
    let load = move || {
        leptos::task::spawn_local(async move {
            match tauri::call::<Vec<ReviewItem>, _>("review", &tauri::NoArgs {}).await {
                Ok(v) => items.set(v),
                Err(e) => ctx.say(&e.message),
            }
        })
    };
    load();
    let decide = move |countersign: bool, id: String| {
        leptos::task::spawn_local(async move {
            #[derive(Serialize)]
            struct Countersign {
                id: String,
                pin: String,
            }
            #[derive(Serialize)]
            struct Return {
                id: String,
                comment: String,
            }
            let r = if countersign {
                tauri::call::<(), _>("countersign", &Countersign { id, pin: pin.get_untracked() }).await
            } else {
                tauri::call::<(), _>("return_document", &Return { id, comment: comment.get_untracked() }).await
            };
            match r {
                Ok(()) => {
                    ctx.say(if countersign { "Contresignée / countersigned" } else { "Renvoyée / returned" });
                    pin.set(String::new());
                    comment.set(String::new());
                    load();
                }
                Err(e) => ctx.say(&e.message),
            }
        })
    };
    view! {
        <h2>{move || ctx.t("Relecture", "Review")}</h2>
        <p>{move || format!("{} ", items.get().len())}{move || ctx.t("document(s) en attente", "document(s) waiting")}</p>
        <input id="review-pin" type="password" inputmode="numeric" autocomplete="off"
            placeholder=move || ctx.t("Code PIN pour contresigner", "PIN to countersign")
            prop:value=move || pin.get() on:input=move |ev| pin.set(event_target_value(&ev))/>
        <textarea id="review-comment" placeholder=move || ctx.t("Commentaire pour renvoyer", "Comment to return")
            prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
        <ol id="review">
            {move || items.get().into_iter().map(|i| {
                let (a, b) = (i.id.clone(), i.id.clone());
                view! {
                    <li data-id=i.id.clone() class=format!("urgency-{}", i.urgency)>
                        <span class="title">{i.title.clone()}</span>
                        <span class="author">{i.author.clone()}</span>
                        <span class="erased">{i.erased_text.clone()}</span>
                        <dl>{i.fields.clone().into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}</dl>
                        <button class="countersign primary" on:click=move |_| decide(true, a.clone())>
                            {move || ctx.t("Contresigner", "Countersign")}
                        </button>
                        <button class="return" on:click=move |_| decide(false, b.clone())>
                            {move || ctx.t("Renvoyer", "Return")}
                        </button>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}
