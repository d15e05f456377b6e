'use strict';
// @kubernetes/client-node (pinned, the official JavaScript client) against the sandbox API
// server as a process: lists in pages (limit/continue), a watch from a resourceVersion, an
// informer (makeInformer) through dropped watches and a compaction (410 Gone, relist),
// create/patch/delete of a ConfigMap and of a PhaseMaintenance, and errors as the Status
// objects the client decodes (404 NotFound, 409 AlreadyExists and Conflict, 422 Invalid
// with causes). Every wait is bounded.
const fs = require('node:fs');
const k8s = require('@kubernetes/client-node');
const h = require('./lib/harness.cjs');

const NS = 'client-node';
const GROUP = 'maintenance.phase.dev';
const VERSION = 'v1alpha1';
const PLURAL = 'phasemaintenances';

const configMap = (name, data = { a: '1' }) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS, labels: { suite: 'client-node' } }, data });

// The Status a failed call carried, as client-node hands it over (ApiException.body).
async function statusOf(promise) {
  try {
    await promise;
  } catch (e) {
    if (!(e instanceof k8s.ApiException)) throw e;
    return { code: e.code, status: typeof e.body === 'string' ? JSON.parse(e.body) : e.body };
  }
  return { code: 200, status: null };
}

async function pagedList(t, core) {
  for (let i = 0; i < 7; i++) await core.createNamespacedConfigMap({ namespace: NS, body: configMap(`page-${i}`) });
  const names = [];
  let token;
  let pages = 0;
  do {
    const page = await core.listNamespacedConfigMap({ namespace: NS, limit: 3, _continue: token, labelSelector: 'suite=client-node' });
    pages++;
    t.ok(page.items.length <= 3, `page ${pages} holds at most limit=3 items (${page.items.length})`);
    names.push(...page.items.map((c) => c.metadata.name));
    token = page.metadata._continue;
    if (token) t.ok(page.metadata.remainingItemCount === undefined || page.metadata.remainingItemCount > 0, `page ${pages} says items remain`);
  } while (token && pages < 10);
  t.equal(names.sort(), [0, 1, 2, 3, 4, 5, 6].map((i) => `page-${i}`), 'the pages together hold every ConfigMap once');
  t.equal(pages, 3, 'seven items at limit=3 are three pages');
  // kube-apiserver: 400 "invalid continue token: ..." (staging/src/k8s.io/apiserver/pkg/storage/etcd3/store.go).
  const malformed = await statusOf(core.listNamespacedConfigMap({ namespace: NS, limit: 3, _continue: 'not-a-token' }));
  t.equal([malformed.code, malformed.status && malformed.status.reason], [400, 'BadRequest'],
    'GET /api/v1/namespaces/client-node/configmaps?limit=3&continue=not-a-token is a 400 BadRequest, as kube-apiserver answers a malformed continue token');
}

