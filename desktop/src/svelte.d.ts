declare module '*.svelte' {
  import type { Component } from 'svelte';
  const component: Component;
  export default component;
}

// Vite bundles the stylesheet imported by main.ts.
declare module '*.css';
