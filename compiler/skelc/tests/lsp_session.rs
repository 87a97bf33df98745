//! The language server end to end: the real `skelc lsp` process over stdio, on a copy of the
//! examples. Diagnostics (incremental edits, UTF-16 and UTF-8 positions, broken files, a child
//! module's change reaching its caller, deletion) and every request answering well-formed.

mod cli_support;
mod lsp_harness;

use cli_support::skel_files;
use lsp_harness::{example_workspace, uri, ClientOptions, Server};
use serde_json::{json, Value};

fn codes(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_string())
        .collect()
}

fn start_of(d: &Value) -> (u64, u64) {
    let start = &d["range"]["start"];
    (
        start["line"].as_u64().unwrap(),
        start["character"].as_u64().unwrap(),
    )
}

const TYPO_OUTPUT: &str = "output \"x\" {\n  value = [\"é…\", var.regoin]\n}\n";

#[test]
fn diagnostics_follow_edits_in_utf16() {
    let (_tmp, root) = example_workspace();
    let (mut server, init) = Server::start(&root, &[]);
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");
    assert_eq!(init["capabilities"]["textDocumentSync"]["change"], 2);

    // The whole workspace is checked at startup: the clean example has no diagnostics, so
    // nothing is published before the end of the first check.
    let (published, end, _) = server.first_check();
    assert_eq!(published, Vec::<String>::new());
    assert!(end.ends_with("0 files with diagnostics"), "{end}");
    let main = root.join("walking-skeleton/main.skel");
    let outputs = root.join("walking-skeleton/outputs.skel");
    let text = std::fs::read_to_string(&outputs).unwrap();
    server.open(&outputs, &text);
    assert_eq!(server.diagnostics(&uri(&outputs)), Vec::<Value>::new());

    // An incremental insertion with a typo after non-ASCII text on the same line.
    let n = text.lines().count() as u32;
    server.change(&outputs, 2, (n, 0), (n, 0), TYPO_OUTPUT);
    let list = server.diagnostics_where(&uri(&outputs), |l| !l.is_empty());
    assert_eq!(codes(&list), ["unresolved-reference"]);
    let d = &list[0];
    // `  value = ["é…", ` is 17 UTF-16 code units (20 bytes).
    assert_eq!(start_of(d), (n as u64 + 1, 17));
    assert_eq!(d["range"]["end"]["character"], 27);
    assert_eq!(d["severity"], 1);
    assert_eq!(d["source"], "skel");
    let message = d["message"].as_str().unwrap();
    assert!(message.contains("var.regoin"), "{message}");
    assert!(message.contains("did you mean `region`?"), "{message}");

    // Fixing it with a range replacement clears the file.
    server.change(&outputs, 3, (n + 1, 17), (n + 1, 27), "var.region");
    assert_eq!(
        server.diagnostics_where(&uri(&outputs), |l| l.is_empty()),
        Vec::<Value>::new()
    );

    // A broken (unsaved, new) file: the syntax error does not hide the type error.
    let broken = root.join("walking-skeleton/broken.skel");
    server.open(
        &broken,
        "locals {\n  bad = 1 +\n}\noutput \"t\" {\n  value = var.node_count + \"x\"\n}\n",
    );
    let list = server.diagnostics_where(&uri(&broken), |l| l.len() >= 2);
    assert_eq!(codes(&list), ["syntax-error", "type-mismatch"]);
    assert_eq!(start_of(&list[0]), (1, 11));
    assert_eq!(start_of(&list[1]), (4, 27));
    // Closing an unsaved file removes it: its diagnostics are cleared.
    server.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": uri(&broken) } }),
    );
    assert_eq!(
        server.diagnostics_where(&uri(&broken), |l| l.is_empty()),
        Vec::<Value>::new()
    );

    // Changing a child module's output type republishes its (unopened) caller.
    let vpc_outputs = root.join("modules/vpc/outputs.skel");
    let vpc_text = std::fs::read_to_string(&vpc_outputs).unwrap();
    assert!(vpc_text
        .lines()
        .nth(2)
        .unwrap()
        .ends_with("= aws_vpc.this.id"));
    server.open(&vpc_outputs, &vpc_text);
    server.change(&vpc_outputs, 2, (2, 16), (2, 31), "[aws_vpc.this.id]");
    let list = server.diagnostics_where(&uri(&main), |l| !l.is_empty());
    assert_eq!(codes(&list), ["type-mismatch"]);
    assert_eq!(start_of(&list[0]), (75, 21));
    server.change(&vpc_outputs, 3, (2, 16), (2, 33), "aws_vpc.this.id");
    server.diagnostics_where(&uri(&main), |l| l.is_empty());

    // Files appearing and disappearing on disk.
    let extra = root.join("walking-skeleton/extra.skel");
    std::fs::write(&extra, "output \"e\" {\n  value = local.nope\n}\n").unwrap();
    let watched = |kind: u32| json!({ "changes": [{ "uri": uri(&extra), "type": kind }] });
    server.notify("workspace/didChangeWatchedFiles", watched(1));
    let list = server.diagnostics_where(&uri(&extra), |l| !l.is_empty());
    assert_eq!(codes(&list), ["unresolved-reference"]);
    std::fs::remove_file(&extra).unwrap();
    server.notify("workspace/didChangeWatchedFiles", watched(3));
    server.diagnostics_where(&uri(&extra), |l| l.is_empty());

    server.shutdown();
}

