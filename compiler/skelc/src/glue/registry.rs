//! The providers and provisioners this build of skelc has, and the async runtime commands run
//! them on.

use anyhow::Context;
use skel_runtime::ProviderRegistry;
use skel_value::Value;

pub fn registry() -> ProviderRegistry {
    #[allow(unused_mut)]
    let mut factories = skel_provider_builtin::factories();
    factories.extend(super::remote_state::factories());
    #[cfg(feature = "aws")]
    factories.extend(skel_provider_aws::factories());
    #[cfg(feature = "kubernetes")]
    factories.extend(skel_provider_kubernetes::factories());
    ProviderRegistry::new(factories)
}

/// A multi-threaded tokio runtime for one command.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
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
