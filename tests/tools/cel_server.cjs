'use strict';
// The sandbox API server's CEL evaluator: kube-apiserver runs a CRD's x-kubernetes-validations
// on every write of a custom resource; no C++ CEL implementation is packaged, so the sandbox
// keeps this process (a real CEL implementation, @bufbuild/cel, through lib/cel_schema.cjs)
// and asks it over stdin/stdout, one JSON document a line:
//   {"id":1,"op":"schema","key":"K","schema":{...openAPIV3Schema}}      -> {"id":1}
//   {"id":2,"op":"validate","key":"K","object":{...},"oldObject":{...}|null}
//      -> {"id":2,"causes":[{"reason","field","message"}]}
//   {"id":3,"op":"compile","schema":{...},"path":"spec.versions[0].schema.openAPIV3Schema"}
//      -> {"id":3,"causes":[...]}: what kube-apiserver refuses in a CRD's rules before serving
//      it (validation.go: a rule that does not compile, a rule over the per-expression cost
//      limit, all rules over the CRD's limit), with its messages.
// Rules follow apiextensions-apiserver's pkg/apiserver/schema/cel/validation.go: a failed rule
// is `field.Invalid(path, <schema type>, message)` (or the rule's reason, at path+fieldPath),
// a rule without a message says "failed rule: <rule>"; a rule that uses oldSelf runs only on
// update where the old value exists; on update, a value equal to the old one is not checked
// again (validation ratcheting, on by default since 1.30).
const readline = require('node:readline');
const cel = require('@bufbuild/cel');
const cs = require('./lib/cel_schema.cjs');

const schemas = new Map();  // key -> [{entry, compiled}]

function compileAll(schema) {
  return cs.collectRules(schema).map((entry) => {
    try {
      return { entry, compiled: cs.compileRule(entry) };
    } catch (e) {
      return { entry, error: e.message };
    }
  });
}

function quote(s) { return JSON.stringify(s); }

// getCostErrorMessage of apiextensions-apiserver's validation.go.
function costMessage(what, cost, limit) {
  const factor = cost / limit;
  const f = factor > 100 ? 'more than 100x' : factor < 1.5 ? `${factor.toFixed(6)}x` : `${factor.toFixed(1)}x`;
  return `${what} exceeds budget by factor of ${f} (try simplifying the rule, or adding maxItems, maxProperties, ` +
    'and maxLength where arrays, maps, and strings are declared)';
}

function compileCauses(schema, base) {
  const causes = [];
  let total = 0;
  for (const { entry, compiled, error } of compileAll(schema)) {
    const at = base + entry.path.map((p) => (p === '[]' ? '.items' : p === '{}' ? '.additionalProperties' : `.properties[${p}]`)).join('') +
      `.x-kubernetes-validations[${entry.index}].rule`;
    if (error) {
      causes.push({ reason: 'FieldValueInvalid', field: at, message: `Invalid value: ${quote(entry.rule.rule)}: compilation failed: ${error}` });
      continue;
    }
    total += compiled.totalCost;
    if (compiled.totalCost > cs.STATIC_ESTIMATED_COST_LIMIT) {
      causes.push({ reason: 'FieldValueForbidden', field: at,
        message: `Forbidden: ${costMessage('estimated rule cost', compiled.totalCost, cs.STATIC_ESTIMATED_COST_LIMIT)}` });
    }
  }
  if (total > cs.STATIC_ESTIMATED_CRD_COST_LIMIT) {
    causes.push({ reason: 'FieldValueForbidden', field: base,
      message: `Forbidden: ${costMessage('x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema', total, cs.STATIC_ESTIMATED_CRD_COST_LIMIT)}` });
  }
  return causes;
}

function validate(rules, object, oldObject) {
  const causes = [];
  for (const { entry, compiled, error } of rules) {
    const rule = entry.rule;
    const type = entry.schema.type || 'object';
    for (const { value, field } of cs.valuesAt(object, entry.path)) {
      const old = oldObject ? cs.valuesAt(oldObject, entry.path).find((o) => o.field === field) : undefined;
      if (old && JSON.stringify(old.value) === JSON.stringify(value)) continue;  // ratcheting
      if (error) {
        causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${quote(type)}: compilation failed: ${error}` });
        continue;
      }
      if (compiled.usesOldSelf && !old) continue;
      const result = compiled.program({ self: cs.toCel(value, entry.schema), oldSelf: old ? cs.toCel(old.value, entry.schema) : null });
      let failed = false;
      let message = rule.message || `failed rule: ${rule.rule.trim()}`;
      if (cel.isCelError(result)) {
        failed = true;
        message = `${message}: ${result.message}`;
      } else {
        failed = result !== true;
      }
      if (!failed) continue;
      const at = rule.fieldPath ? field + rule.fieldPath : field;
      const reason = rule.reason || 'FieldValueInvalid';
      const text = {
        FieldValueInvalid: `Invalid value: ${quote(type)}: ${message}`,
        FieldValueForbidden: `Forbidden: ${message}`,
        FieldValueRequired: `Required value: ${message}`,
        FieldValueDuplicate: `Duplicate value: ${quote(type)}`,
      }[reason];
      causes.push({ reason, field: at, message: text });
    }
  }
  return causes;
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let req;
  try {
    req = JSON.parse(line);
    if (req.op === 'schema') {
      schemas.set(req.key, compileAll(req.schema));
      process.stdout.write(JSON.stringify({ id: req.id }) + '\n');
    } else if (req.op === 'compile') {
      process.stdout.write(JSON.stringify({ id: req.id, causes: compileCauses(req.schema, req.path) }) + '\n');
    } else if (req.op === 'validate') {
      const rules = schemas.get(req.key);
      if (!rules) throw new Error(`unknown schema ${req.key}`);
      process.stdout.write(JSON.stringify({ id: req.id, causes: validate(rules, req.object, req.oldObject) }) + '\n');
    } else {
      throw new Error(`unknown op ${req.op}`);
    }
  } catch (e) {
    process.stdout.write(JSON.stringify({ id: req ? req.id : null, error: String(e && e.message || e) }) + '\n');
  }
});
