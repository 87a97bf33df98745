//! Markdown checker suites: each `##`/`###` section of a `.md` file is a case whose fenced
//! `skel` blocks form a project; trailing `# error: [code]` comments assert its diagnostics.
//!
//! Format:
//!
//! - A fence ```` ```skel ```` holds a file, named by `title="path"` (default `main.skel`),
//!   relative to the case root, which is the root module.
//! - A fence ```` ```skelvars ```` holds a variable file (default title `vars.skelvars`), given
//!   to the check as `.skelvars` values.
//! - A fence ```` ```vars ```` holds one `-var NAME=VALUE` per line; an assertion on a line
//!   applies to the diagnostics of that value. A line `--require-vars` checks as
//!   `skelc check --require-vars` does: required variables without a value are errors.
//! - A fence ```` ```registry ```` describes a stand-in module registry
//!   ([`crate::fake_registry`]); the case then runs `skelc init`'s installation walk against it
//!   and asserts its diagnostics (instead of the check's).
//! - A fence ```` ```json ```` or ```` ```hcl ```` holds another file of the project, written as
//!   is (a stored plugin schema, the lock file `.skel.lock.hcl`); it needs a title, in which
//!   `OS_ARCH` stands for the platform plugins are installed for (`linux_amd64`).
//! - An assertion is a trailing comment on the line where a diagnostic starts:
//!   `# error: [code]`, `# warning: [code] "message substring"`, several per line allowed.
//!   Every diagnostic must be asserted and every assertion matched.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use skel_db::{Code, Db, File, MemorySystem, Severity, SkelDatabase, System};
use skel_types::{ProjectInput, VarValue};

/// The directory every case's files live under.
pub const CASE_ROOT: &str = "/case";

/// A [`MemorySystem`] that answers `read_dir` of a missing directory itself.
///
/// `MemorySystem::read_dir` calls `is_dir` while holding its own lock when a directory has no
/// entries, which deadlocks (for example on a module `source` that does not exist), so this
/// wrapper checks `is_dir` first.
#[derive(Default)]
pub struct CaseSystem(pub MemorySystem);

impl System for CaseSystem {
    fn read_to_string(&self, path: &Path) -> std::io::Result<String> {
        self.0.read_to_string(path)
    }

    fn read_dir(&self, path: &Path) -> std::io::Result<Vec<PathBuf>> {
        if !self.0.is_dir(path) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no such directory",
            ));
        }
        self.0.read_dir(path)
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.0.is_dir(path)
    }

    fn is_file(&self, path: &Path) -> bool {
        self.0.is_file(path)
    }
}

/// One markdown suite.
#[derive(Debug)]
pub struct Suite {
    pub path: PathBuf,
    pub cases: Vec<Case>,
    /// Problems with the markdown itself (a block outside a case, a bad fence…).
    pub errors: Vec<String>,
}

/// One case: a section with at least one code block.
#[derive(Debug, Default)]
pub struct Case {
    /// The heading path, `Blocks > Labels > Too many labels`.
    pub name: String,
    /// Line of the heading in the markdown file (1-based).
    pub line: usize,
    pub files: Vec<CaseFile>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A `.skel` source file.
    Skel,
    /// A `.skelvars` variable file.
    VarFile,
    /// `-var NAME=VALUE` lines.
    CliVars,
    /// A stand-in module registry: the case runs `skelc init`'s walk.
    Registry,
}

#[derive(Debug)]
pub struct CaseFile {
    /// Path relative to the case root.
    pub title: String,
    pub kind: FileKind,
    pub text: String,
    /// Line in the markdown file of the block's first content line (1-based).
    pub md_line: usize,
}

/// An expected diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assertion {
    pub severity: Severity,
    pub code: String,
    pub message: Option<String>,
}

/// A diagnostic, resolved to a file title and a 1-based line.
#[derive(Debug, Clone)]
pub struct Actual {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub severity: Severity,
    pub code: Code,
    pub text: String,
}

impl Suite {
    /// Read and parse a markdown suite.
    pub fn load(path: &Path) -> Suite {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let mut suite = parse_markdown(&text);
        suite.path = path.to_path_buf();
        suite
    }
}

