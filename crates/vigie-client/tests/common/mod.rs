//! What the client's tests share: a platform database with the unit `DSP-98` and its
//! officer `OFF-1`, as an administrator would set it up.

use vigie_server::audit::Actor;
use vigie_server::model::{DeviceState, NewUser, Role};

/// Adds the unit `DSP-98` and the officer `OFF-1` (an APJ) to `db`.
pub fn seed_officer(db: &vigie_server::db::Db) {
    let console = Actor::console();
    db.add_unit("DSP-98", "Sûreté publique", console.entry("unit.add", serde_json::json!({}))).unwrap();
    let user = NewUser {
        rio: "OFF-1".into(),
        name: "Agent".into(),
        rank: "gardien".into(),
        qualite: "APJ".into(),
        unit: "DSP-98".into(),
        role: Role::Officer,
    };
    db.add_user(&user, chrono::Utc::now(), console.entry("user.add", serde_json::json!({}))).unwrap();
}

/// Approves the device `id`, as an administrator would.
pub fn approve(db: &vigie_server::db::Db, id: i64) {
    let console = Actor::console();
    db.decide_device(
        id,
        DeviceState::Approved,
        "console",
        chrono::Utc::now(),
        console.entry("device.approve", serde_json::json!({})),
    )
    .unwrap();
}
