//! What a requisition (or a preservation request) says, field by field: the body of a
//! signed [`crate::document::Document`].
//!
//! The CPP prescribes no form; the fields follow the practice checklist of
//! `../shared/NOTES-LEGAL.md` (issuing service, officer and qualité, procedure, legal basis
//! with its authorisation or commission rogatoire, minimal facts, recipient, cameras with
//! place and direction, window with its time zone, format, clock offset, integrity,
//! immediate preservation, delivery and deadline, penalty mention, secrecy reminder).
//! The **preservation request** ("demande de gel des images") is the lighter act sent at
//! once: keep the footage of these cameras over this window; the requisition follows.
//!
//! The legal sentences printed on the act are data carried in the content (with their
//! default wording here), not hard-wired: NOTES-LEGAL marks the penalty wording
//! "[to confirm]", so a service can change it without a new release, and what was signed
//! is exactly what was printed.

use crate::camera::{Camera, Holder};
use crate::document::DocumentKind;
use crate::requisition::{check, Draft, LegalBasis, Problem, Window};
use crate::Timestamp;

/// The default penalty mention (CPP 60-1 al. 2, which 77-1-1 and 99-3 refer to).
/// NOTES-LEGAL: whether to also cite CP R642-1 is "[to confirm]".
pub const PENALTY_MENTION: &str = "Le refus de répondre sans motif légitime à cette réquisition est puni d'une amende \
     de 3 750 euros (article 60-1, alinéa 2, du code de procédure pénale).";

/// The default secrecy reminder (CPP 11).
pub const SECRECY_REMINDER: &str = "La présente réquisition et les images remises sont couvertes par le secret de \
     l'enquête (article 11 du code de procédure pénale) ; le secret professionnel ne peut être opposé sans motif \
     légitime.";

/// The time zone the window is printed in for the holder.
pub const TIME_ZONE: &str = "Europe/Paris";

/// The service that issues the act.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct IssuingService {
    /// Its name ("Commissariat de la Condamine").
    pub name: String,
    /// Its unit code on the platform.
    pub unit: String,
    /// Postal address.
    pub address: String,
    /// Phone.
    pub phone: String,
    /// Functional e-mail address.
    pub email: String,
}

/// The officer's judicial capacity.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "qualite", rename_all = "snake_case")]
pub enum Qualite {
    /// Officier de police judiciaire.
    Opj,
    /// Agent de police judiciaire, acting under an OPJ's control (60-1, 77-1-1).
    Apj {
        /// The OPJ (name and RIO) under whose control.
        under_opj: String,
    },
}

/// The requesting officer, as enrolled.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Officer {
    /// Name.
    pub name: String,
    /// Rank ("brigadier-chef").
    pub rank: String,
    /// OPJ, or APJ under an OPJ.
    pub qualite: Qualite,
    /// RIO or matricule.
    pub rio: String,
}

/// One camera asked for: what the holder needs to find it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RequestedCamera {
    /// Its id in the registry.
    pub id: String,
    /// Its label or address, if known.
    pub label: Option<String>,
    /// Latitude at the window's start, degrees.
    pub lat: f64,
    /// Longitude at the window's start, degrees.
    pub lon: f64,
    /// Directions it looks, degrees from north (empty: unknown or turning).
    pub directions: Vec<f64>,
}

impl RequestedCamera {
    /// `camera` as placed at `at`.
    pub fn of(camera: &Camera, at: Timestamp) -> RequestedCamera {
        let p = camera.current_placement(at);
        RequestedCamera {
            id: camera.id.0.clone(),
            label: camera.label.clone(),
            lat: p.position.lat(),
            lon: p.position.lon(),
            directions: p.views.iter().map(|v| v.azimuth_deg).collect(),
        }
    }
}

/// The format the footage is wanted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// The recorder's native export, with its player.
    NativeWithPlayer,
    /// A standard format (MP4/H.264).
    Standard,
}