/// Split markdown into cases.
pub fn parse_markdown(text: &str) -> Suite {
    let mut suite = Suite {
        path: PathBuf::new(),
        cases: Vec::new(),
        errors: Vec::new(),
    };
    let mut headings: Vec<(usize, String)> = Vec::new();
    let mut current: Option<Case> = None;
    let mut fence: Option<(String, Option<CaseFile>)> = None;
    for (i, line) in text.lines().enumerate() {
        let lineno = i + 1;
        if let Some((marker, file)) = &mut fence {
            if line.trim_start().starts_with(marker.as_str())
                && line.trim().chars().all(|c| c == '`')
            {
                if let Some(file) = file.take() {
                    match &mut current {
                        Some(case) => case.files.push(file),
                        None => suite.errors.push(format!(
                            "line {}: a `skel` block outside a `##` section",
                            file.md_line - 1
                        )),
                    }
                }
                fence = None;
            } else if let Some(file) = file {
                file.text.push_str(line);
                file.text.push('\n');
            }
            continue;
        }
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix("```") {
            let ticks = 3 + rest.chars().take_while(|&c| c == '`').count();
            let info = rest.trim_start_matches('`').trim();
            let (lang, options) = info.split_once(char::is_whitespace).unwrap_or((info, ""));
            let kind = match lang {
                "skel" | "json" | "hcl" => Some(FileKind::Skel),
                "skelvars" => Some(FileKind::VarFile),
                "vars" => Some(FileKind::CliVars),
                "registry" => Some(FileKind::Registry),
                _ => None,
            };
            let file = match kind {
                None => None,
                Some(kind) => match parse_title(options) {
                    Ok(title) => Some(CaseFile {
                        title: title.unwrap_or_else(|| match kind {
                            FileKind::Skel => "main.skel".into(),
                            FileKind::VarFile => "vars.skelvars".into(),
                            FileKind::CliVars => "<-var>".into(),
                            FileKind::Registry => "<registry>".into(),
                        }),
                        kind,
                        text: String::new(),
                        md_line: lineno + 1,
                    }),
                    Err(e) => {
                        suite.errors.push(format!("line {lineno}: {e}"));
                        None
                    }
                },
            };
            fence = Some(("`".repeat(ticks), file));
            continue;
        }
        let level = trimmed.chars().take_while(|&c| c == '#').count();
        if level > 0 && trimmed[level..].starts_with(' ') {
            let title = trimmed[level..].trim().to_string();
            if let Some(case) = current.take() {
                if !case.files.is_empty() {
                    suite.cases.push(case);
                }
            }
            headings.retain(|(l, _)| *l < level);
            headings.push((level, title));
            if level >= 2 {
                current = Some(Case {
                    name: headings
                        .iter()
                        .filter(|(l, _)| *l >= 2)
                        .map(|(_, t)| t.as_str())
                        .collect::<Vec<_>>()
                        .join(" > "),
                    line: lineno,
                    files: Vec::new(),
                });
            }
        }
    }
    if fence.is_some() {
        suite
            .errors
            .push("unclosed code fence at end of file".into());
    }
    if let Some(case) = current.take() {
        if !case.files.is_empty() {
            suite.cases.push(case);
        }
    }
    suite
}

fn parse_title(options: &str) -> Result<Option<String>, String> {
    let options = options.trim();
    if options.is_empty() {
        return Ok(None);
    }
    let Some(rest) = options.strip_prefix("title=\"") else {
        return Err(format!(
            "unknown fence options `{options}` (expected `title=\"path\"`)"
        ));
    };
    let Some((title, tail)) = rest.split_once('"') else {
        return Err(format!("unterminated title in `{options}`"));
    };
    if !tail.trim().is_empty() {
        return Err(format!("unknown fence options after the title: `{tail}`"));
    }
    if title.is_empty() || title.starts_with('/') || title.split('/').any(|c| c == "..") {
        return Err(format!(
            "title `{title}` must be a relative path inside the case"
        ));
    }
    Ok(Some(title.to_string()))
}

/// The assertions of one line: the text after the first `# error:`/`# warning:` marker.
pub fn parse_assertions(line: &str) -> Result<Vec<Assertion>, String> {
    let Some(start) = find_marker(line) else {
        return Ok(Vec::new());
    };
    let mut rest = &line[start..];
    let mut out: Vec<Assertion> = Vec::new();
    let mut severity: Option<Severity> = None;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        if let Some(r) = rest.strip_prefix('#') {
            rest = r;
        } else if let Some(r) = rest.strip_prefix("error:") {
            severity = Some(Severity::Error);
            rest = r;
        } else if let Some(r) = rest.strip_prefix("warning:") {
            severity = Some(Severity::Warning);
            rest = r;
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').ok_or("unclosed `[` in assertion")?;
            let code = r[..end].trim().to_string();
            if Code::from_name(&code).is_none() {
                return Err(format!("unknown diagnostic code `{code}`"));
            }
            let severity = severity.ok_or("`[code]` before `error:` or `warning:`")?;
            out.push(Assertion {
                severity,
                code,
                message: None,
            });
            rest = &r[end + 1..];
        } else if let Some(r) = rest.strip_prefix('"') {
            let end = r.find('"').ok_or("unclosed `\"` in assertion")?;
            let last = out
                .last_mut()
                .ok_or("a message substring before any `[code]`")?;
            if last.message.is_some() {
                return Err("two message substrings for one code".into());
            }
            last.message = Some(r[..end].to_string());
            rest = &r[end + 1..];
        } else {
            return Err(format!("cannot parse assertion text `{rest}`"));
        }
    }
    if out.is_empty() {
        return Err("an assertion marker without any `[code]`".into());
    }
    Ok(out)
}

