/** Vite's `?raw` import: the file's text, bundled (the demo README shown in the Library). */
declare module '*.md?raw' {
  const text: string;
  export default text;
}
