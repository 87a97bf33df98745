//! `aws_eks_cluster` and the data source of the same name.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_eks::types::{
    AuthenticationMode, Cluster as EksCluster, CreateAccessConfigRequest, IpFamily,
    KubernetesNetworkConfigRequest, LogSetup, LogType, Logging, UpdateAccessConfigRequest,
    VpcConfigRequest,
};
use aws_sdk_eks::Client;
use aws_smithy_types::date_time::Format;
use skel_provider::kit::{timeout, Operation};
use skel_provider::ProviderError;
use skel_value::{Value, ValueMap};

use super::cluster_config as settings;
use super::{create_tags, made_by, tags_obs, update_tags, wait_for};
use crate::common::{
    get, get_bool, get_str, get_strs, id_of, optional_string, same, string_set, Obs, Origin, STATUS,
};
use crate::error::{AwsErr, SdkResultExt, WaitFailed};
use crate::resource::{AwsResource, Kind, Recovered};
use crate::AwsProvider;

const TY: &str = "aws_eks_cluster";
const KIND: Kind = Kind::untagged(TY, |api, ids| Box::pin(read(api.eks, ids)));

/// The states a cluster passes through on its way to ACTIVE.
const BECOMING_ACTIVE: &[&str] = &["CREATING", "UPDATING", "PENDING"];

/// `aws_eks_cluster`: identified by its name.
pub(crate) struct Cluster;

/// The cluster `name` as DescribeCluster shows it; `None` when there is none.
async fn describe(eks: &Client, name: &str) -> Result<Option<EksCluster>, AwsErr> {
    match eks.describe_cluster().name(name).send().await.aws() {
        Ok(out) => Ok(out.cluster().cloned()),
        Err(e) if e.is(&["ResourceNotFoundException"]) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Polls the status of cluster `name`.
async fn status(eks: &Client, name: &str) -> Result<Option<String>, AwsErr> {
    Ok(describe(eks, name)
        .await?
        .and_then(|c| c.status().map(|s| s.as_str().to_string())))
}

/// Waits until cluster `name` is ACTIVE.
async fn wait_active(
    p: &AwsProvider,
    what: &str,
    name: &str,
    limit: Duration,
) -> Result<Option<WaitFailed>, ProviderError> {
    let eks = p.eks().await?;
    Ok(wait_for(what, Some("ACTIVE"), BECOMING_ACTIVE, limit, || {
        status(eks, name)
    })
    .await
    .err())
}

/// Waits until update `update` of cluster `name` has succeeded (when the API named one), then
/// until the cluster is ACTIVE.
async fn wait_update(
    p: &AwsProvider,
    what: &str,
    name: &str,
    update: Option<&str>,
    limit: Duration,
) -> Result<Option<WaitFailed>, ProviderError> {
    let eks = p.eks().await?;
    if let Some(update) = update {
        let polled = wait_for(
            what,
            Some("Successful"),
            &["InProgress"],
            limit,
            || async move {
                let out = eks
                    .describe_update()
                    .name(name)
                    .update_id(update)
                    .send()
                    .await
                    .aws()?;
                Ok(out
                    .update()
                    .and_then(|u| u.status())
                    .map(|s| s.as_str().to_string()))
            },
        )
        .await;
        if let Err(failed) = polled {
            return Ok(Some(failed));
        }
    }
    wait_active(p, what, name, limit).await
}

/// The logging setting that enables `types` and disables the other log types.
fn logging(types: &[String]) -> Logging {
    let all = [
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    ];
    let (on, off): (Vec<&str>, Vec<&str>) = all.iter().partition(|t| types.iter().any(|x| x == *t));
    let setup = |types: Vec<&str>, enabled: bool| {
        LogSetup::builder()
            .set_types(Some(types.into_iter().map(LogType::from).collect()))
            .enabled(enabled)
            .build()
    };
    let mut setups = Vec::new();
    if !on.is_empty() {
        setups.push(setup(on, true));
    }
    if !off.is_empty() {
        setups.push(setup(off, false));
    }
    Logging::builder().set_cluster_logging(Some(setups)).build()
}

/// The first `name` block of `v` (an empty object when there is none).
fn block<'a>(v: &'a Value, name: &str) -> &'a Value {
    skel_provider::kit::first_block(v, name)
}

/// Whether argument `name` of the first `block` block differs between `a` and `b`.
fn block_changed(a: &Value, b: &Value, block_name: &str, name: &str) -> bool {
    !same(
        get(block(a, block_name), name),
        get(block(b, block_name), name),
    )
}

