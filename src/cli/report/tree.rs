//! `--dry-run` without `--json`: the planned files as a tree with sizes and totals,
//! printed once the crawl is over (a tree cannot be printed before it is known).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use fetchall::{Event, Reporter};
use indicatif::HumanBytes;

use super::Verbosity;
use super::plain::PlainReporter;
use super::text::{counted, dry_run_summary_line};
use crate::cli::output::{Output, Stream};

/// Collects `Planned` events and prints them as a tree at the end.
pub struct TreeReporter {
    verbosity: Verbosity,
    lines: PlainReporter,
    output: Arc<Output>,
    tree: Mutex<Folder>,
}

/// One folder of the plan: sub-folders and files (name → size).
#[derive(Default)]
struct Folder {
    folders: BTreeMap<String, Folder>,
    files: BTreeMap<String, Option<u64>>,
}

impl Folder {
    fn insert(&mut self, path: &str, size: Option<u64>) {
        let mut names: Vec<&str> = path.split('/').filter(|name| !name.is_empty()).collect();
        let Some(file) = names.pop() else { return };
        let mut folder = self;
        for name in names {
            folder = folder.folders.entry(name.to_string()).or_default();
        }
        folder.files.insert(file.to_string(), size);
    }

    /// (files, known bytes, files of unknown size) in this folder and below.
    fn totals(&self) -> (u64, u64, u64) {
        let mut totals = (0, 0, 0);
        for size in self.files.values() {
            totals.0 += 1;
            match size {
                Some(size) => totals.1 += size,
                None => totals.2 += 1,
            }
        }
        for folder in self.folders.values() {
            let (files, bytes, unknown) = folder.totals();
            totals.0 += files;
            totals.1 += bytes;
            totals.2 += unknown;
        }
        totals
    }

    fn render(&self, prefix: &str, out: &mut String) {
        let count = self.folders.len() + self.files.len();
        let mut index = 0;
        for (name, folder) in &self.folders {
            index += 1;
            let (branch, next) = if index == count {
                ("└── ", "    ")
            } else {
                ("├── ", "│   ")
            };
            let (files, bytes, _) = folder.totals();
            out.push_str(&format!(
                "{prefix}{branch}{name}/  ({}, {})\n",
                counted(files, "file"),
                HumanBytes(bytes)
            ));
            folder.render(&format!("{prefix}{next}"), out);
        }
        for (name, size) in &self.files {
            index += 1;
            let branch = if index == count {
                "└── "
            } else {
                "├── "
            };
            let size = size.map_or_else(
                || "size unknown".to_string(),
                |size| HumanBytes(size).to_string(),
            );
            out.push_str(&format!("{prefix}{branch}{name}  {size}\n"));
        }
    }
}

impl TreeReporter {
    pub fn new(verbosity: Verbosity, output: Arc<Output>) -> Self {
        TreeReporter {
            verbosity,
            lines: PlainReporter::new(verbosity, Arc::clone(&output)),
            output,
            tree: Mutex::new(Folder::default()),
        }
    }
}

impl Reporter for TreeReporter {
    fn report(&self, event: &Event) {
        match event {
            Event::Planned { path, size, .. } => {
                self.tree
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(path, *size);
            }
            Event::Summary(summary) => {
                {
                    let tree = self.tree.lock().unwrap_or_else(PoisonError::into_inner);
                    let mut out = String::new();
                    tree.render("", &mut out);
                    let (files, bytes, unknown) = tree.totals();
                    let unknown = if unknown > 0 {
                        format!(" ({unknown} of unknown size)")
                    } else {
                        String::new()
                    };
                    out.push_str(&format!(
                        "total: {}, {}{unknown}",
                        counted(files, "file"),
                        HumanBytes(bytes)
                    ));
                    self.output.line(Stream::Stdout, &out);
                }
                // The dry run's own last line, even when nothing would be
                // downloaded: its failures are counted there.
                if self.verbosity >= Verbosity::Normal {
                    self.output
                        .line(Stream::Stdout, &dry_run_summary_line(summary));
                }
            }
            _ => self.lines.report(event),
        }
    }
}
