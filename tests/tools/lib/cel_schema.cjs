'use strict';
// What kube-apiserver does with a CRD's x-kubernetes-validations before it serves the CRD,
// on top of a real CEL parser and evaluator (@bufbuild/cel):
//   - types `self` (and `oldSelf`) from the structural schema, as apiextensions-apiserver's
//     SchemaDeclType does (staging/src/k8s.io/apiserver/pkg/cel/common/schemas.go): objects
//     with properties have exactly those fields, additionalProperties are maps, arrays lists,
//     int-or-string and preserve-unknown-fields dyn; selecting an undeclared field, an unknown
//     function or a non-bool result is a compile error;
//   - estimates each rule's worst-case cost as cel-go's checker/cost.go does (the functions
//     these rules use), with string and list sizes from maxLength/enum and maxItems/maxProperties
//     (unbounded: the largest value a 3 MiB request can hold), times the rule's cardinality,
//     against StaticEstimatedCostLimit and StaticEstimatedCRDCostLimit
//     (staging/src/k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation/validation.go);
//   - reports every string, list or map a rule's cost depends on that has no bound, which a
//     real server prices as 3 MiB and usually refuses.
const cel = require('@bufbuild/cel');

const MAX_REQUEST_SIZE_BYTES = 3 * 1024 * 1024;
const STATIC_ESTIMATED_COST_LIMIT = 10000000;
const STATIC_ESTIMATED_CRD_COST_LIMIT = 100000000;
const STRING_TRAVERSAL_COST_FACTOR = 0.1;
const REGEX_STRING_LENGTH_COST_FACTOR = 0.25;
const LIST_CREATE_BASE_COST = 10;
const MAP_CREATE_BASE_COST = 30;

class CompileError extends Error {}

// The CEL type of a schema node, with its size bound (null: unbounded) and its path.
function typeOf(schema, path) {
  if (!schema) return { k: 'dyn', path };
  if (schema['x-kubernetes-int-or-string']) return { k: 'dyn', schema, path, sizeBound: null, sized: true };
  switch (schema.type) {
    case 'object':
      if (schema.properties) return { k: 'object', schema, path };
      if (schema.additionalProperties && schema.additionalProperties !== true) {
        return { k: 'map', schema, path, sizeBound: schema.maxProperties ?? null, sized: true };
      }
      return schema['x-kubernetes-preserve-unknown-fields'] ? { k: 'dyn', schema, path } : { k: 'object', schema, path };
    case 'array':
      return { k: 'list', schema, path, sizeBound: schema.maxItems ?? null, sized: true };
    case 'string': {
      if (schema.format === 'duration') return { k: 'duration', schema, path };
      if (schema.format === 'date-time') return { k: 'timestamp', schema, path };
      let bound = schema.maxLength ?? null;
      if (bound === null && schema.enum) bound = Math.max(...schema.enum.map((v) => String(v).length));
      return { k: 'string', schema, path, sizeBound: bound, sized: true };
    }
    case 'integer': return { k: 'int', schema, path };
    case 'number': return { k: 'double', schema, path };
    case 'boolean': return { k: 'bool', schema, path };
    default: return { k: 'dyn', schema, path };
  }
}

function elemType(t) {
  if (t.k === 'list') return typeOf(t.schema.items, [...t.path, '@items']);
  if (t.k === 'map') return typeOf(t.schema.additionalProperties, [...t.path, '@values']);
  if (t.k === 'lit-list') return t.elem;
  return { k: 'dyn', path: [] };
}

const SCALAR = (k) => ({ k, path: [] });
const isDyn = (t) => t.k === 'dyn';
const numeric = (t) => ['int', 'uint', 'double', 'dyn'].includes(t.k);
const sameKind = (a, b) => isDyn(a) || isDyn(b) || a.k === b.k ||
  (a.k.endsWith('list') && b.k.endsWith('list')) || (a.k.endsWith('map') && b.k.endsWith('map'));

// Types and costs one parsed rule. `unbounded` collects the schema paths whose missing bound
// the cost depends on.
class RuleChecker {
  constructor(selfType, declareOldSelf) {
    this.scopes = [new Map([['self', selfType]])];
    if (declareOldSelf) this.scopes[0].set('oldSelf', selfType);
    this.unbounded = new Set();
    this.usesOldSelf = false;
  }

  lookup(name) {
    for (let i = this.scopes.length - 1; i >= 0; i--) if (this.scopes[i].has(name)) return this.scopes[i].get(name);
    return undefined;
  }