#[async_trait]
impl AwsResource for Cluster {
    fn kind(&self) -> Kind {
        KIND
    }

    async fn create(
        &self,
        p: &AwsProvider,
        planned: &Value,
        origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let w = format!("creating {TY} {origin}");
        let limit = timeout(planned, Operation::Create, Duration::from_secs(30 * 60))?;
        let name = get_str(planned, "name").unwrap_or_default().to_string();
        let vpc = block(planned, "vpc_config");
        let mut call = p
            .eks()
            .await?
            .create_cluster()
            .name(&name)
            .role_arn(get_str(planned, "role_arn").unwrap_or_default())
            .set_version(get_str(planned, "version").map(str::to_string))
            .resources_vpc_config(
                VpcConfigRequest::builder()
                    .set_subnet_ids(Some(get_strs(vpc, "subnet_ids")))
                    .set_security_group_ids(
                        Some(get_strs(vpc, "security_group_ids")).filter(|s| !s.is_empty()),
                    )
                    .set_endpoint_private_access(get_bool(vpc, "endpoint_private_access"))
                    .set_endpoint_public_access(get_bool(vpc, "endpoint_public_access"))
                    .set_public_access_cidrs(
                        Some(get_strs(vpc, "public_access_cidrs")).filter(|s| !s.is_empty()),
                    )
                    .build(),
            )
            .set_bootstrap_self_managed_addons(get_bool(planned, "bootstrap_self_managed_addons"))
            .set_deletion_protection(get_bool(planned, "deletion_protection"))
            .set_compute_config(settings::compute(planned))
            .set_storage_config(settings::storage(planned))
            .set_remote_network_config(settings::remote_network(planned))
            .set_encryption_config(settings::encryption(planned))
            .set_outpost_config(settings::outpost(planned, &w)?)
            .set_upgrade_policy(settings::upgrade_policy(planned))
            .set_zonal_shift_config(settings::zonal_shift(planned))
            .set_control_plane_scaling_config(settings::scaling(planned))
            .set_tags(Some(create_tags(p, planned, origin)))
            .set_client_request_token(origin.token.map(str::to_string));
        let log_types = get_strs(planned, "enabled_cluster_log_types");
        if !log_types.is_empty() {
            call = call.logging(logging(&log_types));
        }
        let net = block(planned, "kubernetes_network_config");
        if !net.is_null() {
            call = call.kubernetes_network_config(
                KubernetesNetworkConfigRequest::builder()
                    .set_service_ipv4_cidr(get_str(net, "service_ipv4_cidr").map(str::to_string))
                    .set_ip_family(get_str(net, "ip_family").map(IpFamily::from))
                    .set_elastic_load_balancing(settings::load_balancing(planned))
                    .build(),
            );
        }
        let access = block(planned, "access_config");
        if !access.is_null() {
            call = call.access_config(
                CreateAccessConfigRequest::builder()
                    .set_authentication_mode(
                        get_str(access, "authentication_mode").map(AuthenticationMode::from),
                    )
                    .set_bootstrap_cluster_creator_admin_permissions(get_bool(
                        access,
                        "bootstrap_cluster_creator_admin_permissions",
                    ))
                    .build(),
            );
        }
        call.send().await.or_fail(&w)?;
        let failed = wait_active(p, &w, &name, limit).await?;
        self.settled(p, &name, planned, failed).await?;
        Ok(name)
    }