async function watchFromResourceVersion(t, kc, core) {
  const start = await core.listNamespacedConfigMap({ namespace: NS });
  const events = [];
  let ended;
  const done = new Promise((resolve) => { ended = resolve; });
  const req = await new k8s.Watch(kc).watch(`/api/v1/namespaces/${NS}/configmaps`, { resourceVersion: start.metadata.resourceVersion },
    (phase, obj) => { if (obj.metadata && obj.metadata.name === 'watched') events.push([phase, obj.data && obj.data.a]); },
    (err) => ended(err));
  await core.createNamespacedConfigMap({ namespace: NS, body: configMap('watched') });
  await core.patchNamespacedConfigMap({ namespace: NS, name: 'watched', body: { data: { a: '2' } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
  await core.deleteNamespacedConfigMap({ namespace: NS, name: 'watched' });
  await h.eventually(() => events.length >= 3, 5000, 'three watch events').catch(() => {});
  t.equal(events, [['ADDED', '1'], ['MODIFIED', '2'], ['DELETED', '2']], 'the watch from the list\'s resourceVersion sees exactly what followed, in order');
  req.abort();
  await Promise.race([done, new Promise((r) => setTimeout(r, 2000))]);
}

async function informer(t, kc, core, sandbox) {
  const inf = k8s.makeInformer(kc, `/api/v1/namespaces/${NS}/configmaps`, () => core.listNamespacedConfigMap({ namespace: NS }));
  const errors = [];
  let connects = 0;
  let running = false;
  const start = async () => { running = true; await inf.start(); };
  const stop = () => { running = false; inf.stop(); };
  inf.on('error', (err) => {
    if (!running) return;  // stop() aborts the watch, which the informer reports as an error
    errors.push(err);
    setTimeout(() => running && inf.start().catch((e) => errors.push(e)), 100);  // the documented restart
  });
  inf.on('connect', () => { connects++; });
  h.onCleanup(stop);
  await start();
  const names = () => inf.list(NS).map((c) => c.metadata.name).sort();
  const serverNames = async () => (await core.listNamespacedConfigMap({ namespace: NS })).items.map((c) => c.metadata.name).sort();
  const inStep = async (what) => {
    const want = await serverNames();
    await h.eventually(() => JSON.stringify(names()) === JSON.stringify(want), 10000, what).catch(() => {});
    t.equal(names(), want, `the informer's cache holds what the server lists: ${what}`);
  };
  await inStep('after the initial list');

  await core.createNamespacedConfigMap({ namespace: NS, body: configMap('inf-1') });
  await inStep('after a create');

  const connectsBefore = connects;
  await sandbox.admin('POST', '/sandbox/v1/watches/drop');
  await core.createNamespacedConfigMap({ namespace: NS, body: configMap('inf-2') });
  await core.deleteNamespacedConfigMap({ namespace: NS, name: 'page-0' });
  await inStep('after every watch was dropped (re-watch from the last resourceVersion)');
  t.ok(connects > connectsBefore, 'the informer connected again after the drop');

  // Compaction: the informer's resourceVersion is forgotten; the next watch gets 410 Gone
  // (an ERROR event) and the informer lists again.
  stop();
  await core.createNamespacedConfigMap({ namespace: NS, body: configMap('inf-3') });
  await core.deleteNamespacedConfigMap({ namespace: NS, name: 'inf-1' });
  await sandbox.admin('POST', '/sandbox/v1/compact');
  const gone = [];
  const probe = await new k8s.Watch(kc).watch(`/api/v1/namespaces/${NS}/configmaps`, { resourceVersion: inf.latestResourceVersion() },
    (phase, obj) => gone.push([phase, obj.code, obj.reason]), () => {});
  await h.eventually(() => gone.length > 0, 5000, 'the expired watch\'s answer').catch(() => {});
  probe.abort();
  t.equal(gone[0], ['ERROR', 410, 'Expired'], 'a watch from a compacted resourceVersion answers an ERROR event with 410 Expired');
  await start();
  await inStep('after a compaction (410, relist)');
  t.ok(!names().includes('inf-1'), 'the relist drops what was deleted while the informer was away');
  t.ok(errors.length === 0, 'the informer reported no error', errors.map(String));
  stop();
}

async function crud(t, kc, core, custom) {
  // ConfigMap: create, JSON patch (client-node's default for patch), delete.
  const created = await core.createNamespacedConfigMap({ namespace: NS, body: configMap('crud', { a: '1' }) });
  t.ok(created.metadata.uid && created.metadata.resourceVersion, 'create answers the stored ConfigMap with uid and resourceVersion');
  const patched = await core.patchNamespacedConfigMap({ namespace: NS, name: 'crud', body: [{ op: 'add', path: '/data/b', value: '2' }] });
  t.equal(patched.data, { a: '1', b: '2' }, 'a JSON patch adds a key');
  const stale = await statusOf(core.replaceNamespacedConfigMap({ namespace: NS, name: 'crud', body: { ...created, data: { a: 'stale' } } }));
  t.equal([stale.code, stale.status && stale.status.reason, stale.status && stale.status.kind], [409, 'Conflict', 'Status'],
    'a replace with a stale resourceVersion is a 409 Conflict Status');
  const dup = await statusOf(core.createNamespacedConfigMap({ namespace: NS, body: configMap('crud') }));
  t.equal([dup.code, dup.status && dup.status.reason, dup.status && dup.status.details && dup.status.details.name,
    dup.status && dup.status.details && dup.status.details.kind], [409, 'AlreadyExists', 'crud', 'configmaps'],
  'creating it again is a 409 AlreadyExists Status naming it');
  await core.deleteNamespacedConfigMap({ namespace: NS, name: 'crud' });
  const missing = await statusOf(core.readNamespacedConfigMap({ namespace: NS, name: 'crud' }));
  t.equal([missing.code, missing.status && missing.status.reason, missing.status && missing.status.details && missing.status.details.name],
    [404, 'NotFound', 'crud'], 'reading it after the delete is a 404 NotFound Status naming it');

  // PhaseMaintenance: create (defaults applied), merge patch, delete; 422 with causes.
  const pm = {
    apiVersion: `${GROUP}/${VERSION}`, kind: 'PhaseMaintenance', metadata: { name: 'phase', namespace: NS },
    spec: { database: { host: 'db', name: 'phase_db', user: 'phase_api', passwordSecretRef: { name: 'phase-console-secret' } } },
  };
  const made = await custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NS, plural: PLURAL, body: pm });
  t.equal([made.spec.backendImage, made.spec.database.port, made.spec.workloads.backend.deployment],
    ['docker.io/phasehq/backend', 5432, 'phase-console-backend'], 'the created PhaseMaintenance carries the CRD\'s defaults');
  const merged = await custom.patchNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NS, plural: PLURAL, name: 'phase', body: { spec: { suspend: true } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
  t.ok(merged.spec.suspend === true && merged.metadata.generation === 2, 'a merge patch of the spec is stored and bumps generation', merged.metadata);
  const smp = await statusOf(custom.patchNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NS, plural: PLURAL, name: 'phase', body: { spec: { suspend: false } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch)));
  t.equal(smp.code, 415, 'a strategic merge patch of a custom resource is 415, as on a real server');
  const invalid = await statusOf(custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NS, plural: PLURAL,
    body: { ...pm, metadata: { name: 'broken', namespace: NS }, spec: { database: { host: 'db', name: 'x', user: 'y', passwordSecretRef: { name: 's' }, port: 70000 } } } }));
  const causes = (invalid.status && invalid.status.details && invalid.status.details.causes) || [];
  t.equal([invalid.code, invalid.status && invalid.status.reason], [422, 'Invalid'], 'an invalid PhaseMaintenance is a 422 Invalid Status');
  t.ok(causes.some((c) => c.field === 'spec.database.port' && c.reason === 'FieldValueInvalid'), 'its causes name spec.database.port', causes);
  await custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NS, plural: PLURAL, name: 'phase' });
  const gone = await statusOf(custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NS, plural: PLURAL, name: 'phase' }));
  t.equal([gone.code, gone.status && gone.status.reason], [404, 'NotFound'], 'the deleted PhaseMaintenance is a 404');
  const noNs = await statusOf(core.createNamespacedConfigMap({ namespace: 'nowhere', body: { ...configMap('x'), metadata: { name: 'x', namespace: 'nowhere' } } }));
  t.equal([noNs.code, noNs.status && noNs.status.reason], [404, 'NotFound'], 'creating in a namespace that does not exist is a 404');
}

h.runTest('client_node', 90000, async (t) => {
  const sandbox = await h.startSandbox();
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(sandbox.kubeconfig);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);

  // Typed bodies are serialized by field name (JSONSchemaProps._default), so the CRD is
  // read with the client's own YAML loader, as its users do.
  const crd = k8s.loadAllYaml(fs.readFileSync(h.sourcePath('crds/maintenance.phase.dev_phasemaintenances.yaml'), 'utf8'))[0];
  const storedCrd = await ext.createCustomResourceDefinition({ body: crd });
  t.ok(storedCrd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.backendImage._default === 'docker.io/phasehq/backend',
    'the CRD went through the client with its defaults');
  await core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } });

  const steps = [['paged list', () => pagedList(t, core)], ['watch', () => watchFromResourceVersion(t, kc, core)],
    ['informer', () => informer(t, kc, core, sandbox)], ['create/patch/delete and errors', () => crud(t, kc, core, custom)]];
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (e) {
      t.ok(false, `${name} ran to the end`, e && e.stack || String(e));
    }
  }
  fs.writeFileSync(`${sandbox.dir}/done`, '');
});