/// How the footage is handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryForm {
    /// In person, against a receipt.
    InPerson,
    /// Uploaded to a secure transfer service.
    SecureUpload,
    /// On a non-rewritable medium.
    Medium,
}

/// By when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "deadline", rename_all = "snake_case")]
pub enum Deadline {
    /// "Dans les meilleurs délais".
    AsSoonAsPossible,
    /// By this moment.
    By {
        /// The moment (UTC; printed in Europe/Paris).
        at: Timestamp,
    },
}

/// The content of a requisition or a preservation request: what is signed and printed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ActContent {
    /// Requisition, or preservation request.
    pub kind: DocumentKind,
    /// Who issues it.
    pub service: IssuingService,
    /// Who requests it.
    pub officer: Officer,
    /// Procedure number.
    pub procedure: String,
    /// When it is issued (UTC).
    pub issued_at: Timestamp,
    /// The legal basis, with its authorisation or commission rogatoire.
    pub basis: LegalBasis,
    /// The nature of the facts, kept minimal (secrecy of the investigation).
    pub facts: String,
    /// The holder of the recordings.
    pub recipient: Holder,
    /// The cameras, nearest first.
    pub cameras: Vec<RequestedCamera>,
    /// The time window (UTC).
    pub window: Window,
    /// The time zone the window is printed in.
    pub time_zone: String,
    /// The wanted format.
    pub format: ExportFormat,
    /// Asks the holder to report the recorder's clock offset.
    pub report_clock_offset: bool,
    /// Asks for the SHA-256 of every exported file.
    pub integrity_sha256: bool,
    /// Asks the holder to preserve the footage at once, before exporting it.
    pub preserve_at_once: bool,
    /// How the footage is handed over.
    pub delivery: DeliveryForm,
    /// By when.
    pub deadline: Deadline,
    /// The penalty mention printed.
    pub penalty_mention: String,
    /// The secrecy reminder printed.
    pub secrecy_reminder: String,
}

impl ActContent {
    /// An act for `cameras` of `recipient`, with the practice's defaults: native export
    /// with its player, clock offset, SHA-256, immediate preservation, secure upload, as
    /// soon as possible, the default legal sentences.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        kind: DocumentKind,
        service: IssuingService,
        officer: Officer,
        procedure: &str,
        basis: LegalBasis,
        facts: &str,
        recipient: Holder,
        cameras: &[&Camera],
        window: Window,
        issued_at: Timestamp,
    ) -> ActContent {
        ActContent {
            kind,
            service,
            officer,
            procedure: procedure.trim().to_string(),
            issued_at,
            basis,
            facts: facts.trim().to_string(),
            recipient,
            cameras: cameras.iter().map(|c| RequestedCamera::of(c, window.from)).collect(),
            window,
            time_zone: TIME_ZONE.into(),
            format: ExportFormat::NativeWithPlayer,
            report_clock_offset: true,
            integrity_sha256: true,
            preserve_at_once: true,
            delivery: DeliveryForm::SecureUpload,
            deadline: Deadline::AsSoonAsPossible,
            penalty_mention: PENALTY_MENTION.into(),
            secrecy_reminder: SECRECY_REMINDER.into(),
        }
    }

    /// The retention of the act's most urgent camera for the start of its window:
    /// `retention_days` gives a camera's retention by id (`None`: unknown, the legal
    /// maximum is assumed). `None` for an act without cameras.
    pub fn most_urgent(
        &self,
        retention_days: impl Fn(&str) -> Option<u32>,
        now: Timestamp,
    ) -> Option<crate::retention::RetentionStatus> {
        self.cameras
            .iter()
            .map(|c| crate::retention::retention_for(retention_days(&c.id), self.window.from, now))
            .min_by_key(|r| r.erased_at)
    }

    /// The document body (what [`crate::document::Document::body`] holds).
    pub fn to_body(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("the content is plain data")
    }

    /// The content back from a document body; the error names the field at fault.
    pub fn from_body(body: &serde_json::Value) -> Result<ActContent, String> {
        serde_json::from_value(body.clone()).map_err(|e| format!("requisition body: {e}"))
    }
}

