//! Unit tests of the module source grammar and version constraints.

use super::*;

fn ok(text: &str) -> SourceAddr {
    SourceAddr::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn err(text: &str) -> SourceError {
    match SourceAddr::parse(text) {
        Ok(addr) => panic!("{text} parsed as {addr:?}"),
        Err(e) => {
            assert!(!e.hint.is_empty(), "{text}: no hint");
            e
        }
    }
}

fn git(text: &str) -> GitAddr {
    match ok(text) {
        SourceAddr::Git(g) => g,
        other => panic!("{text}: {other:?}"),
    }
}

#[test]
fn local_paths() {
    for text in ["./x", "../x", ".", "..", "./a/b/../c"] {
        assert_eq!(ok(text), SourceAddr::Local(text.into()));
        assert!(!ok(text).is_remote());
    }
}

#[test]
fn registry_addresses() {
    let SourceAddr::Registry(r) = ok("hashicorp/consul/aws") else {
        panic!()
    };
    assert_eq!(r.host, DEFAULT_REGISTRY_HOST);
    assert_eq!(
        (r.namespace.as_str(), r.name.as_str(), r.system.as_str()),
        ("hashicorp", "consul", "aws")
    );
    assert_eq!(r.subdir, None);
    let SourceAddr::Registry(r) = ok("App.Example.com:8443/my_org/vpc-x/aws//modules/sub/") else {
        panic!()
    };
    assert_eq!(r.host, "app.example.com:8443");
    assert_eq!(r.subdir.as_deref(), Some("modules/sub"));
    assert_eq!(
        r.to_string(),
        "app.example.com:8443/my_org/vpc-x/aws//modules/sub"
    );
    let SourceAddr::Registry(r) = ok("localhost/a/b/c") else {
        panic!()
    };
    assert_eq!(r.host, "localhost");
}

#[test]
fn git_sources() {
    let g = git("git::https://example.com/vpc.git");
    assert_eq!(g.url, "https://example.com/vpc.git");
    assert_eq!((g.reference, g.subdir), (None, None));

    let g = git("git::https://example.com/vpc.git//modules/x?ref=v1.2.0");
    assert_eq!(g.url, "https://example.com/vpc.git");
    assert_eq!(g.reference.as_deref(), Some("v1.2.0"));
    assert_eq!(g.subdir.as_deref(), Some("modules/x"));

    let g = git("git::https://example.com/vpc.git?ref=v1.2.0//modules/x");
    assert_eq!(g.url, "https://example.com/vpc.git");
    assert_eq!(g.reference.as_deref(), Some("v1.2.0"));
    assert_eq!(g.subdir.as_deref(), Some("modules/x"));

    let g = git("git::file:///tmp/repo//sub?ref=main&depth=1");
    assert_eq!(g.url, "file:///tmp/repo");
    assert_eq!(g.subdir.as_deref(), Some("sub"));
    assert_eq!(g.reference.as_deref(), Some("main"));
    assert_eq!(g.depth, Some(1));

    let g = git("git::ssh://git@example.com/org/repo.git?ref=0123abc");
    assert_eq!(g.url, "ssh://git@example.com/org/repo.git");
    assert_eq!(g.reference.as_deref(), Some("0123abc"));

    let g = git("git::git@example.com:org/repo.git//x");
    assert_eq!(g.url, "ssh://git@example.com/org/repo.git");
    assert_eq!(g.subdir.as_deref(), Some("x"));

    let g = git("git@github.com:org/repo.git?ref=v2");
    assert_eq!(g.url, "ssh://git@github.com/org/repo.git");
    assert_eq!(g.reference.as_deref(), Some("v2"));
}

#[test]
fn github_shorthand() {
    let g = git("github.com/hashicorp/example");
    assert_eq!(g.url, "https://github.com/hashicorp/example.git");
    let g = git("github.com/hashicorp/example.git//modules/a?ref=v1.0.0");
    assert_eq!(g.url, "https://github.com/hashicorp/example.git");
    assert_eq!(g.subdir.as_deref(), Some("modules/a"));
    assert_eq!(g.reference.as_deref(), Some("v1.0.0"));
}

#[test]
fn archives() {
    let SourceAddr::Archive(a) = ok("https://example.com/vpc-1.2.tar.gz//modules/x") else {
        panic!()
    };
    assert_eq!(a.url, "https://example.com/vpc-1.2.tar.gz");
    assert_eq!(a.format, ArchiveFormat::TarGz);
    assert_eq!(a.subdir.as_deref(), Some("modules/x"));
    let SourceAddr::Archive(a) = ok("http://127.0.0.1:9/m.zip") else {
        panic!()
    };
    assert_eq!(a.format, ArchiveFormat::Zip);
    let SourceAddr::Archive(a) = ok("https://example.com/get?archive=tgz&token=1") else {
        panic!()
    };
    assert_eq!(a.format, ArchiveFormat::TarGz);
    assert_eq!(a.url, "https://example.com/get?token=1");
}

#[test]
fn display_round_trips() {
    for text in [
        "git::https://example.com/vpc.git//modules/x?ref=v1.2.0",
        "git::file:///tmp/r?ref=main&depth=1",
        "registry.terraform.io/a/b/c//d",
        "https://example.com/m.zip//x",
    ] {
        assert_eq!(ok(text).to_string(), text);
        assert_eq!(ok(&ok(text).to_string()), ok(text));
    }
}

#[test]
fn malformed_sources() {
    let cases = [
        ("", "empty"),
        (" ./x", "whitespace"),
        ("/abs/path", "absolute"),
        ("C:\\x", "absolute"),
        ("modules\\x", "absolute"),
        ("vpc", "neither a local path nor a registry address"),
        ("a/b", "neither a local path nor a registry address"),
        ("a/b/c/d/e", "neither a local path nor a registry address"),
        ("-a/b/aws", "not a valid registry module namespace"),
        ("a/b_/aws", "not a valid registry module name"),
        ("a/b/AWS", "not a valid target system"),
        ("a/b/c?ref=1", "no `?` arguments"),
        ("not_a_host/a/b/c", "not a valid registry host"),
        ("example.com:x/a/b/c", "not a valid registry host"),
        ("github.com/a/b/c", "exactly an owner and a repository"),
        ("github.com/a", "exactly an owner and a repository"),
        ("bitbucket.org/a/b", "bitbucket"),
        ("hg::https://example.com/r", "`hg::`"),
        ("s3::https://s3.amazonaws.com/b/m.zip", "`s3::`"),
        ("git::", "not followed by a repository URL"),
        ("git::example.com/repo", "is not a git URL"),
        ("git::ftp://example.com/r.git", "`ftp://`"),
        ("git::https://example.com/r.git?ref=", "names no ref"),
        (
            "git::https://example.com/r.git?depth=x",
            "not a whole number",
        ),
        (
            "git::https://example.com/r.git?sshkey=abc",
            "unknown query argument",
        ),
        ("git::https://example.com/r.git//", "empty"),
        ("git::https://example.com/r.git//../x", "leaves the package"),
        ("a/b/c//../../etc", "leaves the package"),
        ("https://example.com/module", "not an archive URL"),
        ("https://example.com/m?archive=rar", "not an archive format"),
        ("file:///tmp/repo", "needs the `git::` prefix"),
        ("ftp://example.com/m.zip", "`ftp://`"),
    ];
    for (text, want) in cases {
        let e = err(text);
        assert!(
            e.message.contains(want),
            "{text:?}: {:?} does not say {want:?}",
            e.message
        );
    }
}

fn versions(list: &[&str]) -> Vec<Version> {
    list.iter().map(|v| Version::parse(v).unwrap()).collect()
}

fn best(constraint: &str, list: &[&str]) -> Option<String> {
    let c = VersionConstraint::parse(constraint).unwrap();
    let vs = versions(list);
    c.best(&vs).map(|v| v.to_string())
}

#[test]
fn constraints_pick_the_highest_match() {
    let all = [
        "0.9.0",
        "1.0.0",
        "1.2.0",
        "1.2.5",
        "1.3.0",
        "2.0.0",
        "2.1.0-beta1",
    ];
    assert_eq!(best("1.2.0", &all).as_deref(), Some("1.2.0"));
    assert_eq!(best("= 1.2.0", &all).as_deref(), Some("1.2.0"));
    assert_eq!(best("!= 2.0.0", &all).as_deref(), Some("1.3.0"));
    assert_eq!(best("> 1.2.5", &all).as_deref(), Some("2.0.0"));
    assert_eq!(best(">= 1.0.0, < 1.3.0", &all).as_deref(), Some("1.2.5"));
    assert_eq!(best("<= 1.2.0", &all).as_deref(), Some("1.2.0"));
    assert_eq!(best("< 1.0.0", &all).as_deref(), Some("0.9.0"));
    assert_eq!(best("~> 1.2", &all).as_deref(), Some("1.3.0"));
    assert_eq!(best("~> 1.2.0", &all).as_deref(), Some("1.2.5"));
    assert_eq!(best("~> 1", &all).as_deref(), Some("1.3.0"));
    assert_eq!(best("~> 0.9", &all).as_deref(), Some("0.9.0"));
    assert_eq!(best(">= 3.0", &all), None);
    // Prereleases only when named exactly.
    assert_eq!(best(">= 2.0.0", &all).as_deref(), Some("2.0.0"));
    assert_eq!(best("2.1.0-beta1", &all).as_deref(), Some("2.1.0-beta1"));
    assert_eq!(best("v1.2", &["1.2.0", "1.2.1"]).as_deref(), Some("1.2.0"));
}

#[test]
fn version_order() {
    let mut vs = versions(&["1.10.0", "1.2.0", "1.2.0-rc.1", "1.2.0-beta", "v1.9"]);
    vs.sort();
    let texts: Vec<String> = vs.iter().map(ToString::to_string).collect();
    assert_eq!(
        texts,
        ["1.2.0-beta", "1.2.0-rc.1", "1.2.0", "v1.9", "1.10.0"]
    );
}

#[test]
fn malformed_constraints() {
    for text in [
        "", ">= ", "1.2,", "~> x", ">>1", "1.2.3.4", "=> 1.0", "1.-2",
    ] {
        assert!(VersionConstraint::parse(text).is_err(), "{text:?} parsed");
    }
}
