'use strict';
// Built-in Kubernetes objects against Kubernetes' published schemas, twice over:
//   - kubernetes-models' validators, generated from Kubernetes' OpenAPI: types, required
//     fields, formats (int32, int64, date-time), enums;
//   - the field lists of @kubernetes/client-node's models, generated from the same OpenAPI
//     of a later release: a field no model declares is an unknown field, which
//     kube-apiserver refuses under fieldValidation=Strict (and warns about otherwise).
// Kinds neither knows (custom resources, ServiceMonitor) are reported as unknown, not judged.
const k8s = require('@kubernetes/client-node');

function groupVersion(apiVersion) {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

function modelClass(apiVersion, kind) {
  const { group, version } = groupVersion(apiVersion);
  const dir = group === '' ? version : `${group}/${version}`;
  try {
    const mod = require(`kubernetes-models/${dir}/${kind}`);
    return mod[kind];
  } catch (e) {
    if (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') return undefined;
    throw e;
  }
}

// client-node names its models <Version><Kind>, prefixed by the group where two groups
// share a kind (CoreV1Event, EventsV1Event).
function clientModel(apiVersion, kind) {
  const { group, version } = groupVersion(apiVersion);
  const v = version.charAt(0).toUpperCase() + version.slice(1);
  const prefix = (group === '' ? 'Core' : group.split('.')[0].replace(/^./, (c) => c.toUpperCase()));
  for (const name of [`${prefix}${v}${kind}`, `${v}${kind}`]) {
    if (k8s[name] && typeof k8s[name].getAttributeTypeMap === 'function') return name;
  }
  return undefined;
}

// Fields below `value` that the model `type` does not declare, as JSON paths.
function unknownFields(value, type, path, out) {
  if (value === null || value === undefined) return out;
  const list = /^Array<(.+)>$/.exec(type);
  if (list) {
    if (Array.isArray(value)) value.forEach((v, i) => unknownFields(v, list[1], `${path}[${i}]`, out));
    return out;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (typeof value === 'object') for (const [k, v] of Object.entries(value)) unknownFields(v, map[1], `${path}[${k}]`, out);
    return out;
  }
  const model = k8s[type];
  if (!model || typeof model.getAttributeTypeMap !== 'function' || typeof value !== 'object' || Array.isArray(value)) return out;
  const fields = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    if (!fields.has(k)) out.push(`${path}.${k}`);
    else unknownFields(v, fields.get(k), `${path}.${k}`, out);
  }
  return out;
}

// {known: false} for kinds without a published schema; else {known: true, errors: [...]}.
function validateObject(object) {
  const { apiVersion, kind } = object || {};
  if (!apiVersion || !kind) return { known: true, errors: ['apiVersion and kind are required'] };
  const Model = modelClass(apiVersion, kind);
  const clientType = clientModel(apiVersion, kind);
  if (!Model && !clientType) return { known: false };
  const errors = [];
  if (!Model) errors.push(`kubernetes-models has no ${apiVersion} ${kind}`);
  if (!clientType) errors.push(`@kubernetes/client-node has no model of ${apiVersion} ${kind}`);
  if (Model) {
    try {
      new Model(structuredClone(object)).validate();
    } catch (e) {
      const details = (e.errors || []).map((x) => `${x.instancePath || '/'} ${x.message}${x.params ? ` ${JSON.stringify(x.params)}` : ''}`);
      errors.push(...(details.length ? details : [e.message]));
    }
  }
  if (clientType) {
    for (const field of unknownFields(object, clientType, '', [])) errors.push(`${field}: unknown field`);
  }
  return { known: true, errors };
}

const describe = (o) => `${o.apiVersion} ${o.kind} ${o.metadata && o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata && o.metadata.name}`;

module.exports = { validateObject, describe };
