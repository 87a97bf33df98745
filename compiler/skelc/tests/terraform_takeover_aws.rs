//! Taking over a Terraform state of AWS objects, against moto: the objects are made through
//! the AWS API (as Terraform would make them: no skel tags; a VPC, subnet, security group,
//! instance, Route 53 zone and record), their Terraform v4 state is built
//! from the attribute names of Terraform's AWS provider (5.x, including attributes skel does
//! not have), and after `skelc state migrate --from-terraform` the real `skelc` plans no
//! changes for the configuration that describes them.

#![recursion_limit = "256"]

mod cli_support;
mod moto_support;

use moto_support::Moto;
use serde_json::{json, Value};

/// What the API made: the ids Terraform's state records.
struct Made {
    vpc: String,
    subnet: String,
    sg: String,
    zone: String,
    owner: String,
    ami: String,
    instance: String,
    private_ip: String,
}

async fn make_objects(url: &str) -> Made {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(url)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_ec2::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .load()
        .await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let tag = |kind, name: &str| {
        aws_sdk_ec2::types::TagSpecification::builder()
            .resource_type(kind)
            .tags(
                aws_sdk_ec2::types::Tag::builder()
                    .key("Name")
                    .value(name)
                    .build(),
            )
            .build()
    };
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.20.0.0/16")
        .tag_specifications(tag(aws_sdk_ec2::types::ResourceType::Vpc, "takeover"))
        .send()
        .await
        .unwrap()
        .vpc
        .unwrap();
    let vpc_id = vpc.vpc_id.unwrap();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc_id)
        .cidr_block("10.20.1.0/24")
        .availability_zone("us-east-1a")
        .tag_specifications(tag(aws_sdk_ec2::types::ResourceType::Subnet, "public"))
        .send()
        .await
        .unwrap()
        .subnet
        .unwrap();
    let sg = ec2
        .create_security_group()
        .group_name("web")
        .description("Managed by Terraform")
        .vpc_id(&vpc_id)
        .send()
        .await
        .unwrap()
        .group_id
        .unwrap();
    ec2.authorize_security_group_ingress()
        .group_id(&sg)
        .ip_permissions(
            aws_sdk_ec2::types::IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(443)
                .to_port(443)
                .ip_ranges(
                    aws_sdk_ec2::types::IpRange::builder()
                        .cidr_ip("0.0.0.0/0")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let r53 = aws_sdk_route53::Client::new(&sdk);
    let zone = r53
        .create_hosted_zone()
        .name("takeover.test")
        .caller_reference("terraform-takeover")
        .hosted_zone_config(
            aws_sdk_route53::types::HostedZoneConfig::builder()
                .comment("Managed by Terraform")
                .build(),
        )
        .send()
        .await
        .unwrap()
        .hosted_zone
        .unwrap();
    let zone_id = zone.id.trim_start_matches("/hostedzone/").to_string();
    use aws_sdk_route53::types::{
        Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
    };
    r53.change_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .change_batch(
            ChangeBatch::builder()
                .changes(
                    Change::builder()
                        .action(ChangeAction::Create)
                        .resource_record_set(
                            ResourceRecordSet::builder()
                                .name("www.takeover.test")
                                .r#type(RrType::A)
                                .ttl(300)
                                .resource_records(
                                    ResourceRecord::builder()
                                        .value("192.0.2.10")
                                        .build()
                                        .unwrap(),
                                )
                                .build()
                                .unwrap(),
                        )
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let ami = ec2
        .describe_images()
        .owners("099720109477")
        .send()
        .await
        .unwrap()
        .images()[0]
        .image_id()
        .unwrap()
        .to_string();
    let subnet_id = subnet.subnet_id.clone().unwrap();
    let run = ec2
        .run_instances()
        .image_id(&ami)
        .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
        .subnet_id(&subnet_id)
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .unwrap();
    let instance = &run.instances()[0];
    Made {
        ami: ami.clone(),
        instance: instance.instance_id().unwrap().to_string(),
        private_ip: instance
            .private_ip_address()
            .unwrap_or_default()
            .to_string(),
        vpc: vpc_id,
        subnet: subnet.subnet_id.unwrap(),
        sg,
        zone: zone_id,
        owner: vpc.owner_id.unwrap_or_default(),
    }
}

const CONFIG: &str = r#"provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "main" {
  cidr_block = "10.20.0.0/16"
  tags       = { Name = "takeover" }
}

resource "aws_subnet" "public" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.20.1.0/24"
  availability_zone = "us-east-1a"
  tags              = { Name = "public" }
}

resource "aws_security_group" "web" {
  name        = "web"
  # No description: Terraform's default is skel's too (a different one would replace the group).
  vpc_id      = aws_vpc.main.id

  ingress {
    protocol    = "tcp"
    from_port   = 443
    to_port     = 443
    cidr_blocks = ["0.0.0.0/0"]
  }

  egress {
    protocol    = "-1"
    from_port   = 0
    to_port     = 0
    cidr_blocks = ["0.0.0.0/0"]
  }
}

# No comment: Terraform's default ("Managed by Terraform") is skel's too.
resource "aws_route53_zone" "main" {
  name = "takeover.test"
}

resource "aws_route53_record" "www" {
  zone_id = aws_route53_zone.main.zone_id
  name    = "www.takeover.test"
  type    = "A"
  ttl     = 300
  records = ["192.0.2.10"]
}

resource "aws_instance" "web" {
  ami           = "AMI"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.public.id
}

output "vpc_id" {
  value = aws_vpc.main.id
}
"#;

/// The Terraform v4 state of `made`, with the AWS provider 5.x's attribute names (some of
/// which skel's schema lacks: `ipv4_ipam_pool_id`, `enable_lni_at_device_index`, …).
fn terraform_state(m: &Made) -> Value {
    let aws = "provider[\"registry.terraform.io/hashicorp/aws\"]";
    let rule = |protocol: &str, port: i64| {
        json!({"cidr_blocks": ["0.0.0.0/0"], "description": "", "from_port": port,
               "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": protocol,
               "security_groups": [], "self": false, "to_port": port})
    };
    let resource = |ty: &str, name: &str, schema_version: u64, attributes: Value, deps: &[&str]| {
        json!({"mode": "managed", "type": ty, "name": name, "provider": aws,
               "instances": [{"schema_version": schema_version, "attributes": attributes,
                              "sensitive_attributes": [], "private": "bnVsbA==",
                              "dependencies": deps}]})
    };
    let arn = |kind: &str, id: &str| format!("arn:aws:ec2:us-east-1:{}:{kind}/{id}", m.owner);
    json!({
        "version": 4, "terraform_version": "1.9.8", "serial": 12,
        "lineage": "8d3c1f5e-0a7b-4c1d-9e2f-3a4b5c6d7e8f",
        "outputs": {"vpc_id": {"value": m.vpc, "type": "string"}},
        "resources": [
            resource("aws_vpc", "main", 1, json!({
                "arn": arn("vpc", &m.vpc), "assign_generated_ipv6_cidr_block": false,
                "cidr_block": "10.20.0.0/16", "default_network_acl_id": "",
                "default_route_table_id": "", "default_security_group_id": "",
                "dhcp_options_id": "", "enable_dns_hostnames": false, "enable_dns_support": true,
                "enable_network_address_usage_metrics": false, "id": m.vpc,
                "instance_tenancy": "default", "ipv4_ipam_pool_id": null,
                "ipv4_netmask_length": null, "ipv6_association_id": "", "ipv6_cidr_block": "",
                "ipv6_cidr_block_network_border_group": "", "ipv6_ipam_pool_id": "",
                "ipv6_netmask_length": 0, "main_route_table_id": "", "owner_id": m.owner,
                "tags": {"Name": "takeover"}, "tags_all": {"Name": "takeover"}
            }), &[]),
            resource("aws_subnet", "public", 1, json!({
                "arn": arn("subnet", &m.subnet), "assign_ipv6_address_on_creation": false,
                "availability_zone": "us-east-1a", "availability_zone_id": "use1-az6",
                "cidr_block": "10.20.1.0/24", "customer_owned_ipv4_pool": "",
                "enable_dns64": false, "enable_lni_at_device_index": 0,
                "enable_resource_name_dns_a_record_on_launch": false,
                "enable_resource_name_dns_aaaa_record_on_launch": false, "id": m.subnet,
                "ipv6_cidr_block": "", "ipv6_cidr_block_association_id": "", "ipv6_native": false,
                "map_customer_owned_ip_on_launch": false, "map_public_ip_on_launch": false,
                "outpost_arn": "", "owner_id": m.owner, "private_dns_hostname_type_on_launch": "ip-name",
                "tags": {"Name": "public"}, "tags_all": {"Name": "public"}, "timeouts": null,
                "vpc_id": m.vpc
            }), &["aws_vpc.main"]),
            resource("aws_security_group", "web", 1, json!({
                "arn": arn("security-group", &m.sg), "description": "Managed by Terraform",
                "egress": [rule("-1", 0)], "id": m.sg, "ingress": [rule("tcp", 443)],
                "name": "web", "name_prefix": "", "owner_id": m.owner,
                "revoke_rules_on_delete": false, "tags": {}, "tags_all": {}, "timeouts": null,
                "vpc_id": m.vpc
            }), &["aws_vpc.main"]),
            resource("aws_route53_zone", "main", 0, json!({
                "arn": format!("arn:aws:route53:::hostedzone/{}", m.zone), "comment": "Managed by Terraform",
                "delegation_set_id": "", "force_destroy": false, "id": m.zone,
                "name": "takeover.test", "name_servers": [], "primary_name_server": "",
                "tags": {}, "tags_all": {}, "vpc": [], "zone_id": m.zone
            }), &[]),
            resource("aws_route53_record", "www", 2, json!({
                "alias": [], "allow_overwrite": null, "cidr_routing_policy": [],
                "failover_routing_policy": [], "fqdn": "www.takeover.test",
                "geolocation_routing_policy": [], "geoproximity_routing_policy": [],
                "health_check_id": "", "id": format!("{}_www.takeover.test_A", m.zone),
                "latency_routing_policy": [], "multivalue_answer_routing_policy": false,
                "name": "www.takeover.test", "records": ["192.0.2.10"], "set_identifier": "",
                "timeouts": null, "ttl": 300, "type": "A", "weighted_routing_policy": [],
                "zone_id": m.zone
            }), &["aws_route53_zone.main"]),
            resource("aws_instance", "web", 1, json!({
                "ami": m.ami, "arn": arn("instance", &m.instance), "associate_public_ip_address": false,
                "availability_zone": "us-east-1a", "capacity_reservation_specification": [],
                "cpu_core_count": 1, "cpu_options": [], "cpu_threads_per_core": 2,
                "credit_specification": [], "disable_api_stop": false,
                "disable_api_termination": false, "ebs_block_device": [], "ebs_optimized": false,
                "enclave_options": [], "ephemeral_block_device": [], "get_password_data": false,
                "hibernation": false, "host_id": "", "host_resource_group_arn": null,
                "iam_instance_profile": "", "id": m.instance,
                "instance_initiated_shutdown_behavior": "stop", "instance_lifecycle": "",
                "instance_market_options": [], "instance_state": "running",
                "instance_type": "t3.micro", "ipv6_address_count": 0, "ipv6_addresses": [],
                "key_name": "", "launch_template": [], "maintenance_options": [],
                "metadata_options": [], "monitoring": false, "network_interface": [],
                "outpost_arn": "", "password_data": "", "placement_group": "",
                "placement_partition_number": 0, "primary_network_interface_id": "",
                "private_dns": "", "private_dns_name_options": [], "private_ip": m.private_ip,
                "public_dns": "", "public_ip": "", "root_block_device": [],
                "secondary_private_ips": [], "security_groups": [], "source_dest_check": true,
                "spot_instance_request_id": "", "subnet_id": m.subnet, "tags": null,
                "tags_all": {}, "tenancy": "default", "timeouts": null, "user_data": null,
                "user_data_base64": null, "user_data_replace_on_change": false,
                "volume_tags": null, "vpc_security_group_ids": []
            }), &["aws_subnet.public"])
        ]
    })
}

#[test]
fn aws_objects_taken_over_plan_no_changes() {
    let moto = Moto::start();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let made = rt.block_on(make_objects(&moto.url()));
    let config = CONFIG.replace("\"AMI\"", &format!("{:?}", made.ami));
    let (_tmp, dir) = cli_support::project(&[("main.tf", &config)]);
    std::fs::write(
        dir.join("terraform.tfstate"),
        serde_json::to_string_pretty(&terraform_state(&made)).unwrap(),
    )
    .unwrap();
    let skelc = |args: &[&str]| {
        cli_support::skelc(&dir, args)
            .env("AWS_ENDPOINT_URL", &moto.url())
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_MAX_ATTEMPTS", "1")
            .run()
    };
    let out = skelc(&["state", "migrate", "--from-terraform", "terraform.tfstate"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("Migrated 6 resource instance(s)"),
        "{out:?}"
    );
    // Attributes skel's AWS schema does not have are named, not kept.
    for dropped in [
        "aws_instance.capacity_reservation_specification",
        "aws_instance.host_resource_group_arn",
        "aws_instance.placement_partition_number",
    ] {
        assert!(out.stdout.contains(dropped), "{dropped}: {out:?}");
    }
    let state = cli_support::state_json(&dir);
    assert_eq!(
        state["resources"]["aws_subnet.public"]["dependencies"],
        json!(["aws_vpc.main"])
    );
    assert!(state["resources"]["aws_instance.web"]["attributes"]
        .get("host_resource_group_arn")
        .is_none());

    let plan = skelc(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(plan.stdout.contains("No changes."), "{plan:?}");

    // A real change is still seen: a new tag on the VPC is one in-place update.
    std::fs::write(
        dir.join("main.tf"),
        config.replace(
            "tags       = { Name = \"takeover\" }",
            "tags       = { Name = \"takeover\", Team = \"net\" }",
        ),
    )
    .unwrap();
    let plan = skelc(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{plan:?}");
    assert!(
        plan.stdout
            .contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{plan:?}"
    );
}
