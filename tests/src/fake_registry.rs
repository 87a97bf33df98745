//! The ```` ```registry ```` fence of the markdown suites: a stand-in for the module registry
//! and package downloads, so a case can run `skelc init`'s installation walk and assert the
//! diagnostics of a failed installation. Nothing is ever downloaded: every fetch fails.
//!
//! Lines (`#` starts a comment):
//! - `unreachable HOST`: every request to HOST's registry fails to connect;
//! - `module ADDRESS VERSION…`: the registry at the address's host has the module (an address
//!   without a host is on `registry.terraform.io`); any other module is unknown;
//! - `bad-ref REF`: a git fetch of `?ref=REF` finds no such ref.

use std::path::Path;

use skel_hir::source::{FetchError, Fetcher, RegistryAddr, SourceAddr};

#[derive(Default, Debug)]
pub struct FakeRegistry {
    unreachable: Vec<String>,
    modules: Vec<(RegistryAddr, Vec<String>)>,
    bad_refs: Vec<String>,
}

impl FakeRegistry {
    /// Read the fence; a line that is not understood is an error.
    pub fn parse(text: &str) -> Result<FakeRegistry, String> {
        let mut out = FakeRegistry::default();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                [] => {}
                ["unreachable", host] => out.unreachable.push(host.to_string()),
                ["bad-ref", r] => out.bad_refs.push(r.to_string()),
                ["module", addr, versions @ ..] => match SourceAddr::parse(addr) {
                    Ok(SourceAddr::Registry(r)) => out
                        .modules
                        .push((r, versions.iter().map(|v| v.to_string()).collect())),
                    _ => return Err(format!("`{addr}` is not a registry address")),
                },
                _ => return Err(format!("cannot read registry line `{line}`")),
            }
        }
        Ok(out)
    }

    fn find(&self, addr: &RegistryAddr) -> Result<&[String], FetchError> {
        if self.unreachable.contains(&addr.host) {
            return Err(FetchError::Unreachable(format!(
                "connecting to https://{}/.well-known/terraform.json: connection refused",
                addr.host
            )));
        }
        self.modules
            .iter()
            .find(|(m, _)| {
                (&m.host, &m.namespace, &m.name, &m.system)
                    == (&addr.host, &addr.namespace, &addr.name, &addr.system)
            })
            .map(|(_, v)| v.as_slice())
            .ok_or_else(|| FetchError::NotFound("404 Not Found".into()))
    }
}

impl Fetcher for FakeRegistry {
    fn registry_versions(&mut self, addr: &RegistryAddr) -> Result<Vec<String>, FetchError> {
        self.find(addr).map(<[String]>::to_vec)
    }

    fn registry_download(
        &mut self,
        addr: &RegistryAddr,
        version: &str,
    ) -> Result<String, FetchError> {
        self.find(addr)?;
        Ok(format!(
            "git::https://git.example.com/{}/{}.git?ref=v{version}",
            addr.namespace, addr.name
        ))
    }

    fn fetch(
        &mut self,
        addr: &SourceAddr,
        _dest: &Path,
        _subdir: Option<&str>,
    ) -> Result<Option<String>, FetchError> {
        if let SourceAddr::Git(g) = addr {
            if let Some(r) = g.reference.as_ref().filter(|r| self.bad_refs.contains(r)) {
                return Err(FetchError::BadRef(format!(
                    "the repository has no tag, branch or commit `{r}`"
                )));
            }
        }
        Err(FetchError::Failed("connection refused".into()))
    }
}
