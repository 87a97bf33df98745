//! The AWS provider: EC2 (VPC networking, security groups, instances, key pairs, volumes),
//! Route 53 (zones, records), IAM and STS, S3 and EKS on aws-sdk-rust, following compiler/schema/data/aws.json.
//!
//! Configuration is the SDK's own: `aws_config::defaults` reads credentials, region, endpoints
//! (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_EC2`, `AWS_ENDPOINT_URL_ROUTE_53`) and retries
//! (`AWS_MAX_ATTEMPTS`) from the environment and profiles; the provider block can override the
//! region, profile and keys and adds `default_tags`. Clients are built once per configured
//! provider, on first use. Every create carries the engine's idempotency token (tags in the
//! create call, `ClientToken`, `CallerReference`: [`origin`]) so a crashed apply finds exactly
//! the object it made ([`Provider::recover`]). Every API call is counted by operation name
//! ([`AwsProvider::api_calls`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextRef,
    BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_types::config_bag::ConfigBag;
use skel_provider::{
    fault, ApplyRequest, PlanRequest, PlanResponse, Provider, ProviderError, ProviderFactory,
    RecoverRequest,
};
use skel_value::Value;
use tokio::sync::OnceCell;

pub use assume_role::AssumeRole;

mod acl;
mod acl_rule;
mod assume_role;
mod batch;
mod coalesce;
pub mod common;
mod compute;
mod data;
mod dns;
mod eks;
pub mod error;
mod gateways;
mod iam;
mod instance_options;
mod instance_storage;
pub mod kms;
mod lookup;
mod network;
pub mod origin;
mod region;
mod resource;
mod route;
mod routing;
mod s3;
mod security;
pub mod state_objects;
mod storage;

use common::{get, get_str, Obs};
use origin::Origin;
use resource::resource;

const NAME: &str = "aws";

/// Creates configured `aws` providers.
pub struct AwsFactory;

impl ProviderFactory for AwsFactory {
    fn name(&self) -> &str {
        NAME
    }

    fn configure(&self, config: &Value) -> Result<Arc<dyn Provider>, ProviderError> {
        Ok(Arc::new(AwsProvider::new(config)?))
    }
}

/// The AWS provider's factory, for `skelc`'s registry.
pub fn factories() -> Vec<Arc<dyn ProviderFactory>> {
    vec![Arc::new(AwsFactory)]
}

/// The provider block's settings.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub token: Option<String>,
    pub max_retries: Option<u32>,
    pub default_tags: BTreeMap<String, String>,
    /// `s3_use_path_style`: S3 requests as `ENDPOINT/BUCKET/KEY`.
    pub s3_use_path_style: bool,
    /// `assume_role` blocks, in order: each role is assumed with the credentials before it.
    pub assume_role: Vec<AssumeRole>,
}

impl Settings {
    /// Reads the evaluated `provider "aws"` block.
    pub fn from_config(config: &Value) -> Result<Settings, ProviderError> {
        let text = |name: &str| get_str(config, name).map(str::to_string);
        let mut default_tags = BTreeMap::new();
        if let Some(blocks) = get(config, "default_tags").as_sequence() {
            for block in blocks {
                if let Some(tags) = get(block, "tags").as_mapping() {
                    for (k, v) in tags {
                        if let Some(v) = v.as_str() {
                            default_tags.insert(k.clone(), v.to_string());
                        }
                    }
                }
            }
        }
        let settings = Settings {
            region: text("region"),
            profile: text("profile"),
            access_key: text("access_key"),
            secret_key: text("secret_key"),
            token: text("token"),
            max_retries: common::get_i64(config, "max_retries")
                .map(|n| u32::try_from(n.max(0)).unwrap_or(u32::MAX)),
            default_tags,
            s3_use_path_style: common::get_bool(config, "s3_use_path_style").unwrap_or(false),
            assume_role: get(config, "assume_role")
                .as_sequence()
                .unwrap_or(&[])
                .iter()
                .map(AssumeRole::from_block)
                .collect::<Result<_, _>>()?,
        };
        if settings.access_key.is_some() != settings.secret_key.is_some() {
            return Err(ProviderError::InvalidConfig(
                "provider \"aws\": set both `access_key` and `secret_key`, or neither (to use the environment, a profile or an instance role).".into(),
            ));
        }
        Ok(settings)
    }
}

