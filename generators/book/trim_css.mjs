// Trims the theme's style sheets to the rules the built book can use, with PurgeCSS (npm
// `purgecss`), for generators/book/chrome.py. Reads {modules, root, sheets: [paths]} on
// stdin, rewrites each sheet in place, writes {path: [bytes before, bytes after]}.
// A selector is kept when its classes, ids and tags appear in a page or in a script of
// the site (so classes a script adds, like Bootstrap's `show`, are kept); attributes the
// scripts set at run time (the theme's dark mode, the tooltips' placement) are declared.
import {readFileSync, statSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {pathToFileURL} from 'node:url';

const request = JSON.parse(readFileSync(0, 'utf8'));
const entry = join(request.modules, 'purgecss', 'lib', 'purgecss.esm.js');
const {PurgeCSS} = await import(pathToFileURL(entry).href);
const results = await new PurgeCSS().purge({
  css: request.sheets,
  content: [`${request.root}/**/*.html`, `${request.root}/_static/**/*.js`],
  dynamicAttributes: ['data-theme', 'data-mode', 'data-bs-theme', 'data-popper-placement', 'data-bs-popper'],
  safelist: {
    // a rule on a state alone (`:focus-visible`, the theme's focus ring) names nothing to look for
    standard: [/^:focus-visible$/, /^:focus$/, /^tooltip/, /^bs-tooltip/, /^popover/, /^bs-popover/, /^show$/, /^showing$/, /^hiding$/, /^fade$/, /^collapsing$/],
  },
});
const sizes = {};
for (const {file, css} of results) {
  sizes[file] = [statSync(file).size];
  writeFileSync(file, css);
  sizes[file].push(Buffer.byteLength(css));
}
process.stdout.write(JSON.stringify(sizes));
