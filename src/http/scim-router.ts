import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import type { JsonObject } from '../kernel/json.js';
import type { UserRecord } from '../directory/directory-port.js';
import type { RequestContext } from '../registrations/request-context.js';
import { isIssuedId, type DirectoryService, type GroupWithMembers } from '../directory/directory-service.js';
import { decideSync } from '../directory/sync-policy.js';
import { scimCommands } from '../scim/commands.js';
import { etagOf, holdsVersion } from '../scim/etag.js';
import { renderGroup, renderUser } from '../scim/render.js';
import { createProjection, wantsMembers } from '../scim/projection.js';
import { resourceTypeDocuments, schemaDocuments } from '../scim/schemas.js';
import { serviceProviderConfig, type ServiceLimits } from '../scim/service-provider-config.js';
import { scimError } from '../scim/errors.js';
import { excerpt } from '../kernel/excerpt.js';
import { readPatchOperations } from '../scim/patch.js';
import { attributeList, readListRequest, type ListRequest, type ResourceType } from './list-params.js';
import { requestContext } from './request-context.js';
import { auditedAs, scimAudit } from './audit-context.js';
import type { NamedResource } from '../audit/scim-request-facts.js';

const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

interface Rendered {
  resource: JsonObject;
  version: number;
}

/** What a PATCH answers: a body only when the client asked for one (RFC 7644 §3.5.2). */
interface Patched {
  version: number;
  rendered?: Rendered;
  /** What the PATCH left, so that the audit names whom a 204 was about (a user's document, a group's name). */
  written: NamedResource;
}

interface View {
  attributes?: string;
  excludedAttributes?: string;
}

/** How one resource type is read and written; the routes below are the same for both. */
interface ResourceEndpoints {
  get(ctx: RequestContext, id: string, view: View): Promise<Rendered>;
  list(ctx: RequestContext, request: ListRequest): Promise<{ totalResults: number; resources: JsonObject[] }>;
  create(ctx: RequestContext, body: unknown): Promise<Rendered>;
  replace(ctx: RequestContext, id: string, body: unknown, ifMatch?: string): Promise<Rendered>;
  patch(ctx: RequestContext, id: string, body: unknown, ifMatch: string | undefined, view: View): Promise<Patched>;
  remove(ctx: RequestContext, id: string, ifMatch: string | undefined): Promise<void>;
}

export interface ScimRouterDeps {
  directory: DirectoryService;
  limits: ServiceLimits;
  /** Base URL of the SCIM API as clients see it, for meta.location; computed per request. */
  baseUrlOf(req: Request): string;
  /** Runs once a route is chosen, before its handler: admits the request and reads its body. */
  admit: RouteStep[];
}

