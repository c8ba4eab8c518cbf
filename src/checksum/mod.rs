//! Hashes and their verification: an [`Expected`] digest, a [`Verifier`] fed with a
//! body in order as it streams in, a [`BodyHasher`] for a transfer. Pure: files
//! already on disk are read by [`crate::disk::hash`], never through a symlink.
//!
//! ```
//! use fetchall::checksum::{Algorithm, Expected, Verifier};
//!
//! let expected = Expected::from_hex(
//!     Algorithm::Sha256,
//!     "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
//! )
//! .expect("64 hex digits");
//! let mut verifier = Verifier::new(expected);
//! verifier.update(b"hel");
//! verifier.update(b"lo");
//! assert!(verifier.finish().is_ok());
//! ```

pub mod sums;

pub use crate::error::Mismatch;

use std::fmt;

use md5::Md5;
use serde::Serialize;
use sha2::{Digest, Sha256, Sha512};

/// The hash algorithms of the checksum files fetchall reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// MD5 (`MD5SUMS`, `*.md5`): catches corruption, not tampering.
    Md5,
    /// SHA-256 (`SHA256SUMS`, `*.sha256`).
    Sha256,
    /// SHA-512 (`SHA512SUMS`, `*.sha512`).
    Sha512,
}

impl Algorithm {
    /// The digest length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            Algorithm::Md5 => 16,
            Algorithm::Sha256 => 32,
            Algorithm::Sha512 => 64,
        }
    }

    /// The algorithm whose digest has `hex_digits` hexadecimal digits, if one does.
    pub fn from_hex_len(hex_digits: usize) -> Option<Algorithm> {
        [Algorithm::Md5, Algorithm::Sha256, Algorithm::Sha512]
            .into_iter()
            .find(|algorithm| algorithm.digest_len() * 2 == hex_digits)
    }

    /// The algorithm named by a BSD-style tag (`SHA256`, `SHA512`, `MD5`).
    pub fn from_tag(tag: &str) -> Option<Algorithm> {
        match tag.to_ascii_uppercase().as_str() {
            "MD5" => Some(Algorithm::Md5),
            "SHA256" | "SHA2-256" => Some(Algorithm::Sha256),
            "SHA512" | "SHA2-512" => Some(Algorithm::Sha512),
            _ => None,
        }
    }

    /// The lower-case name used in events and messages: `sha256`.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "md5",
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The digest a file must have. `Copy`, so it travels in plain settings structs.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Expected {
    /// How the digest was computed.
    pub algorithm: Algorithm,
    /// The digest, in its first `algorithm.digest_len()` bytes.
    bytes: [u8; 64],
}

impl Expected {
    /// An expected digest from raw bytes; `None` when the length does not fit.
    pub fn new(algorithm: Algorithm, digest: &[u8]) -> Option<Expected> {
        if digest.len() != algorithm.digest_len() {
            return None;
        }
        let mut bytes = [0; 64];
        bytes[..digest.len()].copy_from_slice(digest);
        Some(Expected { algorithm, bytes })
    }

    /// An expected digest from hexadecimal digits (either case).
    pub fn from_hex(algorithm: Algorithm, hex: &str) -> Option<Expected> {
        Expected::new(algorithm, &decode_hex(hex)?)
    }

    /// The digest bytes.
    pub fn digest(&self) -> &[u8] {
        &self.bytes[..self.algorithm.digest_len()]
    }

    /// The digest in lower-case hexadecimal.
    pub fn hex(&self) -> String {
        encode_hex(self.digest())
    }
}

impl fmt::Debug for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.hex())
    }
}

/// Why a file on disk could not be verified.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The file could not be read.
    #[error("cannot read `{}`", path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file's digest is not the expected one.
    #[error(transparent)]
    Mismatch(#[from] Mismatch),
}

/// An incremental hash of one algorithm.
#[derive(Clone)]
pub struct Hasher {
    state: State,
}

#[derive(Clone)]
enum State {
    Md5(Md5),
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    /// A fresh hash.
    pub fn new(algorithm: Algorithm) -> Hasher {
        let state = match algorithm {
            Algorithm::Md5 => State::Md5(Md5::new()),
            Algorithm::Sha256 => State::Sha256(Sha256::new()),
            Algorithm::Sha512 => State::Sha512(Sha512::new()),
        };
        Hasher { state }
    }

    /// Feeds the next bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        match &mut self.state {
            State::Md5(state) => state.update(bytes),
            State::Sha256(state) => state.update(bytes),
            State::Sha512(state) => state.update(bytes),
        }
    }

    /// The digest of everything fed.
    pub fn finish(self) -> Vec<u8> {
        match self.state {
            State::Md5(state) => state.finalize().to_vec(),
            State::Sha256(state) => state.finalize().to_vec(),
            State::Sha512(state) => state.finalize().to_vec(),
        }
    }
}

/// Checks a body against an [`Expected`] digest, fed in order, chunk by chunk.
#[derive(Clone)]
pub struct Verifier {
    expected: Expected,
    hasher: Hasher,
}

impl Verifier {
    /// A verifier that has seen no bytes yet.
    pub fn new(expected: Expected) -> Verifier {
        Verifier {
            expected,
            hasher: Hasher::new(expected.algorithm),
        }
    }

