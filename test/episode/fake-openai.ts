/**
 * A fake OpenAI-compatible server for tests: node:http on 127.0.0.1 port 0, POST
 * /v1/chat/completions, replaying scripted assistant messages in order (tool_calls with
 * finish_reason `tool_calls`, or content with `stop`) and recording every request body.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedToolCall {
  name: string;
  arguments: Record<string, unknown> | string;
}

export type ScriptedReply =
  { toolCalls: ScriptedToolCall[] } | { content: string } | { status: number; body: string };

export interface ChatMessage {
  role: string;
  content?: string | null;
  tool_call_id?: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  tools: { function: { name: string } }[];
}

export interface FakeOpenAI {
  baseUrl: string;
  requests: { headers: Record<string, string | string[] | undefined>; body: ChatRequest }[];
  close(): Promise<void>;
}

export async function startFakeOpenAI(replies: ScriptedReply[]): Promise<FakeOpenAI> {
  const requests: FakeOpenAI['requests'] = [];
  let n = 0;
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end('{"error":{"message":"not found"}}');
        return;
      }
      requests.push({ headers: req.headers, body: JSON.parse(raw) as ChatRequest });
      const reply = replies[n++] ?? { content: 'All done.' };
      if ('status' in reply) {
        res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
        return;
      }
      const message =
        'toolCalls' in reply
          ? {
              role: 'assistant',
              content: null,
              tool_calls: reply.toolCalls.map((c, i) => ({
                id: `call_${n}_${i}`,
                type: 'function',
                function: {
                  name: c.name,
                  arguments:
                    typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments),
                },
              })),
            }
          : { role: 'assistant', content: reply.content };
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: `chatcmpl-${n}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: requests.at(-1)?.body.model,
          choices: [
            { index: 0, message, finish_reason: 'toolCalls' in reply ? 'tool_calls' : 'stop' },
          ],
          usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
