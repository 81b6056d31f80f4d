/**
 * REST paths and operations per resource, with the query parameters kubectl looks for (fieldValidation, dryRun,
 * fieldManager, force) and the x-kubernetes-group-version-kind/x-kubernetes-action extensions.
 */
import type { ResourceInfo } from '../types.js';
import { definitionName, gvk, refTo, type Flavour } from './kind-schemas.js';
import { DELETE_OPTIONS, PATCH, SCALE, STATUS, WATCH_EVENT } from './meta-definitions.js';

type Schema = Record<string, unknown>;

const PARAM_DOC: Record<string, string> = {
  dryRun: 'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed',
  fieldManager: 'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.',
  fieldValidation: 'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.',
  force: 'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.',
  pretty: "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP client (curl and wget).",
  labelSelector: 'A selector to restrict the list of returned objects by their labels. Defaults to everything.',
  fieldSelector: 'A selector to restrict the list of returned objects by their fields. Defaults to everything.',
  limit: 'limit is a maximum number of responses to return for a list call.',
  continue: 'The continue option should be set when retrieving more results from the server.',
  resourceVersion: 'resourceVersion sets a constraint on what resource versions a request may be served from.',
  resourceVersionMatch: 'resourceVersionMatch determines how resourceVersion is applied to list calls.',
  timeoutSeconds: 'Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.',
  watch: 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.',
  allowWatchBookmarks: 'allowWatchBookmarks requests watch events with type "BOOKMARK".',
  sendInitialEvents: 'sendInitialEvents=true may be set together with watch=true.',
  gracePeriodSeconds: 'The duration in seconds before the object should be deleted. Value must be non-negative integer.',
  propagationPolicy: "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. Acceptable values are: 'Orphan', 'Background', 'Foreground'.",
  orphanDependents: 'Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7.',
};
const PARAM_TYPE: Record<string, string> = { force: 'boolean', limit: 'integer', timeoutSeconds: 'integer', watch: 'boolean', allowWatchBookmarks: 'boolean',
  sendInitialEvents: 'boolean', gracePeriodSeconds: 'integer', orphanDependents: 'boolean' };

function query(flavour: Flavour, name: string): Schema {
  const type = PARAM_TYPE[name] ?? 'string';
  const base: Schema = { name, in: 'query', description: PARAM_DOC[name] ?? '', uniqueItems: true };
  return flavour === 'v2' ? { ...base, type } : { ...base, schema: { type } };
}

function pathParam(flavour: Flavour, name: string, description: string): Schema {
  const base: Schema = { name, in: 'path', required: true, description, uniqueItems: true };
  return flavour === 'v2' ? { ...base, type: 'string' } : { ...base, schema: { type: 'string' } };
}

const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation'];
const LIST_PARAMS = ['allowWatchBookmarks', 'continue', 'fieldSelector', 'labelSelector', 'limit', 'resourceVersion', 'resourceVersionMatch', 'sendInitialEvents', 'timeoutSeconds', 'watch'];
const DELETE_PARAMS = ['dryRun', 'gracePeriodSeconds', 'orphanDependents', 'propagationPolicy'];

function camel(s: string): string {
  return s.split(/[.-]/).filter(Boolean).map((p) => p[0].toUpperCase() + p.slice(1)).join('');
}

function groupWord(r: ResourceInfo): string {
  if (!r.group) return 'Core';
  return camel(r.group.replace(/\.k8s\.io$/, ''));
}

interface OpSpec {
  verb: 'get' | 'put' | 'post' | 'patch' | 'delete';
  action: string;
  opId: string;
  description: string;
  params: string[];
  body?: string;
  response: string;
  patchTypes?: string[];
  kindOverride?: Schema;
}

