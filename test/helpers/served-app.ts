// Requests to a `bild-bench serve` app (src-main/server) as a script would send them.
import type { ServedApp } from '../../src-main/server/serve-app';

export interface ApiReply {
  status: number;
  body: { result?: unknown; error?: { message: string; userError: boolean } };
}

/** `Authorization: Bearer <token>`: how scripts authenticate. */
export function bearer(app: Pick<ServedApp, 'token'>): Record<string, string> {
  return { authorization: `Bearer ${app.token}` };
}

/** POST /api/<method> with a JSON body (`args` as given, so that tests can send what the app never would); `headers` default to the token. */
export async function postApi(app: ServedApp, method: string, args: unknown, headers = bearer(app)): Promise<ApiReply> {
  const res = await fetch(new URL(`api/${method}`, app.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(args),
  });
  return { status: res.status, body: (await res.json()) as ApiReply['body'] };
}

/** Where the page answering `?token=` sends the browser on: its meta refresh's URL, as written in the HTML. */
export function refreshTarget(html: string): string | undefined {
  return /<meta http-equiv="refresh" content="0; url=([^"]*)">/.exec(html)?.[1];
}
