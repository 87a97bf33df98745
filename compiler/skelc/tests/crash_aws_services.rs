//! The crash suite of the AWS services beyond EC2 and Route 53: `tests/fixtures/crash-services`
//! (one of each IAM, S3 and EKS type, every kind of standalone security-group rule, a
//! standalone route and network ACL rule, an egress-only internet gateway, DHCP options and
//! their association) applied, updated (tags, policy documents, the object's content, the node
//! group's scaling) and destroyed by the real `skelc` against moto, killed with SIGKILL at
//! every crash point a clean run passes (see `crash_sweep`). After each kill the next command
//! must converge to exactly what a clean run leaves (every object and setting counted through
//! the IAM, S3, EKS and EC2 APIs), and a plan must then find no changes.
//!
//! One documented exception: an access key's secret exists only in the answer to
//! `CreateAccessKey`, so a kill after that answer and before the journal leaves a key skel
//! cannot adopt; the next run stops with an error that names the key and the command that
//! deletes it. The sweep takes that step (only when the error asks for it) and checks the run
//! after it converges exactly; the points that needed it are listed in the output.
//!
//! moto 5.2.5 answers GetBucketVersioning with a root element the AWS SDK cannot read; S3 goes
//! through the relay of the provider's S3 tests (`AWS_ENDPOINT_URL_S3`), which renames it.

mod crash_support;
mod crash_sweep;
mod moto_support;
#[path = "../../../runtime/providers/aws/tests/s3_support/mod.rs"]
mod s3_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crash_support::{copy_dir, Out};
use crash_sweep::{sweep, Stage, Subject, LIFE};
use moto_support::Moto;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The IAM user whose access key the configuration makes.
const KEY_USER: &str = "crash-svc-ci";

struct Services;

impl Subject for Services {
    fn args(&self, verb: &str, stage: Stage) -> Vec<String> {
        let mut a = vec![verb.to_string(), "--auto-approve".to_string()];
        if stage == Stage::Updated {
            a.extend(["-var".to_string(), "stage=two".to_string()]);
        }
        a
    }

    fn fresh_dir(&self, tmp: &Path) -> PathBuf {
        let dir = tmp.join("w");
        let _ = std::fs::remove_dir_all(&dir);
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/crash-services"),
            &dir,
        );
        dir
    }

    fn env(&self, moto: &Moto) -> Vec<(String, String)> {
        let mut env = moto.env();
        env.push((
            "AWS_ENDPOINT_URL_S3".to_string(),
            s3_support::versioning_relay(moto.port()),
        ));
        env
    }

    fn reset(&self, moto: &Moto, env: &[(String, String)]) {
        let status = Command::new(repo().join("scripts/moto"))
            .args(["reset", &moto.port().to_string()])
            .status()
            .expect("reset moto");
        assert!(status.success(), "moto reset failed");
        let leftovers = self.inventory(moto, env);
        assert!(
            leftovers.is_empty(),
            "moto kept objects after a reset: {leftovers:?}"
        );
    }

    fn inventory(&self, moto: &Moto, env: &[(String, String)]) -> Vec<String> {
        let relay = env
            .iter()
            .find(|(k, _)| k == "AWS_ENDPOINT_URL_S3")
            .map(|(_, v)| v.clone())
            .expect("the S3 relay");
        moto.with_sdk(|sdk| async move {
            let s3 = aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(&sdk)
                    .endpoint_url(relay)
                    .force_path_style(true)
                    .build(),
            );
            let mut out = Vec::new();
            ec2_inventory(&aws_sdk_ec2::Client::new(&sdk), &mut out).await;
            iam_inventory(&aws_sdk_iam::Client::new(&sdk), &mut out).await;
            s3_inventory(&s3, &mut out).await;
            eks_inventory(&aws_sdk_eks::Client::new(&sdk), &mut out).await;
            out.sort();
            out
        })
    }

    /// The error of a run after a kill around `CreateAccessKey` asks the user to delete the
    /// key the interrupted create made (`aws iam delete-access-key`): the keys of the user
    /// that skel's state does not hold are deleted, as the message says.
    fn manual_step(&self, moto: &Moto, _env: &[(String, String)], failed: &Out) -> bool {
        if !failed.stderr.contains("aws iam delete-access-key") {
            return false;
        }
        moto.with_sdk(|sdk| async move {
            let iam = aws_sdk_iam::Client::new(&sdk);
            let keys = iam
                .list_access_keys()
                .user_name(KEY_USER)
                .send()
                .await
                .expect("ListAccessKeys");
            for k in keys.access_key_metadata() {
                iam.delete_access_key()
                    .user_name(KEY_USER)
                    .access_key_id(k.access_key_id().unwrap_or_default())
                    .send()
                    .await
                    .expect("DeleteAccessKey");
            }
        });
        true
    }
}

