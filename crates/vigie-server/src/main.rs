//! `vigie-server`: the platform's one binary — the HTTP server and its administration CLI.

use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use vigie_core::act::IssuingService;
use vigie_core::audit::verify_chain;
use vigie_core::{Holder, LatLon};
use vigie_server::audit::Actor;
use vigie_server::config::Config;
use vigie_server::model::{DeviceState, NewUser, Role};
use vigie_server::{api, open_db, registry};

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "vigie-server", about = "The Vigie platform: camera registry, accounts, sync API, audit log.")]
struct Cli {
    /// Configuration file (TOML). Without it: SQLite under ./data, 127.0.0.1:8787.
    #[arg(long, global = true, env = "VIGIE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the HTTP API.
    Serve,
    /// Imports a camera file (GeoJSON, OSM/Overpass JSON or CSV, recognised from its content).
    Import {
        /// The file.
        file: PathBuf,
        /// The holder of every camera of the file (who receives requisitions).
        #[arg(long)]
        holder: Option<String>,
        /// The holder's contact: address, phone or e-mail (repeatable).
        #[arg(long)]
        holder_contact: Vec<String>,
        /// Retention of the recordings, days (unknown: the legal maximum, 30).
        #[arg(long)]
        retention_days: Option<u32>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Questions about the registry.
    Cameras {
        #[command(subcommand)]
        query: CamerasQuery,
    },
    /// Live body-cam streams.
    Live {
        #[command(subcommand)]
        action: LiveAction,
    },
    /// Units.
    Unit {
        #[command(subcommand)]
        action: UnitAction,
    },
    /// Users.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Devices and their enrolment.
    Device {
        #[command(subcommand)]
        action: DeviceAction,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Checks a requisition (its PDF as Vigie printed it, or its proof JSON) against the
    /// enrolled keys: exits 0 if it is authentic, 1 naming what is wrong.
    Verify {
        /// The PDF or JSON file.
        file: PathBuf,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum CamerasQuery {
    /// Cameras within a radius of a point, nearest first.
    Near {
        #[arg(long, allow_hyphen_values = true)]
        lat: f64,
        #[arg(long, allow_hyphen_values = true)]
        lon: f64,
        #[arg(long, default_value_t = 300.0)]
        radius_m: f64,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Cameras that could have seen a point at a moment, with when their footage is erased.
    Seeing {
        #[arg(long, allow_hyphen_values = true)]
        lat: f64,
        #[arg(long, allow_hyphen_values = true)]
        lon: f64,
        /// The moment (RFC 3339; default: now).
        #[arg(long)]
        at: Option<DateTime<Utc>>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum LiveAction {
    /// Registers a body-cam's stream for the relay (the running server pulls an RTSP
    /// source at its next start; a WHIP one waits for its body-cam) and prints its id and
    /// its publisher key (shown once).
    Add {
        /// The body-cam and who wears it.
        #[arg(long)]
        label: String,
        /// `rtsp://…` (the VMS's or the docking gateway's), or `whip` (the body-cam pushes
        /// to /v1/live/{id}/whip with its publisher key).
        #[arg(long)]
        source: String,
        /// A unit that may view it at once.
        #[arg(long, requires = "motif")]
        grant: Option<String>,
        /// Why that unit views it.
        #[arg(long)]
        motif: Option<String>,
    },
}

#[derive(Subcommand)]
enum UnitAction {
    /// Adds a unit (the service printed on its officers' requisitions).
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// Postal address.
        #[arg(long, default_value = "")]
        address: String,
        #[arg(long, default_value = "")]
        phone: String,
        /// Functional e-mail address.
        #[arg(long, default_value = "")]
        email: String,
    },
}

#[derive(Subcommand)]
enum UserAction {
    /// Adds a user.
    Add {
        /// RIO or matricule.
        #[arg(long)]
        rio: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        rank: String,
        /// OPJ, APJ, APJA or none.
        #[arg(long)]
        qualite: String,
        /// The unit's code.
        #[arg(long)]
        unit: String,
        #[arg(long, value_enum)]
        role: Role,
    },
}

#[derive(Subcommand)]
enum DeviceAction {
    /// Lists devices and their state.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Approves a pending device.
    Approve { id: i64 },
    /// Refuses a pending device.
    Refuse { id: i64 },
    /// Revokes a device: it is stopped at once.
    Revoke { id: i64 },
}

#[derive(Subcommand)]
enum AuditAction {
    /// Checks the whole chain; exits non-zero naming the first bad entry.
    Verify,
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("VIGIE_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("vigie-server: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    let config = Config::load(cli.config.as_deref())?;
    let db = open_db(&config)?;
    let console = Actor::console();
    match cli.command {
        Command::Serve => {
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(async {
                let listener = tokio::net::TcpListener::bind(config.listen)
                    .await
                    .with_context(|| format!("listening on {}", config.listen))?;
                eprintln!("vigie-server: listening on http://{} (database: {})", listener.local_addr()?, db.describe());
                let state = api::AppState::new(db, config);
                vigie_server::serve(listener, state, async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await?;
                anyhow::Ok(())
            })?;
        }
        Command::Import { file, holder, holder_contact, retention_days, json } => {
            let holder = holder.map(|name| holder_with_contacts(name, &holder_contact));
            let options = registry::import_options(&file, holder, retention_days);
            let (report, summary) = registry::import_file(&db, &file, &options, &console)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({ "report": report, "registry": summary }))?
                );
            } else {
                println!(
                    "{}: read {}, imported {}, skipped {}",
                    file.display(),
                    report.read,
                    report.imported,
                    report.skipped.len()
                );
                for s in &report.skipped {
                    println!("  skipped {}: {}", s.at, s.reason);
                }
                for (tag, n) in &report.tags_not_understood {
                    println!("  tag not understood: {tag} ({n})");
                }
                for (value, n) in &report.values_not_understood {
                    println!("  value not understood: {value} ({n})");
                }
                println!(
                    "registry version {}: {} new, {} updated, {} unchanged",
                    summary.version, summary.inserted, summary.updated, summary.unchanged
                );
            }
        }
        Command::Cameras { query } => {
            let (_, index) = registry::load_index(&db)?;
            let now = Utc::now();
            let (hits, json, what, detail) = match query {
                CamerasQuery::Near { lat, lon, radius_m, limit, json } => {
                    let p = LatLon::new(lat, lon).map_err(|e| anyhow::anyhow!("--lat/--lon: {e}"))?;
                    (
                        registry::near(&index, p, radius_m, limit, now, now),
                        json,
                        "registry.near",
                        serde_json::json!({ "lat": lat, "lon": lon, "radius_m": radius_m }),
                    )
                }
                CamerasQuery::Seeing { lat, lon, at, json } => {
                    let p = LatLon::new(lat, lon).map_err(|e| anyhow::anyhow!("--lat/--lon: {e}"))?;
                    let at = at.unwrap_or(now);
                    (
                        registry::seeing(&index, p, at, now),
                        json,
                        "registry.seeing",
                        serde_json::json!({ "lat": lat, "lon": lon, "at": at }),
                    )
                }
            };
            db.audit(console.entry(what, detail))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&hits)?);
            } else {
                let paris =
                    |t: DateTime<Utc>| t.with_timezone(&chrono_tz::Europe::Paris).format("%d/%m/%Y %H:%M").to_string();
                for h in &hits {
                    println!(
                        "{:>7.1} m  {:>3.0}°  {:<28} {:<40} {}  effacées le {} ({:?})",
                        h.distance_m,
                        h.bearing_deg,
                        h.id,
                        h.label.as_deref().unwrap_or("-"),
                        h.holder.as_deref().unwrap_or("détenteur inconnu"),
                        paris(h.erased_at),
                        h.urgency
                    );
                }
                println!("{} camera(s)", hits.len());
            }
        }
        Command::Live { action: LiveAction::Add { label, source, grant, motif } } => {
            let new = vigie_server::live::new_source(&label, &source, &console.name, Utc::now())
                .map_err(|e| anyhow::anyhow!("--{e}"))?;
            let id = new.record.id.clone();
            let entry =
                console.entry("live.source", serde_json::json!({ "stream": id, "label": label, "source": source }));
            if let Some(unit) = grant {
                let (unit, motif) = vigie_core::live::check_grant(&unit, motif.as_deref().unwrap_or(""))
                    .map_err(|e| anyhow::anyhow!("--{e}"))?;
                db.unit_exists(unit)?;
                db.add_live_stream(&new.record, &new.key_hash, entry)?;
                let grant = vigie_core::live::Grant {
                    unit: unit.into(),
                    motif: motif.into(),
                    by: console.name.clone(),
                    at: Utc::now(),
                };
                let entry = console.entry("live.grant", serde_json::json!({ "stream": id, "unit": unit }));
                db.grant_live(&id, &grant, vigie_core::audit::NewAuditEntry { motif: Some(motif.into()), ..entry })?;
            } else {
                db.add_live_stream(&new.record, &new.key_hash, entry)?;
            }
            println!("{}", serde_json::json!({ "id": id, "publisher_key": new.publisher_key }));
        }
        Command::Unit { action: UnitAction::Add { code, name, address, phone, email } } => {
            let service = IssuingService { unit: code.clone(), name: name.clone(), address, phone, email };
            let id = db.add_service(&service, console.entry("unit.add", serde_json::json!(service)))?;
            println!("unit {code} added (id {id})");
        }
        Command::User { action: UserAction::Add { rio, name, rank, qualite, unit, role } } => {
            let q = qualite.to_ascii_uppercase();
            anyhow::ensure!(
                matches!(q.as_str(), "OPJ" | "APJ" | "APJA" | "NONE"),
                "--qualite: expected OPJ, APJ, APJA or none, got {qualite:?}"
            );
            let u = NewUser { rio: rio.clone(), name, rank, qualite: q, unit, role };
            let entry =
                console.entry("user.add", serde_json::json!({ "rio": rio, "unit": u.unit, "role": role.as_str() }));
            let id = db.add_user(&u, Utc::now(), entry)?;
            println!("user {rio} added (id {id})");
        }
        Command::Device { action } => match action {
            DeviceAction::List { json } => {
                let devices = db.devices()?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&devices)?);
                } else {
                    for d in &devices {
                        println!(
                            "{:>4}  {:<9} {:<24} {} {} ({}, {})  key {}",
                            d.id,
                            d.state.as_str(),
                            d.name,
                            d.rio,
                            d.user_name,
                            d.role.as_str(),
                            d.unit,
                            vigie_core::auth::fingerprint(&d.public_key)
                        );
                    }
                    println!("{} device(s)", devices.len());
                }
            }
            DeviceAction::Approve { id } => decide(&db, &console, id, DeviceState::Approved)?,
            DeviceAction::Refuse { id } => decide(&db, &console, id, DeviceState::Refused)?,
            DeviceAction::Revoke { id } => decide(&db, &console, id, DeviceState::Revoked)?,
        },
        Command::Verify { file, json } => {
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let outcome = vigie_server::verify::check_file(&db, &bytes);
            db.audit(console.entry(
                "document.verify",
                serde_json::json!({ "file": file.display().to_string(), "valid": outcome.valid, "digest": outcome.digest }),
            ))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&outcome)?);
            } else {
                println!("{}: {}", file.display(), outcome.summary());
            }
            if !outcome.valid {
                return Ok(std::process::ExitCode::from(1));
            }
        }
        Command::Audit { action: AuditAction::Verify } => {
            let (entries, head) = db.audit_log()?;
            match verify_chain(&entries, head) {
                Ok(n) => println!("audit log intact: {n} entries"),
                Err(e) => {
                    eprintln!("audit log BROKEN: {e}");
                    return Ok(std::process::ExitCode::from(1));
                }
            }
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

fn decide(db: &vigie_server::db::Db, console: &Actor, id: i64, state: DeviceState) -> anyhow::Result<()> {
    let entry = console.entry(&format!("device.{}", state.as_str()), serde_json::json!({ "device": id }));
    db.decide_device(id, state, &console.name, Utc::now(), entry)?;
    println!("device {id}: {}", state.as_str());
    Ok(())
}

/// `--holder-contact` values sorted into e-mail (has `@`), phone (mostly digits) or address.
fn holder_with_contacts(name: String, contacts: &[String]) -> Holder {
    let mut h = Holder { name, ..Holder::default() };
    for c in contacts {
        let digits = c.chars().filter(|ch| ch.is_ascii_digit()).count();
        if c.contains('@') {
            h.email = Some(c.clone());
        } else if digits >= 8 && digits * 2 > c.len() {
            h.phone = Some(c.clone());
        } else {
            h.address = Some(c.clone());
        }
    }
    h
}
