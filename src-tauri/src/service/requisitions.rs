//! Requisitions on the device: drafts pre-filled from the cameras chosen (one per holder),
//! the checks the officer sees before signing, signing with the PIN, the outbox, a
//! document's history and PDF, amending a returned one; and the supervisor's review.
//!
//! The content is `vigie_core::act`'s, the rules `vigie_core::requisition`'s and
//! `vigie_core::outbox`'s; this module turns forms into content and content into views.

use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Europe::Paris;
use ed25519_dalek::Signer;
use vigie_client::Me;
use vigie_core::act::{check_act, ActContent, Officer, Qualite};
use vigie_core::document::{Document, DocumentKind, DocumentStatus, SignedDocument};
use vigie_core::outbox::OutboxState;
use vigie_core::proof::Proof;
use vigie_core::requisition::{
    group_by_holder, suggested_window, Authorisation, LegalBasis, Problem, Reference, Window,
};
use vigie_core::retention::Urgency;
use vigie_core::{Camera, Holder, Timestamp};
use vigie_store::OutboxEntry;
use vigie_view::{
    AppError, DocumentView, DraftCamera, DraftForm, DraftProblem, DraftRequest, OutboxItem, ReviewItem, SignRequest,
};

use super::{client_err, err, key, store_err, Service};
use crate::views;

/// The window proposed around the incident: 30 minutes either side.
const WINDOW_HALF: Duration = Duration::minutes(30);

const PARIS_FORMAT: &str = "%Y-%m-%dT%H:%M";

impl Service {
    /// The officer's profile as last pulled from the platform.
    pub(crate) fn profile(&self) -> Option<Me> {
        self.setting(key::PROFILE).and_then(|s| serde_json::from_str(&s).ok())
    }

    /// Drafts for `req.cameras`: one per holder, with the window around the incident and
    /// the officer's identity from enrolment.
    pub fn draft(&self, req: &DraftRequest, now: Timestamp) -> Result<Vec<DraftForm>, AppError> {
        let at = super::parse_time(req.at.as_deref(), now)?;
        let index = self.index()?;
        let cameras: Vec<&Camera> = req
            .cameras
            .iter()
            .map(|id| index.get(id).ok_or_else(|| err("not_found", format!("caméra inconnue / unknown camera: {id}"))))
            .collect::<Result<_, _>>()?;
        if cameras.is_empty() {
            return Err(err("invalid", "choisissez au moins une caméra / choose at least one camera"));
        }
        let window = suggested_window(at, WINDOW_HALF, WINDOW_HALF);
        let kind = if req.kind == "preservation" { "preservation" } else { "requisition" };
        let profile = self.profile();
        Ok(group_by_holder(&cameras)
            .into_iter()
            .map(|(holder, group)| DraftForm {
                kind: kind.into(),
                holder: holder.map(|h| h.name.clone()).unwrap_or_default(),
                holder_contact: holder.map(contact_of).unwrap_or_default(),
                cameras: group.iter().map(|c| draft_camera(c, window.from, now)).collect(),
                basis: "60-1".into(),
                authorisation_kind: "specific".into(),
                reference: String::new(),
                reference_date: String::new(),
                procedure: String::new(),
                facts: String::new(),
                window_from: paris(window.from),
                window_to: paris(window.to),
                qualite: profile.as_ref().map(|p| qualite_of(p)).unwrap_or("OPJ").into(),
                under_opj: String::new(),
                replaces: None,
                officer: profile.as_ref().map(officer_line).unwrap_or_else(|| NO_PROFILE.into()),
                service: profile.as_ref().map(|p| p.service.name.clone()).unwrap_or_default(),
            })
            .collect())
    }

    /// Keeps the drafts being written (the first is the one on screen), so that an app
    /// killed or a phone restarted mid-draft loses nothing typed.
    pub fn save_drafts(&self, drafts: &[DraftForm]) -> Result<(), AppError> {
        let json = serde_json::to_string(drafts).map_err(|e| err("invalid", e.to_string()))?;
        self.set_settings(&[(key::DRAFTS, &json)])
    }

