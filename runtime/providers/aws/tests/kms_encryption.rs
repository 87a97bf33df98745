//! State and plan encryption with the `aws_kms` key provider, through the real `skelc` against
//! moto's KMS: a data key from GenerateDataKey seals the state and the saved plan (its wrapped
//! copy in the file's metadata), Decrypt opens them again, and a key that can no longer decrypt
//! is a clear error that names the file and changes nothing.

mod cli_support;

use std::fs;
use std::path::Path;

use cli_support::*;

const MARKER: &str = "kms-sealed-marker-51c2";

fn config(key_id: &str) -> String {
    format!(
        r#"
resource "null_resource" "n" {{
  triggers = {{ token = "{MARKER}" }}
}}

output "token" {{
  value = null_resource.n.triggers.token
}}

skel {{
  encryption {{
    key_provider "aws_kms" "prod" {{
      kms_key_id = "{key_id}"
      key_spec   = "AES_256"
      region     = "us-east-1"
    }}
    method "aes_gcm" "prod" {{
      keys = key_provider.aws_kms.prod
    }}
    state {{
      method = method.aes_gcm.prod
    }}
    plan {{
      method = method.aes_gcm.prod
    }}
  }}
}}
"#
    )
}

fn envelope(path: &Path) -> serde_json::Value {
    let bytes = fs::read(path).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        !text.contains(MARKER),
        "{} holds the value in the clear",
        path.display()
    );
    let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(value["encryption_version"], "v0", "{value}");
    assert!(
        value["meta"]["key_provider.aws_kms.prod"]["ciphertext_blob"].is_string(),
        "{value}"
    );
    value
}

#[test]
fn state_and_plans_sealed_with_kms_data_keys() {
    let skelc = skelc();
    let tmp = tempfile::tempdir().unwrap();
    let moto = start_moto(&tmp.path().join("moto"));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let kms = rt.block_on(async { aws_sdk_kms::Client::new(&sdk(&moto.url()).await) });
    rt.block_on(async {
        let key = kms.create_key().send().await.unwrap();
        let id = key.key_metadata().unwrap().key_id().to_string();
        kms.create_alias()
            .alias_name("alias/skel-state")
            .target_key_id(&id)
            .send()
            .await
            .unwrap();
    });
    let dir = tmp.path().join("project");
    fs::create_dir_all(&dir).unwrap();
    let dir = fs::canonicalize(&dir).unwrap();
    fs::write(dir.join("main.skel"), config("alias/skel-state")).unwrap();
    let d = dir.to_str().unwrap();

    let (out, _) = run(&skelc, &dir, moto.port, &["run", d, "--auto-approve"]);
    assert!(out.status.success(), "{}", text(&out));
    let state = envelope(&dir.join("skel.state.json"));
    let (out, _) = run(&skelc, &dir, moto.port, &["plan", d, "-out", "p.plan"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("No changes"),
        "{}",
        text(&out)
    );
    envelope(&dir.join("p.plan"));
    let (out, _) = run(&skelc, &dir, moto.port, &["output", "token", "--dir", d]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), MARKER);
    let (out, _) = run(&skelc, &dir, moto.port, &["run", "p.plan"]);
    assert!(out.status.success(), "{}", text(&out));

    // The wrapped data key in the file is KMS's: Decrypt through the SDK gives a 32-byte key.
    let blob = state["meta"]["key_provider.aws_kms.prod"]["ciphertext_blob"]
        .as_str()
        .unwrap()
        .to_string();
    let plaintext_len = rt.block_on(async {
        let wrapped = aws_smithy_types::base64::decode(blob).unwrap();
        kms.decrypt()
            .ciphertext_blob(aws_sdk_kms::primitives::Blob::new(wrapped))
            .send()
            .await
            .unwrap()
            .plaintext()
            .map(|p| p.as_ref().len())
    });
    assert_eq!(plaintext_len, Some(32));

    // A wrapped key that KMS cannot decrypt (the file's metadata altered): exit 1, the file
    // named, nothing written.
    let mut altered = state.clone();
    let blob = altered["meta"]["key_provider.aws_kms.prod"]["ciphertext_blob"]
        .as_str()
        .unwrap()
        .to_string();
    let mut chars: Vec<char> = blob.chars().collect();
    let middle = chars.len() / 2;
    chars[middle] = if chars[middle] == 'A' { 'B' } else { 'A' };
    altered["meta"]["key_provider.aws_kms.prod"]["ciphertext_blob"] =
        chars.into_iter().collect::<String>().into();
    let altered = serde_json::to_vec(&altered).unwrap();
    fs::write(dir.join("skel.state.json"), &altered).unwrap();
    let (out, _) = run(&skelc, &dir, moto.port, &["plan", d]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("skel.state.json"), "{}", text(&out));
    assert!(stderr.contains("KMS Decrypt"), "{}", text(&out));
    assert_eq!(fs::read(dir.join("skel.state.json")).unwrap(), altered);

    // A key id that does not exist: no key for a new state either.
    let fresh = tmp.path().join("fresh");
    fs::create_dir_all(&fresh).unwrap();
    fs::write(fresh.join("main.skel"), config("alias/no-such-key")).unwrap();
    let (out, _) = run(
        &skelc,
        &fresh,
        moto.port,
        &["run", fresh.to_str().unwrap(), "--auto-approve"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("GenerateDataKey"),
        "{}",
        text(&out)
    );
    assert!(!fresh.join("skel.state.json").exists());
}