/// What else an act needs beyond [`check`]'s legal and retention problems.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum ContentProblem {
    /// No nature of facts.
    MissingFacts,
    /// The officer's name or RIO is missing.
    MissingOfficer,
    /// An APJ must name the OPJ under whose control the act is issued.
    MissingOpj,
    /// The issuing service has no name.
    MissingService,
    /// The camera asked for is not among those the content lists (a changed list).
    UnknownCamera {
        /// The camera.
        camera: String,
    },
    /// A deadline already past.
    PastDeadline,
}

impl ContentProblem {
    /// What the officer reads, French first.
    pub fn message(&self) -> String {
        match self {
            ContentProblem::MissingFacts => "Nature des faits manquante / nature of the facts missing".into(),
            ContentProblem::MissingOfficer => {
                "Nom ou RIO de l'officier manquant / officer's name or RIO missing".into()
            }
            ContentProblem::MissingOpj => {
                "APJ : indiquer l'OPJ sous le contrôle duquel la réquisition est faite / APJ: name the OPJ in control"
                    .into()
            }
            ContentProblem::MissingService => "Service requérant manquant / issuing service missing".into(),
            ContentProblem::UnknownCamera { camera } => {
                format!("Caméra {camera} absente de la réquisition / camera {camera} not in the requisition")
            }
            ContentProblem::PastDeadline => "Délai de remise déjà dépassé / delivery deadline already past".into(),
        }
    }
}

