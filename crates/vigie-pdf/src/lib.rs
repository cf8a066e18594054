//! A signed requisition (or preservation request) as a printable PDF in French, and the
//! check of such a file. Bytes in, bytes out: no I/O here.
//!
//! # What the file is
//!
//! One A4 page or more, every field of the act (`vigie_core::act::ActContent`), the
//! signatures with their key fingerprints, a QR code carrying
//! [`vigie_core::proof::Proof::qr_text`] (digest, signatures, fingerprints: what a holder
//! needs to check it offline or at the platform), and the proof itself as an attached file
//! `vigie-proof.json` (PDF readers list it among the attachments).
//!
//! The PDF is written by hand (a few objects, standard fonts Helvetica in WinAnsi, no
//! compression, no date, no random id), so the same proof always gives the same bytes.
//! That is what makes [`check`] strict: it reads the attached proof, renders it again, and
//! accepts the file only if every byte matches. A changed letter on the page, in the
//! attachment or in the structure is refused; the signatures are then checked by the
//! caller against its key directory (`vigie_core::proof::verify`).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod layout;
mod text;

use vigie_core::act::ActContent;
use vigie_core::proof::Proof;

/// Why a file is not a Vigie document as printed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PdfError {
    /// The document's body is not a requisition's content.
    #[error("the document's content cannot be printed: {0}")]
    Content(String),
    /// Neither a PDF nor a proof JSON.
    #[error("not a PDF nor a Vigie proof (JSON): {0}")]
    NotADocument(String),
    /// A PDF without the attached proof.
    #[error("this PDF carries no Vigie proof (attachment vigie-proof.json): not printed by Vigie, or damaged")]
    NoProof,
    /// The attached proof does not read.
    #[error("the attached proof is not valid JSON: {0}")]
    BadProof(String),
    /// The file is not exactly what Vigie prints for the proof it carries.
    #[error("the file differs from the document it carries (first difference at byte {at}): it was altered")]
    Altered {
        /// Offset of the first differing byte.
        at: usize,
    },
}

/// The name of the attached proof.
pub const ATTACHMENT: &str = "vigie-proof.json";

/// Renders `proof` as a PDF (deterministic).
pub fn render(proof: &Proof) -> Result<Vec<u8>, PdfError> {
    let act = ActContent::from_body(&proof.document.body).map_err(PdfError::Content)?;
    let digest = proof.document.digest().map_err(|e| PdfError::Content(e.to_string()))?;
    let qr = proof.qr_text().map_err(|e| PdfError::Content(e.to_string()))?;
    let pages = layout::pages(proof, &act, &digest, &qr);
    let json = serde_json::to_vec(proof).map_err(|e| PdfError::Content(e.to_string()))?;
    Ok(layout::write(&pages, &json, &digest))
}

/// The proof attached to a PDF Vigie printed.
pub fn extract(pdf: &[u8]) -> Result<Proof, PdfError> {
    let json = layout::attachment(pdf).ok_or(PdfError::NoProof)?;
    serde_json::from_slice(json).map_err(|e| PdfError::BadProof(e.to_string()))
}

/// Checks a file: a PDF must be byte for byte what Vigie prints for the proof it carries;
/// a JSON file must be a proof. Returns the proof, for the signature check.
pub fn check(file: &[u8]) -> Result<Proof, PdfError> {
    if file.starts_with(b"%PDF-") {
        let proof = extract(file)?;
        let again = render(&proof)?;
        if again != file {
            let at = again.iter().zip(file).position(|(a, b)| a != b).unwrap_or(again.len().min(file.len()));
            return Err(PdfError::Altered { at });
        }
        Ok(proof)
    } else {
        serde_json::from_slice(file).map_err(|e| PdfError::NotADocument(e.to_string()))
    }
}
