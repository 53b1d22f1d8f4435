// The SPARQL page. Without scripts it is a plain form whose results the server renders. With them, the
// form is replaced by YASGUI (vendored, see server/static/vendor/VERSIONS): highlighting, completion of
// prefixes and of this graph's own terms, table and raw views, and links to share a query. Nothing is
// fetched from another host: the network completers (prefix.cc, LOV) are switched off.
(function () {
  var root = document.getElementById("yasgui");
  var examples = document.querySelectorAll("a.example");
  if (!root || !window.Yasgui) {
    examples.forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        document.getElementById("query").value = link.dataset.query;
      });
    });
    return;
  }
  var prefixes = JSON.parse(root.dataset.prefixes);
  var Yasqe = window.Yasgui.Yasqe;
  Yasqe.defaults.autocompleters = ["variables"];
  Yasqe.registerAutocompleter({
    name: "local-prefixes",
    bulk: true,
    persistent: null,
    get: function () {
      return Object.keys(prefixes).map(function (p) { return p + ": <" + prefixes[p] + ">"; });
    },
    isValidCompletionPosition: function (yasqe) {
      var token = yasqe.getCompleteToken();
      var line = yasqe.getDoc().getLine(yasqe.getDoc().getCursor().line);
      return /^\s*PREFIX\s*\w*:?\s*$/i.test(line.slice(0, token.end));
    },
    preProcessToken: function (yasqe, token) { return token; },
    postProcessSuggestion: function (yasqe, token, suggestion) { return suggestion; },
  });
  Yasqe.registerAutocompleter({
    name: "local-terms",
    bulk: true,
    persistent: null,
    get: function () {
      return fetch(root.dataset.terms, { headers: { Accept: "application/ld+json" } })
        .then(function (r) { return r.json(); })
        .then(function (doc) {
          var graph = Array.isArray(doc) ? doc : doc["@graph"] || [];
          var terms = [];
          graph.forEach(function (node) {
            var id = node["@id"] || "";
            if (id.indexOf(prefixes.bp) === 0) terms.push("bp:" + id.slice(prefixes.bp.length));
          });
          return terms.sort();
        });
    },
    isValidCompletionPosition: function (yasqe) {
      var token = yasqe.getCompleteToken();
      return /^bp:/.test(token.string);
    },
    preProcessToken: function (yasqe, token) { return token; },
    postProcessSuggestion: function (yasqe, token, suggestion) { return suggestion; },
  });
  Yasqe.defaults.autocompleters = ["variables", "local-prefixes", "local-terms"];
  // The endpoint declares common prefixes itself, which the editor's own parser cannot know: leave syntax
  // checking to the endpoint, whose parser is the one that runs the query.
  Yasqe.defaults.syntaxErrorCheck = false;
  document.getElementById("plain-editor").hidden = true;
  var endpoint = new URL(root.dataset.endpoint, window.location.href).href;
  var yasgui = new window.Yasgui(root, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    persistenceId: null,
    populateFromUrl: false,
    yasr: { pluginOrder: ["table", "response"], defaultPlugin: "table" },
  });
  var tab = yasgui.getTab();
  tab.setQuery(root.dataset.query);
  if (root.dataset.run === "yes") tab.query();
  examples.forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      yasgui.getTab().setQuery(link.dataset.query);
    });
  });
})();
