//! Static sensitivity: which expressions may evaluate to a value marked sensitive or
//! ephemeral, following the marks the runtime gives values (`skel_value::Marks`) through
//! locals, module inputs and outputs, whole resource objects, splats and every operator and
//! function; and the rules that make a secret impossible to show or persist by mistake:
//!
//! - an output whose value may be sensitive must be `sensitive = true` (`sensitive-output`);
//! - `count` and the keys of `for_each` must not be derived from a sensitive value: they are
//!   shown in instance addresses (`sensitive-count`, `sensitive-for-each`);
//! - a provider argument its provider does not treat as secret must not get a sensitive
//!   value: providers print those (`sensitive-provider-argument`);
//! - an ephemeral value must not reach what is persisted: a resource or data source argument,
//!   an output not declared ephemeral, a root output, a module variable not declared
//!   ephemeral (`ephemeral-value-persisted`).
//!
//! A module is analysed with the marks its variables may carry: declared (`sensitive = true`,
//! `ephemeral = true`), and, from the root of a project, the marks of the values its calls
//! pass in. [`module_sensitivity`] analyses a module alone (the editor's view);
//! [`project_sensitivity`] the whole tree from a root.

mod lattice;
mod module;
mod walker;

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use skel_db::{Db, Diagnostic, Directory, File};
use skel_syntax::Item;
use skel_value::Marks;

pub use lattice::Sens;

/// The diagnostics of the module in `dir` analysed alone: its variables carry only the marks
/// they declare.
#[salsa::tracked(returns(clone))]
pub fn module_sensitivity(db: &dyn Db, dir: Directory) -> Arc<Vec<Diagnostic>> {
    analyse(db, dir, false)
}

/// The diagnostics of the module tree under `root`, every module analysed with the marks the
/// values its calls pass in may carry.
#[salsa::tracked(returns(clone))]
pub fn project_sensitivity(db: &dyn Db, root: Directory) -> Arc<Vec<Diagnostic>> {
    analyse(db, root, true)
}

/// The marks a `variable` or `output` block declares: `sensitive = true`, `ephemeral = true`.
#[salsa::tracked(returns(clone))]
pub fn declared_marks(db: &dyn Db, file: File, index: u32) -> Marks {
    let Some(ast) = skel_db::item_ast(db, file, index) else {
        return Marks::NONE;
    };
    let Item::Block(block) = &*ast else {
        return Marks::NONE;
    };
    let flag = |name: &str| {
        block
            .body
            .attribute(name)
            .and_then(|a| crate::constant::constant_value(&a.expr))
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    };
    let mut marks = Marks::NONE;
    if flag("sensitive") {
        marks |= Marks::SENSITIVE;
    }
    if flag("ephemeral") {
        marks |= Marks::EPHEMERAL;
    }
    marks
}

fn analyse(db: &dyn Db, dir: Directory, is_root: bool) -> Arc<Vec<Diagnostic>> {
    let index = skel_hir::module_index(db, dir);
    let vars = index
        .variables
        .iter()
        .map(|(name, def)| {
            let marks = declared_marks(db, def.item.file, def.item.index);
            let why = module::declared_reason(&format!("`var.{name}`"), marks);
            (name.clone(), Sens::whole(marks, why))
        })
        .collect();
    let analysis = Analysis {
        db,
        memo: RefCell::default(),
        active: RefCell::default(),
        diagnostics: RefCell::default(),
    };
    analysis.module(dir, vars, is_root);
    let mut out = analysis.diagnostics.into_inner();
    dedup(&mut out);
    Arc::new(out)
}

/// Removes diagnostics with the same code at the same place (a module analysed twice, alone
/// and with what a call passes, reports a problem once).
pub(crate) fn dedup(diagnostics: &mut Vec<Diagnostic>) {
    let mut seen = HashSet::new();
    diagnostics.retain(|d| seen.insert((d.code, d.span)));
}

/// What a calling module sees of a module: its outputs' declared marks and the marks their
/// values may carry.
#[derive(PartialEq, Eq, Debug)]
pub(crate) struct ModuleResult {
    outputs: BTreeMap<String, (Marks, Sens)>,
}

type MemoKey = (Directory, Vec<(String, Sens)>);

/// One analysis run: modules analysed once per set of variable marks.
pub(crate) struct Analysis<'db> {
    db: &'db dyn Db,
    memo: RefCell<HashMap<MemoKey, Arc<ModuleResult>>>,
    /// Modules being analysed (a module-call cycle, reported elsewhere, ends here).
    active: RefCell<HashSet<Directory>>,
    diagnostics: RefCell<Vec<Diagnostic>>,
}

impl Analysis<'_> {
    pub(crate) fn module(
        &self,
        dir: Directory,
        vars: BTreeMap<String, Sens>,
        is_root: bool,
    ) -> Arc<ModuleResult> {
        let key = (dir, vars.clone().into_iter().collect::<Vec<_>>());
        if let Some(done) = self.memo.borrow().get(&key) {
            return done.clone();
        }
        // A called module outside any module-call cycle is analysed by a query, once per
        // set of variable marks for the whole database: every module of a tree, the editor's
        // per-module analyses and the project's share the analyses of their callees (in a
        // workspace without secrets, one per module). Without it, each module's analysis
        // analysed its whole subtree again: O(modules x depth), and again after every edit.
        // A module in a cycle (an error reported elsewhere) is analysed here, where `active`
        // ends the recursion.
        if !is_root && !in_call_cycle(self.db, dir) {
            let analysed = analysed_module(self.db, dir, key.1.clone());
            self.diagnostics
                .borrow_mut()
                .extend(analysed.diagnostics.iter().cloned());
            self.memo.borrow_mut().insert(key, analysed.result.clone());
            return analysed.result.clone();
        }
        if !self.active.borrow_mut().insert(dir) {
            return Arc::new(ModuleResult {
                outputs: BTreeMap::new(),
            });
        }
        let (result, diagnostics) = module::Module::new(self, dir, vars).analyse(is_root);
        self.active.borrow_mut().remove(&dir);
        self.diagnostics.borrow_mut().extend(diagnostics);
        let result = Arc::new(result);
        self.memo.borrow_mut().insert(key, result.clone());
        result
    }
}

/// A called module analysed with the marks its variables may carry: what its caller sees of
/// it, and the diagnostics of it and of the modules it calls.
#[derive(PartialEq, Eq, Debug)]
struct Analysed {
    result: Arc<ModuleResult>,
    diagnostics: Vec<Diagnostic>,
}

#[salsa::tracked(returns(clone))]
fn analysed_module(db: &dyn Db, dir: Directory, vars: Vec<(String, Sens)>) -> Arc<Analysed> {
    let analysis = Analysis {
        db,
        memo: RefCell::default(),
        active: RefCell::default(),
        diagnostics: RefCell::default(),
    };
    let (result, mut diagnostics) =
        module::Module::new(&analysis, dir, vars.into_iter().collect()).analyse(false);
    diagnostics.extend(analysis.diagnostics.into_inner());
    Arc::new(Analysed {
        result: Arc::new(result),
        diagnostics,
    })
}

/// Whether the module in `dir` reaches itself through its module calls.
#[salsa::tracked]
fn in_call_cycle(db: &dyn Db, dir: Directory) -> bool {
    let mut stack: Vec<Directory> = skel_hir::module_sources(db, dir).to_vec();
    let mut seen = HashSet::new();
    while let Some(next) = stack.pop() {
        if next == dir {
            return true;
        }
        if seen.insert(next) {
            stack.extend(skel_hir::module_sources(db, next).iter().copied());
        }
    }
    false
}
