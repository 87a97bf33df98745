//! The lifecycle every AWS resource type goes through against moto, shared by the matrix test
//! binaries of each service (`moto_matrix*.rs`): create, update in place, drift (an attribute
//! changed out of band shows as an update, which repairs it), import, out-of-band delete (read
//! says gone, the re-plan creates it again), replacement and destroy. Each step is checked
//! through the AWS API by the binary's [`Oracle`], not skel's state.

use super::*;

/// The text an update writes, which the API must show afterwards.
pub const UPDATED: &str = "skel-updated";
/// The text an out-of-band change writes, which the repair must remove.
pub const DRIFTED: &str = "skel-drifted";

/// One resource type's lifecycle: the configuration to create, an in-place update (with a
/// text the API must show afterwards), a replacement (with the argument that forces it).
/// `None` where the type has no such change.
pub struct Case {
    pub create: Value,
    pub update: Option<(Value, String)>,
    pub replace: Option<(Value, &'static str)>,
    /// The import id when it is not the state's `id`.
    pub import_id: Option<String>,
    /// Arguments the API never returns, so an import cannot compare them (a key pair's
    /// public key): a replacement planned for them after an import is expected.
    pub unknowable: &'static [&'static str],
    /// The replacement is only planned, not carried out (it is not possible against moto).
    pub replace_only_planned: bool,
    /// The replacement keeps the id (a name-identified object recreated under its name).
    pub replace_keeps_id: bool,
    /// Destroying the object leaves something the API cannot remove (S3 versioning is
    /// suspended, never turned off): the replacement and the destroy are checked with
    /// [`Oracle::destroyed`], and the object may still read back.
    pub destroy_keeps_object: bool,
}

