//! Remote module sources through the real `skelc`: `skelc init` against a registry test server
//! (module registry protocol v1, serving packages from git repositories made here and from
//! archives) and `git::file://` repositories; versions and constraints, `//subdir`, `?ref=`
//! (tag, branch, commit), nested remote sources, idempotence, `-upgrade`, the bearer token
//! (required by the server, never shown), every installation error as one diagnostic, and
//! `check`/`plan`/`run` reading the installed modules.

mod cli_support;
mod lsp_harness;
mod registry_support;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use cli_support::{project, skelc, Out};
use registry_support::{commit, file_source, git, repo, Registry};

const TOKEN: &str = "tok-Zq8-secret-4711";

/// A module that says which version it is.
fn module(label: &str) -> String {
    format!(
        "variable \"name\" {{\n  type = string\n}}\n\noutput \"which\" {{\n  value = \"${{var.name}} {label}\"\n}}\n"
    )
}

/// The CLI configuration pointing `registry.example.com` at the test registry, with the token.
fn write_rc(dir: &Path, registry: &Registry) -> PathBuf {
    let path = dir.join("skelrc");
    fs::write(
        &path,
        format!(
            "host \"registry.example.com\" {{\n  services = {{\n    \"modules.v1\" = \"{}\"\n  }}\n}}\n\ncredentials \"registry.example.com\" {{\n  token = \"{TOKEN}\"\n}}\n",
            registry.modules_url()
        ),
    )
    .unwrap();
    path
}

fn run(root: &Path, rc: &Path, args: &[&str]) -> Out {
    let out = skelc(root, args)
        .env("SKEL_CLI_CONFIG_FILE", rc.to_str().unwrap())
        .env("HOME", root.to_str().unwrap())
        .run();
    assert!(
        !out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN),
        "the token was shown: {out:?}"
    );
    out
}

fn manifest(root: &Path) -> serde_json::Value {
    let text = fs::read_to_string(root.join(".skel/modules/modules.json")).expect("a manifest");
    serde_json::from_str(&text).expect("the manifest is JSON")
}

fn entry<'a>(manifest: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    manifest["modules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == key)
        .unwrap_or_else(|| panic!("no entry {key} in {manifest:#}"))
}

fn root_calling(source: &str, version: Option<&str>) -> (tempfile::TempDir, PathBuf) {
    let version = version.map_or(String::new(), |v| format!("  version = \"{v}\"\n"));
    project(&[(
        "main.skel",
        &format!(
            "module \"net\" {{\n  source  = \"{source}\"\n{version}  name    = \"net\"\n}}\n\noutput \"which\" {{\n  value = module.net.which\n}}\n"
        ),
    )])
}

/// The value `plan` shows for the root's `which` output.
fn planned_which(root: &Path, rc: &Path) -> String {
    let out = run(root, rc, &["plan", "--no-color"]);
    assert_eq!(out.code, 0, "{out:?}");
    let line = out
        .stdout
        .lines()
        .find(|l| l.contains("which ="))
        .unwrap_or_else(|| panic!("no output in the plan: {out:?}"));
    line.split_once('=')
        .unwrap()
        .1
        .trim()
        .trim_matches('"')
        .to_string()
}

/// Every file under `dir` that holds `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if fs::read(&p).is_ok_and(|b| String::from_utf8_lossy(&b).contains(needle)) {
                out.push(p);
            }
        }
    }
    out
}

/// A registry module backed by a git repository with tags v1.0.0, v1.2.0, v2.0.0 (and a
/// prerelease v2.1.0-beta1), each module saying its version; the module sits in `modules/net`.
fn registry_with_versions(base: &Path) -> (Registry, PathBuf) {
    let registry = Registry::start(Some(TOKEN));
    let net = repo(&base.join("net-repo"), &[("README", "net")]);
    for v in ["1.0.0", "1.2.0", "2.0.0", "2.1.0-beta1"] {
        commit(&net, &[("modules/net/main.skel", &module(v))], v);
        git(&net, &["tag", &format!("v{v}")]);
        registry.publish(
            "acme/net/aws",
            v,
            &format!("{}//modules/net", file_source(&net, Some(&format!("v{v}")))),
        );
    }
    (registry, net)
}

