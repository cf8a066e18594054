//! The printed requisition: read back by a real PDF reader (poppler), its QR code decoded
//! from the rendered page, any changed byte refused, and nonsense refused without a panic.

use std::path::PathBuf;
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
use vigie_pdf::PdfError;

fn t(d: u32, h: u32) -> vigie_core::Timestamp {
    chrono::Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap()
}

/// A 77-1-1 requisition with the prosecutor's authorisation, for two cameras of one holder.
fn act(facts: &str) -> ActContent {
    let holder = Holder {
        name: "Bijouterie du Casino".into(),
        address: Some("1 place du Casino, 98000 Monaco".into()),
        phone: Some("+377 93 00 00 00".into()),
        email: None,
    };
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
    ActContent::new(
        DocumentKind::Requisition,
        IssuingService {
            name: "Commissariat de la Condamine".into(),
            unit: "DSP-98".into(),
            address: "3 rue Suffren-Reymond, 98000 Monaco".into(),
            phone: "+377 93 15 30 15".into(),
            email: "condamine@example.org".into(),
        },
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
        // 21:00–23:00 UTC on 21 November is 22:00 to 00:00 in Paris.
        Window { from: t(21, 21), to: t(21, 23) },
        t(22, 8),
    )
}

/// `act` signed by the officer's key and, if `countersigned`, countersigned by a supervisor.
fn sign(act: &ActContent, replaces: Option<&str>, countersigned: bool) -> Proof {
    let officer = SigningKey::from_bytes(&[1; 32]);
    let supervisor = SigningKey::from_bytes(&[2; 32]);
    let document = Document {
        id: "0123456789abcdef0123456789abcdef".into(),
        kind: act.kind,
        author: "DEMO-001".into(),
        device: 1,
        unit: "DSP-98".into(),
        created_at: t(22, 8),
        replaces: replaces.map(String::from),
        body: act.to_body(),
    };
    let signature = officer.sign(&document.signing_message().unwrap()).to_bytes().to_vec();
    let digest = document.digest().unwrap();
    let mut p = Proof::new(SignedDocument { document, signature }, &officer.verifying_key().to_bytes());
    if countersigned {
        p.countersignature = Some(Countersignature {
            rio: "SUP-001".into(),
            key: vigie_core::auth::fingerprint(&supervisor.verifying_key().to_bytes()),
            at: t(22, 9),
            signature: supervisor
                .sign(&countersign_message(&digest, Decision::Countersigned, "SUP-001"))
                .to_bytes()
                .to_vec(),
        });
    }
    p
}

fn proof(facts: &str) -> Proof {
    sign(&act(facts), None, true)
}

fn poppler(tool: &str) -> PathBuf {
    let path = PathBuf::from(format!("/usr/bin/{tool}"));
    assert!(path.exists(), "{} is missing: install poppler-utils (`cargo xtask test` does)", path.display());
    path
}

/// What `pdftotext -layout` reads and `pdfinfo`'s answer, each with its runs of white
/// space (line ends too) made single spaces, so that wrapped lines read on.
fn read_back(pdf: &[u8]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.pdf");
    std::fs::write(&file, pdf).unwrap();
    let text = Command::new(poppler("pdftotext")).arg("-layout").arg(&file).arg("-").output().unwrap();
    assert!(text.status.success(), "{}", String::from_utf8_lossy(&text.stderr));
    let info = Command::new(poppler("pdfinfo")).arg(&file).output().unwrap();
    assert!(info.status.success(), "{}", String::from_utf8_lossy(&info.stderr));
    let collapse = |b: Vec<u8>| String::from_utf8(b).unwrap().split_whitespace().collect::<Vec<_>>().join(" ");
    (collapse(text.stdout), collapse(info.stdout))
}

fn assert_shows(text: &str, expected: &[&str]) {
    for e in expected {
        assert!(text.contains(e), "« {e} » not in:\n{text}");
    }
}

