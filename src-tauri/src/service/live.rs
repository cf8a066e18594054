//! « En direct »: the body-cam streams my unit may watch, and the player's viewing
//! tickets. Online only: a live picture needs the network.

use tokio::sync::MutexGuard;
use vigie_client::{Client, ClientError};
use vigie_core::Timestamp;
use vigie_view::{AppError, LiveControl, LiveItem, LiveTicket};

use super::{client_err, Service};
use crate::views;

/// Whether a failed call should be tried again after logging in anew (the platform
/// forgot the session: it expired, or the platform restarted on a new database).
fn session_lost<T>(r: &Result<T, ClientError>) -> bool {
    matches!(r, Err(ClientError::Refused { status: 401, .. }))
}

impl Service {
    /// The cached logged-in client (« En direct » asks every few seconds: one login, not
    /// one per question); `fresh` logs in again.
    async fn live_client(&self, fresh: bool) -> Result<MutexGuard<'_, Option<Client>>, AppError> {
        let mut cached = self.live_client.lock().await;
        if fresh || cached.is_none() {
            *cached = None;
            let (mut client, key, device_id) = self.client()?;
            client.login(&key, device_id).await.map_err(client_err)?;
            *cached = Some(client);
        }
        Ok(cached)
    }

    /// The streams I may watch, with where each body-cam is from me.
    pub async fn live_streams(&self, now: Timestamp) -> Result<Vec<LiveItem>, AppError> {
        let mut r = self.live_client(false).await?.as_ref().expect("logged in").live_streams().await;
        if session_lost(&r) {
            r = self.live_client(true).await?.as_ref().expect("logged in").live_streams().await;
        }
        let me = self.positions().current(now).ok().map(|f| f.position);
        Ok(r.map_err(client_err)?.iter().map(|s| views::live_item(s, me)).collect())
    }

    /// The CSU operator's decisions on stream `id`: who may watch it, or the end of its
    /// relay. A session the platform forgot is renewed once.
    pub async fn live_control(&self, id: &str, action: LiveControl) -> Result<(), AppError> {
        let mut attempt = 0;
        loop {
            let guard = self.live_client(attempt > 0).await?;
            let client = guard.as_ref().expect("logged in");
            let r = match &action {
                LiveControl::Grant { unit, motif } => client.live_grant(id, unit, motif).await,
                LiveControl::Revoke { unit } => client.live_revoke(id, unit).await,
                LiveControl::End => client.live_end(id).await,
            };
            if attempt == 0 && session_lost(&r) {
                attempt += 1;
                continue;
            }
            return r.map_err(client_err);
        }
    }

    /// A one-use ticket to watch stream `id`.
    pub async fn live_ticket(&self, id: &str) -> Result<LiveTicket, AppError> {
        let mut guard = self.live_client(false).await?;
        let mut r = guard.as_ref().expect("logged in").live_ticket(id).await;
        if session_lost(&r) {
            drop(guard);
            guard = self.live_client(true).await?;
            r = guard.as_ref().expect("logged in").live_ticket(id).await;
        }
        let client = guard.as_ref().expect("logged in");
        let ticket = r.map_err(client_err)?;
        Ok(LiveTicket {
            url: client.ws_url(&ticket),
            whep: client.whep_url(&ticket),
            token: ticket.token,
            motif: ticket.motif,
        })
    }
}
