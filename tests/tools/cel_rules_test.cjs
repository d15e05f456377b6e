'use strict';
// The CRD's CEL rules (x-kubernetes-validations), with a real CEL implementation
// (@bufbuild/cel), since no C++ one is packaged and the sandbox does not evaluate them:
//   1. every rule compiles against the type the schema gives `self`, returns a bool, and
//      stays within the cost a real server allows (lib/cel_schema.cjs), touching only
//      bounded strings and lists;
//   2. each rule holds on its schema node's default (the server refuses a CRD whose
//      defaults fail its rules);
//   3. on a table of PhaseMaintenances, defaulted as the API server defaults them, the rules
//      that fail are exactly the ones the table expects, and `phase-maintenance-operator
//      validate` (validateSpec) reports exactly those rules too, at or below the rule's field.
// Every rule must have a case that breaks it and a case that keeps it.
const fs = require('node:fs');
const path = require('node:path');
const h = require('./lib/harness.cjs');
const cs = require('./lib/cel_schema.cjs');

const CRD = 'crds/maintenance.phase.dev_phasemaintenances.yaml';

const base = () => ({
  apiVersion: 'maintenance.phase.dev/v1alpha1',
  kind: 'PhaseMaintenance',
  metadata: { name: 'phase', namespace: 'phase' },
  spec: { database: { host: 'phase-console-postgres', name: 'phase_db', user: 'phase_api', passwordSecretRef: { name: 'phase-console-secret' } } },
});
const withSpec = (extra) => { const o = base(); Object.assign(o.spec, extra); return o; };

// Rules by their message (the CRD's messages are unique; maintenance/spec/schema.hpp holds the same text).
const DISTINCT = 'backend and worker must name different Deployments';
const CLAIM = 'persistentVolumeClaim is required when enabled is true';
const UNIQUE = 'purge rules must be unique by (organisation, appId)';
const LOCK = 'lockTimeout must be a positive duration';
const METHOD = 'full: true contradicts method Plain';
const RESTORE = 'restoreAfter must be a positive duration such as 30m or 2h';
const SSO = 'organisations must name at least one organisation when requestId is set';
const CA_SOURCE = 'ca needs exactly one of secretKeyRef and configMapKeyRef';
const CA_VERIFY = 'sslMode must be verify-ca or verify-full (or unset) when tls.ca is given';

const purge = (...rules) => ({ auditLogs: { purge: rules } });
const vacuum = (v) => ({ auditLogs: { vacuum: v } });
const reset = (r) => ({ recovery: { resetGlobalNetworkPolicies: r } });
const sso = (s) => ({ recovery: { disableSSOEnforcement: s } });
// spec.database with the base's required fields (withSpec replaces database whole).
const database = (d) => ({ database: { host: 'db', name: 'phase_db', user: 'phase_api', passwordSecretRef: { name: 'phase-console-secret' }, ...d } });

