//! `examples/walking-skeleton-eks` passes `skelc check` with the real binary: every type it
//! uses (EKS, IAM, S3, security-group rules, the Kubernetes provider configured from the
//! cluster's data sources) is known and every argument is typed right.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn the_eks_walking_skeleton_checks_clean() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/walking-skeleton-eks");
    let out = Command::new(env!("CARGO_BIN_EXE_skelc"))
        .arg("check")
        .arg(&dir)
        .output()
        .expect("run skelc");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "skelc check failed:\n{stdout}\n{stderr}"
    );
    assert!(
        !stderr.contains("warning") && !stdout.contains("warning"),
        "skelc check warned:\n{stdout}\n{stderr}"
    );
}
