//! Which files (and directories) the user wants: wget-style name globs, regexes on
//! the path relative to the start URL, sizes and dates. Pure: no I/O.

use std::time::SystemTime;

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::Regex;

use crate::event::SkipReason;
use crate::listing::meta::{ListedSize, ListedTime};

/// The user's filters, compiled once.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    accept: Option<GlobSet>,
    reject: Option<GlobSet>,
    include: Option<Regex>,
    exclude: Option<Regex>,
    /// Smallest file size wanted, in bytes.
    pub min_size: Option<u64>,
    /// Largest file size wanted, in bytes.
    pub max_size: Option<u64>,
    /// Only files modified after this time.
    pub newer_than: Option<SystemTime>,
    /// `--shard K/N`: only the files of this share (directories are all crawled).
    pub shard: Option<crate::select::shard::Shard>,
}

/// A filter that could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    /// A glob of `--accept` or `--reject`.
    #[error("invalid glob `{pattern}`")]
    Glob {
        /// The glob.
        pattern: String,
        /// Why.
        #[source]
        source: globset::Error,
    },
    /// A regex of `--include` or `--exclude`.
    #[error("invalid regular expression `{pattern}`")]
    Regex {
        /// The regex.
        pattern: String,
        /// Why.
        #[source]
        source: regex::Error,
    },
}

impl Filters {
    /// `-A`: file names to accept, as wget reads them: comma-separated; an entry with
    /// a wildcard (`*`, `?`, `[`) is a glob, any other entry is a suffix (`zip` = `*zip`).
    #[must_use = "returns the updated filters"]
    pub fn with_accept(mut self, list: &[String]) -> Result<Self, FilterError> {
        self.accept = compile_globs(list)?;
        Ok(self)
    }

    /// `-R`: file names to reject, same syntax as [`Filters::with_accept`]. Reject wins.
    #[must_use = "returns the updated filters"]
    pub fn with_reject(mut self, list: &[String]) -> Result<Self, FilterError> {
        self.reject = compile_globs(list)?;
        Ok(self)
    }

    /// `--include`: only files whose relative path matches.
    #[must_use = "returns the updated filters"]
    pub fn with_include(mut self, pattern: Option<&str>) -> Result<Self, FilterError> {
        self.include = pattern.map(compile_regex).transpose()?;
        Ok(self)
    }

    /// `--exclude`: no file or directory whose relative path (directories end with `/`)
    /// matches; an excluded directory is not crawled.
    #[must_use = "returns the updated filters"]
    pub fn with_exclude(mut self, pattern: Option<&str>) -> Result<Self, FilterError> {
        self.exclude = pattern.map(compile_regex).transpose()?;
        Ok(self)
    }

    /// Whether a file is wanted, from its decoded name and its path relative to the
    /// start folder (`sub/x.zip`).
    pub fn check_file(&self, name: &str, relative_path: &str) -> Result<(), SkipReason> {
        if let Some(reject) = &self.reject
            && reject.is_match(name)
        {
            return Err(SkipReason::Filtered("matches --reject".into()));
        }
        if let Some(accept) = &self.accept
            && !accept.is_match(name)
        {
            return Err(SkipReason::Filtered("does not match --accept".into()));
        }
        if let Some(exclude) = &self.exclude
            && exclude.is_match(relative_path)
        {
            return Err(SkipReason::Filtered("matches --exclude".into()));
        }
        if let Some(include) = &self.include
            && !include.is_match(relative_path)
        {
            return Err(SkipReason::Filtered("does not match --include".into()));
        }
        if let Some(shard) = &self.shard
            && !shard.contains(relative_path)
        {
            return Err(SkipReason::Filtered(format!("not in shard {shard}")));
        }
        Ok(())
    }

    /// Whether a directory (relative path ending with `/`) is crawled.
    pub fn check_directory(&self, relative_path: &str) -> Result<(), SkipReason> {
        match &self.exclude {
            Some(exclude) if exclude.is_match(relative_path) => {
                Err(SkipReason::Filtered("matches --exclude".into()))
            }
            _ => Ok(()),
        }
    }

    /// Whether a file of this size and time is wanted. Unknown values pass: a filter
    /// cannot judge what nobody told it.
    pub fn check_metadata(
        &self,
        size: Option<u64>,
        modified: Option<SystemTime>,
    ) -> Result<(), SkipReason> {
        if let (Some(min), Some(size)) = (self.min_size, size)
            && size < min
        {
            return Err(SkipReason::Filtered(format!(
                "smaller than --min-size ({size} bytes)"
            )));
        }
        if let (Some(max), Some(size)) = (self.max_size, size)
            && size > max
        {
            return Err(SkipReason::Filtered(format!(
                "larger than --max-size ({size} bytes)"
            )));
        }
        if let (Some(newer_than), Some(modified)) = (self.newer_than, modified)
            && modified <= newer_than
        {
            return Err(SkipReason::Filtered("not newer than --newer-than".into()));
        }
        Ok(())
    }