/** The SCIM 2.0 API (RFC 7644) for one request's registration, mounted at /scim/v2. */
export function createScimRouter({ directory, limits, baseUrlOf, admit }: ScimRouterDeps): Router {
  const router = express.Router({ caseSensitive: false });
  // Each route names its operation for the audit before the request is admitted, so a request
  // refused while admitted (a body that cannot be read, the concurrency cap) is audited as it too.
  const discovery: RouteSteps = [auditedAs('Discovery.Read'), ...admit];
  const on = (type: ResourceType, verb: 'List' | 'Create'): RouteSteps => [auditedAs(`${type}.${verb}`, type), ...admit];
  const onId = (type: ResourceType, verb: 'Read' | 'Replace' | 'Patch' | 'Delete'): RouteSteps => [auditedAs(`${type}.${verb}`, type), ...admit, issuedId];
  const endpoints: Record<ResourceType, (baseUrl: string) => ResourceEndpoints> = {
    User: (baseUrl) => userEndpoints(directory, baseUrl),
    Group: (baseUrl) => groupEndpoints(directory, baseUrl),
  };

  // `/serviceConfiguration` is the path Microsoft's reference server and its test collection use.
  router.get(['/ServiceProviderConfig', '/serviceConfiguration'], ...discovery, (req, res) => sendScim(res, 200, serviceProviderConfig(limits, baseUrlOf(req))));
  router.get('/ResourceTypes', ...discovery, (_req, res) => sendScim(res, 200, listResponse(resourceTypeDocuments(), resourceTypeDocuments().length, 1)));
  router.get('/ResourceTypes/:name', ...discovery, (req, res) => sendScim(res, 200, findDocument(resourceTypeDocuments(), 'name', req.params.name)));
  router.get('/Schemas', ...discovery, (_req, res) => sendScim(res, 200, listResponse(schemaDocuments(), schemaDocuments().length, 1)));
  router.get('/Schemas/:urn', ...discovery, (req, res) => sendScim(res, 200, findDocument(schemaDocuments(), 'id', req.params.urn)));
  router.all('/Bulk', ...admit, () => {
    throw scimError(501, undefined, 'Bulk operations are not supported (see /ServiceProviderConfig)');
  });

  router.post('/.search', ...admit, async (req, res) => {
    assertSearchRequest(req.body);
    const listed = await searchEveryType(requestContext(res), req.body, (type) => endpoints[type](baseUrlOf(req)), limits.maxPageSize);
    sendScim(res, 200, listResponse(listed.resources, listed.totalResults, listed.startIndex));
  });

  for (const [type, path] of RESOURCE_PATHS) {
    const resolve = (req: Request) => endpoints[type](baseUrlOf(req));
    router.get(path, ...on(type, 'List'), async (req, res) => {
      const request = readListRequest(type, req.query, limits.maxPageSize);
      const listed = await resolve(req).list(requestContext(res), request);
      sendScim(res, 200, listResponse(listed.resources, listed.totalResults, request.query.startIndex));
    });
    router.post(`${path}/.search`, ...on(type, 'List'), async (req, res) => {
      assertSearchRequest(req.body);
      const request = readListRequest(type, req.body, limits.maxPageSize);
      const listed = await resolve(req).list(requestContext(res), request);
      sendScim(res, 200, listResponse(listed.resources, listed.totalResults, request.query.startIndex));
    });
    router.get(`${path}/:id`, ...onId(type, 'Read'), async (req, res) => {
      const found = await resolve(req).get(requestContext(res), req.params.id, viewOf(req));
      if (holdsVersion(req.get('If-None-Match'), found.version)) {
        res.set('ETag', etagOf(found.version)).status(304).end();
        return;
      }
      sendResource(res, 200, found);
    });
    router.post(path, ...on(type, 'Create'), async (req, res) => {
      const created = await resolve(req).create(requestContext(res), req.body);
      scimAudit(res).wrote(created.resource);
      res.set('Location', (created.resource.meta as JsonObject).location as string);
      sendResource(res, 201, project(type, created, viewOf(req)));
    });
    router.put(`${path}/:id`, ...onId(type, 'Replace'), async (req, res) => {
      const replaced = await resolve(req).replace(requestContext(res), req.params.id, req.body, req.get('If-Match'));
      scimAudit(res).wrote(replaced.resource);
      sendResource(res, 200, project(type, replaced, viewOf(req)));
    });
    router.patch(`${path}/:id`, ...onId(type, 'Patch'), async (req, res) => {
      const view = viewOf(req);
      scimAudit(res).patched(readPatchOperations(req.body));
      const patched = await resolve(req).patch(requestContext(res), req.params.id, req.body, req.get('If-Match'), view);
      scimAudit(res).wrote(patched.written);
      if (patched.rendered) sendResource(res, 200, project(type, patched.rendered, view));
      else res.set('ETag', etagOf(patched.version)).status(204).end();
    });
    router.delete(`${path}/:id`, ...onId(type, 'Delete'), async (req, res) => {
      await resolve(req).remove(requestContext(res), req.params.id, req.get('If-Match'));
      res.status(204).end();
    });
  }
  return router;
}

const RESOURCE_PATHS = [['User', '/Users'], ['Group', '/Groups']] as const;

