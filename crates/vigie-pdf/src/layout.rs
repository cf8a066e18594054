//! What goes on the pages: the act's fields in French, laid out on A4 as drawing
//! operations, cut into pages as they fill.

use chrono_tz::Tz;
use vigie_core::act::{ActContent, Deadline, DeliveryForm, ExportFormat, Qualite, RequestedCamera};
use vigie_core::document::DocumentKind;
use vigie_core::proof::{hex, Proof};
use vigie_core::Timestamp;

use crate::text::{width, winansi, wrap, Font};

/// A4, in points.
pub const PAGE_W: f32 = 595.28;
/// A4, in points.
pub const PAGE_H: f32 = 841.89;
/// The text column's left edge.
pub const LEFT: f32 = 56.0;
/// The text column's right edge.
pub const RIGHT: f32 = PAGE_W - 56.0;
const TOP: f32 = PAGE_H - 56.0;
/// The lowest baseline of the body; the footer lives below.
const BOTTOM: f32 = 72.0;
const LABEL_W: f32 = 118.0;
const SIZE: f32 = 9.5;
const LEADING: f32 = 12.5;
/// The QR code's side without its quiet zone: 45 mm.
const QR_SIDE: f32 = 45.0 * 72.0 / 25.4;

/// One drawing operation, in points from the page's bottom left corner.
pub enum Op {
    /// A line of WinAnsi text at a baseline.
    Text {
        /// Left end of the baseline.
        x: f32,
        /// Baseline.
        y: f32,
        /// Font.
        font: Font,
        /// Size in points.
        size: f32,
        /// The text, WinAnsi.
        bytes: Vec<u8>,
    },
    /// The QR code: its lower left corner `(x, y)`, its module's side, and its runs of dark
    /// modules as `[column, row from the bottom, length]`, filled together.
    Modules {
        /// Left.
        x: f32,
        /// Bottom.
        y: f32,
        /// A module's side.
        module: f32,
        /// The runs.
        runs: Vec<[u16; 3]>,
    },
    /// A thin rectangle outline `[x, y, w, h]`.
    Frame([f32; 4]),
    /// A thin horizontal rule across the text column.
    Rule(f32),
}

/// A time zone and how the act names it.
pub struct Clock {
    tz: Tz,
    /// "heure de Paris", or "heure locale, Zone/Ville".
    label: String,
    /// "heure de Paris, Europe/Paris", or the label.
    full_label: String,
}

impl Clock {
    /// The clock of an act's `time_zone` (an IANA name); `None` if unknown.
    pub fn new(time_zone: &str) -> Option<Clock> {
        let tz: Tz = time_zone.parse().ok()?;
        let (label, full_label) = if tz == chrono_tz::Europe::Paris {
            ("heure de Paris".to_string(), format!("heure de Paris, {tz}"))
        } else {
            (format!("heure locale, {tz}"), format!("heure locale, {tz}"))
        };
        Some(Clock { tz, label, full_label })
    }

    /// "21/11/2026 à 22:00" (seconds only when there are some).
    fn at(&self, t: Timestamp) -> String {
        let local = t.with_timezone(&self.tz);
        let time = if t.timestamp() % 60 == 0 { "%H:%M" } else { "%H:%M:%S" };
        local.format(&format!("%d/%m/%Y à {time}")).to_string()
    }
}

fn utc(t: Timestamp) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// The pages being filled, and where the next line goes.
struct Pages {
    pages: Vec<Vec<Op>>,
    /// The next baseline.
    y: f32,
    /// Printed at the top of every page after the first.
    running_head: String,
}

impl Pages {
    fn op(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    /// Starts a new page unless `height` points still fit on this one.
    fn room(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            self.pages.push(Vec::new());
            self.y = TOP;
            let head = wrap(&self.running_head, Font::Regular, 8.0, RIGHT - LEFT).swap_remove(0);
            self.op(Op::Text { x: LEFT, y: self.y, font: Font::Regular, size: 8.0, bytes: head });
            self.op(Op::Rule(self.y - 6.0));
            self.y -= 26.0;
        }
    }

    fn gap(&mut self, height: f32) {
        self.y -= height;
    }