    /// The drafts kept by [`Service::save_drafts`].
    pub fn drafts(&self) -> Vec<DraftForm> {
        self.setting(key::DRAFTS).and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default()
    }

    /// Everything wrong with `form` at `now`, blocking problems first.
    pub fn check_draft(&self, form: &DraftForm, now: Timestamp) -> Result<Vec<DraftProblem>, AppError> {
        Ok(match self.content_of(form, now)? {
            Ok((act, cameras)) => {
                let refs: Vec<&Camera> = cameras.iter().collect();
                let (own, legal) = check_act(&act, &refs, now);
                let mut out: Vec<DraftProblem> = own
                    .iter()
                    .map(|p| DraftProblem { field: own_field(p).into(), message: p.message(), blocking: true })
                    .chain(legal.iter().map(|p| DraftProblem {
                        field: legal_field(p).into(),
                        message: p.message(),
                        blocking: p.severity() == vigie_core::requisition::Severity::Blocking,
                    }))
                    .collect();
                if form.holder.trim().is_empty() {
                    out.insert(
                        0,
                        DraftProblem { field: "holder".into(), message: UNKNOWN_HOLDER.into(), blocking: true },
                    );
                }
                out.sort_by_key(|p| !p.blocking);
                out
            }
            Err(problems) => problems,
        })
    }

    /// The act as it will be signed and printed, field by field (empty while the form
    /// cannot be read): what the officer reviews before signing.
    pub fn preview_draft(&self, form: &DraftForm, now: Timestamp) -> Result<Vec<(String, String)>, AppError> {
        Ok(match self.content_of(form, now)? {
            Ok((act, _)) => fields(&act),
            Err(_) => Vec::new(),
        })
    }

    /// The act `form` describes, with the registry entries of its cameras; or the fields
    /// that cannot be read.
    #[allow(clippy::type_complexity)]
    fn content_of(
        &self,
        form: &DraftForm,
        now: Timestamp,
    ) -> Result<Result<(ActContent, Vec<Camera>), Vec<DraftProblem>>, AppError> {
        let mut bad = Vec::new();
        let problem = |field: &str, message: String| DraftProblem { field: field.into(), message, blocking: true };
        let profile = self.profile();
        let Some(profile) = profile else {
            return Ok(Err(vec![problem("officer", NO_PROFILE.into())]));
        };
        let from = parse_paris(&form.window_from);
        let to = parse_paris(&form.window_to);
        if from.is_none() || to.is_none() {
            bad.push(problem("window", "Plage horaire illisible (JJ/MM/AAAA HH:MM) / unreadable time window".into()));
        }
        let date = NaiveDate::parse_from_str(form.reference_date.trim(), "%Y-%m-%d").ok();
        let reference = |r: &str| date.map(|date| Reference { reference: r.trim().to_string(), date });
        let basis = match form.basis.as_str() {
            "60-1" => LegalBasis::Flagrance,
            "77-1-1" => LegalBasis::Preliminaire {
                authorisation: match form.authorisation_kind.as_str() {
                    "general" => (!form.reference.trim().is_empty())
                        .then(|| Authorisation::GeneralInstruction { reference: form.reference.trim().into() }),
                    _ => {
                        if !form.reference.trim().is_empty() && date.is_none() {
                            bad.push(problem(
                                "reference_date",
                                "Date de l'autorisation manquante / authorisation date missing".into(),
                            ));
                        }
                        reference(&form.reference).filter(|r| !r.reference.is_empty()).map(Authorisation::Specific)
                    }
                },
            },
            "99-3" => {
                if !form.reference.trim().is_empty() && date.is_none() {
                    bad.push(problem(
                        "reference_date",
                        "Date de la commission rogatoire manquante / date missing".into(),
                    ));
                }
                LegalBasis::Instruction {
                    commission_rogatoire: reference(&form.reference).filter(|r| !r.reference.is_empty()),
                }
            }
            other => {
                bad.push(problem("basis", format!("Fondement inconnu / unknown legal basis: {other}")));
                LegalBasis::Flagrance
            }
        };
        if !bad.is_empty() {
            return Ok(Err(bad));
        }
        // Empty until the officer names them: `check_draft` says so.
        let holder = form.holder.trim();
        let index = self.index()?;
        let mut cameras: Vec<Camera> = form.cameras.iter().filter_map(|c| index.get(&c.id).cloned()).collect();
        if cameras.len() != form.cameras.len() {
            return Ok(Err(vec![problem(
                "cameras",
                "Caméra absente du registre de l'appareil / camera not on this device".into(),
            )]));
        }
        let recipient = cameras
            .iter()
            .find_map(|c| c.holder.clone().filter(|h| h.name == holder))
            .unwrap_or_else(|| holder_typed(holder, &form.holder_contact));
        // A camera whose holder the registry does not know: the officer found it on site.
        for c in cameras.iter_mut().filter(|c| c.holder.is_none()) {
            c.holder = Some(recipient.clone());
        }
        let refs: Vec<&Camera> = cameras.iter().collect();
        let mut officer = Officer {
            name: profile.name.clone(),
            rank: profile.rank.clone(),
            qualite: Qualite::Opj,
            rio: profile.rio.clone(),
        };
        if form.qualite == "APJ" {
            officer.qualite = Qualite::Apj { under_opj: form.under_opj.trim().to_string() };
        }
        let kind = if form.kind == "preservation" { DocumentKind::Preservation } else { DocumentKind::Requisition };
        let act = ActContent::new(
            kind,
            profile.service.clone(),
            officer,
            &form.procedure,
            basis,
            &form.facts,
            recipient,
            &refs,
            Window { from: from.expect("checked"), to: to.expect("checked") },
            now,
        );
        Ok(Ok((act, cameras)))
    }

