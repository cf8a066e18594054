//! A signed requisition (or preservation request) as a printable PDF in French, and the
//! check of such a file. Bytes in, bytes out: no file, clock or network here.
//!
//! # What the file is
//!
//! One A4 page or more with every field of the act (`vigie_core::act::ActContent`), times
//! in the act's time zone (Europe/Paris) with the window also in UTC, the signatures with
//! their key fingerprints, a QR code carrying [`vigie_core::proof::Proof::qr_text`]
//! (digest, signatures, fingerprints: what a holder needs to check it offline or at the
//! platform), a footer with the document's id and SHA-256 on every page, and the proof
//! itself attached as `vigie-proof.json` (PDF readers list it among the attachments).
//!
//! The file's objects are written with `pdf-writer`, the pages' content streams by hand:
//! standard fonts Helvetica and Helvetica-Bold in WinAnsi (lines wrapped with their AFM
//! widths), no compression, no date, an `/ID` made of the document's digest, so the same
//! proof always gives the same bytes. That is what
//! makes [`check`] strict: it reads the attached proof, renders it again, and accepts the
//! file only if every byte matches. A changed letter on the page, in the attachment or in
//! the structure is refused, or changes the proof so that its signatures no longer match:
//! those are checked by the caller against its key directory
//! (`vigie_core::proof::verify`), not here.
//!
//! The flip side: a file is checked against this version's rendering. A change of layout
//! must keep the old one for old files (the `/Producer` names the layout's version).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod file;
mod layout;
mod text;

use vigie_core::act::ActContent;
use vigie_core::proof::Proof;

/// Why a proof cannot be printed, or a file is not a Vigie document as printed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PdfError {
    /// The document's content cannot be printed (the message names the field at fault).
    #[error("the document cannot be printed: {0}")]
    Content(String),
    /// [`extract`] was given something else than a PDF.
    #[error("not a PDF (a PDF starts with %PDF-)")]
    NotAPdf,
    /// [`check`] was given neither a PDF nor a proof in JSON.
    #[error("neither a PDF (%PDF-) nor a Vigie proof in JSON")]
    NotADocument,
    /// A proof in JSON that does not read as one.
    #[error("not a valid Vigie proof (JSON): {0}")]
    BadJson(serde_json::Error),
    /// A PDF without the attached proof.
    #[error("this PDF carries no Vigie proof (attachment vigie-proof.json): not printed by Vigie, or damaged")]
    NoProof,
    /// The attached proof does not read.
    #[error("the proof attached to this PDF is invalid: {0}")]
    BadProof(serde_json::Error),
    /// The file is not exactly what Vigie prints for the proof it carries.
    #[error("the file differs from the document it carries (first difference at byte {at}): altered")]
    Altered {
        /// Offset of the first differing byte.
        at: usize,
    },
}

/// The name of the attached proof.
pub const ATTACHMENT: &str = "vigie-proof.json";

/// Renders `proof` as a PDF. Deterministic: the same proof gives the same bytes.
///
/// Errors ([`PdfError::Content`]) when the document's body is not an act's content, when
/// the body and the envelope disagree on the kind of act, or when the time zone is unknown.
pub fn render(proof: &Proof) -> Result<Vec<u8>, PdfError> {
    let doc = &proof.document;
    let act = ActContent::from_body(&doc.body).map_err(PdfError::Content)?;
    if act.kind != doc.kind {
        return Err(PdfError::Content(format!(
            "the document is a {:?} but its body describes a {:?}",
            doc.kind, act.kind
        )));
    }
    let clock = layout::Clock::new(&act.time_zone)
        .ok_or_else(|| PdfError::Content(format!("requisition body: unknown time zone `{}`", act.time_zone)))?;
    let digest = doc.digest().map_err(|e| PdfError::Content(e.to_string()))?;
    let qr = proof.qr_text().map_err(|e| PdfError::Content(e.to_string()))?;
    let json = serde_json::to_vec(proof).map_err(|e| PdfError::Content(e.to_string()))?;
    let pages = layout::pages(proof, &act, &clock, &digest, &qr);
    let title = match doc.kind {
        vigie_core::document::DocumentKind::Requisition => "Réquisition",
        vigie_core::document::DocumentKind::Preservation => "Demande de préservation des images",
    };
    let title = format!("{title}, procédure n° {}, document {}", act.procedure, doc.id);
    Ok(file::write(&pages, &json, &title, &digest))
}

/// The proof attached to a PDF Vigie printed. Reads only what [`render`] writes; never
/// panics, whatever the bytes.
pub fn extract(pdf: &[u8]) -> Result<Proof, PdfError> {
    if !pdf.starts_with(b"%PDF-") {
        return Err(PdfError::NotAPdf);
    }
    let json = file::attachment(pdf).ok_or(PdfError::NoProof)?;
    serde_json::from_slice(json).map_err(PdfError::BadProof)
}

/// Checks a file: a PDF must be byte for byte what Vigie prints for the proof it carries;
/// a JSON file must be a proof. Returns the proof, whose signatures the caller checks next.
pub fn check(file: &[u8]) -> Result<Proof, PdfError> {
    if file.starts_with(b"%PDF-") {
        let proof = extract(file)?;
        let again = render(&proof)?;
        if again != file {
            let at = again.iter().zip(file).position(|(a, b)| a != b).unwrap_or(again.len().min(file.len()));
            return Err(PdfError::Altered { at });
        }
        Ok(proof)
    } else if file.trim_ascii_start().starts_with(b"{") {
        serde_json::from_slice(file).map_err(PdfError::BadJson)
    } else {
        Err(PdfError::NotADocument)
    }
}
