//! Tests of the schema-driven planner and its hooks.

use std::cell::RefCell;

use skel_schema::{AttributeSchema, BlockSchema, NestedBlockSchema, Nesting};
use skel_value::{Type, Value};

use super::{plan, set_unknown, NoHooks, PlanHooks};
use crate::kit::access::get;
use crate::PlanResponse;

fn attr(
    ty: Type,
    kind: &str,
    force_new: bool,
    default: Option<serde_json::Value>,
) -> AttributeSchema {
    AttributeSchema {
        ty,
        required: kind == "required",
        optional: kind == "optional" || kind == "optional_computed",
        computed: kind == "computed" || kind == "optional_computed",
        sensitive: false,
        force_new,
        description: String::new(),
        default,
        derived_from: Vec::new(),
        deprecated: None,
        removed: None,
    }
}

/// `name` (required, force-new), `size` (optional, default 8), `zone` (optional+computed),
/// `id` (computed), `ports` (set of numbers), a `disk` list block (`size` force-new, `id`
/// computed) and a force-new `rule` set block.
fn schema() -> BlockSchema {
    let mut disk = BlockSchema::default();
    disk.attributes
        .insert("size".into(), attr(Type::Number, "optional", true, None));
    disk.attributes
        .insert("id".into(), attr(Type::String, "computed", false, None));
    let mut rule = BlockSchema::default();
    rule.attributes
        .insert("port".into(), attr(Type::Number, "required", false, None));
    let mut b = BlockSchema::default();
    b.attributes
        .insert("name".into(), attr(Type::String, "required", true, None));
    b.attributes.insert(
        "size".into(),
        attr(Type::Number, "optional", false, Some(serde_json::json!(8))),
    );
    b.attributes.insert(
        "zone".into(),
        attr(Type::String, "optional_computed", true, None),
    );
    b.attributes
        .insert("id".into(), attr(Type::String, "computed", false, None));
    b.attributes.insert(
        "ports".into(),
        attr(Type::set(Type::Number), "optional", false, None),
    );
    let nested = |block, nesting, force_new| NestedBlockSchema {
        nesting,
        min_items: 0,
        max_items: None,
        block,
        force_new,
        computed: false,
        deprecated: None,
        removed: None,
    };
    b.blocks
        .insert("disk".into(), nested(disk, Nesting::List, false));
    b.blocks
        .insert("rule".into(), nested(rule, Nesting::Set, true));
    b
}

fn obj(pairs: &[(&str, Value)]) -> Value {
    crate::kit::object(pairs.iter().cloned())
}
fn text(v: &str) -> Value {
    Value::string(v)
}
fn num(v: i64) -> Value {
    Value::number(v)
}
fn unknown(v: &Value) -> bool {
    matches!(v, Value::Unknown(_))
}

/// A prior object as the last apply left it.
fn prior() -> Value {
    obj(&[
        ("name", text("web")),
        ("size", num(8)),
        ("zone", text("a")),
        ("id", text("i-1")),
        ("ports", Value::Set(vec![num(443), num(22)])),
        (
            "disk",
            Value::List(vec![obj(&[("size", num(10)), ("id", text("d-1"))])]),
        ),
        (
            "rule",
            Value::Set(vec![obj(&[("port", num(1))]), obj(&[("port", num(2))])]),
        ),
    ])
}

/// The configuration that produced [`prior`], sets written in another order.
fn config() -> Value {
    obj(&[
        ("name", text("web")),
        ("ports", Value::Set(vec![num(22), num(443)])),
        ("disk", Value::List(vec![obj(&[("size", num(10))])])),
        (
            "rule",
            Value::Set(vec![obj(&[("port", num(2))]), obj(&[("port", num(1))])]),
        ),
    ])
}

