import { parseRoute, routeHash, type Route } from './routes.js';

export const router = $state<{ route: Route }>({ route: parseRoute(location.hash) });

window.addEventListener('hashchange', () => {
  router.route = parseRoute(location.hash);
});

export function navigate(route: Route): void {
  location.hash = routeHash(route);
}