fn find_marker(line: &str) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, _) in line.match_indices('#') {
        let after = line[i + 1..].trim_start();
        if after.starts_with("error:") || after.starts_with("warning:") {
            best = Some(best.map_or(i, |b: usize| b.min(i)));
        }
    }
    best
}

/// The outcome of one case: empty when it passed.
pub fn run_case(case: &Case) -> Vec<String> {
    let mut problems = Vec::new();
    let system = MemorySystem::new();
    let root = PathBuf::from(CASE_ROOT);
    // Expected diagnostics by (file title, line).
    let mut expected: BTreeMap<(String, usize), Vec<Assertion>> = BTreeMap::new();
    let mut seen_titles = std::collections::HashSet::new();
    // For `-var` lines: (name, value, title used for reporting, line).
    let mut cli_vars: Vec<(String, String, String, usize)> = Vec::new();
    let mut require_vars = false;
    let mut registry = None;
    for file in &case.files {
        if file.kind == FileKind::Registry {
            match crate::fake_registry::FakeRegistry::parse(&file.text) {
                Ok(r) => registry = Some(r),
                Err(e) => problems.push(format!("registry block: {e}")),
            }
            continue;
        }
        if file.kind != FileKind::CliVars && !seen_titles.insert(file.title.clone()) {
            problems.push(format!(
                "two blocks for file `{}`: give them distinct `title=\"…\"`",
                file.title
            ));
        }
        let mut text = String::new();
        for (i, line) in file.text.lines().enumerate() {
            let line_no = i + 1;
            let (content, asserts) = match parse_assertions(line) {
                Ok(a) if a.is_empty() => (line, a),
                Ok(a) => (&line[..find_marker(line).unwrap_or(line.len())], a),
                Err(e) => {
                    problems.push(format!("{}:{line_no}: bad assertion: {e}", file.title));
                    (line, Vec::new())
                }
            };
            let key_title = match file.kind {
                FileKind::CliVars => {
                    format!("<-var {}>", content.split('=').next().unwrap_or("").trim())
                }
                _ => file.title.clone(),
            };
            if file.kind == FileKind::CliVars {
                if content.trim().is_empty() {
                    continue;
                }
                if content.trim() == "--require-vars" {
                    require_vars = true;
                    continue;
                }
                match content.split_once('=') {
                    Some((name, value)) => cli_vars.push((
                        name.trim().to_string(),
                        value.trim_end().to_string(),
                        key_title.clone(),
                        line_no,
                    )),
                    None => problems.push(format!(
                        "{}:{line_no}: a `vars` line must be NAME=VALUE",
                        file.title
                    )),
                }
                if !asserts.is_empty() {
                    expected.entry((key_title, 1)).or_default().extend(asserts);
                }
                continue;
            }
            if !asserts.is_empty() {
                expected
                    .entry((key_title, line_no))
                    .or_default()
                    .extend(asserts);
            }
            text.push_str(line);
            text.push('\n');
        }
        if file.kind != FileKind::CliVars {
            let title = file
                .title
                .replace("OS_ARCH", &skel_hir::provider_lock::current_platform());
            system.write(root.join(title), text);
        }
    }
    let db = SkelDatabase::new(Arc::new(CaseSystem(system)));
    let mut vars = Vec::new();
    // Like `skelc check`, only the `.skelvars` files directly in the root are read.
    for file in case
        .files
        .iter()
        .filter(|f| f.kind == FileKind::VarFile && !f.title.contains('/'))
    {
        let input = db.file(&root.join(&file.title));
        let n = skel_db::parse(&db, input).file.items.len();
        vars.extend((0..n).map(|item| VarValue::FromFile {
            file: input,
            item: item as u32,
        }));
    }
    for (name, value, title, _) in &cli_vars {
        let file = File::new(&db, PathBuf::from(title), Some(Arc::from(value.as_str())));
        vars.push(VarValue::Raw {
            name: name.clone(),
            file,
        });
    }
    let input = ProjectInput {
        root: db.directory(&root),
        vars,
    };
    let mut diagnostics = match registry.as_mut() {
        Some(registry) => {
            let previous = skel_hir::source::Manifest::default();
            skel_hir::source::install(&db, &root, &previous, registry, false).diagnostics
        }
        None => skel_types::check_project(&db, &input),
    };
    if require_vars {
        diagnostics.extend(skel_types::missing_variable_diagnostics(&db, &input));
    }
    let actual = resolve(&db, &root, diagnostics);

    // Match.
    let mut unmatched: Vec<Option<Actual>> = actual.into_iter().map(Some).collect();
    let mut missing = Vec::new();
    for ((title, line), asserts) in &expected {
        let mut asserts = asserts.clone();
        // Assertions with a message first, so a bare one does not steal their diagnostic.
        asserts.sort_by_key(|a| a.message.is_none());
        for a in asserts {
            let found = unmatched.iter_mut().find(|d| {
                d.as_ref().is_some_and(|d| {
                    &d.file == title
                        && d.line == *line
                        && d.code.as_str() == a.code
                        && d.severity == a.severity
                        && a.message
                            .as_ref()
                            .is_none_or(|m| d.text.contains(m.as_str()))
                })
            });
            match found {
                Some(slot) => *slot = None,
                None => missing.push((title.clone(), *line, a)),
            }
        }
    }
    for (title, line, a) in missing {
        let mut s = format!(
            "{title}:{line}: expected {}: [{}]",
            a.severity.as_str(),
            a.code
        );
        if let Some(m) = &a.message {
            let _ = write!(s, " \"{m}\"");
        }
        s.push_str(" — not reported");
        problems.push(s);
    }
    for d in unmatched.into_iter().flatten() {
        problems.push(format!(
            "{}:{}:{}: unexpected {}: [{}] {}",
            d.file,
            d.line,
            d.column,
            d.severity.as_str(),
            d.code.as_str(),
            d.text.replace('\n', " ")
        ));
    }
    problems
}

