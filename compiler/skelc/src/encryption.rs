//! State and plan encryption for a project: the lowered `skel { encryption { } }` turned into
//! `skel_state::Encryption`s, with key material evaluated from variable values (never printed,
//! never written: the variables it reads are left out of saved plans), and the `aws_kms` key
//! provider bridged onto the synchronous state store.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, bail};
use skel_plan_ir::{Config, EncryptionConfig, KeyProviderConfig};
use skel_state::{
    Encryption, HashFunction, KeyProvider, Method, Pbkdf2KeyProvider, StateStore,
    PBKDF2_DEFAULT_ITERATIONS,
};
use skel_value::{Value, ValueMap};

/// How a project's state and saved plans are written and read.
#[derive(Clone, Debug)]
pub struct Encryptions {
    pub state: Encryption,
    pub plan: Encryption,
    /// Root variables the key providers read: never saved in a plan file.
    pub key_variables: BTreeSet<String>,
}

impl Encryptions {
    pub fn none() -> Encryptions {
        Encryptions {
            state: Encryption::none("state"),
            plan: Encryption::none("plan"),
            key_variables: BTreeSet::new(),
        }
    }
}

/// The encryption `config` asks for, its key material taken from `given` variable values (and
/// the variables' defaults).
pub fn from_config(
    config: &Config,
    given: &BTreeMap<String, Value>,
) -> anyhow::Result<Encryptions> {
    let Some(encryption) = &config.encryption else {
        return Ok(Encryptions::none());
    };
    let mut vars = ValueMap::default();
    for var in &config.root().variables {
        if let Some(value) = given.get(&var.name).or(var.default.as_ref()) {
            vars.insert(var.name.clone(), value.clone());
        }
    }
    let scope = BTreeMap::from([("var".to_string(), Value::Object(vars))]);
    let mut key_variables = BTreeSet::new();
    let mut providers: HashMap<(String, String), Arc<dyn KeyProvider>> = HashMap::new();
    for provider in &encryption.key_providers {
        for (_, expr) in &provider.arguments {
            collect_vars(expr, &mut key_variables);
        }
        let key = (provider.kind.clone(), provider.name.clone());
        // Built only when a method uses it, so an unused provider needs no key material.
        let used = encryption
            .methods
            .iter()
            .any(|m| m.keys.as_ref() == Some(&key) && method_used(encryption, &m.kind, &m.name));
        if used {
            providers.insert(key, key_provider(provider, &scope)?);
        }
    }
    let method = |(kind, name): &(String, String)| -> anyhow::Result<Method> {
        let declared = encryption
            .methods
            .iter()
            .find(|m| &m.kind == kind && &m.name == name)
            .ok_or_else(|| anyhow!("method.{kind}.{name} is not declared"))?;
        match kind.as_str() {
            "unencrypted" => Ok(Method::Unencrypted { name: name.clone() }),
            "aes_gcm" => {
                let keys = declared
                    .keys
                    .as_ref()
                    .and_then(|k| providers.get(k))
                    .ok_or_else(|| anyhow!("method.aes_gcm.{name} has no declared key provider"))?;
                Ok(Method::AesGcm {
                    name: name.clone(),
                    keys: keys.clone(),
                })
            }
            other => bail!("unknown encryption method `{other}`"),
        }
    };
    let target = |which: &'static str, target: &Option<skel_plan_ir::EncryptionTarget>| {
        anyhow::Ok(match target {
            Some(t) => Encryption::new(
                which,
                method(&t.method)?,
                t.fallback.as_ref().map(method).transpose()?,
            ),
            None => Encryption::none(which),
        })
    };
    Ok(Encryptions {
        state: target("state", &encryption.state)?,
        plan: target("plan", &encryption.plan)?,
        key_variables,
    })
}

fn method_used(encryption: &EncryptionConfig, kind: &str, name: &str) -> bool {
    [&encryption.state, &encryption.plan]
        .into_iter()
        .flatten()
        .flat_map(|t| std::iter::once(&t.method).chain(t.fallback.as_ref()))
        .any(|(k, n)| k == kind && n == name)
}

fn collect_vars(expr: &skel_syntax::Expr, out: &mut BTreeSet<String>) {
    expr.walk(&mut |e| {
        if let skel_syntax::ExprKind::GetAttr { expr, name } = &e.kind {
            if matches!(&expr.kind, skel_syntax::ExprKind::Variable(root) if root.name == "var") {
                out.insert(name.name.clone());
            }
        }
    });
}

