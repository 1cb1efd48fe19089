/* Self-check exercises of the course book.
 * Plain JavaScript, no network, works from file://: each widget carries its variants
 * (generated at build time from the exercise templates) in a JSON script element. */
(function () {
  "use strict";

  var UNIT_LABEL = { "€": "€", "%": "%", "points": "points", "": "" };

  /* Read a number as a French reader writes it: 12,5 · 12.5 · 1 250 € · 12,5 %. */
  function parseFrench(text) {
    var t = String(text).trim().replace(/^["']+|["']+$/g, "");
    t = t.replace(/(€|%|points?|pts?)\s*$/i, "").trim();
    t = t.replace(/[\s\u00a0\u202f']/g, "");
    if (!/^[+-]?(\d+([.,]\d*)?|[.,]\d+)$/.test(t)) return null;
    return parseFloat(t.replace(",", "."));
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  var WRITTEN_MESSAGE = "Question rédigée : comparez avec le corrigé.";

  function judge(question, field) {
    if (question.kind === "written") return { ok: null, message: WRITTEN_MESSAGE };
    if (question.kind === "choice") {
      var picked = field.querySelector("input:checked");
      if (!picked) return { ok: false, message: "Choisissez une réponse." };
      if (picked.value === question.answer) return { ok: true, message: "Bonne réponse." };
      var option = question.options.filter(function (o) { return o.letter === picked.value; })[0];
      return { ok: false, message: "Ce n'est pas la bonne réponse. " + (option.explanation || "") };
    }
    var value = parseFrench(field.querySelector("input").value);
    if (value === null) {
      return { ok: false, message: "Écrivez un nombre, par exemple 12,5." };
    }
    if (Math.abs(value - question.answer) <= question.tolerance + 1e-9) {
      return { ok: true, message: "Bonne réponse : " + question.expected + "." };
    }
    for (var i = 0; i < question.mistakes.length; i++) {
      var mistake = question.mistakes[i];
      if (Math.abs(value - mistake.value) <= question.tolerance + 1e-9) {
        return { ok: false, message: "Erreur fréquente. " + mistake.explanation };
      }
    }
    return { ok: false, message: "Ce n'est pas la bonne valeur. Réessayez, ou affichez le corrigé." };
  }

  function renderVariant(root, data, index) {
    var variant = data.variants[index];
    var host = root;
    root = host.querySelector(".mq-body");
    if (!root) {
      root = el("div", "mq-body");
      host.appendChild(root);
    }
    root.innerHTML = "";
    var head = el("div", "mq-head");
    head.appendChild(el("span", "mq-badge", "S'entraîner"));
    head.appendChild(el("span", "mq-count", "Version " + (index + 1) + " sur " + data.variants.length));
    root.appendChild(head);
    var statement = el("div", "mq-statement");
    statement.innerHTML = variant.statement;
    root.appendChild(statement);

    var fields = [];
    variant.questions.forEach(function (question, qIndex) {
      var box = el("div", "mq-question");
      var prompt = el("div", "mq-prompt");
      prompt.innerHTML = "<strong>Question " + (qIndex + 1) + ".</strong> " + question.prompt;
      box.appendChild(prompt);
      var field = el("div", "mq-field");
      var name = data.id + "-" + index + "-" + question.id;
      if (question.kind === "written") {
        var area = el("textarea", "mq-written");
        area.rows = 5;
        area.setAttribute("aria-label", "Votre réponse rédigée à la question " + (qIndex + 1));
        area.placeholder = "Rédigez votre réponse, puis comparez-la avec le corrigé.";
        field.appendChild(area);
      } else if (question.kind === "choice") {
        question.options.forEach(function (option) {
          var label = el("label", "mq-option");
          var input = el("input");
          input.type = "radio";
          input.name = name;
          input.value = option.letter;
          label.appendChild(input);
          label.appendChild(document.createTextNode(" " + option.letter + ". " + option.text));
          field.appendChild(label);
        });
      } else {
        var input = el("input", "mq-input");
        input.type = "text";
        input.setAttribute("inputmode", "decimal");
        input.setAttribute("aria-label", "Votre réponse à la question " + (qIndex + 1));
        input.placeholder = "ex. 12,5";
        field.appendChild(input);
        if (UNIT_LABEL[question.unit]) field.appendChild(el("span", "mq-unit", UNIT_LABEL[question.unit]));
      }
      box.appendChild(field);
      var feedback = el("div", "mq-feedback");
      feedback.setAttribute("aria-live", "polite");
      box.appendChild(feedback);
      root.appendChild(box);
      fields.push({ question: question, field: field, feedback: feedback });
    });

    var solution = el("div", "mq-solution");
    solution.innerHTML = "<p><strong>Corrigé</strong></p>" + variant.solution;
    variant.questions.forEach(function (question, qIndex) {
      if (question.kind !== "written") return;
      var part = el("div", "mq-model");
      part.innerHTML = "<p><strong>Question " + (qIndex + 1) + " (rédigée) : éléments attendus</strong></p>" +
        question.model_answer + "<p><em>Barème</em></p>" + question.rubric;
      solution.appendChild(part);
    });
    solution.hidden = true;

    var buttons = el("div", "mq-buttons");
    var check = el("button", "mq-check", "Vérifier mes réponses");
    var reveal = el("button", "mq-reveal", "Voir le corrigé");
    var next = el("button", "mq-next", "Nouvel exercice");
    [check, reveal, next].forEach(function (b) { b.type = "button"; buttons.appendChild(b); });
    root.appendChild(buttons);
    root.appendChild(solution);

    check.addEventListener("click", function () {
      fields.forEach(function (f) {
        var verdict = judge(f.question, f.field);
        if (verdict.ok === null) {  // a written answer: no verdict, the model answer is behind the toggle
          f.feedback.textContent = "✎ " + verdict.message;
          f.feedback.className = "mq-feedback mq-written-note";
          return;
        }
        f.feedback.textContent = (verdict.ok ? "✔ " : "✘ ") + verdict.message;
        f.feedback.className = "mq-feedback " + (verdict.ok ? "mq-ok" : "mq-ko");
      });
    });
    reveal.addEventListener("click", function () {
      solution.hidden = !solution.hidden;
      reveal.textContent = solution.hidden ? "Voir le corrigé" : "Masquer le corrigé";
    });
    next.addEventListener("click", function () {
      renderVariant(host, data, (index + 1) % data.variants.length);
    });
  }

  function init(root) {
    var script = root.querySelector("script.mq-data");
    if (!script) return;
    var data = JSON.parse(script.textContent);
    var start = Math.floor(Math.random() * data.variants.length);
    renderVariant(root, data, start);
  }

  window.mercatiqueParseFrench = parseFrench;
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll(".mq-selfcheck"), init);
  });
})();
