//! The JSON Schemas (`schemas/`), each compiled once, when first used.
//!
//! `$ref`s between the files resolve among the files of the same set (by file
//! name); nothing is ever fetched. The embedded schemas compile lazily: a run
//! compiles only the ones it validates with (a `list` never compiles the
//! report schema), and a test compiles every one of them, so a broken `$ref`
//! fails the build's tests, never a user. A folder given with `--schemas` is
//! compiled whole at start: a schema that does not compile, or a `$ref` that
//! does not resolve, fails there, before any request is sent.

use include_dir::{Dir, include_dir};
use jsonschema::{Retrieve, Uri, Validator};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

static EMBEDDED: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/schemas");

/// The schemas the tool validates with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SchemaName {
    Envelope,
    Success,
    Result,
    Error,
    RequestBody,
    Case,
    Requirements,
    Expectations,
    /// An `--expect` file: entries of `expectations.schema.json#/$defs/expect_file`.
    ExpectFile,
    Profile,
    Report,
}

impl SchemaName {
    /// Every schema, in load order.
    pub const ALL: [SchemaName; 11] = [
        SchemaName::Envelope,
        SchemaName::Success,
        SchemaName::Result,
        SchemaName::Error,
        SchemaName::RequestBody,
        SchemaName::Case,
        SchemaName::Requirements,
        SchemaName::Expectations,
        SchemaName::ExpectFile,
        SchemaName::Profile,
        SchemaName::Report,
    ];

    /// File name in `schemas/`.
    pub fn file_name(self) -> &'static str {
        match self {
            SchemaName::Envelope => "envelope.schema.json",
            SchemaName::Success => "success.schema.json",
            SchemaName::Result => "result.schema.json",
            SchemaName::Error => "error.schema.json",
            SchemaName::RequestBody => "request-body.schema.json",
            SchemaName::Case => "case.schema.json",
            SchemaName::Requirements => "requirements.schema.json",
            SchemaName::Expectations => "expectations.schema.json",
            SchemaName::ExpectFile => "expect-file.schema.json",
            SchemaName::Profile => "profile.schema.json",
            SchemaName::Report => "report.schema.json",
        }
    }
}

/// A failure to load or compile the schemas.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("read schema {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("schema {path} is not JSON: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("schema {path} is missing")]
    Missing { path: PathBuf },
    #[error("compile schema {path}: {message}")]
    Compile { path: PathBuf, message: String },
}

/// One violation, with the secret-free message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer into the instance.
    pub instance_path: String,
    /// JSON pointer into the schema.
    pub schema_path: String,
    /// What is wrong; never contains the instance's values.
    pub message: String,
}

/// Every schema, each compiled on first use. Clones share the compiled
/// validators (a schema compiled by one clone is compiled for all).
#[derive(Clone)]
pub struct Schemas {
    documents: Arc<BTreeMap<String, Value>>,
    dir: PathBuf,
    validators: Arc<BTreeMap<SchemaName, OnceLock<Result<Validator, String>>>>,
    /// Compiled into the binary (not a `--schemas` folder).
    embedded: bool,
    /// Where they came from: `embedded` or a folder.
    pub source: String,
}

impl std::fmt::Debug for Schemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schemas")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

struct LocalRetriever {
    documents: Arc<BTreeMap<String, Value>>,
}

impl Retrieve for LocalRetriever {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri.path().as_str().rsplit('/').next().unwrap_or_default();
        self.documents.get(name).cloned().ok_or_else(|| {
            format!("`{uri}` is not one of the local schemas (only files in schemas/ resolve)")
                .into()
        })
    }
}

impl Schemas {
    /// The schemas compiled into the binary.
    pub fn embedded() -> Result<Schemas, SchemaError> {
        let mut documents = BTreeMap::new();
        for file in EMBEDDED.files() {
            let path = Path::new("schemas").join(file.path());
            let value = serde_json::from_slice(file.contents())
                .map_err(|source| SchemaError::Json { path, source })?;
            documents.insert(file.path().to_string_lossy().into_owned(), value);
        }
        let mut schemas = Schemas::lazy(documents, Path::new("schemas"), "embedded".to_owned())?;
        schemas.embedded = true;
        Ok(schemas)
    }

    /// The schemas of a folder (`--schemas DIR`).
    pub fn from_dir(dir: &Path) -> Result<Schemas, SchemaError> {
        let mut documents = BTreeMap::new();
        let entries = std::fs::read_dir(dir).map_err(|source| SchemaError::Read {
            path: dir.to_owned(),
            source,
        })?;
        for entry in entries {
            let path = entry
                .map_err(|source| SchemaError::Read {
                    path: dir.to_owned(),
                    source,
                })?
                .path();
            if path.extension().is_some_and(|e| e == "json") {
                // Bounded, like every file the user names (`/dev/zero` ends in a message).
                let text =
                    crate::input::read_capped(&path, crate::input::CONFIG_LIMIT).map_err(|e| {
                        SchemaError::Read {
                            path: path.clone(),
                            source: e.into_io(),
                        }
                    })?;
                let value = serde_json::from_slice(&text).map_err(|source| SchemaError::Json {
                    path: path.clone(),
                    source,
                })?;
                let name = path
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                documents.insert(name, value);
            }
        }
        let schemas = Schemas::lazy(documents, dir, dir.display().to_string())?;
        schemas.compile_all()?;
        Ok(schemas)
    }