  // A string, list or map of the object the rule reads: it must be bounded.
  touch(t) {
    if (t.sized && (t.sizeBound === null || t.sizeBound === undefined) && t.path.length) this.unbounded.add(t.path.join('.'));
  }

  // The size estimate {min, max} of a typed value (cel-go: computeSize / EstimateSize).
  size(t) {
    if (t.constSize !== undefined) return { min: t.constSize, max: t.constSize };
    if (t.sized) {
      if (t.sizeBound === null || t.sizeBound === undefined) {
        this.unbounded.add(t.path.join('.'));
        return { min: 0, max: MAX_REQUEST_SIZE_BYTES - 2 };
      }
      return { min: 0, max: t.sizeBound };
    }
    if (t.derivedSize) return t.derivedSize;
    return { min: 1, max: 1 };  // scalars: computeTypeSize gives a fixed size of 1
  }

  // Returns {t: type, c: {min, max} cost}.
  visit(e) {
    const v = e.exprKind.value;
    switch (e.exprKind.case) {
      case 'constExpr': return { t: this.constType(v.constantKind), c: { min: 0, max: 0 } };
      case 'identExpr': {
        const t = this.lookup(v.name);
        if (!t) throw new CompileError(`undeclared reference to '${v.name}'`);
        if (v.name === 'oldSelf') this.usesOldSelf = true;
        this.touch(t);
        return { t, c: { min: 1, max: 1 } };
      }
      case 'selectExpr': return this.visitSelect(v);
      case 'callExpr': return this.visitCall(v);
      case 'listExpr': {
        let c = { min: LIST_CREATE_BASE_COST, max: LIST_CREATE_BASE_COST };
        let elem = { k: 'dyn', path: [] };
        v.elements.forEach((el, i) => {
          const r = this.visit(el);
          c = add(c, r.c);
          if (i === 0) elem = r.t;
          else if (!sameKind(elem, r.t)) throw new CompileError('list elements must have the same type (HomogeneousAggregateLiterals)');
        });
        return { t: { k: 'lit-list', elem, path: [], constSize: v.elements.length }, c };
      }
      case 'structExpr': {
        if (v.messageName) throw new CompileError(`undeclared reference to '${v.messageName}'`);
        let c = { min: MAP_CREATE_BASE_COST, max: MAP_CREATE_BASE_COST };
        for (const entry of v.entries) {
          c = add(c, this.visit(entry.keyKind.value).c);
          c = add(c, this.visit(entry.value).c);
        }
        return { t: { k: 'lit-map', path: [], constSize: v.entries.length }, c };
      }
      case 'comprehensionExpr': return this.visitComprehension(v);
      default: throw new CompileError(`unsupported expression ${e.exprKind.case}`);
    }
  }

  constType(k) {
    switch (k.case) {
      case 'boolValue': return SCALAR('bool');
      case 'int64Value': return SCALAR('int');
      case 'uint64Value': return SCALAR('uint');
      case 'doubleValue': return SCALAR('double');
      case 'stringValue': return { k: 'string', path: [], constSize: [...k.value].length };
      case 'bytesValue': return { k: 'bytes', path: [], constSize: k.value.length };
      case 'nullValue': return SCALAR('null');
      default: throw new CompileError(`unsupported constant ${k.case}`);
    }
  }

  visitSelect(v) {
    const operand = this.visit(v.operand);
    const t = operand.t;
    let field;
    if (t.k === 'object') {
      const props = t.schema.properties || {};
      if (!Object.prototype.hasOwnProperty.call(props, v.field)) {
        throw new CompileError(`undefined field '${v.field}'`);
      }
      field = typeOf(props[v.field], [...t.path, v.field]);
    } else if (t.k === 'map') {
      field = elemType(t);
    } else if (isDyn(t) || t.k === 'lit-map') {
      field = { k: 'dyn', path: [] };
    } else {
      throw new CompileError(`type '${t.k}' does not support field selection`);
    }
    if (!v.testOnly) this.touch(field);
    // has(): the presence test costs 1 (cel-go PresenceTestHasCost default); a select on a
    // map, struct or dyn costs 1.
    const c = add(operand.c, { min: 1, max: 1 });
    return { t: v.testOnly ? SCALAR('bool') : field, c };
  }

