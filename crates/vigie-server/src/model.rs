//! The platform's own records: roles, users, devices, and who is calling.

use vigie_core::auth::PublicKey;
use vigie_core::Timestamp;

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Role {
    /// Field officer: reads the registry, drafts requisitions.
    Officer,
    /// Reviews the documents of their unit.
    Supervisor,
    /// Supervision centre operator: relays live streams.
    CsuOperator,
    /// Platform administrator: imports, enrolments, audit.
    Admin,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::Supervisor => "supervisor",
            Role::CsuOperator => "csu_operator",
            Role::Admin => "admin",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "officer" => Role::Officer,
            "supervisor" => Role::Supervisor,
            "csu_operator" => Role::CsuOperator,
            "admin" => Role::Admin,
            _ => return None,
        })
    }
}

/// Where a device stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    /// Asked to enrol; waits for an administrator.
    Pending,
    /// May log in.
    Approved,
    /// Enrolment refused.
    Refused,
    /// Was approved, is no longer: its tokens died with the decision.
    Revoked,
}

impl DeviceState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceState::Pending => "pending",
            DeviceState::Approved => "approved",
            DeviceState::Refused => "refused",
            DeviceState::Revoked => "revoked",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<DeviceState> {
        Some(match s {
            "pending" => DeviceState::Pending,
            "approved" => DeviceState::Approved,
            "refused" => DeviceState::Refused,
            "revoked" => DeviceState::Revoked,
            _ => return None,
        })
    }
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// RIO (police) or matricule (gendarmerie).
    pub rio: String,
    /// Full name.
    pub name: String,
    /// Rank ("brigadier-chef", "adjudant").
    pub rank: String,
    /// Judicial quality: OPJ, APJ, APJA, or none.
    pub qualite: String,
    /// The unit's code.
    pub unit: String,
    /// Role.
    pub role: Role,
}

/// A device and its user.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeviceInfo {
    /// Device id.
    pub id: i64,
    /// The name the device gave itself.
    pub name: String,
    /// Its state.
    pub state: DeviceState,
    /// Its Ed25519 public key.
    #[serde(serialize_with = "crate::api::b64_key")]
    pub public_key: PublicKey,
    /// When it asked to enrol.
    pub requested_at: Timestamp,
    /// Its user's RIO.
    pub rio: String,
    /// Its user's name.
    pub user_name: String,
    /// Its user's role.
    pub role: Role,
    /// Its user's unit.
    pub unit: String,
}

/// Who is calling: an approved device, its user, role and unit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Principal {
    /// Device id.
    pub device: i64,
    /// User RIO.
    pub rio: String,
    /// User name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Unit code.
    pub unit: String,
}

/// What a user's acts print about them, beyond their name and RIO.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Profile {
    /// Rank.
    pub rank: String,
    /// OPJ, APJ, APJA or NONE.
    pub qualite: String,
    /// Their unit, as the service issuing their acts.
    pub service: vigie_core::act::IssuingService,
}

/// `GET /v1/me`: who is calling, and their profile.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Me {
    /// The session.
    #[serde(flatten)]
    pub principal: Principal,
    /// The profile.
    #[serde(flatten)]
    pub profile: Profile,
}