    /// The schemas of `documents`, none compiled yet; every schema the tool
    /// needs must be there.
    fn lazy(
        documents: BTreeMap<String, Value>,
        dir: &Path,
        source: String,
    ) -> Result<Schemas, SchemaError> {
        for name in SchemaName::ALL {
            if !documents.contains_key(name.file_name()) {
                return Err(SchemaError::Missing {
                    path: dir.join(name.file_name()),
                });
            }
        }
        Ok(Schemas {
            documents: Arc::new(documents),
            dir: dir.to_owned(),
            validators: Arc::new(
                SchemaName::ALL
                    .into_iter()
                    .map(|name| (name, OnceLock::new()))
                    .collect(),
            ),
            embedded: false,
            source,
        })
    }

    /// Compiles every schema now; the first that fails is the error.
    pub fn compile_all(&self) -> Result<(), SchemaError> {
        for name in SchemaName::ALL {
            self.validator(name)
                .map_err(|message| SchemaError::Compile {
                    path: self.dir.join(name.file_name()),
                    message,
                })?;
        }
        Ok(())
    }

    /// A schema as JSON, by its file name in `schemas/`
    /// (`request-headers.schema.json`).
    pub fn document(&self, file_name: &str) -> Option<&Value> {
        self.documents.get(file_name)
    }

    /// Whether these are the schemas compiled into the binary.
    pub fn is_embedded(&self) -> bool {
        self.embedded
    }

    /// Compiles `names` on a thread of their own, while the caller goes on
    /// (a run loads its suite meanwhile): the response schemas are ready, or
    /// nearly, when the first answer arrives. A caller that needs one of them
    /// sooner waits for that one; nothing is compiled twice.
    pub fn warm_up(&self, names: &[SchemaName]) {
        let schemas = self.clone();
        let names = names.to_vec();
        let spawned = std::thread::Builder::new()
            .name("schemas".to_owned())
            .spawn(move || {
                for name in names {
                    let _ = schemas.validator(name);
                }
            });
        // No thread: each schema still compiles when first used.
        drop(spawned);
    }

    /// The validator of `name`, compiled on first use (once, shared by every
    /// thread), or why it does not compile.
    fn validator(&self, name: SchemaName) -> Result<&Validator, String> {
        self.validators[&name]
            .get_or_init(|| {
                jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft202012)
                    .should_validate_formats(true)
                    .with_base_uri(format!(
                        "https://ccgw-conformance.local/schemas/{}",
                        name.file_name()
                    ))
                    .with_retriever(LocalRetriever {
                        documents: Arc::clone(&self.documents),
                    })
                    .build(&self.documents[name.file_name()])
                    .map_err(|e| e.masked().to_string())
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Validates `instance`; violations sorted by instance path. Messages are
    /// masked: they never repeat a value of the instance (which may be a secret).
    pub fn validate(&self, name: SchemaName, instance: &Value) -> Vec<Violation> {
        let validator = match self.validator(name) {
            Ok(validator) => validator,
            // Only an embedded schema can get here (a folder is compiled at
            // load), and a test compiles each of those: say so, never panic.
            Err(message) => {
                return vec![Violation {
                    instance_path: String::new(),
                    schema_path: String::new(),
                    message: format!("schema {} does not compile: {message}", name.file_name()),
                }];
            }
        };
        let mut out: Vec<Violation> = validator
            .iter_errors(instance)
            .map(|e| Violation {
                instance_path: e.instance_path().to_string(),
                schema_path: e.schema_path().to_string(),
                message: e.masked().to_string(),
            })
            .collect();
        out.sort_by(|a, b| {
            (&a.instance_path, &a.schema_path).cmp(&(&b.instance_path, &b.schema_path))
        });
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_schema_compiles() {
        // The embedded schemas compile lazily at run time; this is where a
        // broken one (or a `$ref` that does not resolve) shows up.
        Schemas::embedded()
            .expect("embedded schemas load")
            .compile_all()
            .expect("every embedded schema compiles");
    }

    #[test]
    fn a_folder_is_compiled_whole_at_load() {
        let dir = tempfile::tempdir().expect("tempdir");
        for file in EMBEDDED.files() {
            std::fs::write(dir.path().join(file.path()), file.contents()).expect("copy");
        }
        assert!(Schemas::from_dir(dir.path()).is_ok());
        // A schema that no run of `list` would use still fails the load.
        std::fs::write(
            dir.path().join(SchemaName::Report.file_name()),
            r#"{"$ref": "nowhere.schema.json"}"#,
        )
        .expect("write");
        let error = Schemas::from_dir(dir.path()).expect_err("broken $ref");
        assert!(matches!(error, SchemaError::Compile { .. }), "{error}");
    }
}