    /// Signs `req.form` with the key opened by `req.pin`, and queues it: refused while a
    /// blocking problem remains.
    pub fn sign(&self, req: &SignRequest, now: Timestamp) -> Result<OutboxItem, AppError> {
        let problems = self.check_draft(&req.form, now)?;
        let blocking: Vec<&str> = problems.iter().filter(|p| p.blocking).map(|p| p.message.as_str()).collect();
        if !blocking.is_empty() {
            return Err(err("blocked", blocking.join(" ; ")));
        }
        let Ok((act, _)) = self.content_of(&req.form, now)? else {
            return Err(err("blocked", "brouillon incomplet / incomplete draft"));
        };
        // The PIN opens the key for this act (and unlocks the session).
        self.unlock(&req.pin)?;
        let key = self.device_key()?;
        let profile = self.profile().ok_or_else(|| err("no_profile", NO_PROFILE))?;
        let device = self.setting(key::DEVICE_ID).and_then(|s| s.parse::<u64>().ok()).unwrap_or(profile.device as u64);
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).map_err(|e| err("key", e.to_string()))?;
        let document = Document {
            id: vigie_core::proof::hex(&id),
            kind: act.kind,
            author: profile.rio.clone(),
            device,
            unit: profile.unit.clone(),
            created_at: now,
            replaces: req.form.replaces.clone(),
            body: act.to_body(),
        };
        let message = document.signing_message().map_err(|e| err("sign", e.to_string()))?;
        let signature = key.sign(&message).to_bytes().to_vec();
        let proof = Proof::new(SignedDocument { document, signature }, &key.verifying_key().to_bytes());
        self.store.lock().unwrap().queue_document(&proof, now).map_err(store_err)?;
        // The signed draft is no longer a draft (the UI drops it too; this holds whatever
        // order its calls arrive in).
        let mut drafts = self.drafts();
        if let Some(i) = drafts.iter().position(|d| d == &req.form) {
            drafts.remove(i);
            self.save_drafts(&drafts)?;
        }
        let entry = self.store.lock().unwrap().outbox_entry(&proof.document.id).map_err(store_err)?;
        Ok(self.outbox_item(&entry, now))
    }

    /// The outbox, newest first.
    pub fn outbox(&self, now: Timestamp) -> Result<Vec<OutboxItem>, AppError> {
        let entries = self.store.lock().unwrap().outbox().map_err(store_err)?;
        Ok(entries.iter().map(|e| self.outbox_item(e, now)).collect())
    }

    /// How many documents wait to leave the device.
    pub(crate) fn queued_documents(&self) -> usize {
        self.store.lock().unwrap().outbox_queued().unwrap_or(0)
    }

    /// One document: its fields and history.
    pub fn document(&self, id: &str, now: Timestamp) -> Result<DocumentView, AppError> {
        let (entry, history) = {
            let store = self.store.lock().unwrap();
            (store.outbox_entry(id).map_err(store_err)?, store.document_history(id).map_err(store_err)?)
        };
        Ok(DocumentView {
            item: self.outbox_item(&entry, now),
            fields: act_of(&entry.proof).map(|a| fields(&a)).unwrap_or_default(),
            history: history
                .iter()
                .map(|e| (views::local_datetime(e.at), event_text(&e.what, e.detail.as_deref())))
                .collect(),
        })
    }

    /// Cancels a document that never left the device.
    pub fn cancel_document(&self, id: &str, now: Timestamp) -> Result<(), AppError> {
        self.store.lock().unwrap().cancel_document(id, now).map_err(|e| match e {
            vigie_store::StoreError::Cancel { source, .. } => err("cannot_cancel", source.to_string()),
            other => store_err(other),
        })
    }

    /// A new draft amending the returned document `id` (it will name it as replaced).
    pub fn amend(&self, id: &str, now: Timestamp) -> Result<DraftForm, AppError> {
        let entry = self.store.lock().unwrap().outbox_entry(id).map_err(store_err)?;
        let act = act_of(&entry.proof).map_err(|e| err("invalid", e))?;
        let profile = self.profile();
        let (basis, authorisation_kind, reference, reference_date) = match &act.basis {
            LegalBasis::Flagrance => ("60-1", "specific", String::new(), String::new()),
            LegalBasis::Preliminaire { authorisation: Some(Authorisation::Specific(r)) } => {
                ("77-1-1", "specific", r.reference.clone(), r.date.to_string())
            }
            LegalBasis::Preliminaire { authorisation: Some(Authorisation::GeneralInstruction { reference }) } => {
                ("77-1-1", "general", reference.clone(), String::new())
            }
            LegalBasis::Preliminaire { authorisation: None } => ("77-1-1", "specific", String::new(), String::new()),
            LegalBasis::Instruction { commission_rogatoire } => (
                "99-3",
                "specific",
                commission_rogatoire.as_ref().map(|r| r.reference.clone()).unwrap_or_default(),
                commission_rogatoire.as_ref().map(|r| r.date.to_string()).unwrap_or_default(),
            ),
        };
        let index = self.index()?;
        Ok(DraftForm {
            kind: if act.kind == DocumentKind::Preservation { "preservation" } else { "requisition" }.into(),
            holder: act.recipient.name.clone(),
            holder_contact: contact_of(&act.recipient),
            cameras: act
                .cameras
                .iter()
                .map(|c| match index.get(&c.id) {
                    Some(cam) => draft_camera(cam, act.window.from, now),
                    None => DraftCamera {
                        id: c.id.clone(),
                        label: c.label.clone().unwrap_or_else(|| c.id.clone()),
                        urgency: String::new(),
                        erased_text: String::new(),
                    },
                })
                .collect(),
            basis: basis.into(),
            authorisation_kind: authorisation_kind.into(),
            reference,
            reference_date,
            procedure: act.procedure.clone(),
            facts: act.facts.clone(),
            window_from: paris(act.window.from),
            window_to: paris(act.window.to),
            qualite: match &act.officer.qualite {
                Qualite::Opj => "OPJ",
                Qualite::Apj { .. } => "APJ",
            }
            .into(),
            under_opj: match &act.officer.qualite {
                Qualite::Apj { under_opj } => under_opj.clone(),
                Qualite::Opj => String::new(),
            },
            replaces: Some(id.to_string()),
            officer: profile.as_ref().map(officer_line).unwrap_or_else(|| NO_PROFILE.into()),
            service: profile.map(|p| p.service.name).unwrap_or_default(),
        })
    }

    /// Writes the document's PDF under `documents/` (noted in its history) and returns its
    /// path.
    pub fn pdf(&self, id: &str) -> Result<String, AppError> {
        let entry = self.store.lock().unwrap().outbox_entry(id).map_err(store_err)?;
        let bytes = vigie_pdf::render(&entry.proof).map_err(|e| err("pdf", e.to_string()))?;
        let dir = self.dir.join("documents");
        std::fs::create_dir_all(&dir).map_err(|e| err("io", format!("{}: {e}", dir.display())))?;
        let state = match entry.proof.countersignature {
            Some(_) => "contresignee",
            None => "signee",
        };
        let path = dir.join(format!("requisition-{}-{state}.pdf", &id[..id.len().min(12)]));
        let tmp = path.with_extension("pdf.tmp");
        std::fs::write(&tmp, &bytes).map_err(|e| err("io", format!("{}: {e}", tmp.display())))?;
        std::fs::rename(&tmp, &path).map_err(|e| err("io", format!("{}: {e}", path.display())))?;
        // Every export is kept in the document's history.
        self.store
            .lock()
            .unwrap()
            .note_document_event(id, "pdf", Some(path.display().to_string()), chrono::Utc::now())
            .map_err(store_err)?;
        Ok(path.display().to_string())
    }

    /// The documents of my unit awaiting review, most urgent first (supervisors).
    pub async fn review(&self, now: Timestamp) -> Result<Vec<ReviewItem>, AppError> {
        let (mut client, key, device_id) = self.client()?;
        client.login(&key, device_id).await.map_err(client_err)?;
        let docs = client.review().await.map_err(client_err)?;
        let mut items: Vec<(Timestamp, ReviewItem)> = docs
            .iter()
            .filter_map(|d| {
                let act = act_of(&d.proof).ok()?;
                let (urgency, erased_at, erased_text) = self.document_urgency(&act, now);
                Some((
                    erased_at,
                    ReviewItem {
                        id: d.id.clone(),
                        author: format!("{} {} ({})", act.officer.rank, act.officer.name, act.officer.rio),
                        title: format!("{} — {}", title(&act), act.recipient.name),
                        urgency,
                        erased_text,
                        fields: fields(&act),
                    },
                ))
            })
            .collect();
        items.sort_by_key(|(erased_at, _)| *erased_at);
        Ok(items.into_iter().map(|(_, i)| i).collect())
    }

    /// Countersigns `id` with the key opened by `pin`.
    pub async fn countersign(&self, id: &str, pin: &str) -> Result<(), AppError> {
        self.unlock(pin)?;
        let (mut client, key, device_id) = self.client()?;
        client.login(&key, device_id).await.map_err(client_err)?;
        // The RIO the device enrolled with is the session's: no need to ask the platform.
        let rio =
            self.setting(key::RIO).ok_or_else(|| err("not_enrolled", "appareil non inscrit / device not enrolled"))?;
        let doc = client.review().await.map_err(client_err)?.into_iter().find(|d| d.id == id).ok_or_else(|| {
            err("not_found", format!("document {id} : plus en attente de relecture / no longer awaiting review"))
        })?;
        client.countersign(&key, &rio, &doc).await.map_err(client_err)
    }

    /// Returns `id` to its author with `comment`.
    pub async fn return_document(&self, id: &str, comment: &str) -> Result<(), AppError> {
        if comment.trim().is_empty() {
            return Err(err("invalid", "commentaire obligatoire / a comment is required"));
        }
        let (mut client, key, device_id) = self.client()?;
        client.login(&key, device_id).await.map_err(client_err)?;
        client.return_document(id, comment.trim()).await.map_err(client_err)
    }

    fn outbox_item(&self, e: &OutboxEntry, now: Timestamp) -> OutboxItem {
        let act = act_of(&e.proof).ok();
        let (urgency, _, erased_text) = act.as_ref().map(|a| self.document_urgency(a, now)).unwrap_or_default();
        let (state, state_label) = match (e.delivery.state, e.platform_status) {
            (_, Some(s)) => (s.as_str().to_string(), status_label(s).to_string()),
            (OutboxState::Queued, None) if e.delivery.attempts > 0 => {
                ("queued".into(), format!("en attente d'envoi ({} essai(s)) / queued", e.delivery.attempts))
            }
            (OutboxState::Queued, None) => ("queued".into(), "en attente d'envoi / queued".into()),
            (OutboxState::Sent, None) => ("sent".into(), "envoyée / sent".into()),
            (OutboxState::Cancelled, None) => ("cancelled".into(), "annulée / cancelled".into()),
            (OutboxState::Refused, None) => ("refused".into(), "refusée par la plateforme / refused".into()),
        };
        let mut probe = e.delivery.clone();
        OutboxItem {
            id: e.proof.document.id.clone(),
            title: act.as_ref().map(title).unwrap_or_else(|| "Document".into()),
            holder: act.as_ref().map(|a| a.recipient.name.clone()).unwrap_or_default(),
            procedure: act.as_ref().map(|a| a.procedure.clone()).unwrap_or_default(),
            cameras: act.as_ref().map(|a| a.cameras.len()).unwrap_or(0),
            signed_local: views::local_datetime(e.created_at),
            state,
            state_label,
            note: e.comment.clone().or_else(|| e.delivery.last_error.clone()),
            can_cancel: probe.cancel().is_ok(),
            can_amend: e.platform_status == Some(DocumentStatus::Returned),
            urgency,
            erased_text,
        }
    }

    /// The urgency of the act's most urgent camera for the start of its window (the
    /// registry's retention when the device knows the camera, else the legal maximum).
    fn document_urgency(&self, act: &ActContent, now: Timestamp) -> (String, Timestamp, String) {
        let index = self.index().ok();
        let days = |id: &str| index.as_ref().and_then(|i| i.get(id)).and_then(|cam| cam.retention_days);
        match act.most_urgent(days, now) {
            Some(r) => (
                urgency_name(r.urgency).into(),
                r.erased_at,
                views::erased_text(act.window.from, r.erased_at, now, r.known),
            ),
            None => (String::new(), now, String::new()),
        }
    }
}