    /// Lines side by side: each cell `(x, width, text, font)` wrapped in its column; a
    /// row taller than what is left goes on as lines on the next page.
    fn row(&mut self, cells: &[(f32, f32, &str, Font)], size: f32, leading: f32) {
        let wrapped: Vec<Vec<Vec<u8>>> = cells.iter().map(|(_, w, s, font)| wrap(s, *font, size, *w)).collect();
        let n = wrapped.iter().map(Vec::len).max().unwrap_or(0);
        // Keep a label with the start of its value.
        self.room(leading * n.min(3) as f32);
        for i in 0..n {
            self.room(leading);
            for ((x, _, _, font), lines) in cells.iter().zip(&wrapped) {
                if let Some(line) = lines.get(i).filter(|l| !l.is_empty()) {
                    self.op(Op::Text { x: *x, y: self.y, font: *font, size, bytes: line.clone() });
                }
            }
            self.y -= leading;
        }
    }

    /// A labelled field: the label in bold on the left, the value beside it.
    fn field(&mut self, label: &str, value: &str) {
        let value_w = RIGHT - LEFT - LABEL_W;
        self.row(
            &[(LEFT, LABEL_W - 8.0, label, Font::Bold), (LEFT + LABEL_W, value_w, value, Font::Regular)],
            SIZE,
            LEADING,
        );
    }

    /// Further lines of a field, small (a note under the value).
    fn note(&mut self, value: &str) {
        self.row(&[(LEFT + LABEL_W, RIGHT - LEFT - LABEL_W, value, Font::Regular)], 8.0, 10.5);
    }

    /// A paragraph across the column.
    fn para(&mut self, s: &str, font: Font, size: f32) {
        self.row(&[(LEFT, RIGHT - LEFT, s, font)], size, size * 1.3);
    }

    /// Lines centred on the page.
    fn centred(&mut self, s: &str, font: Font, size: f32) {
        for line in wrap(s, font, size, RIGHT - LEFT) {
            self.room(size * 1.35);
            let x = (PAGE_W - width(&line, font, size)) / 2.0;
            self.op(Op::Text { x, y: self.y, font, size, bytes: line });
            self.y -= size * 1.35;
        }
    }
}

fn directions(c: &RequestedCamera) -> String {
    if c.directions.is_empty() {
        return "inconnue ou orientable".into();
    }
    let each: Vec<String> = c
        .directions
        .iter()
        .map(|d| format!("{:.0}° ({})", d.rem_euclid(360.0), vigie_core::geo::compass_fr(*d)))
        .collect();
    each.join(", ")
}

fn cameras(p: &mut Pages, act: &ActContent) {
    let n = act.cameras.len();
    let count = if n == 1 { "1 caméra".to_string() } else { format!("{n} caméras") };
    p.field("Caméras", &format!("{count}, détenteur : {}", act.recipient.name));
    p.gap(2.0);
    let cols = [LEFT, LEFT + 92.0, LEFT + 262.0, LEFT + 362.0, RIGHT];
    let row = |p: &mut Pages, cells: [&str; 4], font: Font| {
        let cells: Vec<(f32, f32, &str, Font)> =
            (0..4).map(|i| (cols[i] + 2.0, cols[i + 1] - cols[i] - 6.0, cells[i], font)).collect();
        p.row(&cells, 8.5, 10.5);
    };
    p.room(3.0 * 10.5);
    row(p, ["Identifiant", "Libellé ou adresse", "Position (lat., long.)", "Direction(s) filmée(s)"], Font::Bold);
    p.op(Op::Rule(p.y + 7.5));
    p.gap(3.0);
    for c in &act.cameras {
        let position = format!("{:.5}, {:.5}", c.lat, c.lon);
        row(p, [&c.id, c.label.as_deref().unwrap_or("—"), &position, &directions(c)], Font::Regular);
    }
    p.op(Op::Rule(p.y + 7.5));
    p.gap(8.0);
}

