/**
 * Builds /v1/openapi.json (OpenAPI 3.1) from the same zod schemas that validate requests, so the
 * document cannot drift from what the server accepts.
 */
import { z } from 'zod';
import { FindingSchema } from '../report/index.js';
import {
  CreateSandboxBodySchema,
  ErrorBodySchema,
  EventsQuerySchema,
  ExecBodySchema,
  ExecResultSchema,
  FilePathQuerySchema,
  FindingsQuerySchema,
  SandboxSchema,
  VerdictBodySchema,
} from './schemas.js';

type Json = Record<string, unknown>;

interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  summary: string;
  body?: z.ZodType;
  rawBody?: boolean;
  query?: z.ZodObject;
  response: { status: number; schema?: z.ZodType; contentType?: string; description?: string };
  open?: boolean;
}

const IdParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };

const ROUTES: RouteDoc[] = [
  { method: 'get', path: '/v1/health', summary: 'Liveness', response: { status: 200 }, open: true },
  {
    method: 'post',
    path: '/v1/sandboxes',
    summary: 'Create a live sandbox',
    body: CreateSandboxBodySchema,
    response: { status: 201, schema: SandboxSchema },
  },
  {
    method: 'get',
    path: '/v1/sandboxes',
    summary: 'List running sandboxes',
    response: { status: 200, schema: z.object({ sandboxes: z.array(SandboxSchema) }) },
  },
  {
    method: 'get',
    path: '/v1/sandboxes/{id}',
    summary: 'Get a sandbox',
    response: { status: 200, schema: SandboxSchema },
  },
  {
    method: 'delete',
    path: '/v1/sandboxes/{id}',
    summary: 'Destroy a sandbox and every process in it',
    response: { status: 200, schema: SandboxSchema },
  },
  {
    method: 'post',
    path: '/v1/sandboxes/{id}/exec',
    summary: 'Run one step (argv or sh -c command) in the sandbox',
    body: ExecBodySchema,
    response: { status: 200, schema: ExecResultSchema },
  },
  {
    method: 'put',
    path: '/v1/sandboxes/{id}/files',
    summary: 'Upload a workspace file (raw body)',
    rawBody: true,
    query: FilePathQuerySchema,
    response: { status: 200, schema: z.object({ path: z.string(), bytes: z.number().int() }) },
  },
  {
    method: 'get',
    path: '/v1/sandboxes/{id}/files',
    summary: 'Download a workspace file',
    query: FilePathQuerySchema,
    response: { status: 200, contentType: 'application/octet-stream' },
  },
  {
    method: 'get',
    path: '/v1/sandboxes/{id}/verdict',
    summary: 'Verdict from the findings so far',
    response: { status: 200, schema: VerdictBodySchema },
  },
  {
    method: 'get',
    path: '/v1/findings',
    summary: 'Findings, filtered',
    query: FindingsQuerySchema,
    response: { status: 200, schema: z.object({ findings: z.array(FindingSchema) }) },
  },
  {
    method: 'get',
    path: '/v1/events',
    summary: 'Server-sent events: replay after a sequence number, then live',
    query: EventsQuerySchema,
    response: {
      status: 200,
      contentType: 'text/event-stream',
      description: 'One JSON event per `data:` line; an `event: ready` frame once live',
    },
  },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    response: { status: 200, contentType: 'text/plain; version=0.0.4' },
  },
  {
    method: 'get',
    path: '/v1/openapi.json',
    summary: 'This document',
    response: { status: 200, contentType: 'application/json' },
    open: true,
  },
];

function schemaOf(schema: z.ZodType): Json {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  delete json.$schema;
  return json;
}

function queryParams(query: z.ZodObject): Json[] {
  return Object.entries(query.shape).map(([name, field]) => {
    const schema = field as z.ZodType;
    const json = schemaOf(schema);
    return {
      name,
      in: 'query',
      required: !schema.safeParse(undefined).success,
      ...(typeof json.description === 'string' ? { description: json.description } : {}),
      schema: json,
    };
  });
}

function operation(route: RouteDoc): Json {
  const op: Json = { summary: route.summary };
  const params: Json[] = [];
  if (route.path.includes('{id}')) params.push(IdParam);
  if (route.query) params.push(...queryParams(route.query));
  if (params.length) op.parameters = params;
  if (route.body) {
    op.requestBody = {
      required: true,
      content: { 'application/json': { schema: schemaOf(route.body) } },
    };
  } else if (route.rawBody) {
    op.requestBody = {
      required: true,
      content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
    };
  }
  const { status, schema, contentType, description } = route.response;
  const ok: Json = { description: description ?? 'OK' };
  if (schema) ok.content = { 'application/json': { schema: schemaOf(schema) } };
  else if (contentType) ok.content = { [contentType]: { schema: { type: 'string' } } };
  const error = {
    description: 'Error',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
  op.responses = { [String(status)]: ok, '4XX': error, '5XX': error };
  if (route.open) op.security = [];
  return op;
}

let cached: Json | undefined;

/** The OpenAPI 3.1 document of every route this server answers. */
export function openApiDocument(): Json {
  if (cached) return cached;
  const paths: Record<string, Json> = {};
  for (const route of ROUTES) (paths[route.path] ??= {})[route.method] = operation(route);
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'cordon API',
      version: '1',
      description:
        'Run agents in cordon sandboxes: create, exec steps, stream events, read findings and verdicts.',
    },
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: schemaOf(ErrorBodySchema) },
    },
    paths,
  };
  return cached;
}