const UNKNOWN_HOLDER: &str =
    "Détenteur inconnu : indiquez qui détient les enregistrements / holder unknown: name who keeps the recordings";

const NO_PROFILE: &str =
    "Identité de l'officier inconnue : synchronisez une fois avec la plateforme / officer's identity unknown: sync once";

fn act_of(proof: &Proof) -> Result<ActContent, String> {
    ActContent::from_body(&proof.document.body)
}

fn urgency_name(u: Urgency) -> &'static str {
    match u {
        Urgency::Lost => "lost",
        Urgency::Critical => "critical",
        Urgency::Soon => "soon",
        Urgency::Later => "later",
    }
}

fn draft_camera(c: &Camera, from: Timestamp, now: Timestamp) -> DraftCamera {
    let r = vigie_core::retention::retention(c, from, now);
    DraftCamera {
        id: c.id.0.clone(),
        label: c.label.clone().unwrap_or_else(|| c.id.0.clone()),
        urgency: urgency_name(r.urgency).into(),
        erased_text: views::erased_text(from, r.erased_at, now, r.known),
    }
}

/// A holder the officer named on site, with the contact as typed (an e-mail, a phone
/// number, or else an address).
fn holder_typed(name: &str, contact: &str) -> Holder {
    let contact = contact.trim();
    let mut h = Holder { name: name.to_string(), ..Holder::default() };
    if contact.contains('@') {
        h.email = Some(contact.into());
    } else if contact.starts_with('+') || contact.starts_with(|c: char| c.is_ascii_digit()) {
        h.phone = Some(contact.into());
    } else if !contact.is_empty() {
        h.address = Some(contact.into());
    }
    h
}

