//! The spatial index answers exactly what brute force answers, on random cameras
//! (fixed, panning, nomad, out of order), random points and random moments.

use chrono::{Duration, TimeZone, Utc};
use proptest::prelude::*;
use vigie_core::camera::{CameraStatus, CameraType, Placement, StatusReport, Validity, View};
use vigie_core::coverage;
use vigie_core::geo::{distance_m, LatLon, LocalFrame};
use vigie_core::{Camera, CameraIndex, Route, Timestamp};

fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
}

/// A camera within ~3 km of the centre of Grenoble.
fn camera() -> impl Strategy<Value = Camera> {
    let offset = (-3000.0f64..3000.0, -3000.0f64..3000.0);
    let view = (0.0f64..360.0, 10.0f64..=360.0, 10.0f64..150.0).prop_map(|(azimuth_deg, fov_deg, range_m)| View {
        azimuth_deg,
        fov_deg,
        range_m,
    });
    let kind = prop_oneof![
        Just(CameraType::Fixed),
        Just(CameraType::Panning),
        Just(CameraType::Dome),
        Just(CameraType::Unknown)
    ];
    let status =
        prop_oneof![Just(CameraStatus::Operational), Just(CameraStatus::OutOfOrder), Just(CameraStatus::Unknown)];
    (
        0u32..1_000_000,
        offset.clone(),
        proptest::collection::vec(view, 0..3),
        kind,
        status,
        0i64..20,
        proptest::option::of((offset, 1i64..20)),
    )
        .prop_map(|(id, (e, n), views, camera_type, status, verified_day, moved)| {
            let centre = LocalFrame::new(LatLon::new(45.1885, 5.7245).unwrap());
            let pos = centre.unproject(e, n).unwrap();
            let mut cam = Camera::fixed_at(format!("cam-{id}"), pos, views.clone());
            cam.camera_type = camera_type;
            cam.status = StatusReport { status, verified_at: Some(t0() + Duration::days(verified_day)) };
            if let Some(((e2, n2), day)) = moved {
                // A nomad camera: here until `day`, elsewhere after.
                let split = t0() + Duration::days(day);
                cam.placements = vec![
                    Placement { valid: Validity { from: None, to: Some(split) }, position: pos, views: views.clone() },
                    Placement {
                        valid: Validity { from: Some(split), to: None },
                        position: centre.unproject(e2, n2).unwrap(),
                        views,
                    },
                ];
            }
            cam
        })
}

fn cameras() -> impl Strategy<Value = Vec<Camera>> {
    proptest::collection::vec(camera(), 0..400).prop_map(|mut v| {
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v.dedup_by(|a, b| a.id == b.id);
        v
    })
}

fn point() -> impl Strategy<Value = LatLon> {
    (-3500.0f64..3500.0, -3500.0f64..3500.0)
        .prop_map(|(e, n)| LocalFrame::new(LatLon::new(45.1885, 5.7245).unwrap()).unproject(e, n).unwrap())
}

fn moment() -> impl Strategy<Value = Timestamp> {
    (0i64..25 * 24).prop_map(|h| t0() + Duration::hours(h))
}

