//! The requisition's content (CPP 60-1, 77-1-1, 99-3) and what must be checked before an
//! officer signs it.
//!
//! A 77-1-1 requisition without the prosecutor's authorisation is null (Cass. crim. 6 Dec
//! 2005), and a 99-3 one needs the commission rogatoire: such problems **block** signing.
//! Retention problems (footage of part of the window already erased, or erased within
//! 72 hours) are **warnings** the officer must see: the holder may have kept it longer, and
//! a late requisition is still better than none. See `../shared/NOTES-LEGAL.md`.

use chrono::NaiveDate;

use crate::camera::{Camera, Holder};
use crate::retention::{self, Urgency};
use crate::Timestamp;

/// The legal framework, with what each requires.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "article", rename_all = "snake_case")]
pub enum LegalBasis {
    /// Enquête de flagrance, CPP 60-1.
    #[serde(rename = "60-1")]
    Flagrance,
    /// Enquête préliminaire, CPP 77-1-1: the prosecutor's authorisation is required.
    #[serde(rename = "77-1-1")]
    Preliminaire {
        /// The authorisation; `None` until the officer enters it.
        authorisation: Option<Authorisation>,
    },
    /// Instruction, CPP 99-3: on a commission rogatoire.
    #[serde(rename = "99-3")]
    Instruction {
        /// The commission rogatoire; `None` until the officer enters it.
        commission_rogatoire: Option<Reference>,
    },
}

impl LegalBasis {
    /// The citation printed under the act's title and shown before signing, in French:
    /// the article, and the authorisation or commission rogatoire it rests on (or, loudly,
    /// their absence).
    pub fn citation(&self) -> String {
        match self {
            LegalBasis::Flagrance => "Article 60-1 du code de procédure pénale (enquête de flagrance)".into(),
            LegalBasis::Preliminaire { authorisation } => {
                let auth = match authorisation {
                    Some(Authorisation::Specific(r)) => format!(
                        "sur autorisation du procureur de la République n° {} du {}",
                        r.reference,
                        r.date.format("%d/%m/%Y")
                    ),
                    Some(Authorisation::GeneralInstruction { reference }) => format!(
                        "sur instructions générales du procureur de la République (article 39-3 du code de procédure \
                         pénale) réf. {reference}"
                    ),
                    None => "SANS AUTORISATION DU PROCUREUR DE LA RÉPUBLIQUE".into(),
                };
                format!("Article 77-1-1 du code de procédure pénale (enquête préliminaire), {auth}")
            }
            LegalBasis::Instruction { commission_rogatoire } => match commission_rogatoire {
                Some(r) => format!(
                    "Article 99-3 du code de procédure pénale (information judiciaire), sur commission rogatoire n° {} \
                     du {}",
                    r.reference,
                    r.date.format("%d/%m/%Y")
                ),
                None => "Article 99-3 du code de procédure pénale, SANS COMMISSION ROGATOIRE".into(),
            },
        }
    }
}

/// A reference and its date (an authorisation, a commission rogatoire).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reference {
    /// The reference as written on the act.
    pub reference: String,
    /// Its date.
    pub date: NaiveDate,
}

/// The prosecutor's authorisation of a 77-1-1 requisition.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Authorisation {
    /// An authorisation for this case.
    Specific(Reference),
    /// The prosecutor's general instructions (CPP 39-3), by their reference.
    GeneralInstruction {
        /// Their reference.
        reference: String,
    },
}

/// The requested time window, UTC on the wire; printed in `time_zone` for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Window {
    /// Start.
    pub from: Timestamp,
    /// End.
    pub to: Timestamp,
}

/// What the officer is about to sign, as far as checking goes.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft<'a> {
    /// Legal basis.
    pub basis: &'a LegalBasis,
    /// Procedure number.
    pub procedure: &'a str,
    /// The recipient: the holder of the recordings.
    pub recipient: &'a Holder,
    /// The cameras requested.
    pub cameras: &'a [&'a Camera],
    /// The window.
    pub window: Window,
}

/// Whether a problem stops the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Shown; the officer may sign.
    Warning,
    /// The document would be void or pointless: it cannot be signed as it is.
    Blocking,
}

