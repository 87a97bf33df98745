//! Provider plugins through the real `skelc`: `skelc init` installs the real
//! `terraform-provider-null` 2.1.2 (from `scripts/terraform-install`'s filesystem mirror, and
//! from a packed copy of it), from a provider registry served by the test (the protocol's
//! documents, the real zip, its SHA256SUMS), and from the plugin cache; the lock file
//! `.skel.lock.hcl` carries the hashes Terraform 1.0.3 writes for the same package, pins the
//! version until `-upgrade`, and a package that does not match it is refused (at init, and
//! before plan). `skelc check` types plugin resources from the stored schema (here a fixture,
//! `SKEL_PLUGIN_SCHEMA_FIXTURES`; `plugin_runs.rs` reads the plugin's own).

mod cli_support;
mod plugin_support;

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use cli_support::{project, Out};
use plugin_support::{mirror_rc, rc, real_mirror, skelc_rc, tf_home, NULL_SOURCE};
use sha2::{Digest, Sha256};

const PLUGIN_FILE: &str = "terraform-provider-null_v2.1.2_x4";

fn main_tf(constraint: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    null = {{
      source  = "hashicorp/null"
      version = "{constraint}"
    }}
  }}
}}

resource "null_resource" "a" {{
  triggers = {{ x = "1" }}
}}
"#
    )
}

fn real_plugin() -> PathBuf {
    real_mirror()
        .join(NULL_SOURCE)
        .join("2.1.2/linux_amd64")
        .join(PLUGIN_FILE)
}

fn fixtures() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/plugin-schemas")
        .display()
        .to_string()
}

/// `skelc ARGS` with the CLI configuration `rc` and the schema fixtures.
fn run(dir: &Path, rc: &str, args: &[&str]) -> Out {
    skelc_rc(dir, rc, args)
        .env("SKEL_PLUGIN_SCHEMA_FIXTURES", &fixtures())
        .run()
}

fn lock_of(dir: &Path) -> String {
    fs::read_to_string(dir.join(".skel.lock.hcl")).expect("the lock file")
}

/// The `hashes` entries of a lock file's text.
fn hashes(lock: &str) -> Vec<String> {
    lock.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("\"h1:") || l.starts_with("\"zh:"))
        .map(|l| l.trim_end_matches(',').trim_matches('"').to_string())
        .collect()
}

fn installed(dir: &Path, version: &str) -> PathBuf {
    dir.join(".skel/providers")
        .join(NULL_SOURCE)
        .join(version)
        .join("linux_amd64")
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A packed mirror holding `versions` of the real null package (same files under each).
fn packed_mirror(at: &Path, versions: &[&str]) -> Vec<Vec<u8>> {
    let type_dir = at.join(NULL_SOURCE);
    fs::create_dir_all(&type_dir).unwrap();
    versions
        .iter()
        .map(|v| {
            let zip = type_dir.join(format!("terraform-provider-null_{v}_linux_amd64.zip"));
            let out = Command::new("zip")
                .arg("-q")
                .arg("-j")
                .arg("-X")
                .arg(&zip)
                .arg(real_plugin())
                .output()
                .expect("run zip");
            assert!(out.status.success(), "zip: {out:?}");
            fs::read(&zip).unwrap()
        })
        .collect()
}

#[test]
fn unpacked_mirror_locks_the_hash_terraform_writes() {
    let (_tmp, dir) = project(&[
        ("skel/main.tf", &main_tf("2.1.2")),
        ("tf/main.tf", &main_tf("2.1.2")),
    ]);
    let tf = Command::new(tf_home().join("terraform"))
        .args(["init", "-input=false"])
        .arg(format!("-plugin-dir={}", real_mirror().display()))
        .current_dir(dir.join("tf"))
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env_remove("TF_PLUGIN_CACHE_DIR")
        .output()
        .expect("run terraform");
    assert!(tf.status.success(), "terraform init: {tf:?}");
    let tf_lock = fs::read_to_string(dir.join("tf/.terraform.lock.hcl")).unwrap();

    let sk = dir.join("skel");
    let config = mirror_rc(&dir, &real_mirror());
    let out = run(&sk, &config, &["init"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains(
            "- provider registry.terraform.io/hashicorp/null 2.1.2: installed from the mirror"
        ),
        "{out:?}"
    );
    let lock = lock_of(&sk);
    assert_eq!(
        hashes(&lock),
        hashes(&tf_lock),
        "skel:\n{lock}\nterraform:\n{tf_lock}"
    );
    assert_eq!(hashes(&lock).len(), 1);
    // Everything but the header comment is Terraform's text.
    let body = |t: &str| t.lines().skip(2).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&lock), body(&tf_lock));
    let pkg = installed(&sk, "2.1.2");
    assert!(pkg.join(PLUGIN_FILE).is_file());
    assert!(pkg.join("schema.json").is_file());

    // A second init keeps the package; check types from the stored schema.
    let again = run(&sk, &config, &["init"]);
    assert!(again.stdout.contains("2.1.2: kept"), "{again:?}");
    assert_eq!(lock_of(&sk), lock);
    let ok = run(&sk, &config, &["check"]);
    assert_eq!(ok.code, 0, "{ok:?}");
}