// Each case is valid against the rest of the schema, so the only errors are the rules'.
function cases() {
  const examples = ['deploy/examples/minimal.yaml', 'deploy/examples/complete.yaml'].map((f) => ({
    name: f, object: h.loadYamlDocuments(h.sourcePath(f))[0], fails: [],
  }));
  return [
    ...examples,
    { name: 'minimal spec, every default', object: base(), fails: [] },
    { name: 'distinct Deployments', object: withSpec({ workloads: { backend: { deployment: 'a' }, worker: { deployment: 'b' } } }), fails: [] },
    { name: 'same Deployment twice', object: withSpec({ workloads: { backend: { deployment: 'api' }, worker: { deployment: 'api' } } }), fails: [DISTINCT] },
    { name: 'worker names the default backend', object: withSpec({ workloads: { worker: { deployment: 'phase-console-backend' } } }), fails: [DISTINCT] },
    { name: 'same Deployment, different containers', object: withSpec({ workloads: { backend: { deployment: 'x', container: 'a' }, worker: { deployment: 'x', container: 'b' } } }), fails: [DISTINCT] },
    { name: 'backup enabled without a claim', object: withSpec({ migrations: { backup: { enabled: true } } }), fails: [CLAIM] },
    { name: 'backup enabled with a claim', object: withSpec({ migrations: { backup: { enabled: true, persistentVolumeClaim: 'phase-backups' } } }), fails: [] },
    { name: 'backup disabled without a claim', object: withSpec({ migrations: { backup: { enabled: false } } }), fails: [] },
    { name: 'two purge rules for one organisation', object: withSpec(purge({ organisation: 'SpaceX' }, { organisation: 'SpaceX', retainDays: 7 })), fails: [UNIQUE] },
    { name: 'appId "" and absent are the same rule', object: withSpec(purge({ organisation: 'SpaceX', appId: '' }, { organisation: 'SpaceX' })), fails: [UNIQUE] },
    { name: 'one organisation, two apps', object: withSpec(purge({ organisation: 'SpaceX', appId: 'a' }, { organisation: 'SpaceX', appId: 'b' }, { organisation: 'SpaceX' })), fails: [] },
    { name: 'same app id in two organisations', object: withSpec(purge({ organisation: 'A', appId: 'x' }, { organisation: 'B', appId: 'x' })), fails: [] },
    { name: 'names differ only in case', object: withSpec(purge({ organisation: 'SpaceX' }, { organisation: 'spacex' })), fails: [] },
    { name: 'vacuum with the default lockTimeout', object: withSpec(vacuum({ full: true })), fails: [] },
    { name: 'lockTimeout 0s', object: withSpec(vacuum({ lockTimeout: '0s' })), fails: [LOCK] },
    { name: 'lockTimeout 0h0m0s', object: withSpec(vacuum({ lockTimeout: '0h0m0s' })), fails: [LOCK] },
    { name: 'lockTimeout 0.5ns rounds to zero', object: withSpec(vacuum({ lockTimeout: '0.5ns' })), fails: [LOCK] },
    { name: 'lockTimeout 1ns', object: withSpec(vacuum({ lockTimeout: '1ns' })), fails: [] },
    { name: 'lockTimeout 1.5h', object: withSpec(vacuum({ lockTimeout: '1.5h' })), fails: [] },
    { name: 'lockTimeout 250ms', object: withSpec(vacuum({ lockTimeout: '250ms' })), fails: [] },
    { name: 'lockTimeout beyond 64-bit nanoseconds', object: withSpec(vacuum({ lockTimeout: '2562048h' })), fails: [LOCK] },
    { name: 'method Repack', object: withSpec(vacuum({ method: 'Repack' })), fails: [] },
    { name: 'method Repack with full: true', object: withSpec(vacuum({ method: 'Repack', full: true })), fails: [] },
    { name: 'method Full with full: false', object: withSpec(vacuum({ method: 'Full', full: false })), fails: [] },
    { name: 'method Plain with full: false', object: withSpec(vacuum({ method: 'Plain' })), fails: [] },
    { name: 'method Plain with full: true', object: withSpec(vacuum({ method: 'Plain', full: true })), fails: [METHOD] },
    { name: 'restoreAfter empty: permanent', object: withSpec(reset({ requestId: 'r1', restoreAfter: '' })), fails: [] },
    { name: 'restoreAfter 0s', object: withSpec(reset({ requestId: 'r1', restoreAfter: '0s' })), fails: [RESTORE] },
    { name: 'restoreAfter 1h30m', object: withSpec(reset({ requestId: 'r1', restoreAfter: '1h30m' })), fails: [] },
    { name: 'restoreAfter 0m without a request', object: withSpec(reset({ restoreAfter: '0m' })), fails: [RESTORE] },
    { name: 'SSO request without organisations', object: withSpec(sso({ requestId: 'r1' })), fails: [SSO] },
    { name: 'SSO request with an empty list', object: withSpec(sso({ requestId: 'r1', organisations: [] })), fails: [SSO] },
    { name: 'SSO request for one organisation', object: withSpec(sso({ requestId: 'r1', organisations: ['SpaceX'] })), fails: [] },
    { name: 'no SSO request, no organisations', object: withSpec(sso({ requestId: '' })), fails: [] },
    { name: 'CA from a Secret, sslMode unset', object: withSpec(database({ tls: { ca: { secretKeyRef: { name: 'db-ca' } } } })), fails: [] },
    { name: 'CA from a ConfigMap with verify-ca', object: withSpec(database({ sslMode: 'verify-ca', tls: { ca: { configMapKeyRef: { name: 'db-ca' } } } })), fails: [] },
    { name: 'CA from both a Secret and a ConfigMap', object: withSpec(database({ tls: { ca: { secretKeyRef: { name: 'a' }, configMapKeyRef: { name: 'b' } } } })), fails: [CA_SOURCE] },
    { name: 'CA from nowhere', object: withSpec(database({ tls: { ca: {} } })), fails: [CA_SOURCE] },
    { name: 'CA with sslMode require', object: withSpec(database({ sslMode: 'require', tls: { ca: { secretKeyRef: { name: 'db-ca' } } } })), fails: [CA_VERIFY] },
    { name: 'client certificate only, sslMode require', object: withSpec(database({ sslMode: 'require', tls: { clientCertSecretRef: { name: 'db-client' } } })), fails: [] },
    {
      name: 'every rule broken at once',
      object: withSpec({
        workloads: { backend: { deployment: 'x' }, worker: { deployment: 'x' } },
        migrations: { backup: { enabled: true } },
        auditLogs: { purge: [{ organisation: 'A' }, { organisation: 'A' }], vacuum: { lockTimeout: '0s', method: 'Plain', full: true } },
        recovery: { resetGlobalNetworkPolicies: { restoreAfter: '0s' }, disableSSOEnforcement: { requestId: 'r' } },
        ...database({ sslMode: 'prefer', tls: { ca: { secretKeyRef: { name: 'a' }, configMapKeyRef: { name: 'b' } } } }),
      }),
      fails: [DISTINCT, CLAIM, UNIQUE, LOCK, METHOD, RESTORE, SSO, CA_SOURCE, CA_VERIFY],
    },
  ];
}

