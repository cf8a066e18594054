//! The app's requisition logic without its window (`Service`, a real store file, the real
//! platform over loopback): what blocks signing and what only warns, a wrong PIN, cancel,
//! a returned document amended by a new one that replaces it, and the history.

use vigie_app::service::Service;
use vigie_core::document::DocumentStatus;
use vigie_server::audit::Actor;
use vigie_server::db::DocumentDecision;
use vigie_view::{DraftForm, DraftRequest, SignRequest};

use crate::common;
use crate::common::{approve, Platform};

const PIN: &str = "482915";

fn blocking(svc: &Service, form: &DraftForm) -> Vec<String> {
    let now = chrono::Utc::now();
    svc.check_draft(form, now).unwrap().into_iter().filter(|p| p.blocking).map(|p| p.message).collect()
}

#[test]
fn drafts_are_checked_signed_cancelled_returned_and_amended() {
    let tmp = tempfile::tempdir().unwrap();
    let basemap = tmp.path().join("basemap");
    common::monaco_basemap(&basemap);
    std::fs::create_dir_all(tmp.path().join("platform")).unwrap();
    let platform = Platform::new(&tmp.path().join("platform"), &basemap);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let svc = rt.block_on(Service::open(&tmp.path().join("app"))).unwrap();
    rt.block_on(svc.enrol(&platform.base(), "OFF-1", "Tablette", PIN)).unwrap();
    approve(&platform.db, "Tablette");
    rt.block_on(svc.download_area("monaco", |_| {})).unwrap();
    rt.block_on(svc.sync()).unwrap();

    // Two cameras of Monaco, whose holder the registry does not know: one draft.
    let ids: Vec<String> = svc
        .around(
            &vigie_view::AroundRequest {
                point: Some([7.4276, 43.7394]),
                at: None,
                radius_m: 300.0,
                only_seeing: false,
            },
            chrono::Utc::now(),
        )
        .unwrap()
        .rows
        .iter()
        .take(2)
        .map(|r| r.camera.id.clone())
        .collect();
    let request = DraftRequest { cameras: ids.clone(), at: None, kind: "requisition".into() };
    let drafts = svc.draft(&request, chrono::Utc::now()).unwrap();
    assert_eq!(drafts.len(), 1, "one holder, one document");
    let mut form = drafts[0].clone();
    assert_eq!(form.cameras.len(), 2);
    assert!(form.officer.contains("brigadier-chef Agent Martin") && form.officer.contains("OPJ"), "{}", form.officer);
    assert!(form.service.contains("Sûreté publique"), "{}", form.service);
    let problems = blocking(&svc, &form);
    assert!(problems.iter().any(|p| p.contains("Détenteur inconnu")), "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("procédure")), "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("faits")), "{problems:?}");

    form.holder = "Société des Bains de Mer".into();
    form.holder_contact = "+377 98 06 20 00".into();
    form.procedure = "2026/004512".into();
    form.facts = "Vol à l'arraché".into();
    form.basis = "99-3".into();
    assert_eq!(blocking(&svc, &form), ["Article 99-3 : la commission rogatoire (référence et date) est obligatoire / the commission rogatoire is required"]);
    form.reference = "CR 26/118".into();
    let undated = blocking(&svc, &form);
    assert!(undated.iter().any(|p| p.contains("Date de la commission rogatoire")), "{undated:?}");
    form.reference_date = "2026-11-20".into();
    assert!(blocking(&svc, &form).is_empty());
    let (from, to) = (form.window_from.clone(), form.window_to.clone());
    form.window_from = to.clone();
    form.window_to = from.clone();
    assert!(blocking(&svc, &form).iter().any(|p| p.contains("finit avant")));
    // Forty days ago: the footage is gone (a warning: the holder may have kept it longer).
    form.window_from = "2026-10-01T21:00".into();
    form.window_to = "2026-10-01T22:00".into();
    let all = svc.check_draft(&form, chrono::Utc::now()).unwrap();
    assert!(all.iter().all(|p| !p.blocking) && all.iter().any(|p| p.message.contains("déjà effacées")), "{all:?}");
    form.window_from = from;
    form.window_to = to;

    // A draft being typed survives the app: kept, then found again by a new `Service`.
    svc.save_drafts(&[form.clone()]).unwrap();
    let reopened = rt.block_on(Service::open(&tmp.path().join("app"))).unwrap();
    assert_eq!(reopened.drafts(), [form.clone()]);
    drop(reopened);

    // What the officer reads over before signing.
    let preview = svc.preview_draft(&form, chrono::Utc::now()).unwrap();
    let field = |k: &str| preview.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()).unwrap_or_default();
    assert_eq!(field("Acte"), "Réquisition 99-3");
    assert!(field("Fondement").contains("commission rogatoire n° CR 26/118 du 20/11/2026"), "{preview:?}");
    assert_eq!(field("Détenteur"), "Société des Bains de Mer");

    // A wrong PIN signs nothing; the right one queues it.
    let wrong = svc.sign(&SignRequest { form: form.clone(), pin: "000000".into() }, chrono::Utc::now()).unwrap_err();
    assert_eq!(wrong.code, "wrong_pin");
    assert!(svc.outbox(chrono::Utc::now()).unwrap().is_empty());
    svc.save_drafts(&[form.clone()]).unwrap();
    let first = svc.sign(&SignRequest { form: form.clone(), pin: PIN.into() }, chrono::Utc::now()).unwrap();
    assert!(svc.drafts().is_empty(), "a signed draft is no longer kept as a draft");
    assert_eq!((first.title.as_str(), first.state.as_str(), first.can_cancel), ("Réquisition 99-3", "queued", true));
    assert!(first.erased_text.contains("effacées le"), "{}", first.erased_text);
    let second = svc.sign(&SignRequest { form: form.clone(), pin: PIN.into() }, chrono::Utc::now()).unwrap();
    svc.cancel_document(&second.id, chrono::Utc::now()).unwrap();
    rt.block_on(svc.sync()).unwrap();
    let on_platform = platform.db.documents_of("OFF-1").unwrap();
    assert_eq!(
        on_platform.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        [first.id.as_str()],
        "the cancelled one never left"
    );
    let err = svc.cancel_document(&first.id, chrono::Utc::now()).unwrap_err();
    assert_eq!(err.code, "cannot_cancel");

    // The supervisor returns it; the officer sees why and amends it.
    let decision = DocumentDecision {
        from: DocumentStatus::Received,
        to: DocumentStatus::Returned,
        by: "SUP-1",
        device: on_platform[0].proof.document.device as i64,
        at: chrono::Utc::now(),
        comment: Some("Préciser la direction des caméras"),
        countersignature: None,
    };
    platform
        .db
        .decide_document(&first.id, &decision, Actor::console().entry("requisition.return", serde_json::json!({})))
        .unwrap();
    rt.block_on(svc.sync()).unwrap();
    let item = svc.outbox(chrono::Utc::now()).unwrap().into_iter().find(|i| i.id == first.id).unwrap();
    assert_eq!(item.state, "returned");
    assert!(item.can_amend && item.note.as_deref() == Some("Préciser la direction des caméras"), "{item:?}");
    let amended = svc.amend(&first.id, chrono::Utc::now()).unwrap();
    assert_eq!(amended.replaces.as_deref(), Some(first.id.as_str()));
    assert_eq!(
        (amended.procedure.as_str(), amended.reference.as_str(), amended.basis.as_str()),
        ("2026/004512", "CR 26/118", "99-3")
    );
    let third = svc.sign(&SignRequest { form: amended, pin: PIN.into() }, chrono::Utc::now()).unwrap();
    rt.block_on(svc.sync()).unwrap();
    let replacing = platform.db.document(&third.id).unwrap();
    assert_eq!(replacing.proof.document.replaces.as_deref(), Some(first.id.as_str()));

    let pdf = svc.pdf(&first.id).unwrap();
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    let history = svc.document(&first.id, chrono::Utc::now()).unwrap().history;
    let text: Vec<&str> = history.iter().map(|(_, what)| what.as_str()).collect();
    assert_eq!(text[0], "signée sur l'appareil");
    assert!(text.contains(&"reçue par la plateforme"), "{text:?}");
    assert!(text.iter().any(|t| t.contains("returned : Préciser la direction")), "{text:?}");
    assert!(text.last().unwrap().starts_with("imprimée (PDF)"), "{text:?}");
}
