'use strict';
// node kube_objects_check.cjs KUBECONFIG
// Lists every object the API server stores (discovery, then a cluster-wide list of each
// listable resource) and checks each built-in one against Kubernetes' published schemas
// (lib/kube_schema.cjs). Prints one line per mismatch and exits 1 on any; custom resources
// and kinds without a published schema are counted, not judged. The end-to-end tests run it
// after their scenario, so every object the operator (or the sandbox's controllers, helm,
// kubectl) wrote is checked.
const https = require('node:https');
const k8s = require('@kubernetes/client-node');
const h = require('./lib/harness.cjs');
const ks = require('./lib/kube_schema.cjs');

async function getJson(kc, path) {
  const opts = { method: 'GET', headers: { Accept: 'application/json' } };
  await kc.applyToHTTPSOptions(opts);
  const url = new URL(kc.getCurrentCluster().server + path);
  return new Promise((resolve, reject) => {
    const req = https.request(url, { ...opts, timeout: 15000 }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`GET ${path}: ${res.statusCode} ${body}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer in 15 s`)));
    req.on('error', reject);
    req.end();
  });
}

// Every listable resource of the preferred version of each group, core first.
async function listableResources(kc) {
  const groupVersions = ['v1'];
  const groups = await getJson(kc, '/apis');
  for (const g of groups.groups) groupVersions.push(g.preferredVersion.groupVersion);
  const out = [];
  for (const gv of groupVersions) {
    const list = await getJson(kc, gv === 'v1' ? '/api/v1' : `/apis/${gv}`);
    for (const r of list.resources) {
      if (!r.name.includes('/') && r.verbs.includes('list')) out.push({ gv, resource: r.name, kind: r.kind });
    }
  }
  return out;
}

h.runTest('kube_objects_check', 50000, async (t) => {
  const file = process.argv[2];
  if (!file) throw new Error('usage: node kube_objects_check.cjs KUBECONFIG');
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(file);
  const counts = new Map();
  const unknown = new Set();
  for (const { gv, resource, kind } of await listableResources(kc)) {
    const list = await getJson(kc, `${gv === 'v1' ? '/api/v1' : `/apis/${gv}`}/${resource}`);
    for (const item of list.items) {
      const object = { apiVersion: gv, kind, ...item };
      const v = ks.validateObject(object);
      if (!v.known) {
        unknown.add(`${gv} ${kind}`);
        continue;
      }
      counts.set(kind, (counts.get(kind) || 0) + 1);
      t.ok(v.errors.length === 0, `${ks.describe(object)} matches Kubernetes' schema`, v.errors);
    }
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  t.ok(total > 0, 'the API server stores built-in objects to check');
  console.log(`checked ${total} objects: ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}; ` +
    `not judged (no published schema): ${[...unknown].join(', ') || 'none'}`);
});