    /// Feeds the next bytes of the body.
    pub fn update(&mut self, bytes: &[u8]) {
        self.hasher.update(bytes);
    }

    /// Compares the digest of everything fed with the expected one.
    pub fn finish(self) -> Result<(), Mismatch> {
        let actual = self.hasher.finish();
        if actual == self.expected.digest() {
            Ok(())
        } else {
            Err(Mismatch {
                algorithm: self.expected.algorithm.name(),
                expected: self.expected.hex(),
                actual: encode_hex(&actual),
            })
        }
    }
}

/// What the transfer of one file computes on the fly. Plain data, `Copy`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checks {
    /// The digest the file must have (from a checksum file), if any.
    pub expected: Option<Expected>,
    /// Also compute the SHA-256 of the file (for `--manifest`).
    pub sha256: bool,
}

impl Checks {
    /// True when nothing is to be computed, so bodies need not be hashed.
    pub fn is_empty(&self) -> bool {
        self.expected.is_none() && !self.sha256
    }
}

/// What a transfer learnt about the bytes it put in place.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BodyDigest {
    /// The algorithm the file was verified with, when a checksum file listed it.
    pub verified: Option<Algorithm>,
    /// The file's SHA-256 in hexadecimal, when [`Checks::sha256`] asked for it.
    pub sha256: Option<String>,
}

/// The hashing a transfer does while a body streams in: a [`Verifier`] when a digest
/// is expected, and a SHA-256 when one is wanted (shared when the expected digest is
/// itself a SHA-256).
///
/// A resumed transfer first feeds the bytes already on disk once
/// (`disk::hash::feed_prefix`), then every new chunk; nothing is read twice.
#[derive(Clone)]
pub struct BodyHasher {
    checks: Checks,
    verifier: Option<Verifier>,
    sha256: Option<Sha256>,
}

impl BodyHasher {
    /// A hasher for `checks`, having seen no bytes.
    pub fn new(checks: Checks) -> BodyHasher {
        let shared = checks
            .expected
            .is_some_and(|expected| expected.algorithm == Algorithm::Sha256);
        BodyHasher {
            checks,
            verifier: checks.expected.map(Verifier::new),
            sha256: (checks.sha256 && !shared).then(Sha256::new),
        }
    }

    /// True when this hasher computes nothing, so bytes need not be read for it.
    pub fn is_idle(&self) -> bool {
        self.checks.is_empty()
    }

    /// Feeds the next bytes of the body.
    pub fn update(&mut self, bytes: &[u8]) {
        if let Some(verifier) = &mut self.verifier {
            verifier.update(bytes);
        }
        if let Some(sha256) = &mut self.sha256 {
            sha256.update(bytes);
        }
    }

    /// Ends the hashing: `Err` when the body does not match the expected digest.
    pub fn finish(self) -> Result<BodyDigest, Mismatch> {
        let verified = self.checks.expected.map(|expected| expected.algorithm);
        let shared_sha256 = match self.verifier {
            Some(verifier) => {
                let expected = verifier.expected;
                verifier.finish()?;
                (self.checks.sha256 && expected.algorithm == Algorithm::Sha256)
                    .then(|| expected.hex())
            }
            None => None,
        };
        let sha256 = shared_sha256.or_else(|| {
            self.sha256
                .map(|sha256| encode_hex(sha256.finalize().as_slice()))
        });
        Ok(BodyDigest { verified, sha256 })
    }
}

/// Lower-case hexadecimal.
pub fn encode_hex(bytes: &[u8]) -> String {
    use fmt::Write;
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(text, "{byte:02x}");
    }
    text
}

/// Bytes from hexadecimal digits (either case); `None` for anything else.
pub fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |byte: u8| (byte as char).to_digit(16).map(|value| value as u8);
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? * 16 + digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELLO_SHA256: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    const HELLO_MD5: &str = "5d41402abc4b2a76b9719d911017c592";

    #[test]
    fn known_digests() {
        let digest = |algorithm, bytes: &[u8]| {
            let mut hasher = Hasher::new(algorithm);
            hasher.update(bytes);
            encode_hex(&hasher.finish())
        };
        assert_eq!(digest(Algorithm::Sha256, b"hello"), HELLO_SHA256);
        assert_eq!(digest(Algorithm::Md5, b"hello"), HELLO_MD5);
        assert_eq!(digest(Algorithm::Sha512, b"").len(), 128);
    }

    #[test]
    fn a_verifier_reports_both_digests_on_mismatch() {
        let expected = Expected::from_hex(Algorithm::Md5, HELLO_MD5).expect("hex");
        let mut verifier = Verifier::new(expected);
        verifier.update(b"hellO");
        let mismatch = verifier.finish().expect_err("differs");
        assert_eq!(mismatch.expected, HELLO_MD5);
        assert_ne!(mismatch.actual, HELLO_MD5);
    }

    #[test]
    fn hex_is_strict_and_case_blind() {
        assert_eq!(decode_hex("0aFF"), Some(vec![10, 255]));
        assert_eq!(decode_hex("0g"), None);
        assert_eq!(decode_hex("abc"), None);
        assert!(Expected::from_hex(Algorithm::Sha256, HELLO_MD5).is_none());
        assert_eq!(Algorithm::from_hex_len(64), Some(Algorithm::Sha256));
        assert_eq!(Algorithm::from_hex_len(40), None);
    }
}
