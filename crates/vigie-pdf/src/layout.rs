//! The page layout of an act, and the PDF file around it.

use chrono_tz::Europe::Paris;
use vigie_core::act::{ActContent, Deadline, DeliveryForm, ExportFormat, Qualite};
use vigie_core::document::DocumentKind;
use vigie_core::proof::{hex, Proof};
use vigie_core::requisition::{Authorisation, LegalBasis};
use vigie_core::Timestamp;

use crate::text::{literal, winansi, wrap};

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const LEFT: f32 = 50.0;
const RIGHT: f32 = PAGE_W - 50.0;
const TOP: f32 = PAGE_H - 50.0;
const BOTTOM: f32 = 60.0;
const VALUE_X: f32 = 190.0;
const SIZE: f32 = 10.0;
const LEADING: f32 = 13.0;
/// The QR code's side, about 45 mm.
const QR_SIDE: f32 = 128.0;

/// One drawing operation.
pub enum Op {
    /// Text at a baseline.
    Text { x: f32, y: f32, size: f32, bold: bool, bytes: Vec<u8> },
    /// A filled rectangle.
    Rect { x: f32, y: f32, w: f32, h: f32 },
}

struct Pages {
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Pages {
    fn new() -> Pages {
        Pages { pages: vec![Vec::new()], y: TOP }
    }

    fn room(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            self.pages.push(Vec::new());
            self.y = TOP;
        }
    }

    fn op(&mut self, op: Op) {
        self.pages.last_mut().expect("a page").push(op);
    }

    fn line(&mut self, x: f32, bytes: Vec<u8>, size: f32, bold: bool) {
        self.room(size * 1.3);
        self.op(Op::Text { x, y: self.y, size, bold, bytes });
        self.y -= size * 1.3;
    }

    /// A paragraph across the page.
    fn para(&mut self, s: &str, size: f32, bold: bool) {
        for l in wrap(s, size, bold, RIGHT - LEFT) {
            self.line(LEFT, l, size, bold);
        }
    }

    /// `label` in bold on the left, `value` wrapped beside it.
    fn field(&mut self, label: &str, value: &str) {
        let lines = wrap(value, SIZE, false, RIGHT - VALUE_X);
        self.room(LEADING * lines.len().min(3) as f32);
        self.op(Op::Text { x: LEFT, y: self.y, size: SIZE, bold: true, bytes: winansi(label) });
        for l in lines {
            self.room(LEADING);
            self.op(Op::Text { x: VALUE_X, y: self.y, size: SIZE, bold: false, bytes: l });
            self.y -= LEADING;
        }
    }

    fn gap(&mut self, h: f32) {
        self.y -= h;
    }

    fn centred(&mut self, s: &str, size: f32, bold: bool) {
        let bytes = winansi(s);
        let w = crate::text::width(&bytes, size, bold);
        self.room(size * 1.4);
        self.op(Op::Text { x: (PAGE_W - w) / 2.0, y: self.y, size, bold, bytes });
        self.y -= size * 1.4;
    }
}

fn paris(t: Timestamp) -> String {
    t.with_timezone(&Paris).format("%d/%m/%Y à %H:%M").to_string()
}

fn utc(t: Timestamp) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn yes(b: bool) -> &'static str {
    if b {
        "demandé"
    } else {
        "non demandé"
    }
}

/// The article line under the title.
pub fn basis_text(basis: &LegalBasis) -> String {
    match basis {
        LegalBasis::Flagrance => "Article 60-1 du code de procédure pénale (enquête de flagrance)".into(),
        LegalBasis::Preliminaire { authorisation } => {
            let auth = match authorisation {
                Some(Authorisation::Specific(r)) => format!(
                    ", sur autorisation du procureur de la République n° {} du {}",
                    r.reference,
                    r.date.format("%d/%m/%Y")
                ),
                Some(Authorisation::GeneralInstruction { reference }) => format!(
                    ", sur instructions générales du procureur de la République (article 39-3 du CPP) réf. {reference}"
                ),
                None => ", SANS AUTORISATION DU PROCUREUR (acte nul)".into(),
            };
            format!("Article 77-1-1 du code de procédure pénale (enquête préliminaire){auth}")
        }
        LegalBasis::Instruction { commission_rogatoire } => match commission_rogatoire {
            Some(r) => format!(
                "Article 99-3 du code de procédure pénale, sur commission rogatoire n° {} du {}",
                r.reference,
                r.date.format("%d/%m/%Y")
            ),
            None => "Article 99-3 du code de procédure pénale, SANS COMMISSION ROGATOIRE (acte nul)".into(),
        },
    }
}