/// Everything the officer must see before signing `act` at `now`: the content's own
/// problems (all blocking), then [`check`]'s for the same cameras (`cameras`: the registry
/// entries of `act.cameras`, for retention and holder).
pub fn check_act(act: &ActContent, cameras: &[&Camera], now: Timestamp) -> (Vec<ContentProblem>, Vec<Problem>) {
    let mut own = Vec::new();
    if act.facts.trim().is_empty() {
        own.push(ContentProblem::MissingFacts);
    }
    if act.officer.name.trim().is_empty() || act.officer.rio.trim().is_empty() {
        own.push(ContentProblem::MissingOfficer);
    }
    if let Qualite::Apj { under_opj } = &act.officer.qualite {
        if under_opj.trim().is_empty() {
            own.push(ContentProblem::MissingOpj);
        }
    }
    if act.service.name.trim().is_empty() {
        own.push(ContentProblem::MissingService);
    }
    for c in cameras {
        if !act.cameras.iter().any(|r| r.id == c.id.0) {
            own.push(ContentProblem::UnknownCamera { camera: c.id.0.clone() });
        }
    }
    if let Deadline::By { at } = act.deadline {
        if at <= now {
            own.push(ContentProblem::PastDeadline);
        }
    }
    let draft =
        Draft { basis: &act.basis, procedure: &act.procedure, recipient: &act.recipient, cameras, window: act.window };
    (own, check(&draft, now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::LatLon;
    use crate::requisition::{Authorisation, Reference, Severity};
    use crate::View;
    use chrono::TimeZone;

    fn t(d: u32, h: u32) -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap()
    }

    fn casino() -> Holder {
        Holder { name: "Bijouterie du Casino".into(), phone: Some("+377 93 00 00 00".into()), ..Holder::default() }
    }

    fn camera(id: &str) -> Camera {
        let mut c = Camera::fixed_at(
            id,
            LatLon::new(43.7394, 7.4276).unwrap(),
            vec![View { azimuth_deg: 90.0, fov_deg: 60.0, range_m: 40.0 }],
        );
        c.holder = Some(casino());
        c.retention_days = Some(10);
        c
    }

    fn act(basis: LegalBasis, cams: &[&Camera]) -> ActContent {
        ActContent::new(
            DocumentKind::Requisition,
            IssuingService { name: "Commissariat de la Condamine".into(), unit: "DSP-98".into(), ..Default::default() },
            Officer {
                name: "Camille Martin".into(),
                rank: "brigadier-chef".into(),
                qualite: Qualite::Opj,
                rio: "DEMO-001".into(),
            },
            " 2026/001234 ",
            basis,
            "Vol à l'arraché",
            casino(),
            cams,
            Window { from: t(21, 21), to: t(21, 23) },
            t(22, 8),
        )
    }

    #[test]
    fn a_complete_60_1_act_has_no_blocking_problem_and_survives_its_body() {
        let c = camera("c1");
        let a = act(LegalBasis::Flagrance, &[&c]);
        assert_eq!(a.procedure, "2026/001234");
        assert_eq!(a.cameras[0].directions, vec![90.0]);
        assert_eq!(a.time_zone, "Europe/Paris");
        let (own, legal) = check_act(&a, &[&c], t(22, 8));
        assert!(own.is_empty(), "{own:?}");
        assert!(legal.iter().all(|p| p.severity() == Severity::Warning), "{legal:?}");
        let body = a.to_body();
        assert_eq!(body["basis"]["article"], "60-1");
        assert_eq!(body["deadline"]["deadline"], "as_soon_as_possible");
        assert_eq!(ActContent::from_body(&body).unwrap(), a);
    }

    #[test]
    fn what_blocks_signing_is_named() {
        let c = camera("c1");
        let mut a = act(LegalBasis::Preliminaire { authorisation: None }, &[&c]);
        a.facts = " ".into();
        a.officer.qualite = Qualite::Apj { under_opj: String::new() };
        a.deadline = Deadline::By { at: t(22, 7) };
        let other = {
            let mut o = camera("c2");
            o.holder = Some(Holder { name: "Ville de Monaco".into(), ..Holder::default() });
            o
        };
        let (own, legal) = check_act(&a, &[&c, &other], t(22, 8));
        assert_eq!(
            own,
            [
                ContentProblem::MissingFacts,
                ContentProblem::MissingOpj,
                ContentProblem::UnknownCamera { camera: "c2".into() },
                ContentProblem::PastDeadline
            ]
        );
        assert!(legal.contains(&Problem::MissingAuthorisation), "{legal:?}");
        assert!(legal.iter().any(|p| matches!(p, Problem::OtherHolder { camera, .. } if camera == "c2")));
        assert!(own.iter().all(|p| !p.message().is_empty()));
        // With the authorisation the legal problem goes.
        a.basis = LegalBasis::Preliminaire {
            authorisation: Some(Authorisation::Specific(Reference {
                reference: "PR-2026-77".into(),
                date: chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
            })),
        };
        let (_, legal) = check_act(&a, &[&c], t(22, 8));
        assert!(!legal.contains(&Problem::MissingAuthorisation));
    }

    #[test]
    fn the_most_urgent_camera_sets_the_acts_urgency() {
        let (c1, c2) = (camera("c1"), camera("c2"));
        let a = act(LegalBasis::Flagrance, &[&c1, &c2]);
        // c1 keeps 3 days (window start 21/11 21:00 → erased 24/11 21:00), c2 the legal maximum.
        let r = a.most_urgent(|id| (id == "c1").then_some(3), t(22, 8)).unwrap();
        assert_eq!(r.erased_at, t(24, 21));
        assert_eq!(r.urgency, crate::retention::Urgency::Critical);
        assert!(r.known);
        let none = ActContent { cameras: vec![], ..a };
        assert_eq!(none.most_urgent(|_| None, t(22, 8)), None);
    }

    #[test]
    fn a_body_with_a_bad_field_says_which() {
        let c = camera("c1");
        let mut body = act(LegalBasis::Flagrance, &[&c]).to_body();
        body["format"] = "vhs".into();
        let e = ActContent::from_body(&body).unwrap_err();
        assert!(e.contains("vhs"), "{e}");
    }
}
