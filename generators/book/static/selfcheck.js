/* Self-check exercises of the course book.
 * Plain JavaScript, no network, works from file://: each widget carries its variants
 * (generated at build time from the exercise templates) in a JSON script element.
 * Usable by keyboard and screen reader: every field is labelled by its own question,
 * Enter checks, the feedback is announced, the focus stays in the exercise. */
(function () {
  "use strict";

  /* French typography for the messages built here (the build typesets the rest):
   * a no-break space before ":", a narrow one before ; ! ? and before % or €. */
  function fr(text) {
    return String(text)
      .replace(/ :/g, "\u00a0:")
      .replace(/ ([;!?])/g, "\u202f$1")
      .replace(/(\d) (%|€)/g, "$1\u00a0$2");
  }

  var UNIT_LABEL = { "€": "€", "%": "%", "points": "points", "": "" };
  var UNIT_EXPECTED = { "€": "en euros (€)", "%": "en pourcentage (%)", "points": "en points", "": "sans unité" };
  var UNIT_TYPED = { "€": "un montant en euros", "%": "un pourcentage", "points": "des points" };
  /* Units a student may type after the number, in symbols or in words. */
  var UNIT_WORDS = [
    [/^(€|euros?|eur)$/i, "€"],
    [/^(%|pour\s*cents?|pourcents?|p\.?\s?cent)$/i, "%"],
    [/^(points?|pts?\.?)$/i, "points"]
  ];

  /* Read an answer as a French reader writes it: 12,5 · 12.5 · 1 250 € · 46,88 euros ·
   * 3,4 pour cent · +39 · −39 (U+2212). Returns {value, unit} ("" when no unit typed),
   * {error: "mixed"} for 1.250,5 or 1,250.5 (the notebook refuses them too: which one is
   * the decimal separator?), or null when it is not a number. */
  function readAnswer(text) {
    var t = String(text).trim().replace(/^["'«\s]+|["'»\s]+$/g, "");
    t = t.replace(/[\u2212\u2013\u2012]/g, "-");
    var unit = "";
    var found = /^(.*?\d[\s\u00a0\u202f\u2009]*)([^\d\s.,][^\d]*?)\.?$/.exec(t);
    if (found) {
      var word = found[2].trim();
      unit = null;
      for (var i = 0; i < UNIT_WORDS.length; i++) {
        if (UNIT_WORDS[i][0].test(word)) unit = UNIT_WORDS[i][1];
      }
      if (unit === null) return null;
      t = found[1];
    }
    t = t.replace(/[\s\u00a0\u202f\u2009']/g, "");
    if (/[.,].*[.,]/.test(t)) return { error: "mixed" };
    if (!/^[+-]?(\d+([.,]\d*)?|[.,]\d+)$/.test(t)) return null;
    return { value: parseFloat(t.replace(",", ".")), unit: unit };
  }

  /* The number alone, or null (kept for pages and tests that read numbers). */
  function parseFrench(text) {
    var read = readAnswer(text);
    return read && !read.error ? read.value : null;
  }

  function close(a, b, tolerance) {
    return Math.abs(a - b) <= tolerance + 1e-9;
  }

  var WRITTEN_MESSAGE = "Question rédigée : comparez avec le corrigé.";

  /* A verdict: ok true (right), false (wrong), null (nothing to judge); `near` when the
   * value is the answer rounded too early. Order: right, typical mistake (its named
   * diagnosis), rounded too early (the rule is computed at build time, in
   * generators/authoring/rounding.py, shared with the graded notebook), wrong. */
  function judge(question, field, texts) {
    if (question.kind === "written") return { ok: null, message: WRITTEN_MESSAGE };
    if (question.kind === "choice") {
      var picked = field.querySelector("input:checked");
      if (!picked) return { ok: false, message: "Choisissez une réponse." };
      if (picked.value === question.answer) return { ok: true, message: "Bonne réponse." };
      var option = question.options.filter(function (o) { return o.letter === picked.value; })[0];
      return { ok: false, message: "Ce n'est pas la bonne réponse. " + (option.explanation || "") };
    }
    var read = readAnswer(field.querySelector("input").value);
    if (read && read.error === "mixed") {
      return { ok: false, message: "Écrivez le nombre sans point entre les milliers, avec une virgule pour les décimales, par exemple 1250,5." };
    }
    if (read === null) return { ok: false, message: "Écrivez un nombre, par exemple 12,5." };
    var expectedUnit = question.unit || "";
    if (read.unit && read.unit !== expectedUnit && !(expectedUnit === "" && read.unit === "points")) {
      return {
        ok: false,
        message: "Unité incohérente : vous avez écrit " + UNIT_TYPED[read.unit] +
          ", la réponse attendue est " + UNIT_EXPECTED[expectedUnit] + "."
      };
    }
    var value = read.value;
    if (close(value, question.answer, question.tolerance)) {
      return { ok: true, message: "Bonne réponse : " + question.expected + "." };
    }
    for (var i = 0; i < question.mistakes.length; i++) {
      var mistake = question.mistakes[i];
      if (close(value, mistake.value, question.tolerance)) {
        return { ok: false, message: "Erreur fréquente. " + mistake.explanation };
      }
    }
    var near = (question.near || []).some(function (n) { return Math.abs(value - n) <= 1e-9 * Math.max(1, Math.abs(n)); });
    if (near) return { ok: false, near: true, message: (texts || {}).near || "Presque : arrondissez moins tôt." };
    return { ok: false, message: "Ce n'est pas la bonne valeur. Réessayez, ou affichez le corrigé." };
  }

  /* A case study's tables of this version, as CSV files to open in a spreadsheet or with
   * pandas: built in the page (a Blob), so the link works from file:// with no server. */
  function downloads(files) {
    var box = el("div", "mq-files");
    box.appendChild(el("p", "mq-files-title", fr("Les données de cette version, à ouvrir dans un tableur ou avec pandas (CSV, séparateur point-virgule, virgule décimale) :")));
    var list = el("ul");
    files.forEach(function (file) {
      var link = el("a", "mq-download", fr("Télécharger " + file.name + " (" + file.rows + " lignes)"));
      link.href = URL.createObjectURL(new Blob([file.csv], { type: "text/csv;charset=utf-8" }));
      link.download = file.name;
      var item = el("li");
      item.appendChild(link);
      list.appendChild(item);
    });
    box.appendChild(list);
    return box;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  var widgets = 0;

  /* A wide table scrolls inside its own region, which then takes the keyboard focus and
   * shows a hint; a table that fits stays out of the tab order. */
  function wrapTables(container, label) {
    Array.prototype.forEach.call(container.querySelectorAll("table"), function (table) {
      var region = el("div", "mq-scroll");
      region.setAttribute("role", "region");
      region.setAttribute("aria-label", label);
      table.parentNode.insertBefore(region, table);
      region.appendChild(table);
      var hint = el("p", "mq-scroll-hint", "↔ Faites défiler le tableau pour voir toutes ses colonnes.");
      hint.hidden = true;
      region.parentNode.insertBefore(hint, region.nextSibling);
    });
  }

  function refreshTables(scope) {
    Array.prototype.forEach.call(scope.querySelectorAll(".mq-scroll"), function (region) {
      var wide = region.scrollWidth > region.clientWidth + 1;
      if (wide) region.setAttribute("tabindex", "0");
      else region.removeAttribute("tabindex");
      var hint = region.nextElementSibling;
      if (hint && hint.classList.contains("mq-scroll-hint")) hint.hidden = !wide;
    });
  }

  function prefixed(mark, message) {
    var box = document.createDocumentFragment();
    var sign = el("span", "mq-mark", mark + " ");
    sign.setAttribute("aria-hidden", "true");
    box.appendChild(sign);
    box.appendChild(document.createTextNode(fr(message)));
    return box;
  }

  function renderVariant(root, data, index) {
    var variant = data.variants[index];
    var host = root;
    if (!host.dataset.mqUid) host.dataset.mqUid = String(++widgets);
    host.mercatique = { data: data, index: index };  // what is shown, for tests and tools
    var uid = "mq" + host.dataset.mqUid;
    root = host.querySelector(".mq-body");
    if (!root) {
      root = el("div", "mq-body");
      host.appendChild(root);
    }
    root.innerHTML = "";
    var head = el("div", "mq-head");
    head.appendChild(el("span", "mq-badge", "S'entraîner"));
    var count = el("p", "mq-count", "Version " + (index + 1) + " sur " + data.variants.length);
    count.id = uid + "-version";
    count.tabIndex = -1;  // takes the focus after « Nouvel exercice »
    head.appendChild(count);
    root.appendChild(head);
    var statement = el("div", "mq-statement");
    statement.innerHTML = variant.statement;
    wrapTables(statement, "Tableau de l'énoncé");
    root.appendChild(statement);
    if (variant.files && variant.files.length) root.appendChild(downloads(variant.files));

    /* how to round and the « Presque » message, once per precision in the exercise's data */
    function rounding(question) {
      return (data.rounding || {})[String(question.decimals)] || {};
    }

    var fields = [];
    variant.questions.forEach(function (question, qIndex) {
      var base = uid + "-q" + (qIndex + 1);
      var choice = question.kind === "choice";
      var box = el(choice ? "fieldset" : "div", "mq-question");
      var prompt = el(choice ? "legend" : "div", "mq-prompt");
      prompt.id = base + "-prompt";
      prompt.innerHTML = "<strong>Question " + (qIndex + 1) + ".</strong> " + question.prompt;
      box.appendChild(prompt);
      var field = el("div", "mq-field");
      var feedback = el("div", "mq-feedback");
      feedback.id = base + "-feedback";
      feedback.setAttribute("aria-live", "polite");
      var described = [];
      if (question.kind === "written") {
        var area = el("textarea", "mq-written");
        area.id = base + "-input";
        area.rows = 5;
        area.setAttribute("aria-labelledby", prompt.id);
        area.setAttribute("aria-describedby", feedback.id);
        area.placeholder = "Rédigez votre réponse, puis comparez-la avec le corrigé.";
        field.appendChild(area);
      } else if (choice) {
        question.options.forEach(function (option, oIndex) {
          var label = el("label", "mq-option");
          var input = el("input");
          input.type = "radio";
          input.id = base + "-option" + (oIndex + 1);
          input.name = base;
          input.value = option.letter;
          input.setAttribute("aria-describedby", feedback.id);
          label.htmlFor = input.id;
          label.appendChild(input);
          label.appendChild(document.createTextNode(" " + option.letter + ". " + option.text));
          field.appendChild(label);
        });
      } else {
        var input = el("input", "mq-input");
        input.type = "text";
        input.id = base + "-input";
        input.setAttribute("inputmode", "decimal");
        input.setAttribute("autocomplete", "off");
        input.placeholder = "ex. 12,5";
        var labelledBy = [prompt.id];
        field.appendChild(input);
        if (UNIT_LABEL[question.unit]) {
          var unit = el("span", "mq-unit", UNIT_LABEL[question.unit]);
          unit.id = base + "-unit";
          field.appendChild(unit);
          labelledBy.push(unit.id);
        }
        input.setAttribute("aria-labelledby", labelledBy.join(" "));
        if (rounding(question).hint) {
          var hint = el("p", "mq-hint", fr(rounding(question).hint));
          hint.id = base + "-hint";
          described.push(hint.id);
          field.appendChild(hint);
        }
        described.push(feedback.id);
        input.setAttribute("aria-describedby", described.join(" "));
      }
      box.appendChild(field);
      box.appendChild(feedback);
      root.appendChild(box);
      fields.push({ question: question, field: field, feedback: feedback });
    });

    var solution = el("div", "mq-solution");
    solution.id = uid + "-solution";
    solution.innerHTML = "<p><strong>Corrigé</strong></p>" + variant.solution;
    variant.questions.forEach(function (question, qIndex) {
      if (question.kind !== "written") return;
      var part = el("div", "mq-model");
      part.innerHTML = "<p><strong>Question " + (qIndex + 1) + " (rédigée) : éléments attendus</strong></p>" +
        question.model_answer + "<p><em>Barème</em></p>" + question.rubric;
      solution.appendChild(part);
    });
    wrapTables(solution, "Tableau du corrigé");
    solution.hidden = true;

    var buttons = el("div", "mq-buttons");
    var check = el("button", "mq-check", "Vérifier mes réponses");
    var reveal = el("button", "mq-reveal", "Voir le corrigé");
    reveal.setAttribute("aria-expanded", "false");
    reveal.setAttribute("aria-controls", solution.id);
    var next = el("button", "mq-next", "Nouvel exercice");
    [check, reveal, next].forEach(function (b) { b.type = "button"; buttons.appendChild(b); });
    root.appendChild(buttons);
    root.appendChild(solution);

    function checkAll() {
      fields.forEach(function (f) {
        var verdict = judge(f.question, f.field, rounding(f.question));
        f.feedback.textContent = "";
        if (verdict.ok === null) {  // a written answer: no verdict, the model answer is behind the toggle
          f.feedback.appendChild(prefixed("✎", verdict.message));
          f.feedback.className = "mq-feedback mq-written-note";
          return;
        }
        f.feedback.appendChild(prefixed(verdict.ok ? "✔" : verdict.near ? "≈" : "✘", verdict.message));
        f.feedback.className = "mq-feedback " + (verdict.ok ? "mq-ok" : verdict.near ? "mq-near" : "mq-ko");
      });
    }

    check.addEventListener("click", checkAll);
    root.addEventListener("keydown", function (event) {
      var target = event.target;
      if (event.key !== "Enter" || target.tagName !== "INPUT") return;
      event.preventDefault();
      checkAll();
    });
    reveal.addEventListener("click", function () {
      solution.hidden = !solution.hidden;
      reveal.setAttribute("aria-expanded", solution.hidden ? "false" : "true");
      reveal.textContent = solution.hidden ? "Voir le corrigé" : "Masquer le corrigé";
      refreshTables(solution);
    });
    next.addEventListener("click", function () {
      renderVariant(host, data, (index + 1) % data.variants.length);
      var version = host.querySelector(".mq-count");
      if (version) version.focus();
    });
    refreshTables(root);
  }

  /* The versions are deflated and base64-encoded in the page (selfcheck.py): the browser's
   * own DecompressionStream inflates them, from file:// too. */
  function readData(script) {
    if (script.getAttribute("data-encoding") !== "deflate-raw") {
      return Promise.resolve(JSON.parse(script.textContent));
    }
    if (typeof DecompressionStream === "undefined") return Promise.reject(new Error("DecompressionStream"));
    var binary = atob(script.textContent.trim());
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
    return new Response(stream).text().then(JSON.parse);
  }

  function init(root) {
    var script = root.querySelector("script.mq-data");
    if (!script) return Promise.resolve();
    return readData(script).then(function (data) {
      var start = Math.floor(Math.random() * data.variants.length);
      renderVariant(root, data, start);
    }, function () {
      var message = el("p", "mq-feedback mq-ko", fr("Cet exercice ne peut pas s'afficher : " +
        "votre navigateur est trop ancien. Ouvrez le livre dans une version récente de Firefox, Chrome, Edge ou Safari."));
      root.appendChild(message);
    });
  }

  window.mercatiqueParseFrench = parseFrench;
  window.mercatiqueReadAnswer = readAnswer;
  window.mercatiqueJudge = function (question, text, texts) {
    var field = document.createElement("div");
    var input = document.createElement("input");
    input.value = text;
    field.appendChild(input);
    return judge(question, field, texts);
  };
  window.addEventListener("resize", function () { refreshTables(document); });
  document.addEventListener("DOMContentLoaded", function () {
    var widgets = Array.prototype.map.call(document.querySelectorAll(".mq-selfcheck"), init);
    Promise.all(widgets).then(function () {
      // every exercise drawn (what a print and the tests wait for)
      document.documentElement.setAttribute("data-mq-exercices", "prets");
      document.dispatchEvent(new Event("mercatique:exercices"));
    });
  });
})();
