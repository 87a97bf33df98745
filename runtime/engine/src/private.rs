//! A provider's private data of an object as the state keeps it (base64 text) and as the
//! provider takes it (`skel_provider::Private` bytes).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use skel_plan_ir::ResourceInstanceState;
use skel_provider::Private;

/// The private data state records for an instance (none when absent or not base64: a
/// provider then plans as if it kept none, which is what it gets for an object it never saw).
pub(crate) fn of(instance: Option<&ResourceInstanceState>) -> Private {
    let text = instance?.private.as_deref()?;
    STANDARD
        .decode(text)
        .ok()
        .filter(|b| !b.is_empty())
        .map(Into::into)
}

/// Private data as state records it.
pub(crate) fn to_state(private: &Private) -> Option<String> {
    private
        .as_deref()
        .filter(|b| !b.is_empty())
        .map(|b| STANDARD.encode(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_data_round_trips_through_state_text() {
        let bytes: Private = Some(b"{\"schema_version\":\"1\"}\x00\xff".to_vec().into());
        let text = to_state(&bytes);
        assert_eq!(text.as_deref(), Some("eyJzY2hlbWFfdmVyc2lvbiI6IjEifQD/"));
        let state = ResourceInstanceState {
            provider: "skeltest".into(),
            attributes: serde_json::json!({}),
            sensitive_paths: Vec::new(),
            dependencies: Vec::new(),
            create_before_destroy: false,
            status: Default::default(),
            deposed: Vec::new(),
            private: text,
            schema_version: None,
        };
        assert_eq!(of(Some(&state)), bytes);
        assert_eq!(to_state(&Some(Vec::new().into())), None);
        assert_eq!(of(None), None);
    }
}