/// One thing wrong with a draft, named so the app can say it and point at the field.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    /// 77-1-1 without the prosecutor's authorisation (or its reference or date).
    MissingAuthorisation,
    /// 99-3 without the commission rogatoire's reference and date.
    MissingCommissionRogatoire,
    /// No procedure number.
    MissingProcedure,
    /// No camera requested.
    NoCamera,
    /// The window is empty (start = end).
    EmptyWindow,
    /// The window ends before it starts.
    InvertedWindow,
    /// A camera of another holder: one document per holder.
    OtherHolder {
        /// The camera.
        camera: String,
        /// Its holder.
        holder: Option<String>,
    },
    /// Footage of the whole window is already erased (by the retention known or assumed).
    WindowLost {
        /// The camera.
        camera: String,
    },
    /// Footage of the start of the window is already erased.
    WindowPartlyLost {
        /// The camera.
        camera: String,
        /// Erased up to this moment.
        erased_until: Timestamp,
    },
    /// Footage of the window will be erased within 72 hours.
    WindowAtRisk {
        /// The camera.
        camera: String,
        /// When its first part goes.
        erased_at: Timestamp,
    },
}

impl Problem {
    /// Whether it blocks the signature.
    pub fn severity(&self) -> Severity {
        match self {
            Problem::WindowLost { .. } | Problem::WindowPartlyLost { .. } | Problem::WindowAtRisk { .. } => {
                Severity::Warning
            }
            _ => Severity::Blocking,
        }
    }

    /// What the officer reads, French first.
    pub fn message(&self) -> String {
        match self {
            Problem::MissingAuthorisation => "Article 77-1-1 : l'autorisation du procureur (référence et date, ou instructions générales) est obligatoire / the prosecutor's authorisation is required".into(),
            Problem::MissingCommissionRogatoire => "Article 99-3 : la commission rogatoire (référence et date) est obligatoire / the commission rogatoire is required".into(),
            Problem::MissingProcedure => "Numéro de procédure manquant / procedure number missing".into(),
            Problem::NoCamera => "Aucune caméra demandée / no camera requested".into(),
            Problem::EmptyWindow => "Plage horaire vide / empty time window".into(),
            Problem::InvertedWindow => "La plage horaire finit avant de commencer / the time window ends before it starts".into(),
            Problem::OtherHolder { camera, holder } => format!(
                "La caméra {camera} relève d'un autre détenteur ({}) : une réquisition par détenteur / another holder: one requisition per holder",
                holder.as_deref().unwrap_or("inconnu")
            ),
            Problem::WindowLost { camera } => format!("Caméra {camera} : images déjà effacées / footage already erased"),
            Problem::WindowPartlyLost { camera, .. } => format!("Caméra {camera} : début de la plage déjà effacé / start of the window already erased"),
            Problem::WindowAtRisk { camera, .. } => format!("Caméra {camera} : images effacées dans moins de 72 h / footage erased within 72 h"),
        }
    }
}

/// The window suggested for an incident at `incident`: from `before` earlier to `after`
/// later (the app proposes 30 minutes either side; the officer adjusts).
pub fn suggested_window(incident: Timestamp, before: chrono::Duration, after: chrono::Duration) -> Window {
    Window { from: incident - before, to: incident + after }
}

/// The cameras grouped by holder, one group per future document, in the order the
/// cameras came (nearest first, as "Autour de moi" lists them). Cameras whose holder is
/// unknown form one last group with `None`: nobody can be requisitioned for them until the
/// holder is found.
pub fn group_by_holder<'a>(cameras: &[&'a Camera]) -> Vec<(Option<&'a Holder>, Vec<&'a Camera>)> {
    let mut groups: Vec<(Option<&'a Holder>, Vec<&'a Camera>)> = Vec::new();
    let mut unknown = Vec::new();
    for c in cameras {
        match &c.holder {
            Some(h) => match groups.iter_mut().find(|(g, _)| g.is_some_and(|g| g.name == h.name)) {
                Some((_, v)) => v.push(c),
                None => groups.push((Some(h), vec![c])),
            },
            None => unknown.push(*c),
        }
    }
    if !unknown.is_empty() {
        groups.push((None, unknown));
    }
    groups
}