fn contact_of(h: &Holder) -> String {
    [&h.address, &h.phone, &h.email].into_iter().flatten().cloned().collect::<Vec<_>>().join(" · ")
}

/// `OPJ`, or else `APJ` (who must then name their OPJ), from the platform's qualité.
fn qualite_of(p: &Me) -> &'static str {
    if p.qualite.eq_ignore_ascii_case("OPJ") {
        "OPJ"
    } else {
        "APJ"
    }
}

fn officer_line(p: &Me) -> String {
    format!("{} {} — {} — RIO {}", p.rank, p.name, qualite_of(p), p.rio)
}

fn paris(t: Timestamp) -> String {
    t.with_timezone(&Paris).format(PARIS_FORMAT).to_string()
}

/// A Paris wall-clock time as UTC (the earlier instant when the clock goes back).
fn parse_paris(s: &str) -> Option<Timestamp> {
    let naive = NaiveDateTime::parse_from_str(s.trim(), PARIS_FORMAT).ok()?;
    Paris.from_local_datetime(&naive).earliest().map(|t| t.with_timezone(&chrono::Utc))
}

fn own_field(p: &vigie_core::act::ContentProblem) -> &'static str {
    use vigie_core::act::ContentProblem::*;
    match p {
        MissingFacts => "facts",
        MissingOfficer | MissingService => "officer",
        MissingOpj => "under_opj",
        UnknownCamera { .. } => "cameras",
        PastDeadline => "deadline",
    }
}

