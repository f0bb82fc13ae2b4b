// The rrdsl extension: the language (highlighting and editing rules come from package.json)
// and a client for the rrdsl language server, `rrdsl lsp` over stdio.  The command is the
// setting `rrdsl.server.command` (default `rrdsl`, found on PATH); `${workspaceFolder}` in it
// is replaced by the first workspace folder.
"use strict";
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function serverOptions() {
  const config = vscode.workspace.getConfiguration("rrdsl");
  const folder = (vscode.workspace.workspaceFolders || [])[0];
  const expand = (s) => folder ? s.split("${workspaceFolder}").join(folder.uri.fsPath) : s;
  const command = expand(config.get("server.command", "rrdsl"));
  const args = config.get("server.args", ["lsp"]).map(expand);
  return { command, args, transport: TransportKind.stdio };
}

async function start(context) {
  client = new LanguageClient("rrdsl", "rrdsl language server", serverOptions(), {
    documentSelector: [{ scheme: "file", language: "rrdsl" },
                       { scheme: "untitled", language: "rrdsl" }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.{rrd,toml}") },
  });
  try {
    await client.start();
  } catch (e) {
    vscode.window.showErrorMessage(
      `rrdsl: could not start the language server (${serverOptions().command} lsp): ${e}. ` +
      "Install it with pip install 'rrdsl[lsp]', or set rrdsl.server.command.");
  }
}

async function activate(context) {
  await start(context);
  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration(async (e) => {
    if (e.affectsConfiguration("rrdsl.server")) {
      if (client) await client.stop();
      await start(context);
    }
  }));
  context.subscriptions.push(vscode.commands.registerCommand("rrdsl.restartServer", async () => {
    if (client) await client.stop();
    await start(context);
  }));
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
