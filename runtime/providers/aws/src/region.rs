//! v6's per-resource `region`: an object whose `region` is set is managed in that region with
//! the provider's credentials, endpoint settings, retries and call counter. The region of the
//! object a call is about is task-local ([`in_region`], set around every apply, read, import,
//! recovery and data-source read of such an object), so `p.ec2()` and the other client getters
//! hand out that region's clients, and everything merged or cached across calls (the read
//! coalescer, per-key lookups, objects a wait has seen) is keyed by it ([`scoped`]) and never
//! mixes two regions. Clients for a region other than the provider's are made on first use and
//! kept ([`RegionalClients`]). Import ids may end in `@REGION` ([`split_import_id`]).

use std::future::Future;

use skel_provider::ProviderError;
use skel_value::Value;
use tokio::sync::OnceCell;

use crate::common::get_str;
use crate::iam::account::is_region_name;
use crate::Clients;

tokio::task_local! {
    /// The region of the object the call in progress is about, when it names one.
    static REGION: String;
}

/// The region set for the call in progress ([`in_region`]), if any.
pub(crate) fn current() -> Option<String> {
    REGION.try_with(Clone::clone).ok()
}

/// `key` qualified by the region of the call in progress, for maps and merged calls shared by
/// every call of a provider: `us-west-2/aws_vpc`; `key` itself in the provider's own region.
pub(crate) fn scoped(key: &str) -> String {
    match current() {
        Some(region) => format!("{region}/{key}"),
        None => key.to_string(),
    }
}

/// Runs `fut` with `region` as the region of its calls (the provider's region for `None`).
pub(crate) async fn in_region<F: Future>(region: Option<String>, fut: F) -> F::Output {
    match region {
        Some(region) => REGION.scope(region, fut).await,
        None => fut.await,
    }
}

/// The `region` an object (a planned value, a state, a data source's arguments) names: `None`
/// when it names none (left out, unknown), so the provider's region applies. An error for a
/// value that is no region name.
pub(crate) fn of(type_name: &str, value: &Value) -> Result<Option<String>, ProviderError> {
    match get_str(value, "region") {
        None | Some("") => Ok(None),
        Some(r) if is_region_name(r) => Ok(Some(r.to_string())),
        Some(r) => Err(invalid(type_name, r)),
    }
}

/// The error for a `region` that is no region name.
pub(crate) fn invalid(type_name: &str, region: &str) -> ProviderError {
    ProviderError::InvalidConfig(format!(
        "{type_name}: `region = {region:?}` is not a region name (such as \"us-west-2\")."
    ))
}

/// An import id and the region it names: `vpc-0abc@us-west-2` is `vpc-0abc` in us-west-2 (v6's
/// import-id suffix). A suffix that is no region name is part of the id.
pub(crate) fn split_import_id(id: &str) -> (&str, Option<String>) {
    match id.rsplit_once('@') {
        Some((bare, region)) if !bare.is_empty() && is_region_name(region) => {
            (bare, Some(region.to_string()))
        }
        _ => (id, None),
    }
}

/// How many regions other than its own one provider keeps clients for (AWS has fewer).
const SLOTS: usize = 64;

/// The clients of the regions other than the provider's, made on first use: each slot is
/// claimed by the first region that finds it empty; a region looks for its own slot in order.
pub(crate) struct RegionalClients(Box<[OnceCell<Clients>]>);

impl Default for RegionalClients {
    fn default() -> Self {
        RegionalClients((0..SLOTS).map(|_| OnceCell::new()).collect())
    }
}

impl RegionalClients {
    /// The clients of `region`, made with `make` when this is the region's first call.
    pub(crate) async fn get<F>(&self, region: &str, make: F) -> Result<&Clients, ProviderError>
    where
        F: Fn() -> Clients,
    {
        for slot in self.0.iter() {
            let clients = slot.get_or_init(|| async { make() }).await;
            if clients.region == region {
                return Ok(clients);
            }
        }
        Err(ProviderError::InvalidConfig(format!(
            "region {region}: one provider manages objects in at most {SLOTS} regions."
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_id_may_name_its_region() {
        assert_eq!(
            split_import_id("vpc-0abc@us-west-2"),
            ("vpc-0abc", Some("us-west-2".to_string()))
        );
        assert_eq!(split_import_id("vpc-0abc"), ("vpc-0abc", None));
        // A key with an `@` that names no region stays whole.
        assert_eq!(
            split_import_id("bucket/me@example.com"),
            ("bucket/me@example.com", None)
        );
        assert_eq!(split_import_id("@us-west-2"), ("@us-west-2", None));
    }

    #[tokio::test]
    async fn keys_are_qualified_by_the_region_in_scope() {
        assert_eq!(scoped("aws_vpc"), "aws_vpc");
        let inside = in_region(Some("us-west-2".into()), async { scoped("aws_vpc") }).await;
        assert_eq!(inside, "us-west-2/aws_vpc");
        assert_eq!(in_region(None, async { current() }).await, None);
    }

    #[test]
    fn a_region_must_be_a_region_name() {
        let v = |r: &str| skel_provider::kit::object([("region", Value::string(r))]);
        assert_eq!(
            of("aws_vpc", &v("eu-west-1")).unwrap().as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(of("aws_vpc", &Value::Null).unwrap(), None);
        let e = of("aws_vpc", &v("Mars")).unwrap_err().to_string();
        assert!(
            e.contains("\"Mars\"") && e.contains("not a region name"),
            "{e}"
        );
    }
}