/// A policy document as a canonical JSON text: IAM answers it URL-encoded.
fn document(text: &str) -> String {
    let mut bytes = Vec::new();
    let mut it = text.bytes();
    while let Some(b) = it.next() {
        match b {
            b'%' => {
                let hex: String = it.by_ref().take(2).map(char::from).collect();
                bytes.push(u8::from_str_radix(&hex, 16).unwrap_or(b'?'));
            }
            b'+' => bytes.push(b' '),
            b => bytes.push(b),
        }
    }
    let decoded = String::from_utf8_lossy(&bytes).into_owned();
    serde_json::from_str::<serde_json::Value>(&decoded)
        .map(|v| v.to_string())
        .unwrap_or(decoded)
}

/// Tags as `K=V,…`, sorted, without the creation token (each run makes a new one).
fn tag_list<'a>(tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut t: Vec<String> = tags
        .into_iter()
        .filter(|(k, _)| *k != "skel:token")
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    t.sort();
    t.join(",")
}

fn ec2_tags(tags: &[aws_sdk_ec2::types::Tag]) -> String {
    tag_list(
        tags.iter()
            .map(|t| (t.key().unwrap_or(""), t.value().unwrap_or(""))),
    )
}

async fn ec2_inventory(ec2: &aws_sdk_ec2::Client, out: &mut Vec<String>) {
    let dhcp = ec2
        .describe_dhcp_options()
        .send()
        .await
        .expect("DescribeDhcpOptions");
    let mut dhcp_names = BTreeMap::new();
    for d in dhcp.dhcp_options() {
        let mut config: Vec<String> = d
            .dhcp_configurations()
            .iter()
            .map(|c| {
                let values: Vec<&str> = c.values().iter().filter_map(|v| v.value()).collect();
                format!("{}={}", c.key().unwrap_or(""), values.join("+"))
            })
            .collect();
        config.sort();
        let line = format!("dhcp-options {config:?} [{}]", ec2_tags(d.tags()));
        dhcp_names.insert(d.dhcp_options_id().unwrap_or("").to_string(), line.clone());
        // moto's default options of the region have no tags and are not ours.
        if !d.tags().is_empty() {
            out.push(line);
        }
    }
    let vpcs = ec2.describe_vpcs().send().await.expect("DescribeVpcs");
    let mut cidrs = BTreeMap::new();
    for v in vpcs.vpcs().iter().filter(|v| v.is_default() != Some(true)) {
        let id = v.vpc_id().unwrap_or("").to_string();
        cidrs.insert(id, v.cidr_block().unwrap_or("").to_string());
        let options = dhcp_names
            .get(v.dhcp_options_id().unwrap_or(""))
            .map(|l| {
                if l.contains("crash.internal") {
                    "ours"
                } else {
                    "default"
                }
            })
            .unwrap_or("none");
        out.push(format!(
            "vpc {} dhcp={options} [{}]",
            v.cidr_block().unwrap_or(""),
            ec2_tags(v.tags())
        ));
    }
    let ours = |vpc: Option<&str>| cidrs.get(vpc.unwrap_or("")).cloned();
    let subnets = ec2
        .describe_subnets()
        .send()
        .await
        .expect("DescribeSubnets");
    for s in subnets
        .subnets()
        .iter()
        .filter(|s| ours(s.vpc_id()).is_some())
    {
        out.push(format!(
            "subnet {} {} [{}]",
            s.cidr_block().unwrap_or(""),
            s.availability_zone().unwrap_or(""),
            ec2_tags(s.tags())
        ));
    }
    let igws = ec2
        .describe_internet_gateways()
        .send()
        .await
        .expect("DescribeInternetGateways");
    for g in igws.internet_gateways() {
        let attached: Vec<String> = g
            .attachments()
            .iter()
            .filter_map(|a| ours(a.vpc_id()))
            .collect();
        out.push(format!(
            "igw attached={attached:?} [{}]",
            ec2_tags(g.tags())
        ));
    }
    let eigws = ec2
        .describe_egress_only_internet_gateways()
        .send()
        .await
        .expect("DescribeEgressOnlyInternetGateways");
    for g in eigws.egress_only_internet_gateways() {
        let attached: Vec<String> = g
            .attachments()
            .iter()
            .filter_map(|a| ours(a.vpc_id()))
            .collect();
        out.push(format!(
            "egress-only-igw attached={attached:?} [{}]",
            ec2_tags(g.tags())
        ));
    }
    let tables = ec2
        .describe_route_tables()
        .send()
        .await
        .expect("DescribeRouteTables");
    for t in tables
        .route_tables()
        .iter()
        .filter(|t| ours(t.vpc_id()).is_some())
    {
        let main = t.associations().iter().any(|a| a.main() == Some(true));
        let mut routes: Vec<String> = t
            .routes()
            .iter()
            .map(|r| {
                let target = r.gateway_id().unwrap_or("").split('-').next().unwrap_or("");
                format!("{}->{target}", r.destination_cidr_block().unwrap_or(""))
            })
            .collect();
        routes.sort();
        out.push(format!(
            "route-table main={main} routes={routes:?} [{}]",
            ec2_tags(t.tags())
        ));
    }
    let acls = ec2
        .describe_network_acls()
        .send()
        .await
        .expect("DescribeNetworkAcls");
    for a in acls
        .network_acls()
        .iter()
        .filter(|a| ours(a.vpc_id()).is_some())
    {
        let mut entries: Vec<String> = a
            .entries()
            .iter()
            .map(|e| {
                format!(
                    "{}{}:{:?}:{}:{}:{:?}",
                    if e.egress() == Some(true) {
                        "out"
                    } else {
                        "in"
                    },
                    e.rule_number().unwrap_or(0),
                    e.rule_action(),
                    e.protocol().unwrap_or(""),
                    e.cidr_block().unwrap_or(""),
                    e.port_range().map(|p| (p.from(), p.to()))
                )
            })
            .collect();
        entries.sort();
        out.push(format!(
            "network-acl default={:?} entries={entries:?} [{}]",
            a.is_default(),
            ec2_tags(a.tags())
        ));
    }
    let groups = ec2
        .describe_security_groups()
        .send()
        .await
        .expect("DescribeSecurityGroups");
    let mut group_names = BTreeMap::new();
    for g in groups
        .security_groups()
        .iter()
        .filter(|g| ours(g.vpc_id()).is_some())
    {
        group_names.insert(
            g.group_id().unwrap_or("").to_string(),
            g.group_name().unwrap_or("").to_string(),
        );
        if g.group_name() != Some("default") {
            out.push(format!(
                "security-group {} [{}]",
                g.group_name().unwrap_or(""),
                ec2_tags(g.tags())
            ));
        }
    }
    let rules = ec2
        .describe_security_group_rules()
        .send()
        .await
        .expect("DescribeSecurityGroupRules");
    for r in rules.security_group_rules() {
        let Some(group) = group_names.get(r.group_id().unwrap_or("")) else {
            continue;
        };
        if group == "default" {
            continue;
        }
        let peer = r
            .referenced_group_info()
            .and_then(|g| group_names.get(g.group_id().unwrap_or("")))
            .map(|name| format!("group:{name}"))
            .or_else(|| r.cidr_ipv4().map(str::to_string))
            .or_else(|| r.cidr_ipv6().map(str::to_string))
            .unwrap_or_default();
        out.push(format!(
            "sg-rule {group} {} {}:{:?}-{:?} {peer} [{}]",
            if r.is_egress() == Some(true) {
                "egress"
            } else {
                "ingress"
            },
            r.ip_protocol().unwrap_or(""),
            r.from_port(),
            r.to_port(),
            ec2_tags(r.tags())
        ));
    }
}