#[test]
fn a_create_applies_defaults_and_leaves_computed_values_unknown() {
    let r = plan("t", &schema(), None, &config(), &NoHooks);
    assert!(r.requires_replace.is_empty());
    let p = &r.planned;
    assert_eq!(get(p, "size"), &num(8), "the schema default");
    assert!(unknown(get(p, "id")));
    assert!(
        unknown(get(p, "zone")),
        "omitted optional+computed: the provider's choice"
    );
    let disk = &get(p, "disk").as_sequence().unwrap()[0];
    assert!(unknown(get(disk, "id")), "computed inside a list block");
    // An omitted block is empty in its nesting mode.
    let bare = plan("t", &schema(), None, &obj(&[("name", text("x"))]), &NoHooks);
    assert_eq!(get(&bare.planned, "disk"), &Value::List(vec![]));
    assert_eq!(get(&bare.planned, "rule"), &Value::Set(vec![]));
    // A null configuration is a delete.
    let gone = plan("t", &schema(), Some(&prior()), &Value::Null, &NoHooks);
    assert_eq!(gone.planned, Value::Null);
}

#[test]
fn an_unchanged_object_keeps_its_computed_values_and_is_not_replaced() {
    let r = plan("t", &schema(), Some(&prior()), &config(), &NoHooks);
    assert!(r.requires_replace.is_empty(), "{:?}", r.requires_replace);
    let p = &r.planned;
    assert_eq!(get(p, "id"), &text("i-1"));
    assert_eq!(get(p, "zone"), &text("a"));
    let disk = &get(p, "disk").as_sequence().unwrap()[0];
    assert_eq!(get(disk, "id"), &text("d-1"));
}

#[test]
fn force_new_changes_replace_at_every_level() {
    let with = |name: &str, v: Value| {
        let mut c = config();
        crate::kit::set_attr(&mut c, name, v);
        c
    };
    // A top-level argument: replaced, computed values unknown.
    let r = plan(
        "t",
        &schema(),
        Some(&prior()),
        &with("name", text("db")),
        &NoHooks,
    );
    assert_eq!(r.requires_replace, vec![vec!["name".to_string()]]);
    assert!(unknown(get(&r.planned, "id")));
    // An explicitly set optional+computed argument that differs.
    let r = plan(
        "t",
        &schema(),
        Some(&prior()),
        &with("zone", text("b")),
        &NoHooks,
    );
    assert_eq!(r.requires_replace, vec![vec!["zone".to_string()]]);
    // A force-new attribute inside item 0 of a list block.
    let disk = Value::List(vec![obj(&[("size", num(20))])]);
    let r = plan(
        "t",
        &schema(),
        Some(&prior()),
        &with("disk", disk),
        &NoHooks,
    );
    let path: Vec<String> = ["disk", "0", "size"].map(String::from).into();
    assert_eq!(r.requires_replace, vec![path]);
    // A force-new set block: a changed item replaces, a reordering does not (tested above).
    let rule = Value::Set(vec![obj(&[("port", num(3))]), obj(&[("port", num(1))])]);
    let r = plan(
        "t",
        &schema(),
        Some(&prior()),
        &with("rule", rule),
        &NoHooks,
    );
    assert_eq!(r.requires_replace, vec![vec!["rule".to_string()]]);
    // A non-force-new change updates in place and keeps computed values.
    let r = plan(
        "t",
        &schema(),
        Some(&prior()),
        &with("size", num(9)),
        &NoHooks,
    );
    assert!(r.requires_replace.is_empty());
    assert_eq!(get(&r.planned, "id"), &text("i-1"));
}

#[derive(Default)]
struct Recorder {
    calls: RefCell<Vec<String>>,
}

impl PlanHooks for Recorder {
    fn plan_create(&self, type_name: &str, planned: &mut Value) {
        self.calls.borrow_mut().push(format!("create {type_name}"));
        crate::kit::set_attr(planned, "derived", text("on create"));
    }
    fn plan_update(&self, type_name: &str, prior: &Value, response: &mut PlanResponse) {
        self.calls.borrow_mut().push(format!(
            "update {type_name} from {:?}",
            get(prior, "id").as_str()
        ));
        if get(&response.planned, "size") != get(prior, "size") {
            set_unknown(&mut response.planned, "zone");
            response.requires_replace.push(vec!["size".into()]);
        }
    }
}

