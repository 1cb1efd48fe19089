// The browser's stemmer at build time, for generators/book/search.py: runs the very
// JavaScript the search page runs (Sphinx's Snowball French stemmer behind the accent
// folding), so the index holds the terms a reader's query becomes. The first line of
// stdin is {code}; then one word per line in, its stem per line out.
import {createInterface} from 'node:readline';
import vm from 'node:vm';

let stemmer = null;
for await (const line of createInterface({input: process.stdin})) {
  if (stemmer === null) {
    const context = vm.createContext({});
    vm.runInContext(JSON.parse(line).code + '\n;globalThis.stemmer = new Stemmer();', context);
    stemmer = context.stemmer;
    continue;
  }
  process.stdout.write(stemmer.stemWord(line) + '\n');
}