/// Counts API calls by operation name (`DescribeVpcs`), waiter polls included. With
/// `SKEL_AWS_CALL_LOG=FILE` in the environment each call is also appended to FILE as one line
/// (`<milliseconds since the epoch> <operation>`), for benchmarks and for seeing what a command
/// asked of AWS.
#[derive(Debug, Default)]
pub struct CallCounter {
    counts: Mutex<BTreeMap<String, u64>>,
    log: Option<Mutex<std::fs::File>>,
}

/// The environment variable naming the call log.
pub const CALL_LOG_ENV: &str = "SKEL_AWS_CALL_LOG";

impl CallCounter {
    fn from_env() -> CallCounter {
        CallCounter {
            counts: Mutex::default(),
            log: skel_provider::append_log_from_env(CALL_LOG_ENV),
        }
    }

    fn bump(&self, op: &str) {
        if let Ok(mut m) = self.counts.lock() {
            *m.entry(op.to_string()).or_default() += 1;
        }
        if let Some(Ok(mut file)) = self.log.as_ref().map(Mutex::lock) {
            use std::io::Write;
            let ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or(0);
            // A lost line only skews a count; it must never fail the call.
            let _ = writeln!(file, "{ms} {op}");
        }
    }

    /// Calls of `op` so far.
    pub fn get(&self, op: &str) -> u64 {
        self.counts
            .lock()
            .map(|m| m.get(op).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    /// Every operation's count.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

#[derive(Debug)]
struct CountCalls(Arc<CallCounter>);

impl Intercept for CountCalls {
    fn name(&self) -> &'static str {
        "SkelCountCalls"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(meta) = cfg.load::<Metadata>() {
            self.0.bump(meta.name());
        }
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        fault_point(cfg, fault::When::Before);
        Ok(())
    }

    fn read_after_transmit(
        &self,
        _context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        fault_point(cfg, fault::When::After);
        Ok(())
    }
}

/// Every call that changes something is a crash point for the crash suites (a no-op in
/// builds without the `fault-injection` feature): right before it is sent, right after its
/// response arrives.
fn fault_point(cfg: &ConfigBag, when: fault::When) {
    if let Some(meta) = cfg.load::<Metadata>() {
        let op = meta.name();
        let reads = ["Describe", "List", "Get"];
        if !reads.iter().any(|r| op.starts_with(r)) {
            fault::point("aws", op, when);
        }
    }
}

/// The SDK clients of one configured provider.
#[derive(Clone)]
pub(crate) struct Clients {
    pub ec2: aws_sdk_ec2::Client,
    pub r53: aws_sdk_route53::Client,
    pub iam: aws_sdk_iam::Client,
    pub sts: aws_sdk_sts::Client,
    pub s3: aws_sdk_s3::Client,
    pub eks: aws_sdk_eks::Client,
    /// The credentials the clients sign with (for tokens signed locally: EKS auth).
    pub credentials: Option<aws_credential_types::provider::SharedCredentialsProvider>,
    /// The region the clients work in.
    pub region: String,
    /// The settings they were made from (another region's clients are made from them).
    sdk: aws_config::SdkConfig,
}

/// A configured `aws` provider.
pub struct AwsProvider {
    pub(crate) settings: Settings,
    clients: OnceCell<Clients>,
    /// The clients of other regions (v6's per-resource `region`), made on first use.
    regional: region::RegionalClients,
    calls: Arc<CallCounter>,
    endpoint_url: Option<String>,
    /// Route 53 record changes waiting to be sent together.
    pub(crate) dns: Arc<batch::Batcher>,
    /// Root device names of the AMIs instances were launched from, by AMI id.
    pub(crate) root_devices: coalesce::OnceMap<String>,
    /// Names of hosted zones, by zone id.
    pub(crate) zone_names: coalesce::OnceMap<String>,
    /// Concurrent EC2 reads of one resource type, merged into one Describe call.
    pub(crate) reads:
        coalesce::Coalescer<Vec<String>, Result<Vec<Option<common::Obs>>, ProviderError>>,
    /// Concurrent lookups of record sets in one hosted zone, merged into one listing.
    pub(crate) record_sets: dns::RecordSets,
    /// Concurrent instance terminations, merged into one `TerminateInstances`.
    pub(crate) terminations: coalesce::Coalescer<String, Result<(), error::AwsErr>>,
    /// Objects a wait has just read in their final state, for the apply's read-back.
    pub(crate) seen: coalesce::Seen,
}

impl AwsProvider {
    /// A provider for the evaluated `provider "aws"` block (null for none).
    pub fn new(config: &Value) -> Result<AwsProvider, ProviderError> {
        Ok(AwsProvider {
            settings: Settings::from_config(config)?,
            clients: OnceCell::new(),
            regional: Default::default(),
            calls: Arc::new(CallCounter::from_env()),
            endpoint_url: None,
            dns: Arc::default(),
            root_devices: Default::default(),
            zone_names: Default::default(),
            reads: Default::default(),
            record_sets: Default::default(),
            terminations: Default::default(),
            seen: Default::default(),
        })
    }

    /// A provider that talks to `endpoint_url` whatever the environment says (for tests and
    /// embedders; users set AWS_ENDPOINT_URL).
    pub fn with_endpoint_url(
        config: &Value,
        endpoint_url: &str,
    ) -> Result<AwsProvider, ProviderError> {
        let mut p = AwsProvider::new(config)?;
        p.endpoint_url = Some(endpoint_url.to_string());
        Ok(p)
    }

    /// How many `op` calls (`DescribeVpcs`) this provider has made.
    pub fn api_calls(&self, op: &str) -> u64 {
        self.calls.get(op)
    }

    /// Every operation's call count.
    pub fn api_call_counts(&self) -> BTreeMap<String, u64> {
        self.calls.snapshot()
    }

    /// The clients of the region of the call in progress ([`region::in_region`]): the
    /// provider's own, or another region's, made from the same settings on first use.
    pub(crate) async fn clients(&self) -> Result<&Clients, ProviderError> {
        let home = self.home_clients().await?;
        match region::current() {
            Some(r) if r != home.region => {
                let sdk = home
                    .sdk
                    .to_builder()
                    .region(aws_config::Region::new(r.clone()))
                    .build();
                self.regional
                    .get(&r, || {
                        let mut other = self.make_clients(&sdk);
                        // IAM and Route 53 are global: the same clients in every region.
                        other.iam = home.iam.clone();
                        other.r53 = home.r53.clone();
                        other
                    })
                    .await
            }
            _ => Ok(home),
        }
    }

    /// The clients of the provider's own region.
    async fn home_clients(&self) -> Result<&Clients, ProviderError> {
        self.clients
            .get_or_try_init(|| async {
                let s = &self.settings;
                let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
                if let Some(region) = &s.region {
                    loader = loader.region(aws_config::Region::new(region.clone()));
                }
                if let Some(profile) = &s.profile {
                    loader = loader.profile_name(profile);
                }
                if let (Some(ak), Some(sk)) = (&s.access_key, &s.secret_key) {
                    loader = loader.credentials_provider(aws_sdk_ec2::config::Credentials::new(
                        ak,
                        sk,
                        s.token.clone(),
                        None,
                        "skel-provider-block",
                    ));
                }
                if let Some(n) = s.max_retries {
                    loader = loader.retry_config(
                        aws_config::retry::RetryConfig::standard().with_max_attempts(n + 1),
                    );
                }
                if let Some(url) = &self.endpoint_url {
                    loader = loader.endpoint_url(url);
                }
                let mut sdk = loader.load().await;
                for role in &s.assume_role {
                    sdk = role.assume(sdk).await;
                }
                if sdk.region().is_none() {
                    return Err(ProviderError::InvalidConfig(
                        "provider \"aws\": no region is set; set `region` in the provider block or AWS_REGION in the environment.".into(),
                    ));
                }
                Ok(self.make_clients(&sdk))
            })
            .await
    }

    /// Every service's client for `sdk`'s region, each counting its calls.
    fn make_clients(&self, sdk: &aws_config::SdkConfig) -> Clients {
        let s = &self.settings;
        let ec2 = aws_sdk_ec2::config::Builder::from(sdk)
            .interceptor(CountCalls(self.calls.clone()))
            .build();
        let r53 = aws_sdk_route53::config::Builder::from(sdk)
            .interceptor(CountCalls(self.calls.clone()))
            .build();
        let iam = aws_sdk_iam::config::Builder::from(sdk)
            .interceptor(CountCalls(self.calls.clone()))
            .build();
        let sts = aws_sdk_sts::config::Builder::from(sdk)
            .interceptor(CountCalls(self.calls.clone()))
            .build();
        // Path-style addressing (`ENDPOINT/BUCKET/KEY`) when asked for, and always
        // against a custom endpoint: emulators and S3-compatible stores rarely serve
        // virtual-hosted buckets.
        let path_style = s.s3_use_path_style
            || self.endpoint_url.is_some()
            || std::env::var_os("AWS_ENDPOINT_URL").is_some()
            || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
        let s3 = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(path_style)
            .interceptor(CountCalls(self.calls.clone()))
            .build();
        let eks = aws_sdk_eks::config::Builder::from(sdk)
            .interceptor(CountCalls(self.calls.clone()))
            .build();
        Clients {
            ec2: aws_sdk_ec2::Client::from_conf(ec2),
            r53: aws_sdk_route53::Client::from_conf(r53),
            iam: aws_sdk_iam::Client::from_conf(iam),
            sts: aws_sdk_sts::Client::from_conf(sts),
            s3: aws_sdk_s3::Client::from_conf(s3),
            eks: aws_sdk_eks::Client::from_conf(eks),
            credentials: sdk.credentials_provider(),
            region: sdk.region().map(|r| r.to_string()).unwrap_or_default(),
            sdk: sdk.clone(),
        }
    }

    pub(crate) async fn ec2(&self) -> Result<&aws_sdk_ec2::Client, ProviderError> {
        Ok(&self.clients().await?.ec2)
    }

    pub(crate) async fn r53(&self) -> Result<&aws_sdk_route53::Client, ProviderError> {
        Ok(&self.clients().await?.r53)
    }

    pub(crate) async fn iam(&self) -> Result<&aws_sdk_iam::Client, ProviderError> {
        Ok(&self.clients().await?.iam)
    }

    pub(crate) async fn sts(&self) -> Result<&aws_sdk_sts::Client, ProviderError> {
        Ok(&self.clients().await?.sts)
    }

    pub(crate) async fn s3(&self) -> Result<&aws_sdk_s3::Client, ProviderError> {
        Ok(&self.clients().await?.s3)
    }

    pub(crate) async fn eks(&self) -> Result<&aws_sdk_eks::Client, ProviderError> {
        Ok(&self.clients().await?.eks)
    }
}

impl AwsProvider {
    async fn describe(
        &self,
        type_name: &str,
        ids: &[String],
    ) -> Result<Vec<Option<Obs>>, ProviderError> {
        resource(type_name)?.describe(self, ids).await
    }
}

#[async_trait]
impl Provider for AwsProvider {
    fn name(&self) -> &str {
        NAME
    }

    fn validate(&self, type_name: &str, config: &Value) -> Vec<String> {
        let mut errors = common::validate(type_name, config);
        if type_name != "aws_region" {
            if let Err(e) = region::of(type_name, config) {
                errors.push(e.to_string());
            }
        }
        errors
    }

    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
        let schema = common::resource_schema(request.type_name)?;
        Ok(common::plan(
            &self.settings,
            request.type_name,
            &schema.block,
            request.prior,
            request.config,
        ))
    }

    async fn apply(&self, request: ApplyRequest<'_>) -> Result<Value, ProviderError> {
        let ty = request.type_name;
        common::resource_schema(ty)?;
        let prior = request.prior.filter(|p| !p.is_null());
        let planned = request.planned.filter(|p| !p.is_null());
        // The object's region: the planned one's, or the deleted one's (`region` forces a
        // replacement, so an update never moves an object).
        let object = planned.or(prior).unwrap_or(&Value::Null);
        let at = region::of(ty, object)?;
        region::in_region(at, self.apply_here(request, prior, planned)).await
    }

    async fn read(&self, type_name: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        let mut out = self
            .read_batch(type_name, std::slice::from_ref(state))
            .await?;
        Ok(out.pop().flatten())
    }

    async fn read_batch(
        &self,
        type_name: &str,
        states: &[Value],
    ) -> Result<Vec<Option<Value>>, ProviderError> {
        // One read per region: the objects of the provider's own region (those that name it
        // and those that name none) together, each other region's apart.
        let home = self.home_clients().await?.region.clone();
        let mut groups: BTreeMap<Option<String>, Vec<usize>> = BTreeMap::new();
        for (i, state) in states.iter().enumerate() {
            let at = region::of(type_name, state)?.filter(|r| *r != home);
            groups.entry(at).or_default().push(i);
        }
        let mut out: Vec<Option<Value>> = vec![None; states.len()];
        for (at, indexes) in groups {
            let group: Vec<Value> = indexes.iter().map(|&i| states[i].clone()).collect();
            let read = region::in_region(at, self.read_here(type_name, &group)).await?;
            for (i, found) in indexes.into_iter().zip(read) {
                out[i] = found;
            }
        }
        Ok(out)
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, ProviderError> {
        // `aws_region`'s `region` is the region it describes, not where it is read.
        let at = match type_name {
            "aws_region" => None,
            _ => region::of(type_name, config)?,
        };
        region::in_region(at, Box::pin(data::read(self, type_name, config))).await
    }

    async fn import(&self, type_name: &str, id: &str) -> Result<Value, ProviderError> {
        let schema = common::resource_schema(type_name)?;
        // `ID@REGION` (v6) imports the object of that region, for types that have a region.
        let (id, at) = match region::split_import_id(id) {
            (bare, Some(r)) if schema.block.attributes.contains_key("region") => (bare, Some(r)),
            _ => (id, None),
        };
        region::in_region(at, self.import_here(type_name, id)).await
    }

    async fn recover(&self, request: RecoverRequest<'_>) -> Result<Option<Value>, ProviderError> {
        let at = region::of(request.type_name, request.planned)?;
        region::in_region(at, self.recover_here(request)).await
    }
}

impl AwsProvider {
    async fn apply_here(
        &self,
        request: ApplyRequest<'_>,
        prior: Option<&Value>,
        planned: Option<&Value>,
    ) -> Result<Value, ProviderError> {
        let ty = request.type_name;
        match (prior, planned) {
            (None, None) => Ok(Value::Null),
            (Some(prior), None) => {
                resource(ty)?.delete(self, prior).await?;
                Ok(Value::Null)
            }
            (None, Some(planned)) => {
                common::check_known(ty, planned)?;
                let origin = Origin {
                    address: request.address,
                    token: request.token,
                };
                let id = resource(ty)?.create(self, planned, &origin).await?;
                self.finish(ty, &id, planned).await
            }
            (Some(prior), Some(planned)) => {
                common::check_known(ty, planned)?;
                let origin = Origin {
                    address: request.address,
                    token: None,
                };
                let id = resource(ty)?.update(self, prior, planned, &origin).await?;
                self.finish(ty, &id, planned).await
            }
        }
    }

    /// Reads `states`, all of the region in scope.
    async fn read_here(
        &self,
        type_name: &str,
        states: &[Value],
    ) -> Result<Vec<Option<Value>>, ProviderError> {
        let schema = common::resource_schema(type_name)?;
        let kind = resource(type_name)?;
        let ids: Vec<String> = states.iter().map(|s| kind.key(s)).collect();
        let wanted: Vec<String> = ids.iter().filter(|i| !i.is_empty()).cloned().collect();
        let mut found = if wanted.is_empty() {
            Vec::new()
        } else {
            self.describe(type_name, &wanted).await?
        };
        let managed: Vec<&Value> = states
            .iter()
            .zip(&ids)
            .filter(|(_, id)| !id.is_empty())
            .map(|(s, _)| s)
            .collect();
        kind.observe_managed(self, &wanted, &managed, &mut found)
            .await?;
        let mut by_id: BTreeMap<String, Obs> = BTreeMap::new();
        for (id, obs) in wanted.iter().zip(found) {
            if let Some(obs) = obs {
                by_id.insert(id.clone(), obs);
            }
        }
        Ok(states
            .iter()
            .zip(&ids)
            .map(|(state, id)| {
                by_id.get(id).map(|obs| {
                    common::overlay(&self.settings, type_name, &schema.block, state, obs)
                })
            })
            .collect())
    }

    async fn import_here(&self, type_name: &str, id: &str) -> Result<Value, ProviderError> {
        let schema = common::resource_schema(type_name)?;
        if id.trim().is_empty() {
            return Err(ProviderError::InvalidConfig(format!(
                "{type_name}: the import id must not be empty."
            )));
        }
        let mut found = self.describe(type_name, &[id.to_string()]).await?;
        resource(type_name)?
            .observe_managed(self, &[id.to_string()], &[&Value::Null], &mut found)
            .await?;
        let obs = found.pop().flatten().ok_or_else(|| {
                ProviderError::Api(format!(
                    "{type_name} `{id}` does not exist; check the id and the region (an object outside the provider's region is imported as `ID@REGION`)."
                ))
            })?;
        let obs = self.with_region(&schema.block, obs).await?;
        Ok(common::imported(&self.settings, &schema.block, id, &obs))
    }

    async fn recover_here(
        &self,
        request: RecoverRequest<'_>,
    ) -> Result<Option<Value>, ProviderError> {
        let RecoverRequest {
            type_name,
            planned,
            address,
            token,
        } = request;
        let origin = Origin { address, token };
        let Some(id) = resource(type_name)?.find(self, planned, &origin).await? else {
            return Ok(None);
        };
        let schema = common::resource_schema(type_name)?;
        let mut found = self.describe(type_name, std::slice::from_ref(&id)).await?;
        resource(type_name)?
            .observe_managed(self, std::slice::from_ref(&id), &[planned], &mut found)
            .await?;
        let obs = found.pop().flatten();
        // The object as it is, read back completely: what the plan left unknown is filled in
        // from it, and what the create had not got to yet (a route, a rule, a tag set after
        // the create call) is what it really is, so the next plan finishes the job.
        let obs = match obs {
            Some(obs) => Some(self.with_region(&schema.block, obs).await?),
            None => None,
        };
        Ok(obs.map(|obs| {
            if planned.is_null() {
                common::imported(&self.settings, &schema.block, &id, &obs)
            } else {
                let filled = common::fill_unknowns(&schema.block, planned, &id, &obs);
                common::overlay(&self.settings, type_name, &schema.block, &filled, &obs)
            }
        }))
    }
}

impl AwsProvider {
    /// A wait after a create or update of `ty` `id` failed: the object as it is now (read back,
    /// `planned` with what was observed), as [`ProviderError::NotReady`] so the engine records
    /// it instead of forgetting it; the wait's own error when it cannot be read back (gone,
    /// unreachable).
    pub(crate) async fn not_ready(
        &self,
        ty: &str,
        id: &str,
        planned: &Value,
        failed: error::WaitFailed,
    ) -> ProviderError {
        let Ok(schema) = common::resource_schema(ty) else {
            return failed.into_error();
        };
        let written = match ty {
            "aws_route53_record" => dns::record::written(planned, id).ok().flatten(),
            _ => None,
        };
        let obs = match written {
            Some(obs) => obs,
            None => match self.describe(ty, &[id.to_string()]).await {
                Ok(mut found) => match found.pop().flatten() {
                    Some(obs) => obs,
                    None => return failed.into_error(),
                },
                Err(_) => return failed.into_error(),
            },
        };
        let seen = obs.get(common::STATUS).and_then(Value::as_str);
        let filled = common::fill_unknowns(&schema.block, planned, id, &obs);
        let state = common::overlay(&self.settings, ty, &schema.block, &filled, &obs);
        let message = failed.not_ready_message(&common::object_name(ty, id), seen);
        ProviderError::not_ready(state, message)
    }

    /// The applied object: the planned one with what only the API could tell filled in.
    async fn finish(&self, ty: &str, id: &str, planned: &Value) -> Result<Value, ProviderError> {
        let schema = common::resource_schema(ty)?;
        // A Route 53 record set is stored as sent (and the change waited for): no listing.
        let written = match ty {
            "aws_route53_record" => dns::record::written(planned, id)?,
            _ => None,
        };
        let mut found = match written.or_else(|| self.seen.take(ty, id)) {
            Some(obs) => vec![Some(obs)],
            None => self.describe(ty, &[id.to_string()]).await?,
        };
        resource(ty)?
            .observe_managed(self, &[id.to_string()], &[planned], &mut found)
            .await?;
        let obs = found.pop().flatten().ok_or_else(|| {
            ProviderError::Api(format!(
                "{ty} `{id}` was created but cannot be read back; check the region and retry."
            ))
        })?;
        let obs = self.with_region(&schema.block, obs).await?;
        Ok(common::fill_unknowns(&schema.block, planned, id, &obs))
    }

    /// The region of the call in progress: the object's, or the provider's.
    async fn region(&self) -> Result<String, ProviderError> {
        Ok(self.clients().await?.region.clone())
    }

    /// `obs` with the region it was read in as `region` (v6), for a type that has the argument
    /// and an observation that does not say.
    async fn with_region(
        &self,
        block: &skel_schema::BlockSchema,
        mut obs: Obs,
    ) -> Result<Obs, ProviderError> {
        if block.attributes.contains_key("region") && !obs.contains_key("region") {
            obs.insert("region".into(), Value::string(self.region().await?));
        }
        Ok(obs)
    }
}
