//! The `local` provider: `local_file` and `local_sensitive_file` (files written at apply time,
//! read back to detect drift) and the `local_file` data source.
//!
//! Reading a file whose content changed on disk returns the state with the new content, so the
//! next plan replaces it; a file that is gone reads as `None` (it will be created again). A file
//! written from `source` or holding bytes that are not UTF-8 cannot show its new content in a
//! string attribute and reads as gone instead, as Terraform's local provider does.

use skel_value::ValueMap;
use std::io::ErrorKind;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use skel_provider::kit;
use skel_provider::{
    ApplyRequest, PlanRequest, PlanResponse, Provider, ProviderError, ProviderFactory,
    RecoverRequest,
};
use skel_schema::BlockSchema;
use skel_value::Value;

use crate::common::{
    complete_object, data_source_schema, get, get_str, hex, planned_object, resource_schema, set,
};

const NAME: &str = "local";

/// The arguments that can give a file its content, in order of precedence.
const CONTENT_ARGS: [&str; 4] = ["content", "content_base64", "sensitive_content", "source"];

/// Creates the `local` provider (it takes no configuration).
pub struct LocalFactory;

impl ProviderFactory for LocalFactory {
    fn name(&self) -> &str {
        NAME
    }

    fn configure(&self, _config: &Value) -> Result<Arc<dyn Provider>, ProviderError> {
        Ok(Arc::new(LocalProvider))
    }
}

/// The configured `local` provider.
pub struct LocalProvider;

/// The computed digest attributes of `bytes`, by attribute name.
pub fn digests(bytes: &[u8]) -> ValueMap {
    let sha1 = hex(&Sha1::digest(bytes));
    let sha256 = Sha256::digest(bytes);
    let sha512 = Sha512::digest(bytes);
    ValueMap::from([
        ("id".to_string(), Value::string(sha1.clone())),
        (
            "content_md5".to_string(),
            Value::string(hex(&Md5::digest(bytes))),
        ),
        ("content_sha1".to_string(), Value::string(sha1)),
        ("content_sha256".to_string(), Value::string(hex(&sha256))),
        (
            "content_base64sha256".to_string(),
            Value::string(STANDARD.encode(sha256)),
        ),
        ("content_sha512".to_string(), Value::string(hex(&sha512))),
        (
            "content_base64sha512".to_string(),
            Value::string(STANDARD.encode(sha512)),
        ),
    ])
}

/// Parses octal permission bits such as `"0644"` or `"755"`.
pub fn parse_mode(text: &str) -> Option<u32> {
    if !(3..=4).contains(&text.len()) || !text.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return None;
    }
    u32::from_str_radix(text, 8).ok()
}

/// The permission bits of files and created directories when the configuration sets none.
/// A permission (`file_permission` or `directory_permission`) when the configuration leaves it
/// out, before the umask: `0777` for both, as Terraform's local provider, but a file with
/// `sensitive_content` is private (`0600`, its directories `0700`), and `local_sensitive_file`
/// is `0700`.
fn default_mode(type_name: &str, name: &str, config: &Value) -> u32 {
    let private =
        type_name == "local_sensitive_file" || !get(config, "sensitive_content").is_null();
    match (private, type_name, name) {
        (false, _, _) => 0o777,
        (true, "local_file", "file_permission") => 0o600,
        (true, _, _) => 0o700,
    }
}

fn mode_arg(type_name: &str, obj: &Value, name: &str) -> Result<Option<u32>, ProviderError> {
    match get_str(obj, name) {
        None => Ok(None),
        Some(text) => parse_mode(text).map(Some).ok_or_else(|| {
            ProviderError::InvalidConfig(format!(
                "{type_name}: `{name}` must be octal permission bits such as \"0644\", not {text:?}."
            ))
        }),
    }
}

/// Which argument of the object gives the content (the first one set).
fn content_arg(obj: &Value) -> Option<&'static str> {
    CONTENT_ARGS
        .into_iter()
        .find(|name| !get(obj, name).is_null())
}