/** A step that runs before a route's handler, whatever parameters the route's path declares. */
export type RouteStep = RequestHandler<any>;
/** Generic, so the handler after the steps keeps the parameters its path declares. */
type RouteSteps = (<P>(req: Request<P>, res: Response, next: NextFunction) => void)[];

/** Ids are checked once, here: anything but the shape the service issues names no resource. */
const issuedId: RouteStep = (req, _res, next) => {
  const id = String(req.params.id);
  if (!isIssuedId(id)) throw scimError(404, undefined, `No resource has the id ${excerpt(id, 60)}`);
  next();
};

/**
 * RFC 7644 §3.4.3, the search at the root: Users first, then Groups, paged as one list. A filter
 * naming an attribute one type lacks matches nothing of that type; sorting across types is
 * undefined, so sortBy is refused here.
 */
async function searchEveryType(ctx: RequestContext, body: Record<string, unknown>, endpointsOf: (type: ResourceType) => ResourceEndpoints, maxPageSize: number) {
  if (body.sortBy !== undefined) throw scimError(400, 'invalidValue', 'sortBy cannot be used when searching every resource type at once; search /Users/.search or /Groups/.search');
  const requests = RESOURCE_PATHS.map(([type]) => ({ type, request: attempt(() => readListRequest(type, body, maxPageSize)) }));
  const usable = requests.filter((entry): entry is { type: ResourceType; request: ListRequest } => !(entry.request instanceof Error));
  if (usable.length === 0) throw requests[0]!.request;
  const { startIndex } = usable[0]!.request.query;
  let skip = startIndex - 1;
  let room = usable[0]!.request.query.count;
  const listed = { totalResults: 0, resources: [] as unknown[], startIndex };
  for (const { type, request } of usable) {
    const page = await endpointsOf(type).list(ctx, { ...request, query: { ...request.query, startIndex: skip + 1, count: room } });
    listed.totalResults += page.totalResults;
    listed.resources.push(...page.resources);
    room -= page.resources.length;
    skip = Math.max(0, skip - page.totalResults);
  }
  return listed;
}

function attempt<T>(read: () => T): T | Error {
  try {
    return read();
  } catch (error) {
    return error as Error;
  }
}

/**
 * Users are shown with their voice user's portal-owned values. `meta.version` stays the version
 * of what SCIM clients wrote, so If-Match keeps working; the portal values are read live.
 */
function userEndpoints(directory: DirectoryService, baseUrl: string): ResourceEndpoints {
  const renderAll = async (ctx: RequestContext, records: UserRecord[]): Promise<Rendered[]> => {
    const voiceUsers = await directory.voiceUsersOf(ctx, records.map((record) => record.id));
    return records.map((record) => ({ resource: renderUser(record, baseUrl, voiceUsers.get(record.id)), version: record.version }));
  };
  const rendered = async (ctx: RequestContext, record: UserRecord): Promise<Rendered> => (await renderAll(ctx, [record]))[0]!;
  return {
    get: async (ctx, id, view) => project('User', await rendered(ctx, await directory.getUser(ctx, id)), view),
    list: async (ctx, request) => {
      const page = await directory.listUsers(ctx, request.query);
      const projection = createProjection('User', request);
      return { totalResults: page.totalResults, resources: (await renderAll(ctx, page.records)).map((user) => projection(user.resource)) };
    },
    // A user just created has a voice user only if the registration reconciled it before this answer (SYNC-1).
    create: async (ctx, body) => {
      const record = await directory.createUser(ctx, scimCommands.createUser(body));
      return decideSync(ctx).reconcileNow ? rendered(ctx, record) : { resource: renderUser(record, baseUrl), version: record.version };
    },
    replace: async (ctx, id, body, ifMatch) => rendered(ctx, await directory.replaceUser(ctx, scimCommands.replaceUser(id, body, ifMatch))),
    // Nothing is rendered for a 204: the voice user is looked up only for a PATCH that answers with a body.
    patch: async (ctx, id, body, ifMatch, view) => {
      const record = await directory.patchUser(ctx, scimCommands.patchUser(id, body, ifMatch));
      return { version: record.version, written: record.resource, ...(wantsBody(view) ? { rendered: await rendered(ctx, record) } : {}) };
    },
    remove: (ctx, id, ifMatch) => directory.deleteUser(ctx, scimCommands.deleteUser(id, ifMatch)),
  };
}