async fn iam_inventory(iam: &aws_sdk_iam::Client, out: &mut Vec<String>) {
    let roles = iam.list_roles().send().await.expect("ListRoles");
    for role in roles.roles() {
        let name = role.role_name();
        let tags = iam
            .list_role_tags()
            .role_name(name)
            .send()
            .await
            .expect("ListRoleTags");
        out.push(format!(
            "role {name} trust={} [{}]",
            document(role.assume_role_policy_document().unwrap_or("")),
            tag_list(tags.tags().iter().map(|t| (t.key(), t.value())))
        ));
        let inline = iam
            .list_role_policies()
            .role_name(name)
            .send()
            .await
            .expect("ListRolePolicies");
        for policy in inline.policy_names() {
            let got = iam
                .get_role_policy()
                .role_name(name)
                .policy_name(policy)
                .send()
                .await
                .expect("GetRolePolicy");
            out.push(format!(
                "role-policy {name}:{policy} {}",
                document(got.policy_document())
            ));
        }
        let attached = iam
            .list_attached_role_policies()
            .role_name(name)
            .send()
            .await
            .expect("ListAttachedRolePolicies");
        for p in attached.attached_policies() {
            out.push(format!(
                "role-policy-attachment {name} {}",
                p.policy_name().unwrap_or("")
            ));
        }
    }
    let policies = iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .send()
        .await
        .expect("ListPolicies");
    for p in policies.policies() {
        let arn = p.arn().unwrap_or("");
        let versions = iam
            .list_policy_versions()
            .policy_arn(arn)
            .send()
            .await
            .expect("ListPolicyVersions");
        let default = versions
            .versions()
            .iter()
            .find(|v| v.is_default_version())
            .and_then(|v| v.document())
            .map(document)
            .unwrap_or_default();
        let tags = iam
            .list_policy_tags()
            .policy_arn(arn)
            .send()
            .await
            .expect("ListPolicyTags");
        out.push(format!(
            "policy {} versions={} default={default} [{}]",
            p.policy_name().unwrap_or(""),
            versions.versions().len(),
            tag_list(tags.tags().iter().map(|t| (t.key(), t.value())))
        ));
    }
    let profiles = iam
        .list_instance_profiles()
        .send()
        .await
        .expect("ListInstanceProfiles");
    for p in profiles.instance_profiles() {
        let roles: Vec<&str> = p.roles().iter().map(|r| r.role_name()).collect();
        // moto 5.2.5 has no ListInstanceProfileTags: the tags GetInstanceProfile shows.
        let got = iam
            .get_instance_profile()
            .instance_profile_name(p.instance_profile_name())
            .send()
            .await
            .expect("GetInstanceProfile");
        let tags = got.instance_profile().map(|p| p.tags()).unwrap_or_default();
        out.push(format!(
            "instance-profile {} roles={roles:?} [{}]",
            p.instance_profile_name(),
            tag_list(tags.iter().map(|t| (t.key(), t.value())))
        ));
    }
    let users = iam.list_users().send().await.expect("ListUsers");
    for u in users.users() {
        let name = u.user_name();
        let tags = iam
            .list_user_tags()
            .user_name(name)
            .send()
            .await
            .expect("ListUserTags");
        out.push(format!(
            "user {name} [{}]",
            tag_list(tags.tags().iter().map(|t| (t.key(), t.value())))
        ));
        let keys = iam
            .list_access_keys()
            .user_name(name)
            .send()
            .await
            .expect("ListAccessKeys");
        for k in keys.access_key_metadata() {
            out.push(format!("access-key {name} {:?}", k.status()));
        }
    }
}