#[test]
fn check_types_plugin_resources_from_the_stored_schema() {
    let tf = main_tf("2.1.2").replace("triggers =", "trigers =")
        + "data \"null_data_source\" \"d\" {\n  inputs = { a = 1 }\n}\n\noutput \"o\" {\n  value = data.null_data_source.d.outputs.a\n}\n";
    let (_tmp, dir) = project(&[("main.tf", &tf)]);
    let config = mirror_rc(&dir, &real_mirror());
    // Before init: the plugin's types have no schema, and the hint says what to do.
    let before = run(&dir, &config, &["check"]);
    assert_eq!(before.code, 1, "{before:?}");
    assert!(
        before.stderr.contains("provider-not-installed"),
        "{before:?}"
    );
    assert!(before.stderr.contains("run `skelc init`"), "{before:?}");
    assert_eq!(run(&dir, &config, &["init"]).code, 0);
    let after = run(&dir, &config, &["check"]);
    assert_eq!(after.code, 1, "{after:?}");
    assert!(after.stderr.contains("unknown-argument"), "{after:?}");
    assert!(
        after.stderr.contains("did you mean `triggers`?"),
        "{after:?}"
    );
    assert!(
        !after.stderr.contains("provider-not-installed"),
        "{after:?}"
    );
    // Plan runs the plugin (`plugin_runs.rs` follows the whole lifecycle).
    fs::write(dir.join("main.tf"), main_tf("2.1.2")).unwrap();
    let plan = run(&dir, &config, &["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stdout.contains("null_resource.a will be created"),
        "{plan:?}"
    );
}

#[test]
fn packed_mirror_needs_no_network_and_locks_the_same_hash() {
    let (_tmp, dir) = project(&[("main.tf", &main_tf("~> 2.1"))]);
    let mirror = dir.join("mirror");
    packed_mirror(&mirror, &["2.1.2"]);
    // A `direct` method after the mirror names a registry that does not resolve: it must not
    // be asked, the mirror having the version.
    let config = rc(
        &dir,
        &format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n  direct {{}}\n}}\nhost \"registry.terraform.io\" {{\n  services = {{ \"providers.v1\" = \"http://127.0.0.1:1/v1/providers/\" }}\n}}\n",
            mirror.display()
        ),
    );
    let out = run(&dir, &config, &["init"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        hashes(&lock_of(&dir)),
        ["h1:CFnENdqQu4g3LJNevA32aDxcUz2qGkRGQpFfkI8TCdE="]
    );
    assert!(lock_of(&dir).contains("constraints = \"~> 2.1\""));
    assert!(installed(&dir, "2.1.2").join(PLUGIN_FILE).is_file());
}