  visitComprehension(v) {
    const range = this.visit(v.iterRange);
    const accu = this.visit(v.accuInit);
    let iterType;
    const rt = range.t;
    if (rt.k === 'list' || rt.k === 'lit-list') iterType = elemType(rt);
    else if (rt.k === 'map') iterType = { k: 'string', path: [...rt.path, '@keys'], sized: true, sizeBound: null };
    else if (isDyn(rt)) iterType = { k: 'dyn', path: [] };
    else throw new CompileError(`expression of type '${rt.k}' cannot be the range of a comprehension`);
    const scope = new Map([[v.accuVar, accu.t], [v.iterVar, iterType]]);
    if (v.iterVar2) throw new CompileError('two-variable comprehensions are not available to CRD rules');
    this.scopes.push(scope);
    const cond = this.visit(v.loopCondition);
    const step = this.visit(v.loopStep);
    scope.set(v.accuVar, step.t.k === 'dyn' ? accu.t : step.t);
    const result = this.visit(v.result);
    this.scopes.pop();
    const n = this.size(rt);
    const perIteration = add(cond.c, step.c);
    let c = add(add(range.c, accu.c), result.c);
    c = add(c, { min: n.min * perIteration.min, max: n.max * perIteration.max });
    const t = result.t;
    return { t, c };
  }

