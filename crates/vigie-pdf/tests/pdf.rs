//! The printed requisition: read back by a real PDF reader (poppler), its QR code decoded
//! from the rendered page, and any changed byte refused.

use std::process::Command;

use chrono::TimeZone;
use ed25519_dalek::{Signer, SigningKey};
use vigie_core::act::{ActContent, IssuingService, Officer, Qualite};
use vigie_core::camera::Holder;
use vigie_core::document::{countersign_message, Decision, Document, DocumentKind, SignedDocument};
use vigie_core::geo::LatLon;
use vigie_core::proof::{Countersignature, Proof};
use vigie_core::requisition::{Authorisation, LegalBasis, Reference, Window};
use vigie_core::{Camera, View};

fn t(d: u32, h: u32) -> vigie_core::Timestamp {
    chrono::Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap()
}

fn proof(facts: &str) -> Proof {
    let holder =
        Holder { name: "Bijouterie du Casino".into(), phone: Some("+377 93 00 00 00".into()), ..Holder::default() };
    let cams: Vec<Camera> = [("osm-1", 90.0), ("osm-2", 200.0)]
        .iter()
        .map(|(id, az)| {
            let mut c = Camera::fixed_at(
                *id,
                LatLon::new(43.7394, 7.4276).unwrap(),
                vec![View { azimuth_deg: *az, fov_deg: 60.0, range_m: 40.0 }],
            );
            c.holder = Some(holder.clone());
            c.label = Some("Place du Casino".into());
            c
        })
        .collect();
    let refs: Vec<&Camera> = cams.iter().collect();
    let act = ActContent::new(
        DocumentKind::Requisition,
        IssuingService { name: "Commissariat de la Condamine".into(), unit: "DSP-98".into(), ..Default::default() },
        Officer {
            name: "Camille Martin".into(),
            rank: "brigadier-chef".into(),
            qualite: Qualite::Opj,
            rio: "DEMO-001".into(),
        },
        "2026/001234",
        LegalBasis::Preliminaire {
            authorisation: Some(Authorisation::Specific(Reference {
                reference: "PR-2026-77".into(),
                date: chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
            })),
        },
        facts,
        holder,
        &refs,
        Window { from: t(21, 21), to: t(21, 23) },
        t(22, 8),
    );
    let officer = SigningKey::from_bytes(&[1; 32]);
    let supervisor = SigningKey::from_bytes(&[2; 32]);
    let document = Document {
        id: "0123456789abcdef0123456789abcdef".into(),
        kind: DocumentKind::Requisition,
        author: "DEMO-001".into(),
        device: 1,
        unit: "DSP-98".into(),
        created_at: t(22, 8),
        replaces: None,
        body: act.to_body(),
    };
    let signature = officer.sign(&document.signing_message().unwrap()).to_bytes().to_vec();
    let digest = document.digest().unwrap();
    let mut p = Proof::new(SignedDocument { document, signature }, &officer.verifying_key().to_bytes());
    p.countersignature = Some(Countersignature {
        rio: "SUP-001".into(),
        key: vigie_core::auth::fingerprint(&supervisor.verifying_key().to_bytes()),
        at: t(22, 9),
        signature: supervisor
            .sign(&countersign_message(&digest, Decision::Countersigned, "SUP-001"))
            .to_bytes()
            .to_vec(),
    });
    p
}

fn poppler(tool: &str) -> String {
    let path = format!("/usr/bin/{tool}");
    assert!(std::path::Path::new(&path).exists(), "{path} is missing: install poppler-utils (`cargo xtask test` does)");
    path
}