#[test]
fn the_lock_pins_the_version_until_upgrade() {
    let (_tmp, dir) = project(&[("main.tf", &main_tf(">= 2.1, < 3.0"))]);
    let mirror = dir.join("mirror");
    packed_mirror(&mirror, &["2.1.2"]);
    let config = mirror_rc(&dir, &mirror);
    assert_eq!(run(&dir, &config, &["init"]).code, 0);
    assert!(lock_of(&dir).contains("version     = \"2.1.2\""));
    // A newer version appears in the mirror: init keeps the locked one, -upgrade takes it.
    packed_mirror(&mirror, &["2.2.0"]);
    let kept = run(&dir, &config, &["init"]);
    assert!(kept.stdout.contains("null 2.1.2: kept"), "{kept:?}");
    assert!(lock_of(&dir).contains("version     = \"2.1.2\""));
    let up = run(&dir, &config, &["init", "-upgrade"]);
    assert_eq!(up.code, 0, "{up:?}");
    assert!(up.stdout.contains("null 2.2.0: installed"), "{up:?}");
    assert!(lock_of(&dir).contains("version     = \"2.2.0\""));
    assert!(installed(&dir, "2.2.0").join("schema.json").is_file());
    // Without a lock file, the newest matching version is chosen.
    fs::remove_file(dir.join(".skel.lock.hcl")).unwrap();
    fs::write(dir.join("main.tf"), main_tf("~> 2.1.0")).unwrap();
    let out = run(&dir, &config, &["init"]);
    assert!(out.stdout.contains("null 2.1.2: installed"), "{out:?}");
    // A constraint nothing meets names what each method has.
    fs::write(dir.join("main.tf"), main_tf("2.0.0")).unwrap();
    let none = run(&dir, &config, &["init"]);
    assert_eq!(none.code, 1, "{none:?}");
    assert!(
        none.stderr
            .contains("no version of provider registry.terraform.io/hashicorp/null meets `2.0.0`"),
        "{none:?}"
    );
    assert!(none.stderr.contains("2.1.2, 2.2.0"), "{none:?}");
}