#[test]
fn hooks_see_creates_and_updates_and_their_changes_are_kept() {
    let hooks = Recorder::default();
    let created = plan("t", &schema(), None, &config(), &hooks);
    assert_eq!(get(&created.planned, "derived"), &text("on create"));
    let mut c = config();
    crate::kit::set_attr(&mut c, "size", num(9));
    let updated = plan("t", &schema(), Some(&prior()), &c, &hooks);
    assert_eq!(updated.requires_replace, vec![vec!["size".to_string()]]);
    assert!(unknown(get(&updated.planned, "zone")));
    assert_eq!(
        hooks.calls.into_inner(),
        vec![
            "create t".to_string(),
            "update t from Some(\"i-1\")".to_string()
        ]
    );
    // No hook runs on a delete.
    let hooks = Recorder::default();
    plan("t", &schema(), Some(&prior()), &Value::Null, &hooks);
    assert!(hooks.calls.into_inner().is_empty());
}

/// A `server` list block whose items hold a `volume` list block (`kind` force-new, `id`
/// computed), for the rules at depth two.
fn deep_schema() -> BlockSchema {
    let mut volume = BlockSchema::default();
    volume
        .attributes
        .insert("kind".into(), attr(Type::String, "optional", true, None));
    volume
        .attributes
        .insert("id".into(), attr(Type::String, "computed", false, None));
    let mut server = BlockSchema::default();
    server
        .attributes
        .insert("name".into(), attr(Type::String, "optional", false, None));
    let list = |block| NestedBlockSchema {
        nesting: Nesting::List,
        min_items: 0,
        max_items: None,
        block,
        force_new: false,
        computed: false,
        deprecated: None,
        removed: None,
    };
    server.blocks.insert("volume".into(), list(volume));
    let mut b = BlockSchema::default();
    b.blocks.insert("server".into(), list(server));
    b
}

type Volume<'a> = (Option<&'a str>, Option<&'a str>);

fn servers(volumes: &[&[Volume]]) -> Value {
    let item = |vols: &[Volume]| {
        let vols = vols
            .iter()
            .map(|(kind, id)| {
                obj(&[
                    ("kind", kind.map(text).unwrap_or(Value::Null)),
                    ("id", id.map(text).unwrap_or(Value::Null)),
                ])
            })
            .collect();
        obj(&[("name", text("s")), ("volume", Value::List(vols))])
    };
    obj(&[(
        "server",
        Value::List(volumes.iter().map(|v| item(v)).collect()),
    )])
}

fn volume_id(planned: &Value, server: usize, volume: usize) -> &Value {
    let s = &crate::kit::blocks(planned, "server")[server];
    get(&crate::kit::blocks(s, "volume")[volume], "id")
}

#[test]
fn list_blocks_are_planned_at_every_depth() {
    let prior = servers(&[&[(Some("ssd"), Some("v-1"))]]);
    // Unchanged: the computed id two levels down is kept.
    let same_config = servers(&[&[(Some("ssd"), None)]]);
    let r = plan("t", &deep_schema(), Some(&prior), &same_config, &NoHooks);
    assert!(r.requires_replace.is_empty());
    assert_eq!(volume_id(&r.planned, 0, 0), &text("v-1"));
    // An added volume's id is unknown; the existing one keeps its id.
    let added = servers(&[&[(Some("ssd"), None), (None, None)]]);
    let r = plan("t", &deep_schema(), Some(&prior), &added, &NoHooks);
    assert!(r.requires_replace.is_empty(), "{:?}", r.requires_replace);
    assert_eq!(volume_id(&r.planned, 0, 0), &text("v-1"));
    assert!(unknown(volume_id(&r.planned, 0, 1)));
    // An added volume that sets a force-new attribute replaces, as at depth one.
    let added = servers(&[&[(Some("ssd"), None), (Some("hdd"), None)]]);
    let r = plan("t", &deep_schema(), Some(&prior), &added, &NoHooks);
    let path: Vec<String> = ["server", "0", "volume", "1", "kind"]
        .map(String::from)
        .into();
    assert_eq!(r.requires_replace, vec![path]);
    // A force-new attribute two levels down replaces, with its full path, and every computed
    // value is then unknown.
    let changed = servers(&[&[(Some("hdd"), None)]]);
    let r = plan("t", &deep_schema(), Some(&prior), &changed, &NoHooks);
    let path: Vec<String> = ["server", "0", "volume", "0", "kind"]
        .map(String::from)
        .into();
    assert_eq!(r.requires_replace, vec![path]);
    assert!(unknown(volume_id(&r.planned, 0, 0)));
    // A create: unknown at every depth.
    let r = plan("t", &deep_schema(), None, &same_config, &NoHooks);
    assert!(unknown(volume_id(&r.planned, 0, 0)));
}