/// The pages of the act `act` that `proof` carries; `digest` is the document's, `qr` the
/// QR code's text.
pub fn pages(proof: &Proof, act: &ActContent, clock: &Clock, digest: &[u8; 32], qr: &str) -> Vec<Vec<Op>> {
    let doc = &proof.document;
    let title = match doc.kind {
        DocumentKind::Requisition => "RÉQUISITION",
        DocumentKind::Preservation => "DEMANDE DE PRÉSERVATION DES IMAGES (gel)",
    };
    let running_head = format!("{title} — procédure n° {} — document {} (suite)", act.procedure, doc.id);
    let mut p = Pages { pages: vec![Vec::new()], y: TOP, running_head };

    // The issuing service.
    let s = &act.service;
    p.para(&s.name, Font::Bold, 11.0);
    let contact: Vec<&str> =
        [&s.unit, &s.address, &s.phone, &s.email].into_iter().map(|v| v.trim()).filter(|v| !v.is_empty()).collect();
    p.para(&contact.join(" — "), Font::Regular, 8.5);
    p.gap(2.0);
    p.op(Op::Rule(p.y + 6.0));
    p.gap(14.0);

    // Title and legal basis.
    p.centred(title, Font::Bold, if doc.kind == DocumentKind::Requisition { 16.0 } else { 14.0 });
    p.gap(2.0);
    p.centred(&act.basis.citation(), Font::Regular, 9.5);
    if let Some(r) = &doc.replaces {
        p.gap(2.0);
        p.centred(&format!("Annule et remplace le document {r}"), Font::Bold, 9.5);
    }
    p.gap(10.0);

    // Who asks whom, about what.
    p.field("Procédure n°", &act.procedure);
    p.field("Émise le", &format!("{} ({})", clock.at(act.issued_at), clock.label));
    let o = &act.officer;
    let qualite = match &o.qualite {
        Qualite::Opj => "officier de police judiciaire (OPJ)".to_string(),
        Qualite::Apj { under_opj } => {
            format!("agent de police judiciaire (APJ), sous le contrôle de l'OPJ {under_opj}")
        }
    };
    p.field("Requérant", &format!("{} {}, {qualite}, RIO {}", o.rank, o.name, o.rio));
    let h = &act.recipient;
    let holder: Vec<&str> = std::iter::once(&h.name)
        .chain([&h.address, &h.phone, &h.email].into_iter().flatten())
        .map(|v| v.as_str())
        .collect();
    p.field("Destinataire", &holder.join("\n"));
    p.field("Nature des faits", &act.facts);
    p.field(
        "Objet",
        match doc.kind {
            DocumentKind::Requisition => {
                "remise des enregistrements vidéo des caméras ci-dessous, pour la période indiquée, dans les \
                 conditions suivantes."
            }
            DocumentKind::Preservation => {
                "préservation immédiate des enregistrements vidéo des caméras ci-dessous, pour la période indiquée, \
                 dans l'attente de leur réquisition."
            }
        },
    );
    p.gap(4.0);
    cameras(&mut p, act);

    // What is asked, how and by when.
    p.field(
        "Période demandée",
        &format!("du {} au {} ({})", clock.at(act.window.from), clock.at(act.window.to), clock.full_label),
    );
    p.note(&format!("soit du {} au {}", utc(act.window.from), utc(act.window.to)));
    let asked = |yes: bool, what: &str| if yes { what.to_string() } else { "non demandé".to_string() };
    p.field(
        "Format",
        match act.format {
            ExportFormat::NativeWithPlayer => "export natif de l'enregistreur, accompagné de son logiciel de lecture",
            ExportFormat::Standard => "format standard (MP4, H.264)",
        },
    );
    p.field(
        "Horloge",
        &asked(
            act.report_clock_offset,
            "indiquer l'écart constaté entre l'horloge de l'enregistreur et l'heure légale",
        ),
    );
    p.field("Intégrité", &asked(act.integrity_sha256, "fournir l'empreinte SHA-256 de chaque fichier remis"));
    p.field(
        "Préservation",
        &asked(act.preserve_at_once, "préserver immédiatement les images de la période, avant toute extraction"),
    );
    p.field(
        "Remise",
        match act.delivery {
            DeliveryForm::InPerson => "en main propre au requérant, contre récépissé",
            DeliveryForm::SecureUpload => "par dépôt sur le service de transfert sécurisé indiqué par le requérant",
            DeliveryForm::Medium => "sur support non réinscriptible",
        },
    );
    let deadline = match act.deadline {
        Deadline::AsSoonAsPossible => "dans les meilleurs délais".to_string(),
        Deadline::By { at } => format!("au plus tard le {} ({})", clock.at(at), clock.label),
    };
    p.field("Délai", &format!("{deadline} ; les images sont effacées au terme de leur durée de conservation"));
    p.gap(6.0);
    p.para(&act.penalty_mention, Font::Regular, 8.5);
    p.gap(3.0);
    p.para(&act.secrecy_reminder, Font::Regular, 8.5);
    p.gap(8.0);

    // Signatures.
    p.para(
        &format!(
            "Signé électroniquement par {} {} (RIO {}) le {} ({}), clé {}",
            o.rank,
            o.name,
            doc.author,
            clock.at(doc.created_at),
            clock.label,
            proof.author_key
        ),
        Font::Bold,
        9.0,
    );
    match &proof.countersignature {
        Some(c) => p.para(
            &format!("Contresigné par {} le {} ({}), clé {}", c.rio, clock.at(c.at), clock.label, c.key),
            Font::Bold,
            9.0,
        ),
        None => p.para("Non contresigné", Font::Regular, 9.0),
    }
    p.gap(8.0);
    qr_block(&mut p, qr);

    // The footer of every page.
    let n = p.pages.len();
    let id = format!("Document {}", doc.id);
    let sha = winansi(&format!("SHA-256 du document : {}", hex(digest)));
    for (i, page) in p.pages.iter_mut().enumerate() {
        let number = winansi(&format!("page {}/{n}", i + 1));
        let number_x = RIGHT - width(&number, Font::Regular, 7.0);
        let id = wrap(&id, Font::Regular, 7.0, number_x - LEFT - 10.0).swap_remove(0);
        page.push(Op::Rule(BOTTOM - 14.0));
        page.push(Op::Text { x: LEFT, y: BOTTOM - 25.0, font: Font::Regular, size: 7.0, bytes: id });
        page.push(Op::Text { x: number_x, y: BOTTOM - 25.0, font: Font::Regular, size: 7.0, bytes: number });
        page.push(Op::Text { x: LEFT, y: BOTTOM - 34.0, font: Font::Regular, size: 7.0, bytes: sha.clone() });
    }
    p.pages
}