/// The pages of `act`, signed as `proof` says.
pub fn pages(proof: &Proof, act: &ActContent, digest: &[u8; 32], qr: &str) -> Vec<Vec<Op>> {
    let mut p = Pages::new();
    let s = &act.service;
    p.line(LEFT, winansi(&s.name), 11.0, true);
    for l in [&s.unit, &s.address, &s.phone, &s.email].into_iter().filter(|v| !v.trim().is_empty()) {
        p.line(LEFT, winansi(l), 9.0, false);
    }
    p.gap(8.0);
    p.field("Procédure n°", &act.procedure);
    p.field("Émise le", &format!("{} (heure de Paris)", paris(act.issued_at)));
    p.gap(10.0);
    match act.kind {
        DocumentKind::Requisition => p.centred("RÉQUISITION", 16.0, true),
        DocumentKind::Preservation => p.centred("DEMANDE DE PRÉSERVATION DES IMAGES (gel)", 14.0, true),
    }
    p.para(&basis_text(&act.basis), 9.5, false);
    if let Some(r) = &proof.document.replaces {
        p.para(&format!("Annule et remplace le document {r}."), 9.5, true);
    }
    p.gap(8.0);
    let o = &act.officer;
    let qualite = match &o.qualite {
        Qualite::Opj => "officier de police judiciaire".to_string(),
        Qualite::Apj { under_opj } => format!("agent de police judiciaire, sous le contrôle de l'OPJ {under_opj}"),
    };
    p.field("Requérant", &format!("{} {}, {qualite}, RIO {}", o.rank, o.name, o.rio));
    let h = &act.recipient;
    let contact: Vec<&str> = [&h.address, &h.phone, &h.email].into_iter().flatten().map(String::as_str).collect();
    p.field("Destinataire", &h.name);
    if !contact.is_empty() {
        p.field("", &contact.join(" — "));
    }
    p.field("Nature des faits", &act.facts);
    p.gap(4.0);
    p.field("Caméras", &format!("{} caméra(s) :", act.cameras.len()));
    for c in &act.cameras {
        let dirs: Vec<String> =
            c.directions.iter().map(|d| format!("{d:.0}° ({})", vigie_core::geo::compass_fr(*d))).collect();
        let dir = if dirs.is_empty() {
            "direction inconnue ou orientable".to_string()
        } else {
            format!("vers {}", dirs.join(", "))
        };
        p.field(
            "",
            &format!(
                "• {} — {} — {:.5}, {:.5} — {dir}",
                c.id,
                c.label.as_deref().unwrap_or("sans libellé"),
                c.lat,
                c.lon
            ),
        );
    }
    p.gap(4.0);
    p.field(
        "Période demandée",
        &format!(
            "du {} au {} (heure de Paris, {}) — soit {} à {}",
            paris(act.window.from),
            paris(act.window.to),
            act.time_zone,
            utc(act.window.from),
            utc(act.window.to)
        ),
    );
    p.field(
        "Format",
        match act.format {
            ExportFormat::NativeWithPlayer => "export natif de l'enregistreur, avec son lecteur",
            ExportFormat::Standard => "format standard (MP4/H.264)",
        },
    );
    p.field(
        "Décalage d'horloge",
        &format!("{} : indiquer l'écart de l'horloge de l'enregistreur", yes(act.report_clock_offset)),
    );
    p.field("Intégrité", &format!("{} : empreinte SHA-256 de chaque fichier remis", yes(act.integrity_sha256)));
    p.field(
        "Préservation",
        &format!("{} : conserver immédiatement les images de la période", yes(act.preserve_at_once)),
    );
    p.field(
        "Remise",
        match act.delivery {
            DeliveryForm::InPerson => "en main propre, contre récépissé",
            DeliveryForm::SecureUpload => "par dépôt sur le service de transfert sécurisé indiqué par le requérant",
            DeliveryForm::Medium => "sur support non réinscriptible",
        },
    );
    p.field(
        "Délai",
        &match act.deadline {
            Deadline::AsSoonAsPossible => "dans les meilleurs délais".to_string(),
            Deadline::By { at } => format!("au plus tard le {} (heure de Paris)", paris(at)),
        },
    );
    p.gap(6.0);
    p.para(&act.penalty_mention, 9.0, false);
    p.para(&act.secrecy_reminder, 9.0, false);
    p.gap(10.0);
    p.para(
        &format!(
            "Signé électroniquement par {} {} (RIO {}) le {} (heure de Paris), clé {}.",
            o.rank,
            o.name,
            proof.document.author,
            paris(proof.document.created_at),
            proof.author_key
        ),
        9.5,
        true,
    );
    match &proof.countersignature {
        Some(c) => {
            p.para(&format!("Contresigné par {} le {} (heure de Paris), clé {}.", c.rio, paris(c.at), c.key), 9.5, true)
        }
        None => p.para("Non contresigné.", 9.5, false),
    }
    p.gap(6.0);
    // The QR code and its caption, together.
    p.room(QR_SIDE + 30.0);
    qr_code(&mut p, qr);
    let (id, digest_hex) = (proof.document.id.clone(), hex(digest));
    let n = p.pages.len();
    for (i, page) in p.pages.iter_mut().enumerate() {
        let footer = format!("Document {id} · SHA-256 {digest_hex} · page {}/{n}", i + 1);
        page.push(Op::Text { x: LEFT, y: 30.0, size: 6.5, bold: false, bytes: winansi(&footer) });
    }
    p.pages
}

