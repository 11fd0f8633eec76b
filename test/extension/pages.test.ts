import { describe, expect, it } from 'vitest';
import { civitaiRequest, huggingfaceRequest } from '../../extension/src/pages.js';

const model = {
  id: 4201,
  name: 'Realistic Vision',
  modelVersions: [
    { id: 130072, name: 'v6.0', files: [{ id: 1, primary: true, type: 'Model', metadata: { format: 'SafeTensor', size: 'pruned', fp: 'fp16' } }, { id: 2, type: 'Model', metadata: { format: 'SafeTensor', size: 'full', fp: 'fp32' } }] },
    { id: 120000, name: 'v5.1', files: [{ id: 3, primary: true, type: 'Model', metadata: { format: 'PickleTensor' } }] },
  ],
};
// Where civitai.com keeps it: the tRPC cache inside Next.js's page data.
const nextData = { props: { pageProps: { trpcState: { json: { queries: [{ state: { data: model } }] } } } } };

describe('what a CivitAI model page shows, as the add call that queues it', () => {
  it('takes the version in the address, and that version primary file', () => {
    expect(civitaiRequest({ url: 'https://civitai.com/models/4201/realistic-vision?modelVersionId=120000', nextData, downloadHrefs: [] }))
      .toEqual({ params: { version: 120000, file: 3 }, label: 'Realistic Vision · v5.1' });
  });

  it('without one, the version of the download button, and the file its filters pick', () => {
    const page = { url: 'https://civitai.com/models/4201', nextData, downloadHrefs: ['/api/download/models/130072?type=Model&format=SafeTensor&size=full&fp=fp32'] };
    expect(civitaiRequest(page)).toEqual({ params: { version: 130072, file: 2 }, label: 'Realistic Vision · v6.0' });
  });

  it('without page data, the ids the address and the links give; without any version, the model', () => {
    expect(civitaiRequest({ url: 'https://civitai.com/models/4201?modelVersionId=130072', nextData: null, downloadHrefs: [] })).toEqual({ params: { version: 130072 }, label: 'version 130072' });
    expect(civitaiRequest({ url: 'https://civitai.com/models/4201/x', nextData: null, downloadHrefs: [] })).toEqual({ params: { model: 4201 }, label: 'model 4201' });
  });

  it('is nothing on pages that are not a model page', () => {
    for (const url of ['https://civitai.com/', 'https://civitai.com/models', 'https://civitai.com/images/5', 'https://civitai.com/models/abc', 'not a url']) {
      expect(civitaiRequest({ url, nextData, downloadHrefs: [] }), url).toBeNull();
    }
  });
});

describe('what a Hugging Face page shows', () => {
  it('a file page is its own URL, without the page state in the query or fragment', () => {
    expect(huggingfaceRequest({ url: 'https://huggingface.co/black-forest-labs/FLUX.1-dev/blob/main/ae.safetensors?show=1#L3' }))
      .toEqual({ params: { ref: 'https://huggingface.co/black-forest-labs/FLUX.1-dev/blob/main/ae.safetensors' }, label: 'ae.safetensors' });
    expect(huggingfaceRequest({ url: 'https://huggingface.co/Comfy-Org/flux1/blob/main/split_files/vae/ae%20v2.safetensors' })?.label).toBe('ae v2.safetensors');
  });

  it('is nothing on a repository, a folder, a dataset or a space', () => {
    for (const url of ['https://huggingface.co/org/repo', 'https://huggingface.co/org/repo/tree/main/vae', 'https://huggingface.co/datasets/org/set/blob/main/x.parquet', 'https://huggingface.co/spaces/org/app/blob/main/app.py']) {
      expect(huggingfaceRequest({ url }), url).toBeNull();
    }
  });
});
