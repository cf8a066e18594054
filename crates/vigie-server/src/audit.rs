//! Who an audit entry is about, and building entries with the platform's clock.

use chrono::Utc;
use vigie_core::audit::NewAuditEntry;

use crate::model::Principal;

/// The author of an audited action.
#[derive(Debug, Clone)]
pub struct Actor {
    /// RIO, `console:<system user>`, or `device:<id>`.
    pub name: String,
    /// Role, when known.
    pub role: Option<String>,
    /// Unit, when known.
    pub unit: Option<String>,
}

impl Actor {
    /// An administrator at the server's console (the CLI), named by the system user.
    pub fn console() -> Actor {
        let user = std::env::var("SUDO_USER").or_else(|_| std::env::var("USER")).unwrap_or_else(|_| "unknown".into());
        Actor { name: format!("console:{user}"), role: Some("admin".into()), unit: None }
    }

    /// A device not yet tied to a session (enrolment, login).
    pub fn device(id: Option<i64>) -> Actor {
        Actor { name: id.map_or_else(|| "device:new".into(), |i| format!("device:{i}")), role: None, unit: None }
    }

    /// An entry for `action` now, with JSON `detail`.
    pub fn entry(&self, action: &str, detail: serde_json::Value) -> NewAuditEntry {
        NewAuditEntry {
            at: Utc::now(),
            actor: self.name.clone(),
            role: self.role.clone(),
            unit: self.unit.clone(),
            action: action.into(),
            detail: detail.to_string(),
            motif: None,
            procedure: None,
        }
    }
}

impl From<&Principal> for Actor {
    fn from(p: &Principal) -> Actor {
        Actor { name: p.rio.clone(), role: Some(p.role.as_str().into()), unit: Some(p.unit.clone()) }
    }
}
