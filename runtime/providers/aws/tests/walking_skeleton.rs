//! End to end: `skelc run`, `skelc plan --detailed-exitcode` (no changes) and `skelc destroy`
//! of examples/walking-skeleton against moto, checked through the SDK.

mod cli_support;

use cli_support::*;

const VARS: &[&str] = &[
    "-var",
    "ubuntu_ami_name=ubuntu/images/hvm-ssd/ubuntu-xenial-16.04-amd64-server-*",
    "-var",
    "docker=false",
];

#[test]
fn walking_skeleton_against_moto() {
    let skelc = skelc();
    let tmp = tempfile::tempdir().unwrap();
    let moto = start_moto(&tmp.path().join("moto"));
    copy_dir(&repo().join("examples"), &tmp.path().join("examples"));
    let dir = tmp.path().join("examples/walking-skeleton");

    let mut args = vec!["run", "--auto-approve"];
    args.extend(VARS);
    let (out, apply_secs) = run(&skelc, &dir, moto.port, &args);
    assert!(out.status.success(), "skelc run failed:\n{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(stdout.contains("vpc_id"), "no outputs:\n{}", text(&out));

    let mut args = vec!["plan", "--detailed-exitcode"];
    args.extend(VARS);
    let (out, plan_secs) = run(&skelc, &dir, moto.port, &args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "plan after apply is not empty:\n{}",
        text(&out)
    );

    // What the apply made is really there.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = format!("http://127.0.0.1:{}", moto.port);
    let (vpcs, instances, zones) = rt.block_on(async {
        let cfg = sdk(&url).await;
        let ec2 = aws_sdk_ec2::Client::new(&cfg);
        let r53 = aws_sdk_route53::Client::new(&cfg);
        let vpcs = ec2
            .describe_vpcs()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("tag:Project")
                    .values("walking-skeleton")
                    .build(),
            )
            .send()
            .await
            .unwrap()
            .vpcs()
            .len();
        let instances = ec2
            .describe_instances()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("instance-state-name")
                    .values("running")
                    .build(),
            )
            .send()
            .await
            .unwrap()
            .reservations()
            .iter()
            .map(|r| r.instances().len())
            .sum::<usize>();
        let zones = r53
            .list_hosted_zones()
            .send()
            .await
            .unwrap()
            .hosted_zones()
            .len();
        (vpcs, instances, zones)
    });
    assert_eq!((vpcs, instances, zones), (1, 2, 1));

    let mut args = vec!["destroy", "--auto-approve"];
    args.extend(VARS);
    let (out, destroy_secs) = run(&skelc, &dir, moto.port, &args);
    assert!(
        out.status.success(),
        "skelc destroy failed:\n{}",
        text(&out)
    );
    eprintln!(
        "walking skeleton against moto: apply {apply_secs:.1}s, plan {plan_secs:.1}s, destroy {destroy_secs:.1}s"
    );

    let left = rt.block_on(async {
        let cfg = sdk(&url).await;
        let ec2 = aws_sdk_ec2::Client::new(&cfg);
        ec2.describe_vpcs()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("tag:Project")
                    .values("walking-skeleton")
                    .build(),
            )
            .send()
            .await
            .unwrap()
            .vpcs()
            .len()
    });
    assert_eq!(left, 0, "the VPC survived destroy");
}
