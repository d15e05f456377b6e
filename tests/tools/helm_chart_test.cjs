'use strict';
// The Helm chart through the real helm (3.17, from scripts/tools.sh): `helm lint --strict`
// and `helm template` with the value sets users set (defaults, watchNamespaces, the
// ServiceMonitor, the PodDisruptionBudget, one replica without leader election), each
// rendering checked against values.yaml, against deploy/ (the kustomize install path must
// install the same operator) and against Kubernetes' published schemas; values the schema
// or the templates refuse make helm fail.
const h = require('./lib/harness.cjs');
const ks = require('./lib/kube_schema.cjs');

const CHART = h.sourcePath('charts/phase-maintenance-operator');
const RELEASE = 'phase-maintenance';
const NAMESPACE = 'phase-maintenance-system';
const FULLNAME = 'phase-maintenance-phase-maintenance-operator';

function helm(args) {
  return h.run(h.binary('PMO_HELM_BINARY'), args, { env: { HELM_CACHE_HOME: tmp, HELM_CONFIG_HOME: tmp, HELM_DATA_HOME: tmp } });
}
let tmp;

function render(t, name, setArgs) {
  const r = helm(['template', RELEASE, CHART, '--namespace', NAMESPACE, '--include-crds', ...setArgs.flatMap((s) => ['--set', s])]);
  if (!t.ok(r.code === 0, `helm template (${name}) succeeds`, r.err)) return [];
  const objects = h.loadYamlText(r.out);
  for (const o of objects) {
    const v = ks.validateObject(o);
    if (v.known) t.ok(v.errors.length === 0, `${name}: ${ks.describe(o)} matches Kubernetes' schema`, v.errors);
    else t.ok(o.kind === 'ServiceMonitor', `${name}: ${ks.describe(o)} is a kind with a published schema`);
  }
  return objects;
}

const find = (objects, kind, name) => objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
const one = (t, objects, kind, name) => {
  const found = find(objects, kind, name);
  t.ok(found.length === 1, `exactly one ${kind}${name ? ` ${name}` : ''}`, found.map(ks.describe));
  return found[0] || {};
};
const container = (deployment) => deployment.spec.template.spec.containers[0];
const args = (deployment) => container(deployment).args;