/// The bytes the configuration asks for.
async fn desired_content(type_name: &str, obj: &Value) -> Result<Vec<u8>, ProviderError> {
    let Some(arg) = content_arg(obj) else {
        return Err(ProviderError::InvalidConfig(format!(
            "{type_name}: one of `content`, `content_base64`, `source`{} must be set.",
            if type_name == "local_file" {
                " or `sensitive_content`"
            } else {
                ""
            }
        )));
    };
    let Some(text) = get_str(obj, arg) else {
        return Err(ProviderError::InvalidConfig(format!(
            "{type_name}: `{arg}` is not known at apply time."
        )));
    };
    match arg {
        "content_base64" => STANDARD.decode(text.trim()).map_err(|_| {
            ProviderError::InvalidConfig(format!(
                "{type_name}: `content_base64` is not valid base64."
            ))
        }),
        "source" => tokio::fs::read(text).await.map_err(|e| {
            ProviderError::Api(format!(
                "{type_name}: could not read the source file `{text}`: {e}."
            ))
        }),
        _ => Ok(text.as_bytes().to_vec()),
    }
}

fn io_error(type_name: &str, what: &str, path: &Path, e: &std::io::Error) -> ProviderError {
    ProviderError::Api(format!(
        "{type_name}: could not {what} `{}`: {e}.",
        path.display()
    ))
}

/// The process's file mode creation mask, as the kernel reports it (`Umask:` in
/// `/proc/self/status`); `0o022` where it cannot be read. Read, not set: setting it to find it
/// out would race with files other threads create.
pub fn process_umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0o022)
}

/// `file_permission` and `directory_permission` are bits before the umask, as in Terraform's
/// local provider: the bits a file or directory actually gets.
fn effective_mode(mode: u32) -> u32 {
    mode & !process_umask() & 0o7777
}

/// Creates the missing parent directories of `file` with permission bits `mode`.
async fn create_parents(type_name: &str, file: &Path, mode: u32) -> Result<(), ProviderError> {
    let mut missing: Vec<PathBuf> = Vec::new();
    let mut dir = file.parent();
    while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
        if tokio::fs::symlink_metadata(d).await.is_ok() {
            break;
        }
        missing.push(d.to_path_buf());
        dir = d.parent();
    }
    for d in missing.iter().rev() {
        let created = {
            use std::os::unix::fs::DirBuilderExt;
            let mut builder = std::fs::DirBuilder::new();
            builder.mode(mode);
            builder.create(d)
        };
        match created {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_error(type_name, "create the directory", d, &e)),
        }
        tokio::fs::set_permissions(d, std::fs::Permissions::from_mode(mode))
            .await
            .map_err(|e| io_error(type_name, "set the permissions of", d, &e))?;
    }
    Ok(())
}

/// Writes the file the planned object describes and returns the new state.
async fn write_file(
    block: &BlockSchema,
    type_name: &str,
    planned: &Value,
) -> Result<Value, ProviderError> {
    let Some(filename) = get_str(planned, "filename") else {
        return Err(ProviderError::InvalidConfig(format!(
            "{type_name}: `filename` must be set."
        )));
    };
    let path = Path::new(filename);
    let bytes = desired_content(type_name, planned).await?;
    let file_mode = effective_mode(
        mode_arg(type_name, planned, "file_permission")?.unwrap_or(default_mode(
            type_name,
            "file_permission",
            planned,
        )),
    );
    let dir_mode = effective_mode(
        mode_arg(type_name, planned, "directory_permission")?.unwrap_or(default_mode(
            type_name,
            "directory_permission",
            planned,
        )),
    );
    create_parents(type_name, path, dir_mode).await?;
    // Created with its final mode (never wider for a moment); an existing file is narrowed
    // before the new content goes in.
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(file_mode)
            .open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(file_mode))?;
        file.write_all(&bytes)?;
        file.sync_all()
    };
    write().map_err(|e| io_error(type_name, "write", path, &e))?;
    Ok(state_with_digests(block, planned, &bytes))
}

/// The planned object with its computed attributes set from the content `bytes`.
fn state_with_digests(block: &BlockSchema, planned: &Value, bytes: &[u8]) -> Value {
    let mut values: ValueMap = planned.as_mapping().cloned().unwrap_or_default();
    values.extend(digests(bytes));
    complete_object(block, values)
}