#[test]
fn the_same_proof_prints_the_same_bytes_and_carries_itself() {
    let p = proof("Vol à l'arraché");
    let a = vigie_pdf::render(&p).unwrap();
    assert!(a.starts_with(b"%PDF-"));
    assert_eq!(a, vigie_pdf::render(&p).unwrap());
    assert_eq!(vigie_pdf::extract(&a).unwrap(), p);
    assert_eq!(vigie_pdf::check(&a).unwrap(), p);
    assert_eq!(vigie_pdf::check(serde_json::to_string_pretty(&p).unwrap().as_bytes()).unwrap(), p);
    println!("a one-page requisition: {} bytes", a.len());
    assert!(a.len() < 40_000, "{} bytes", a.len());
}

#[test]
fn a_pdf_reader_shows_every_field_in_french() {
    let (text, info) = read_back(&vigie_pdf::render(&proof("Vol à l'arraché")).unwrap());
    assert_shows(
        &text,
        &[
            "Commissariat de la Condamine",
            "RÉQUISITION",
            "Article 77-1-1 du code de procédure pénale",
            "sur autorisation du procureur de la République n° PR-2026-77 du 22/11/2026",
            "officier de police judiciaire (OPJ), RIO DEMO-001",
            "2026/001234",
            "Émise le",
            "22/11/2026 à 09:00 (heure de Paris)",
            "Vol à l'arraché",
            "Bijouterie du Casino",
            "1 place du Casino, 98000 Monaco",
            "osm-1",
            "43.73940, 7.42760",
            "90° (E)",
            "200° (S)",
            "du 21/11/2026 à 22:00 au 22/11/2026 à 00:00 (heure de Paris, Europe/Paris)",
            "2026-11-21 21:00:00 UTC",
            "empreinte SHA-256",
            "3 750 euros",
            "secret de",
            "Signé électroniquement par brigadier-chef Camille Martin (RIO DEMO-001) le 22/11/2026 à 09:00",
            "Contresigné par SUP-001 le 22/11/2026 à 10:00",
            "Vérification : scanner ce code",
            "Document 0123456789abcdef0123456789abcdef",
            "page 1/1",
        ],
    );
    let p = proof("Vol à l'arraché");
    let digest = vigie_core::proof::hex(&p.document.digest().unwrap());
    assert!(text.contains(&format!("SHA-256 du document : {digest}")), "{text}");
    assert!(info.contains("Pages: 1"), "{info}");
    assert!(info.contains("Title: Réquisition, procédure n° 2026/001234"), "{info}");
}

#[test]
fn a_pdf_reader_lists_the_proof_as_an_attachment() {
    let p = proof("Vol à l'arraché");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.pdf");
    std::fs::write(&file, vigie_pdf::render(&p).unwrap()).unwrap();
    let list = Command::new(poppler("pdfdetach")).arg("-list").arg(&file).output().unwrap();
    assert!(String::from_utf8_lossy(&list.stdout).contains("1: vigie-proof.json"), "{list:?}");
    let saved = dir.path().join("saved.json");
    let status = Command::new(poppler("pdfdetach")).args(["-save", "1", "-o"]).arg(&saved).arg(&file).status().unwrap();
    assert!(status.success());
    let json = std::fs::read(&saved).unwrap();
    assert_eq!(json, serde_json::to_vec(&p).unwrap());
    // The saved attachment is itself a file `check` accepts.
    assert_eq!(vigie_pdf::check(&json).unwrap(), p);
}

#[test]
fn other_acts_print_their_own_basis_qualite_and_signatures() {
    let mut a = act("Dégradations volontaires");
    a.kind = DocumentKind::Preservation;
    a.basis = LegalBasis::Instruction {
        commission_rogatoire: Some(Reference {
            reference: "CR 26/0042".into(),
            date: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        }),
    };
    a.officer.qualite = Qualite::Apj { under_opj: "lieutenant Durand (OPJ-007)".into() };
    let p = sign(&a, Some("fedcba9876543210fedcba9876543210"), false);
    let (text, _) = read_back(&vigie_pdf::render(&p).unwrap());
    assert_shows(
        &text,
        &[
            "DEMANDE DE PRÉSERVATION DES IMAGES (gel)",
            "Article 99-3 du code de procédure pénale",
            "commission rogatoire n° CR 26/0042 du 20/11/2026",
            "sous le contrôle de l'OPJ lieutenant Durand (OPJ-007)",
            "Annule et remplace le document fedcba9876543210fedcba9876543210",
            "Non contresigné",
        ],
    );
    assert!(!text.contains("Contresigné par"));

    let mut general = act("Vol");
    general.basis = LegalBasis::Preliminaire {
        authorisation: Some(Authorisation::GeneralInstruction { reference: "IG-2026-3".into() }),
    };
    let (text, _) = read_back(&vigie_pdf::render(&sign(&general, None, true)).unwrap());
    assert_shows(&text, &["instructions générales du procureur de la République", "39-3", "IG-2026-3"]);
}