fn pdftotext(pdf: &[u8]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.pdf");
    std::fs::write(&file, pdf).unwrap();
    let text = Command::new(poppler("pdftotext")).args(["-layout"]).arg(&file).arg("-").output().unwrap();
    assert!(text.status.success(), "{}", String::from_utf8_lossy(&text.stderr));
    let info = Command::new(poppler("pdfinfo")).arg(&file).output().unwrap();
    let info = String::from_utf8(info.stdout).unwrap();
    (String::from_utf8(text.stdout).unwrap(), info.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[test]
fn the_same_proof_prints_the_same_bytes_and_carries_itself() {
    let p = proof("Vol à l'arraché");
    let a = vigie_pdf::render(&p).unwrap();
    assert!(a.starts_with(b"%PDF-"));
    assert_eq!(a, vigie_pdf::render(&p).unwrap());
    assert_eq!(vigie_pdf::extract(&a).unwrap(), p);
    assert_eq!(vigie_pdf::check(&a).unwrap(), p);
    assert_eq!(vigie_pdf::check(serde_json::to_string(&p).unwrap().as_bytes()).unwrap(), p);
    println!("a one-page requisition: {} bytes", a.len());
    assert!(a.len() < 60_000, "{} bytes", a.len());
}

#[test]
fn a_pdf_reader_shows_every_field_in_french() {
    let (text, info) = pdftotext(&vigie_pdf::render(&proof("Vol à l'arraché")).unwrap());
    for expected in [
        "RÉQUISITION",
        "Article 77-1-1 du code de procédure pénale",
        "PR-2026-77 du 22/11/2026",
        "Vol à l'arraché",
        "Bijouterie du Casino",
        "2026/001234",
        // 21:00–23:00 UTC on 21 November is 22:00 to 00:00 in Paris.
        "du 21/11/2026 à 22:00 au 22/11/2026 à 00:00 (heure de Paris",
        "90° (E)",
        "3 750 euros",
        "secret de",
        "Signé électroniquement par brigadier-chef Camille Martin (RIO DEMO-001)",
        "Contresigné par SUP-001",
        "SHA-256",
    ] {
        assert!(text.contains(expected), "« {expected} » not in:\n{text}");
    }
    assert!(info.contains("Pages: 1"), "{info}");
}

#[test]
fn long_facts_wrap_onto_a_second_page() {
    let facts = "Individu ayant arraché le sac d'une passante devant l'entrée, puis pris la fuite à pied vers le port en longeant les terrasses ; signalement : veste sombre, casquette claire. ".repeat(9);
    let (text, info) = pdftotext(&vigie_pdf::render(&proof(&facts)).unwrap());
    assert!(info.contains("Pages: 2"), "{info}");
    assert!(text.contains("page 2/2"), "{text}");
    assert!(text.contains("Contresigné par SUP-001"));
}

#[test]
fn the_printed_qr_code_reads_back_as_the_proof() {
    let p = proof("Vol à l'arraché");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.pdf");
    std::fs::write(&file, vigie_pdf::render(&p).unwrap()).unwrap();
    let out = dir.path().join("page");
    let status = Command::new(poppler("pdftoppm"))
        .args(["-r", "110", "-png", "-gray", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&file)
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(out.with_extension("png")).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    let bpp = info.line_size / w;
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * info.line_size + x * bpp]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code on the page");
    let (_, content) = grids[0].decode().unwrap();
    assert_eq!(content, p.qr_text().unwrap());
}

#[test]
fn one_changed_byte_anywhere_is_refused_or_changes_the_document() {
    let p = proof("Vol à l'arraché");
    let pdf = vigie_pdf::render(&p).unwrap();
    let mut positions: Vec<usize> = (0..pdf.len()).step_by(251).collect();
    let find = |needle: &[u8]| pdf.windows(needle.len()).position(|w| w == needle).unwrap();
    positions.push(find(b"Vol \xe0") + 2); // on the page
    positions.push(find(b"\"facts\"") + 10); // in the attached proof
    positions.push(find(b"/Count")); // in the structure
    let mut refused = 0;
    for at in positions {
        let mut copy = pdf.clone();
        copy[at] ^= 0x01;
        match vigie_pdf::check(&copy) {
            Err(_) => refused += 1,
            Ok(q) => assert_ne!(q, p, "byte {at} changed and the same document came out"),
        }
    }
    assert!(refused > 40, "{refused}");
    for garbage in [&b"%PDF-1.7\n"[..], &pdf[..pdf.len() / 2], b"", b"{\"document\": 1}"] {
        assert!(vigie_pdf::check(garbage).is_err());
    }
}
