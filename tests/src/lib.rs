//! Helpers for Vigie's end-to-end tests: start a program under Xvfb, read its stdout with
//! a deadline, and never leave a process behind; drive the real window over WebDriver
//! ([`webdriver`]); replay positions through gpsd ([`nmea`]); a simulated body-cam
//! ([`bodycam`]).

pub mod bodycam;
pub mod nmea;
pub mod webdriver;

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The Xvfb screen every window test uses.
pub const XVFB_SCREEN: &str = "-screen 0 1280x800x24";

/// `xvfb-run`'s path, or an error saying how to install it (a missing Xvfb fails the test,
/// it never skips it).
pub fn xvfb_run() -> Result<PathBuf, String> {
    let paths = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&paths)
        .map(|d| d.join("xvfb-run"))
        .find(|p| p.is_file())
        .ok_or_else(|| "xvfb-run is missing: install Debian's `xvfb` and `xauth` (cargo xtask test does)".into())
}

/// A command run under `xvfb-run -a -s "<XVFB_SCREEN>"` in its own process group.
pub fn under_xvfb(program: impl Into<PathBuf>) -> Result<Command, String> {
    let mut cmd = Command::new(xvfb_run()?);
    cmd.args(["-a", "-s", XVFB_SCREEN]).arg(program.into());
    Ok(cmd)
}

/// A started process (and its whole process group: xvfb-run, Xvfb, the app, WebKit's
/// helpers), its stdout as lines, and its stderr collected for error messages.
pub struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Running {
    /// Starts `cmd` in a new process group with piped stdout/stderr.
    pub fn start(mut cmd: Command) -> Result<Running, String> {
        cmd.process_group(0).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Ok(Running { child, lines, stderr })
    }

    /// Waits until a stdout line starts with `prefix`; returns the rest of that line.
    pub fn wait_for_line(&mut self, prefix: &str, timeout: Duration) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return Ok(rest.trim_start().to_string());
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    return Err(format!("no `{prefix}` line within {timeout:?}\n{}", self.stderr_text()));
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = self.wait(Duration::from_secs(5));
                    return Err(format!(
                        "the process closed its stdout ({status:?}) without a `{prefix}` line\n{}",
                        self.stderr_text()
                    ));
                }
            }
        }
    }

    /// Waits up to `timeout` for the process to exit; on timeout kills its group.
    pub fn wait(&mut self, timeout: Duration) -> Result<ExitStatus, String> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().map_err(|e| e.to_string())? {
                return Ok(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill_group();
        Err(format!("still running after {timeout:?}; killed"))
    }

    /// What the process wrote on stderr so far (for error messages).
    pub fn stderr_text(&self) -> String {
        let text = self.stderr.lock().unwrap().clone();
        if text.is_empty() {
            "(nothing on stderr)".into()
        } else {
            format!("stderr:\n{text}")
        }
    }

    /// Ends the whole process group: SIGTERM (so xvfb-run stops its Xvfb), then SIGKILL.
    pub fn kill_group(&mut self) {
        let group = format!("-{}", self.child.id());
        let signal = |sig: &str| {
            let _ = Command::new("kill").args([sig, "--", &group]).stderr(Stdio::null()).status();
        };
        signal("-TERM");
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Whatever is left in the group (Xvfb, WebKit's helpers), even if the leader is gone.
        signal("-KILL");
        let _ = self.child.wait();
    }
}

impl Drop for Running {
    /// Nothing outlives the test, whatever its outcome.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill_group();
        } else {
            // The leader exited; its group may still hold stragglers.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.child.id())])
                .stderr(Stdio::null())
                .status();
        }
    }
}