/// One key provider, its arguments evaluated. Messages name the provider and the argument,
/// never the value.
fn key_provider(
    provider: &KeyProviderConfig,
    scope: &BTreeMap<String, Value>,
) -> anyhow::Result<Arc<dyn KeyProvider>> {
    let id = format!("key_provider.{}.{}", provider.kind, provider.name);
    let mut args: BTreeMap<&str, Value> = BTreeMap::new();
    let given = match scope.get("var") {
        Some(Value::Object(vars)) => vars.keys().cloned().collect::<BTreeSet<String>>(),
        _ => BTreeSet::new(),
    };
    for (name, expr) in &provider.arguments {
        let mut reads = BTreeSet::new();
        collect_vars(expr, &mut reads);
        if let Some(missing) = reads.iter().find(|v| !given.contains(*v)) {
            bail!(
                "{id} ({}): `{name}` reads var.{missing}, which has no value: pass it with -var \
                 {missing}=…, a .skelvars file or the SKEL_VAR_{missing} environment variable \
                 (the state cannot be read without it)",
                provider.location
            );
        }
        let value = skel_eval::eval_with(expr, scope, &skel_stdlib::NoContext).map_err(|e| {
            anyhow!(
                "{id} ({}): `{name}` could not be evaluated: {e}",
                provider.location
            )
        })?;
        if value.has_unknown() {
            bail!("{id} ({}): `{name}` is not known", provider.location);
        }
        args.insert(name, value);
    }
    let string = |name: &str| -> anyhow::Result<Option<String>> {
        match args.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => match skel_value::convert(other, &skel_value::Type::String) {
                Ok(Value::String(s)) => Ok(Some(s)),
                _ => bail!("{id}: `{name}` must be a string"),
            },
        }
    };
    let number = |name: &str| -> anyhow::Result<Option<f64>> {
        match args.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => Ok(Some(n.as_f64())),
            Some(_) => bail!("{id}: `{name}` must be a number"),
        }
    };
    match provider.kind.as_str() {
        "pbkdf2" => {
            let Some(passphrase) = string("passphrase")? else {
                bail!(
                    "{id} ({}): `passphrase` has no value. Pass the variable it reads with -var, a \
                     .skelvars file or SKEL_VAR_NAME",
                    provider.location
                );
            };
            let iterations = match number("iterations")? {
                Some(n) if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) => n as u32,
                Some(_) => bail!("{id}: `iterations` must be a whole number"),
                None => PBKDF2_DEFAULT_ITERATIONS,
            };
            let hash = match string("hash_function")?.as_deref() {
                None | Some("sha512") => HashFunction::Sha512,
                Some("sha256") => HashFunction::Sha256,
                Some(_) => bail!("{id}: `hash_function` is `sha256` or `sha512`"),
            };
            if number("key_length")?.is_some_and(|n| n != 32.0) {
                bail!("{id}: `key_length` must be 32 (AES-256)");
            }
            let provider = Pbkdf2KeyProvider::new(&provider.name, passphrase, iterations, hash)
                .map_err(|e| anyhow!("{e}"))?;
            Ok(Arc::new(provider))
        }
        #[cfg(feature = "aws")]
        "aws_kms" => {
            let key_id =
                string("kms_key_id")?.ok_or_else(|| anyhow!("{id}: `kms_key_id` has no value"))?;
            if string("key_spec")?.as_deref() != Some("AES_256") {
                bail!("{id}: `key_spec` must be `AES_256`");
            }
            Ok(Arc::new(kms::KmsKeyProvider::new(
                id.clone(),
                key_id,
                string("region")?,
            )))
        }
        other => bail!("{id}: the `{other}` key provider is not available in this build of skelc"),
    }
}

/// The state store of `project`, with its state encryption.
pub fn store_for(project: &crate::project::Project) -> anyhow::Result<StateStore> {
    let backend = crate::backend::resolve(&project.root, project.config.backend.as_ref())?;
    Ok(crate::backend::open(&project.root, &backend)?
        .with_encryption(project.encryption.state.clone()))
}

/// The state store of the root module in `dir` for the commands that do not plan (`output`,
/// `state`): the configuration there, if any, says how the state is encrypted; variables come
/// from `*.skelvars` files and SKEL_VAR_* (`vars`).
pub fn store_in(dir: &Path, vars: &crate::cli::VarArgs) -> anyhow::Result<StateStore> {
    let (backend, encryption) = backend_in(dir, vars)?;
    Ok(crate::backend::open(dir, &backend)?.with_encryption(encryption))
}

