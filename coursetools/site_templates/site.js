/* The course site's script: the theme switch, the sidebar on a phone, keyboard access to what
   scrolls sideways, and search. Everything works from file:// with no server and no network: the
   search index is a script (search_index.js, built by python -m coursetools.site with the lunr
   package), loaded with lunr.js the first time the search box gets the focus. */
(function () {
  "use strict";
  var root = document.documentElement;
  var THEME_KEY = "course-theme";
  var darkQuery = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  // ---- theme: light, dark, or the system's, remembered in localStorage -------------------------
  function storedTheme() {
    try {
      var choice = localStorage.getItem(THEME_KEY);
      return choice === "light" || choice === "dark" ? choice : "system";
    } catch (e) { return "system"; }
  }

  function applyTheme(choice) {
    var dark = choice === "dark" || (choice === "system" && darkQuery !== null && darkQuery.matches);
    root.setAttribute("data-theme", dark ? "dark" : "light");
    root.setAttribute("data-theme-choice", choice);
    if (document.body && document.body.hasAttribute("data-jp-theme-light")) {
      document.body.setAttribute("data-jp-theme-light", dark ? "false" : "true");
      document.body.setAttribute("data-jp-theme-name", dark ? "JupyterLab Dark" : "JupyterLab Light");
    }
  }

  function setUpTheme() {
    var select = document.getElementById("theme-select");
    var choice = storedTheme();
    applyTheme(choice);
    if (select) {
      select.value = choice;
      select.addEventListener("change", function () {
        try {
          if (select.value === "system") { localStorage.removeItem(THEME_KEY); }
          else { localStorage.setItem(THEME_KEY, select.value); }
        } catch (e) { /* storage refused: the choice lasts for this page only */ }
        applyTheme(select.value);
      });
    }
    if (darkQuery && darkQuery.addEventListener) {
      darkQuery.addEventListener("change", function () { applyTheme(storedTheme()); });
    }
    window.addEventListener("storage", function (event) {  // another page of the site changed it
      if (event.key === THEME_KEY) {
        applyTheme(storedTheme());
        if (select) { select.value = storedTheme(); }
      }
    });
  }

  // ---- the sidebar: always shown on a wide screen, behind the Contents button on a narrow one ----
  function setUpSidebar() {
    var button = document.querySelector(".sidebar-toggle");
    var sidebar = document.getElementById("course-sidebar");
    if (!button || !sidebar) { return; }
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", open ? "true" : "false");
      sidebar.classList.toggle("open", open);
      if (open) {
        var current = sidebar.querySelector("[aria-current=page]") || sidebar.querySelector("a");
        if (current) { current.focus(); }
      }
    });
    sidebar.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && sidebar.classList.contains("open")) {
        button.click();
        button.focus();
      }
    });
    var current = sidebar.querySelector(".sidebar-current");
    if (current && sidebar.scrollHeight > sidebar.clientHeight) {
      sidebar.scrollTop = Math.max(0, current.offsetTop - sidebar.clientHeight / 4);
    }
  }

  // ---- what scrolls sideways (wide code, tables, formulas) gets into the focus order -----------
  function markScrollers() {
    var candidates = document.querySelectorAll("main pre, main table, main .MathJax_Display, main .jp-RenderedHTMLCommon table");
    for (var i = 0; i < candidates.length; i++) {
      var element = candidates[i];
      if (element.scrollWidth > element.clientWidth + 1) {
        if (!element.hasAttribute("tabindex")) {
          element.setAttribute("tabindex", "0");
          element.setAttribute("data-scroller", "");
        }
      } else if (element.hasAttribute("data-scroller")) {
        element.removeAttribute("tabindex");
        element.removeAttribute("data-scroller");
      }
    }
  }

  // ---- search ------------------------------------------------------------------------------------
  var siteRoot = "";
  var searchState = "idle";  // idle, loading, ready, failed
  var index = null, docs = null, pendingQuery = null;

  function loadScript(src, onload, onerror) {
    var script = document.createElement("script");
    script.src = src;
    script.onload = onload;
    script.onerror = onerror;
    document.head.appendChild(script);
  }

  function loadSearch(input) {
    if (searchState !== "idle") { return; }
    searchState = "loading";
    var failed = function () {
      searchState = "failed";
      setStatus("The search index could not be loaded.");
    };
    loadScript(siteRoot + "assets/lunr.min.js", function () {
      loadScript(siteRoot + "search_index.js", function () {
        index = lunr.Index.load(window.COURSE_SEARCH.index);
        docs = window.COURSE_SEARCH.docs;
        searchState = "ready";
        document.body.setAttribute("data-search", "ready");
        if (input.value.trim()) { runSearch(input.value); }
      }, failed);
    }, failed);
  }

  function setStatus(text) {
    var status = document.getElementById("search-status");
    if (status) { status.textContent = text; }
  }

  function terms(query) {
    // The index's own pipeline, term by term: lower case, trimmed, no stop words, stemmed.
    var tokens = lunr.tokenizer(query.replace(/[^\w\s\-]+/g, " "));
    var out = [];
    for (var i = 0; i < tokens.length; i++) {
      var token = lunr.trimmer(tokens[i]);
      if (!token || !lunr.stopWordFilter(token)) { continue; }
      var stem = lunr.stemmer(token).toString();
      if (stem) { out.push(stem); }
    }
    return out;
  }

  function search(query) {
    var words = terms(query);
    if (!words.length) { return []; }
    return index.query(function (q) {
      words.forEach(function (word, i) {
        var last = i === words.length - 1;  // the word being typed may be unfinished
        q.term(word, {usePipeline: false, presence: lunr.Query.presence.REQUIRED,
                      wildcard: last ? lunr.Query.wildcard.TRAILING : lunr.Query.wildcard.NONE});
        if (last) { q.term(word, {usePipeline: false, boost: 5}); }
      });
    });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  function dollars(text) { return (text.match(/(^|[^\\])\$/g) || []).length; }

  function snippet(text, words) {
    // Some 180 characters around the first word found, never cutting a $...$ formula in two.
    if (!text) { return ""; }
    var lower = text.toLowerCase(), at = -1;
    for (var i = 0; i < words.length && at < 0; i++) { at = lower.indexOf(words[i]); }
    var start = Math.max(0, at - 60);
    if (dollars(text.slice(0, start)) % 2) {  // inside a formula: start after it
      var close = text.indexOf("$", start);
      start = close < 0 ? start : close + 1;
    }
    var end = Math.min(text.length, start + 180);
    var piece = text.slice(start, end);
    if (dollars(piece) % 2) {  // a formula left open: end before it
      piece = piece.slice(0, piece.lastIndexOf("$"));
      end = start + piece.length;
    }
    return (start > 0 ? "…" : "") + piece.trim() + (end < text.length ? "…" : "");
  }

  function runSearch(query) {
    var panel = document.getElementById("search-results");
    if (searchState !== "ready") { pendingQuery = query; return; }
    panel.textContent = "";
    if (!query.trim()) { panel.hidden = true; setStatus(""); return; }
    var results = search(query).slice(0, 12);
    var words = terms(query);
    panel.hidden = false;
    if (!results.length) {
      panel.appendChild(element("p", "search-none", "No section matches “" + query.trim() + "”."));
      setStatus("No results.");
      return;
    }
    setStatus(results.length + (results.length === 1 ? " result" : " results") + ". Press Tab to reach them.");
    var list = element("ol", "search-list");
    results.forEach(function (result) {
      var shown = docs[Number(result.ref)];  // [address, page, section heading, the section's text]
      var item = element("li", "search-result");
      var link = element("a", "search-link");
      link.href = siteRoot + shown[0];
      link.appendChild(element("span", "result-section", shown[2] || shown[1]));
      if (shown[2]) { link.appendChild(element("span", "result-page", shown[1])); }
      item.appendChild(link);
      var text = snippet(shown[3], words);
      if (text) { item.appendChild(element("p", "result-text", text)); }
      list.appendChild(item);
    });
    panel.appendChild(list);
    if (window.MathJax && MathJax.Hub) { MathJax.Hub.Queue(["Typeset", MathJax.Hub, panel]); }
  }

  function setUpSearch() {
    var header = document.querySelector(".course-bar");
    var input = document.getElementById("search-input");
    var form = input && input.form;
    var panel = document.getElementById("search-results");
    if (!input || !panel) { return; }
    siteRoot = header.getAttribute("data-root") || "";
    input.addEventListener("focus", function () { loadSearch(input); });
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { runSearch(input.value); }, 80);
    });
    form.addEventListener("submit", function (event) {  // Enter opens the best result
      event.preventDefault();
      var first = panel.querySelector("a");
      if (first) { window.location.href = first.href; }
    });
    form.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        panel.hidden = true;
        input.focus();
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        var links = Array.prototype.slice.call(panel.querySelectorAll("a"));
        if (!links.length || panel.hidden) { return; }
        var at = links.indexOf(document.activeElement);
        var next = event.key === "ArrowDown" ? Math.min(links.length - 1, at + 1) : at - 1;
        event.preventDefault();
        if (next < 0) { input.focus(); } else { links[next].focus(); }
      }
    });
    document.addEventListener("click", function (event) {
      if (!form.contains(event.target)) { panel.hidden = true; }
    });
    input.addEventListener("focus", function () { if (panel.childNodes.length) { panel.hidden = false; } });
    if (pendingQuery !== null) { runSearch(pendingQuery); }
  }

  // ---- keyboard shortcuts: "/" to search; the pager's links are in the focus order -----------
  function setUpKeys() {
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      var typing = target && (target.tagName === "INPUT" || target.tagName === "SELECT" ||
                              target.tagName === "TEXTAREA" || target.isContentEditable);
      if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
        event.preventDefault();
        document.getElementById("search-input").focus();
      }
    });
  }

  window.CourseSite = {markScrollers: markScrollers, applyTheme: applyTheme, search: function (q) { return search(q); }};

  function start() {
    setUpTheme();
    setUpSidebar();
    setUpSearch();
    setUpKeys();
    markScrollers();
    var resizing = null;
    window.addEventListener("resize", function () {
      clearTimeout(resizing);
      resizing = setTimeout(markScrollers, 100);
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
