// Pages on 127.0.0.1 built like civitai.com's model pages and huggingface.co's file pages, for the extension's
// browser test: the same URL shapes, the same embedded Next.js state (`__NEXT_DATA__` holding the tRPC cache
// with the model object CivitAI's API returns) and the same download links. The model data comes from the
// CivitAI simulator, so what the page shows is what the daemon will resolve.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MirrorPages {
  readonly url: string;
  close(): Promise<void>;
}

const escape = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
// JSON inside <script> must not close it.
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

function civitaiPage(model: { id: number; name: string; type: string; modelVersions: { id: number; name: string }[] }, versionId: number): string {
  const nextData = {
    props: {
      pageProps: {
        id: model.id,
        trpcState: { json: { queries: [{ state: { data: model, status: 'success' }, queryKey: [['model', 'getById'], { input: { id: model.id }, type: 'query' }] }] } },
      },
    },
    page: '/models/[id]/[[...slug]]',
    query: { id: String(model.id), modelVersionId: String(versionId) },
    buildId: 'mirror',
  };
  const tabs = model.modelVersions.map((v) => `<button type="button" data-version="${v.id}">${escape(v.name)}</button>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(model.name)} | Stable Diffusion ${escape(model.type)} | Civitai</title></head>
<body><div id="__next"><main><h1>${escape(model.name)}</h1><div class="version-tabs">${tabs}</div>
<a href="/api/download/models/${versionId}?type=Model&amp;format=SafeTensor">Download</a></main></div>
<script id="__NEXT_DATA__" type="application/json">${scriptJson(nextData)}</script></body></html>`;
}

function huggingfacePage(owner: string, repo: string, revision: string, path: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(path)} · ${escape(owner)}/${escape(repo)} at ${escape(revision)}</title></head>
<body><header><a href="/${owner}/${repo}">${escape(owner)}/${escape(repo)}</a></header><main>
<div class="breadcrumbs"><a href="/${owner}/${repo}/tree/${revision}">${escape(repo)}</a> / <span>${escape(path)}</span></div>
<a href="/${owner}/${repo}/resolve/${revision}/${path}?download=true" download>download</a>
<p>This file is stored with Git LFS.</p></main></body></html>`;
}

/** `civitaiApi` is the simulator's API address: model pages embed its answer for that model. */
export async function startMirrorPages(civitaiApi: string): Promise<MirrorPages> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://mirror');
    const send = (status: number, html: string) => {
      res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(html);
    };
    const model = /^\/models\/(\d+)(?:\/[^/]*)?$/.exec(url.pathname);
    if (model) {
      void fetch(`${civitaiApi}/api/v1/models/${model[1]}`).then(async (r) => {
        if (!r.ok) return send(404, '<!doctype html><title>Not found</title>');
        const data = (await r.json()) as Parameters<typeof civitaiPage>[0];
        const versionId = Number(url.searchParams.get('modelVersionId') ?? data.modelVersions[0]!.id);
        send(200, civitaiPage(data, versionId));
      });
      return;
    }
    const file = /^\/([^/]+)\/([^/]+)\/blob\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (file) return send(200, huggingfacePage(file[1]!, file[2]!, file[3]!, file[4]!));
    send(404, '<!doctype html><title>Not found</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
