//! The commands the UI calls (`invoke` from src-ui). Each one only extracts its
//! arguments, calls into the domain (later) and maps the error.

use std::io::Write;

use tauri::{AppHandle, Runtime, State};

/// Smoke mode (`VIGIE_SMOKE=1`): the end-to-end test starts the real app, waits for the
/// `VIGIE_UI_READY <text>` line on stdout, and expects the app to exit with code 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Smoke(pub bool);

impl Smoke {
    /// Reads `VIGIE_SMOKE` (on when it is `1`).
    pub fn from_env() -> Smoke {
        Smoke(std::env::var_os("VIGIE_SMOKE").is_some_and(|v| v == "1"))
    }
}

/// The line printed in smoke mode: the marker, then `text` on the same line.
pub fn ready_line(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("VIGIE_UI_READY {one_line}")
}

/// The UI is mounted and shows `text` (read back from its DOM).
/// In smoke mode, prints [`ready_line`] and exits with code 0; otherwise logs it.
#[tauri::command]
pub fn ui_ready<R: Runtime>(app: AppHandle<R>, smoke: State<'_, Smoke>, text: String) {
    if smoke.0 {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", ready_line(&text));
        let _ = out.flush();
        app.exit(0);
    } else {
        eprintln!("vigie: UI ready: {text}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_line_is_one_line() {
        assert_eq!(
            ready_line("Vigie\nCaméras  de\tvidéoprotection"),
            "VIGIE_UI_READY Vigie Caméras de vidéoprotection"
        );
    }
}
