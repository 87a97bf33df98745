//! Where every schema lookup of the checker, the IDE and the lowering goes: built-in schemas
//! (`skel_schema`'s embedded data) and the stored schemas of plugin providers, per module.
//!
//! A resource type belongs to the provider its prefix names (`null_resource` → `null`). When
//! the module's `required_providers` makes that local name a plugin
//! ([`skel_hir::providers::module_providers`]), the schema is the one `skelc init` stored next to
//! the plugin: the root's `.skel.lock.hcl` gives the locked version, and
//! `.skel/providers/HOST/NAMESPACE/TYPE/VERSION/OS_ARCH/schema.json` the schema in
//! `skel_schema`'s JSON format. Both are read as `File` inputs, so an `init` re-checks. No plugin
//! is ever started here.
//!
//! Stored schemas are handed out as `&'static` like the built-in ones: each distinct schema text
//! is parsed once and kept for the process's life ([`intern`]); the number of distinct texts is
//! bounded by the plugin versions installed while the process runs.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use skel_db::{Db, Directory, File};
use skel_hir::provider_lock::{current_platform, package_dir, LockFile, LOCK_FILE, SCHEMA_FILE};
use skel_hir::providers::{module_providers, ProviderSource};
use skel_schema::{ProviderSchema, ResourceSchema};

/// What is known of one plugin's schema in a module.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum PluginSchema {
    /// The stored schema.
    Stored(&'static ProviderSchema),
    /// No stored schema: why (for the `provider-not-installed` diagnostic).
    Missing { source: ProviderSource, why: String },
}

/// The plugins' schemas of one module, by local name.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct ModuleSchemas {
    pub plugins: Vec<(String, PluginSchema)>,
}

impl ModuleSchemas {
    pub fn plugin(&self, local_name: &str) -> Option<&PluginSchema> {
        self.plugins
            .iter()
            .find(|(n, _)| n == local_name)
            .map(|(_, s)| s)
    }
}

/// The root whose lock file governs `dir`: the nearest ancestor (or `dir`) with one.
fn lock_file_for(db: &dyn Db, dir: &std::path::Path) -> Option<(PathBuf, File)> {
    dir.ancestors().find_map(|root| {
        let file = db.file(&root.join(LOCK_FILE));
        file.text(db).is_some().then(|| (root.to_path_buf(), file))
    })
}

#[salsa::tracked(returns(clone))]
fn parsed_lock(db: &dyn Db, file: File) -> Result<Arc<LockFile>, String> {
    LockFile::parse(file.text(db).as_deref().unwrap_or("")).map(Arc::new)
}

#[salsa::tracked(returns(clone))]
fn stored_schema(db: &dyn Db, file: File) -> Result<&'static ProviderSchema, String> {
    let Some(text) = file.text(db) else {
        return Err(format!("no stored schema {}", file.path(db).display()));
    };
    intern(text)
}

/// The schema in `text` (one provider), parsed once per distinct text.
pub fn intern(text: &str) -> Result<&'static ProviderSchema, String> {
    static SCHEMAS: OnceLock<Mutex<HashMap<String, &'static ProviderSchema>>> = OnceLock::new();
    let map = SCHEMAS.get_or_init(Mutex::default);
    if let Some(s) = map.lock().unwrap_or_else(|e| e.into_inner()).get(text) {
        return Ok(s);
    }
    let mut loaded = skel_schema::load_str(text).map_err(|e| e.to_string())?;
    if loaded.len() != 1 {
        return Err("a stored schema holds exactly one provider".into());
    }
    let schema: &'static ProviderSchema = Box::leak(Box::new(loaded.remove(0)));
    map.lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(text.to_string(), schema);
    Ok(schema)
}

/// The stored schemas of the plugins the module in `dir` requires.
#[salsa::tracked(returns(ref))]
pub fn module_schemas(db: &dyn Db, dir: Directory) -> Arc<ModuleSchemas> {
    let providers = module_providers(db, dir);
    let mut out = ModuleSchemas::default();
    if !providers.has_plugins() {
        return Arc::new(out);
    }
    let lock = lock_file_for(db, dir.path(db));
    let platform = current_platform();
    for req in &providers.requirements {
        let Some(source) = req.plugin_source() else {
            continue;
        };
        let missing = |why: String| PluginSchema::Missing {
            source: source.clone(),
            why,
        };
        let schema = match &lock {
            None => missing(format!(
                "no {LOCK_FILE}: `skelc init` has not installed `{source}`"
            )),
            Some((root, file)) => match parsed_lock(db, *file) {
                Err(e) => missing(format!("{LOCK_FILE} does not parse: {e}")),
                Ok(lock) => match lock.get(source) {
                    None => missing(format!("{LOCK_FILE} does not list `{source}`")),
                    Some(locked) => {
                        let path =
                            package_dir(root, source, &locked.version, &platform).join(SCHEMA_FILE);
                        match stored_schema(db, db.file(&path)) {
                            Ok(s) => PluginSchema::Stored(s),
                            Err(e) => missing(e),
                        }
                    }
                },
            },
        };
        out.plugins.push((req.local_name.clone(), schema));
    }
    Arc::new(out)
}

/// The directory (module) of `file`.
fn dir_of(db: &dyn Db, file: File) -> Directory {
    skel_hir::module_of(db, file)
}