impl Case {
    /// A case with the three configurations and nothing special.
    pub fn new(
        create: Value,
        update: Option<(Value, String)>,
        replace: Option<(Value, &'static str)>,
    ) -> Case {
        Case {
            create,
            update,
            replace,
            import_id: None,
            unknowable: &[],
            replace_only_planned: false,
            replace_keeps_id: false,
            destroy_keeps_object: false,
        }
    }
}

/// `base` with the attributes `changes` replaced.
pub fn with(base: &Value, changes: Vec<(&str, Value)>) -> Value {
    let mut out = base.clone();
    if let Value::Object(m) = &mut out {
        for (k, v) in changes {
            m.insert(k.to_string(), v);
        }
    }
    out
}

/// The AWS API's own view of objects, straight from the SDK (not the provider).
#[async_trait::async_trait]
pub trait Oracle: Sync {
    /// The object as the API shows it (its Debug text), `None` when it does not exist.
    async fn describe(&self, ty: &str, state: &Value) -> Option<String>;
    /// Changes an argument behind skel's back (writing [`DRIFTED`]); false where the type
    /// has nothing to change.
    async fn drift(&self, ty: &str, state: &Value) -> bool;
    /// Deletes the object behind skel's back, as an operator would.
    async fn delete(&self, ty: &str, state: &Value);
    /// Called after a replaced object was deleted, before its replacement is created.
    async fn replaced(&self, _ty: &str, _old: &Value) {}
    /// Whether the object shows what destroying it does: by default, that it is gone.
    async fn destroyed(&self, ty: &str, state: &Value) -> bool {
        self.describe(ty, state).await.is_none()
    }
}

/// A missing-object error code (`InvalidVpcID.NotFound`, `NoSuchEntity`, `NoSuchBucket`).
pub fn gone_code(code: Option<&str>) -> bool {
    code.is_some_and(|c| {
        c.ends_with("NotFound") || c.starts_with("NoSuch") || c == "ResourceNotFoundException"
    })
}

/// Plans the configuration from nothing and applies it: what `skelc plan` proposes once the
/// refresh found the object gone.
pub async fn create_again(p: &AwsProvider, ty: &str, cfg: &Value) -> Value {
    let r = plan(p, ty, None, cfg).await;
    assert!(
        !get(&r.planned, "id").is_known(),
        "{ty}: a create plans an unknown id: {:?}",
        r.planned
    );
    let state = apply(p, ty, None, Some(&r.planned))
        .await
        .unwrap_or_else(|e| panic!("{ty}: re-create failed: {e}"));
    let read = p.read(ty, &state).await.expect("read").expect("exists");
    assert_eq!(read, state, "{ty}: read after re-create differs");
    state
}

/// Runs case `c` of type `ty` through the whole lifecycle, checking each step with `api`.
pub async fn lifecycle(p: &AwsProvider, api: &dyn Oracle, ty: &str, c: Case) {
    // Create.
    let mut state = create(p, ty, &c.create).await;
    assert!(
        api.describe(ty, &state).await.is_some(),
        "{ty}: created object not visible through the API"
    );
    let mut cfg = c.create.clone();

    // Update in place.
    if let Some((b, marker)) = &c.update {
        state = update(p, ty, &state, b).await;
        let seen = api.describe(ty, &state).await.expect("exists after update");
        assert!(
            seen.contains(marker.as_str()),
            "{ty}: the API does not show the update ({marker}): {seen}"
        );
        cfg = b.clone();
    }

    // Drift: a change made out of band shows in the refresh and plans an update that repairs
    // it.
    if api.drift(ty, &state).await {
        let read = p.read(ty, &state).await.expect("read").expect("exists");
        assert_ne!(read, state, "{ty}: out-of-band change not seen by refresh");
        let r = plan(p, ty, Some(&read), &cfg).await;
        assert!(
            r.requires_replace.is_empty(),
            "{ty}: drift plans a replacement {:?}",
            r.requires_replace
        );
        assert_ne!(r.planned, read, "{ty}: drift plans no change");
        state = apply(p, ty, Some(&read), Some(&r.planned))
            .await
            .unwrap_or_else(|e| panic!("{ty}: repairing drift failed: {e}"));
        let seen = api.describe(ty, &state).await.expect("exists");
        assert!(
            !seen.contains(DRIFTED) && !seen.contains("4242"),
            "{ty}: drift not repaired: {seen}"
        );
        let again = p.read(ty, &state).await.expect("read").expect("exists");
        assert_eq!(plan(p, ty, Some(&again), &cfg).await.planned, again);
    }

    // Import: the imported object is the same one and matches the configuration (no
    // replacement planned).
    let import_id = c.import_id.clone().unwrap_or_else(|| str_of(&state, "id"));
    let imported = p
        .import(ty, &import_id)
        .await
        .unwrap_or_else(|e| panic!("{ty}: import {import_id}: {e}"));
    assert_eq!(
        str_of(&imported, "id"),
        str_of(&state, "id"),
        "{ty}: import"
    );
    let r = plan(p, ty, Some(&imported), &cfg).await;
    assert!(
        r.requires_replace
            .iter()
            .all(|p| c.unknowable.contains(&p.join(".").as_str())),
        "{ty}: the imported object plans a replacement {:?}",
        r.requires_replace
    );

    // Deleted out of band: the refresh says gone, the plan creates it again.
    api.delete(ty, &state).await;
    assert!(
        api.describe(ty, &state).await.is_none(),
        "{ty}: still there after the out-of-band delete"
    );
    assert_eq!(
        p.read(ty, &state).await.expect("read"),
        None,
        "{ty}: refresh does not see the out-of-band delete"
    );
    state = create_again(p, ty, &cfg).await;
    assert!(api.describe(ty, &state).await.is_some(), "{ty}: re-created");

    // Replacement: planned for the argument, then delete and create, checked through the API.
    if let Some((r_cfg, path)) = &c.replace {
        let r = plan(p, ty, Some(&state), r_cfg).await;
        assert!(
            r.requires_replace.iter().any(|x| x.join(".") == *path),
            "{ty}: expected a replacement at {path}, got {:?}",
            r.requires_replace
        );
    }
    if let Some((r_cfg, _)) = c.replace.as_ref().filter(|_| !c.replace_only_planned) {
        assert_eq!(
            apply(p, ty, Some(&state), None).await.expect("delete"),
            Value::Null
        );
        assert!(
            api.destroyed(ty, &state).await,
            "{ty}: the replaced object survived"
        );
        let old = state;
        api.replaced(ty, &old).await;
        state = create_again(p, ty, r_cfg).await;
        assert!(
            api.describe(ty, &state).await.is_some(),
            "{ty}: replacement"
        );
        if !c.replace_keeps_id {
            assert_ne!(str_of(&old, "id"), str_of(&state, "id"), "{ty}: same id");
        }
    }

    // Destroy.
    if c.destroy_keeps_object {
        assert_eq!(
            apply(p, ty, Some(&state), None).await.expect("delete"),
            Value::Null
        );
    } else {
        destroy(p, ty, &state).await;
    }
    assert!(
        api.destroyed(ty, &state).await,
        "{ty}: still there after destroy"
    );
}

/// The resource types the matrix binaries (`tests/moto_matrix*.rs`) have a lifecycle test
/// for: the `name => "aws_…"` lines of their `lifecycle_tests!` invocations.
pub fn covered_types() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("tests/") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !(name.starts_with("moto_matrix") && name.ends_with(".rs")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let Some(start) = text.find("lifecycle_tests! {") else {
            continue;
        };
        let body = &text[start..];
        let body = &body[..body.find('}').unwrap_or(body.len())];
        for line in body.lines() {
            if let Some((_, ty)) = line.split_once("=> \"") {
                out.push(ty.trim_end_matches(',').trim_end_matches('"').to_string());
            }
        }
    }
    out
}

/// One `#[tokio::test]` per `name => "type"` pair, each calling `$run("type")`.
#[macro_export]
macro_rules! lifecycle_tests {
    ($run:path; $($name:ident => $ty:literal),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                $run($ty).await;
            }
        )*
    };
}