/// Replaces when `size` changes, as an immutable object would.
struct ImmutableSize;

impl PlanHooks for ImmutableSize {
    fn replacements(&self, _: &str, prior: &Value, config: &Value) -> Vec<crate::AttrPath> {
        if get(config, "size").is_null() || get(config, "size") == get(prior, "size") {
            return Vec::new();
        }
        vec![vec!["size".into()]]
    }
}

#[test]
fn hook_replacements_follow_the_schema_and_leave_computed_values_unknown() {
    let mut c = config();
    crate::kit::set_attr(&mut c, "size", num(9));
    let r = plan("t", &schema(), Some(&prior()), &c, &ImmutableSize);
    assert_eq!(r.requires_replace, vec![vec!["size".to_string()]]);
    assert!(unknown(get(&r.planned, "id")));
    assert!(unknown(get(&r.planned, "zone")));
    assert!(unknown(volume_id_of_disk(&r.planned)));
    // With a schema replacement too, the schema's path comes first.
    crate::kit::set_attr(&mut c, "name", text("db"));
    let r = plan("t", &schema(), Some(&prior()), &c, &ImmutableSize);
    let expected: Vec<Vec<String>> = vec![vec!["name".into()], vec!["size".into()]];
    assert_eq!(r.requires_replace, expected);
    // Nothing to replace: computed values kept.
    let r = plan("t", &schema(), Some(&prior()), &config(), &ImmutableSize);
    assert!(r.requires_replace.is_empty());
    assert_eq!(get(&r.planned, "id"), &text("i-1"));
    assert_eq!(volume_id_of_disk(&r.planned), &text("d-1"));
}

fn volume_id_of_disk(planned: &Value) -> &Value {
    get(&crate::kit::blocks(planned, "disk")[0], "id")
}

/// A set block `route` that is optional+computed (`computed: true`).
fn computed_block_schema() -> BlockSchema {
    let mut route = BlockSchema::default();
    route
        .attributes
        .insert("cidr".into(), attr(Type::String, "required", false, None));
    let mut b = BlockSchema::default();
    b.attributes
        .insert("id".into(), attr(Type::String, "computed", false, None));
    b.blocks.insert(
        "route".into(),
        NestedBlockSchema {
            nesting: Nesting::Set,
            min_items: 0,
            max_items: None,
            block: route,
            force_new: false,
            computed: true,
            deprecated: None,
            removed: None,
        },
    );
    b
}

#[test]
fn an_omitted_computed_block_keeps_what_was_observed_and_a_written_one_is_managed() {
    let schema = computed_block_schema();
    let routes =
        |cidrs: &[&str]| Value::Set(cidrs.iter().map(|c| obj(&[("cidr", text(c))])).collect());
    // Routes another resource added, observed by the refresh.
    let prior = obj(&[("id", text("rtb-1")), ("route", routes(&["10.0.0.0/8"]))]);
    for omitted in [obj(&[]), obj(&[("route", Value::Null)])] {
        let r = plan("t", &schema, Some(&prior), &omitted, &NoHooks);
        assert_eq!(r.planned, prior, "no blocks written: nothing to change");
        assert!(r.requires_replace.is_empty());
    }
    // `route = []` (attribute syntax): managed, and none, so the observed route goes.
    let none = obj(&[("route", Value::Set(Vec::new()))]);
    let r = plan("t", &schema, Some(&prior), &none, &NoHooks);
    assert_eq!(get(&r.planned, "route"), &Value::Set(Vec::new()));
    assert_ne!(r.planned, prior, "the plan removes the observed route");
    // Written blocks are managed: exactly those.
    let written = obj(&[("route", routes(&["192.168.0.0/16"]))]);
    let r = plan("t", &schema, Some(&prior), &written, &NoHooks);
    assert_eq!(get(&r.planned, "route"), &routes(&["192.168.0.0/16"]));
    // A create with none plans none.
    let r = plan("t", &schema, None, &obj(&[]), &NoHooks);
    assert_eq!(get(&r.planned, "route"), &Value::Set(Vec::new()));
}

