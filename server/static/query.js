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

  // The chart view: bars of the first numeric column, labelled by the first other column, drawn as SVG
  // by this page itself (no chart library, nothing fetched). Offered only when the results have a
  // column whose every value is a number.
  var SVG = "http://www.w3.org/2000/svg";
  var NUMBER = /#(integer|decimal|double|float|long|int|short|byte|nonNegativeInteger|positiveInteger|nonPositiveInteger|negativeInteger|unsignedLong|unsignedInt|unsignedShort|unsignedByte)$/;
  var MOST_BARS = 50;
  function svgElement(name, attributes, text) {
    var element = document.createElementNS(SVG, name);
    Object.keys(attributes).forEach(function (key) { element.setAttribute(key, attributes[key]); });
    if (text !== undefined) element.textContent = text;
    return element;
  }
  function ChartView(yasr) {
    this.yasr = yasr;
    this.priority = 5;
    this.label = root.dataset.chartLabel || "Chart";
  }
  ChartView.prototype.columns = function () {
    var results = this.yasr.results;
    if (!results || !results.getVariables || !results.getBindings) return null;
    var variables = results.getVariables() || [];
    var rows = results.getBindings() || [];
    if (!rows.length) return null;
    var value = variables.filter(function (v) {
      return rows.some(function (row) { return row[v]; }) && rows.every(function (row) {
        return !row[v] || (NUMBER.test(row[v].datatype || "") && isFinite(parseFloat(row[v].value)));
      });
    })[0];
    if (!value) return null;
    var label = variables.filter(function (v) { return v !== value; })[0] || value;
    return { value: value, label: label, rows: rows };
  };
  ChartView.prototype.canHandleResults = function () { return !!this.columns(); };
  ChartView.prototype.getIcon = function () {
    var icon = document.createElement("span");
    icon.textContent = "\u2587";
    return icon;
  };
  ChartView.prototype.draw = function () {
    var columns = this.columns();
    var target = this.yasr.resultsEl;
    target.textContent = "";
    if (!columns) return;
    var rows = columns.rows.slice(0, MOST_BARS);
    var names = rows.map(function (row) {
      var cell = row[columns.label];
      var text = cell ? cell.value : "";
      if (cell && cell.type === "uri") text = text.replace(/^.*[\/#]/, "") || text;
      return text.length > 48 ? text.slice(0, 47) + "\u2026" : text;
    });
    var values = rows.map(function (row) { return row[columns.value] ? parseFloat(row[columns.value].value) : 0; });
    var top = Math.max.apply(null, values.map(Math.abs).concat([1]));
    var labelWidth = Math.min(360, 12 + 7 * Math.max.apply(null, names.map(function (n) { return n.length; }).concat([4])));
    var barRoom = 420, barHeight = 20, width = labelWidth + barRoom + 80, height = rows.length * barHeight + 30;
    var svg = svgElement("svg", {
      viewBox: "0 0 " + width + " " + height, width: width, height: height, role: "img", class: "result-chart",
    });
    svg.appendChild(svgElement("title", {}, columns.value + " / " + columns.label));
    rows.forEach(function (row, i) {
      var y = 10 + i * barHeight, length = Math.abs(values[i]) / top * barRoom;
      svg.appendChild(svgElement("text", { x: labelWidth - 8, y: y + 14, "text-anchor": "end", "font-size": 12 }, names[i]));
      var bar = svgElement("rect", { x: labelWidth, y: y + 2, width: Math.max(length, 1), height: barHeight - 6, fill: "#0b3d5c" });
      bar.appendChild(svgElement("title", {}, names[i] + ": " + values[i]));
      svg.appendChild(bar);
      svg.appendChild(svgElement("text", { x: labelWidth + length + 6, y: y + 14, "font-size": 12 }, String(values[i])));
    });
    target.appendChild(svg);
    if (columns.rows.length > MOST_BARS) {
      var note = document.createElement("p");
      note.className = "small";
      note.textContent = root.dataset.chartMore || "";
      target.appendChild(note);
    }
  };

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
  window.Yasgui.Yasr.registerPlugin("chart", ChartView);
  document.getElementById("plain-editor").hidden = true;
  var endpoint = new URL(root.dataset.endpoint, window.location.href).href;
  var yasgui = new window.Yasgui(root, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    persistenceId: null,
    populateFromUrl: false,
    yasr: { pluginOrder: ["table", "chart", "response"], defaultPlugin: "table" },
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
