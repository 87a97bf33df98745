//! Terraform's attribute syntax for `computed` block types, as the engine hands it to the
//! provider: no blocks written is null (the resource does not manage them), `ingress = []` is
//! an empty set (managed, none), objects written as an attribute have the shape written blocks
//! have (every argument present, defaults applied), and written blocks are as before.

mod common;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use skel_plan_ir::State;
use skel_provider::{
    ApplyRequest, PlanRequest, PlanResponse, Provider, ProviderError, ProviderFactory,
};
use skel_runtime::{plan, PlanOptions, ProviderRegistry, Silent};
use skel_value::{Type, Value};

/// An `aws` provider that records each configuration it is asked to plan.
#[derive(Default)]
struct Recorder(Mutex<Vec<(String, Value)>>);

struct Aws(Arc<Recorder>);

#[async_trait]
impl Provider for Aws {
    fn name(&self) -> &str {
        "aws"
    }

    async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
        let name = request.config.as_mapping().and_then(|m| m.get("name"));
        let name = name.and_then(Value::as_str).unwrap_or_default().to_string();
        self.0
             .0
            .lock()
            .unwrap()
            .push((name, request.config.clone()));
        Ok(PlanResponse {
            planned: Value::Unknown(Type::Dynamic),
            requires_replace: vec![],
        })
    }

    async fn apply(&self, _: ApplyRequest<'_>) -> Result<Value, ProviderError> {
        Err(ProviderError::Other("not applied here".into()))
    }

    async fn read(&self, _: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        Ok(Some(state.clone()))
    }

    async fn read_data(&self, _: &str, config: &Value) -> Result<Value, ProviderError> {
        Ok(config.clone())
    }

    async fn import(&self, _: &str, _: &str) -> Result<Value, ProviderError> {
        Err(ProviderError::Other("no import".into()))
    }
}

struct Factory(Arc<Recorder>);

impl ProviderFactory for Factory {
    fn name(&self) -> &str {
        "aws"
    }
    fn configure(&self, _: &Value) -> Result<Arc<dyn Provider>, ProviderError> {
        Ok(Arc::new(Aws(self.0.clone())))
    }
}

fn field<'a>(v: &'a Value, name: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    v.as_mapping().and_then(|m| m.get(name)).unwrap_or(&NULL)
}

#[tokio::test]
async fn unwritten_empty_and_written_rules_reach_the_provider_apart() {
    let config = common::config(
        r#"
resource "aws_security_group" "a" {
  name = "unwritten"
}

resource "aws_security_group" "b" {
  name    = "none"
  ingress = []
}

resource "aws_security_group" "c" {
  name    = "attribute"
  ingress = [{ from_port = 22, to_port = 22, protocol = "tcp", cidr_blocks = ["10.0.0.0/8"] }]
}

resource "aws_security_group" "d" {
  name = "block"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }
}
"#,
    );
    let recorder = Arc::new(Recorder::default());
    let registry =
        ProviderRegistry::new([Arc::new(Factory(recorder.clone())) as Arc<dyn ProviderFactory>]);
    // The recorder's plans are not valid objects: only what it was given matters here.
    let _ = plan(
        config,
        &State::new("l"),
        &registry,
        &PlanOptions::default(),
        &Silent,
    )
    .await;
    let seen: std::collections::BTreeMap<String, Value> =
        recorder.0.lock().unwrap().iter().cloned().collect();
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert_eq!(field(&seen["unwritten"], "ingress"), &Value::Null);
    assert_eq!(field(&seen["unwritten"], "egress"), &Value::Null);
    assert_eq!(field(&seen["none"], "ingress"), &Value::Set(Vec::new()));
    assert_eq!(field(&seen["none"], "egress"), &Value::Null);
    // The attribute and the block give the provider the same rule.
    let attribute = field(&seen["attribute"], "ingress");
    assert_eq!(attribute, field(&seen["block"], "ingress"));
    let rule = &attribute.as_sequence().expect("a set")[0];
    assert_eq!(field(rule, "self"), &Value::Bool(false), "default applied");
    assert_eq!(field(rule, "description"), &Value::Null, "left out: null");
}

/// A computed-only attribute written as a reference: null reaches the provider as if it were
/// left out (Terraform accepts it; the published EKS module passes an unset variable through),
/// and any other value refuses the plan with a message naming the attribute.
#[tokio::test]
async fn a_computed_attribute_may_be_written_only_as_null() {
    let text = r#"
variable "ipv6" {
  type    = string
  default = null
}

resource "aws_eks_cluster" "c" {
  name     = "c"
  role_arn = "arn:aws:iam::123456789012:role/eks"
  vpc_config {
    subnet_ids = ["subnet-1", "subnet-2"]
  }
  kubernetes_network_config {
    service_ipv6_cidr = var.ipv6
  }
}
"#;
    let recorder = Arc::new(Recorder::default());
    let registry =
        ProviderRegistry::new([Arc::new(Factory(recorder.clone())) as Arc<dyn ProviderFactory>]);
    let _ = plan(
        common::config(text),
        &State::new("l"),
        &registry,
        &PlanOptions::default(),
        &Silent,
    )
    .await;
    let seen = recorder.0.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let network = &field(&seen[0].1, "kubernetes_network_config")
        .as_sequence()
        .expect("a list")[0];
    assert_eq!(field(network, "service_ipv6_cidr"), &Value::Null);

    let recorder = Arc::new(Recorder::default());
    let registry =
        ProviderRegistry::new([Arc::new(Factory(recorder.clone())) as Arc<dyn ProviderFactory>]);
    let options = PlanOptions {
        variables: [("ipv6".to_string(), Value::string("fd00::/108"))].into(),
        ..PlanOptions::default()
    };
    let refused = plan(
        common::config(text),
        &State::new("l"),
        &registry,
        &options,
        &Silent,
    )
    .await;
    let errors = match refused {
        Ok(_) => panic!("a computed attribute with a value was planned"),
        Err(e) => format!("{e:?}"),
    };
    assert!(
        errors.contains("`service_ipv6_cidr` is computed by the provider"),
        "{errors}"
    );
    assert!(
        recorder.0.lock().unwrap().is_empty(),
        "the provider was asked to plan it"
    );
}
