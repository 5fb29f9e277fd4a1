//! Progress for long runs: a bar when stderr is a terminal, otherwise a JSON
//! log line every ten seconds once a run has lasted that long.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

const LOG_EVERY: Duration = Duration::from_secs(10);

pub struct Progress {
    bar: Option<ProgressBar>,
    total: u64,
    done: u64,
    failed: u64,
    started: Instant,
    last_log: Instant,
}

impl Progress {
    pub fn new(total: u64, allow_bar: bool) -> Progress {
        let bar = (allow_bar && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(total);
            let style = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} ({per_sec}, eta {eta}) {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        let now = Instant::now();
        Progress {
            bar,
            total,
            done: 0,
            failed: 0,
            started: now,
            last_log: now,
        }
    }

    /// Counts one file, hashed or failed.
    pub fn tick(&mut self, failed: bool) {
        self.done += 1;
        self.failed += u64::from(failed);
        match &self.bar {
            Some(bar) => bar.inc(1),
            None if self.last_log.elapsed() >= LOG_EVERY => {
                self.last_log = Instant::now();
                self.log("progress");
            }
            None => {}
        }
    }

    /// Sets how many there are, once that is known.
    pub fn set_total(&mut self, total: u64) {
        self.total = total;
        if let Some(bar) = &self.bar {
            bar.set_length(total);
        }
    }

    /// Sets how many are done (for work counted in items, not files).
    pub fn set(&mut self, done: u64) {
        self.done = done;
        match &self.bar {
            Some(bar) => bar.set_position(done),
            None if self.last_log.elapsed() >= LOG_EVERY => {
                self.last_log = Instant::now();
                self.log("progress");
            }
            None => {}
        }
    }

    /// A handle that workers decoding long videos report through.
    pub fn media(&self) -> MediaProgress {
        MediaProgress {
            bar: self.bar.clone(),
            last_log: Arc::new(Mutex::new(Instant::now())),
        }
    }

    /// Prints a line on stderr without tearing the bar.
    pub fn eprintln(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln_quiet(line)),
            None => eprintln_quiet(line),
        }
    }

    pub fn finish(self) {
        match &self.bar {
            Some(bar) => bar.finish_and_clear(),
            // Runs short enough never to have logged stay quiet.
            None if self.started.elapsed() >= LOG_EVERY => self.log("done"),
            None => {}
        }
    }

    fn log(&self, event: &str) {
        let line = serde_json::json!({
            "level": "info",
            "event": event,
            "done": self.done,
            "total": self.total,
            "failed": self.failed,
            "elapsed_s": self.started.elapsed().as_secs_f64(),
        });
        eprintln_quiet(&line.to_string());
    }
}

/// stderr may be closed; that must not abort the run.
fn eprintln_quiet(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Progress inside long files (videos), reported from worker threads: the
/// bar's message on a terminal, otherwise a JSON log line at most every
/// ten seconds.
#[derive(Clone)]
pub struct MediaProgress {
    bar: Option<ProgressBar>,
    last_log: Arc<Mutex<Instant>>,
}

impl MediaProgress {
    /// `path` has been decoded up to `at`.
    pub fn video(&self, path: &Path, at: hashwatch_video::Progress) {
        let name = path
            .file_name()
            .unwrap_or(path.as_os_str())
            .to_string_lossy();
        match &self.bar {
            Some(bar) => bar.set_message(match at.duration {
                Some(total) => format!("{name}: {:.0}/{total:.0} s", at.seconds),
                None => format!("{name}: {:.0} s", at.seconds),
            }),
            None => {
                let Ok(mut last) = self.last_log.lock() else {
                    return;
                };
                if last.elapsed() < LOG_EVERY {
                    return;
                }
                *last = Instant::now();
                let line = serde_json::json!({
                    "level": "info",
                    "event": "video_progress",
                    "path": path.to_string_lossy(),
                    "seconds": at.seconds,
                    "duration_s": at.duration,
                });
                eprintln_quiet(&line.to_string());
            }
        }
    }
}
