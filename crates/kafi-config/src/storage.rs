//! [`StorageConfig`]: locating, reading and validating one configuration file.

use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value};

use crate::error::{Error, Result, INLINE_LABEL};
use crate::sections::{
    describe, entries, required_scalar, AzureBlobSection, KafkaSection, LocalSection,
    RestProxySection, S3Section, SchemaRegistrySection,
};
use crate::settings::KafiSettings;
use crate::subst::substitute_value;
use kafi_core::StorageKind;

/// Every top-level section name this crate knows.
const ALL_SECTIONS: [&str; 7] = [
    "kafka",
    "rest_proxy",
    "local",
    "s3",
    "azure_blob",
    "schema_registry",
    "kafi",
];

/// The storage section of a configuration: exactly one per file, the one
/// of the configuration's [`StorageKind`].
#[derive(Clone, Debug, PartialEq)]
pub enum BackendSection {
    /// `kafka`, for [`StorageKind::Cluster`].
    Kafka(KafkaSection),
    /// `rest_proxy`, for [`StorageKind::RestProxy`].
    RestProxy(RestProxySection),
    /// `local`, for [`StorageKind::Local`].
    Local(LocalSection),
    /// `s3`, for [`StorageKind::S3`].
    S3(S3Section),
    /// `azure_blob`, for [`StorageKind::AzureBlob`].
    AzureBlob(AzureBlobSection),
}

impl BackendSection {
    /// The storage kind this section configures.
    pub fn kind(&self) -> StorageKind {
        match self {
            BackendSection::Kafka(_) => StorageKind::Cluster,
            BackendSection::RestProxy(_) => StorageKind::RestProxy,
            BackendSection::Local(_) => StorageKind::Local,
            BackendSection::S3(_) => StorageKind::S3,
            BackendSection::AzureBlob(_) => StorageKind::AzureBlob,
        }
    }

    /// Parses the section of `kind` from its YAML value.
    fn from_yaml(kind: StorageKind, file: &str, v: &Value) -> Result<Self> {
        Ok(match kind {
            StorageKind::Cluster => BackendSection::Kafka(KafkaSection::from_yaml(file, v)?),
            StorageKind::RestProxy => {
                BackendSection::RestProxy(RestProxySection::from_yaml(file, v)?)
            }
            StorageKind::Local => BackendSection::Local(LocalSection::from_yaml(file, v)?),
            StorageKind::S3 => BackendSection::S3(S3Section::from_yaml(file, v)?),
            StorageKind::AzureBlob => {
                BackendSection::AzureBlob(AzureBlobSection::from_yaml(file, v)?)
            }
        })
    }

    fn to_yaml(&self) -> Mapping {
        match self {
            BackendSection::Kafka(s) => s.to_yaml(),
            BackendSection::RestProxy(s) => s.to_yaml(),
            BackendSection::Local(s) => s.to_yaml(),
            BackendSection::S3(s) => s.to_yaml(),
            BackendSection::AzureBlob(s) => s.to_yaml(),
        }
    }
}

/// The validated configuration of one storage ("connection").
///
/// It holds exactly one storage section ([`backend`](Self::backend), whose
/// kind is the configuration's [`kind`](Self::kind)); `schema_registry` is
/// optional; `kafi` holds every setting with defaults filled in. `Debug`
/// and [`redacted_yaml`](Self::redacted_yaml) never show secret values.
#[derive(Clone, Debug, PartialEq)]
pub struct StorageConfig {
    /// The configuration name as requested, or `"inline"`.
    pub name: String,
    /// The file it came from, if any.
    pub source: Option<PathBuf>,
    /// The storage section.
    pub backend: BackendSection,
    /// The optional `schema_registry` section.
    pub schema_registry: Option<SchemaRegistrySection>,
    /// The `kafi` section with defaults for absent items.
    pub kafi: KafiSettings,
}

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The directory configurations are looked up in: `$KAFI_HOME` if set and
/// non-empty, else `.`.
pub fn kafi_home() -> PathBuf {
    match std::env::var_os("KAFI_HOME") {
        Some(h) if !h.is_empty() => PathBuf::from(h),
        _ => PathBuf::from("."),
    }
}

fn has_yaml_suffix(name: &str) -> bool {
    name.ends_with(".yaml") || name.ends_with(".yml")
}

/// The paths searched for `name`, in order.
fn candidates(kind: StorageKind, name: &str, home: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if name.is_empty() {
        return out;
    }
    let file_names: Vec<String> = if has_yaml_suffix(name) {
        // Given as a file name or path: try it as is (relative to the
        // current directory), then like any other name.
        out.push(PathBuf::from(name));
        vec![name.to_owned()]
    } else {
        vec![format!("{name}.yaml"), format!("{name}.yml")]
    };
    for f in &file_names {
        out.push(home.join(f));
    }
    for dir in kind.config_dirs() {
        for f in &file_names {
            out.push(home.join("configs").join(dir).join(f));
        }
    }
    out.dedup();
    out
}