async fn s3_inventory(s3: &aws_sdk_s3::Client, out: &mut Vec<String>) {
    let buckets = s3.list_buckets().send().await.expect("ListBuckets");
    for b in buckets.buckets() {
        let name = b.name().unwrap_or("");
        let versioning = s3
            .get_bucket_versioning()
            .bucket(name)
            .send()
            .await
            .expect("GetBucketVersioning");
        let encryption = s3
            .get_bucket_encryption()
            .bucket(name)
            .send()
            .await
            .ok()
            .and_then(|e| e.server_side_encryption_configuration().cloned())
            .map(|c| {
                c.rules()
                    .iter()
                    .filter_map(|r| r.apply_server_side_encryption_by_default())
                    .map(|d| d.sse_algorithm().as_str().to_string())
                    .collect::<Vec<_>>()
            });
        let block = s3
            .get_public_access_block()
            .bucket(name)
            .send()
            .await
            .ok()
            .and_then(|b| b.public_access_block_configuration().cloned())
            .map(|c| {
                (
                    c.block_public_acls(),
                    c.block_public_policy(),
                    c.ignore_public_acls(),
                    c.restrict_public_buckets(),
                )
            });
        let policy = s3
            .get_bucket_policy()
            .bucket(name)
            .send()
            .await
            .ok()
            .and_then(|p| p.policy().map(document));
        let tags = s3
            .get_bucket_tagging()
            .bucket(name)
            .send()
            .await
            .map(|t| {
                tag_list(
                    t.tag_set()
                        .iter()
                        .map(|t| (t.key(), t.value()))
                        .collect::<Vec<_>>(),
                )
            })
            .unwrap_or_default();
        out.push(format!(
            "bucket {name} versioning={:?} encryption={encryption:?} public-access-block={block:?} policy={policy:?} [{tags}]",
            versioning.status().map(|s| s.as_str())
        ));
        // The current objects (a retried PutObject adds a version in a versioned bucket, as
        // it does on AWS: versions are not counted).
        let objects = s3
            .list_objects_v2()
            .bucket(name)
            .send()
            .await
            .expect("ListObjectsV2");
        for o in objects.contents() {
            let key = o.key().unwrap_or("");
            let got = s3
                .get_object()
                .bucket(name)
                .key(key)
                .send()
                .await
                .expect("GetObject");
            let content_type = got.content_type().map(str::to_string);
            let body = got.body.collect().await.expect("object body").into_bytes();
            let tags = s3
                .get_object_tagging()
                .bucket(name)
                .key(key)
                .send()
                .await
                .expect("GetObjectTagging");
            out.push(format!(
                "object {name}/{key} {content_type:?} {:?} [{}]",
                String::from_utf8_lossy(&body),
                tag_list(tags.tag_set().iter().map(|t| (t.key(), t.value())))
            ));
        }
    }
}