/// Directories under `dir` holding `.skel` files.
fn module_dirs(dir: &std::path::Path) -> usize {
    let files = skel_files(dir);
    let dirs: std::collections::BTreeSet<_> = files.iter().filter_map(|f| f.parent()).collect();
    dirs.len()
}

/// At startup only files with diagnostics are published (20,000 empty notifications were most
/// of a large workspace's first check), all of them before the end of the first check; a clean
/// file is published once opened, and a file whose diagnostics went away is cleared.
#[test]
fn first_check_publishes_the_files_with_diagnostics_then_ends() {
    let (_tmp, root) = example_workspace();
    let broken = root.join("modules/vpc/broken.skel");
    std::fs::write(&broken, "output \"b\" {\n  value = local.nope\n}\n").unwrap();
    // A report after every module checked (not ten a second), so the test sees them.
    let options = ClientOptions {
        env: &[("SKEL_LSP_PROGRESS_MS", "0")],
        ..ClientOptions::default()
    };
    let (mut server, _) = Server::start_with(&root, &[], &options);
    let (published, end, reports) = server.first_check();
    assert_eq!(published, [uri(&broken)]);
    // One report per module checked (the harness checks they never go backwards).
    assert!(reports.len() >= module_dirs(&root), "{reports:?}");
    assert_eq!(reports.last(), Some(&100), "{reports:?}");
    assert!(
        end.ends_with("modules checked, 1 file with diagnostics"),
        "{end}"
    );
    let modules: usize = end.split(' ').next().unwrap().parse().unwrap();
    assert_eq!(modules, module_dirs(&root), "{end}");
    let list = server.diagnostics(&uri(&broken));
    assert_eq!(codes(&list), ["unresolved-reference"]);

    // A clean file the editor opens gets its (empty) diagnostics.
    let main = root.join("walking-skeleton/main.skel");
    server.open(&main, &std::fs::read_to_string(&main).unwrap());
    assert_eq!(server.diagnostics(&uri(&main)), Vec::<Value>::new());

    // Fixed on disk: cleared.
    std::fs::write(&broken, "output \"b\" {\n  value = 1\n}\n").unwrap();
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": uri(&broken), "type": 2 }] }),
    );
    assert_eq!(server.diagnostics(&uri(&broken)), Vec::<Value>::new());
    server.shutdown();
}

