//! The schema of a resource in state, for the runtime commands that read state outside a plan
//! (`import`, `show`, recovery, `state migrate --from-terraform`): the built-in schema, or the
//! stored schema of the plugin the instance's module requires for the type
//! ([`skel_types::schemas`]). A module instance path is mapped to its module's directory
//! through the lowered configuration when there is one; an instance whose module the
//! configuration no longer calls is looked up in the root module.

use std::path::{Path, PathBuf};

use skel_db::{Db, SkelDatabase};
use skel_hir::providers::ProviderSource;
use skel_plan_ir::{Config, ModuleInstance, ResourceMode};
use skel_schema::ResourceSchema;
use skel_types::schemas::PluginSchema;

/// Schema lookups for one root module. Used synchronously: build it, ask, drop it.
pub struct StateSchemas<'c> {
    db: SkelDatabase,
    root: PathBuf,
    config: Option<&'c Config>,
}

impl<'c> StateSchemas<'c> {
    /// Lookups for the root module `root`, module directories taken from `config` if given.
    pub fn new(root: &Path, config: Option<&'c Config>) -> Self {
        StateSchemas {
            db: SkelDatabase::default(),
            root: root.to_path_buf(),
            config,
        }
    }

    /// The directory of the module a module instance path names.
    fn module_dir(&self, module: &ModuleInstance) -> PathBuf {
        let Some(config) = self.config else {
            return self.root.clone();
        };
        let mut index = 0;
        for (name, _) in &module.0 {
            match config.modules[index]
                .module_calls
                .iter()
                .find(|c| &c.name == name)
            {
                Some(call) => index = call.module,
                None => return self.root.clone(),
            }
        }
        config.modules[index].dir.clone()
    }

    /// The schema of `type_name` (managed or data) in module instance `module`.
    pub fn resource(
        &self,
        mode: ResourceMode,
        module: &ModuleInstance,
        type_name: &str,
    ) -> Option<&'static ResourceSchema> {
        let dir = self.db.directory(&self.module_dir(module));
        match mode {
            ResourceMode::Managed => skel_types::schemas::resource_in(&self.db, dir, type_name),
            ResourceMode::Data => skel_types::schemas::data_source_in(&self.db, dir, type_name),
        }
    }

    /// The root module's plugin requirement of `source`: its local name and its stored schema
    /// (or why there is none). `None` when the root module does not require that plugin.
    pub fn plugin(&self, source: &ProviderSource) -> Option<(String, PluginSchema)> {
        let dir = self.db.directory(&self.root);
        skel_types::schemas::plugin_by_source(&self.db, dir, source)
    }
}