// The operator's verdict on every case: `validate --output json` of one multi-document file.
function operatorVerdicts(list) {
  const dir = h.tempDir('pmo-cel-');
  const file = path.join(dir, 'cases.json');
  fs.writeFileSync(file, list.map((c, i) => JSON.stringify({ ...c.object, metadata: { ...c.object.metadata, name: `case-${i}` } })).join('\n---\n'));
  const r = h.run(h.binary('PMO_OPERATOR_BINARY'), ['validate', '-f', file, '--output', 'json']);
  if (r.code !== 0 && r.code !== 1) throw new Error(`validate exited ${r.code}: ${r.err}`);
  const items = JSON.parse(r.out).items;
  if (items.length !== list.length) throw new Error(`validate judged ${items.length} of ${list.length} cases`);
  return items;
}

// The checker itself refuses what kube-apiserver refuses, so a pass above means something.
function checkTheChecker(t) {
  const str = { type: 'string' };
  const schema = {
    type: 'object',
    properties: {
      name: { type: 'string', maxLength: 10 },
      tags: { type: 'array', items: str },
      bounded: { type: 'array', maxItems: 10, items: { type: 'string', maxLength: 10 } },
    },
  };
  const compile = (rule) => cs.compileRule({ rule: { rule }, schema, path: ['spec'], cardinality: 1, unboundedAbove: [] });
  const refused = (rule, why) => {
    try {
      compile(rule);
      t.ok(false, `the checker refuses ${rule} (${why})`);
    } catch (e) {
      t.ok(e instanceof cs.CompileError, `the checker refuses ${rule} (${why})`, e.stack);
    }
  };
  refused('self.nmae == "x"', 'undefined field');
  refused('self.name', 'not a bool');
  refused('self.name == 1', 'string compared with int');
  refused('frobnicate(self.name)', 'undeclared function');
  refused('self.name.size() >', 'syntax error');
  const quadratic = compile('self.tags.all(a, self.tags.exists(b, a == b))');
  t.ok(quadratic.unbounded.includes('self.tags') && quadratic.totalCost > cs.STATIC_ESTIMATED_COST_LIMIT,
    'a nested loop over an unbounded list of unbounded strings is reported unbounded and over budget', quadratic);
  const fine = compile('self.bounded.all(a, a.matches("^[a-z]+$")) && self.name.startsWith("p")');
  t.ok(fine.unbounded.length === 0 && fine.totalCost < 1000, 'bounded strings and lists pass', fine);
}