  visitCall(v) {
    const fn = v.function;
    const target = v.target ? this.visit(v.target) : null;
    const args = v.args.map((a) => this.visit(a));
    let c = target ? target.c : { min: 0, max: 0 };
    const argSum = args.reduce((s, a) => add(s, a.c), { min: 0, max: 0 });
    const T = args.map((a) => a.t);
    const one = { min: 1, max: 1 };
    const expectArgs = (n) => {
      if (args.length !== n) throw new CompileError(`found no matching overload for '${fn}' with ${args.length} arguments`);
    };
    const expect = (t, kinds) => {
      if (!isDyn(t) && !kinds.includes(t.k)) throw new CompileError(`found no matching overload for '${fn}' applied to '${t.k}'`);
    };
    switch (fn) {
      case '_&&_': case '_||_':
        expectArgs(2); expect(T[0], ['bool']); expect(T[1], ['bool']);
        return { t: SCALAR('bool'), c: add(c, { min: args[0].c.min, max: args[0].c.max + args[1].c.max }) };
      case '!_': case '@not_strictly_false':
        expectArgs(1); expect(T[0], ['bool']);
        return { t: SCALAR('bool'), c: add(c, add(argSum, one)) };
      case '_?_:_': {
        expectArgs(3); expect(T[0], ['bool']);
        if (!sameKind(T[1], T[2])) throw new CompileError(`conditional branches have different types '${T[1].k}' and '${T[2].k}'`);
        const branch = { min: Math.min(args[1].c.min, args[2].c.min), max: Math.max(args[1].c.max, args[2].c.max) };
        const s1 = this.size(T[1]); const s2 = this.size(T[2]);
        const t = isDyn(T[1]) ? T[2] : { ...T[1], constSize: undefined, sized: false, derivedSize: { min: Math.min(s1.min, s2.min), max: Math.max(s1.max, s2.max) } };
        return { t, c: add(add(c, args[0].c), branch) };
      }
      case '_==_': case '_!=_': case '_<_': case '_<=_': case '_>_': case '_>=_': {
        expectArgs(2);
        const ordered = fn !== '_==_' && fn !== '_!=_';
        if (!sameKind(T[0], T[1]) && !(numeric(T[0]) && numeric(T[1])) && T[0].k !== 'null' && T[1].k !== 'null') {
          throw new CompileError(`found no matching overload for '${fn}' applied to '(${T[0].k}, ${T[1].k})'`);
        }
        if (ordered) expect(T[0], ['int', 'uint', 'double', 'string', 'bytes', 'duration', 'timestamp', 'bool']);
        // cel-go: O(min(size(lhs), size(rhs))) traversal for strings and bytes; 1 for scalars.
        const a = this.size(T[0]); const b = this.size(T[1]);
        const smallestMax = Math.min(a.max, b.max);
        const fc = { min: smallestMax > 0 ? 1 : 0, max: Math.ceil(smallestMax * STRING_TRAVERSAL_COST_FACTOR) };
        if (fc.max === 0 && smallestMax > 0) fc.max = 1;
        return { t: SCALAR('bool'), c: add(add(c, argSum), fc) };
      }
      case '_+_': case '_-_': case '_*_': case '_/_': case '_%_': {
        expectArgs(2);
        if (!sameKind(T[0], T[1])) throw new CompileError(`found no matching overload for '${fn}' applied to '(${T[0].k}, ${T[1].k})'`);
        if (fn === '_+_' && (T[0].k === 'string' || T[0].k.endsWith('list'))) {
          const a = this.size(T[0]); const b = this.size(T[1]);
          const size = { min: a.min + b.min, max: a.max + b.max };
          const fc = T[0].k === 'string' ? Math.ceil(size.max * STRING_TRAVERSAL_COST_FACTOR) : 1;
          return { t: { k: T[0].k, path: [], derivedSize: size, elem: T[0].elem }, c: add(add(c, argSum), { min: fc, max: fc }) };
        }
        expect(T[0], ['int', 'uint', 'double', 'duration', 'timestamp']);
        return { t: isDyn(T[0]) ? T[1] : SCALAR(T[0].k === 'timestamp' && fn === '_-_' && T[1].k === 'timestamp' ? 'duration' : T[0].k), c: add(add(c, argSum), one) };
      }
      case '-_':
        expectArgs(1); expect(T[0], ['int', 'double', 'duration']);
        return { t: T[0], c: add(add(c, argSum), one) };
      case 'size': {
        const subject = target ? target.t : (expectArgs(1), T[0]);
        expect(subject, ['string', 'bytes', 'list', 'lit-list', 'map', 'lit-map']);
        return { t: SCALAR('int'), c: add(add(c, argSum), one) };
      }
      case '_[_]': {
        expectArgs(2);
        const coll = T[0];
        if (coll.k === 'list' || coll.k === 'lit-list') { expect(T[1], ['int']); return { t: elemType(coll), c: add(add(c, argSum), one) }; }
        if (coll.k === 'map') { expect(T[1], ['string']); return { t: elemType(coll), c: add(add(c, argSum), one) }; }
        if (isDyn(coll) || coll.k === 'lit-map') return { t: { k: 'dyn', path: [] }, c: add(add(c, argSum), one) };
        throw new CompileError(`found no matching overload for '_[_]' applied to '${coll.k}'`);
      }
      case '@in': {
        expectArgs(2); expect(T[1], ['list', 'lit-list', 'map', 'lit-map']);
        const n = this.size(T[1]);
        return { t: SCALAR('bool'), c: add(add(c, argSum), { min: n.min, max: n.max }) };
      }
      case 'matches': case 'startsWith': case 'endsWith': case 'contains': {
        if (!target) { expectArgs(2); }
        const subject = target ? target.t : T[0];
        const other = target ? T[0] : T[1];
        expect(subject, ['string']); expect(other, ['string']);
        const s = this.size(subject); const o = this.size(other);
        let fc;
        if (fn === 'matches') {
          fc = Math.ceil((s.max + 1) * STRING_TRAVERSAL_COST_FACTOR) * Math.ceil(o.max * REGEX_STRING_LENGTH_COST_FACTOR);
        } else if (fn === 'contains') {
          fc = Math.ceil(s.max * STRING_TRAVERSAL_COST_FACTOR) * Math.ceil(o.max * STRING_TRAVERSAL_COST_FACTOR);
        } else {
          fc = Math.ceil(o.max * STRING_TRAVERSAL_COST_FACTOR);
        }
        return { t: SCALAR('bool'), c: add(add(c, argSum), { min: 1, max: Math.max(fc, 1) }) };
      }
      case 'duration': case 'timestamp':
        expectArgs(1); expect(T[0], ['string', fn]);
        return { t: SCALAR(fn), c: add(add(c, argSum), one) };
      case 'int': case 'uint': case 'double': case 'string': case 'bool':
        expectArgs(1);
        return { t: fn === 'string' ? { k: 'string', path: [], derivedSize: this.size(T[0]) } : SCALAR(fn), c: add(add(c, argSum), one) };
      case 'dyn':
        expectArgs(1);
        return { t: { k: 'dyn', path: [] }, c: add(argSum, one) };
      default:
        throw new CompileError(`undeclared reference to '${fn}'`);
    }
  }
}

function add(a, b) { return { min: a.min + b.min, max: a.max + b.max }; }

// Every x-kubernetes-validations rule below `schema`, with the schema node it sits on, its
// path (as the API server names fields: spec.auditLogs.purge) and its cardinality (how often
// it can run in one object: the product of the bounds of the lists and maps above it).
function collectRules(schema, path = [], cardinality = 1, unboundedAbove = []) {
  const out = [];
  (schema['x-kubernetes-validations'] || []).forEach((rule, index) => {
    out.push({ rule, index, schema, path, cardinality, unboundedAbove });
  });
  for (const [name, prop] of Object.entries(schema.properties || {})) {
    out.push(...collectRules(prop, [...path, name], cardinality, unboundedAbove));
  }
  if (schema.items) {
    const bound = schema.maxItems;
    out.push(...collectRules(schema.items, [...path, '[]'], cardinality * (bound ?? MAX_REQUEST_SIZE_BYTES),
      bound === undefined ? [...unboundedAbove, path.join('.')] : unboundedAbove));
  }
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    const bound = schema.maxProperties;
    out.push(...collectRules(schema.additionalProperties, [...path, '{}'], cardinality * (bound ?? MAX_REQUEST_SIZE_BYTES),
      bound === undefined ? [...unboundedAbove, path.join('.')] : unboundedAbove));
  }
  return out;
}