    async fn update(
        &self,
        p: &AwsProvider,
        prior: &Value,
        planned: &Value,
        _origin: &Origin<'_>,
    ) -> Result<String, ProviderError> {
        let name = id_of(prior);
        let w = format!("updating {TY} `{name}`");
        let limit = timeout(planned, Operation::Update, Duration::from_secs(60 * 60))?;
        let eks = p.eks().await?;
        let changed = |arg: &str| !same(get(prior, arg), get(planned, arg));
        // One change at a time: EKS refuses an update while another is in progress.
        let mut failed = None;
        if changed("version") {
            let out = eks
                .update_cluster_version()
                .name(&name)
                .version(get_str(planned, "version").unwrap_or_default())
                .set_force(get_bool(planned, "force_update_version"))
                .send()
                .await
                .or_fail(&w)?;
            let update = out.update().and_then(|u| u.id());
            failed = wait_update(p, &w, &name, update, limit).await?;
        }
        let endpoint = [
            "endpoint_private_access",
            "endpoint_public_access",
            "public_access_cidrs",
        ]
        .iter()
        .any(|a| block_changed(prior, planned, "vpc_config", a));
        if failed.is_none() && endpoint {
            let vpc = block(planned, "vpc_config");
            let out = eks
                .update_cluster_config()
                .name(&name)
                .resources_vpc_config(
                    VpcConfigRequest::builder()
                        .set_endpoint_private_access(get_bool(vpc, "endpoint_private_access"))
                        .set_endpoint_public_access(get_bool(vpc, "endpoint_public_access"))
                        .set_public_access_cidrs(
                            Some(get_strs(vpc, "public_access_cidrs")).filter(|s| !s.is_empty()),
                        )
                        .build(),
                )
                .send()
                .await
                .or_fail(&w)?;
            let update = out.update().and_then(|u| u.id());
            failed = wait_update(p, &w, &name, update, limit).await?;
        }
        if failed.is_none() && changed("enabled_cluster_log_types") {
            let out = eks
                .update_cluster_config()
                .name(&name)
                .logging(logging(&get_strs(planned, "enabled_cluster_log_types")))
                .send()
                .await
                .or_fail(&w)?;
            let update = out.update().and_then(|u| u.id());
            failed = wait_update(p, &w, &name, update, limit).await?;
        }
        if failed.is_none() && block_changed(prior, planned, "access_config", "authentication_mode")
        {
            let mode = get_str(block(planned, "access_config"), "authentication_mode");
            if let Some(mode) = mode {
                let out = eks
                    .update_cluster_config()
                    .name(&name)
                    .access_config(
                        UpdateAccessConfigRequest::builder()
                            .authentication_mode(AuthenticationMode::from(mode))
                            .build(),
                    )
                    .send()
                    .await
                    .or_fail(&w)?;
                let update = out.update().and_then(|u| u.id());
                failed = wait_update(p, &w, &name, update, limit).await?;
            }
        }
        for call in settings::updates(eks, &name, prior, planned) {
            if failed.is_some() {
                break;
            }
            let out = call.send().await.or_fail(&w)?;
            let update = out.update().and_then(|u| u.id());
            failed = wait_update(p, &w, &name, update, limit).await?;
        }
        self.settled(p, &name, planned, failed).await?;
        if changed("tags") || changed("tags_all") {
            let arn = get_str(prior, "arn").unwrap_or_default();
            update_tags(p, &w, arn, prior, planned).await?;
        }
        Ok(name)
    }

    async fn delete(&self, p: &AwsProvider, prior: &Value) -> Result<(), ProviderError> {
        let name = id_of(prior);
        let w = format!("deleting {TY} `{name}`");
        let limit = timeout(prior, Operation::Delete, Duration::from_secs(15 * 60))?;
        let eks = p.eks().await?;
        match eks.delete_cluster().name(&name).send().await.aws() {
            Ok(_) => {}
            Err(e) if e.is(&["ResourceNotFoundException"]) => return Ok(()),
            Err(e)
                if e.is(&["InvalidRequestException"])
                    && get_bool(prior, "deletion_protection") == Some(true) =>
            {
                return Err(ProviderError::Conflict {
                    code: e.code.clone(),
                    message: format!(
                        "{w}: the cluster has deletion protection ({}); apply `deletion_protection = false` first.",
                        e.message.trim().trim_end_matches('.')
                    ),
                })
            }
            Err(e) if e.is(&["ResourceInUseException"]) => {
                return Err(ProviderError::Conflict {
                    code: e.code.clone(),
                    message: format!(
                        "{w}: the cluster still has node groups or Fargate profiles ({}); delete them first.",
                        e.message.trim().trim_end_matches('.')
                    ),
                })
            }
            Err(e) => return Err(e.into_provider(&w)),
        }
        wait_for(&w, None, &["DELETING", "ACTIVE"], limit, || {
            status(eks, &name)
        })
        .await
        .map_err(WaitFailed::into_error)
    }

    /// The cluster `origin`'s create made: the cluster of the planned name, if it carries the
    /// create's token (or, for a journal without one, its address).
    async fn find(&self, p: &AwsProvider, planned: &Value, origin: &Origin<'_>) -> Recovered {
        let Some(name) = get_str(planned, "name") else {
            return Ok(None);
        };
        let found = describe(p.eks().await?, name)
            .await
            .map_err(|e| e.into_provider(&format!("recovering {origin}")))?;
        Ok(found
            .filter(|c| made_by(c.tags(), origin))
            .map(|_| name.to_string()))
    }
}

