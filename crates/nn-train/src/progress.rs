//! Reporting training progress: a bar on a terminal, plain lines elsewhere.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

use crate::EpochRecord;

/// Receives the trainer's progress. Every method has a do-nothing default.
pub trait Progress {
    /// An epoch of `batches` mini-batches begins.
    fn start_epoch(&mut self, epoch: usize, epochs: usize, batches: usize) {
        let _ = (epoch, epochs, batches);
    }

    /// `done` mini-batches of the epoch are finished; the last had `loss`.
    fn batch(&mut self, done: usize, loss: f64, samples_per_second: f64) {
        let _ = (done, loss, samples_per_second);
    }

    /// An epoch ended.
    fn end_epoch(&mut self, record: &EpochRecord) {
        let _ = record;
    }
}

/// Reports nothing.
#[derive(Debug, Default)]
pub struct Quiet;

impl Progress for Quiet {}

/// One line per epoch on standard error: for logs, pipes and CI.
#[derive(Debug, Default)]
pub struct Lines {
    epochs: usize,
}

/// The line printed for an epoch: the loss, the accuracies measured, the
/// learning rate, the time and the speed.
pub fn epoch_line(r: &EpochRecord, epochs: usize) -> String {
    let mut figures = format!("loss {:.4}, train acc {:.4}", r.loss, r.train_accuracy);
    if let (Some(loss), Some(acc)) = (r.validation_loss, r.validation_accuracy) {
        figures.push_str(&format!(", val loss {loss:.4}, val acc {acc:.4}"));
    }
    if let Some(acc) = r.test_accuracy {
        figures.push_str(&format!(", test acc {acc:.4}"));
    }
    format!(
        "epoch {}/{epochs}: {figures}, lr {}, {:.1}s, {:.0} samples/s",
        r.epoch, r.learning_rate, r.seconds, r.samples_per_second
    )
}

impl Progress for Lines {
    fn start_epoch(&mut self, _: usize, epochs: usize, _: usize) {
        self.epochs = epochs;
    }

    fn end_epoch(&mut self, record: &EpochRecord) {
        eprintln!("{}", epoch_line(record, self.epochs));
    }
}

/// A progress bar per epoch (indicatif), with the loss and samples per
/// second, and the epoch's summary line when it ends.
#[derive(Debug, Default)]
pub struct Bar {
    bar: Option<ProgressBar>,
    epochs: usize,
}

impl Progress for Bar {
    fn start_epoch(&mut self, epoch: usize, epochs: usize, batches: usize) {
        self.epochs = epochs;
        let bar = ProgressBar::new(batches as u64);
        let style = ProgressStyle::with_template(
            "epoch {prefix} {bar:30} {pos}/{len} {msg} [{elapsed_precise}<{eta_precise}]",
        )
        .expect("a valid template")
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(format!("{epoch}/{epochs}"));
        self.bar = Some(bar);
    }

    fn batch(&mut self, done: usize, loss: f64, samples_per_second: f64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done as u64);
            if Some(done as u64) == bar.length() {
                // The epoch's accuracies are measured next, which takes a
                // while on the full sets: say so rather than sit at N/N.
                bar.set_message(format!("loss {loss:.4} · measuring accuracy…"));
                bar.enable_steady_tick(std::time::Duration::from_millis(250));
            } else {
                bar.set_message(format!(
                    "loss {loss:.4} · {samples_per_second:.0} samples/s"
                ));
            }
        }
    }

    fn end_epoch(&mut self, record: &EpochRecord) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        eprintln!("{}", epoch_line(record, self.epochs));
    }
}

/// A [`Bar`] when standard error is a terminal, [`Lines`] otherwise.
pub fn for_stderr() -> Box<dyn Progress + Send> {
    if std::io::stderr().is_terminal() {
        Box::new(Bar::default())
    } else {
        Box::new(Lines::default())
    }
}

/// Reports a download: on a terminal a progress bar per file (bytes, speed),
/// and the download's lines either way.
#[derive(Debug, Default)]
pub struct DownloadBar {
    bar: Option<ProgressBar>,
    terminal: bool,
    lines: bool,
}

impl DownloadBar {
    /// Bars when standard error is a terminal, lines only otherwise.
    pub fn for_stderr() -> Self {
        DownloadBar {
            bar: None,
            terminal: std::io::stderr().is_terminal(),
            lines: true,
        }
    }

    /// The bars without the lines: for a download the user did not ask
    /// for, whose outcome is told in one line by the caller.
    pub fn bars_only() -> Self {
        DownloadBar {
            lines: false,
            ..Self::for_stderr()
        }
    }
}

impl nn_data::Report for DownloadBar {
    fn line(&mut self, line: &str) {
        if !self.lines {
            return;
        }
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    fn started(&mut self, file: &str, total: Option<u64>) {
        if !self.terminal {
            return;
        }
        let bar = match total {
            Some(n) => ProgressBar::new(n),
            None => ProgressBar::no_length(),
        };
        let style = ProgressStyle::with_template(
            "{prefix:28} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} [{eta}]",
        )
        .expect("a valid template")
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(file.to_string());
        self.bar = Some(bar);
    }

    fn received(&mut self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(bytes);
        }
    }

    fn finished(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