/// The state adjusted to what is on disk: `None` when the file is gone (or changed in a way the
/// state cannot express), else the state with the disk's content and permission bits.
async fn state_from_disk(
    block: &BlockSchema,
    type_name: &str,
    state: &Value,
) -> Result<Option<Value>, ProviderError> {
    let Some(filename) = get_str(state, "filename") else {
        return Ok(None);
    };
    let path = Path::new(filename);
    let bytes = match tokio::fs::read(path).await {
        Ok(b) => b,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(type_name, "read", path, &e)),
    };
    let mut out = state.clone();
    let digests = digests(&bytes);
    if digests.get("id") != Some(get(state, "id")) {
        let arg = content_arg(state).unwrap_or("content");
        let new_value = match arg {
            "content_base64" => Value::string(STANDARD.encode(&bytes)),
            "source" => return Ok(None),
            _ => match String::from_utf8(bytes.clone()) {
                Ok(text) => Value::string(text),
                Err(_) => return Ok(None),
            },
        };
        set(&mut out, arg, new_value);
        for (k, v) in digests {
            set(&mut out, &k, v);
        }
    }
    if let Ok(meta) = tokio::fs::metadata(path).await {
        let on_disk = meta.permissions().mode() & 0o7777;
        let recorded = get_str(state, "file_permission").and_then(parse_mode);
        if recorded.is_some_and(|m| effective_mode(m) != on_disk) {
            set(
                &mut out,
                "file_permission",
                Value::string(format!("{on_disk:04o}")),
            );
        }
    }
    Ok(Some(complete_object(
        block,
        out.as_mapping().cloned().unwrap_or_default(),
    )))
}

#[async_trait]
impl Provider for LocalProvider {
    fn name(&self) -> &str {
        NAME
    }

