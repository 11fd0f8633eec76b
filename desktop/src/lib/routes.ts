// The app's pages live in the URL fragment (`#/library`), which also carries the launch token once (`#token=…`).

export type Route =
  | { readonly page: 'downloads' }
  | { readonly page: 'library' }
  | { readonly page: 'browse' }
  | { readonly page: 'model'; readonly id: number }
  | { readonly page: 'updates' }
  | { readonly page: 'workflow' }
  | { readonly page: 'timeline' }
  | { readonly page: 'extension' };

export type PageName = Route['page'];

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  const model = /^browse\/model\/(\d{1,10})$/.exec(path);
  if (model) return { page: 'model', id: Number(model[1]) };
  switch (path) {
    case 'library':
    case 'browse':
    case 'updates':
    case 'workflow':
    case 'timeline':
    case 'extension':
      return { page: path };
    default:
      return { page: 'downloads' };
  }
}

export function routeHash(route: Route): string {
  return route.page === 'model' ? `#/browse/model/${route.id}` : `#/${route.page}`;
}

function fragmentValue(hash: string, name: string): string | null {
  const match = new RegExp(`^#(?:.*&)?${name}=([A-Za-z0-9_-]{16,200})(?:&|$)`).exec(hash);
  return match?.[1] ?? null;
}

/** The session token, when the user opened the address `comfyui-dl ui` printed. */
export function tokenFromHash(hash: string): string | null {
  return fragmentValue(hash, 'token');
}

/** The one-time code, when `comfyui-dl ui` opened the window itself. */
export function launchCodeFromHash(hash: string): string | null {
  return fragmentValue(hash, 'launch');
}