h.runTest('cel_rules', 60000, (t) => {
  checkTheChecker(t);

  const crd = h.loadYamlDocuments(h.sourcePath(CRD))[0];
  const schema = crd.spec.versions[0].schema.openAPIV3Schema;
  const rules = cs.collectRules(schema);
  t.ok(rules.length >= 6, `the CRD has its CEL rules (found ${rules.length})`);

  // 1. Compilation and cost.
  let total = 0;
  const compiled = new Map();
  for (const entry of rules) {
    const where = `${entry.path.join('.')}: x-kubernetes-validations[${entry.index}] "${entry.rule.rule}"`;
    try {
      const c = cs.compileRule(entry);
      compiled.set(entry, c);
      total += c.totalCost;
      t.ok(c.unbounded.length === 0, `${where} reads only bounded strings and lists`, `unbounded (no maxLength/maxItems/maxProperties): ${c.unbounded.join(', ')}`);
      t.ok(c.totalCost <= cs.STATIC_ESTIMATED_COST_LIMIT, `${where}: estimated cost ${c.totalCost} within ${cs.STATIC_ESTIMATED_COST_LIMIT}`);
      t.ok(!c.usesOldSelf, `${where} is not a transition rule (the table below has creates only)`);
      console.log(`compiled ${where}: cost ${c.cost.max} x cardinality ${entry.cardinality}`);
    } catch (e) {
      if (!(e instanceof cs.CompileError)) throw e;
      t.ok(false, `${where} compiles`, e.message);
    }
    t.ok(!entry.rule.fieldPath || /^(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(entry.rule.fieldPath) &&
      entry.rule.fieldPath.split('.').slice(1).every((p) => entry.schema.properties && p in entry.schema.properties),
    `${where}: fieldPath ${entry.rule.fieldPath} names a field of the rule's object`);
  }
  t.ok(total <= cs.STATIC_ESTIMATED_CRD_COST_LIMIT, `the rules' total estimated cost ${total} is within ${cs.STATIC_ESTIMATED_CRD_COST_LIMIT}`);

  // 2. Defaults keep the rules.
  for (const [entry, c] of compiled) {
    if (entry.schema.default === undefined) continue;
    const value = cs.applyDefaults(structuredClone(entry.schema.default), entry.schema);
    const r = cs.evaluate(c, entry, value);
    t.ok(r.ok, `${entry.path.join('.')}'s default ${JSON.stringify(entry.schema.default)} keeps "${entry.rule.message}"`, r.error);
  }

  // 3. The table, CEL against the operator.
  const list = cases();
  const verdicts = operatorVerdicts(list);
  const broken = new Set();
  const kept = new Set();
  list.forEach((c, i) => {
    const object = cs.applyDefaults(structuredClone(c.object), schema);
    const celFailures = [];
    for (const [entry, program] of compiled) {
      for (const { value, field } of cs.valuesAt(object, entry.path)) {
        const r = cs.evaluate(program, entry, value);
        const message = entry.rule.message || `failed rule: ${entry.rule.rule}`;
        if (r.ok) kept.add(message);
        else {
          broken.add(message);
          celFailures.push({ message, field: field + (entry.rule.fieldPath || ''), error: r.error });
        }
      }
    }
    const celMessages = [...new Set(celFailures.map((f) => f.message))].sort();
    t.equal(celMessages, [...c.fails].sort(), `case "${c.name}": the rules that fail in CEL`);
    // A rule that fails answers its message; one whose evaluation errs (a duration out of
    // range) answers the error at the rule's field: there validateSpec may word it its own way.
    const below = (field, root) => field === root || field.startsWith(`${root}.`) || field.startsWith(`${root}[`);
    const explains = (f, e) => below(e.field, f.field) && (f.error !== undefined || e.message.startsWith(f.message));
    const errors = verdicts[i].errors;
    for (const e of errors) {
      t.ok(celFailures.some((f) => explains(f, e)), `case "${c.name}": validateSpec's error is one of the CRD's rules`, e.error);
    }
    for (const f of celFailures) {
      t.ok(errors.some((e) => explains(f, e)), `case "${c.name}": validateSpec refuses ${f.field} as CEL does ("${f.message}"${f.error ? `, evaluation error: ${f.error}` : ''})`,
        errors.map((e) => e.error));
    }
  });
  for (const entry of compiled.keys()) {
    const message = entry.rule.message || `failed rule: ${entry.rule.rule}`;
    t.ok(broken.has(message), `a case breaks "${message}"`);
    t.ok(kept.has(message), `a case keeps "${message}"`);
  }
});