    fn validate(&self, type_name: &str, config: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        if resource_schema(NAME, type_name).is_err() {
            return errors;
        }
        let set_args: Vec<&str> = CONTENT_ARGS
            .into_iter()
            .filter(|a| !get(config, a).is_null())
            .collect();
        match set_args.len() {
            0 => errors.push(format!(
                "{type_name}: one of `content`, `content_base64`, `source`{} must be set.",
                if type_name == "local_file" {
                    " or `sensitive_content`"
                } else {
                    ""
                }
            )),
            1 => {}
            _ => errors.push(format!(
                "{type_name}: only one of {} may be set.",
                set_args
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
        for name in ["file_permission", "directory_permission"] {
            if let Err(e) = mode_arg(type_name, config, name) {
                errors.push(e.to_string());
            }
        }
        if let Some(text) = get_str(config, "content_base64") {
            if STANDARD.decode(text.trim()).is_err() {
                errors.push(format!(
                    "{type_name}: `content_base64` is not valid base64."
                ));
            }
        }
        errors
    }

    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
        let schema = resource_schema(NAME, request.type_name)?;
        let mut response = kit::plan(
            request.type_name,
            &schema.block,
            request.prior,
            request.config,
            &kit::NoHooks,
        );
        // Permissions the configuration leaves out (optional and computed): a file skel
        // writes gets the default, an existing one keeps its own (the planner kept it).
        if let Value::Object(planned) = &mut response.planned {
            for name in ["file_permission", "directory_permission"] {
                if matches!(planned.get(name), Some(Value::Unknown(_))) {
                    let mode = default_mode(request.type_name, name, request.config);
                    planned.insert(name.into(), Value::string(format!("{mode:04o}")));
                }
            }
        }
        Ok(response)
    }

    async fn apply(&self, request: ApplyRequest<'_>) -> Result<Value, ProviderError> {
        let schema = resource_schema(NAME, request.type_name)?;
        let Some(planned) = request.planned.filter(|p| !p.is_null()) else {
            // Delete: remove the file; one that is already gone is fine.
            if let Some(filename) = request.prior.and_then(|p| get_str(p, "filename")) {
                let path = Path::new(filename);
                match tokio::fs::remove_file(path).await {
                    Ok(()) => {}
                    Err(e) if e.kind() == ErrorKind::NotFound => {}
                    Err(e) => return Err(io_error(request.type_name, "delete", path, &e)),
                }
            }
            return Ok(Value::Null);
        };
        let planned = planned_object(Some(planned), request.type_name)?;
        write_file(&schema.block, request.type_name, planned).await
    }

    async fn read(&self, type_name: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        let schema = resource_schema(NAME, type_name)?;
        state_from_disk(&schema.block, type_name, state).await
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, ProviderError> {
        let schema = data_source_schema(NAME, type_name)?;
        let Some(filename) = get_str(config, "filename") else {
            return Err(ProviderError::InvalidConfig(format!(
                "data.{type_name}: `filename` must be set."
            )));
        };
        let path = Path::new(filename);
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|e| io_error(&format!("data.{type_name}"), "read", path, &e))?;
        let mut values = digests(&bytes);
        values.insert("filename".into(), Value::string(filename));
        values.insert(
            "content".into(),
            Value::string(String::from_utf8_lossy(&bytes).into_owned()),
        );
        values.insert(
            "content_base64".into(),
            Value::string(STANDARD.encode(&bytes)),
        );
        Ok(complete_object(&schema.block, values))
    }

    async fn import(&self, type_name: &str, id: &str) -> Result<Value, ProviderError> {
        let schema = resource_schema(NAME, type_name)?;
        let path = Path::new(id);
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|e| io_error(type_name, "read", path, &e))?;
        let meta = tokio::fs::metadata(path)
            .await
            .map_err(|e| io_error(type_name, "read", path, &e))?;
        let mut values = digests(&bytes);
        values.insert("filename".into(), Value::string(id));
        match String::from_utf8(bytes.clone()) {
            Ok(text) => values.insert("content".into(), Value::string(text)),
            Err(_) => values.insert(
                "content_base64".into(),
                Value::string(STANDARD.encode(&bytes)),
            ),
        };
        values.insert(
            "file_permission".into(),
            Value::string(format!("{:04o}", meta.permissions().mode() & 0o7777)),
        );
        if schema.block.attribute("directory_permission").is_some() {
            let mode = default_mode(type_name, "directory_permission", &Value::Null);
            values.insert(
                "directory_permission".into(),
                Value::string(format!("{mode:04o}")),
            );
        }
        Ok(complete_object(&schema.block, values))
    }

    /// `filename` and `source` name the same file when they resolve (against the working
    /// directory) to one path: `./f.txt`, `f.txt` and `/work/f.txt` run in `/work`.
    fn same_argument(
        &self,
        _type_name: &str,
        name: &str,
        configured: &Value,
        imported: &Value,
    ) -> bool {
        match (name, configured.as_str(), imported.as_str()) {
            ("filename" | "source", Some(a), Some(b)) => same_file(a, b),
            _ => configured == imported,
        }
    }

    async fn recover(&self, request: RecoverRequest<'_>) -> Result<Option<Value>, ProviderError> {
        let (type_name, planned) = (request.type_name, request.planned);
        let schema = resource_schema(NAME, type_name)?;
        let Some(filename) = get_str(planned, "filename") else {
            return Ok(None);
        };
        let path = Path::new(filename);
        let bytes = match tokio::fs::read(path).await {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(type_name, "read", path, &e)),
        };
        // The create got as far as writing (some of) the file. Record what is there: when it
        // is not the planned content the next plan sees the difference and writes it again.
        let planned_bytes = desired_content(type_name, planned).await.ok();
        let mut values: ValueMap = planned.as_mapping().cloned().unwrap_or_default();
        let arg = content_arg(planned).unwrap_or("content");
        if arg != "source" && planned_bytes.as_deref() != Some(bytes.as_slice()) {
            let value = match (arg, String::from_utf8(bytes.clone())) {
                ("content_base64", _) | (_, Err(_)) => {
                    values.remove(arg);
                    ("content_base64", Value::string(STANDARD.encode(&bytes)))
                }
                (_, Ok(text)) => (arg, Value::string(text)),
            };
            if schema.block.attribute(value.0).is_some() {
                values.insert(value.0.to_string(), value.1);
            }
        }
        values.extend(digests(&bytes));
        Ok(Some(complete_object(&schema.block, values)))
    }
}

/// Whether two paths name one file: equal once made absolute against the working directory
/// and resolved (through symbolic links when both exist, else lexically).
fn same_file(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => {
            let lexical = |p: &str| -> Option<std::path::PathBuf> {
                let absolute = std::path::absolute(p).ok()?;
                let mut out = std::path::PathBuf::new();
                for c in absolute.components() {
                    match c {
                        std::path::Component::ParentDir => {
                            out.pop();
                        }
                        std::path::Component::CurDir => {}
                        other => out.push(other),
                    }
                }
                Some(out)
            };
            lexical(a).is_some() && lexical(a) == lexical(b)
        }
    }
}