async fn eks_inventory(eks: &aws_sdk_eks::Client, out: &mut Vec<String>) {
    let clusters = eks.list_clusters().send().await.expect("ListClusters");
    for name in clusters.clusters() {
        let described = eks
            .describe_cluster()
            .name(name)
            .send()
            .await
            .expect("DescribeCluster");
        let c = described.cluster().expect("cluster");
        let vpc = c.resources_vpc_config();
        out.push(format!(
            "eks-cluster {name} {:?} role={} subnets={} groups={} [{}]",
            c.status(),
            c.role_arn().unwrap_or("").rsplit('/').next().unwrap_or(""),
            vpc.map(|v| v.subnet_ids().len()).unwrap_or(0),
            vpc.map(|v| v.security_group_ids().len()).unwrap_or(0),
            tag_list(
                c.tags()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
            )
        ));
        let groups = eks
            .list_nodegroups()
            .cluster_name(name)
            .send()
            .await
            .expect("ListNodegroups");
        for group in groups.nodegroups() {
            let described = eks
                .describe_nodegroup()
                .cluster_name(name)
                .nodegroup_name(group)
                .send()
                .await
                .expect("DescribeNodegroup");
            let g = described.nodegroup().expect("node group");
            let scaling = g
                .scaling_config()
                .map(|s| (s.min_size(), s.max_size(), s.desired_size()));
            out.push(format!(
                "eks-node-group {name}/{group} {:?} scaling={scaling:?} [{}]",
                g.status(),
                tag_list(
                    g.tags()
                        .into_iter()
                        .flatten()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                )
            ));
        }
    }
}

/// Apply from nothing, an update run (every object's tags but the node group's, both policy
/// documents, the object's content, the node group's desired size) and destroy: every crash
/// point of each, killed once.
#[test]
fn services_killed_at_every_crash_point_of_apply_update_and_destroy_recover_exactly() {
    let swept = sweep(&Services, "AWS services", &LIFE);
    // Every new type's mutating calls were killed around at least once.
    let groups: Vec<&String> = swept.tallies.iter().flat_map(|t| t.groups.keys()).collect();
    for op in [
        "aws:CreateRole",
        "aws:PutRolePolicy",
        "aws:CreatePolicy",
        "aws:AttachRolePolicy",
        "aws:CreateInstanceProfile",
        "aws:AddRoleToInstanceProfile",
        "aws:CreateUser",
        "aws:CreateAccessKey",
        "aws:CreateBucket",
        "aws:PutBucketVersioning",
        "aws:PutBucketEncryption",
        "aws:PutPublicAccessBlock",
        "aws:PutBucketPolicy",
        "aws:PutObject",
        "aws:CreateCluster",
        "aws:CreateNodegroup",
        "aws:UpdateNodegroupConfig",
        "aws:CreatePolicyVersion",
        "aws:AuthorizeSecurityGroupIngress",
        "aws:AuthorizeSecurityGroupEgress",
        "aws:CreateRoute",
        "aws:CreateNetworkAclEntry",
        "aws:CreateEgressOnlyInternetGateway",
        "aws:CreateDhcpOptions",
        "aws:AssociateDhcpOptions",
        "aws:DeleteAccessKey",
        "aws:DeleteBucket",
        "aws:DeleteCluster",
        "aws:DeleteNodegroup",
        "aws:DeleteRole",
    ] {
        assert!(
            groups.iter().any(|g| g.as_str() == op),
            "no crash point around {op}: {groups:?}"
        );
    }
}