async fn read(eks: Client, names: Vec<String>) -> Result<BTreeMap<String, Obs>, AwsErr> {
    let mut found = BTreeMap::new();
    for name in names {
        if let Some(c) = describe(&eks, &name).await? {
            found.insert(name, observe(&c));
        }
    }
    Ok(found)
}

/// What DescribeCluster shows of cluster `c`, by attribute. `access_config`,
/// `kubernetes_network_config`, `upgrade_policy` and `control_plane_scaling_config` are blocks
/// EKS fills in when the configuration has none; being optional and computed, the plan keeps
/// them then.
fn observe(c: &EksCluster) -> Obs {
    let mut o = Obs::new();
    o.insert("id".into(), optional_string(c.name()));
    o.insert("name".into(), optional_string(c.name()));
    o.insert("arn".into(), optional_string(c.arn()));
    o.insert("role_arn".into(), optional_string(c.role_arn()));
    o.insert("version".into(), optional_string(c.version()));
    o.insert("endpoint".into(), optional_string(c.endpoint()));
    o.insert(
        "platform_version".into(),
        optional_string(c.platform_version()),
    );
    let status = c.status().map(|s| s.as_str());
    o.insert("status".into(), optional_string(status));
    o.insert(STATUS.into(), optional_string(status));
    o.insert("cluster_id".into(), optional_string(c.id()));
    o.insert(
        "created_at".into(),
        optional_string(
            c.created_at()
                .and_then(|t| t.fmt(Format::DateTime).ok())
                .as_deref(),
        ),
    );
    o.insert(
        "certificate_authority".into(),
        Value::List(vec![Value::Object(ValueMap::from([(
            "data".to_string(),
            optional_string(c.certificate_authority().and_then(|a| a.data())),
        )]))]),
    );
    let issuer = c.identity().and_then(|i| i.oidc()).and_then(|o| o.issuer());
    o.insert(
        "identity".into(),
        Value::List(vec![Value::Object(ValueMap::from([(
            "oidc".to_string(),
            Value::List(vec![Value::Object(ValueMap::from([(
                "issuer".to_string(),
                optional_string(issuer),
            )]))]),
        )]))]),
    );
    let logs: Vec<String> = c
        .logging()
        .map(|l| l.cluster_logging())
        .unwrap_or_default()
        .iter()
        .filter(|s| s.enabled() == Some(true))
        .flat_map(|s| s.types().iter().map(|t| t.as_str().to_string()))
        .collect();
    o.insert("enabled_cluster_log_types".into(), string_set(logs));
    if let Some(v) = c.resources_vpc_config() {
        o.insert(
            "vpc_config".into(),
            Value::List(vec![Value::Object(ValueMap::from([
                (
                    "subnet_ids".to_string(),
                    string_set(v.subnet_ids().iter().cloned()),
                ),
                (
                    "security_group_ids".to_string(),
                    string_set(v.security_group_ids().iter().cloned()),
                ),
                (
                    "endpoint_private_access".to_string(),
                    Value::Bool(v.endpoint_private_access()),
                ),
                (
                    "endpoint_public_access".to_string(),
                    Value::Bool(v.endpoint_public_access()),
                ),
                (
                    "public_access_cidrs".to_string(),
                    string_set(v.public_access_cidrs().iter().cloned()),
                ),
                (
                    "cluster_security_group_id".to_string(),
                    optional_string(v.cluster_security_group_id()),
                ),
                ("vpc_id".to_string(), optional_string(v.vpc_id())),
            ]))]),
        );
    }
    settings::observe(c, &mut o);
    settings::observe_access_and_network(c, &mut o);
    o.insert("tags_all".into(), tags_obs(c.tags()));
    o
}

/// `data.aws_eks_cluster`: the cluster `name`.
pub(super) async fn data(p: &AwsProvider, name: &str) -> Result<ValueMap, ProviderError> {
    let w = format!("reading data.{TY} `{name}`");
    let c = describe(p.eks().await?, name)
        .await
        .map_err(|e| e.into_provider(&w))?
        .ok_or_else(|| ProviderError::NotFound {
            code: Some("ResourceNotFoundException".into()),
            message: format!(
                "{w}: there is no EKS cluster of that name; check the name and the region."
            ),
        })?;
    let mut o = observe(&c);
    if let Some(tags) = o.remove("tags_all") {
        o.insert("tags".into(), tags);
    }
    Ok(o)
}
