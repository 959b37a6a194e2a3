//! The signal set the central judges warnings by — the national one as shipped, or a
//! province's file named in `[warnings] signals` — and serves to its desks
//! (`GET /warnings/signals`), so a desk's suggestions and composer judge by the same set as
//! the central's checks.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use sha2::{Digest as _, Sha256};

use crate::domain::warning::Catalogue;
use crate::protocol::warnings::SignalSetDto;

/// A signal set and what the desks are sent of it.
#[derive(Clone)]
pub struct SignalSet {
    catalogue: Arc<Catalogue>,
    served: Arc<SignalSetDto>,
}

impl SignalSet {
    /// The national set as shipped (`assets/signals`).
    pub fn national() -> Result<Self, String> {
        Self::from_bytes(
            crate::assets::NATIONAL_SIGNAL_SET.to_owned(),
            crate::assets::SIGNALS_JSON,
            Some(crate::assets::DEFENCE_GUIDES_JSON),
        )
    }

    /// The national set as shipped, or — should it not read, which a test guards against — an
    /// empty set that refuses every composition as an unknown signal, with the error logged.
    pub fn shipped() -> Self {
        Self::national().unwrap_or_else(|error| {
            tracing::error!(%error, "the shipped signal set does not read");
            let catalogue = Catalogue {
                signals: Vec::new(),
                beaufort: Default::default(),
            };
            let served = SignalSetDto {
                name: format!(
                    "{} (unreadable: {error})",
                    crate::assets::NATIONAL_SIGNAL_SET
                ),
                digest: digest(&[], None),
                signals: serde_json::json!({ "signals": [] }),
                guides: None,
            };
            Self {
                catalogue: Arc::new(catalogue),
                served: Arc::new(served),
            }
        })
    }

    /// A set from files of the shipped shape: the signals, and the defence guides if given
    /// (levels without guidance then ask the forecaster to write it).
    pub fn from_files(signals: &Path, guides: Option<&Path>) -> Result<Self, String> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))
        };
        let bytes = read(signals)?;
        let guide_bytes = guides.map(read).transpose()?;
        Self::from_bytes(
            signals.display().to_string(),
            &bytes,
            guide_bytes.as_deref(),
        )
        .map_err(|e| format!("{}: {e}", signals.display()))
    }

    /// A set from the files' bytes; `name` says where it came from.
    pub fn from_bytes(name: String, signals: &[u8], guides: Option<&[u8]>) -> Result<Self, String> {
        let catalogue = Catalogue::from_bytes(signals, guides).map_err(|e| e.to_string())?;
        let json = |bytes: &[u8]| serde_json::from_slice(bytes).map_err(|e| e.to_string());
        let served = SignalSetDto {
            name,
            digest: digest(signals, guides),
            signals: json(signals)?,
            guides: guides.map(json).transpose()?,
        };
        Ok(Self {
            catalogue: Arc::new(catalogue),
            served: Arc::new(served),
        })
    }

    /// The set, read.
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// What `GET /warnings/signals` answers.
    pub fn served(&self) -> &SignalSetDto {
        &self.served
    }
}

/// SHA-256 over the signals and the guides (each length-prefixed, so no two pairs collide by
/// where one ends), in hex: a desk compares it to know its copy is current.
fn digest(signals: &[u8], guides: Option<&[u8]>) -> String {
    let mut hash = Sha256::new();
    for part in [Some(signals), guides].into_iter().flatten() {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl PartialEq for SignalSet {
    fn eq(&self, other: &Self) -> bool {
        self.served.digest == other.served.digest
    }
}

impl Eq for SignalSet {}

impl fmt::Debug for SignalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.served;
        write!(f, "SignalSet({}, {})", s.name, &s.digest[..12])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_set_loads_and_a_changed_file_changes_the_digest() {
        let national = SignalSet::national().unwrap();
        assert_eq!(national.catalogue().signals.len(), 14);
        let again = SignalSet::national().unwrap();
        assert_eq!(national, again);
        let without_guides =
            SignalSet::from_bytes("x".into(), crate::assets::SIGNALS_JSON, None).unwrap();
        assert_ne!(national, without_guides);
        assert_eq!(national.served().digest.len(), 64);
    }

    #[test]
    fn a_bad_file_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fujian.json");
        std::fs::write(&path, br#"{"signals": 3}"#).unwrap();
        let error = SignalSet::from_files(&path, None).unwrap_err();
        assert!(error.contains("fujian.json"), "{error}");
        let missing = SignalSet::from_files(&dir.path().join("none.json"), None).unwrap_err();
        assert!(missing.contains("none.json"), "{missing}");
    }
}