    /// Like [`Filters::check_metadata`] for what a listing says: a rounded size
    /// (`1.5M`) is judged only when its whole range is outside the limits.
    pub fn check_listed(
        &self,
        size: Option<ListedSize>,
        modified: Option<ListedTime>,
    ) -> Result<(), SkipReason> {
        if let (Some(min), Some(size)) = (self.min_size, size)
            && size.high < min
        {
            return Err(SkipReason::Filtered(format!(
                "smaller than --min-size (listed as at most {} bytes)",
                size.high
            )));
        }
        if let (Some(max), Some(size)) = (self.max_size, size)
            && size.low > max
        {
            return Err(SkipReason::Filtered(format!(
                "larger than --max-size (listed as at least {} bytes)",
                size.low
            )));
        }
        // Skipped only when even the latest time the listing allows is not newer.
        self.check_metadata(None, modified.map(|time| time.latest))
    }
}

fn compile_globs(list: &[String]) -> Result<Option<GlobSet>, FilterError> {
    let patterns: Vec<&str> = list
        .iter()
        .flat_map(|entry| entry.split(','))
        .map(str::trim)
        .filter(|pattern| !pattern.is_empty())
        .collect();
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let is_glob = pattern.contains(['*', '?', '[']);
        let glob_text = if is_glob {
            pattern.to_string()
        } else {
            format!("*{}", globset::escape(pattern))
        };
        let glob = Glob::new(&glob_text).map_err(|source| FilterError::Glob {
            pattern: pattern.to_string(),
            source,
        })?;
        builder.add(glob);
    }
    builder
        .build()
        .map(Some)
        .map_err(|source| FilterError::Glob {
            pattern: list.join(","),
            source,
        })
}

fn compile_regex(pattern: &str) -> Result<Regex, FilterError> {
    Regex::new(pattern).map_err(|source| FilterError::Regex {
        pattern: pattern.to_string(),
        source,
    })
}

/// Parses a size such as `10M`, `1.5GiB`, `200k` or `1234`. `K`, `M`, `G`, `T` and
/// their `iB` forms are powers of 1024 (as in wget's `--quota`); `KB`, `MB`... are
/// powers of 1000.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|character: char| !(character.is_ascii_digit() || character == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size such as 10M or 1.5GiB"))?;
    let multiplier: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024.0 * 1024.0,
        "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        other => return Err(format!("unknown size unit `{other}` in `{text}`")),
    };
    Ok((number * multiplier).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filters(accept: &[&str], reject: &[&str]) -> Filters {
        let list = |items: &[&str]| {
            items
                .iter()
                .map(|item| item.to_string())
                .collect::<Vec<_>>()
        };
        Filters::default()
            .with_accept(&list(accept))
            .and_then(|filters| filters.with_reject(&list(reject)))
            .expect("valid globs")
    }

    #[test]
    fn accept_and_reject_read_like_wget() {
        let cases = [
            (&["*.zip"][..], &[][..], "a.zip", true),
            (&["*.zip"], &[], "a.txt", false),
            (&["zip,txt"], &[], "a.txt", true),
            (&["zip"], &[], "azip", true),
            (&["*.zip"], &["beta*"], "beta-1.zip", false),
            (&["*.zip"], &["beta*"], "release.zip", true),
            (&[], &["*.iso"], "big.iso", false),
            (&[], &["*.iso"], "small.txt", true),
            (&["file?.txt"], &[], "file1.txt", true),
            (&["*.ZIP"], &[], "a.zip", false),
        ];
        for (accept, reject, name, wanted) in cases {
            let result = filters(accept, reject).check_file(name, name);
            assert_eq!(
                result.is_ok(),
                wanted,
                "-A {accept:?} -R {reject:?} on {name}"
            );
        }
    }

    #[test]
    fn exclude_prunes_directories_and_include_selects_files() {
        let filters = Filters::default()
            .with_include(Some(r"\.zip$"))
            .and_then(|filters| filters.with_exclude(Some("^old/")))
            .expect("valid regexes");
        assert!(filters.check_directory("old/").is_err());
        assert!(filters.check_directory("new/").is_ok());
        assert!(filters.check_file("a.zip", "new/a.zip").is_ok());
        assert!(filters.check_file("a.txt", "new/a.txt").is_err());
        assert!(filters.check_file("a.zip", "old/a.zip").is_err());
    }

    #[test]
    fn sizes_parse_with_binary_and_decimal_units() {
        assert_eq!(parse_size("1234"), Ok(1234));
        assert_eq!(parse_size("10M"), Ok(10 * 1024 * 1024));
        assert_eq!(parse_size("1.5GiB"), Ok(1_610_612_736));
        assert_eq!(parse_size("2kb"), Ok(2000));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5X").is_err());
    }

    #[test]
    fn size_and_date_filters_pass_unknown_values() {
        let filters = Filters {
            min_size: Some(10),
            max_size: Some(100),
            ..Filters::default()
        };
        assert!(filters.check_metadata(Some(5), None).is_err());
        assert!(filters.check_metadata(Some(500), None).is_err());
        assert!(filters.check_metadata(Some(50), None).is_ok());
        assert!(filters.check_metadata(None, None).is_ok());
    }
}
