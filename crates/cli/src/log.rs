//! The log on stderr: the chosen level for the library's and the tool's own events, one
//! step less for the SDKs', plain text, and each warning once.

use std::collections::HashSet;
use std::fmt::{self, Write as _};
use std::sync::Mutex;

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// Warnings remembered to drop repeats; past this many, repeats are shown again rather
/// than memory growing with a huge tree's odd names.
const REMEMBERED: usize = 100_000;

/// Installs the log for `-q` (`quiet`) or `-v` × `verbose`.
pub(crate) fn init(quiet: bool, verbose: u8) {
    let level = match (quiet, verbose) {
        (true, _) => LevelFilter::ERROR,
        (false, 0) => LevelFilter::WARN,
        (false, 1) => LevelFilter::INFO,
        (false, 2) => LevelFilter::DEBUG,
        (false, _) => LevelFilter::TRACE,
    };
    // The SDKs' events one step below until `-vv` (aws-config warns about every credential
    // source it tried and found nothing in — a screenful of noise before the one-line
    // error that says so).
    let others = match (quiet, verbose) {
        (false, 0) | (true, _) => LevelFilter::ERROR,
        (false, 1) => LevelFilter::WARN,
        (false, _) => level,
    };
    let targets = Targets::new()
        .with_default(others)
        .with_target("remote_store", level)
        .with_target(env!("CARGO_CRATE_NAME"), level);
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        // Plain text, also when another crate of a build turns on the subscriber's `ansi`
        // feature (a workspace test build does): stderr is read by scripts and tests.
        .with_ansi(false)
        .finish()
        .with(targets)
        .with(Once::default())
        .init();
}

/// Drops a warning about a path that was already shown: a command may list one tree twice
/// (a tree copy between two stores checks it, then the transfer plans it), and each entry
/// the listing leaves out would be named twice. Only warnings that name an entry (a
/// `path`, `blob`, `key`, `folder` or `name` field) are folded; any other is shown each
/// time, since it may say that something happened again.
#[derive(Default)]
struct Once(Mutex<HashSet<String>>);

impl<S: Subscriber> Layer<S> for Once {
    fn event_enabled(&self, event: &Event<'_>, _: Context<'_, S>) -> bool {
        if *event.metadata().level() != Level::WARN {
            return true;
        }
        let mut line = Line(event.metadata().target().to_owned(), false);
        event.record(&mut line);
        if !line.1 {
            return true;
        }
        let mut seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= REMEMBERED {
            return !seen.contains(&line.0);
        }
        seen.insert(line.0)
    }
}

/// An event's fields as one string, and whether one of them names an entry.
struct Line(String, bool);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
        self.1 |= matches!(field.name(), "path" | "blob" | "key" | "folder" | "name");
    }
}
