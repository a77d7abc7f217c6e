// Client-side search of a static FAQ built by `ccctl faq build`.
// window.FAQ_INDEX (search-index.js) holds each article's stemmed, accent-free terms with
// weights (title 10, tags 4, body 1) and their idf. With no stemmer in the browser, a query
// word matches a term it starts with ("annulation" -> "annul"), or that starts with it
// when the word has 3 letters or more (someone still typing).
(function () {
  "use strict";
  var index = window.FAQ_INDEX;
  var form = document.getElementById("search-form");
  var input = document.getElementById("q");
  var results = document.getElementById("results");
  var empty = document.getElementById("no-results");
  var all = document.getElementById("all-articles");
  if (!index || !form) { return; }
  var stop = {};
  index.stopwords.forEach(function (w) { stop[w] = true; });

  function fold(text) {
    return text.toLowerCase().replace(/œ/g, "oe").replace(/æ/g, "ae").replace(/ß/g, "ss")
      .normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  function words(text) {
    return (fold(text).match(/[\p{L}\p{N}]+/gu) || []).filter(function (w) {
      return (w.length > 1 || /\d/.test(w)) && !stop[w];
    });
  }

  function matches(word, term) {
    return word === term || (term.length >= 3 && word.indexOf(term) === 0) ||
      (word.length >= 3 && term.indexOf(word) === 0);
  }

  function search(query) {
    var qwords = words(query);
    if (!qwords.length) { return []; }
    var hits = [];
    index.articles.forEach(function (article) {
      var score = 0;
      qwords.forEach(function (word) {
        var best = 0;
        Object.keys(article.terms).forEach(function (term) {
          if (matches(word, term)) {
            best = Math.max(best, article.terms[term] * (index.idf[term] || 0));
          }
        });
        score += best;
      });
      if (score > 0) { hits.push({ article: article, score: score }); }
    });
    hits.sort(function (a, b) { return b.score - a.score || (a.article.slug < b.article.slug ? -1 : 1); });
    return hits.slice(0, 10);
  }

  function show(query) {
    var hits = search(query);
    results.textContent = "";
    hits.forEach(function (hit) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = hit.article.url;
      a.textContent = hit.article.title;
      var p = document.createElement("p");
      p.textContent = hit.article.snippet;
      li.appendChild(a);
      li.appendChild(p);
      results.appendChild(li);
    });
    var searched = query.trim() !== "";
    empty.hidden = !(searched && hits.length === 0);
    all.hidden = searched;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    show(input.value);
  });
  input.addEventListener("input", function () { show(input.value); });
  var initial = new URLSearchParams(window.location.search).get("q");
  if (initial) { input.value = initial; show(initial); }
})();