/// (distance, id) of every camera with a placement at `at`, brute force, sorted.
fn brute(cams: &[Camera], p: LatLon, at: Timestamp) -> Vec<(f64, String)> {
    let mut all: Vec<(f64, String)> =
        cams.iter().filter_map(|c| c.placement_at(at).map(|pl| (distance_m(p, pl.position), c.id.0.clone()))).collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    all
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn nearest_is_brute_force(cams in cameras(), p in point(), at in moment(), k in 0usize..60) {
        let index = CameraIndex::new(cams.clone()).unwrap();
        let got: Vec<(f64, String)> = index.nearest(p, k, at).iter().map(|n| (n.distance_m, n.camera.id.0.clone())).collect();
        let mut want = brute(&cams, p, at);
        want.truncate(k);
        prop_assert_eq!(got, want);
    }

    #[test]
    fn within_is_brute_force(cams in cameras(), p in point(), at in moment(), r in 0.0f64..2000.0) {
        let index = CameraIndex::new(cams.clone()).unwrap();
        let got: Vec<(f64, String)> = index.within(p, r, at).iter().map(|n| (n.distance_m, n.camera.id.0.clone())).collect();
        let want: Vec<_> = brute(&cams, p, at).into_iter().filter(|(d, _)| *d <= r).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn seeing_is_brute_force(cams in cameras(), p in point(), at in moment()) {
        let index = CameraIndex::new(cams.clone()).unwrap();
        let got: Vec<(String, _)> = index.seeing(p, at).iter().map(|s| (s.camera.id.0.clone(), s.visibility)).collect();
        let mut want: Vec<(f64, String, _)> = cams
            .iter()
            .filter(|c| c.status.status_at(at) != CameraStatus::OutOfOrder)
            .filter_map(|c| {
                let pl = c.placement_at(at)?;
                let v = coverage::visibility(c, pl, p)?;
                Some((distance_m(p, pl.position), c.id.0.clone(), v))
            })
            .collect();
        want.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        let want: Vec<(String, _)> = want.into_iter().map(|(_, id, v)| (id, v)).collect();
        prop_assert_eq!(&got, &want);
        // The "pouvaient voir ce point" list says the same.
        let q = vigie_core::around::AroundQuery { point: p, at, now: at, radius_m: index.max_reach_m(), limit: usize::MAX, only_seeing: true };
        let listed: Vec<(String, _)> =
            vigie_core::around::around(&index, &q).iter().map(|r| (r.camera.id.0.clone(), r.visibility.unwrap())).collect();
        prop_assert_eq!(listed, want);
    }

}

proptest! {
    // Dense sampling is costly; fewer, richer cases.
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    /// Along a random route sampled every metre: a sample inside a camera's reach lies in
    /// one of that camera's windows, and windows are disjoint and in order.
    #[test]
    fn along_route_matches_dense_sampling(
        cams in cameras(),
        legs in proptest::collection::vec((point(), 1i64..600), 1..4),
        start in point(),
        at in moment(),
    ) {
        let index = CameraIndex::new(cams.clone()).unwrap();
        let mut pts = vec![(start, at)];
        for (p, secs) in &legs {
            let t = pts.last().unwrap().1 + Duration::seconds(*secs);
            pts.push((*p, t));
        }
        let route = Route::new(pts.clone()).unwrap();
        let passes = index.along_route(&route);
        for w in pts.windows(2) {
            let ((a, ta), (b, tb)) = (w[0], w[1]);
            let frame = LocalFrame::new(a);
            let (bx, by) = frame.project(b);
            let n = (bx.hypot(by).ceil() as usize).clamp(1, 20_000);
            for i in 0..=n {
                let s = i as f64 / n as f64;
                let q = frame.unproject(bx * s, by * s).unwrap();
                let t = ta + Duration::milliseconds(((tb - ta).num_milliseconds() as f64 * s) as i64);
                for c in &cams {
                    let Some(pl) = c.placement_at(t) else { continue };
                    if c.status.status_at(t) == CameraStatus::OutOfOrder || coverage::visibility(c, pl, q).is_none() {
                        continue;
                    }
                    // Only samples clearly inside the reach and clear of a nomad move or a
                    // status change (which the route query resolves per 1 km piece).
                    let (x, y) = LocalFrame::new(pl.position).project(q);
                    let margin_ok = (1..=8).all(|k| {
                        let ang = k as f64 * std::f64::consts::FRAC_PI_4;
                        let q2 = LocalFrame::new(pl.position).unproject(x + 0.5 * ang.cos(), y + 0.5 * ang.sin()).unwrap();
                        coverage::visibility(c, pl, q2).is_some()
                    });
                    let stable = c.placement_at(ta) == c.placement_at(tb)
                        && c.status.status_at(ta) == c.status.status_at(tb);
                    if !(margin_ok && stable) {
                        continue;
                    }
                    let pass = passes.iter().find(|p| p.camera.id == c.id);
                    prop_assert!(pass.is_some(), "{} reached at {} but not reported", c.id, t);
                    let slack = Duration::milliseconds(5);
                    prop_assert!(
                        pass.unwrap().windows.iter().any(|w| w.from - slack <= t && t <= w.to + slack),
                        "{} reached at {} outside its windows {:?}", c.id, t, pass.unwrap().windows
                    );
                }
            }
        }
        for p in &passes {
            prop_assert!(p.windows.windows(2).all(|w| w[0].to < w[1].from), "disjoint, in order");
        }
    }
}

#[test]
fn invalid_cameras_are_refused_by_name() {
    let p = LatLon::new(45.1885, 5.7245).unwrap();
    let dup = vec![Camera::fixed_at("a", p, vec![]), Camera::fixed_at("a", p, vec![])];
    assert_eq!(CameraIndex::new(dup).unwrap_err().to_string(), "camera id a appears twice");
    let bad = vec![Camera::fixed_at("b", p, vec![View { azimuth_deg: 0.0, fov_deg: 0.0, range_m: 10.0 }])];
    assert_eq!(
        CameraIndex::new(bad).unwrap_err().to_string(),
        "camera b: placements[0].views[0].fov_deg: 0 not in (0, 360]"
    );
}

/// A worked example an officer would recognise: a street walked west to east, one fixed
/// camera looking north over it, one looking away, one PTZ at the corner.
#[test]
fn a_walk_past_three_cameras() {
    let origin = LatLon::new(48.8566, 2.3522).unwrap();
    let f = LocalFrame::new(origin);
    let at = |e: f64, n: f64| f.unproject(e, n).unwrap();
    let facing =
        Camera::fixed_at("facing", at(0.0, -20.0), vec![View { azimuth_deg: 0.0, fov_deg: 90.0, range_m: 60.0 }]);
    let away =
        Camera::fixed_at("away", at(50.0, -20.0), vec![View { azimuth_deg: 180.0, fov_deg: 90.0, range_m: 60.0 }]);
    let mut ptz = Camera::fixed_at("ptz", at(200.0, 10.0), vec![]);
    ptz.camera_type = CameraType::Panning;
    let index = CameraIndex::new(vec![facing, away, ptz]).unwrap();
    let start = t0();
    // 400 m at 2 m/s: x = -100 + 2·t.
    let route = Route::new(vec![(at(-100.0, 0.0), start), (at(300.0, 0.0), start + Duration::seconds(200))]).unwrap();
    let passes = index.along_route(&route);
    let ids: Vec<&str> = passes.iter().map(|p| p.camera.id.0.as_str()).collect();
    assert_eq!(ids, ["facing", "ptz"]);
    // "facing" sees the street where |x| ≤ 20 (45° half-angle, 20 m away): t ∈ [40 s, 60 s].
    let w = passes[0].windows[0];
    assert_eq!(((w.from - start).num_milliseconds(), (w.to - start).num_milliseconds()), (40_000, 60_000));
    assert_eq!(passes[0].visibility, vigie_core::Visibility::InView);
    // The PTZ reaches 100 m: |x − 200| ≤ √(100² − 10²) ≈ 99.499 m, so x from 100.501 m,
    // t = (x + 100) / 2 = 100.251 s.
    let w = passes[1].windows[0];
    assert_eq!((w.from - start).num_milliseconds(), 100_251);
    assert_eq!(passes[1].visibility, vigie_core::Visibility::Possible);
}
