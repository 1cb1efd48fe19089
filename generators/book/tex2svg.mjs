// Draws a page's TeX formulas as SVG with MathJax 4 (npm @mathjax/src), for
// generators/book/formulas.py. Reads {modules, narrow, formulas: [{tex, display}]} on
// stdin; writes {css, glyphs, formulas: [{wide, narrow}]} on stdout.
// `glyphs` holds the paths every drawing of the page refers to (one copy per page);
// `narrow` is the display formula broken over lines to fit `narrow` pixels, or "" when
// the wide drawing already fits. An in-line formula is drawn in pieces cut where it may
// break (between its terms), which the browser wraps like words. Each drawing carries
// MathJax's hidden MathML for screen readers.
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {pathToFileURL} from 'node:url';

const request = JSON.parse(readFileSync(0, 'utf8'));
const entry = join(request.modules, '@mathjax', 'src', 'bundle', 'node-main.mjs');
const {default: MathJax} = await import(pathToFileURL(entry).href);
await MathJax.init({
  loader: {load: ['input/tex', 'output/svg', 'a11y/assistive-mml']},
  // an unknown command is an error (counted by the build), not red text in the page
  tex: {packages: {'[-]': ['noundefined']}},
  svg: {fontCache: 'global', displayOverflow: 'linebreak', linebreaks: {inline: true}},
  startup: {typeset: false},
});
const adaptor = MathJax.startup.adaptor;
const EM = 16, EX = 8;
const widthOf = (html) => Number((/ width="([\d.]+)ex"/.exec(html) || [0, 0])[1]) * EX;

const formulas = [];
for (const {tex, display} of request.formulas) {
  const draw = async (containerWidth) => adaptor.outerHTML(
    await MathJax.tex2svgPromise(tex, {display, em: EM, ex: EX, containerWidth}));
  const wide = await draw(1e6);
  const width = widthOf(wide);
  const narrow = display && width > request.narrow ? await draw(request.narrow) : '';
  formulas.push({wide, narrow: narrow === wide ? '' : narrow});
}
process.stdout.write(JSON.stringify({
  css: adaptor.textContent(MathJax.svgStylesheet()),
  glyphs: adaptor.innerHTML(MathJax.startup.output.fontCache.getCache()),
  formulas,
}));
