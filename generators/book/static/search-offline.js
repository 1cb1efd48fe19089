/* Search results with an extract, from file:// and without any request.
 *
 * Sphinx's searchtools.js fetches every result page to cut an extract from it, which a
 * browser refuses from file:// (the book is opened offline): results were bare titles.
 * The build writes the text of every section in _static/search-texts.js
 * (MQ_SEARCH_TEXTS, generators/book/search.py); this replaces Search.query so that each
 * result shows the passage around the first word that matched, highlighted, and links
 * to that section. The query and the texts are compared without accents, as the index
 * is (the same French stemmer on accent-free words), and a section title typed without
 * its accents matches too. Loaded (deferred) by the search page only, after
 * searchtools.js and language_data.js. */
(function () {
  "use strict";
  if (typeof Search === "undefined" || typeof Stemmer === "undefined") return;

  var TEXTS = window.MQ_SEARCH_TEXTS || {};
  var BEFORE = 90;   // characters of context before the first match
  var LENGTH = 260;  // length of an extract
  var NEAR = 60;     // the query's words this close together make the extract's focus
  var WORD = /[\p{L}\p{N}_]+/gu;
  var stemmer = new Stemmer();
  var stems = new Map();

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  function stem(lower) {
    if (!stems.has(lower)) stems.set(lower, stemmer.stemWord(lower));
    return stems.get(lower);
  }

  /* The query's (stemmed, accent-free) term this word of the text matches, or null:
   * the same word once stemmed, or a longer word containing it (as Sphinx's partial match). */
  function termOf(word, terms) {
    var lower = word.toLowerCase();
    var stemmed = stem(lower);
    var folded = fold(lower);
    for (var i = 0; i < terms.length; i++) {
      if (stemmed === terms[i] || (terms[i].length > 2 && folded.indexOf(terms[i]) !== -1)) return terms[i];
    }
    return null;
  }

  function hitsIn(text, terms) {
    var hits = [];
    var match;
    WORD.lastIndex = 0;
    while ((match = WORD.exec(text)) !== null) {
      var term = termOf(match[0], terms);
      if (term !== null) hits.push({ start: match.index, end: match.index + match[0].length, term: term });
    }
    return hits;
  }

  /* The section of a page where the query's words are: the one holding the most of
   * them, the first in reading order among equals (the result's own section first). */
  function bestSection(docName, anchor, terms) {
    var sections = (TEXTS[docName] || []).slice();
    if (anchor) {
      var own = sections.filter(function (s) { return "#" + s[0] === anchor; });
      sections = own.concat(sections.filter(function (s) { return "#" + s[0] !== anchor; }));
    }
    var best = null;
    sections.forEach(function (section) {
      var hits = hitsIn(section[2], terms);
      if (!hits.length) return;
      var found = new Set(hits.map(function (h) { return h.term; })).size;
      if (best === null || found > best.found) best = { section: section, hits: hits, found: found };
    });
    return best;
  }

  /* Where the extract starts: the first place where the most of the query's words are
   * close together (the first match for a one-word query). */
  function focus(hits) {
    var best = hits[0], most = 0;
    hits.forEach(function (hit) {
      var near = new Set();
      hits.forEach(function (other) {
        if (other.start >= hit.start && other.end <= hit.start + NEAR) near.add(other.term);
      });
      if (near.size > most) { most = near.size; best = hit; }
    });
    return best;
  }

  function extract(best) {
    var text = best.section[2];
    var hit = focus(best.hits);
    var first = hit.start;
    // from the section's (or glossary term's) start when the word is within reach of it
    var start = hit.end <= LENGTH - 20 ? 0 : first - BEFORE;
    if (start > 0) start = text.indexOf(" ", start) + 1 || first;
    if (start > first) start = first;
    var end = Math.min(text.length, start + LENGTH);
    if (end < text.length) {
      var cut = text.lastIndexOf(" ", end);
      if (cut > first) end = cut;
    }
    var summary = document.createElement("p");
    summary.classList.add("context");
    var at = start;
    summary.appendChild(document.createTextNode(start > 0 ? "… " : ""));
    best.hits.forEach(function (hit) {
      if (hit.start < at || hit.end > end) return;
      summary.appendChild(document.createTextNode(text.slice(at, hit.start)));
      var mark = summary.appendChild(document.createElement("span"));
      mark.className = "highlighted";
      mark.textContent = text.slice(hit.start, hit.end);
      at = hit.end;
    });
    summary.appendChild(document.createTextNode(text.slice(at, end) + (end < text.length ? " …" : "")));
    return summary;
  }

  function displayItem(item, terms) {
    var docName = item[0], title = item[1], anchor = item[2], descr = item[3], score = item[4];
    var best = DOCUMENTATION_OPTIONS.SHOW_SEARCH_SUMMARY ? bestSection(docName, anchor, terms) : null;
    if (!anchor && best && best.section[0]) anchor = "#" + best.section[0];
    var listItem = document.createElement("li");
    var link = listItem.appendChild(document.createElement("a"));
    link.href = docName + DOCUMENTATION_OPTIONS.LINK_SUFFIX + anchor;
    link.dataset.score = score;
    link.innerHTML = title;
    if (descr) listItem.appendChild(document.createElement("span")).innerHTML = " (" + descr + ")";
    if (best) listItem.appendChild(extract(best));
    return listItem;
  }

  /* Sphinx matches a section title against the query as typed: the same, accents aside. */
  function accentFreeTitleResults(query, results) {
    var index = Search._index;
    var typed = query.toLowerCase().trim();
    var wanted = fold(typed);
    var seen = new Set(results.map(function (r) { return r[0] + r[2]; }));
    var extra = [];
    Object.keys(index.alltitles).forEach(function (title) {
      var lower = title.toLowerCase().trim();
      if (lower.indexOf(typed) !== -1 || fold(lower).indexOf(wanted) === -1) return;
      if (wanted.length < title.length / 2) return;
      index.alltitles[title].forEach(function (found) {
        var file = found[0], id = found[1];
        var docTitle = index.titles[file];
        var result = [
          index.docnames[file],
          docTitle !== title ? docTitle + " > " + title : title,
          id !== null ? "#" + id : "",
          null,
          Math.round((Scorer.title * wanted.length) / title.length) + (docTitle === title ? 1 : 0),
          index.filenames[file],
        ];
        if (Scorer.score) result[4] = Scorer.score(result);
        if (!seen.has(result[0] + result[2])) extra.push(result);
      });
    });
    return extra;
  }

  /* A page whose title names the query's words, and that uses them more, comes first
   * (Sphinx gives the same score to every page with the word in one of its titles, then
   * sorts them alphabetically). */
  var current = [];
  function hitCount(docName, anchor) {
    var sections = TEXTS[docName] || [];
    if (anchor) sections = sections.filter(function (s) { return "#" + s[0] === anchor; });
    return sections.reduce(function (n, s) { return n + hitsIn(s[2], current).length; }, 0);
  }
  Scorer.score = function (result) {
    var title = result[1].replace(/<[^>]*>/g, "").split(" > ").pop();
    var named = hitsIn(title, current).length > 0 ? 20 : 0;
    return result[4] + named + Math.min(15, hitCount(result[0], result[2]));
  };

  /* A term the index does not hold falls back on the longest indexed term it starts
   * with. The index is stemmed by this page's own stemmer (generators/book/search.py)
   * when the book was built with Node.js; without it, by Python's Snowball stemmer, which
   * cuts a few words differently (« française » is « francais » here, « franc » there). */
  function knownTerm(term) {
    var index = Search._index;
    var known = function (t) { return index.terms.hasOwnProperty(t) || index.titleterms.hasOwnProperty(t); };
    if (known(term)) return term;
    var keys = Object.keys(index.terms).concat(Object.keys(index.titleterms));
    if (keys.some(function (k) { return k.indexOf(term) !== -1; })) return term;
    var best = term;
    keys.forEach(function (k) {
      if (k.length >= 4 && term.indexOf(k) === 0 && (best === term || k.length > best.length)) best = k;
    });
    return best;
  }

  Search.query = function (query) {
    var parsed = Search._parseQuery(query);
    parsed[1] = new Set(Array.from(parsed[1]).map(knownTerm));
    current = Array.from(parsed[1]);
    var results = Search._performSearch.apply(Search, parsed);
    var extra = accentFreeTitleResults(parsed[0], results);
    if (extra.length) results = results.concat(extra).sort(_orderResultsByScoreThenName);
    // the best result is the last one (searchtools.js pops them); a page found both by a
    // section title and by its text is listed once, where its words are
    var shown = new Set();
    var count = 0;
    for (var i = results.length - 1; i >= 0; i--) {
      var item = displayItem(results[i], current);
      var href = item.querySelector("a").getAttribute("href");
      if (shown.has(href)) continue;
      shown.add(href);
      Search.output.appendChild(item);
      count++;
    }
    Search.status.setAttribute("role", "status");
    // a tick later, so that the status region announces the count it now receives
    window.setTimeout(function () { _finishSearch(count); }, 0);
  };
})();