function operation(r: ResourceInfo, flavour: Flavour, o: OpSpec): Schema {
  const parameters = o.params.map((p) => query(flavour, p));
  const jsonTypes = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
  const responses: Schema = {};
  const ok = o.verb === 'post' ? ['200', '201', '202'] : o.verb === 'delete' ? ['200', '202'] : o.verb === 'put' ? ['200', '201'] : ['200'];
  for (const code of ok) {
    responses[code] = flavour === 'v2'
      ? { description: code === '200' ? 'OK' : code === '201' ? 'Created' : 'Accepted', schema: refTo(flavour, o.response) }
      : { description: code === '200' ? 'OK' : code === '201' ? 'Created' : 'Accepted', content: Object.fromEntries(jsonTypes.map((t) => [t, { schema: refTo(flavour, o.response) }])) };
  }
  responses['401'] = { description: 'Unauthorized' };
  const op: Schema = {
    description: o.description,
    operationId: o.opId,
    tags: [`${groupWord(r).replace(/^./, (c) => c.toLowerCase())}_${r.version}`],
    responses,
    'x-kubernetes-action': o.action,
    'x-kubernetes-group-version-kind': o.kindOverride ?? gvk(r),
  };
  if (o.body) {
    const types = o.patchTypes ?? ['application/json', 'application/yaml'];
    if (flavour === 'v2') {
      parameters.unshift({ name: 'body', in: 'body', required: true, schema: refTo(flavour, o.body) });
      op.consumes = types;
      op.produces = jsonTypes;
    } else {
      op.requestBody = { content: Object.fromEntries(types.map((t) => [t, { schema: refTo(flavour, o.body!) }])), required: true };
    }
  } else if (flavour === 'v2') {
    op.consumes = ['*/*'];
    op.produces = jsonTypes;
  }
  op.parameters = parameters;
  return op;
}