fn qr_code(p: &mut Pages, text: &str) {
    let Ok(code) = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M) else {
        p.para("(code QR impossible : texte trop long)", 8.0, false);
        return;
    };
    let n = code.width();
    let colors = code.to_colors();
    let module = QR_SIDE / (n as f32 + 8.0);
    let x0 = RIGHT - QR_SIDE + 4.0 * module;
    let top = p.y - 4.0 * module;
    for (row, cells) in colors.chunks(n).enumerate() {
        let mut col = 0;
        while col < n {
            if cells[col] == qrcode::Color::Dark {
                let start = col;
                while col < n && cells[col] == qrcode::Color::Dark {
                    col += 1;
                }
                p.op(Op::Rect {
                    x: x0 + start as f32 * module,
                    y: top - (row + 1) as f32 * module,
                    w: (col - start) as f32 * module,
                    h: module,
                });
            } else {
                col += 1;
            }
        }
    }
    let caption_y = p.y - 20.0;
    for (i, l) in [
        "Vérification : scanner ce code,",
        "ou « vigie-server verify » sur ce fichier,",
        "ou le portail de vérification de la plateforme.",
    ]
    .into_iter()
    .enumerate()
    {
        p.op(Op::Text { x: LEFT, y: caption_y - i as f32 * 12.0, size: 9.0, bold: false, bytes: winansi(l) });
    }
    p.y -= QR_SIDE + 10.0;
}

fn content_stream(ops: &[Op]) -> Vec<u8> {
    let mut c = Vec::new();
    for op in ops {
        match op {
            Op::Text { x, y, size, bold, bytes } => {
                c.extend(format!("BT /{} {size:.1} Tf {x:.2} {y:.2} Td (", if *bold { "F2" } else { "F1" }).as_bytes());
                c.extend(literal(bytes));
                c.extend(b") Tj ET\n");
            }
            Op::Rect { x, y, w, h } => c.extend(format!("{x:.3} {y:.3} {w:.3} {h:.3} re f\n").as_bytes()),
        }
    }
    c
}

/// The whole file: catalog, pages, fonts, the attached proof.
pub fn write(pages: &[Vec<Op>], json: &[u8], digest: &[u8; 32]) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    let mut obj = |out: &mut Vec<u8>, body: &[u8]| {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n", offsets.len()).as_bytes());
        out.extend(body);
        out.extend(b"\nendobj\n");
    };
    let first_page = 7;
    let kids: Vec<String> = (0..pages.len()).map(|i| format!("{} 0 R", first_page + 2 * i)).collect();
    let name = literal(crate::ATTACHMENT.as_bytes());
    let name = String::from_utf8_lossy(&name);
    obj(&mut out, format!("<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [({name}) 5 0 R] >> >> /PageMode /UseAttachments >>").as_bytes());
    obj(&mut out, format!("<< /Type /Pages /Kids [{}] /Count {} >>", kids.join(" "), pages.len()).as_bytes());
    obj(&mut out, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
    obj(&mut out, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>");
    obj(
        &mut out,
        format!("<< /Type /Filespec /F ({name}) /UF ({name}) /EF << /F 6 0 R >> /Desc (Preuve de signature Vigie) >>")
            .as_bytes(),
    );
    let mut file =
        format!("<< /Type /EmbeddedFile /Subtype /application#2Fjson /Length {} >>\nstream\n", json.len()).into_bytes();
    file.extend(json);
    file.extend(b"\nendstream");
    obj(&mut out, &file);
    for (i, ops) in pages.iter().enumerate() {
        let next = first_page + 2 * i + 1;
        obj(
            &mut out,
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {next} 0 R >>"
            )
            .as_bytes(),
        );
        let content = content_stream(ops);
        let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
        stream.extend(content);
        stream.extend(b"\nendstream");
        obj(&mut out, &stream);
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1).as_bytes());
    for o in &offsets {
        out.extend(format!("{o:010} 00000 n \n").as_bytes());
    }
    let id = hex(&digest[..16]);
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /ID [<{id}> <{id}>] >>\nstartxref\n{xref}\n%%EOF\n",
            offsets.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// The attached proof's bytes in a file `write` produced.
pub fn attachment(pdf: &[u8]) -> Option<&[u8]> {
    let marker = b"/Type /EmbeddedFile /Subtype /application#2Fjson /Length ";
    let start = pdf.windows(marker.len()).position(|w| w == marker)? + marker.len();
    let digits = pdf[start..].iter().take_while(|b| b.is_ascii_digit()).count();
    let len: usize = std::str::from_utf8(&pdf[start..start + digits]).ok()?.parse().ok()?;
    let rest = &pdf[start + digits..];
    let head = b" >>\nstream\n";
    if !rest.starts_with(head) {
        return None;
    }
    rest.get(head.len()..head.len().checked_add(len)?)
}