/// A client without `window.workDoneProgress`, and one that refuses the progress token: no
/// progress is sent to either, and diagnostics reach both (they never wait for the token).
#[test]
fn clients_without_progress_still_get_their_diagnostics() {
    for refuse in [false, true] {
        let (_tmp, root) = example_workspace();
        let broken = root.join("modules/vpc/broken.skel");
        std::fs::write(&broken, "output \"b\" {\n  value = local.nope\n}\n").unwrap();
        let options = ClientOptions {
            env: &[("SKEL_LSP_PROGRESS_MS", "0")],
            work_done_progress: refuse,
        };
        let (mut server, _) = Server::start_with(&root, &[], &options);
        if refuse {
            server.refuse.push("window/workDoneProgress/create".into());
        }
        let list = server.diagnostics(&uri(&broken));
        assert_eq!(codes(&list), ["unresolved-reference"]);
        let main = root.join("walking-skeleton/main.skel");
        server.open(&main, &std::fs::read_to_string(&main).unwrap());
        assert_eq!(server.diagnostics(&uri(&main)), Vec::<Value>::new());
        // Everything the server sent until it exited.
        let (rest, requests) = server.shutdown_collect();
        let created = requests
            .iter()
            .any(|m| m == "window/workDoneProgress/create");
        assert_eq!(created, refuse, "{requests:?}");
        assert!(
            !rest.iter().any(|m| m["method"] == "$/progress"),
            "progress sent to a client that does not take it: {rest:?}"
        );
    }
}

#[test]
fn utf8_positions_when_the_client_offers_them() {
    let (_tmp, root) = example_workspace();
    let (mut server, init) = Server::start(&root, &["utf-8", "utf-16"]);
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-8");
    let file = root.join("walking-skeleton/typo.skel");
    server.open(&file, TYPO_OUTPUT);
    let list = server.diagnostics_where(&uri(&file), |l| !l.is_empty());
    assert_eq!(codes(&list), ["unresolved-reference"]);
    // `  value = ["é…", ` is 20 bytes.
    assert_eq!(start_of(&list[0]), (1, 20));
    // An edit in UTF-8 columns: replace `var.regoin` (bytes 20..30).
    server.change(&file, 2, (1, 20), (1, 30), "var.region");
    server.diagnostics_where(&uri(&file), |l| l.is_empty());
    server.shutdown();
}

fn at(path: &std::path::Path, line: u32, character: u32) -> Value {
    json!({
        "textDocument": { "uri": uri(path) },
        "position": { "line": line, "character": character },
    })
}

