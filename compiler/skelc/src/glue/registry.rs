//! The providers and provisioners this build of skelc has, the provider plugins the loaded
//! project runs, and the async runtime commands run them on.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use skel_plugin::{PluginFactory, Processes};
use skel_runtime::ProviderRegistry;
use skel_value::Value;

/// The plugins of the loaded project: local name → executable, and the processes started.
struct RunPlugins {
    executables: BTreeMap<String, PathBuf>,
    processes: Arc<Processes>,
}

static PLUGINS: Mutex<Option<RunPlugins>> = Mutex::new(None);

fn plugins() -> std::sync::MutexGuard<'static, Option<RunPlugins>> {
    PLUGINS.lock().unwrap_or_else(|e| e.into_inner())
}

/// The provider local names the loaded project serves with plugins (name → executable): the
/// registry gives them plugin factories, ahead of a built-in provider of the same name.
pub fn use_plugins(executables: BTreeMap<String, PathBuf>) {
    if !executables.is_empty() {
        // Make the client certificate while the project loads.
        skel_plugin::prepare();
    }
    *plugins() = Some(RunPlugins {
        executables,
        processes: Arc::default(),
    });
}

/// Stops every plugin process started (`StopProvider`, then the process is ended).
async fn stop_plugins() {
    let processes = plugins().as_ref().map(|p| p.processes.clone());
    if let Some(processes) = processes {
        processes.stop_all().await;
    }
}

/// Sends `StopProvider` to every plugin process started (a first Ctrl-C); how many answered.
pub async fn request_plugin_stop() -> usize {
    let processes = plugins().as_ref().map(|p| p.processes.clone());
    match processes {
        Some(processes) => processes.request_stop().await,
        None => 0,
    }
}

/// Kills every plugin process started at once (a second Ctrl-C, an exit).
pub fn kill_plugins() {
    if let Some(p) = plugins().as_ref() {
        p.processes.kill_all();
    }
}

pub fn registry() -> ProviderRegistry {
    #[allow(unused_mut)]
    let mut factories = skel_provider_builtin::factories();
    factories.extend(super::remote_state::factories());
    #[cfg(feature = "aws")]
    factories.extend(skel_provider_aws::factories());
    #[cfg(feature = "kubernetes")]
    factories.extend(skel_provider_kubernetes::factories());
    if let Some(p) = plugins().as_ref() {
        // Later factories of a name replace earlier ones: a plugin serves its local name.
        for (name, executable) in &p.executables {
            factories.push(Arc::new(PluginFactory::new(
                name,
                executable.clone(),
                p.processes.clone(),
            )));
        }
    }
    ProviderRegistry::new(factories)
}

/// The async runtime of one command: its `block_on` stops the plugins the future started
/// before returning.
pub struct CommandRuntime(tokio::runtime::Runtime);

impl CommandRuntime {
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.0.block_on(async {
            let out = future.await;
            stop_plugins().await;
            out
        })
    }
}

/// A multi-threaded tokio runtime for one command.
pub fn runtime() -> anyhow::Result<CommandRuntime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map(CommandRuntime)
        .context("starting the async runtime")
}

/// Runs provisioners with the built-in implementations.
pub struct BuiltinProvisioners;

#[async_trait::async_trait]
impl skel_runtime::Provisioners for BuiltinProvisioners {
    async fn run(
        &self,
        kind: &str,
        args: &Value,
        connection: Option<&Value>,
        output: &(dyn for<'l> Fn(&'l str) + Send + Sync),
    ) -> Result<(), skel_provider::ProviderError> {
        let forward: &mut (dyn FnMut(&str) + Send) = &mut |line: &str| output(line);
        skel_provider_builtin::provisioners::run(kind, args, connection, forward).await
    }
}