#[test]
fn a_package_that_does_not_match_the_lock_is_refused() {
    let (_tmp, dir) = project(&[("main.tf", &main_tf("2.1.2"))]);
    let mirror = dir.join("mirror");
    let unpacked = mirror.join(NULL_SOURCE).join("2.1.2/linux_amd64");
    fs::create_dir_all(&unpacked).unwrap();
    fs::copy(real_plugin(), unpacked.join(PLUGIN_FILE)).unwrap();
    let config = mirror_rc(&dir, &mirror);
    assert_eq!(run(&dir, &config, &["init"]).code, 0);
    let lock = lock_of(&dir);
    let good = hashes(&lock)[0].clone();

    // The installed binary changes: plan refuses to use it, naming both hashes.
    let exe = installed(&dir, "2.1.2").join(PLUGIN_FILE);
    let mut f = fs::OpenOptions::new().append(true).open(&exe).unwrap();
    f.write_all(b"tampered").unwrap();
    drop(f);
    let plan = run(&dir, &config, &["plan"]);
    assert_eq!(plan.code, 1, "{plan:?}");
    assert!(
        plan.stderr.contains("does not match the lock file"),
        "{plan:?}"
    );
    assert!(plan.stderr.contains(&good), "{plan:?}");
    assert!(plan.stderr.contains(NULL_SOURCE), "{plan:?}");
    // init puts the locked package back from the mirror.
    let repaired = run(&dir, &config, &["init"]);
    assert!(
        repaired.stdout.contains("installed from the mirror"),
        "{repaired:?}"
    );
    assert_eq!(fs::read(&exe).unwrap(), fs::read(real_plugin()).unwrap());

    // The mirror's binary changes: init refuses, names the provider and both hashes, and
    // leaves the installed package and the lock file alone.
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(unpacked.join(PLUGIN_FILE))
        .unwrap();
    f.write_all(b"tampered").unwrap();
    drop(f);
    fs::remove_dir_all(dir.join(".skel/providers")).unwrap();
    let out = run(&dir, &config, &["init"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("does not match the lock file"),
        "{out:?}"
    );
    assert!(out.stderr.contains(NULL_SOURCE), "{out:?}");
    assert!(out.stderr.contains(&good), "{out:?}");
    assert!(out.stderr.contains("it has h1:"), "{out:?}");
    assert!(!installed(&dir, "2.1.2").exists());
    assert_eq!(lock_of(&dir), lock);
    // -upgrade trusts and locks it again.
    let up = run(&dir, &config, &["init", "-upgrade"]);
    assert_eq!(up.code, 0, "{up:?}");
    assert_ne!(hashes(&lock_of(&dir)), vec![good]);
}

/// A provider registry on a local port: `providers.v1` documents over plain HTTP, each path
/// answered from a map; it records the paths asked.
struct Registry {
    port: u16,
    routes: Arc<Mutex<BTreeMap<String, Vec<u8>>>>,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Registry {
    fn start() -> Registry {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let routes: Arc<Mutex<BTreeMap<String, Vec<u8>>>> = Arc::default();
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let (r, s) = (routes.clone(), seen.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (r, s) = (r.clone(), s.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap_or(0);
                    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                            break;
                        }
                    }
                    s.lock().unwrap().push(path.clone());
                    let body = r.lock().unwrap().get(&path).cloned();
                    let mut out = stream;
                    let (status, body) = match body {
                        Some(b) => ("200 OK", b),
                        None => ("404 Not Found", b"{}".to_vec()),
                    };
                    let _ = write!(
                        out,
                        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = out.write_all(&body);
                });
            }
        });
        Registry { port, routes, seen }
    }

    fn route(&self, path: &str, body: impl Into<Vec<u8>>) {
        self.routes.lock().unwrap().insert(path.into(), body.into());
    }

    /// Publishes null `version` as the real zip, with SHA256SUMS listing it and another
    /// platform's zip; `shasum` overrides the download document's checksum.
    fn publish_null(&self, zip: &[u8], version: &str, shasum: Option<&str>) -> String {
        let sum = sha256_hex(zip);
        let other = "0".repeat(64);
        let file = format!("terraform-provider-null_{version}_linux_amd64.zip");
        self.route(
            "/v1/providers/hashicorp/null/versions",
            format!(r#"{{"versions":[{{"version":"{version}","protocols":["5.0"],"platforms":[{{"os":"linux","arch":"amd64"}},{{"os":"darwin","arch":"arm64"}}]}},{{"version":"9.9.9","platforms":[{{"os":"windows","arch":"amd64"}}]}}]}}"#),
        );
        self.route(
            &format!("/v1/providers/hashicorp/null/{version}/download/linux/amd64"),
            format!(
                r#"{{"protocols":["5.0"],"os":"linux","arch":"amd64","filename":"{file}","download_url":"/files/{file}","shasums_url":"/files/SHA256SUMS","shasums_signature_url":"/files/SHA256SUMS.sig","shasum":"{}","signing_keys":{{"gpg_public_keys":[]}}}}"#,
                shasum.unwrap_or(&sum)
            ),
        );
        self.route(&format!("/files/{file}"), zip.to_vec());
        self.route(
            "/files/SHA256SUMS",
            format!("{other}  terraform-provider-null_{version}_darwin_arm64.zip\n{sum}  {file}\n"),
        );
        format!("zh:{sum}")
    }

    fn config(&self, dir: &Path, extra: &str) -> String {
        rc(
            dir,
            &format!(
                "host \"registry.terraform.io\" {{\n  services = {{ \"providers.v1\" = \"http://127.0.0.1:{}/v1/providers/\" }}\n}}\n{extra}",
                self.port
            ),
        )
    }
}