/// Finds the file for `name` or reports every path searched; when nothing
/// but a directory of that name exists, says so.
pub(crate) fn resolve(kind: StorageKind, name: &str, home: &Path) -> Result<PathBuf> {
    let searched = candidates(kind, name, home);
    let mut directory = None;
    for path in &searched {
        tracing::trace!(path = %path.display(), "looking for configuration");
        if path.is_file() {
            return Ok(path.clone());
        }
        if directory.is_none() && path.is_dir() {
            directory = Some(path);
        }
    }
    if let Some(path) = directory {
        return Err(Error::NotAFile { path: path.clone() });
    }
    Err(Error::NotFound {
        kind,
        name: name.to_owned(),
        searched,
    })
}

/// The names (without suffix) of the configurations available for `kind`:
/// every `*.yaml`/`*.yml` in `home` and in `home/configs/<dir>/` for each of
/// [`StorageKind::config_dirs`], sorted and without duplicates.
///
/// `home` defaults to [`kafi_home`]. Unreadable directories are skipped.
pub fn list_configs(kind: StorageKind, home: Option<&Path>) -> Vec<String> {
    let home = home.map_or_else(kafi_home, Path::to_path_buf);
    let mut dirs = vec![home.clone()];
    dirs.extend(
        kind.config_dirs()
            .iter()
            .map(|d| home.join("configs").join(d)),
    );
    let mut names: Vec<String> = dirs
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flatten()
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let file_name = entry.file_name().into_string().ok()?;
            let stem = file_name
                .strip_suffix(".yaml")
                .or_else(|| file_name.strip_suffix(".yml"))?;
            if stem.is_empty() || !entry.path().is_file() {
                return None;
            }
            Some(stem.to_owned())
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

impl StorageConfig {
    /// Loads configuration `name` for `kind` from [`kafi_home`], substituting
    /// from the process environment.
    ///
    /// Looks at `home/<name>.yaml`, `home/<name>.yml`, then
    /// `home/configs/<dir>/<name>.yaml` / `.yml` for each of
    /// [`StorageKind::config_dirs`]. A `name` ending in `.yaml`/`.yml` is
    /// first tried as a path of its own. If nothing exists the
    /// [`Error::NotFound`] lists every path searched.
    pub fn load(kind: StorageKind, name: &str) -> Result<Self> {
        Self::load_from(kind, name, &kafi_home())
    }

    /// [`load`](Self::load) with an explicit home directory.
    pub fn load_from(kind: StorageKind, name: &str, home: &Path) -> Result<Self> {
        Self::load_from_with_env(kind, name, home, &process_env)
    }

    /// [`load_from`](Self::load_from) with `env` looked up for `${VAR}`
    /// substitution instead of the process environment.
    pub fn load_from_with_env(
        kind: StorageKind,
        name: &str,
        home: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        let path = resolve(kind, name, home)?;
        tracing::debug!(%kind, name, path = %path.display(), "loading storage configuration");
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        Self::from_yaml_str_with_env(kind, name, &text, Some(&path), env)
    }

    /// Parses, substitutes (from the process environment) and validates YAML
    /// text. `source` is only used in errors and recorded in
    /// [`source`](Self::source).
    pub fn from_yaml_str(
        kind: StorageKind,
        name: &str,
        yaml: &str,
        source: Option<&Path>,
    ) -> Result<Self> {
        Self::from_yaml_str_with_env(kind, name, yaml, source, &process_env)
    }

    /// [`from_yaml_str`](Self::from_yaml_str) with `env` looked up for
    /// `${VAR}` substitution instead of the process environment.
    pub fn from_yaml_str_with_env(
        kind: StorageKind,
        name: &str,
        yaml: &str,
        source: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        let file = source.map_or_else(|| INLINE_LABEL.to_owned(), |p| p.display().to_string());
        let yaml_error = |e: serde_yaml::Error| Error::Yaml {
            file: file.clone(),
            message: e.to_string(),
        };
        let mut value: Value = serde_yaml::from_str(yaml).map_err(yaml_error)?;
        value.apply_merge().map_err(yaml_error)?;
        build(kind, name, source, &file, value, env)
    }

    /// Builds a configuration from an inline YAML value (a map of sections),
    /// substituting `${VAR}` in string scalars from the process environment.
    /// The name is `"inline"`.
    pub fn from_value(kind: StorageKind, value: Value) -> Result<Self> {
        Self::from_value_with_env(kind, value, &process_env)
    }

    /// [`from_value`](Self::from_value) with `env` looked up for `${VAR}`
    /// substitution instead of the process environment.
    pub fn from_value_with_env(
        kind: StorageKind,
        value: Value,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        build(kind, "inline", None, INLINE_LABEL, value, env)
    }

    /// A label for this configuration's origin, as used in error messages.
    pub fn origin(&self) -> String {
        self.source
            .as_ref()
            .map_or_else(|| INLINE_LABEL.to_owned(), |p| p.display().to_string())
    }

    /// The storage kind (that of [`backend`](Self::backend)).
    pub fn kind(&self) -> StorageKind {
        self.backend.kind()
    }

    fn missing(&self, section: &'static str) -> Error {
        Error::MissingSection {
            file: self.origin(),
            section,
        }
    }

    /// The `kafka` section, or [`Error::MissingSection`].
    pub fn kafka(&self) -> Result<&KafkaSection> {
        match &self.backend {
            BackendSection::Kafka(s) => Ok(s),
            _ => Err(self.missing("kafka")),
        }
    }

    /// The `rest_proxy` section, or [`Error::MissingSection`].
    pub fn rest_proxy(&self) -> Result<&RestProxySection> {
        match &self.backend {
            BackendSection::RestProxy(s) => Ok(s),
            _ => Err(self.missing("rest_proxy")),
        }
    }

    /// The `local` section, or [`Error::MissingSection`].
    pub fn local(&self) -> Result<&LocalSection> {
        match &self.backend {
            BackendSection::Local(s) => Ok(s),
            _ => Err(self.missing("local")),
        }
    }

    /// The `s3` section, or [`Error::MissingSection`].
    pub fn s3(&self) -> Result<&S3Section> {
        match &self.backend {
            BackendSection::S3(s) => Ok(s),
            _ => Err(self.missing("s3")),
        }
    }

    /// The `azure_blob` section, or [`Error::MissingSection`].
    pub fn azure_blob(&self) -> Result<&AzureBlobSection> {
        match &self.backend {
            BackendSection::AzureBlob(s) => Ok(s),
            _ => Err(self.missing("azure_blob")),
        }
    }

    /// The `schema_registry` section, or [`Error::MissingSection`].
    pub fn schema_registry(&self) -> Result<&SchemaRegistrySection> {
        self.schema_registry
            .as_ref()
            .ok_or_else(|| self.missing("schema_registry"))
    }

    /// The effective configuration as YAML (storage section, then
    /// `schema_registry`, then every `kafi` item), with every secret value
    /// replaced by `"********"`.
    pub fn redacted_yaml(&self) -> String {
        let mut root = Mapping::new();
        root.insert(
            self.kind().section().into(),
            Value::Mapping(self.backend.to_yaml()),
        );
        if let Some(sr) = &self.schema_registry {
            root.insert("schema_registry".into(), Value::Mapping(sr.to_yaml()));
        }
        root.insert("kafi".into(), Value::Mapping(self.kafi.to_yaml()));
        // Serialising a map of plain strings, numbers and booleans cannot fail.
        serde_yaml::to_string(&Value::Mapping(root)).unwrap_or_default()
    }
}

/// Substitution and validation shared by every constructor.
fn build(
    kind: StorageKind,
    name: &str,
    source: Option<&Path>,
    file: &str,
    mut value: Value,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<StorageConfig> {
    let Value::Mapping(_) = &value else {
        return Err(Error::invalid_shape(
            file,
            "(top level)",
            describe(&value),
            "a map of sections",
        ));
    };
    substitute_value(&mut value, "", file, env)?;

    let own = kind.section();
    let allowed = vec![own, "schema_registry", "kafi"];
    let sections = entries(file, "(top level)", &value)?;

    // Typos first: a name that is no section at all.
    if let Some((section, _)) = sections
        .iter()
        .find(|(s, _)| !ALL_SECTIONS.contains(&s.as_str()))
    {
        return Err(Error::UnknownSection {
            file: file.to_owned(),
            section: section.clone(),
            expected: allowed,
        });
    }
    if !sections.iter().any(|(s, _)| s == own) {
        return Err(Error::MissingSection {
            file: file.to_owned(),
            section: own,
        });
    }
    // Then sections that belong to another storage kind.
    if let Some((section, _)) = sections
        .iter()
        .find(|(s, _)| !allowed.contains(&s.as_str()))
    {
        return Err(Error::UnknownSection {
            file: file.to_owned(),
            section: section.clone(),
            expected: allowed,
        });
    }

    let mut backend = None;
    let mut schema_registry = None;
    let mut kafi = KafiSettings::default();
    for (section, v) in sections {
        match section.as_str() {
            "schema_registry" => {
                schema_registry = Some(SchemaRegistrySection::from_yaml(file, v)?);
            }
            "kafi" => {
                for (key, v) in entries(file, "kafi", v)? {
                    let dotted = format!("kafi.{key}");
                    let text = required_scalar(file, &dotted, v)?;
                    kafi.set_in(file, &key, &text)?;
                }
            }
            // The only other section allowed is the storage's own.
            _ => backend = Some(BackendSection::from_yaml(kind, file, v)?),
        }
    }
    let backend = backend.ok_or_else(|| Error::MissingSection {
        file: file.to_owned(),
        section: own,
    })?;
    Ok(StorageConfig {
        name: name.to_owned(),
        source: source.map(Path::to_path_buf),
        backend,
        schema_registry,
        kafi,
    })
}