#[test]
fn long_facts_wrap_onto_a_second_page() {
    let facts = "Individu ayant arraché le sac d'une passante devant l'entrée, puis pris la fuite à pied vers le \
                 port en longeant les terrasses ; signalement : veste sombre, casquette claire. "
        .repeat(9);
    assert!(facts.len() > 1400);
    let p = proof(&facts);
    let (text, info) = read_back(&vigie_pdf::render(&p).unwrap());
    assert!(info.contains("Pages: 2"), "{info}");
    assert_shows(&text, &["page 1/2", "page 2/2", "(suite)", "Contresigné par SUP-001"]);
    // Every word of the facts is on the pages, and no line runs off the page: pdftotext
    // would cut it, or print it beyond the page's width.
    let printed: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(printed.iter().filter(|w| **w == "casquette").count(), 9);
    assert_eq!(vigie_pdf::check(&vigie_pdf::render(&p).unwrap()).unwrap(), p);
}

#[test]
fn the_printed_qr_code_reads_back_as_the_proof() {
    let p = proof("Vol à l'arraché");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.pdf");
    std::fs::write(&file, vigie_pdf::render(&p).unwrap()).unwrap();
    let out = dir.path().join("page");
    let status = Command::new(poppler("pdftoppm"))
        .args(["-r", "150", "-png", "-gray", "-f", "1", "-l", "1", "-singlefile"])
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
    // About 45 mm wide: at 150 dpi, 45 mm is 266 pixels.
    let xs: Vec<i32> = grids[0].bounds.iter().map(|p| p.x).collect();
    let side = xs.iter().max().unwrap() - xs.iter().min().unwrap();
    assert!((250..=280).contains(&side), "{side} pixels");
}

#[test]
fn one_changed_byte_anywhere_is_refused_or_changes_the_document() {
    let p = proof("Vol à l'arraché");
    let pdf = vigie_pdf::render(&p).unwrap();
    let find = |needle: &[u8]| pdf.windows(needle.len()).position(|w| w == needle).unwrap();
    let mut positions: Vec<usize> = (0..pdf.len()).step_by(97).collect();
    // On the page, as WinAnsi in literal strings.
    let on_page = find(b"(Vol \xe0 l'arrach\xe9)");
    positions.extend(on_page..on_page + 30);
    positions.push(find(b"(Bijouterie du Casino)") + 3);
    // In the attached proof: the facts, a signature, the countersigner.
    let json = find(b"{\"document\"");
    positions.extend([find(b"\"facts\"") + 10, find(b"\"signature\"") + 15, find(b"SUP-001\"")]);
    positions.extend((json..json + 200).step_by(7));
    // In the structure.
    positions.extend([find(b"/Count"), find(b"/Length"), find(b"startxref") + 11, find(b"/EmbeddedFiles") + 3]);
    let (mut refused, mut changed) = (0, 0);
    for &at in &positions {
        for flip in [0x01, 0x80] {
            let mut copy = pdf.clone();
            copy[at] ^= flip;
            match vigie_pdf::check(&copy) {
                Err(_) => refused += 1,
                Ok(q) => {
                    // The only way through: a changed proof, whose signatures fail later.
                    assert_ne!(q, p, "byte {at} changed (^{flip:#x}) and the same document came out");
                    changed += 1;
                }
            }
        }
    }
    assert!(refused > 2 * positions.len() * 9 / 10, "{refused} refused, {changed} changed documents");
    let altered = vigie_pdf::check(&{
        let mut c = pdf.clone();
        c[on_page + 1] = b'0';
        c
    })
    .unwrap_err();
    assert!(matches!(altered, PdfError::Altered { .. }), "{altered}");
    assert!(altered.to_string().contains("altered"), "{altered}");
}