/// The QR code on the right, drawn as runs of dark modules; on its left, how to check the
/// document and a frame for the holder's acknowledgement. Without a QR code (a text too
/// long for one), the caption says so and the frame takes the width.
fn qr_block(p: &mut Pages, text: &str) {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).ok();
    let n = code.as_ref().map_or(0, |c| c.width());
    let module = if n > 0 { QR_SIDE / n as f32 } else { 0.0 };
    let quiet = 4.0 * module;
    p.room(QR_SIDE + 2.0 * quiet);
    let top = p.y + 8.0;
    let bottom = top - QR_SIDE - 2.0 * quiet;
    let (text_w, caption) = match &code {
        Some(code) => {
            let mut runs = Vec::new();
            for (row, cells) in code.to_colors().chunks(n).enumerate() {
                let mut col = 0;
                while col < n {
                    let start = col;
                    while col < n && cells[col] == qrcode::Color::Dark {
                        col += 1;
                    }
                    if col > start {
                        // Versions 1–40: at most 177 modules a side.
                        runs.push([start as u16, (n - 1 - row) as u16, (col - start) as u16]);
                    }
                    col += 1;
                }
            }
            p.op(Op::Modules { x: RIGHT - QR_SIDE, y: bottom + quiet, module, runs });
            let caption = "Vérification : scanner ce code ou « vigie-server verify » sur ce fichier.";
            (RIGHT - QR_SIDE - quiet - 8.0 - LEFT, caption)
        }
        None => {
            (RIGHT - LEFT, "Vérification : « vigie-server verify » sur ce fichier (texte trop long pour un code QR).")
        }
    };
    p.row(&[(LEFT, text_w, caption, Font::Regular)], 8.5, 11.0);
    p.gap(8.0);
    let frame_top = p.y + 11.0;
    let receipt = "Réception par le destinataire (date, nom, qualité, signature) :";
    p.row(&[(LEFT + 5.0, text_w - 10.0, receipt, Font::Regular)], 8.0, 10.0);
    p.op(Op::Frame([LEFT, bottom + quiet, text_w, frame_top - bottom - quiet]));
    p.y = bottom - 4.0;
}
