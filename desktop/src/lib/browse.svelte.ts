import { call } from './api.js';
import { isConnectionError } from './connection.js';
import { forTheApp } from './messages.js';
import { toModelView, type ModelView } from './civitai-view.js';

/**
 * The CivitAI browser's search, kept across page changes so that coming back from a model page finds the same
 * results.
 */
class BrowseState {
  query = $state('');
  type = $state('');
  baseModel = $state('');
  sort = $state('Highest Rated');
  results = $state.raw<ModelView[]>([]);
  cursor = $state<string | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  searched = $state(false);

  async search(more = false): Promise<void> {
    this.loading = true;
    const result = await call('civitai.search', {
      query: this.query.trim() || undefined,
      types: this.type ? [this.type] : undefined,
      baseModels: this.baseModel ? [this.baseModel] : undefined,
      sort: this.sort,
      nsfw: false,
      limit: 24,
      cursor: more ? (this.cursor ?? undefined) : undefined,
    });
    this.loading = false;
    this.searched = true;
    result.match(
      ({ items, nextCursor }) => {
        const views = items.map(toModelView).filter((m): m is ModelView => m !== null);
        this.results = more ? [...this.results, ...views] : views;
        this.cursor = nextCursor;
        this.error = null;
      },
      // The connection banner says when a part is down; this says what else went wrong.
      (error) => (this.error = isConnectionError(error) ? null : forTheApp(error.message)),
    );
  }
}

export const browse = new BrowseState();