/** Paths for one resource: collection, item, watch, and the status/scale subresources it has. */
export function resourcePaths(r: ResourceInfo, flavour: Flavour): Record<string, Schema> {
  const prefix = r.group ? `/apis/${r.group}/${r.version}` : `/api/v1`;
  const ns = r.namespaced ? 'Namespaced' : '';
  const word = `${groupWord(r)}${camel(r.version)}`;
  const def = definitionName(r);
  const listDef = definitionName(r, r.listKind);
  const verbs = new Set(r.verbs.length ? r.verbs : ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection']);
  const patchTypes = ['application/json-patch+json', 'application/merge-patch+json', ...(r.custom ? [] : ['application/strategic-merge-patch+json']), 'application/apply-patch+yaml'];
  const collectionBase = r.namespaced ? `${prefix}/namespaces/{namespace}/${r.plural}` : `${prefix}/${r.plural}`;
  const common = (extra: Schema[] = []): Schema[] => [
    ...extra,
    ...(r.namespaced ? [pathParam(flavour, 'namespace', 'object name and auth scope, such as for teams and projects')] : []),
    query(flavour, 'pretty'),
  ];
  const nameParam = pathParam(flavour, 'name', `name of the ${r.kind}`);
  const paths: Record<string, Schema> = {};

  const collection: Schema = { parameters: common() };
  if (verbs.has('list')) collection.get = operation(r, flavour, { verb: 'get', action: 'list', opId: `list${word}${ns}${r.kind}`, description: `list or watch objects of kind ${r.kind}`, params: LIST_PARAMS, response: listDef });
  if (verbs.has('create')) collection.post = operation(r, flavour, { verb: 'post', action: 'post', opId: `create${word}${ns}${r.kind}`, description: `create a ${r.kind}`, params: WRITE_PARAMS, body: def, response: def });
  if (verbs.has('deletecollection')) collection.delete = operation(r, flavour, { verb: 'delete', action: 'deletecollection', opId: `deletecollection${word}${ns}${r.kind}`, description: `delete collection of ${r.kind}`, params: [...DELETE_PARAMS, ...LIST_PARAMS.filter((p) => p !== 'watch' && p !== 'allowWatchBookmarks')], body: DELETE_OPTIONS, response: STATUS });
  paths[collectionBase] = collection;

  const item: Schema = { parameters: common([nameParam]) };
  if (verbs.has('get')) item.get = operation(r, flavour, { verb: 'get', action: 'get', opId: `read${word}${ns}${r.kind}`, description: `read the specified ${r.kind}`, params: [], response: def });
  if (verbs.has('update')) item.put = operation(r, flavour, { verb: 'put', action: 'put', opId: `replace${word}${ns}${r.kind}`, description: `replace the specified ${r.kind}`, params: WRITE_PARAMS, body: def, response: def });
  if (verbs.has('patch')) item.patch = operation(r, flavour, { verb: 'patch', action: 'patch', opId: `patch${word}${ns}${r.kind}`, description: `partially update the specified ${r.kind}`, params: [...WRITE_PARAMS, 'force'], body: PATCH, response: def, patchTypes });
  if (verbs.has('delete')) item.delete = operation(r, flavour, { verb: 'delete', action: 'delete', opId: `delete${word}${ns}${r.kind}`, description: `delete a ${r.kind}`, params: DELETE_PARAMS, body: DELETE_OPTIONS, response: STATUS });
  paths[`${collectionBase}/{name}`] = item;

  if (r.namespaced && verbs.has('list')) {
    paths[`${prefix}/${r.plural}`] = { parameters: [query(flavour, 'pretty')], get: operation(r, flavour, { verb: 'get', action: 'list', opId: `list${word}${r.kind}ForAllNamespaces`, description: `list or watch objects of kind ${r.kind}`, params: LIST_PARAMS, response: listDef }) };
  }
  if (verbs.has('watch')) {
    const watchBase = r.namespaced ? `${prefix}/watch/namespaces/{namespace}/${r.plural}` : `${prefix}/watch/${r.plural}`;
    paths[watchBase] = { parameters: [...common(), ...LIST_PARAMS.map((p) => query(flavour, p))], get: operation(r, flavour, { verb: 'get', action: 'watchlist', opId: `watch${word}${ns}${r.kind}List`, description: `watch individual changes to a list of ${r.kind}`, params: [], response: WATCH_EVENT }) };
    paths[`${watchBase}/{name}`] = { parameters: [...common([nameParam]), ...LIST_PARAMS.map((p) => query(flavour, p))], get: operation(r, flavour, { verb: 'get', action: 'watch', opId: `watch${word}${ns}${r.kind}`, description: `watch changes to an object of kind ${r.kind}`, params: [], response: WATCH_EVENT }) };
  }
  if (r.subresources.status) {
    paths[`${collectionBase}/{name}/status`] = {
      parameters: common([nameParam]),
      get: operation(r, flavour, { verb: 'get', action: 'get', opId: `read${word}${ns}${r.kind}Status`, description: `read status of the specified ${r.kind}`, params: [], response: def }),
      put: operation(r, flavour, { verb: 'put', action: 'put', opId: `replace${word}${ns}${r.kind}Status`, description: `replace status of the specified ${r.kind}`, params: WRITE_PARAMS, body: def, response: def }),
      patch: operation(r, flavour, { verb: 'patch', action: 'patch', opId: `patch${word}${ns}${r.kind}Status`, description: `partially update status of the specified ${r.kind}`, params: [...WRITE_PARAMS, 'force'], body: PATCH, response: def, patchTypes }),
    };
  }
  if (r.subresources.scale) {
    const scaleGvk = { group: 'autoscaling', kind: 'Scale', version: 'v1' };
    paths[`${collectionBase}/{name}/scale`] = {
      parameters: common([nameParam]),
      get: operation(r, flavour, { verb: 'get', action: 'get', opId: `read${word}${ns}${r.kind}Scale`, description: `read scale of the specified ${r.kind}`, params: [], response: SCALE, kindOverride: scaleGvk }),
      put: operation(r, flavour, { verb: 'put', action: 'put', opId: `replace${word}${ns}${r.kind}Scale`, description: `replace scale of the specified ${r.kind}`, params: WRITE_PARAMS, body: SCALE, response: SCALE, kindOverride: scaleGvk }),
      patch: operation(r, flavour, { verb: 'patch', action: 'patch', opId: `patch${word}${ns}${r.kind}Scale`, description: `partially update scale of the specified ${r.kind}`, params: [...WRITE_PARAMS, 'force'], body: PATCH, response: SCALE, patchTypes, kindOverride: scaleGvk }),
    };
  }
  return paths;
}