h.runTest('helm_chart', 120000, (t) => {
  tmp = h.tempDir('pmo-helm-');
  const version = helm(['version', '--template', '{{.Version}}']);
  t.ok(version.code === 0 && version.out.startsWith('v3.17.'), `helm is 3.17 (${version.out})`, version.err);

  const lint = helm(['lint', '--strict', CHART]);
  t.ok(lint.code === 0, 'helm lint --strict passes', lint.out + lint.err);
  const lintSet = helm(['lint', '--strict', CHART, '--set', 'watchNamespaces={phase}', '--set', 'metrics.serviceMonitor.enabled=true']);
  t.ok(lintSet.code === 0, 'helm lint --strict passes with watchNamespaces and a ServiceMonitor', lintSet.out + lintSet.err);

  const values = h.loadYamlDocuments(`${CHART}/values.yaml`)[0];
  const chart = h.loadYamlDocuments(`${CHART}/Chart.yaml`)[0];
  const rbac = h.loadYamlDocuments(h.sourcePath('deploy/overlays/cluster-wide/rbac.yaml'));
  const leaderElection = h.loadYamlDocuments(h.sourcePath('deploy/base/leader-election.yaml'));
  const namespacedRole = h.loadYamlDocuments(h.sourcePath('deploy/namespaced/role.yaml'));
  const deployed = h.loadYamlDocuments(h.sourcePath('deploy/base/deployment.yaml'))[0];
  const crd = h.loadYamlDocuments(h.sourcePath('crds/maintenance.phase.dev_phasemaintenances.yaml'))[0];

  // Defaults: what deploy/ installs, with the values' image, resources and security contexts.
  const defaults = render(t, 'defaults', []);
  t.equal(defaults.map((o) => o.kind).sort(), ['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'Deployment',
    'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service', 'ServiceAccount'], 'defaults: the kinds rendered');
  t.equal(one(t, defaults, 'CustomResourceDefinition'), crd, 'defaults: the chart installs the project\'s CRD');
  const dep = one(t, defaults, 'Deployment', FULLNAME);
  const c = container(dep);
  t.equal(dep.metadata.namespace, NAMESPACE, 'defaults: the Deployment is in the release namespace');
  t.equal(dep.spec.replicas, values.replicaCount, 'defaults: replicas are values.replicaCount');
  t.equal(c.image, `${values.image.repository}:${chart.appVersion}`, 'defaults: the image is the repository at the appVersion');
  t.equal((c.env.find((e) => e.name === 'OPERATOR_IMAGE') || {}).value, c.image, 'defaults: the CronJobs run the operator\'s image (OPERATOR_IMAGE)');
  t.equal(c.resources, values.resources, 'defaults: resources from values');
  t.equal(c.securityContext, values.securityContext, 'defaults: container securityContext from values');
  t.equal(dep.spec.template.spec.securityContext, values.podSecurityContext, 'defaults: pod securityContext from values');
  t.equal(dep.spec.template.spec.serviceAccountName, FULLNAME, 'defaults: the pods run as the chart\'s ServiceAccount');
  t.equal(dep.spec.selector.matchLabels, { 'app.kubernetes.io/name': 'phase-maintenance-operator', 'app.kubernetes.io/instance': RELEASE },
    'defaults: the selector');
  for (const [k, v] of Object.entries(dep.spec.selector.matchLabels)) {
    t.equal(dep.spec.template.metadata.labels[k], v, `defaults: the pod template carries the selector's ${k}`);
  }
  // The same operator as deploy/.
  const d = deployed.spec.template.spec;
  t.equal(dep.spec.replicas, deployed.spec.replicas, 'defaults: replicas as deploy/');
  t.equal(dep.spec.template.spec.securityContext, d.securityContext, 'defaults: pod securityContext as deploy/');
  for (const field of ['args', 'ports', 'livenessProbe', 'readinessProbe', 'resources', 'securityContext']) {
    t.equal(c[field], d.containers[0][field], `defaults: container ${field} as deploy/`);
  }
  t.equal(one(t, defaults, 'ClusterRole', FULLNAME).rules, find(rbac, 'ClusterRole')[0].rules, 'defaults: ClusterRole rules as deploy/overlays/cluster-wide/rbac.yaml');
  const leaderRole = one(t, defaults, 'Role', `${FULLNAME}-leader-election`);
  t.equal(leaderRole.rules, find(leaderElection, 'Role')[0].rules, 'defaults: leader-election Role rules as deploy/base/leader-election.yaml');
  t.equal(leaderRole.metadata.namespace, NAMESPACE, 'defaults: the Lease Role is in the release namespace');
  const crb = one(t, defaults, 'ClusterRoleBinding', FULLNAME);
  t.equal(crb.subjects, [{ kind: 'ServiceAccount', name: FULLNAME, namespace: NAMESPACE }], 'defaults: the ClusterRoleBinding binds the ServiceAccount');
  const svc = one(t, defaults, 'Service', `${FULLNAME}-metrics`);
  t.equal(svc.spec.selector, dep.spec.selector.matchLabels, 'defaults: the metrics Service selects the operator\'s pods');
  t.equal(svc.spec.ports[0].targetPort, c.ports[0].name, 'defaults: the metrics Service targets the metrics port');

  // replicas 2 with leader election (the default): --leader-elect, a PDB keeping one.
  t.ok(values.replicaCount === 2 && args(dep).includes('--leader-elect'), 'replicas 2: --leader-elect is passed');
  const pdb = one(t, defaults, 'PodDisruptionBudget', FULLNAME);
  t.equal(pdb.spec, { minAvailable: values.podDisruptionBudget.minAvailable, selector: { matchLabels: dep.spec.selector.matchLabels } },
    'replicas 2: the PodDisruptionBudget keeps minAvailable of the operator\'s pods');

  // One replica, no leader election: no PDB (it would block every drain), no Lease Role.
  const single = render(t, 'one replica', ['replicaCount=1', 'leaderElection.enabled=false']);
  const singleDep = one(t, single, 'Deployment', FULLNAME);
  t.ok(singleDep.spec.replicas === 1 && !args(singleDep).includes('--leader-elect'), 'one replica: no --leader-elect');
  t.equal(find(single, 'PodDisruptionBudget').length, 0, 'one replica: no PodDisruptionBudget');
  t.equal(find(single, 'Role').length, 0, 'one replica without leader election: no Lease Role');
  t.equal(find(render(t, 'PDB disabled', ['podDisruptionBudget.enabled=false']), 'PodDisruptionBudget').length, 0,
    'podDisruptionBudget.enabled=false: no PodDisruptionBudget');

  // watchNamespaces: Roles in each watched namespace instead of the ClusterRole.
  const watched = render(t, 'watchNamespaces', ['watchNamespaces={phase,phase-staging}']);
  t.equal(find(watched, 'ClusterRole').length + find(watched, 'ClusterRoleBinding').length, 0, 'watchNamespaces: no ClusterRole or binding');
  for (const ns of ['phase', 'phase-staging']) {
    const role = find(watched, 'Role', FULLNAME).find((r) => r.metadata.namespace === ns);
    t.ok(role, `watchNamespaces: a Role in ${ns}`);
    if (role) t.equal(role.rules, find(rbac, 'ClusterRole')[0].rules, `watchNamespaces: the Role in ${ns} grants the cluster-wide rules`);
    const binding = find(watched, 'RoleBinding', FULLNAME).find((r) => r.metadata.namespace === ns);
    t.ok(binding && binding.subjects[0].namespace === NAMESPACE, `watchNamespaces: a RoleBinding in ${ns} for the release's ServiceAccount`);
  }
  // secretNames: the Secret rule names them, as deploy/namespaced/role.yaml does.
  const named = render(t, 'secretNames', ['watchNamespaces={phase}', 'secretNames={phase-console-secret}']);
  const namedRole = find(named, 'Role', FULLNAME).find((r) => r.metadata.namespace === 'phase');
  t.equal(namedRole && namedRole.rules, find(namespacedRole, 'Role')[0].rules,
    'secretNames: the Role grants deploy/namespaced/role.yaml\'s rules, Secrets by name');
  // allowedImages: one --allowed-images per prefix (the operator's image policy).
  const policed = args(one(t, render(t, 'allowedImages', ['allowedImages={docker.io/phasehq/,postgres:15}']), 'Deployment', FULLNAME));
  t.equal(policed.filter((a) => a.startsWith('--allowed-images=')), ['--allowed-images=docker.io/phasehq/', '--allowed-images=postgres:15'],
    'allowedImages: --allowed-images per prefix');
  t.ok(!args(dep).some((a) => a.startsWith('--allowed-images')), 'defaults: no image policy');
  const watchedArgs = args(one(t, watched, 'Deployment', FULLNAME));
  t.ok(watchedArgs.includes('--namespace=phase') && watchedArgs.includes('--namespace=phase-staging'), 'watchNamespaces: --namespace per namespace', watchedArgs);

  // metrics: a ServiceMonitor scraping the Service's port.
  const monitored = render(t, 'ServiceMonitor', ['metrics.serviceMonitor.enabled=true', 'metrics.serviceMonitor.interval=15s']);
  const sm = one(t, monitored, 'ServiceMonitor', FULLNAME);
  t.equal(sm.apiVersion, 'monitoring.coreos.com/v1', 'ServiceMonitor: the Prometheus Operator\'s API');
  t.equal(sm.spec && sm.spec.endpoints, [{ port: 'http-metrics', interval: '15s' }], 'ServiceMonitor: scrapes http-metrics at the interval');
  const monitoredSvc = one(t, monitored, 'Service', `${FULLNAME}-metrics`);
  for (const [k, v] of Object.entries((sm.spec || {}).selector.matchLabels)) {
    t.equal(monitoredSvc.metadata.labels[k], v, `ServiceMonitor: its selector's ${k} matches the metrics Service`);
  }
  t.equal(find(render(t, 'no metrics Service', ['metrics.service.enabled=false']), 'Service').length, 0, 'metrics.service.enabled=false: no Service');

  // What helm must refuse: values outside values.schema.json, and two writers.
  for (const [set, why] of [['logLevel=verbose', 'an unknown log level'], ['replicaCount=0', 'zero replicas'],
    ['image.pullPolicy=Sometimes', 'an unknown pull policy'],
    ['leaderElection.enabled=false', 'two replicas without leader election (two writers)']]) {
    const r = helm(['template', RELEASE, CHART, '--namespace', NAMESPACE, '--set', set]);
    t.ok(r.code !== 0, `helm template refuses --set ${set}: ${why}`, r.out.slice(0, 300));
  }
});