/// Every problem of `draft` at `now`, blocking ones first.
pub fn check(draft: &Draft<'_>, now: Timestamp) -> Vec<Problem> {
    let mut out = Vec::new();
    match draft.basis {
        LegalBasis::Preliminaire { authorisation } => {
            let ok = match authorisation {
                Some(Authorisation::Specific(r)) => !r.reference.trim().is_empty(),
                Some(Authorisation::GeneralInstruction { reference }) => !reference.trim().is_empty(),
                None => false,
            };
            if !ok {
                out.push(Problem::MissingAuthorisation);
            }
        }
        LegalBasis::Instruction { commission_rogatoire } => {
            if commission_rogatoire.as_ref().is_none_or(|r| r.reference.trim().is_empty()) {
                out.push(Problem::MissingCommissionRogatoire);
            }
        }
        LegalBasis::Flagrance => {}
    }
    if draft.procedure.trim().is_empty() {
        out.push(Problem::MissingProcedure);
    }
    if draft.cameras.is_empty() {
        out.push(Problem::NoCamera);
    }
    let w = draft.window;
    if w.to == w.from {
        out.push(Problem::EmptyWindow);
    } else if w.to < w.from {
        out.push(Problem::InvertedWindow);
    }
    for c in draft.cameras {
        let holder = c.holder.as_ref().map(|h| h.name.as_str());
        if holder != Some(draft.recipient.name.as_str()) {
            out.push(Problem::OtherHolder { camera: c.id.0.clone(), holder: holder.map(str::to_string) });
        }
        if w.to <= w.from {
            continue;
        }
        // The start of the window is erased first; the end last.
        let start = retention::retention(c, w.from, now);
        let end = retention::retention(c, w.to, now);
        if end.urgency == Urgency::Lost {
            out.push(Problem::WindowLost { camera: c.id.0.clone() });
        } else if start.urgency == Urgency::Lost {
            // Footage older than the retention period is gone: up to `now - period`.
            let period = start.erased_at - w.from;
            out.push(Problem::WindowPartlyLost { camera: c.id.0.clone(), erased_until: now - period });
        } else if start.urgency == Urgency::Critical {
            out.push(Problem::WindowAtRisk { camera: c.id.0.clone(), erased_at: start.erased_at });
        }
    }
    out.sort_by_key(|p| std::cmp::Reverse(p.severity()));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_citation_names_the_authorisation_or_says_it_is_missing() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let specific = LegalBasis::Preliminaire {
            authorisation: Some(Authorisation::Specific(Reference { reference: "PR-77".into(), date })),
        };
        assert!(specific.citation().contains("77-1-1") && specific.citation().contains("n° PR-77 du 20/11/2026"));
        assert!(LegalBasis::Preliminaire { authorisation: None }.citation().contains("SANS AUTORISATION"));
        let cr =
            LegalBasis::Instruction { commission_rogatoire: Some(Reference { reference: "CR 26/118".into(), date }) };
        assert!(cr.citation().contains("commission rogatoire n° CR 26/118 du 20/11/2026"));
        assert!(LegalBasis::Flagrance.citation().starts_with("Article 60-1"));
    }

    #[test]
    fn one_document_per_holder_in_the_order_listed() {
        let near = camera("a", "Ville de Grenoble", Some(7));
        let shop = camera("b", "Tabac du Port", None);
        let far = camera("c", "Ville de Grenoble", Some(7));
        let mut nobody = camera("d", "x", None);
        nobody.holder = None;
        let groups = group_by_holder(&[&near, &nobody, &shop, &far]);
        let summary: Vec<(Option<&str>, Vec<&str>)> = groups
            .iter()
            .map(|(h, cs)| (h.map(|h| h.name.as_str()), cs.iter().map(|c| c.id.0.as_str()).collect()))
            .collect();
        assert_eq!(
            summary,
            [(Some("Ville de Grenoble"), vec!["a", "c"]), (Some("Tabac du Port"), vec!["b"]), (None, vec!["d"])]
        );
        let w = suggested_window(t(20, 22), chrono::Duration::minutes(30), chrono::Duration::minutes(30));
        assert_eq!(
            (w.from, w.to),
            (t(20, 22) - chrono::Duration::minutes(30), t(20, 22) + chrono::Duration::minutes(30))
        );
    }

    use super::*;
    use crate::geo::LatLon;
    use chrono::TimeZone;

    fn t(d: u32, h: u32) -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap()
    }

    fn camera(id: &str, holder: &str, retention_days: Option<u32>) -> Camera {
        let mut c = Camera::fixed_at(id, LatLon::new(45.1885, 5.7245).unwrap(), vec![]);
        c.holder = Some(Holder { name: holder.into(), ..Holder::default() });
        c.retention_days = retention_days;
        c
    }

    fn problems(basis: LegalBasis, cams: &[&Camera], window: Window, now: Timestamp) -> Vec<Problem> {
        let recipient = Holder { name: "Ville de Grenoble".into(), ..Holder::default() };
        check(&Draft { basis: &basis, procedure: "2026/001234", recipient: &recipient, cameras: cams, window }, now)
    }

    #[test]
    fn the_legal_basis_decides_what_is_required() {
        let c = camera("c1", "Ville de Grenoble", Some(30));
        let w = Window { from: t(20, 21), to: t(20, 22) };
        let now = t(21, 9);
        assert_eq!(problems(LegalBasis::Flagrance, &[&c], w, now), vec![]);
        assert_eq!(
            problems(LegalBasis::Preliminaire { authorisation: None }, &[&c], w, now),
            vec![Problem::MissingAuthorisation]
        );
        let date = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        let blank = Authorisation::Specific(Reference { reference: " ".into(), date });
        assert_eq!(
            problems(LegalBasis::Preliminaire { authorisation: Some(blank) }, &[&c], w, now),
            vec![Problem::MissingAuthorisation]
        );
        let given = Authorisation::Specific(Reference { reference: "PR-2026-118".into(), date });
        assert_eq!(problems(LegalBasis::Preliminaire { authorisation: Some(given) }, &[&c], w, now), vec![]);
        let general = Authorisation::GeneralInstruction { reference: "Instructions générales 2025-03".into() };
        assert_eq!(problems(LegalBasis::Preliminaire { authorisation: Some(general) }, &[&c], w, now), vec![]);
        assert_eq!(
            problems(LegalBasis::Instruction { commission_rogatoire: None }, &[&c], w, now),
            vec![Problem::MissingCommissionRogatoire]
        );
        assert!(Problem::MissingAuthorisation.message().starts_with("Article 77-1-1"));
    }

    #[test]
    fn windows_holders_and_retention() {
        let now = t(21, 9);
        let grenoble7 = camera("g7", "Ville de Grenoble", Some(7));
        let shop = camera("shop", "Tabac du Port", None);
        let inverted = Window { from: t(20, 22), to: t(20, 21) };
        assert_eq!(
            problems(LegalBasis::Flagrance, &[&grenoble7, &shop], inverted, now),
            vec![
                Problem::InvertedWindow,
                Problem::OtherHolder { camera: "shop".into(), holder: Some("Tabac du Port".into()) }
            ]
        );
        let empty = Window { from: t(20, 22), to: t(20, 22) };
        assert_eq!(problems(LegalBasis::Flagrance, &[&grenoble7], empty, now), vec![Problem::EmptyWindow]);

        // Seven days of retention, asked on the 21st for the 14th 21:00–23:00: the start
        // went at 21:00 on the 21st (lost), the end goes at 23:00 (still there).
        let w = Window { from: t(14, 21), to: t(14, 23) };
        let p = problems(LegalBasis::Flagrance, &[&grenoble7], w, t(21, 22));
        assert_eq!(p, vec![Problem::WindowPartlyLost { camera: "g7".into(), erased_until: t(14, 22) }]);
        assert_eq!(p[0].severity(), Severity::Warning);
        let gone = problems(LegalBasis::Flagrance, &[&grenoble7], w, t(22, 0));
        assert_eq!(gone, vec![Problem::WindowLost { camera: "g7".into() }]);
        // Asked on the 19th: 2 days left, under 72 h.
        let risky = problems(LegalBasis::Flagrance, &[&grenoble7], w, t(19, 21));
        assert_eq!(risky, vec![Problem::WindowAtRisk { camera: "g7".into(), erased_at: t(21, 21) }]);
        // Blocking problems come first.
        let mixed = problems(LegalBasis::Preliminaire { authorisation: None }, &[&grenoble7], w, t(19, 21));
        assert_eq!(mixed[0], Problem::MissingAuthorisation);
        assert_eq!(mixed[1].severity(), Severity::Warning);
    }
}