#[test]
fn registry_versions_constraints_token_and_idempotence() {
    let base = tempfile::tempdir().unwrap();
    let (registry, net) = registry_with_versions(base.path());
    let rc = write_rc(base.path(), &registry);
    let (_tmp, root) = root_calling("registry.example.com/acme/net/aws", Some("~> 1.0"));

    // Before init: one diagnostic, at the source.
    let out = run(&root, &rc, &["check", "--no-color"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.stderr.matches("error[").count(), 1, "{out:?}");
    assert!(
        out.stderr
            .contains("error[module-not-installed]: Module not installed; run `skelc init`"),
        "{out:?}"
    );
    assert!(out.stderr.contains("main.skel:2:13"), "{out:?}");

    let out = run(&root, &rc, &["init"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("Modules: 1 installed, 0 kept."),
        "{out:?}"
    );
    let m = manifest(&root);
    let e = entry(&m, "net");
    assert_eq!(e["version"], "1.2.0", "{m:#}");
    assert_eq!(e["version_constraint"], "~> 1.0");
    assert_eq!(e["source"], "registry.example.com/acme/net/aws");
    assert_eq!(e["dir"], ".skel/modules/net/modules/net");
    assert_eq!(e["commit"], git(&net, &["rev-parse", "v1.2.0^{commit}"]));
    assert_eq!(planned_which(&root, &rc), "net 1.2.0");
    // Every registry request carried the token.
    let seen = registry.seen();
    assert!(
        seen.iter().any(|s| s.path.ends_with("/versions")),
        "{seen:?}"
    );
    assert!(
        seen.iter().any(|s| s.path.ends_with("/1.2.0/download")),
        "{seen:?}"
    );
    for s in &seen {
        assert_eq!(
            s.authorization.as_deref(),
            Some(format!("Bearer {TOKEN}").as_str()),
            "{s:?}"
        );
    }
    // The token is in no file skel wrote.
    assert!(files_containing(&root, TOKEN).is_empty());

    // A second init downloads nothing and changes nothing.
    let manifest_file = root.join(".skel/modules/modules.json");
    let before: SystemTime = fs::metadata(&manifest_file).unwrap().modified().unwrap();
    let marker = root.join(".skel/modules/net/marker");
    fs::write(&marker, "kept").unwrap();
    let requests = registry.seen().len();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let out = run(&root, &rc, &["init"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("Modules: 0 installed, 1 kept."),
        "{out:?}"
    );
    assert_eq!(
        registry.seen().len(),
        requests,
        "a second init asked the registry again"
    );
    assert_eq!(
        fs::metadata(&manifest_file).unwrap().modified().unwrap(),
        before
    );
    assert!(marker.exists(), "a second init replaced the package");

    // An installed module whose directory was removed is not installed, and init puts it back.
    fs::remove_dir_all(root.join(".skel/modules/net")).unwrap();
    let out = run(&root, &rc, &["check", "--no-color"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.stderr.matches("error[").count(), 1, "{out:?}");
    assert!(
        out.stderr.contains("error[module-not-installed]") && out.stderr.contains("is gone"),
        "{out:?}"
    );
    let out = run(&root, &rc, &["init"]);
    assert!(
        out.stdout.contains("Modules: 1 installed, 0 kept."),
        "{out:?}"
    );
    assert_eq!(planned_which(&root, &rc), "net 1.2.0");

    // Each constraint picks the highest version it allows; a changed constraint is not
    // installed until init runs again.
    for (constraint, want) in [
        ("= 1.0.0", "1.0.0"),
        ("1.0.0", "1.0.0"),
        (">= 1.0.0, < 2.0.0", "1.2.0"),
        ("!= 2.0.0", "1.2.0"),
        ("> 1.2.0", "2.0.0"),
        ("<= 1.2.0", "1.2.0"),
        ("< 1.2.0", "1.0.0"),
        ("~> 1.0.0", "1.0.0"),
        (">= 1.0", "2.0.0"),
        ("2.1.0-beta1", "2.1.0-beta1"),
    ] {
        let text = fs::read_to_string(root.join("main.skel")).unwrap();
        let start = text.find("version = \"").unwrap() + "version = \"".len();
        let end = start + text[start..].find('"').unwrap();
        fs::write(
            root.join("main.skel"),
            format!("{}{constraint}{}", &text[..start], &text[end..]),
        )
        .unwrap();
        let out = run(&root, &rc, &["check", "--no-color"]);
        assert_eq!(out.code, 1, "{constraint}: {out:?}");
        assert!(
            out.stderr.contains("error[module-not-installed]"),
            "{constraint}: {out:?}"
        );
        assert_eq!(
            out.stderr.matches("error[").count(),
            1,
            "{constraint}: {out:?}"
        );
        let out = run(&root, &rc, &["init"]);
        assert_eq!(out.code, 0, "{constraint}: {out:?}");
        assert_eq!(
            entry(&manifest(&root), "net")["version"],
            want,
            "{constraint}"
        );
        assert_eq!(
            planned_which(&root, &rc),
            format!("net {want}"),
            "{constraint}"
        );
    }
}

#[test]
fn upgrade_chooses_again_and_a_plain_init_keeps() {
    let base = tempfile::tempdir().unwrap();
    let (registry, net) = registry_with_versions(base.path());
    let rc = write_rc(base.path(), &registry);
    let (_tmp, root) = root_calling("registry.example.com/acme/net/aws", Some("~> 1.0"));
    assert_eq!(run(&root, &rc, &["init"]).code, 0);
    assert_eq!(entry(&manifest(&root), "net")["version"], "1.2.0");

    commit(
        &net,
        &[("modules/net/main.skel", &module("1.3.0"))],
        "1.3.0",
    );
    git(&net, &["tag", "v1.3.0"]);
    registry.publish(
        "acme/net/aws",
        "1.3.0",
        &format!("{}//modules/net", file_source(&net, Some("v1.3.0"))),
    );

    let out = run(&root, &rc, &["init"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(entry(&manifest(&root), "net")["version"], "1.2.0");
    let out = run(&root, &rc, &["init", "-upgrade"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("Modules: 1 installed, 0 kept."),
        "{out:?}"
    );
    assert_eq!(entry(&manifest(&root), "net")["version"], "1.3.0");
    assert_eq!(planned_which(&root, &rc), "net 1.3.0");
}

#[test]
fn git_sources_refs_subdirs_and_nested_remote_modules() {
    let base = tempfile::tempdir().unwrap();
    let registry = Registry::start(None);
    let rc = write_rc(base.path(), &registry);
    // Repository B: a module at its root, on `main` and on a branch.
    let b = repo(&base.path().join("b"), &[("main.skel", &module("b-main"))]);
    git(&b, &["checkout", "--quiet", "-b", "feature"]);
    commit(&b, &[("main.skel", &module("b-feature"))], "feature");
    git(&b, &["checkout", "--quiet", "main"]);
    // Repository A: a tagged module in a subdirectory that calls B itself (a nested remote
    // source), and a later commit that says otherwise.
    let a = repo(&base.path().join("a"), &[("README", "a")]);
    let inner = format!(
        "variable \"name\" {{\n  type = string\n}}\n\nmodule \"b\" {{\n  source = \"{}\"\n  name   = var.name\n}}\n\noutput \"which\" {{\n  value = \"a-tagged/${{module.b.which}}\"\n}}\n",
        file_source(&b, Some("feature"))
    );
    let tagged = commit(&a, &[("modules/x/main.skel", &inner)], "tagged");
    git(&a, &["tag", "v0.1.0"]);
    commit(&a, &[("modules/x/main.skel", &module("a-later"))], "later");

    // A tag, with //subdir, and the nested call installed under the key `net.b`.
    let (_t1, root) = root_calling(
        &format!("git::file://{}//modules/x?ref=v0.1.0", a.display()),
        None,
    );
    let out = run(&root, &rc, &["init"]);
    assert_eq!(out.code, 0, "{out:?}");
    let m = manifest(&root);
    assert_eq!(entry(&m, "net")["commit"], tagged);
    assert_eq!(entry(&m, "net")["dir"], ".skel/modules/net/modules/x");
    assert_eq!(entry(&m, "net.b")["caller"], ".skel/modules/net/modules/x");
    assert_eq!(
        entry(&m, "net.b")["commit"],
        git(&b, &["rev-parse", "feature"])
    );
    assert_eq!(planned_which(&root, &rc), "a-tagged/net b-feature");

    // A commit id, and no ref at all (the default branch).
    let (_t2, root) = root_calling(
        &format!(
            "git::file://{}?ref={}",
            b.display(),
            git(&b, &["rev-parse", "main"])
        ),
        None,
    );
    assert_eq!(run(&root, &rc, &["init"]).code, 0);
    assert_eq!(planned_which(&root, &rc), "net b-main");
    let (_t3, root) = root_calling(&file_source(&b, None), None);
    assert_eq!(run(&root, &rc, &["init"]).code, 0);
    assert_eq!(planned_which(&root, &rc), "net b-main");

    // A branch, shallow.
    let (_t4, root) = root_calling(
        &format!("git::file://{}?ref=feature&depth=1", b.display()),
        None,
    );
    let out = run(&root, &rc, &["init"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(planned_which(&root, &rc), "net b-feature");

    // Changing the source makes the module uninstalled until init runs.
    let text = fs::read_to_string(root.join("main.skel"))
        .unwrap()
        .replace("ref=feature&depth=1", "ref=main");
    fs::write(root.join("main.skel"), text).unwrap();
    let out = run(&root, &rc, &["plan", "--no-color"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("the source has changed since"),
        "{out:?}"
    );
    assert_eq!(run(&root, &rc, &["init"]).code, 0);
    assert_eq!(planned_which(&root, &rc), "net b-main");
}

#[test]
fn archives_from_the_registry_and_by_url() {
    let base = tempfile::tempdir().unwrap();
    let registry = Registry::start(Some(TOKEN));
    let rc = write_rc(base.path(), &registry);
    let pkg = base.path().join("pkg");
    fs::create_dir_all(pkg.join("modules/net")).unwrap();
    fs::write(pkg.join("modules/net/main.skel"), module("from-tgz")).unwrap();
    let tgz = base.path().join("net.tar.gz");
    let status = std::process::Command::new("tar")
        .arg("-czf")
        .arg(&tgz)
        .arg("-C")
        .arg(&pkg)
        .arg(".")
        .status()
        .unwrap();
    assert!(status.success());
    registry.publish_file("net-1.0.0.tar.gz", fs::read(&tgz).unwrap());
    // A relative X-Terraform-Get, with a sub-directory.
    registry.publish(
        "acme/net/aws",
        "1.0.0",
        "/files/net-1.0.0.tar.gz//modules/net",
    );

    let (_t1, root) = root_calling("registry.example.com/acme/net/aws", None);
    let out = run(&root, &rc, &["init"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(planned_which(&root, &rc), "net from-tgz");
    assert!(registry
        .seen()
        .iter()
        .any(|s| s.path == "/files/net-1.0.0.tar.gz"));

    // By URL, from a server with no credentials (no token is sent to it).
    let plain = Registry::start(None);
    plain.publish_file("net.tgz", fs::read(&tgz).unwrap());
    let (_t2, root) = root_calling(&format!("{}//modules/net", plain.file_url("net.tgz")), None);
    let out = run(&root, &rc, &["init"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(planned_which(&root, &rc), "net from-tgz");
    let seen = plain.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].authorization, None);

    // A zip, named by `?archive=` since its URL does not say so.
    let zip = base.path().join("net.zip");
    let status = std::process::Command::new("zip")
        .arg("-qr")
        .arg(&zip)
        .arg(".")
        .current_dir(&pkg)
        .status()
        .unwrap();
    assert!(status.success());
    plain.publish_file("download", fs::read(&zip).unwrap());
    let (_t3, root) = root_calling(
        &format!("{}?archive=zip//modules/net", plain.file_url("download")),
        None,
    );
    let out = run(&root, &rc, &["init"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(planned_which(&root, &rc), "net from-tgz");

    // The registry address names the sub-directory; the package has none of its own.
    registry.publish("acme/pkg/aws", "1.0.0", "/files/net-1.0.0.tar.gz");
    let (_t4, root) = root_calling("registry.example.com/acme/pkg/aws//modules/net", None);
    let out = run(&root, &rc, &["init"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        entry(&manifest(&root), "net")["dir"],
        ".skel/modules/net/modules/net"
    );
    assert_eq!(planned_which(&root, &rc), "net from-tgz");
}

/// Init fails with exactly one diagnostic with the code, at the module call, and writes
/// nothing.
fn assert_init_fails(root: &Path, rc: &Path, code: &str, says: &str) -> Out {
    assert_init_fails_at(root, rc, code, says, "main.skel:2:13")
}

/// [`assert_init_fails`] with the diagnostic at `at` (`FILE:LINE:COLUMN`).
fn assert_init_fails_at(root: &Path, rc: &Path, code: &str, says: &str, at: &str) -> Out {
    let out = run(root, rc, &["init", "--no-color"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.stderr.matches("error[").count(), 1, "{out:?}");
    assert!(
        out.stderr.contains(&format!("error[{code}]")),
        "{code}: {out:?}"
    );
    assert!(out.stderr.contains(says), "{code}: {out:?}");
    assert!(out.stderr.contains(at), "not at {at}: {out:?}");
    assert!(out.stderr.contains("help:"), "{out:?}");
    assert!(!root.join(".skel/modules/modules.json").exists());
    assert!(
        !root.join(".skel/modules/net").exists(),
        "a failed install left files"
    );
    out
}

#[test]
fn each_installation_error_is_one_diagnostic_at_the_call() {
    let base = tempfile::tempdir().unwrap();
    let (registry, net) = registry_with_versions(base.path());
    let rc = write_rc(base.path(), &registry);

    let (_t, root) = root_calling("registry.example.com/acme/nosuch/aws", None);
    assert_init_fails(&root, &rc, "unknown-registry-module", "acme/nosuch/aws");

    let (_t, root) = root_calling("registry.example.com/acme/net/aws", Some(">= 3.0"));
    assert_init_fails_at(
        &root,
        &rc,
        "no-matching-module-version",
        "available: 2.1.0-beta1, 2.0.0, 1.2.0, 1.0.0",
        "main.skel:3:13",
    );

    // A registry nobody answers at.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let dead = base.path().join("dead-rc");
    fs::write(&dead, format!("host \"registry.example.com\" {{\n  services = {{\n    \"modules.v1\" = \"http://127.0.0.1:{port}/v1/modules/\"\n  }}\n}}\n")).unwrap();
    let (_t, root) = root_calling("registry.example.com/acme/net/aws", None);
    assert_init_fails(&root, &dead, "registry-unreachable", "registry.example.com");

    // Service discovery (HTTPS) of a host that does not exist, with no CLI configuration.
    let none = base.path().join("empty-rc");
    fs::write(&none, "").unwrap();
    let (_t, root) = root_calling("registry.invalid/acme/net/aws", None);
    assert_init_fails(
        &root,
        &none,
        "registry-unreachable",
        ".well-known/terraform.json",
    );
    // HTTPS to a server that speaks plain HTTP: the TLS handshake fails, cleanly.
    let tls = base.path().join("tls-rc");
    fs::write(&tls, format!("host \"registry.example.com\" {{\n  services = {{\n    \"modules.v1\" = \"https://127.0.0.1:{}/v1/modules/\"\n  }}\n}}\n", registry.port)).unwrap();
    let (_t, root) = root_calling("registry.example.com/acme/net/aws", None);
    assert_init_fails(&root, &tls, "registry-unreachable", "https://127.0.0.1");

    // A wrong token is refused by the registry: unreachable, and the token is not shown.
    let wrong = base.path().join("wrong-rc");
    fs::write(
        &wrong,
        fs::read_to_string(&rc)
            .unwrap()
            .replace(TOKEN, "not-the-token"),
    )
    .unwrap();
    let out = assert_init_fails(&root, &wrong, "registry-unreachable", "401");
    assert!(!out.stderr.contains("not-the-token"), "{out:?}");

    let (_t, root) = root_calling(&file_source(&base.path().join("no-such-repo"), None), None);
    assert_init_fails(&root, &rc, "module-download-failed", "git clone");

    let (_t, root) = root_calling(&file_source(&net, Some("v9.9.9")), None);
    assert_init_fails(&root, &rc, "invalid-module-ref", "v9.9.9");

    let (_t, root) = root_calling(
        &format!("git::file://{}//no/such/dir?ref=v1.0.0", net.display()),
        None,
    );
    assert_init_fails(&root, &rc, "module-download-failed", "no directory");

    // A registry download address that is not a package.
    registry.publish("acme/odd/aws", "1.0.0", "./not-a-package");
    let (_t, root) = root_calling("registry.example.com/acme/odd/aws", None);
    assert_init_fails(&root, &rc, "module-download-failed", "not an archive URL");

    // A broken CLI configuration is a clean error naming the file.
    let broken = base.path().join("broken-rc");
    fs::write(&broken, "credentials \"registry.example.com\" {\n}\n").unwrap();
    let out = run(&root, &broken, &["init"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("broken-rc:1") && out.stderr.contains("token"),
        "{out:?}"
    );

    // A failed re-install keeps what was installed.
    let (_t, root) = root_calling(&file_source(&net, Some("v1.0.0")), None);
    assert_eq!(run(&root, &rc, &["init"]).code, 0);
    let text = fs::read_to_string(root.join("main.skel"))
        .unwrap()
        .replace("v1.0.0", "v9.9.9");
    fs::write(root.join("main.skel"), &text).unwrap();
    let out = run(&root, &rc, &["init"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(root
        .join(".skel/modules/net/modules/net/main.skel")
        .exists());
    assert_eq!(
        entry(&manifest(&root), "net")["source"],
        file_source(&net, Some("v1.0.0"))
    );
}

#[test]
fn run_applies_a_root_that_uses_a_registry_module() {
    let base = tempfile::tempdir().unwrap();
    let registry = Registry::start(Some(TOKEN));
    let rc = write_rc(base.path(), &registry);
    let repo_dir = repo(
        &base.path().join("files"),
        &[(
            "main.skel",
            "variable \"name\" {\n  type = string\n}\n\nresource \"null_resource\" \"n\" {\n  triggers = {\n    name = var.name\n  }\n}\n\nresource \"local_file\" \"f\" {\n  filename = \"${path.root}/out-${var.name}.txt\"\n  content  = \"made by ${path.module}\"\n}\n\noutput \"which\" {\n  value = local_file.f.filename\n}\n",
        )],
    );
    git(&repo_dir, &["tag", "v1.0.0"]);
    registry.publish(
        "acme/files/null",
        "1.0.0",
        &file_source(&repo_dir, Some("v1.0.0")),
    );
    let (_t, root) = project(&[(
        "main.skel",
        "module \"files\" {\n  source  = \"registry.example.com/acme/files/null\"\n  version = \"1.0.0\"\n  name    = \"x\"\n}\n\noutput \"file\" {\n  value = module.files.which\n}\n",
    )]);
    assert_eq!(run(&root, &rc, &["init"]).code, 0);
    let out = run(&root, &rc, &["run", "--auto-approve", "--no-color"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        fs::read_to_string(root.join("out-x.txt")).unwrap(),
        "made by .skel/modules/files"
    );
    let state = cli_support::state_json(&root);
    let text = state.to_string();
    assert!(text.contains("module.files"), "{text}");
    let out = run(&root, &rc, &["plan", "--detailed-exitcode", "--no-color"]);
    assert_eq!(out.code, 0, "a second plan has changes: {out:?}");
}

/// The language server reads installed modules too: before `skelc init` the call is
/// `module-not-installed` (and its outputs untyped); once the manifest appears (a watched file),
/// the module is read from `.skel/modules/` and a misspelt output is found in the caller.
#[test]
fn the_language_server_reads_installed_modules() {
    use lsp_harness::{uri, Server};
    use serde_json::json;

    let base = tempfile::tempdir().unwrap();
    let registry = Registry::start(None);
    let rc = write_rc(base.path(), &registry);
    let b = repo(&base.path().join("b"), &[("main.skel", &module("lsp"))]);
    let source = file_source(&b, None);
    let text = format!(
        "module \"net\" {{\n  source = \"{source}\"\n  name   = \"n\"\n}}\n\noutput \"which\" {{\n  value = module.net.whihc\n}}\n"
    );
    let (_t, root) = project(&[("main.skel", &text)]);
    let main = root.join("main.skel");
    let (mut server, _) = Server::start(&root, &["utf-16"]);
    server.open(&main, &text);
    let codes = |list: &[serde_json::Value]| -> Vec<String> {
        list.iter()
            .map(|d| d["code"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let list = server.diagnostics_where(&uri(&main), |l| !l.is_empty());
    assert_eq!(codes(&list), ["module-not-installed"], "{list:?}");
    assert_eq!(
        list[0]["range"]["start"],
        json!({ "line": 1, "character": 11 })
    );

    assert_eq!(run(&root, &rc, &["init"]).code, 0);
    let manifest = root.join(".skel/modules/modules.json");
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": uri(&manifest), "type": 1 }] }),
    );
    let list = server.diagnostics_where(&uri(&main), |l| {
        l.iter().any(|d| d["code"] == "unknown-module-output")
    });
    assert_eq!(codes(&list), ["unknown-module-output"], "{list:?}");
    server.shutdown();
}