// Compiles one collected rule: {ast, usesOldSelf, cost: {min, max}, unbounded: [paths]} or
// throws CompileError with the reason.
function compileRule(entry) {
  let parsed;
  try {
    parsed = cel.parse(entry.rule.rule);
  } catch (e) {
    throw new CompileError(`syntax error: ${e.message}`);
  }
  const selfType = typeOf(entry.schema, ['self']);
  const checker = new RuleChecker(selfType, true);
  const { t, c } = checker.visit(parsed.expr);
  if (t.k !== 'bool' && !isDyn(t)) throw new CompileError(`cel expression must evaluate to a bool, not ${t.k}`);
  const env = cel.celEnv({ variables: { self: cel.CelScalar.DYN, oldSelf: cel.CelScalar.DYN } });
  const program = cel.plan(env, parsed);
  return {
    program,
    usesOldSelf: checker.usesOldSelf,
    cost: c,
    totalCost: c.max * entry.cardinality,
    unbounded: [...checker.unbounded, ...entry.unboundedAbove],
  };
}

// JSON as CEL sees it under a structural schema: integers as int (BigInt), objects and
// maps as maps, lists as lists.
function toCel(value, schema) {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map((v) => toCel(v, schema && schema.items));
  if (typeof value === 'object') {
    const m = new Map();
    for (const [k, v] of Object.entries(value)) {
      const sub = schema && (schema.properties && schema.properties[k] ||
        (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined));
      m.set(k, toCel(v, sub));
    }
    return m;
  }
  if (typeof value === 'number') {
    const integer = schema && (schema.type === 'integer' || schema['x-kubernetes-int-or-string']) && Number.isInteger(value);
    return integer ? BigInt(value) : value;
  }
  return value;
}

// Applies the schema's defaults as the API server does before validation: a property with a
// default that is absent gets it, in every object that exists, also inside defaulted values.
function applyDefaults(value, schema) {
  if (!schema || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    value.forEach((item) => applyDefaults(item, schema.items));
    return value;
  }
  for (const [name, prop] of Object.entries(schema.properties || {})) {
    if (!(name in value) && prop.default !== undefined) value[name] = structuredClone(prop.default);
    if (name in value) applyDefaults(value[name], prop);
  }
  if (typeof schema.additionalProperties === 'object') {
    for (const key of Object.keys(value)) {
      if (!(schema.properties && key in schema.properties)) applyDefaults(value[key], schema.additionalProperties);
    }
  }
  return value;
}

// Every value at a collected rule's path in `object`, with its field path (indices filled in).
function valuesAt(object, path) {
  let found = [{ value: object, field: '' }];
  for (const part of path) {
    const next = [];
    for (const { value, field } of found) {
      if (value === null || typeof value !== 'object') continue;
      if (part === '[]') {
        if (Array.isArray(value)) value.forEach((v, i) => next.push({ value: v, field: `${field}[${i}]` }));
      } else if (part === '{}') {
        for (const [k, v] of Object.entries(value)) next.push({ value: v, field: `${field}[${k}]` });
      } else if (!Array.isArray(value) && part in value) {
        next.push({ value: value[part], field: field ? `${field}.${part}` : part });
      }
    }
    found = next;
  }
  return found;
}

// Runs a compiled rule on a value: {ok: true} or {ok: false, error?: message of a runtime error}.
function evaluate(compiled, entry, value) {
  const result = compiled.program({ self: toCel(value, entry.schema), oldSelf: null });
  if (cel.isCelError(result)) return { ok: false, error: result.message };
  if (typeof result !== 'boolean') return { ok: false, error: `rule returned ${typeof result}, not a bool` };
  return { ok: result };
}

module.exports = {
  CompileError, collectRules, compileRule, applyDefaults, valuesAt, evaluate, toCel,
  STATIC_ESTIMATED_COST_LIMIT, STATIC_ESTIMATED_CRD_COST_LIMIT,
};