#[test]
fn registry_install_checks_sha256sums_and_fills_the_cache() {
    let (_tmp, dir) = project(&[("main.tf", &main_tf("~> 2.0"))]);
    let zips = packed_mirror(&dir.join("zips"), &["2.1.2"]);
    let registry = Registry::start();
    let zh = registry.publish_null(&zips[0], "2.1.2", None);
    let cache = dir.join("cache");
    fs::create_dir_all(&cache).unwrap();
    let config = registry.config(
        &dir,
        &format!("plugin_cache_dir = \"{}\"\n", cache.display()),
    );
    let out = run(&dir, &config, &["init"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .contains("installed from the registry registry.terraform.io"),
        "{out:?}"
    );
    let locked = hashes(&lock_of(&dir));
    assert!(
        locked.contains(&"h1:CFnENdqQu4g3LJNevA32aDxcUz2qGkRGQpFfkI8TCdE=".to_string()),
        "{locked:?}"
    );
    assert!(locked.contains(&zh), "{locked:?}");
    assert!(
        locked.contains(&format!("zh:{}", "0".repeat(64))),
        "every platform's zh: {locked:?}"
    );
    assert!(cache
        .join(NULL_SOURCE)
        .join("2.1.2/linux_amd64")
        .join(PLUGIN_FILE)
        .is_file());

    // Another project takes it from the cache: the registry is asked for versions only.
    let (_tmp2, other) = project(&[("main.tf", &main_tf("~> 2.0"))]);
    registry.seen.lock().unwrap().clear();
    let out = run(&other, &config, &["init"]);
    assert!(
        out.stdout.contains("installed from the plugin cache"),
        "{out:?}"
    );
    let seen = registry.seen.lock().unwrap().clone();
    assert!(seen.iter().all(|p| p.ends_with("/versions")), "{seen:?}");
    assert_eq!(
        hashes(&lock_of(&other))[0],
        "h1:CFnENdqQu4g3LJNevA32aDxcUz2qGkRGQpFfkI8TCdE="
    );

    // A download whose checksum disagrees with the registry's is refused.
    let (_tmp3, third) = project(&[("main.tf", &main_tf("~> 2.0"))]);
    registry.publish_null(&zips[0], "2.1.2", Some(&"1".repeat(64)));
    let no_cache = registry.config(&third, "");
    let out = run(&third, &no_cache, &["init"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("the registry says 1111"), "{out:?}");
    assert!(!third.join(".skel.lock.hcl").exists());
}

#[test]
fn builtin_or_plugin_by_source_and_constraint() {
    // `hashicorp/null` with no constraint, one admitting 3.x, or `skel/null`: the built-in.
    for settings in [
        "null = { source = \"hashicorp/null\" }",
        "null = { source = \"hashicorp/null\", version = \"~> 3.0\" }",
        "null = { source = \"skel/null\" }",
    ] {
        let tf = format!("terraform {{\n  required_providers {{\n    {settings}\n  }}\n}}\n\nresource \"null_resource\" \"a\" {{}}\n");
        let (_tmp, dir) = project(&[("main.tf", &tf)]);
        let config = rc(&dir, "");
        let out = run(&dir, &config, &["init"]);
        assert_eq!(out.code, 0, "{settings}: {out:?}");
        assert!(!dir.join(".skel.lock.hcl").exists(), "{settings}");
        let check = run(&dir, &config, &["check"]);
        assert_eq!(check.code, 0, "{settings}: {check:?}");
        assert!(!check.stderr.contains("error["), "{settings}: {check:?}");
    }
    // 2.x is not what skel implements: a plugin, which init must find somewhere.
    let (_tmp, dir) = project(&[("main.tf", &main_tf("2.1.2"))]);
    let config = mirror_rc(&dir, &dir.join("empty-mirror"));
    let out = run(&dir, &config, &["init"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .contains("no version of provider registry.terraform.io/hashicorp/null"),
        "{out:?}"
    );
}