/// A force-new set block `device` whose items have a required `name`, an optional+computed
/// `size` and a computed `id`.
fn device_schema() -> BlockSchema {
    let mut device = BlockSchema::default();
    device
        .attributes
        .insert("name".into(), attr(Type::String, "required", false, None));
    device.attributes.insert(
        "size".into(),
        attr(Type::Number, "optional_computed", false, None),
    );
    device
        .attributes
        .insert("id".into(), attr(Type::String, "computed", false, None));
    let mut b = BlockSchema::default();
    b.attributes
        .insert("tier".into(), attr(Type::String, "optional", true, None));
    b.blocks.insert(
        "device".into(),
        NestedBlockSchema {
            nesting: Nesting::Set,
            min_items: 0,
            max_items: None,
            block: device,
            force_new: true,
            computed: true,
            deprecated: None,
            removed: None,
        },
    );
    b
}

#[test]
fn set_items_are_matched_to_the_prior_ones_for_their_computed_values() {
    let schema = device_schema();
    let item = |name: &str, size: Value, id: Value| {
        obj(&[("name", text(name)), ("size", size), ("id", id)])
    };
    let prior = obj(&[
        ("tier", text("a")),
        (
            "device",
            Value::set(vec![
                item("sdg", num(8), text("vol-g")),
                item("sdf", num(20), text("vol-f")),
            ]),
        ),
    ]);
    // Written in another order, sizes left to AWS: matched by what they set, unchanged.
    let config = obj(&[
        ("tier", text("a")),
        (
            "device",
            Value::set(vec![
                item("sdf", Value::Null, Value::Null),
                item("sdg", num(8), Value::Null),
            ]),
        ),
    ]);
    let r = plan("t", &schema, Some(&prior), &config, &NoHooks);
    assert!(r.requires_replace.is_empty(), "{:?}", r.requires_replace);
    assert_eq!(r.planned, prior);
    // A device that matches none: a replacement, its computed values unknown.
    let other = obj(&[
        ("tier", text("a")),
        (
            "device",
            Value::set(vec![
                item("sdf", num(21), Value::Null),
                item("sdg", num(8), Value::Null),
            ]),
        ),
    ]);
    let r = plan("t", &schema, Some(&prior), &other, &NoHooks);
    assert_eq!(r.requires_replace, vec![vec!["device".to_string()]]);
    for d in crate::kit::blocks(&r.planned, "device") {
        assert!(
            unknown(get(d, "id")),
            "a new instance has new volumes: {d:?}"
        );
    }
    // A replacement for another reason with the devices not written: the kept devices' computed
    // values are all AWS's again.
    let moved = obj(&[("tier", text("b"))]);
    let r = plan("t", &schema, Some(&prior), &moved, &NoHooks);
    assert_eq!(r.requires_replace, vec![vec!["tier".to_string()]]);
    for d in crate::kit::blocks(&r.planned, "device") {
        assert!(unknown(get(d, "id")) && unknown(get(d, "size")), "{d:?}");
    }
    // A create: unknown.
    let r = plan("t", &schema, None, &config, &NoHooks);
    for d in crate::kit::blocks(&r.planned, "device") {
        assert!(unknown(get(d, "id")), "{d:?}");
    }
}
