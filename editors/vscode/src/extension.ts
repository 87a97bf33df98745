// VS Code client for skel: starts `skelc lsp` over stdio and adds the
// check / plan / restart commands.

import * as cp from 'child_process';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  TransportKind,
} from 'vscode-languageclient/node';

const LANGUAGE_ID = 'skel';
const TERMINAL_NAME = 'skel';

let client: LanguageClient | undefined;
let outputChannel: vscode.OutputChannel;
let traceChannel: vscode.OutputChannel;

/** Expands a leading `~` and `${env:VAR}` in the configured path. */
export function resolveExecutable(configured: string): string {
  let p = configured.trim() || 'skelc';
  if (p === '~' || p.startsWith('~/') || p.startsWith('~\\')) {
    p = path.join(os.homedir(), p.slice(1));
  }
  p = p.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => process.env[name] ?? '');
  // A relative path with a separator is taken relative to the first workspace folder.
  if (!path.isAbsolute(p) && (p.includes('/') || p.includes('\\'))) {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (folder) {
      p = path.join(folder.uri.fsPath, p);
    }
  }
  return p;
}

function configuredExecutable(): string {
  return resolveExecutable(vscode.workspace.getConfiguration('skel').get<string>('path', 'skelc'));
}

/** Runs `<exe> --version`; resolves to the version line or rejects with a reason. */
function probeExecutable(exe: string): Promise<string> {
  return new Promise((resolve, reject) => {
    cp.execFile(exe, ['--version'], { timeout: 10_000, windowsHide: true }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          reject(new Error(`'${exe}' was not found`));
        } else if (code === 'EACCES') {
          reject(new Error(`'${exe}' is not executable`));
        } else {
          reject(new Error(`'${exe} --version' failed: ${(stderr || err.message).trim()}`));
        }
        return;
      }
      resolve(stdout.trim().split(/\r?\n/)[0] ?? '');
    });
  });
}

async function reportMissingExecutable(exe: string, reason: Error): Promise<void> {
  outputChannel.appendLine(`[client] cannot start the language server: ${reason.message}`);
  const openSettings = 'Open Settings';
  const showLog = 'Show Log';
  const choice = await vscode.window.showErrorMessage(
    `skel: ${reason.message}. Install skelc and put it on PATH, or set "skel.path" to the executable ` +
      `(currently "${exe}"). Highlighting and snippets still work without it.`,
    openSettings,
    showLog,
  );
  if (choice === openSettings) {
    await vscode.commands.executeCommand('workbench.action.openSettings', 'skel.path');
  } else if (choice === showLog) {
    outputChannel.show(true);
  }
}

async function startClient(): Promise<void> {
  const exe = configuredExecutable();
  let version: string;
  try {
    version = await probeExecutable(exe);
  } catch (e) {
    await reportMissingExecutable(exe, e as Error);
    return;
  }
  outputChannel.appendLine(`[client] using ${exe} (${version})`);

  const run = { command: exe, args: ['lsp'], transport: TransportKind.stdio };
  const serverOptions: ServerOptions = { run, debug: run };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: LANGUAGE_ID },
      { scheme: 'untitled', language: LANGUAGE_ID },
    ],
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher('**/*.{skel,skelvars}'),
    },
    outputChannel,
    traceOutputChannel: traceChannel,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
  };

  // The client reads `skel.trace.server` by itself (the settings key is `<id>.trace.server`).
  client = new LanguageClient('skel', 'skel Language Server', serverOptions, clientOptions);
  try {
    await client.start();
  } catch (e) {
    outputChannel.appendLine(`[client] the language server failed to start: ${(e as Error).message}`);
    void vscode.window.showErrorMessage(`skel: the language server ('${exe} lsp') failed to start. See the output for details.`, 'Show Log')
      .then((c) => c && outputChannel.show(true));
    client = undefined;
  }
}

async function stopClient(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) {
    try {
      await c.stop();
    } catch (e) {
      outputChannel.appendLine(`[client] error while stopping the server: ${(e as Error).message}`);
    }
  }
}

async function restartClient(): Promise<void> {
  outputChannel.appendLine('[client] restarting the language server');
  await stopClient();
  await startClient();
}

/** The directory (module) of the active skel file, or of the first workspace folder. */
function currentModuleDir(uri?: vscode.Uri): string | undefined {
  const target = uri ?? vscode.window.activeTextEditor?.document.uri;
  if (target && target.scheme === 'file') {
    return path.dirname(target.fsPath);
  }
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

function shellQuote(s: string): string {
  if (process.platform === 'win32') {
    return `"${s.replace(/"/g, '""')}"`;
  }
  return /^[A-Za-z0-9_\/.:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function runInTerminal(subcommand: 'check' | 'plan', uri?: vscode.Uri): void {
  const dir = currentModuleDir(uri);
  if (!dir) {
    void vscode.window.showWarningMessage(`skel: open a .skel file to ${subcommand} its module.`);
    return;
  }
  const exe = configuredExecutable();
  let terminal = vscode.window.terminals.find((t) => t.name === TERMINAL_NAME);
  if (!terminal) {
    terminal = vscode.window.createTerminal({ name: TERMINAL_NAME, cwd: dir });
  }
  terminal.show(true);
  const prefix = process.platform === 'win32' ? '& ' : '';
  terminal.sendText(`${prefix}${shellQuote(exe)} ${subcommand} ${shellQuote(dir)}`);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  outputChannel = vscode.window.createOutputChannel('skel');
  traceChannel = vscode.window.createOutputChannel('skel Language Server Trace');
  context.subscriptions.push(outputChannel, traceChannel);

  context.subscriptions.push(
    vscode.commands.registerCommand('skel.check', (uri?: vscode.Uri) => runInTerminal('check', uri)),
    vscode.commands.registerCommand('skel.plan', (uri?: vscode.Uri) => runInTerminal('plan', uri)),
    vscode.commands.registerCommand('skel.restartServer', () => restartClient()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('skel.path')) {
        void restartClient();
      }
    }),
    { dispose: () => void stopClient() },
  );

  await startClient();
}

export function deactivate(): Thenable<void> | undefined {
  return client ? stopClient() : undefined;
}