/// Every request answers without an error. Formatting (implemented in `skel_ide`) is checked
/// for content; the others are checked for shape, and for content when they return any.
#[test]
fn requests_answer_well_formed() {
    let (_tmp, root) = example_workspace();
    let (mut server, _) = Server::start(&root, &[]);
    let main = root.join("walking-skeleton/main.skel");
    let text = std::fs::read_to_string(&main).unwrap();
    server.open(&main, &text);
    server.diagnostics(&uri(&main));
    // `  region = var.region` in the provider block: line 7, `region` of `var.region` at 15.
    assert_eq!(text.lines().nth(7).unwrap(), "  region = var.region");

    let hover = server.request("textDocument/hover", at(&main, 7, 16));
    if !hover.is_null() {
        let markdown = hover["contents"]["value"].as_str().unwrap_or_default();
        assert!(markdown.contains("region"), "{hover}");
        assert_eq!(hover["range"]["start"]["line"], 7);
    }

    let definition = server.request("textDocument/definition", at(&main, 7, 16));
    if !definition.is_null() {
        let target = &definition[0];
        assert!(
            target["uri"].as_str().unwrap().ends_with("variables.skel"),
            "{target}"
        );
        assert_eq!(target["range"]["start"]["line"], 0);
    }

    let mut params = at(&main, 7, 15);
    params["context"] = json!({ "triggerKind": 2, "triggerCharacter": "." });
    let completion = server.request("textDocument/completion", params);
    let items = completion.as_array().cloned().unwrap_or_default();
    if !items.is_empty() {
        assert!(items.iter().any(|i| i["label"] == "region"), "{completion}");
    }

    let variables = root.join("walking-skeleton/variables.skel");
    let mut params = at(&variables, 0, 11);
    params["context"] = json!({ "includeDeclaration": true });
    let references = server.request("textDocument/references", params);
    let references = references.as_array().cloned().unwrap_or_default();
    if !references.is_empty() {
        assert!(references.iter().any(|r| r["uri"] == uri(&main).as_str()));
    }

    let prepare = server.request_raw("textDocument/prepareRename", at(&main, 7, 16));
    assert!(prepare.get("result").is_some() || prepare["error"]["message"].is_string());
    let mut params = at(&main, 7, 16);
    params["newName"] = json!("aws_region");
    let rename = server.request_raw("textDocument/rename", params);
    if let Some(changes) = rename.get("result").and_then(|r| r.get("changes")) {
        assert!(changes.get(uri(&variables)).is_some(), "{changes}");
        assert_eq!(changes[uri(&main)][0]["newText"], "aws_region", "{changes}");
    } else {
        assert!(rename.get("result").is_some() || rename["error"]["message"].is_string());
    }

    // Formatting an unformatted buffer: one whole-file edit with the canonical text.
    let messy = root.join("walking-skeleton/messy.skel");
    server.open(&messy, "output \"y\" {\nvalue=1\n}\n");
    let edits = server.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri(&messy) },
                "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(edits[0]["newText"], "output \"y\" {\n  value = 1\n}\n");
    assert_eq!(
        edits[0]["range"]["start"],
        json!({ "line": 0, "character": 0 })
    );

    let doc = json!({ "textDocument": { "uri": uri(&main) } });
    let symbols = server.request("textDocument/documentSymbol", doc.clone());
    assert!(symbols.is_array() || symbols.is_null());
    let symbols = server.request("workspace/symbol", json!({ "query": "reg" }));
    assert!(symbols.is_array() || symbols.is_null());
    let tokens = server.request("textDocument/semanticTokens/full", doc.clone());
    assert_eq!(tokens["data"].as_array().map(|d| d.len() % 5), Some(0));
    let mut params = doc.clone();
    params["range"] = json!({ "start": { "line": 0, "character": 0 },
                              "end": { "line": 200, "character": 0 } });
    let hints = server.request("textDocument/inlayHint", params.clone());
    assert!(hints.is_array() || hints.is_null());
    params["context"] = json!({ "diagnostics": [] });
    let actions = server.request("textDocument/codeAction", params);
    assert!(actions.is_array() || actions.is_null());

    // Documents the server cannot map to a file are answered, not fatal.
    let untitled = json!({ "textDocument": { "uri": "untitled:Untitled-1" },
                           "position": { "line": 0, "character": 0 } });
    assert!(server.request("textDocument/hover", untitled).is_null());
    server.shutdown();
}

#[test]
fn tf_files_are_checked_like_skel_files() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let module = root.join("infra");
    std::fs::create_dir_all(&module).unwrap();
    // Saved on Windows: a byte-order mark and CRLF; the error is on the first line.
    let main = module.join("main.tf");
    std::fs::write(
        &main,
        "\u{FEFF}output \"x\" { value = var.nope }\r\nvariable \"v\" {\r\n  default = 1\r\n}\r\n",
    )
    .unwrap();
    std::fs::write(
        module.join("override.tf"),
        "variable \"v\" {\n  default = 2\n}\n",
    )
    .unwrap();
    let (mut server, _) = Server::start(&root, &[]);
    // The workspace scan found the `.tf` module; the mark is no column.
    let list = server.diagnostics_where(&uri(&main), |l| !l.is_empty());
    assert_eq!(codes(&list), ["unresolved-reference"]);
    assert_eq!(start_of(&list[0]), (0, 21));

    // Opening a new `.tf` file in the module checks it with the others.
    let extra = module.join("extra.tf");
    server.open(&extra, "output \"y\" {\n  value = var.v + var.missing\n}\n");
    let list = server.diagnostics_where(&uri(&extra), |l| !l.is_empty());
    assert_eq!(codes(&list), ["unresolved-reference"]);
    assert_eq!(start_of(&list[0]), (1, 18));
    server.shutdown();
}