function groupEndpoints(directory: DirectoryService, baseUrl: string): ResourceEndpoints {
  const rendered = ({ record, members }: GroupWithMembers): Rendered => ({ resource: renderGroup(record, members, baseUrl), version: record.version });
  const loadMembers = (view: View) => wantsMembers(view.excludedAttributes, view.attributes);
  return {
    get: async (ctx, id, view) => project('Group', rendered(await directory.getGroup(ctx, id, loadMembers(view))), view),
    list: async (ctx, request) => {
      const page = await directory.listGroups(ctx, request.query, loadMembers(request));
      const projection = createProjection('Group', request);
      return { totalResults: page.totalResults, resources: page.records.map((group) => projection(rendered(group).resource)) };
    },
    create: async (ctx, body) => rendered(await directory.createGroup(ctx, scimCommands.createGroup(body))),
    replace: async (ctx, id, body, ifMatch) => rendered(await directory.replaceGroup(ctx, scimCommands.replaceGroup(id, body, ifMatch))),
    // The answer is the version the write produced; members are read only when the client asks
    // for a body that includes them (returning every member after each PATCH is what makes large
    // groups slow elsewhere), and the group itself is not read again.
    patch: async (ctx, id, body, ifMatch, view) => {
      const record = await directory.patchGroup(ctx, scimCommands.patchGroup(id, body, ifMatch));
      const written = { displayName: record.displayName };
      if (!wantsBody(view)) return { version: record.version, written };
      return { version: record.version, written, rendered: rendered({ record, members: loadMembers(view) ? await directory.membersOf(ctx, id) : undefined }) };
    },
    remove: (ctx, id, ifMatch) => directory.deleteGroup(ctx, scimCommands.deleteGroup(id, ifMatch)),
  };
}

function project(type: ResourceType, rendered: Rendered, view: View): Rendered {
  return { ...rendered, resource: createProjection(type, view)(rendered.resource) };
}

/**
 * RFC 7644 §3.5.2: a PATCH answers 200 with the resource, or 204. We answer 204 (what
 * Microsoft's clients expect) unless the client asked for attributes, which only make sense
 * with a body.
 */
function wantsBody(view: View): boolean {
  return view.attributes !== undefined || view.excludedAttributes !== undefined;
}

function viewOf(req: Request): View {
  return { attributes: attributeList(req.query, 'attributes'), excludedAttributes: attributeList(req.query, 'excludedAttributes') };
}

function assertSearchRequest(body: unknown): asserts body is Record<string, unknown> {
  const schemas = (body as { schemas?: unknown } | undefined)?.schemas;
  if (!Array.isArray(schemas) || !schemas.includes(SEARCH_REQUEST)) {
    throw scimError(400, 'invalidSyntax', `A search request body must be a JSON object whose schemas include "${SEARCH_REQUEST}"`);
  }
}

function listResponse(resources: unknown[], totalResults: number, startIndex: number) {
  return { schemas: [LIST_RESPONSE], totalResults, startIndex, itemsPerPage: resources.length, Resources: resources };
}

function findDocument(documents: object[], key: string, value: string): object {
  const found = documents.find((document) => String((document as Record<string, unknown>)[key]).toLowerCase() === value.toLowerCase());
  if (!found) throw scimError(404, undefined, `No ${key === 'id' ? 'schema' : 'resource type'} named ${excerpt(value, 60)}`);
  return found;
}

function sendResource(res: Response, status: number, rendered: Rendered): void {
  res.set('ETag', etagOf(rendered.version));
  sendScim(res, status, rendered.resource);
}

export function sendScim(res: Response, status: number, body: unknown): void {
  res.status(status).type('application/scim+json').send(JSON.stringify(body));
}