/// Diagnostics as (file title relative to `root`, line, …), sorted and deduplicated as `skelc check` does.
pub fn resolve(
    db: &SkelDatabase,
    root: &Path,
    diagnostics: Vec<skel_db::Diagnostic>,
) -> Vec<Actual> {
    let mut keyed: Vec<(PathBuf, u32, skel_db::Diagnostic)> = diagnostics
        .into_iter()
        .map(|d| (d.span.file.path(db).clone(), d.span.resolve(db).start(), d))
        .collect();
    keyed.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    keyed.dedup_by(|a, b| a.2 == b.2);
    keyed
        .into_iter()
        .map(|(path, start, d)| {
            let lc = skel_db::line_index(db, d.span.file).line_col(start);
            let file = path
                .strip_prefix(root)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| path.display().to_string());
            let mut text = d.message.clone();
            for part in [Some(&d.span_message), d.help.as_ref()]
                .into_iter()
                .flatten()
            {
                if !part.is_empty() {
                    text.push_str(" | ");
                    text.push_str(part);
                }
            }
            Actual {
                file,
                line: lc.line as usize,
                column: lc.column as usize,
                severity: d.severity,
                code: d.code,
                text,
            }
        })
        .collect()
}

/// Run every case of a suite; returns one report per failing case (and per markdown error).
pub fn run_suite(suite: &Suite, filter: Option<&str>) -> (usize, Vec<String>) {
    let mut failures: Vec<String> = suite
        .errors
        .iter()
        .map(|e| format!("{}: {e}", suite.path.display()))
        .collect();
    let mut ran = 0;
    for case in &suite.cases {
        if filter.is_some_and(|f| !format!("{}: {}", suite.path.display(), case.name).contains(f)) {
            continue;
        }
        ran += 1;
        let problems = run_case(case);
        if !problems.is_empty() {
            let mut report = format!(
                "{}:{}: case `{}`",
                suite.path.display(),
                case.line,
                case.name
            );
            for p in problems {
                let _ = write!(report, "\n    {p}");
            }
            failures.push(report);
        }
    }
    (ran, failures)
}

/// Every assertion code written in a suite's cases.
pub fn asserted_codes(suite: &Suite) -> Vec<String> {
    let mut out = Vec::new();
    for case in &suite.cases {
        for file in &case.files {
            for line in file.text.lines() {
                if let Ok(asserts) = parse_assertions(line) {
                    out.extend(asserts.into_iter().map(|a| a.code));
                }
            }
        }
    }
    out
}

/// The `.md` files under `dir`, recursively, sorted.
pub fn markdown_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}