/// The module of `file` when it requires plugins (memoized per file: most modules have none,
/// and every schema lookup of the checker asks).
#[salsa::tracked(returns(copy))]
fn plugin_module(db: &dyn Db, file: File) -> Option<Directory> {
    let dir = dir_of(db, file);
    module_providers(db, dir).has_plugins().then_some(dir)
}

/// Which schema serves types of local name `name` in the module of `file`: `None` = built-in.
fn plugin_of(db: &dyn Db, file: File, name: &str) -> Option<PluginSchema> {
    plugin_in(db, plugin_module(db, file)?, name)
}

/// Which schema serves types of local name `name` in the module `dir`: `None` = built-in.
fn plugin_in(db: &dyn Db, dir: Directory, name: &str) -> Option<PluginSchema> {
    module_providers(db, dir).plugin(name)?;
    module_schemas(db, dir).plugin(name).cloned()
}

/// The schema of managed resource type `type_name` in the module of `file`.
pub fn resource(db: &dyn Db, file: File, type_name: &str) -> Option<&'static ResourceSchema> {
    resource_from(
        plugin_of(db, file, skel_schema::provider_for_type(type_name)),
        type_name,
    )
}

/// The schema of managed resource type `type_name` in the module `dir`.
pub fn resource_in(
    db: &dyn Db,
    dir: Directory,
    type_name: &str,
) -> Option<&'static ResourceSchema> {
    resource_from(
        plugin_in(db, dir, skel_schema::provider_for_type(type_name)),
        type_name,
    )
}

fn resource_from(plugin: Option<PluginSchema>, type_name: &str) -> Option<&'static ResourceSchema> {
    match plugin {
        None => skel_schema::resource(type_name),
        Some(PluginSchema::Stored(p)) => p.resources.get(type_name),
        Some(PluginSchema::Missing { .. }) => None,
    }
}

/// The schema of data-source type `type_name` in the module of `file`.
pub fn data_source(db: &dyn Db, file: File, type_name: &str) -> Option<&'static ResourceSchema> {
    match plugin_of(db, file, skel_schema::provider_for_type(type_name)) {
        None => skel_schema::data_source(type_name),
        Some(PluginSchema::Stored(p)) => p.data_sources.get(type_name),
        Some(PluginSchema::Missing { .. }) => None,
    }
}

/// The schema of provider `name` (its configuration block) in the module of `file`.
pub fn provider(db: &dyn Db, file: File, name: &str) -> Option<&'static ProviderSchema> {
    match plugin_of(db, file, name) {
        None => skel_schema::provider(name),
        Some(PluginSchema::Stored(p)) => Some(p),
        Some(PluginSchema::Missing { .. }) => None,
    }
}

/// Why a type of plugin provider `name` has no schema in the module of `file` (init not run),
/// `None` when it is built in or its schema is stored.
pub fn missing_plugin(db: &dyn Db, file: File, name: &str) -> Option<(ProviderSource, String)> {
    match plugin_of(db, file, name)? {
        PluginSchema::Missing { source, why } => Some((source, why)),
        PluginSchema::Stored(_) => None,
    }
}

/// Every provider whose schema the module of `file` sees: the built-in ones it does not
/// replace by a plugin, then the stored plugin schemas.
pub fn providers(db: &dyn Db, file: File) -> Vec<&'static ProviderSchema> {
    let dir = dir_of(db, file);
    let reqs = module_providers(db, dir);
    let mut out: Vec<&'static ProviderSchema> = skel_schema::providers()
        .iter()
        .filter(|p| reqs.plugin(&p.name).is_none())
        .collect();
    if reqs.has_plugins() {
        for (_, s) in &module_schemas(db, dir).plugins {
            if let PluginSchema::Stored(p) = s {
                out.push(p);
            }
        }
    }
    out
}

/// Every resource type name the module of `file` can use, sorted.
pub fn all_resource_types(db: &dyn Db, file: File) -> Vec<&'static str> {
    let mut v: Vec<&str> = providers(db, file)
        .into_iter()
        .flat_map(|p| p.resources.keys().map(String::as_str))
        .collect();
    v.sort_unstable();
    v
}

/// Every data-source type name the module of `file` can use, sorted.
pub fn all_data_source_types(db: &dyn Db, file: File) -> Vec<&'static str> {
    let mut v: Vec<&str> = providers(db, file)
        .into_iter()
        .flat_map(|p| p.data_sources.keys().map(String::as_str))
        .collect();
    v.sort_unstable();
    v
}

/// The schema of data-source type `type_name` in the module `dir`.
pub fn data_source_in(
    db: &dyn Db,
    dir: Directory,
    type_name: &str,
) -> Option<&'static ResourceSchema> {
    match plugin_in(db, dir, skel_schema::provider_for_type(type_name)) {
        None => skel_schema::data_source(type_name),
        Some(PluginSchema::Stored(p)) => p.data_sources.get(type_name),
        Some(PluginSchema::Missing { .. }) => None,
    }
}

/// The plugin requirement of the module `dir` whose source is `source`: its local name and
/// what is known of its schema. `None` when the module does not require that plugin.
pub fn plugin_by_source(
    db: &dyn Db,
    dir: Directory,
    source: &ProviderSource,
) -> Option<(String, PluginSchema)> {
    let providers = module_providers(db, dir);
    let req = providers
        .requirements
        .iter()
        .find(|r| r.plugin_source() == Some(source))?;
    let schema = module_schemas(db, dir).plugin(&req.local_name)?.clone();
    Some((req.local_name.clone(), schema))
}