fn legal_field(p: &Problem) -> &'static str {
    match p {
        Problem::MissingAuthorisation | Problem::MissingCommissionRogatoire => "reference",
        Problem::MissingProcedure => "procedure",
        Problem::NoCamera | Problem::OtherHolder { .. } => "cameras",
        _ => "window",
    }
}

fn title(act: &ActContent) -> String {
    match (act.kind, &act.basis) {
        (DocumentKind::Preservation, _) => "Demande de gel des images".into(),
        (_, LegalBasis::Flagrance) => "Réquisition 60-1".into(),
        (_, LegalBasis::Preliminaire { .. }) => "Réquisition 77-1-1".into(),
        (_, LegalBasis::Instruction { .. }) => "Réquisition 99-3".into(),
    }
}

/// The act's main fields as the app shows them (the PDF prints them all).
fn fields(act: &ActContent) -> Vec<(String, String)> {
    let cameras = act
        .cameras
        .iter()
        .map(|c| {
            let dirs: Vec<String> = c.directions.iter().map(|d| format!("{d:.0}° {}", views::compass(*d))).collect();
            format!(
                "{} ({:.5}, {:.5}{})",
                c.label.as_deref().unwrap_or(&c.id),
                c.lat,
                c.lon,
                if dirs.is_empty() { String::new() } else { format!(", vers {}", dirs.join(", ")) }
            )
        })
        .collect::<Vec<_>>()
        .join(" ; ");
    vec![
        ("Acte".into(), title(act)),
        ("Fondement".into(), act.basis.citation()),
        ("Procédure".into(), act.procedure.clone()),
        ("Détenteur".into(), act.recipient.name.clone()),
        ("Caméras".into(), cameras),
        (
            "Plage (heure de Paris)".into(),
            format!("du {} au {}", views::local_datetime(act.window.from), views::local_datetime(act.window.to)),
        ),
        ("Faits".into(), act.facts.clone()),
        (
            "Requérant".into(),
            format!(
                "{} {} ({}), RIO {}",
                act.officer.rank,
                act.officer.name,
                match &act.officer.qualite {
                    Qualite::Opj => "OPJ".to_string(),
                    Qualite::Apj { under_opj } => format!("APJ sous le contrôle de {under_opj}"),
                },
                act.officer.rio
            ),
        ),
        ("Service".into(), act.service.name.clone()),
    ]
}

fn status_label(s: DocumentStatus) -> &'static str {
    match s {
        DocumentStatus::Received => "reçue, en attente de relecture / received",
        DocumentStatus::Returned => "renvoyée pour correction / returned",
        DocumentStatus::Countersigned => "contresignée / countersigned",
        DocumentStatus::SentToHolder => "transmise au détenteur / sent to the holder",
        DocumentStatus::Acknowledged => "reçue par le détenteur / acknowledged",
        DocumentStatus::Fulfilled => "images remises / fulfilled",
    }
}

fn event_text(what: &str, detail: Option<&str>) -> String {
    let base = match what {
        "signed" => "signée sur l'appareil",
        "push_failed" => "envoi échoué, nouvel essai prévu",
        "sent" => "reçue par la plateforme",
        "refused" => "refusée par la plateforme",
        "cancelled" => "annulée",
        "pdf" => "imprimée (PDF)",
        "status" => "statut",
        other => other,
    };
    match detail {
        Some(d) => format!("{base} : {d}"),
        None => base.to_string(),
    }
}
