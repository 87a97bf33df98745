//! Recovery of an interrupted run: the journal it left reconciled with the real objects
//! through their providers before anything else happens.

use std::collections::BTreeMap;
use std::sync::Arc;

use skel_runtime::ProviderRegistry;
use skel_state::Journal;
use skel_value::Value;

use super::Locked;

/// Recover an interrupted run's journal, if there is one: read the affected objects back
/// through their providers, fold the answers into state, write it, and say what happened.
pub async fn recover(
    locked: &mut Locked,
    registry: &ProviderRegistry,
    project: &crate::project::Project,
) -> anyhow::Result<()> {
    let Some(pending) = locked.store.pending_journal()? else {
        return Ok(());
    };
    if pending.is_empty() {
        Journal::discard(&locked.lock)?;
        return Ok(());
    }
    eprintln!("An earlier run was interrupted; reconciling its journal with the real objects…");
    let plan = skel_state::reconcile_plan(&pending, &locked.state);
    // Every schema first (built in, or the plugin's stored one), before any provider call.
    let schemas: BTreeMap<u64, &'static skel_schema::ResourceSchema> = {
        let lookup = crate::state_schemas::StateSchemas::new(&project.root, Some(&*project.config));
        plan.iter()
            .filter(|s| s.needs_provider())
            .filter_map(|s| {
                let r = &s.intent().addr.resource;
                let schema = lookup.resource(r.mode, &r.module, &r.type_name)?;
                Some((s.intent().seq, schema))
            })
            .collect()
    };
    let mut answers: BTreeMap<u64, Option<serde_json::Value>> = BTreeMap::new();
    // Interrupted creates whose provider has no way to look for what they made (a plugin).
    let mut cannot_tell: BTreeMap<u64, String> = BTreeMap::new();
    // How the report names their providers (state key → the plugin's source address).
    let mut shown: BTreeMap<String, String> = BTreeMap::new();
    for step in plan.iter().filter(|s| s.needs_provider()) {
        let intent = step.intent();
        let provider = provider_for(registry, project, &intent.provider)?;
        let type_name = &intent.addr.resource.type_name;
        let typed = |json: &Option<serde_json::Value>| -> Option<Value> {
            let schema = schemas.get(&intent.seq)?;
            json.as_ref().and_then(|j| {
                skel_value::convert(&Value::from_json(j), &schema.computed_object_type()).ok()
            })
        };
        let answer = match step {
            skel_state::Recovery::RecoverCreate { .. } => {
                // What was unknown at the call is unknown again: the provider fills it in from
                // the object it finds, instead of taking the journal's `null` for the value.
                let planned = typed(&intent.planned)
                    .map(|p| p.with_unknowns_at(&intent.unknown))
                    .unwrap_or(Value::Null);
                provider
                    .recover(skel_provider::RecoverRequest {
                        type_name,
                        planned: &planned,
                        address: &intent.addr.to_string(),
                        token: intent.token.as_deref(),
                    })
                    .await
            }
            _ => match typed(&intent.prior) {
                Some(prior) => provider.read(type_name, &prior).await,
                None => Ok(None),
            },
        };
        match answer {
            Ok(v) => {
                answers.insert(intent.seq, v.map(|v| v.to_json()));
            }
            Err(skel_provider::ProviderError::CannotTell(reason))
                if matches!(step, skel_state::Recovery::RecoverCreate { .. }) =>
            {
                cannot_tell.insert(intent.seq, reason);
                let source = project
                    .plugins
                    .iter()
                    .find(|(_, p)| p.local_name == provider.name())
                    .map(|(source, _)| format!("plugin `{source}`"));
                shown.insert(
                    intent.provider.clone(),
                    source.unwrap_or_else(|| format!("provider `{}`", intent.provider)),
                );
            }
            Err(e) => {
                // A provider's message may quote the values it was given: scrub what the
                // journal recorded as sensitive, in the planned and the prior object.
                let mut message = e.to_string();
                for object in [&intent.planned, &intent.prior] {
                    if let Some(value) = typed(object) {
                        let marked =
                            value.mark_paths(&intent.sensitive_paths, skel_value::Marks::SENSITIVE);
                        message = skel_runtime::scrub_message(&message, &marked);
                    }
                }
                eprintln!(
                    "  {}: could not check with the provider: {message}",
                    intent.addr
                )
            }
        }
    }
    let report = skel_state::apply_recovered_with(&mut locked.state, &plan, &answers, &cannot_tell);
    for note in &report.notes {
        eprintln!("  {note}");
    }
    for create in &report.unverified {
        eprintln!(
            "  warning: {}: the interrupted create went through {}, which cannot say \
             whether it made an object ({}). It is recorded as not created and the next apply \
             creates it; if the interrupted create did make one, that object is outside state: \
             check, and `skelc import` it or delete it.",
            create.addr,
            shown
                .get(&create.provider)
                .map(String::as_str)
                .unwrap_or(&create.provider),
            create.reason
        );
    }
    for orphan in &report.orphaned {
        eprintln!(
            "  {}: an old object may still exist outside state (provider {})",
            orphan.addr, orphan.provider
        );
    }
    locked.store.write(&locked.lock, &mut locked.state)?;
    if report.is_complete() {
        Journal::discard(&locked.lock)?;
        match report.unverified.len() {
            0 => eprintln!(
                "Recovered: state now accounts for every object the interrupted run touched.\n"
            ),
            n => eprintln!(
                "Recovered: state now accounts for every object the interrupted run touched, \
                 except what the {n} create(s) reported above may have made.\n"
            ),
        }
    } else {
        anyhow::bail!("recovery is incomplete for {} object(s); the journal is kept — check the provider's access and run the command again", report.unresolved.len());
    }
    Ok(())
}

/// The provider of a state key, configured from its `provider` block (a kubeconfig path, a
/// host, a region…) as the plan would.
fn provider_for(
    registry: &ProviderRegistry,
    project: &crate::project::Project,
    key: &str,
) -> anyhow::Result<Arc<dyn skel_provider::Provider>> {
    skel_runtime::configure_provider(project.config.clone(), &project.variables, registry, key)
        .map_err(|e| anyhow::anyhow!("configuring provider `{key}` to recover its objects: {e}"))
}
