'use strict';
// The node tests' harness: paths and binaries from the environment CTest sets (a missing one
// fails the test, never skips it), checks that collect failures and print them, child
// processes with deadlines, and the sandbox API server as a process.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

// The pinned clients: NODE_PATH points at the node_modules scripts/tools.sh installed.
const modules = (process.env.NODE_PATH || '').split(path.delimiter).filter(Boolean);
if (!modules.some((dir) => fs.existsSync(path.join(dir, '.package-lock.json')))) {
  throw new Error(`the pinned test tools are not installed in NODE_PATH=${process.env.NODE_PATH || ''}: run scripts/tools.sh (scripts/setup.sh does)`);
}
const yaml = require('js-yaml');

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run the test through ctest, which sets it)`);
  return value;
}

function binary(name) {
  const file = required(name);
  if (!fs.existsSync(file)) throw new Error(`${name}=${file} does not exist (scripts/setup.sh builds and installs it)`);
  return file;
}

const sourceDir = () => required('PMO_SOURCE_DIR');
const sourcePath = (relative) => path.join(sourceDir(), relative);

function loadYamlText(text) {
  return yaml.loadAll(text).filter((d) => d !== null && d !== undefined);
}
const loadYamlDocuments = (file) => loadYamlText(fs.readFileSync(file, 'utf8'));

const canonical = (v) => JSON.stringify(v, (k, x) => (x && typeof x === 'object' && !Array.isArray(x)
  ? Object.fromEntries(Object.keys(x).sort().map((key) => [key, x[key]])) : x));

// A test run: named checks, each failure printed with its context; exit code 1 on any.
class Checks {
  constructor(name) {
    this.name = name;
    this.failures = 0;
    this.passes = 0;
  }
  ok(condition, message, detail) {
    if (condition) {
      this.passes++;
      return true;
    }
    this.failures++;
    console.error(`FAIL: ${message}${detail === undefined ? '' : `\n      ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`}`);
    return false;
  }
  // Deep equality of JSON values; the order of object keys does not count, of lists does.
  equal(actual, expected, message) {
    const a = canonical(actual);
    const e = canonical(expected);
    return this.ok(a === e, message, `expected ${e}\n      actual   ${a}`);
  }
  finish() {
    console.log(`${this.name}: ${this.passes} checks passed, ${this.failures} failed`);
    process.exitCode = this.failures ? 1 : 0;
  }
}

// Runs `main(checks)` with a deadline; an exception or the deadline fails the test.
function runTest(name, timeoutMs, main) {
  const checks = new Checks(name);
  const timer = setTimeout(() => {
    console.error(`FAIL: ${name} did not finish within ${timeoutMs} ms`);
    process.exit(1);
  }, timeoutMs);
  Promise.resolve()
    .then(() => main(checks))
    .then(() => checks.finish(), (e) => {
      console.error(`FAIL: ${name}: ${e && e.stack || e}`);
      process.exitCode = 1;
    })
    .finally(() => {
      clearTimeout(timer);
      // Open watches and keep-alive sockets would hold the process: exit once cleaned up.
      return cleanups.reduceRight((p, f) => p.then(() => f()).catch(() => {}), Promise.resolve())
        .then(() => process.exit(process.exitCode));
    });
}

const cleanups = [];
const onCleanup = (f) => cleanups.push(f);

// A command run to completion: {code, out, err}. Throws if it cannot start.
function run(cmd, args, { input, env, timeoutMs = 60000, cwd } = {}) {
  const r = spawnSync(cmd, args, { input, env: { ...process.env, ...env }, timeout: timeoutMs, cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// phase-sandbox-apiserver as a process on a free loopback port, kubeconfig at DIR/kubeconfig.
// Stopped (SIGTERM) when the test ends.
async function startSandbox(extraArgs = []) {
  const dir = tempDir('pmo-sandbox-');
  const child = spawn(binary('PMO_SANDBOX_BINARY'), ['--port', '0', '--data-dir', dir, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  onCleanup(() => new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.on('exit', resolve);
    child.kill('SIGTERM');
    setTimeout(() => { child.kill('SIGKILL'); resolve(); }, 5000);
  }));
  const url = await new Promise((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`the sandbox did not start within 20 s:\n${log}`)), 20000);
    const poll = setInterval(() => {
      const m = /listening on (\S+),/.exec(log);
      if (m) { clearTimeout(deadline); clearInterval(poll); resolve(m[1]); }
      if (child.exitCode !== null) { clearTimeout(deadline); clearInterval(poll); reject(new Error(`the sandbox exited:\n${log}`)); }
    }, 20);
  });
  const kubeconfig = path.join(dir, 'kubeconfig');
  const config = yaml.load(fs.readFileSync(kubeconfig, 'utf8'));
  const token = config.users[0].user.token;
  const ca = Buffer.from(config.clusters[0].cluster['certificate-authority-data'], 'base64');
  // The admin endpoints (tests/sandbox/README.md), over the same TLS and token.
  async function admin(method, urlPath, body) {
    const https = require('node:https');
    return new Promise((resolve, reject) => {
      const req = https.request(url + urlPath, { method, ca, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } }, (res) => {
        let data = '';
        res.on('data', (d) => { data += d; });
        res.on('end', () => {
          if (res.statusCode >= 300) return reject(new Error(`${method} ${urlPath}: ${res.statusCode} ${data}`));
          resolve(data ? JSON.parse(data) : null);
        });
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }
  return { dir, url, kubeconfig, token, admin, log: () => log };
}

// Polls `probe` (async, returns a truthy value when done) every `intervalMs` until `timeoutMs`.
async function eventually(probe, timeoutMs, what, intervalMs = 50) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

module.exports = { binary, required, sourcePath, loadYamlText, loadYamlDocuments, runTest, run, tempDir, onCleanup, startSandbox, eventually };