#[test]
fn nonsense_is_refused_with_a_reason_and_never_panics() {
    let pdf = vigie_pdf::render(&proof("Vol à l'arraché")).unwrap();
    // Truncations, and tails cut off.
    for len in (0..pdf.len()).step_by(89) {
        assert!(vigie_pdf::check(&pdf[..len]).is_err(), "{len}");
        let _ = vigie_pdf::extract(&pdf[len..]);
    }
    // Garbage, with and without a PDF header, and crafted attachment headers.
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for n in 0..300 {
        let mut junk: Vec<u8> = (0..n * 7)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed >> 24) as u8
            })
            .collect();
        if n % 2 == 0 {
            junk.splice(0..0, b"%PDF-1.7\n<< /Type /EmbeddedFile >>\nstream\n".iter().copied());
        }
        assert!(vigie_pdf::check(&junk).is_err());
    }
    for crafted in [
        &b"%PDF-1.7\n<< /Length 99999999999999999999999 /Type /EmbeddedFile >>\nstream\n{}"[..],
        b"%PDF-1.7\n<< /Length 18446744073709551615 /Type /EmbeddedFile >>\nstream\n{}",
        b"%PDF-1.7\n<< /Length 2 /Type /EmbeddedFile >>\nstream\n{}\nendstream",
        b"%PDF-1.7\n/Type /EmbeddedFile >>\nstream\n",
        b"%PDF-",
    ] {
        assert!(vigie_pdf::check(crafted).is_err());
    }

    fn message<T: std::fmt::Debug>(r: Result<T, PdfError>) -> String {
        r.unwrap_err().to_string()
    }
    assert!(message(vigie_pdf::check(b"hello")).contains("neither a PDF"));
    assert!(message(vigie_pdf::extract(b"{}")).contains("not a PDF"));
    assert!(message(vigie_pdf::check(b"%PDF-1.7\n%%EOF")).contains("no Vigie proof"));
    let bad = message(vigie_pdf::check(b"{\"document\": 1}"));
    assert!(bad.contains("line 1 column"), "{bad}");
    let mut damaged = pdf.clone();
    let at = pdf.windows(9).position(|w| w == b"\"author\":").unwrap();
    damaged[at + 1] = b'\\';
    let bad = message(vigie_pdf::check(&damaged));
    assert!(bad.contains("proof attached to this PDF is invalid") && bad.contains("column"), "{bad}");

    // A proof that cannot be printed names why.
    let mut p = proof("Vol");
    p.document.body["time_zone"] = "Mars/Olympus".into();
    assert!(message(vigie_pdf::render(&p)).contains("unknown time zone `Mars/Olympus`"));
    p.document.body.as_object_mut().unwrap().remove("facts");
    assert!(message(vigie_pdf::render(&p)).contains("missing field `facts`"));
    let mut p = proof("Vol");
    p.document.kind = DocumentKind::Preservation;
    assert!(message(vigie_pdf::render(&p)).contains("body describes a Requisition"));
}

#[test]
fn extreme_values_print_without_a_panic() {
    let mut a = act(&"x".repeat(5000));
    a.window = Window { from: chrono::DateTime::<chrono::Utc>::MIN_UTC, to: chrono::DateTime::<chrono::Utc>::MAX_UTC };
    a.cameras[0].directions = vec![1e300, -45.0];
    a.cameras[0].label = Some("ŒŸ€ – « guillemets » … 中文".into());
    a.time_zone = "Pacific/Chatham".into();
    let mut p = sign(&a, Some(&"r".repeat(300)), true);
    p.document.created_at = chrono::DateTime::<chrono::Utc>::MAX_UTC;
    p.author_key = "k".repeat(3000); // too long for a QR code
    let pdf = vigie_pdf::render(&p).unwrap();
    assert_eq!(vigie_pdf::check(&pdf).unwrap(), p);
    let (text, _) = read_back(&pdf);
    assert_shows(&text, &["ŒŸ€ – « guillemets » … ??", "heure locale, Pacific/Chatham", "texte trop long"]);
}