/// The backend and the state encryption of the root module in `dir` (see [`store_in`]), for
/// commands that open more than the selected workspace's store.
pub fn backend_in(
    dir: &Path,
    vars: &crate::cli::VarArgs,
) -> anyhow::Result<(crate::backend::Backend, Encryption)> {
    let has_config = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .any(|e| skel_db::is_config_file(&e.path()))
        })
        .unwrap_or(false);
    if !has_config {
        return Ok((
            crate::backend::resolve(dir, None)?,
            Encryption::none("state"),
        ));
    }
    match crate::project::load_with(dir, Some(vars), false, false) {
        Ok(project) => Ok((
            crate::backend::resolve(&project.root, project.config.backend.as_ref())?,
            project.encryption.state.clone(),
        )),
        Err(crate::project::LoadError::Diagnostics) => bail!(
            "the configuration in {} has errors (above); it says how the state is encrypted, so \
             fix them first",
            dir.display()
        ),
        Err(crate::project::LoadError::Usage(e)) => Err(e),
    }
}

#[cfg(feature = "aws")]
pub(crate) mod kms {
    //! `key_provider "aws_kms"`: KMS data keys (through `skel_provider_aws::kms`), a new one for
    //! every file written, unwrapped once per wrapped key for reading. KMS is asynchronous and
    //! the state store is not: calls run on a small runtime of their own, from a scoped thread,
    //! so they work whether or not the caller is inside the command's runtime.

    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};

    use base64::Engine;
    use serde_json::{json, Value};
    use skel_provider_aws::kms::{KmsDataKeys, KmsError};
    use skel_state::{Key, KeyError, KeyProvider};

    pub struct KmsKeyProvider {
        id: String,
        key_id: String,
        region: Option<String>,
        client: OnceLock<Result<KmsDataKeys, String>>,
        unwrapped: Mutex<HashMap<Vec<u8>, Key>>,
    }

    fn runtime() -> &'static tokio::runtime::Runtime {
        static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
        RUNTIME.get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("a tokio runtime for KMS calls")
        })
    }

    /// Run `future` to completion on the KMS runtime, from a thread outside any runtime (also
    /// the S3 state backend's calls: `crate::backend`).
    pub(crate) fn block_on<T: Send>(future: impl std::future::Future<Output = T> + Send) -> T {
        std::thread::scope(|scope| {
            scope
                .spawn(|| runtime().block_on(future))
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }

    impl KmsKeyProvider {
        pub fn new(id: String, key_id: String, region: Option<String>) -> KmsKeyProvider {
            KmsKeyProvider {
                id,
                key_id,
                region,
                client: OnceLock::new(),
                unwrapped: Mutex::new(HashMap::new()),
            }
        }

        fn client(&self) -> Result<&KmsDataKeys, String> {
            self.client
                .get_or_init(|| {
                    block_on(KmsDataKeys::new(&self.key_id, self.region.as_deref()))
                        .map_err(|e| e.to_string())
                })
                .as_ref()
                .map_err(Clone::clone)
        }
    }

    impl KeyProvider for KmsKeyProvider {
        fn id(&self) -> &str {
            &self.id
        }

        fn encryption_key(&self) -> Result<(Key, Value), KeyError> {
            let client = self.client().map_err(KeyError::Failed)?;
            let (key, wrapped) =
                block_on(client.generate()).map_err(|e| KeyError::Failed(e.to_string()))?;
            self.unwrapped
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(wrapped.clone(), key);
            let blob = base64::engine::general_purpose::STANDARD.encode(&wrapped);
            Ok((key, json!({ "ciphertext_blob": blob })))
        }

        fn decryption_key(&self, meta: &Value) -> Result<Key, KeyError> {
            let wrapped = meta
                .get("ciphertext_blob")
                .and_then(Value::as_str)
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .ok_or_else(|| {
                    KeyError::Failed("its key metadata has no valid `ciphertext_blob`".into())
                })?;
            if let Some(key) = self
                .unwrapped
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&wrapped)
            {
                return Ok(*key);
            }
            let client = self.client().map_err(KeyError::Failed)?;
            let key = block_on(client.decrypt(&wrapped)).map_err(|e| match e {
                KmsError::WrongKey(m) => KeyError::Wrong(m),
                KmsError::Failed(m) => KeyError::Failed(m),
            })?;
            self.unwrapped
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(wrapped, key);
            Ok(key)
        }
    }
}
